#!/bin/bash
# Command-line tests of litmus tests (docs/litmus.md): registers and locations in run --json,
# mtsim litmus's histogram, its determinism per seed, SB observed and SB+mfences never, bad
# conditions refused naming file:line.
# usage: litmus_cli_test.sh MTSIM CASE   (run from the source tree's root)
set -u
mtsim=$1
case_=$2
data=litmus/tests/data
fail() { echo "FAIL: $*"; exit 1; }
json_get() { python3 -c "import json,sys; r=json.load(sys.stdin); print($1)"; }

case $case_ in
run_json_registers)
    # One unperturbed run: both registers read 0 or 1, both locations end at 1, and
    # `satisfied` is exactly "both registers 0".
    r=$("$mtsim" run "$data/sb.yaml" --json) || fail "run failed"
    v=$(echo "$r" | json_get 'r["registers"]["vcpu0"]["r0"] in (0,1) and r["registers"]["vcpu1"]["r0"] in (0,1), r["locations"]["x"], r["locations"]["y"], r["litmus"]["satisfied"] == (r["registers"]["vcpu0"]["r0"] == 0 and r["registers"]["vcpu1"]["r0"] == 0), r["verdict"]')
    [ "$v" = "True 1 1 True race" ] || fail "SB run: $v"
    r=$("$mtsim" run "$data/sb-mfences.yaml" --json) || fail "run failed"
    v=$(echo "$r" | json_get 'r["litmus"]["satisfied"], r["litmus"]["outcome"]')
    [ "${v%% *}" = False ] || fail "SB+mfences run: $v"
    "$mtsim" run "$data/sb.yaml" | grep -Eq "^litmus: 0:r0=[01]; 1:r0=[01]; x=1; y=1; (satisfies|does not satisfy) exists" ||
        fail "text result: $("$mtsim" run "$data/sb.yaml")"
    ;;
sb_observed)
    out=$("$mtsim" litmus "$data/sb.yaml" --runs 60 --seed 1 --jobs 2) || fail "exit $?: $out"
    echo "$out" | grep -q '^Ok$' || fail "SB not observed: $out"
    echo "$out" | grep -Eq '^[0-9]+ +\*>0:r0=0; 1:r0=0; x=1; y=1;$' || fail "no SB line: $out"
    echo "$out" | grep -q '^Expect allow: agrees$' || fail "$out"
    states=$(echo "$out" | sed -n 's/^Histogram (\([0-9]*\) states)$/\1/p')
    [ "$states" -ge 2 ] || fail "perturbation shows one outcome only: $out"
    ;;
sb_mfences_never)
    out=$("$mtsim" litmus "$data/sb-mfences.yaml" --runs 60 --seed 1 --jobs 2) || fail "exit $?: $out"
    echo "$out" | grep -q '^No$' || fail "SB+mfences observed: $out"
    echo "$out" | grep -q '^Observation sb-mfences Never 0 60$' || fail "$out"
    ;;
json_shape)
    # `mtsim litmus --json` (docs/litmus.md §3): every documented field with its type, the
    # schema version, and nothing undocumented (a new field must be documented, and added here).
    "$mtsim" litmus "$data/sb.yaml" --runs 4 --seed 1 --json >"${TMPDIR:-/tmp}/litmus_shape.$$" ||
        fail "exit $?"
    python3 - "${TMPDIR:-/tmp}/litmus_shape.$$" <<'P' || fail "shape: $(cat "${TMPDIR:-/tmp}/litmus_shape.$$")"
import json, sys
j = json.load(open(sys.argv[1]))
num = (int, float)
want = {"schema_version": int, "test": str, "file": str, "host": str, "runs": int, "seed": int,
        "jobs": int, "quantifier": str, "condition": str, "expect": (str, type(None)),
        "histogram": list, "states": int, "positive": int, "negative": int, "result": str,
        "observation": str, "agrees": (bool, type(None)), "verdicts": dict, "failed": list,
        "seconds": num, "runs_per_second": num, "version": str}
assert set(j) == set(want), sorted(set(j) ^ set(want))
for k, t in want.items():
    assert isinstance(j[k], t) and not (t is int and isinstance(j[k], bool)), (k, j[k])
assert j["schema_version"] == 1, j["schema_version"]
assert j["quantifier"] in ("exists", "~exists", "forall") and j["result"] in ("Ok", "No")
assert j["observation"] in ("Never", "Sometimes", "Always")
assert j["runs"] == 4 and j["positive"] + j["negative"] == 4 and j["states"] == len(j["histogram"])
assert sum(b["count"] for b in j["histogram"]) == 4
for b in j["histogram"]:
    assert set(b) == {"outcome", "count", "satisfied", "registers", "locations"}, b
    assert isinstance(b["outcome"], str) and isinstance(b["satisfied"], bool)
    assert set(b["registers"]) == {"vcpu0", "vcpu1"} and set(b["locations"]) == {"x", "y"}, b
    assert all(isinstance(v, int) for r in b["registers"].values() for v in r.values())
assert sum(j["verdicts"].values()) == 4 and j["failed"] == []
P
    rm -f "${TMPDIR:-/tmp}/litmus_shape.$$"
    ;;
same_seed_same_histogram)
    a=$("$mtsim" litmus "$data/sb.yaml" --runs 30 --seed 7 --json | json_get 'json.dumps(r["histogram"])')
    b=$("$mtsim" litmus "$data/sb.yaml" --runs 30 --seed 7 --jobs 2 --json | json_get 'json.dumps(r["histogram"])')
    [ -n "$a" ] && [ "$a" = "$b" ] || fail "seed 7 twice: $a / $b"
    ;;
replay_one_run)
    # A run of the exploration is replayed by mtsim run with its run.perturb.
    s=$(python3 -c "
m=(1<<64)-1
def sm(x):
    x=(x+0x9e3779b97f4a7c15)&m; x=((x^(x>>30))*0xbf58476d1ce4e5b9)&m
    x=((x^(x>>27))*0x94d049bb133111eb)&m; return x^(x>>31)
print(sm(3+0))")
    a=$("$mtsim" litmus "$data/sb.yaml" --runs 1 --seed 3 --json | json_get 'r["histogram"][0]["outcome"]')
    b=$("$mtsim" run "$data/sb.yaml" --set run.perturb=$s --json | json_get 'r["litmus"]["outcome"], r["config"]["run"]["perturb"]')
    [ "$b" = "$a $s" ] || fail "replay: '$a' vs '$b'"
    ;;
bad_inputs)
    t=$(mktemp -d)
    sed "s#^  exists: .*#  exists: '0:r0=0 /\\\\ 2:r0=0'#" "$data/sb.yaml" > "$t/a.yaml"
    sed -i "s#include: ../../../#include: $PWD/#" "$t/a.yaml"
    out=$("$mtsim" litmus "$t/a.yaml" 2>&1); rc=$?
    [ $rc = 2 ] || fail "unknown register: exit $rc: $out"
    echo "$out" | grep -q "a.yaml:19: key 'litmus.exists'.*'2:r0': no load of vcpu2" || fail "$out"
    sed "s#^  exists: .*#  exists: '0:r0=0 /\\\\'#" "$t/a.yaml" > "$t/b.yaml"
    out=$("$mtsim" run "$t/b.yaml" 2>&1); rc=$?
    [ $rc = 2 ] || fail "malformed condition: exit $rc: $out"
    echo "$out" | grep -q "b.yaml:19: key 'litmus.exists'.*at character 10" || fail "$out"
    sed 's#len: 4, value: 1}#len: 1, value: 256}#' "$t/a.yaml" > "$t/c.yaml"
    out=$("$mtsim" run "$t/c.yaml" 2>&1); rc=$?
    [ $rc = 2 ] && echo "$out" | grep -q "c.yaml:15: key 'programs.vcpu0\[0\].store.value'" ||
        fail "value too wide: $rc $out"
    out=$("$mtsim" litmus "$PWD/scenarios/catalogue/01-virtio-gpu-wc-upload.yaml" 2>&1); rc=$?
    [ $rc = 2 ] && echo "$out" | grep -q "not a litmus test" || fail "non-litmus file: $rc $out"
    out=$("$mtsim" litmus "$data/sb.yaml" --runs 0 2>&1); rc=$?
    [ $rc = 2 ] && echo "$out" | grep -q -- "--runs" || fail "--runs 0: $rc $out"
    rm -rf "$t"
    ;;
*)
    fail "unknown case $case_"
    ;;
esac
echo ok
