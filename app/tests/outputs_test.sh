#!/usr/bin/env bash
# What `run --trace/--stats` and `matrix --tap/--outdir/--set` write, `list --json`, and the
# output flags' conflicts: each check is one ctest entry. Usage: outputs_test.sh MTSIM SRC CHECK
set -u
mtsim=${1:?usage: outputs_test.sh MTSIM SOURCE_DIR CHECK}
src=${2:?source dir}
check=${3:?check name}
cat_dir=$src/scenarios/catalogue
checker=$src/app/tests/check_trace.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
refused() { # refused "pattern" args...: exit 2 and pattern on stderr
    local pat=$1; shift
    timeout 60 "$mtsim" "$@" >out 2>err
    local rc=$?
    [ $rc -eq 2 ] || fail "exit $rc (want 2) for: $* ($(head -c 300 err))"
    grep -q -F -- "$pat" err || fail "'$pat' not in stderr of: $* -> $(head -c 300 err)"
}

case "$check" in
trace_has_every_agent_and_nests)
    # A guest, the VMM's host thread and the GPU (live migration: vcpu0, vmm, gpu) and a
    # non-coherent upload (vcpu0 and the GPU, a stale read): every agent has a track, every
    # slice nests in its track, timestamps rise per track, the corruption is an instant.
    timeout 120 "$mtsim" run live-migration-wc-alias --host linux-6.6 --trace t1.json \
        >/dev/null 2>err; rc=$?
    [ $rc -le 1 ] || fail "run --trace: exit $rc $(cat err)"
    python3 "$checker" t1.json --agents vcpu0,vmm,gpu || fail "07a: trace structure"
    timeout 120 "$mtsim" run virtio-gpu-wc-upload --host linux-6.6 --trace t2.json >/dev/null 2>err
    [ $? -le 1 ] || fail "run --trace: $(cat err)"
    python3 "$checker" t2.json --agents vcpu0,gpu || fail "01: trace structure"
    python3 - t2.json <<'PY' || fail "01: expected events missing"
import json, sys
d = json.load(open(sys.argv[1]))
ev = [e for e in d["traceEvents"] if e["ph"] != "M"]
cats = {e["cat"] for e in ev}
for c in ("op", "dma", "dram", "llc", "doorbell", "corruption", "link", "walk", "vmexit"):
    assert c in cats, (c, sorted(cats))
corr = [e for e in ev if e["cat"] == "corruption"]
assert all(e["ph"] == "i" and "stale" in e["name"] and e["args"]["cause"] for e in corr), corr[:1]
ops = [e for e in ev if e["cat"] == "op" and "line" in e.get("args", {})]
assert ops, "no op carries its source line"
procs = {e["args"]["name"] for e in d["traceEvents"] if e["name"] == "process_name"}
assert procs == {"agents", "shared resources"}, procs
assert d["otherData"]["dropped_events"] == 0
PY
    ls | grep -q tmp && fail "temporary file left: $(ls)" ;;
every_catalogue_trace_is_well_formed)
    # Every catalogue scenario: the trace's structure holds and every agent of the run's
    # cycles_per_agent has a track.
    for f in "$cat_dir"/*.yaml; do
        host=linux-6.16
        grep -q '^platform: {arch: arm64}' "$f" && host=linux-arm64-6.17
        timeout 120 "$mtsim" run "$f" --host $host --json --trace t.json >r.json 2>err
        [ $? -le 1 ] || { fail "$f: $(head -c 300 err)"; continue; }
        agents=$(python3 -c 'import json; print(",".join(json.load(open("r.json"))["cycles_per_agent"]))')
        python3 "$checker" t.json --agents "$agents" >/dev/null || fail "$f: trace structure"
    done ;;
trace_filter_limits_categories)
    timeout 120 "$mtsim" run virtio-gpu-wc-upload --host linux-6.6 --trace t.json \
        --trace-filter op,corruption >/dev/null 2>err
    [ $? -le 1 ] || fail "run --trace-filter: $(cat err)"
    python3 "$checker" t.json --agents vcpu0,gpu --categories op,corruption || fail "filtered trace"
    refused "unknown trace category 'nosuch'" run virtio-gpu-wc-upload --trace t.json --trace-filter op,nosuch
    refused "--trace-filter needs --trace" run virtio-gpu-wc-upload --trace-filter op
    refused "--trace: no folder" run virtio-gpu-wc-upload --trace nosuchdir/t.json ;;
stats_has_every_statistic)
    # The leaves of --stats are exactly the statistics `list stats` names for that scenario,
    # each with a value, a unit and a description; --outdir's stats.json is the same tree.
    timeout 120 "$mtsim" run live-migration-wc-alias --host linux-6.6 --stats s.json \
        --outdir o >/dev/null 2>err
    [ $? -le 1 ] || fail "run --stats: $(cat err)"
    timeout 60 "$mtsim" list stats live-migration-wc-alias --json >l.json 2>err ||
        fail "list stats --json: $(cat err)"
    python3 - s.json l.json o/stats.json <<'PY' || fail "stats tree differs from list stats"
import json, sys
s = json.load(open(sys.argv[1]))
listed = {x["path"] for x in json.load(open(sys.argv[2]))}
leaves = {}
def walk(p, n):
    for k, v in n.items():
        if "value" in v: leaves[p + k] = v
        else: walk(p + k + ".", v)
walk("", s["stats"])
assert set(leaves) == listed, (sorted(set(leaves) ^ listed)[:5])
assert all(v["unit"] and v["description"] and v["kind"] in ("counter", "derived") for v in leaves.values())
assert any(isinstance(v["value"], int) and v["value"] > 0 for v in leaves.values())
assert json.load(open(sys.argv[3]))["stats"] == s["stats"]
assert s["scenario"] and s["host"] == "linux-6.6" and s["version"]
PY
    ;;
matrix_tap_and_exit_status)
    # TAP 13: version, plan, one point per cell; a missed expect: is `not ok` and exit 1.
    timeout 300 "$mtsim" matrix "$cat_dir/01-virtio-gpu-wc-upload.yaml" --hosts linux-6.6,linux-6.16 \
        --tap >tap 2>err
    [ $? -eq 0 ] || fail "matrix --tap: exit $? $(cat err)"
    python3 - tap <<'PY' || fail "TAP: $(cat tap)"
import re, sys
l = open(sys.argv[1]).read().splitlines()
assert l[0] == "TAP version 13" and l[1] == "1..2", l[:2]
for n, x in enumerate(l[2:], 1):
    assert re.fullmatch(r"ok %d - virtio-gpu-wc-upload under linux-6\.1?6 # [a-z-]+" % n, x), x
PY
    # An expectation that cannot hold: a copy of the scenario expecting `torn` everywhere.
    python3 - "$cat_dir/01-virtio-gpu-wc-upload.yaml" <<'PY'
import re, sys
t = open(sys.argv[1]).read().replace("../catalogue/shared", "shared")
t = re.sub(r"(?ms)^expect:.*?(?=^\S|\Z)", "expect:\n  default: torn\n", t)
open("miss.yaml", "w").write(t)
PY
    cp -r "$cat_dir/shared" .
    timeout 300 "$mtsim" matrix miss.yaml --hosts linux-6.6 --tap >tap2 2>err; rc=$?
    [ $rc -eq 1 ] || fail "a missed expect: exits $rc (want 1): $(cat err) $(cat tap2)"
    grep -qE '^not ok 1 - .* under linux-6\.6 # [a-z-]+ \(expected torn\)$' tap2 || fail "not ok line: $(cat tap2)" ;;
matrix_outdir_and_override_labels)
    timeout 300 "$mtsim" matrix "$cat_dir/02-vfio-nosnoop-wbinvd.yaml" --hosts linux-6.16 \
        --set host.kvm.wbinvd=local-only --outdir m >txt 2>err; rc=$?
    [ $rc -le 1 ] || fail "matrix --outdir: exit $rc $(cat err)"
    grep -qF "every host + host.kvm.wbinvd=local-only" txt || fail "text label: $(cat txt)"
    for f in matrix.txt matrix.md matrix.csv matrix.json matrix.tap; do [ -s "m/$f" ] || fail "no m/$f"; done
    for f in config.yaml result.json stats.json; do
        [ -s m/vfio-nosnoop-wbinvd/linux-6.16/$f ] || fail "no cell $f: $(find m)"
    done
    find m -name '*.tmp' | grep -q . && fail "temporary files left: $(find m -name '*.tmp')"
    cmp -s txt m/matrix.txt || fail "matrix.txt differs from stdout"
    grep -qF "under linux-6.16 + host.kvm.wbinvd=local-only #" m/matrix.tap || fail "TAP label: $(cat m/matrix.tap)"
    python3 -c 'import csv; r=list(csv.DictReader(open("m/matrix.csv"))); assert r[0]["sets"]=="host.kvm.wbinvd=local-only", r[0]' ||
        fail "csv sets column: $(head -2 m/matrix.csv)"
    python3 -c 'import json,sys; c=json.load(open("m/matrix.json")); assert c[0]["sets"]==["host.kvm.wbinvd=local-only"], c' ||
        fail "json sets"
    python3 -c 'import json; r=json.load(open("m/vfio-nosnoop-wbinvd/linux-6.16/result.json")); assert r["sets"]==["host.kvm.wbinvd=local-only"], r["sets"]' ||
        fail "the cell's result.json does not carry its override" ;;
output_flags_conflict)
    refused "--json and --csv conflict" matrix --json --csv
    refused "--csv and --tap conflict" matrix --csv --tap
    refused "--json and --tap conflict" matrix --tap --json
    refused "--jobs" matrix --jobs 0 ;;
every_list_answers_json)
    for what in policies scenarios hosts params stats; do
        timeout 60 "$mtsim" list $what --json >out 2>err || fail "list $what --json: $(cat err)"
        python3 -c 'import json,sys; a=json.load(open("out")); assert isinstance(a, list) and a and all(isinstance(x, dict) for x in a)' ||
            fail "list $what --json is not a non-empty array of objects"
    done
    refused "takes only --json" list hosts --csv ;;
*)
    echo "unknown check $check"; exit 2 ;;
esac
[ $fails -eq 0 ] && echo "ok $check" && exit 0
exit 1
