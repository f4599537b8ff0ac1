#!/usr/bin/env bash
# One test of the litmus catalogue (scenarios/litmus/): `mtsim litmus` runs it and its Allow or
# Forbid (the file's Expect= line, from x86-TSO) must agree with what the runs observed: an
# Allow outcome seen at least once, a Forbid outcome never. Usage: catalogue_test.sh MTSIM FILE RUNS
set -u
mtsim=${1:?usage: catalogue_test.sh MTSIM FILE RUNS}
file=${2:?litmus file}
runs=${3:?runs}
shift 3
out=$(timeout 120 "$mtsim" litmus "$file" --runs "$runs" --seed 1 "$@" 2>&1)
rc=$?
echo "$out"
grep -q '^Expect=' "$file" || { echo "FAIL: $file states no Expect= (Allow or Forbid)"; exit 1; }
[ $rc -eq 0 ] || { echo "FAIL: mtsim litmus exited $rc"; exit 1; }
grep -q -E '^Expect (allow|forbid): agrees' <<<"$out" || { echo "FAIL: no agreement line"; exit 1; }
echo PASS
