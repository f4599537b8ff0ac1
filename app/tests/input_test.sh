#!/usr/bin/env bash
# Bad input and failures at the command boundary: each check is one ctest entry, named after
# what it checks. Usage: input_test.sh MTSIM SOURCE_DIR CHECK
set -u
mtsim=${1:?usage: input_test.sh MTSIM SOURCE_DIR CHECK}
src=${2:?source dir}
check=${3:?check name}
cat_dir=$src/scenarios/catalogue
upload=$cat_dir/01-virtio-gpu-wc-upload.yaml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$cat_dir/shared" "$tmp/"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# refused "pattern" args...: exit 2, nothing on stdout, stderr contains pattern, no SystemC
# report text anywhere.
refused() {
    local pat=$1; shift
    local rc
    timeout 60 "$mtsim" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
    [ $rc -eq 2 ] || fail "exit $rc (want 2) for: $* ($(head -c 300 "$tmp/err"))"
    [ -s "$tmp/out" ] && fail "stdout not empty for: $*"
    grep -q -F -- "$pat" "$tmp/err" || fail "'$pat' not in stderr of: $* -> $(head -c 300 "$tmp/err")"
    grep -q -E "E549|In file:|Error: \(" "$tmp/err" && fail "SystemC report text for: $*"
}

# json_only args...: stdout is exactly one JSON document.
json_only() {
    python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/out" ||
        fail "stdout is not one JSON document for: $* -> $(head -c 200 "$tmp/out")"
}

# scenario NAME: a copy of the upload scenario in $tmp, edited by the python expression on stdin
scenario() {
    python3 -c 'import sys; t=open(sys.argv[1]).read(); exec(sys.stdin.read()); open(sys.argv[2],"w").write(t)' \
        "$upload" "$tmp/$1.yaml"
}

case $check in
stress_dram_error_is_a_reported_failure)
    timeout 60 "$mtsim" stress --ops 100 --set base=0x1000000000 --json >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ $rc -eq 1 ] || fail "exit $rc (want 1: violations) $(head -c 300 "$tmp/err")"
    json_only stress
    python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["violations"]>0 and j["reported"][0]["kind"]=="model-error", j["reported"][:1]' "$tmp/out" ||
        fail "no model-error violation reported" ;;
stress_json_has_nothing_before_it)
    timeout 60 "$mtsim" stress --ops 200 --json >"$tmp/out" 2>"$tmp/err" || fail "exit $?"
    json_only stress ;;
stress_counts_out_of_range_are_refused)
    refused "--ops" stress --ops -1
    refused "--ops" stress --ops 1.5
    refused "--accesses" bench --accesses -1
    refused "--dma-agents" stress --dma-agents -1
    refused "--agents" stress --agents 1000000
    refused "--agents" stress --agents 65 --json ;;
matrix_jobs_out_of_range_are_refused)
    refused "--jobs" matrix --jobs -1
    refused "--jobs" matrix --jobs 0
    refused "--jobs" matrix --jobs 65 ;;
stray_words_are_refused)
    refused "unexpected word 'foo'" stress foo
    refused "unexpected word 'foo'" bench foo ;;
directory_as_scenario_is_refused)
    refused "not a regular file" run "$tmp" --json
    refused "not a regular file" run "$tmp/shared" ;;
include_of_a_device_file_is_refused)
    printf 'include: /proc/self/mem\n' >"$tmp/inc.yaml"
    refused "/proc/self/mem" run "$tmp/inc.yaml" --json
    printf 'include: /tmp\n' >"$tmp/incdir.yaml"
    refused "not a regular file" run "$tmp/incdir.yaml" --json ;;
duplicate_keys_are_refused)
    scenario top <<<'t = t.replace("description:", "description: x\ndescription:", 1)'
    refused "top.yaml:6: key 'description': duplicate key" run "$tmp/top.yaml"
    scenario buf <<<'t = t.replace("pat: WC}", "pat: WC, pat: WB}", 1)'
    refused "key 'guest.buffers[0].pat': duplicate key" run "$tmp/buf.yaml"
    scenario op <<<'t = t.replace("- read: {buffer: blob}", "- read: {buffer: blob, buffer: blob}", 1)'
    refused "duplicate key" run "$tmp/op.yaml"
    scenario exp <<<'t = t.replace("  default: clean", "  default: clean\n  default: clean", 1)'
    refused "key 'expect.default': duplicate key" run "$tmp/exp.yaml" ;;
non_scalar_key_is_refused)
    printf '? [a, b]\n: 1\n' >"$tmp/nsk.yaml"
    refused "nsk.yaml:1: a key must be a plain name" run "$tmp/nsk.yaml" --json ;;
host_name_cannot_traverse)
    # A host is a name from the hosts folder; a path never walks out of it.
    refused "unknown host '..'" run "$upload" --host .. --json
    refused "unknown host '../../..'" run "$upload" --host ../../.. --json
    refused "unknown host '../catalogue/shared/platform'" run "$upload" \
        --host ../catalogue/shared/platform --json ;;
matrix_validates_every_file_before_running)
    cp "$upload" "$tmp/01-good.yaml"
    scenario 02-bad <<<'t = t.replace("size: 8KiB", "size: eight")'
    start=$(date +%s%N)
    refused "02-bad.yaml" matrix "$tmp/01-good.yaml" "$tmp/02-bad.yaml" --jobs 1
    ms=$((($(date +%s%N) - start) / 1000000))
    # Loading two files takes milliseconds; running the good file's cells takes seconds.
    [ $ms -lt 2000 ] || fail "the bad file was reported after ${ms} ms: cells ran first" ;;
children_die_with_their_parent)
    # bench runs each workload in a child (model/child_process.h, as matrix does its cells);
    # 10^9 accesses keep the first child busy for minutes.
    "$mtsim" bench --accesses 1000000000 --repeats 1 >/dev/null 2>&1 &
    parent=$!
    sleep 1
    kids=$(pgrep -P $parent)
    [ -n "$kids" ] || fail "no child running after 1 s"
    kill -KILL $parent
    wait $parent 2>/dev/null
    sleep 0.5
    left=0
    for k in $kids; do # a zombie waiting for its new parent to reap it is not running
        st=$(ps -o stat= -p "$k" 2>/dev/null)
        case $st in "" | Z*) ;; *) left=$((left + 1)); kill -KILL "$k" ;; esac
    done
    [ "$left" -eq 0 ] || fail "$left child process(es) still running after the parent was killed" ;;
every_command_answers_help)
    for c in run matrix walk list memtype stress bench sweep merge plot; do
        for h in --help -h; do
            timeout 60 "$mtsim" $c $h >"$tmp/out" 2>"$tmp/err" || fail "mtsim $c $h: exit $?"
            [ -s "$tmp/out" ] || fail "mtsim $c $h printed nothing"
            [ -s "$tmp/err" ] && fail "mtsim $c $h wrote to stderr: $(head -c 200 "$tmp/err")"
        done
        timeout 60 "$mtsim" help $c >"$tmp/out2" 2>/dev/null || fail "mtsim help $c: exit $?"
        cmp -s "$tmp/out" "$tmp/out2" || fail "mtsim help $c differs from mtsim $c -h"
    done
    timeout 60 "$mtsim" --version >"$tmp/out" || fail "mtsim --version: exit $?"
    grep -qE '^mtsim [0-9]+\.[0-9]+\.[0-9]+' "$tmp/out" || fail "--version: $(cat "$tmp/out")"
    refused "unknown command" nosuch ;;
*)
    echo "unknown check $check"; exit 2 ;;
esac
[ $fails -eq 0 ] && echo "ok: $check" || exit 1
