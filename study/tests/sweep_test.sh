#!/usr/bin/env bash
# `mtsim sweep` and `mtsim merge` end to end: each check is one ctest entry.
# Usage: sweep_test.sh MTSIM SOURCE_DIR CHECK. Exit 77 (ctest SKIP) when a tool is missing.
set -u
# Host-time limits stretch by MTSIM_TEST_SLOWDOWN (scripts/sanitize sets it for its slower build).
slow=${MTSIM_TEST_SLOWDOWN:-1}
mtsim=${1:?usage: sweep_test.sh MTSIM SOURCE_DIR CHECK}
src=${2:?source dir}
check=${3:?check name}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 2
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# A scenario that loads but fails in the run: doorbells from two agents are not modelled.
cat >two-doorbells.yaml <<'EOF'
include: SHARED/platform.yaml
guest:
  buffers:
    - {name: buf, gpa: 0x100000, size: 4KiB, pat: WB}
programs:
  vcpu0: [doorbell]
  vmm: [doorbell]
  gpu: [wait_doorbell]
EOF
sed -i "s|SHARED|$src/scenarios/catalogue/shared|" two-doorbells.yaml

# 2 scenarios x 2 hosts x 2 x 2 (the size axis only on clflushopt-doorbell) = 12 points, and
# the failing scenario under 2 hosts x 2 = 4 points.
cat >study.yaml <<'EOF'
name: small
scenarios: [virtio-gpu-wc-upload, clflushopt-doorbell, two-doorbells.yaml]
hosts: [linux-6.6, linux-6.16]
axes:
  - param: platform.cache.self_snoop
    values: [true, false]
  - param: guest.buffers[buf].size
    values: {from: 4KiB, to: 8KiB, factor: 2}
    only: [clflushopt-doorbell]
EOF
total=16

# sweep ARGS...: runs the study, stderr to $tmp/err, exit status in $rc.
sweep() { timeout $((120 * slow)) "$mtsim" sweep study.yaml --jobs 2 "$@" >"$tmp/stdout" 2>"$tmp/err"; rc=$?; }
rows() { tail -n +2 "$1" | wc -l; }
col() { head -1 "$1" | tr ',' '\n' | grep -n -x -F -- "$2" | cut -d: -f1; }

case $check in
runs_every_point_with_failing_rows)
    sweep --outdir out
    [ $rc -eq 1 ] || fail "exit $rc (want 1: failing points) $(tail -3 "$tmp/err")"
    [ -f out/results.csv ] || { fail "no results.csv"; cat "$tmp/err"; exit 1; }
    [ "$(rows out/results.csv)" -eq $total ] || fail "$(rows out/results.csv) rows, want $total"
    v=$(col out/results.csv verdict)
    e=$(col out/results.csv error)
    [ "$(cut -d, -f"$v" out/results.csv | grep -c -x error)" -eq 4 ] || fail "want 4 error rows"
    grep -q "not modelled: doorbells from more than one agent" out/results.csv ||
        fail "the error rows do not carry the child's message"
    # Every axis is a column; a size where the axis does not apply is empty.
    head -1 out/results.csv | grep -q '^point,scenario,host,platform.cache.self_snoop,"\?guest.buffers\[buf\].size' ||
        fail "header: $(head -1 out/results.csv)"
    grep -q '^0,virtio-gpu-wc-upload,linux-6.6,true,,0,stale-read,' out/results.csv ||
        fail "row 0: $(sed -n 2p out/results.csv)"
    # Each point's resolved configuration reproduces its row's verdict.
    cfg=$(sed -n 6p out/results.csv | cut -d, -f"$(col out/results.csv config)")
    want=$(sed -n 6p out/results.csv | cut -d, -f"$v")
    got=$("$mtsim" run "out/$cfg" --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["verdict"])')
    [ "$got" = "$want" ] || fail "re-run of $cfg: $got, the row says $want"
    python3 - out/manifest.json <<'EOF' || fail "manifest"
import json, sys
m = json.load(open(sys.argv[1]))
for k in ("mtsim_version", "command_line", "date", "host", "points", "ran", "failed"):
    assert k in m, k
assert m["points"] == 16 and m["failed"] == 4, m
EOF
    cmp -s study.yaml out/study.yaml || fail "out/study.yaml is not the study as given"
    ls out | grep -q -E '\.tmp$|partial' && fail "temporary files left: $(ls out)"
    # The stats columns cover every statistic a run reports.
    "$mtsim" run "$src/scenarios/catalogue/01-virtio-gpu-wc-upload.yaml" --json |
        python3 -c 'import json,sys; print("\n".join("stats."+k for k in json.load(sys.stdin)["stats"]))' >keys
    while read -r k; do col out/results.csv "$k" >/dev/null || fail "no column $k"; done <keys
    # Costs: every good row has its cost and each agent's parts, which sum to its cycles.
    python3 - out/results.csv <<'EOF' || fail "cost columns"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
good = [r for r in rows if r["verdict"] != "error"]
assert good
for r in good:
    assert float(r["cost_us"]) > 0 and r["cost_basis"].startswith("busy:"), r["cost_basis"]
    assert r["measure_us"] == ""
    for a in ("vcpu0", "gpu"):
        assert float(r[a + ".us"]) > 0, a
        assert float(r[a + ".busy_us"]) <= float(r[a + ".us"])
    parts = sum(int(v) for k, v in r.items()
                if k.startswith("vcpu0.") and k.endswith(".cycles") and v)
    assert parts == int(r["cycles.vcpu0"]), (parts, r["cycles.vcpu0"])
EOF
    ;;
resumes_where_it_stopped)
    sweep --outdir out
    cp out/results.csv full.csv
    sweep --outdir out
    grep -q "12 already done, 4 ran, 4 failed" "$tmp/err" ||
        fail "second run: $(tail -1 "$tmp/err") (want the 12 good points skipped)"
    cmp -s full.csv out/results.csv || fail "the resumed CSV differs"
    # An interrupted run: results.csv.partial with 5 rows and half a row, no results.csv.
    head -6 full.csv >out/results.csv.partial
    sed -n 7p full.csv | head -c 20 >>out/results.csv.partial
    rm out/results.csv
    sweep --outdir out
    grep -q "5 already done, 11 ran" "$tmp/err" || fail "after a cut: $(tail -1 "$tmp/err")"
    cmp -s full.csv out/results.csv || fail "the CSV after a cut differs"
    # Another study's folder is refused.
    sed -i 's/values: \[true, false\]/values: [true]/; s/self_snoop/llc_inclusive/' study.yaml
    sweep --outdir out
    [ $rc -eq 2 ] && grep -q "another study" "$tmp/err" || fail "another study's folder: $rc $(cat "$tmp/err")" ;;
shards_merge_to_the_unsharded_csv)
    sweep --outdir whole
    sweep --outdir s0 --shard 0/2
    [ "$(rows s0/results.csv)" -eq 8 ] || fail "shard 0: $(rows s0/results.csv) rows"
    sweep --outdir s1 --shard 1/2
    timeout $((60 * slow)) "$mtsim" merge s1 s0 --outdir merged 2>"$tmp/err" || fail "merge: $(cat "$tmp/err")"
    cmp whole/results.csv merged/results.csv || fail "merged CSV differs from the unsharded one"
    [ "$(ls merged/points | wc -l)" -eq "$(ls whole/points | wc -l)" ] || fail "points/ differ"
    timeout $((60 * slow)) "$mtsim" merge s0 --outdir half 2>"$tmp/err"
    [ $? -eq 1 ] && grep -q "8 points are missing" "$tmp/err" || fail "a missing shard: $(cat "$tmp/err")"
    cp -r s1 other && echo "# edited" >>other/study.yaml
    timeout $((60 * slow)) "$mtsim" merge s0 other --outdir bad 2>"$tmp/err"
    [ $? -eq 2 ] && grep -q "another study" "$tmp/err" || fail "another study merged: $(cat "$tmp/err")" ;;
shards_through_gnu_parallel)
    # The example study (3 scenarios x 4 hosts x 3 axes), three shards run by GNU parallel.
    command -v parallel >/dev/null || { echo "SKIP: GNU parallel not installed"; exit 77; }
    ex=$src/studies/wbinvd-and-snoop.yaml
    timeout $((120 * slow)) "$mtsim" sweep "$ex" --jobs 2 --outdir whole 2>"$tmp/err" || fail "unsharded: $(tail -3 "$tmp/err")"
    timeout $((120 * slow)) parallel --will-cite -j 2 "$mtsim" sweep "$ex" --jobs 1 --shard {}/3 \
        --outdir par/shard-{} ::: 0 1 2 2>"$tmp/err" || fail "parallel: $(tail -3 "$tmp/err")"
    timeout $((60 * slow)) "$mtsim" merge par/shard-* --outdir par/merged 2>"$tmp/err" || fail "merge: $(cat "$tmp/err")"
    [ "$(rows whole/results.csv)" -eq 112 ] || fail "the example study has $(rows whole/results.csv) rows"
    cmp whole/results.csv par/merged/results.csv || fail "parallel's merged CSV differs" ;;
progress_is_one_line_on_a_terminal)
    command -v script >/dev/null || { echo "SKIP: script(1) not installed"; exit 77; }
    timeout $((120 * slow)) script -qec "'$mtsim' sweep study.yaml --jobs 2 --outdir t1" /dev/null >tty.txt
    grep -a -q $'\r''small: 16/16 points, [0-9.]*/s, ETA 0:00, 4 failed' tty.txt ||
        fail "no progress line on a terminal: $(tr '\r' '\n' <tty.txt | head -3)"
    grep -a -q '\[16/16\]' tty.txt && fail "a line per point on a terminal"
    sweep --outdir t2
    [ "$(grep -c '^small: \[[0-9]*/16\] point' "$tmp/err")" -eq 16 ] || fail "not one plain line per point: $(head -3 "$tmp/err")" ;;
emits_a_slurm_array_script)
    timeout $((60 * slow)) "$mtsim" sweep study.yaml --emit-slurm 4 --jobs 2 --outdir run >job.sh 2>"$tmp/err" ||
        fail "exit $?: $(cat "$tmp/err")"
    grep -q -x '#SBATCH --array=0-3' job.sh || fail "no array line: $(cat job.sh)"
    grep -q -x '#SBATCH --cpus-per-task=2' job.sh || fail "no cpus line"
    grep -q -F -- '--shard "$SLURM_ARRAY_TASK_ID/4"' job.sh || fail "no shard argument"
    bash -n job.sh || fail "not a bash script"
    [ -e run ] && fail "--emit-slurm ran something" ;;
bad_study_or_point_runs_nothing)
    printf 'scenarios: [virtio-gpu-wc-upload]\nhosts: [linux-6.16]\nbogus: 1\n' >bad.yaml
    timeout $((60 * slow)) "$mtsim" sweep bad.yaml --outdir o1 >/dev/null 2>"$tmp/err"
    [ $? -eq 2 ] && grep -q "bad.yaml:3: key 'bogus'" "$tmp/err" || fail "unknown key: $(cat "$tmp/err")"
    # A point whose configuration does not load: nothing runs, no folder.
    printf 'scenarios: [virtio-gpu-wc-upload, clflushopt-doorbell]\naxes:\n  - param: guest.buffers[buf].size\n    values: [8KiB]\n' >bad2.yaml
    timeout $((60 * slow)) "$mtsim" sweep bad2.yaml --outdir o2 >/dev/null 2>"$tmp/err"
    [ $? -eq 2 ] && grep -q "bad2.yaml:3: key 'axes\[0\].param': no buffer named 'buf'" "$tmp/err" &&
        grep -q "point 0: virtio-gpu-wc-upload under linux-6.16" "$tmp/err" ||
        fail "bad point: $(cat "$tmp/err")"
    [ -e o1 ] || [ -e o2 ] && fail "a refused study created its output folder"
    for a in "--shard 2/2" "--shard x" "--jobs 0" "--emit-slurm 0"; do
        timeout $((60 * slow)) "$mtsim" sweep study.yaml $a --outdir o3 >/dev/null 2>"$tmp/err"
        [ $? -eq 2 ] || fail "$a accepted"
    done ;;
plots_a_line_chart_and_a_verdict_heat_map)
    command -v gnuplot >/dev/null || { echo "SKIP: gnuplot not installed (gnuplot-nox)"; exit 77; }
    sweep --outdir out
    [ "$(head -c 4 out/plots/verdicts.png | tail -c 3)" = PNG ] || fail "no default heat map: $(tail -2 "$tmp/err")"
    timeout $((60 * slow)) "$mtsim" plot out --x 'guest.buffers[buf].size' --y cycles --by host \
        --by platform.cache.self_snoop --where scenario=clflushopt-doorbell 2>"$tmp/err" ||
        fail "line chart: $(cat "$tmp/err")"
    png="out/plots/cycles-by-guest.buffers[buf].size.png"
    [ "$(head -c 4 "$png" | tail -c 3)" = PNG ] || fail "no PNG at $png"
    grep -q 'with linespoints' "$png.gp" || fail "no script beside the PNG"
    [ "$(grep -c '^\$g[0-9]* << EOD' "$png.gp")" -eq 4 ] || fail "want 4 lines (2 hosts x 2)"
    timeout $((60 * slow)) "$mtsim" plot out --x host --y verdict --by scenario --where platform.cache.self_snoop=true \
        --where 'guest.buffers[buf].size=' --out heat.svg 2>"$tmp/err" || fail "heat map: $(cat "$tmp/err")"
    grep -q '<svg' heat.svg && grep -q 'stale-read' heat.svg || fail "the heat map has no verdict cells"
    # A chart that would hide rows is refused, naming the column.
    timeout $((60 * slow)) "$mtsim" plot out --x host --y cycles --out hidden.png 2>"$tmp/err"
    [ $? -eq 2 ] && grep -q "differ in 'platform.cache.self_snoop'" "$tmp/err" || fail "hidden rows: $(cat "$tmp/err")"
    ls out/plots | grep -q tmp && fail "temporary files left in plots/" ;;
run_writes_an_output_folder)
    # `mtsim run NAME --outdir DIR`: a catalogue name in place of a file; config.yaml reruns it.
    timeout $((60 * slow)) "$mtsim" run virtio-gpu-wc-upload --host linux-6.6 --outdir r1 >/dev/null 2>"$tmp/err" ||
        fail "run --outdir: $(cat "$tmp/err")"
    for f in config.yaml result.json stats.json; do [ -s "r1/$f" ] || fail "no r1/$f"; done
    ls r1 | grep -q tmp && fail "temporary files left: $(ls r1)"
    python3 - r1 <<'EOF' || fail "result.json / stats.json"
import json, sys
d = sys.argv[1]
r = json.load(open(d + "/result.json"))
s = json.load(open(d + "/stats.json"))
assert r["verdict"] == "stale-read" and r["host"] == "linux-6.6", r["verdict"]
# every statistic of the tree has its unit
leaves = []
def walk(p, n):
    for k, v in n.items():
        walk(p + k + ".", v) if isinstance(v, dict) else leaves.append(p + k)
walk("", s["stats"])
assert leaves and all(l in s["units"] for l in leaves), [l for l in leaves if l not in s["units"]][:3]
EOF
    timeout $((60 * slow)) "$mtsim" run r1/config.yaml --json 2>/dev/null |
        python3 -c 'import json,sys; assert json.load(sys.stdin)["verdict"] == "stale-read"' ||
        fail "config.yaml does not rerun the same verdict" ;;
hosts_given_as_files)
    # A host file of the user's, in `run --host` and in a study's hosts (relative to the study).
    sed 's/^description:.*/description: a copy of linux-6.6/' "$src/scenarios/hosts/linux-6.6.yaml" >myhost.yaml
    # Exit 1: the scenario's expect: has no entry for a host named myhost (default: clean).
    timeout $((60 * slow)) "$mtsim" run virtio-gpu-wc-upload --host ./myhost.yaml --json >r.json 2>"$tmp/err"
    [ $? -eq 1 ] || fail "run --host FILE: $(cat "$tmp/err")"
    python3 -c 'import json,sys; j=json.load(open("r.json")); assert j["host"] == "myhost" and j["verdict"] == "stale-read", (j["host"], j["verdict"])' ||
        fail "run --host ./myhost.yaml"
    printf 'scenarios: [virtio-gpu-wc-upload]\nhosts: [linux-6.6, ./myhost.yaml]\n' >h.yaml
    timeout $((60 * slow)) "$mtsim" sweep h.yaml --outdir h 2>"$tmp/err" || fail "study with a host file: $(cat "$tmp/err")"
    [ "$(cut -d, -f3,5 h/results.csv | tail -n +2 | tr '\n' ' ')" = "linux-6.6,stale-read ./myhost.yaml,stale-read " ] ||
        fail "rows: $(cut -d, -f1-6 h/results.csv)"
    printf 'scenarios: [virtio-gpu-wc-upload]\nhosts: [./nohost.yaml]\n' >h2.yaml
    timeout $((60 * slow)) "$mtsim" sweep h2.yaml --outdir h2 >/dev/null 2>"$tmp/err"
    [ $? -eq 2 ] && grep -q "h2.yaml:2: key 'hosts': no such host file" "$tmp/err" || fail "missing host file: $(cat "$tmp/err")"
    timeout $((60 * slow)) "$mtsim" run virtio-gpu-wc-upload --host ./nohost.yaml >/dev/null 2>"$tmp/err"
    [ $? -eq 2 ] && grep -q "nohost.yaml" "$tmp/err" || fail "run with a missing host file: $(cat "$tmp/err")" ;;
*)
    echo "unknown check $check"; exit 2 ;;
esac
[ $fails -eq 0 ] && echo "ok: $check" || exit 1
