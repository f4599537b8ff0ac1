#!/bin/bash
# Command-line tests of `mtsim walk` (scenarios/walk.h), raw guest/EPT entries in scenarios,
# and `mtsim list params|stats`.
# usage: walk_cli_test.sh MTSIM CASE   (run from the source tree's root)
set -u
mtsim=$1
case_=$2
data=scenarios/tests/data
fail() { echo "FAIL: $*"; exit 1; }
# walk FILE GVA ACCESS [flags...]: the JSON of one walk (exit 0 required)
walk() {
    local f=$1 gva=$2 acc=$3
    shift 3
    # 4 KiB EPT leaves: the reference counts below are those of a 4-level x 4-level 4 KiB walk
    "$mtsim" walk "$data/$f" --vcpu 0 --gva "$gva" --access "$acc" --json \
        --set host.kvm.ept.huge_pages=false "$@" ||
        fail "walk $f $gva $acc $*: exit $?"
}
# check JSON PYTHON: runs the python assertions with the walk as `w`
check() {
    python3 -c "
import json,sys
w=json.loads(sys.argv[1])
$2" "$1" || fail "$3"
}
nopsc=(--set platform.vcpu.mmu.tlb.ept_psc_entries=0 --set platform.vcpu.mmu.tlb.guest_psc_entries=0)

case $case_ in
translate_wc)
    # IPAT=0 host: the guest's WC survives; 4 KiB pages, no PSCs: 4 guest + 5x4 EPT references.
    j=$(walk walk-wc.yaml 0x200040 read --host linux-6.16-honor-pat "${nopsc[@]}")
    check "$j" '
assert w["outcome"]=="translated", w["outcome"]
assert w["references"]==24 and len(w["steps"])==24, w["references"]
st=w["steps"]
assert [s["stage"] for s in st].count("guest")==4
assert [s["level"] for s in st if s["stage"]=="guest"]==[4,3,2,1]
assert st[-1]["stage"]=="ept" and st[-1]["for_guest_level"]==0 and st[-1]["gpa"]=="0x200040"
for s in st:
    assert int(s["value"],16)!=0 and s["memtype"]=="WB" and s["cycles"]>0, s
assert w["cycles"]==sum(s["cycles"] for s in st)
assert w["gpa"]=="0x200040" and w["hpa"]=="0x40200040", (w["gpa"], w["hpa"])
assert w["effective_type"]=="WC", w["effective_type"]
d=w["derivation"]
assert d["guest_pat_type"]=="WC" and d["ept_type"]=="WB" and d["ipat"] is False
assert d["policy"]["ipat"] is False and d["policy"]["why"]
assert any("Table 11-7" in x for x in d["steps"]), d["steps"]
assert w["build"]["ept_violations_handled"]==5
' "WC page under an IPAT=0 host"
    # IPAT=1 host: WB, the guest PAT ignored.
    j=$(walk walk-wc.yaml 0x200040 write --host linux-6.16 "${nopsc[@]}")
    check "$j" '
assert w["outcome"]=="translated" and w["references"]==24
assert w["effective_type"]=="WB", w["effective_type"]
d=w["derivation"]
assert d["guest_pat_type"]=="WC" and d["ipat"] is True and d["policy"]["ipat"] is True
' "WC page under an IPAT=1 host"
    # With the paging-structure caches on, the walk's later EPT translations skip levels.
    j=$(walk walk-wc.yaml 0x200040 read)
    check "$j" 'assert w["outcome"]=="translated" and w["references"]<24, w["references"]' \
        "PSCs shorten the walk"
    out=$("$mtsim" walk "$data/walk-wc.yaml" --vcpu 0 --gva 0x200040 --access read \
        --host linux-6.16-honor-pat) || fail "human-readable walk: exit $?"
    echo "$out" | grep -q "effective memory type: WC" || fail "human-readable: $out"
    echo "$out" | grep -q "Table 11-7" || fail "human-readable derivation: $out"
    ;;
ept_violation)
    # Leaf made execute-only: a final-translation violation, qualification R / --X / final.
    j=$(walk walk-ept-violation.yaml 0x200000 read)
    check "$j" '
assert w["outcome"]=="ept-violation", w["outcome"]
e=w["exit"]; q=e["qualification_bits"]
assert e["exit_reason"]==48 and e["gpa"]=="0x200000" and e["qualification"]=="0x1a1", e
assert q["data_read"]==1 and q["data_write"]==0 and q["readable"]==0 and q["writable"]==0
assert q["executable"]==1 and q["gla_valid"]==1 and q["final_translation"]==1
assert (int(w["steps"][-1]["value"],16) & 7) == 4
assert e["memslot"]["name"]=="ram" and e["memslot"]["kind"]=="ram", e
' "leaf violation"
    # The GPU's BAR: no EPT leaf, an MMIO memslot (KVM hands the access to the VMM).
    j=$(walk walk-wc.yaml 0xfe000000 write)
    check "$j" '
e=w["exit"]
assert w["outcome"]=="ept-violation" and e["qualification_bits"]["final_translation"]==1, e
assert e["memslot"]["kind"]=="mmio", e
' "MMIO BAR violation"
    # A write to it: W in the qualification.
    j=$(walk walk-ept-violation.yaml 0x200008 write)
    check "$j" 'q=w["exit"]["qualification_bits"]; assert q["data_write"]==1 and q["data_read"]==0, q' \
        "write violation"
    # Level-3 entry execute-only: the first guest-table access violates, not final.
    j=$(walk walk-ept-violation-l3.yaml 0x200000 read)
    check "$j" '
e=w["exit"]; q=e["qualification_bits"]
assert w["outcome"]=="ept-violation" and e["qualification"]=="0xa1", e
assert q["final_translation"]==0 and q["gla_valid"]==1 and q["readable"]==0
assert e["gpa"]!="0x200000"
' "non-leaf violation"
    ;;
ept_misconfig)
    j=$(walk walk-ept-misconfig.yaml 0x200000 read)
    check "$j" '
e=w["exit"]
assert w["outcome"]=="ept-misconfig" and e["exit_reason"]==49, e
assert "memory type 2, 3 or 7" in e["misconfig"] and e["level"]==1, e
assert ((int(e["entry"],16) >> 3) & 7) == 2
' "memory type 2 in a leaf"
    j=$(walk walk-ept-misconfig.yaml 0x201000 read)
    check "$j" '
e=w["exit"]
assert w["outcome"]=="ept-misconfig" and "write without read" in e["misconfig"], e
assert (int(e["entry"],16) & 7) == 6
' "write without read"
    ;;
guest_pf)
    j=$(walk walk-guest-pf.yaml 0x201000 write)
    check "$j" '
e=w["exit"]; b=e["error_code_bits"]
assert w["outcome"]=="page-fault" and e["vector"]==14 and e["cr2"]=="0x201000", e
assert b["P"]==0 and b["W/R"]==1 and b["U/S"]==0 and b["RSVD"]==0, b
assert e["level"]==1 and (int(e["entry"],16) & 1) == 0
' "guest #PF from a raw PTE"
    # The neighbouring page is untouched.
    j=$(walk walk-guest-pf.yaml 0x200000 read)
    check "$j" 'assert w["outcome"]=="translated"' "the other page still translates"
    ;;
bad_inputs)
    bad() {
        local want=$1
        shift
        out=$("$mtsim" walk "$@" 2>&1); rc=$?
        [ $rc -eq 2 ] || fail "walk $*: exit $rc, expected 2 ($out)"
        echo "$out" | grep -q -- "$want" || fail "walk $*: message lacks '$want': $out"
    }
    f=$data/walk-wc.yaml
    bad "vcpu3 does not exist" "$f" --vcpu 3 --gva 0x200000 --access read
    bad "0x900000 is not mapped" "$f" --vcpu 0 --gva 0x900000 --access read
    bad "'exec' is not valid" "$f" --vcpu 0 --gva 0x200000 --access exec
    bad "'zz' is not an address" "$f" --vcpu 0 --gva zz --access read
    bad "gva" "$f" --vcpu 0 --access read
    bad "unrecognised" "$f" --vcpu 0 --gva 0x200000 --access read --bogus
    bad "walk-bad-raw.yaml:8: key 'raw_ept\[0\].level'" "$data/walk-bad-raw.yaml" --vcpu 0 \
        --gva 0x200000 --access read
    bad "walk-bad-raw-key.yaml:8: key 'guest.raw_pte\[0\].sett'" "$data/walk-bad-raw-key.yaml" \
        --vcpu 0 --gva 0x200000 --access read
    bad "walk-bad-raw-both.yaml:8: key 'raw_ept\[0\]': give either value or set/clear" \
        "$data/walk-bad-raw-both.yaml" --vcpu 0 --gva 0x200000 --access read
    out=$("$mtsim" run "$data/walk-bad-raw.yaml" 2>&1); rc=$?
    [ $rc -eq 2 ] && echo "$out" | grep -q "walk-bad-raw.yaml:8: key 'raw_ept\[0\].level'" ||
        fail "run with a bad raw EPT level: exit $rc: $out"
    bad "nosuch" "$f" --vcpu 0 --gva 0x200000 --access read --set platform.nosuch=1
    ;;
list_params_stats)
    out=$("$mtsim" list params) || fail "list params: exit $?"
    echo "$out" | grep -Eq '^platform\.cache\.l1d\.size +32KiB +bytes +capacity' ||
        fail "list params lacks platform.cache.l1d.size with default and unit"
    echo "$out" | grep -Eq '^run\.quantum_ns +100 +ns ' || fail "list params lacks run.quantum_ns"
    n=$(echo "$out" | wc -l); [ "$n" -gt 50 ] || fail "list params: only $n lines"
    out=$("$mtsim" list stats) || fail "list stats: exit $?"
    echo "$out" | grep -Eq '^platform\.kvm\.exits_ept_violation +exits +EPT-violation exits' ||
        fail "list stats lacks platform.kvm.exits_ept_violation"
    echo "$out" | grep -Eq '^platform\.vcpu0\.mmu\.walks +walks ' || fail "list stats lacks walks"
    out=$("$mtsim" list stats "$data/walk-wc.yaml") || fail "list stats FILE: exit $?"
    echo "$out" | grep -q 'walk-wc.yaml' || fail "list stats FILE: header"
    out=$("$mtsim" list nosuch 2>&1); [ $? -eq 2 ] || fail "list nosuch accepted"
    ;;
*)
    fail "unknown case $case_"
    ;;
esac
echo PASS
