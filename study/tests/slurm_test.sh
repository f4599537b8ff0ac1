#!/usr/bin/env bash
# A study as a Slurm job array on a real single-node Slurm that this test starts (munged,
# slurmctld and slurmd on localhost, everything under a temporary folder, ports of its own),
# the script written by `mtsim sweep --emit-slurm`; the shards merged must equal the unsharded
# CSV. Usage: slurm_test.sh MTSIM SOURCE_DIR. Exit 77 (ctest SKIP) when Debian's slurm-wlm or
# munge is not installed or the test does not run as root (slurmd launches jobs as root here).
set -u
# Host-time limits stretch by MTSIM_TEST_SLOWDOWN (scripts/sanitize sets it for its slower build).
slow=${MTSIM_TEST_SLOWDOWN:-1}
mtsim=${1:?usage: slurm_test.sh MTSIM SOURCE_DIR}
src=${2:?source dir}
for t in munged slurmctld slurmd sbatch sinfo; do
    command -v "$t" >/dev/null || { echo "SKIP: $t not installed (apt-get install slurm-wlm munge)"; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "SKIP: the single-node Slurm of this test runs as root"; exit 77; }
tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp" || exit 2
chmod 755 "$tmp"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# munge: a key of its own and a socket under $tmp.
mkdir -p munge state spool log
head -c 128 /dev/urandom >munge/munge.key
chmod 600 munge/munge.key
munged -F --force -S "$tmp/munge/sock" --key-file="$tmp/munge/munge.key" \
    --pid-file="$tmp/munge/pid" --log-file="$tmp/munge/log" --seed-file="$tmp/munge/seed" &
pids+=($!)

node=$(hostname -s)
port=$((20000 + $$ % 20000))
cat >slurm.conf <<EOF
ClusterName=mtsimtest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$tmp/munge/sock
CredType=cred/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
NodeName=$node NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$tmp/slurm.conf
for i in $(seq 50); do [ -S munge/sock ] && break; sleep 0.1; done
slurmctld -D -c &
pids+=($!)
slurmd -D -c &
pids+=($!)
state=""
for i in $(seq 100); do
    state=$(sinfo -h -o %t 2>/dev/null)
    [ "$state" = idle ] && break
    sleep 0.2
done
if [ "$state" != idle ]; then
    echo "FAIL: the single-node Slurm did not come up (node state '$state')"
    tail -5 log/slurmctld.log log/slurmd.log munge/log
    exit 1
fi

# The example study: 3 scenarios x 4 hosts x 3 axes, 112 points.
cp "$src/studies/wbinvd-and-snoop.yaml" study.yaml
timeout $((120 * slow)) "$mtsim" sweep study.yaml --jobs 2 --outdir whole 2>err || fail "unsharded: $(cat err)"
timeout $((60 * slow)) "$mtsim" sweep study.yaml --emit-slurm 2 --jobs 1 --outdir run >job.sh 2>err ||
    fail "--emit-slurm: $(cat err)"
timeout $((180 * slow)) sbatch --wait job.sh >sbatch.out 2>&1 || fail "sbatch --wait: $(cat sbatch.out; cat slurm-*.out 2>/dev/null)"
[ -f run/shard-0/results.csv ] && [ -f run/shard-1/results.csv ] ||
    fail "the array tasks wrote no shard: $(ls run 2>&1; cat slurm-*.out 2>/dev/null)"
grep -q "mtsim sweep" run/shard-1/manifest.json 2>/dev/null || fail "no manifest in shard 1"
timeout $((60 * slow)) "$mtsim" merge run/shard-* --outdir run/merged 2>err || fail "merge: $(cat err)"
cmp whole/results.csv run/merged/results.csv || fail "Slurm's merged CSV differs from the unsharded one"
[ $fails -eq 0 ] && echo "ok: a 2-task Slurm array gave the unsharded CSV" || exit 1
