#!/usr/bin/env bash
# Replays one minimized fuzzer finding through `mtsim run`: exit 0 or 1 (a verdict) or 2 (bad
# input, not modelled, refused) passes; a signal, exit 3 (internal error) or a run longer than
# 30 s fails.   usage: replay.sh MTSIM INPUT.yaml
set -u
mtsim=$1 input=$2
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
timeout -k 5 30 "$mtsim" run "$input" --json >/dev/null 2>"${TMPDIR:-/tmp}/replay.$$.err"
rc=$?
err=$(head -c 2000 "${TMPDIR:-/tmp}/replay.$$.err")
rm -f "${TMPDIR:-/tmp}/replay.$$.err"
case $rc in
0 | 1 | 2) echo "ok: exit $rc ${err:+($err)}" ;;
124 | 137) echo "FAIL: $input ran longer than 30 s" >&2; exit 1 ;;
*) echo "FAIL: $input: exit $rc" >&2; echo "$err" >&2; exit 1 ;;
esac
