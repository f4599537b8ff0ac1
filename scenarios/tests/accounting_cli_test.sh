#!/bin/bash
# Per-agent accounting and costs in the outputs (model/accounting.h, scenarios/costs.h).
# usage: accounting_cli_test.sh MTSIM CASE   (run from the source tree's root)
set -u
mtsim=$1
case_=$2
data=scenarios/tests/data/accounting
cat=scenarios/catalogue
fail() { echo "FAIL: $*"; exit 1; }

# Every agent of every result: the parts' cycles sum to the total exactly, their ns to the
# total's within rounding, busy <= total, and vcpu0's account agrees with the vCPU's own counter.
check_parts='
import json,sys
rows=json.load(sys.stdin)
rows=rows if isinstance(rows,list) else [rows]
assert rows
for r in rows:
    where=(r["scenario"],r["host"])
    assert r["verdict"]!="error", (where, r)
    if r["verdict"] in ("refused","n/a"): continue # n/a: an arm64 scenario under an x86 host
    ag=r["agents"]
    assert {"vcpu0","gpu"} <= set(ag), (where, ag.keys())
    for name,a in ag.items():
        parts=a["parts"]
        s=sum(p["cycles"] for p in parts.values())
        assert s==a["cycles"], (where,name,s,a["cycles"],parts)
        ns=sum(p["ns"] for p in parts.values())
        assert abs(ns-a["ns"]) <= 1e-3*(len(parts)+1), (where,name,ns,a["ns"])
        assert 0 <= a["busy_ns"] <= a["ns"]+1e-9, (where,name,a)
        assert a["clock_mhz"] > 0
    assert ag["vcpu0"]["cycles"]==r["cycles"], (where, ag["vcpu0"]["cycles"], r["cycles"])
    assert ag["vcpu0"]["cycles"] > 0, where
print(len(rows), "results")
'

case $case_ in
parts_sum_catalogue)
    # Every catalogue scenario under two hosts of different eras (KVM's WBINVD and EPT
    # decisions differ) and two arm64 hosts, each in its own child as the matrix runs them.
    "$mtsim" matrix "$cat" --hosts linux-6.6,linux-6.16,linux-arm64-6.8,linux-arm64-6.17 --jobs 2 --json | python3 -c "$check_parts" ||
        fail "accounting parts do not sum to the totals"
    ;;
parts_sum_run)
    # `run --json` carries the same accounts, with every part named.
    j=$("$mtsim" run "$cat/02-vfio-nosnoop-wbinvd.yaml" --json) || fail "run failed"
    echo "$j" | python3 -c "$check_parts" || fail "run --json accounts"
    echo "$j" | python3 -c '
import json,sys
r=json.load(sys.stdin)
p=r["agents"]["vcpu0"]["parts"]
assert "flush.wbinvd" in p and p["flush.wbinvd"]["cycles"]>0, p
assert "exit.wbinvd.exit_entry" in p, p
assert "sync.wait" in p, p
g=r["agents"]["gpu"]["parts"]
assert "memory.dram" in g, g   # No-Snoop reads go to DRAM
' || fail "expected parts missing"
    ;;
extra_wbinvd)
    # A second WBINVD exit costs flush time the first one's run does not have.
    f() { "$mtsim" run "$data/$1" --json | python3 -c '
import json,sys
p=json.load(sys.stdin)["agents"]["vcpu0"]["parts"]
print(p.get("flush.wbinvd",{"cycles":0})["cycles"], p.get("exit.wbinvd.exit_entry",{"cycles":0})["cycles"])'; }
    read -r once once_exit <<<"$(f wbinvd-once.yaml)" || fail "once"
    read -r twice twice_exit <<<"$(f wbinvd-twice.yaml)" || fail "twice"
    [ "$once" -gt 0 ] || fail "one WBINVD shows no flush time"
    [ "$twice" -gt "$once" ] || fail "two WBINVDs: flush $twice cycles, not more than one's $once"
    [ "$twice_exit" -eq $((2 * once_exit)) ] || fail "exit/entry: $twice_exit vs 2 x $once_exit"
    ;;
measure)
    j=$("$mtsim" run "$data/measure.yaml" --json) || fail "run failed"
    echo "$j" | python3 -c '
import json,sys
r=json.load(sys.stdin)
m=r["measure"]; a=r["agents"]["vcpu0"]
assert m["agent"]=="vcpu0" and m["from"]=="upload" and m["to"]=="uploaded", m
assert 0 < m["cycles"] < a["cycles"], (m, a["cycles"])
assert 0 < m["ns"] < a["ns"], (m, a["ns"])
assert r["config"]["measure"]=={"agent":"vcpu0","from":"upload","to":"uploaded"}, r["config"].get("measure")
' || fail "measure"
    "$mtsim" run "$data/measure.yaml" | grep -q "^measure: vcpu0 from 'upload' to 'uploaded': [0-9]* cycles" ||
        fail "run text shows no measure"
    # The matrix shows the measured phase, not the busy time.
    "$mtsim" matrix "$data/measure.yaml" --hosts linux-6.16 --json | python3 -c '
import json,sys
r=json.load(sys.stdin)[0]
assert r["cost_basis"]=="measure" and abs(r["cost_us"]-r["measure"]["us"])<1e-9, r' ||
        fail "matrix cost is not the measure"
    # The resolved file keeps the measure: it reproduces the run.
    out=$(mktemp -d)
    "$mtsim" run "$data/measure.yaml" --resolved "$out/r.yaml" >/dev/null || fail "resolved"
    "$mtsim" run "$out/r.yaml" --json | python3 -c '
import json,sys; r=json.load(sys.stdin); assert r["measure"]["to"]=="uploaded"' || fail "resolved measure"
    rm -rf "$out"
    ;;
measure_bad)
    for f in bad-measure-agent.yaml:25:measure.agent bad-measure-label.yaml:25:measure.to; do
        IFS=: read -r file line key <<<"$f"
        out=$("$mtsim" run "$data/$file" 2>&1); rc=$?
        [ $rc -eq 2 ] || fail "$file: exit $rc ($out)"
        echo "$out" | grep -q "$data/$file:$line: key '$key'" || fail "$file: $out"
    done
    ;;
matrix_us)
    t=$("$mtsim" matrix "$cat/01-virtio-gpu-wc-upload.yaml" "$cat/09-bochs-uc-framebuffer.yaml" \
        --hosts linux-6.6,linux-6.16) || fail "matrix failed"
    cells=$(echo "$t" | sed -n 2,3p | grep -oE '(clean|stale-read|race|torn|lost-write)( [0-9.]+µs)?')
    [ "$(echo "$cells" | wc -l)" -eq 4 ] || fail "expected 4 cells: $t"
    echo "$cells" | grep -qv 'µs$' && fail "a cell without µs: $t"
    m=$("$mtsim" matrix "$cat/01-virtio-gpu-wc-upload.yaml" --hosts linux-6.16 --markdown)
    echo "$m" | grep -qE '^\| virtio-gpu-wc-upload +\| (clean|stale-read) [0-9.]+µs' || fail "markdown: $m"
    c=$("$mtsim" matrix "$cat/01-virtio-gpu-wc-upload.yaml" --hosts linux-6.16 --csv)
    echo "$c" | head -1 | grep -q 'cost_us,cost_basis,measure_us.*gpu.us.*vcpu0.executing.cycles' ||
        fail "csv header: $(echo "$c" | head -1)"
    ;;
run_text)
    t=$("$mtsim" run "$cat/02-vfio-nosnoop-wbinvd.yaml") || fail "run failed"
    echo "$t" | grep -qE '^  vcpu0 +[0-9]+ cycles at 3000 MHz +[0-9.]+ µs  busy [0-9.]+ µs$' || fail "no vcpu0 line: $t"
    echo "$t" | grep -qE '^  gpu +[0-9]+ cycles at [0-9.]+ MHz' || fail "no gpu line: $t"
    echo "$t" | grep -qE '^    flush.wbinvd +[0-9]+ cycles' || fail "no flush part: $t"
    echo "$t" | grep -q '^cycles:' && fail "the old mixed-clock cycles line is back: $t"
    ;;
*)
    fail "unknown case $case_"
    ;;
esac
echo ok
