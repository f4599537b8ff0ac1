#!/usr/bin/env bash
# The herdtools7 format at the command line. Usage: herd_cli_test.sh MTSIM CASE
set -u
mtsim=${1:?usage: herd_cli_test.sh MTSIM CASE}
case_name=${2:?case}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# SB exactly as herdtools7 writes it (no mtsim extension, no Expect= line).
cat >"$tmp/SB.litmus" <<'T'
X86 SB
"Fre PodWR Fre PodWR"
{x=0; y=0;}
 P0          | P1          ;
 MOV [x],$1  | MOV [y],$1  ;
 MOV EAX,[y] | MOV EAX,[x] ;
exists (0:EAX=0 /\ 1:EAX=0)
T

case $case_name in
herd_sb_runs_unchanged)
    # The verbatim herd file runs, reports herd's histogram and observes the store-buffering
    # outcome (x86-TSO allows it) at least once.
    timeout 120 "$mtsim" litmus "$tmp/SB.litmus" --runs 100 --seed 1 --jobs 2 >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ $rc -eq 0 ] || fail "exit $rc: $(head -c 400 "$tmp/err")"
    grep -q '^Histogram' "$tmp/out" || fail "no histogram: $(head -c 400 "$tmp/out")"
    grep -q '^Ok$' "$tmp/out" || fail "SB's outcome never observed: $(cat "$tmp/out")"
    grep -q 'Condition exists' "$tmp/out" || fail "no condition line"
    ;;
run_reports_registers)
    # `mtsim run` reads a .litmus file too: one run, its registers in the JSON result.
    timeout 60 "$mtsim" run "$tmp/SB.litmus" --json >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ $rc -eq 0 ] || fail "exit $rc: $(head -c 400 "$tmp/err")"
    python3 - "$tmp/out" <<'P' || fail "registers missing: $(head -c 600 "$tmp/out")"
import json, sys
r = json.load(open(sys.argv[1]))
regs = r["registers"]
assert set(regs["vcpu0"]) == {"EAX"} and set(regs["vcpu1"]) == {"EAX"}, regs
assert set(r["locations"]) == {"x", "y"}, r["locations"]
assert r["locations"] == {"x": 1, "y": 1}, r["locations"]
P
    ;;
malformed_exits_2)
    # Each malformed file: exit 2 before anything runs, stderr names FILE:LINE.
    check() { # check LINE PATTERN: the file $tmp/bad.litmus
        timeout 60 "$mtsim" litmus "$tmp/bad.litmus" --runs 2 >"$tmp/out" 2>"$tmp/err"
        local rc=$?
        [ $rc -eq 2 ] || fail "exit $rc (want 2) for $(sed -n "$1p" "$tmp/bad.litmus")"
        grep -q -F "bad.litmus:$1:" "$tmp/err" || fail "no bad.litmus:$1: in: $(cat "$tmp/err")"
        grep -q -F -- "$2" "$tmp/err" || fail "no '$2' in: $(cat "$tmp/err")"
        [ -s "$tmp/out" ] && fail "stdout not empty: $(head -c 200 "$tmp/out")"
    }
    sed 's/MOV EAX,\[y\] | MOV EAX,\[x\]/MOV EAX,[y] | CPUID/' "$tmp/SB.litmus" >"$tmp/bad.litmus"
    check 6 "unsupported instruction 'CPUID'"
    sed 's/^ MOV \[x\],\$1  | MOV \[y\],\$1  ;/ MOV [x],$1  ;/' "$tmp/SB.litmus" >"$tmp/bad.litmus"
    check 5 "1 cells"
    sed 's/^X86 SB/PPC SB/' "$tmp/SB.litmus" >"$tmp/bad.litmus"
    check 1 "architecture 'PPC'"
    sed 's/0:EAX=0 \/\\ 1:EAX=0/0:EBX=0/' "$tmp/SB.litmus" >"$tmp/bad.litmus"
    check 7 "no load of P0"
    sed 's/{x=0; y=0;}/{x=3; y=0;}/' "$tmp/SB.litmus" >"$tmp/bad.litmus"
    check 3 "starts zeroed"
    sed 's/^ MOV \[x\],\$1  | MOV \[y\],\$1  ;/ MOV [x],$1  | MOV [y],$1 /' "$tmp/SB.litmus" >"$tmp/bad.litmus"
    check 5 "ends with ';'"
    sed 's/MOV EAX,\[y\] | MOV EAX,\[x\]/MOV EZX,[y] | MOV EAX,[x]/' "$tmp/SB.litmus" >"$tmp/bad.litmus"
    check 6 "operand 'EZX' is not [location], \$value or a register"
    sed 's/{x=0; y=0;}/{x=0; y=0;/' "$tmp/SB.litmus" >"$tmp/bad.litmus"
    check 4 "expected A=V"
    sed 's/0:EAX=0 \/\\ 1:EAX=0/0:EAX=0 \/\\ /' "$tmp/SB.litmus" >"$tmp/bad.litmus"
    check 7 "litmus.exists"
    sed 's/^exists (/exits (/' "$tmp/SB.litmus" >"$tmp/bad.litmus"
    check 7 "ends with ';'"
    ;;
yaml_locked_ops)
    # xchg and lock_add in YAML: no increment lost over seeded runs, the final XCHG reads 6.
    timeout 120 "$mtsim" litmus litmus/tests/data/locked_counter.yaml --runs 20 --seed 3 \
        >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ $rc -eq 0 ] || fail "exit $rc: $(head -c 400 "$tmp/err") $(cat "$tmp/out")"
    grep -q '^Expect forbid: agrees' "$tmp/out" || fail "an increment was lost: $(cat "$tmp/out")"
    grep -q 'Observation .* Never' "$tmp/out" || fail "not Never: $(cat "$tmp/out")"
    ;;
*)
    echo "unknown case $case_name"
    exit 2
    ;;
esac
[ $fails -eq 0 ] && echo PASS
exit $((fails > 0))
