#!/bin/bash
# Command-line tests of the field scenarios' verdict classes: the cause chain of a `hang` (where
# the poller's loads were served from, the EPT decision), its threshold, the derivation of a
# `machine-check`, the unplug edge's zaps (VFIO file and KVM virtio device close), guest MTRR
# writes per era, and bad poll/unplug/wrmsr inputs.
# usage: field_cli_test.sh MTSIM CASE   (run from the source tree's root)
set -u
mtsim=$1
case_=$2
data=scenarios/tests/data
cat=scenarios/catalogue
fail() { echo "FAIL: $*"; exit 1; }
json() { python3 -c "import json,sys; r=json.load(sys.stdin); print($1)"; }

bad() {
    local file=$1 line=$2 key=$3
    out=$("$mtsim" run "$data/$file" 2>&1); rc=$?
    [ $rc -eq 2 ] || fail "$file: exit $rc, expected 2 ($out)"
    echo "$out" | grep -q "$data/$file:$line: key '$key'" ||
        fail "$file: message does not name $file:$line key '$key': $out"
}

case $case_ in
hang_cause_chain)
    out=$("$mtsim" run "$cat/15-venus-fence-poll.yaml" --host linux-6.16 --json) || fail "run: $out"
    [ "$(json "r['verdict']" <<<"$out")" = hang ] || fail "verdict: $(json "r['verdict']" <<<"$out")"
    c=$(json "json.dumps(r['causes'][0])" <<<"$out")
    grep -q '"finding": "hang: poll by vcpu0' <<<"$c" || fail "finding: $c"
    # nlohmann's objects keep their keys sorted: dirty, holds, state, where.
    grep -q '"holds": "[0-3]/4 bytes of the expected write", "state": "E", "where": "pCPU0 L1D"' <<<"$c" ||
        fail "the poller's own L1D line in E without the new value is not in the chain: $c"
    grep -q '"holds": "4/4 bytes of the expected write", "where": "DRAM"' <<<"$c" ||
        fail "DRAM holding the fence is not in the chain: $c"
    [ "$(json "r['causes'][0]['ept']['ipat']" <<<"$out")" = True ] || fail "EPT decision: $c"
    [ "$(json "r['causes'][0]['poll']['type']" <<<"$out")" = WB ] || fail "poll type: $c"
    ;;
hang_threshold)
    # The same timeout is a hang only when the fence completed hang_cycles before the last read:
    # with a threshold above the poll's whole budget it is not (the later load of the result,
    # never acquired, races with the GPU's write).
    v=$("$mtsim" run "$cat/15-venus-fence-poll.yaml" --host linux-6.16 --set run.hang_cycles=1000000 --json | json "r['verdict']")
    [ "$v" = race ] || fail "hang_cycles above the budget: $v"
    v=$("$mtsim" run "$cat/15-venus-fence-poll.yaml" --host linux-6.16 --set 'programs.vcpu0[1].poll.max_cycles=1000' --json | json "r['verdict']")
    [ "$v" = race ] || fail "a poll that gave up before the fence was written: $v"
    ;;
machine_check_derivation)
    out=$("$mtsim" run "$cat/16-vga-window-wb-machine-check.yaml" --host linux-6.6 --json) || fail "run: $out"
    [ "$(json "r['verdict']" <<<"$out")" = machine-check ] || fail "verdict"
    [ "$(json "r['causes'][0]['access']['effective_type']" <<<"$out")" = WB ] || fail "type: $out"
    [ "$(json "r['causes'][0]['access']['hpa']" <<<"$out")" = 0xa8000 ] || fail "hpa: $out"
    [ "$(json "r['causes'][0]['derivation']['guest_pat_type']" <<<"$out")" = UC ] || fail "pat"
    [ "$(json "r['causes'][0]['derivation']['ept']['ipat']" <<<"$out")" = True ] || fail "ipat"
    v=$("$mtsim" run "$cat/16-vga-window-wb-machine-check.yaml" --host linux-6.11-rc --json | json "r['verdict']")
    [ "$v" = clean ] || fail "guest PAT honored: $v"
    ;;
unplug_zaps)
    z=$("$mtsim" run "$cat/17-hotunplug-noncoherent-zap.yaml" --host linux-6.16 --json | json "r['stats']['zaps']")
    [ "$z" = 2 ] || fail "6.16 zaps on 0->1 and 1->0: $z"
    z=$("$mtsim" run "$cat/17-hotunplug-noncoherent-zap.yaml" --host linux-6.6 --json | json "r['stats']['zaps']")
    [ "$z" = 0 ] || fail "6.6 never zaps: $z"
    ;;
virtio_close_zaps)
    # The KVM virtio device's close is the 1 -> 0 edge: a 6.10 base zaps on both edges and the
    # blob's WC entry (IPAT=0) comes back WB with IPAT=1; a host without the device never counts.
    f="$cat/17b-virtio-close-noncoherent-zap.yaml"
    out=$("$mtsim" run "$f" --host kvm-virtio-rfc --json) || fail "run: $out"
    [ "$(json "r['verdict'], r['stats']['zaps']" <<<"$out")" = "clean 2" ] ||
        fail "kvm-virtio-rfc: $(json "r['verdict'], r['stats']['zaps']" <<<"$out")"
    z=$("$mtsim" run "$f" --host linux-6.10 --json | json "r['stats']['zaps']")
    [ "$z" = 0 ] || fail "no KVM virtio device, yet $z zaps"
    # Without the close, the rfc host zaps once (the 0 -> 1 edge at set-up).
    t=$(mktemp --suffix=.yaml)
    sed -e "s#include: shared/#include: $PWD/$cat/shared/#" -e '/^    - unplug$/d' "$f" > "$t"
    z=$("$mtsim" run "$t" --host kvm-virtio-rfc --json | json "r['stats']['zaps']")
    rm -f "$t"
    [ "$z" = 1 ] || fail "without the close: $z zaps"
    ;;
mtrr_wrmsr_zap)
    # 24b: the guest's WRMSRs to a variable-range MTRR after KVM built the buffer's leaf. 6.10
    # (non-coherent) zaps the written ranges and the rebuilt leaf is the guest MTRR's UC; 6.15
    # keeps the values only: the leaf stays WB and the GPU's No-Snoop read is stale.
    f="$cat/24b-guest-mtrr-variable-range-wrmsr.yaml"
    out=$("$mtsim" run "$f" --host linux-6.10 --json) || fail "run: $out"
    [ "$(json "r['verdict'], r['stats']['exits_wrmsr'], r['stats']['mtrr_zaps']" <<<"$out")" = "clean 2 2" ] ||
        fail "linux-6.10: $(json "r['verdict'], r['stats']['exits_wrmsr'], r['stats']['mtrr_zaps']" <<<"$out")"
    out=$("$mtsim" run "$f" --host linux-6.15 --json)
    [ "$(json "r['verdict'], r['stats']['exits_wrmsr'], r['stats']['mtrr_zaps']" <<<"$out")" = "stale-read 2 0" ] ||
        fail "linux-6.15: $(json "r['verdict'], r['stats']['exits_wrmsr'], r['stats']['mtrr_zaps']" <<<"$out")"
    # Without the valid bit the range does not exist: 6.10 zaps, and rebuilds WB (stale-read).
    v=$("$mtsim" run "$f" --host linux-6.10 --set 'programs.vcpu0[2].wrmsr.value=0x3ffffffff000' --json | json "r['verdict']")
    [ "$v" = stale-read ] || fail "invalid range on 6.10: $v"
    ;;
mtrr_bad_inputs)
    bad bad-wrmsr-msr.yaml 7 'programs.vcpu0\[0\].wrmsr.msr'
    bad bad-wrmsr-gp.yaml 7 'programs.vcpu0\[0\].wrmsr.value'
    bad bad-wrmsr-vmm.yaml 9 'programs.vmm\[0\].wrmsr'
    out=$("$mtsim" run "$data/bad-wrmsr-gp.yaml" 2>&1)
    echo "$out" | grep -q "#GP: IA32_MTRR_PHYSBASE0: type 2 is reserved" || fail "no #GP reason: $out"
    ;;
poll_bad_inputs)
    bad bad-poll-no-until.yaml 7 'programs.vcpu0\[0\].poll.until'
    bad bad-poll-misaligned.yaml 7 'programs.vcpu0\[0\].poll.offset'
    bad bad-poll-len.yaml 7 'programs.vcpu0\[0\].poll.len'
    bad bad-unplug-vcpu.yaml 8 'programs.vcpu0\[1\].unplug'
    ;;
*)
    fail "unknown case $case_"
    ;;
esac
echo ok
