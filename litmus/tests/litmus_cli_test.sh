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
    # Without perturbation both vCPUs start together: each load reads the cache while the
    # other's store still sits in its store buffer (x86-TSO's SB outcome). Final values: 1.
    r=$("$mtsim" run "$data/sb.yaml" --json) || fail "run failed"
    v=$(echo "$r" | json_get 'r["registers"]["vcpu0"]["r0"], r["registers"]["vcpu1"]["r0"], r["locations"]["x"], r["locations"]["y"], r["litmus"]["satisfied"], r["verdict"]')
    [ "$v" = "0 0 1 1 True race" ] || fail "SB run: $v"
    r=$("$mtsim" run "$data/sb-mfences.yaml" --json) || fail "run failed"
    v=$(echo "$r" | json_get 'r["litmus"]["satisfied"], r["litmus"]["outcome"]')
    [ "${v%% *}" = False ] || fail "SB+mfences run: $v"
    "$mtsim" run "$data/sb.yaml" | grep -q "^litmus: 0:r0=0; 1:r0=0; x=1; y=1; satisfies exists" ||
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
same_seed_same_histogram)
    a=$("$mtsim" litmus "$data/sb.yaml" --runs 30 --seed 7 --json | json_get 'json.dumps(r["histogram"])')
    b=$("$mtsim" litmus "$data/sb.yaml" --runs 30 --seed 7 --jobs 2 --json | json_get 'json.dumps(r["histogram"])')
    [ -n "$a" ] && [ "$a" = "$b" ] || fail "seed 7 twice: $a / $b"
    c=$("$mtsim" litmus "$data/sb.yaml" --runs 30 --seed 8 --json | json_get 'json.dumps(r["histogram"])')
    [ "$a" != "$c" ] || fail "seeds 7 and 8 gave the same histogram (no perturbation?)"
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
    echo "$out" | grep -q "a.yaml:16: key 'litmus.exists'.*'2:r0': no load of vcpu2" || fail "$out"
    sed "s#^  exists: .*#  exists: '0:r0=0 /\\\\'#" "$t/a.yaml" > "$t/b.yaml"
    out=$("$mtsim" run "$t/b.yaml" 2>&1); rc=$?
    [ $rc = 2 ] || fail "malformed condition: exit $rc: $out"
    echo "$out" | grep -q "b.yaml:16: key 'litmus.exists'.*at character 10" || fail "$out"
    sed 's#len: 4, value: 1}#len: 1, value: 256}#' "$t/a.yaml" > "$t/c.yaml"
    out=$("$mtsim" run "$t/c.yaml" 2>&1); rc=$?
    [ $rc = 2 ] && echo "$out" | grep -q "c.yaml:12: key 'programs.vcpu0\[0\].store.value'" ||
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
