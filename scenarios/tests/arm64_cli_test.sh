#!/bin/bash
# Command-line tests of the arm64 platform (scenarios/arm64_scenario.h): a scenario runs clean
# under the four arm64 hosts with stage-2 aborts built by KVM/arm64, the matrix prints x86
# pairs n/a, buffer types are checked against platform.arch, unsupported ops are refused, and
# `mtsim walk` shows both stages and their combination.
# usage: arm64_cli_test.sh MTSIM CASE   (run from the source tree's root)
set -u
mtsim=$1
case_=$2
data=scenarios/tests/data
hosts=linux-arm64-6.8,linux-arm64-6.9,linux-arm64-6.17,linux-arm64-6.17-nofwb
fail() { echo "FAIL: $*"; exit 1; }
check() {
    python3 -c "
import json,sys
w=json.loads(sys.argv[1])
$2" "$1" || fail "$3"
}

case $case_ in
runs_clean)
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    # stat PATH: one statistic's value from the run's --stats file
    stat() { python3 -c "
import json,sys
v=json.load(open(sys.argv[1]))['stats']
for k in sys.argv[2].split('.'): v=v[k]
print(v['value'])" "$tmp/$h.json" "$1"; }
    for h in ${hosts//,/ }; do
        j=$("$mtsim" run "$data/arm64-two-vcpus.yaml" --host "$h" --json --stats "$tmp/$h.json") ||
            fail "$h: exit $?"
        check "$j" 'assert w["verdict"]=="clean", w["verdict"]' "$h: $j"
        # vcpu0 touches 3 data pages and 5 stage-1 table pages: a stage-2 abort and leaf each.
        [ "$(stat platform.kvm.exits_stage2_abort)" = 8 ] || fail "$h: stage-2 aborts"
        [ "$(stat platform.kvm.s2_leaves_built)" = 8 ] || fail "$h: leaves"
        [ "$(stat platform.kvm.exits_ept_violation)" = 0 ] || fail "$h: EPT violations"
        [ "$(stat platform.vcpu1.arm64_mmu.walks)" -gt 0 ] || fail "$h: no arm64 walks"
    done
    # Without FWB stage 2 leaves the Normal-NC buffer NC (the WC path drains); with FWB RAM is
    # forced Write-Back and nothing goes through the WC buffers.
    h=linux-arm64-6.17-nofwb
    check "$("$mtsim" run "$data/arm64-two-vcpus.yaml" --host $h --json)" \
        'assert w["stats"]["wc_drains"]>0, w["stats"]' "nofwb: no WC drain"
    check "$("$mtsim" run "$data/arm64-two-vcpus.yaml" --host linux-arm64-6.17 --json)" \
        'assert w["stats"]["wc_drains"]==0, w["stats"]' "fwb: a WC drain"
    ;;
matrix_na)
    out=$("$mtsim" matrix "$data/arm64-two-vcpus.yaml" "$data/first-store.yaml" \
        --hosts "$hosts,linux-6.16" --json) || fail "matrix exit $?: $out"
    check "$out" '
cells={(c["scenario"],c["host"]):c["verdict"] for c in w}
for h in ["linux-arm64-6.8","linux-arm64-6.9","linux-arm64-6.17","linux-arm64-6.17-nofwb"]:
    assert cells[("arm64-two-vcpus",h)]=="clean", cells
    assert cells[("first-store",h)]=="n/a", cells
assert cells[("arm64-two-vcpus","linux-6.16")]=="n/a", cells
' "matrix: $out"
    ;;
bad_types)
    out=$("$mtsim" run "$data/arm64-bad-x86-type.yaml" --host linux-arm64-6.9 2>&1); rc=$?
    [ $rc -eq 2 ] || fail "x86 type on arm64: exit $rc: $out"
    echo "$out" | grep -q "arm64-bad-x86-type.yaml:6: key 'guest.buffers\[0\].pat'" || fail "$out"
    out=$("$mtsim" run "$data/arm64-bad-arm64-type.yaml" 2>&1); rc=$?
    [ $rc -eq 2 ] || fail "arm64 type on x86: exit $rc: $out"
    echo "$out" | grep -q "arm64-bad-arm64-type.yaml:5: key 'guest.buffers\[0\].pat'" || fail "$out"
    ;;
unsupported_op)
    out=$("$mtsim" run "$data/arm64-unsupported-op.yaml" --host linux-arm64-6.9 2>&1); rc=$?
    [ $rc -eq 2 ] || fail "doorbell on arm64: exit $rc: $out"
    echo "$out" | grep -qi "not modelled" || fail "$out"
    echo "$out" | grep -q "doorbell" || fail "$out"
    ;;
walk)
    j=$("$mtsim" walk "$data/arm64-two-vcpus.yaml" --host linux-arm64-6.17-nofwb --vcpu 0 \
        --gva 0x200040 --access write --json) || fail "walk exit $?"
    check "$j" '
assert w["arch"]=="arm64" and w["outcome"]=="translated", w["outcome"]
assert w["references"]==24 and len(w["steps"])==24, w["references"]
assert [s["stage"] for s in w["steps"]].count("stage1")==4
assert w["build"]["stage2_aborts_handled"]>=1
assert w["ipa"]=="0x200040" and w["pa"]=="0x40200040", (w["ipa"], w["pa"])
assert w["stage1"]["type"]=="Normal-NC" and w["stage1"]["attr_index"]==2, w["stage1"]
assert w["stage2"]["fwb"]==False and w["stage2"]["attribute"]=="Normal-WB", w["stage2"]
assert w["stage2"]["policy"]["name"]=="linux-arm64-6.17"
assert w["effective_type"]=="Normal-NC" and w["memory_path"]["memtype"]=="WC", w
' "walk nofwb: $j"
    j=$("$mtsim" walk "$data/arm64-two-vcpus.yaml" --host linux-arm64-6.17 --vcpu 0 \
        --gva 0x200040 --access read --json) || fail "walk exit $?"
    check "$j" '
assert w["stage2"]["fwb"]==True
assert w["effective_type"]=="Normal-WB" and w["memory_path"]["memtype"]=="WB", w
' "walk fwb: $j"
    "$mtsim" walk "$data/arm64-two-vcpus.yaml" --host linux-arm64-6.8 --vcpu 0 --gva 0x100000 \
        --access read | grep -q "MAIR_EL1.Attr0 0xff = Normal-WB" || fail "walk text"
    ;;
bar_write_combining)
    # Stage 2 Device-nGnRE (6.8) makes every 8-byte store its own transaction; Normal-NC
    # (6.9+) gathers them in the WC buffers: the measured stream costs several times more
    # under 6.8, and both are clean.
    j=$("$mtsim" matrix scenarios/catalogue/arm64-bar-write-combining.yaml --hosts $hosts --json) ||
        fail "matrix failed: $j"
    check "$j" "
cells={c['host']:c for c in w}
us={h:c['cost_us'] for h,c in cells.items()}
assert all(c['cost_basis']=='measure' for c in cells.values()), cells
assert all(c['verdict']=='clean' for c in cells.values()), cells
for h in ('linux-arm64-6.9','linux-arm64-6.17','linux-arm64-6.17-nofwb'):
    assert us['linux-arm64-6.8'] > 4*us[h], us
" "6.8 not several times 6.9+"
    ;;
cacheable_device_memory)
    # Atomics on coherent device memory: not Normal-WB at stage 2 before 6.17 (malfunction,
    # naming the stage-2 type), cacheable with FWB (clean), the slot refused without FWB.
    j=$("$mtsim" matrix scenarios/catalogue/arm64-cacheable-device-memory.yaml --hosts $hosts --json) ||
        fail "matrix failed: $j"
    check "$j" "
v={c['host']:c['verdict'] for c in w}
assert v=={'linux-arm64-6.8':'malfunction','linux-arm64-6.9':'malfunction',
           'linux-arm64-6.17':'clean','linux-arm64-6.17-nofwb':'refused'}, v
" "verdicts"
    r=$("$mtsim" run scenarios/catalogue/arm64-cacheable-device-memory.yaml --host linux-arm64-6.8)
    echo "$r" | grep -q "lse-atomic shared+0x0: Device-nGnRE" || fail "6.8 cause: $r"
    ;;
*)
    fail "unknown case $case_"
    ;;
esac
echo "ok: $case_"
