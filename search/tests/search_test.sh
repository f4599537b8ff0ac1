#!/usr/bin/env bash
# `mtsim search` and `mtsim minimize` end to end: each check is one ctest entry.
# Usage: search_test.sh MTSIM SOURCE_DIR CHECK [SCENARIO] (minimize_catalogue only: SKIP, exit
# 77, when no host of its `expect:` corrupts).
set -u
mtsim=${1:?usage: search_test.sh MTSIM SOURCE_DIR CHECK}
src=${2:?source dir}
check=${3:?check name}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 2
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
tiny=$src/studies/spaces/tiny.yaml

case $check in
wc_upload_without_fence_under_ipat_is_found)
    "$mtsim" search "$tiny" --outdir out >report.txt 2>err.txt || fail "search exit $?: $(tail -3 err.txt)"
    cat report.txt
    # linux-6.6 ignores the guest PAT (IPAT): the WC store stays in the cache, the GPU's
    # No-Snoop read sees DRAM.
    grep -q '^linux-6.6,b0.pat=WC,2,stale-read,vcpu0.store(b0) gpu.read(b0),' out/table.csv ||
        fail "no minimal store;read under linux-6.6 with a WC buffer"
    f=$(grep '^linux-6.6,b0.pat=WC,' out/table.csv | cut -d, -f6)
    [ -f "out/$f" ] || fail "no finding file $f"
    v=$("$mtsim" run "out/$f" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["verdict"])')
    [ "$v" = stale-read ] || fail "the finding file runs to '$v', not stale-read"
    grep -q '"causes"' "out/$f.json" || fail "no cause chain beside the finding"
    [ -s out/table.png ] || fail "no heat map"
    grep -q 'GENERATOR BUG' report.txt && fail "a generated program was racy"
    ;;
pruned_and_brute_force_agree)
    "$mtsim" search "$tiny" --outdir pruned >/dev/null 2>err.txt || fail "pruned search: $(tail -3 err.txt)"
    "$mtsim" search "$tiny" --outdir brute --no-prune >/dev/null 2>err.txt || fail "brute search: $(tail -3 err.txt)"
    # The brute force once more through `mtsim sweep`: every program of every length the brute
    # search wrote, under every configuration, minimal programs computed here.
    cat >study.yaml <<EOS
name: brute
scenarios: [brute/programs]
hosts: [linux-6.6, amd-npt]
axes:
  - param: guest.buffers[b0].pat
    values: [WB, WC]
EOS
    "$mtsim" sweep study.yaml --outdir sweep >/dev/null 2>err.txt || fail "sweep: $(tail -3 err.txt)"
    python3 - sweep/results.csv brute/programs pruned/minimal.csv brute/minimal.csv <<'EOS' || fail "minimal sets differ"
import csv, sys, os
rows = list(csv.DictReader(open(sys.argv[1])))
desc = {}
for f in os.listdir(sys.argv[2]):
    first = open(os.path.join(sys.argv[2], f)).readline()
    desc[f[:-5]] = first.split(": ", 1)[1].strip()
ok = {"clean", "race", "refused", "error"}
best = {}
for r in rows:
    if r["verdict"] in ok: continue
    key = (r["host"], "b0.pat=" + r["guest.buffers[b0].pat"])
    prog = desc[r["scenario"]]
    n = len(prog.split())
    if key not in best or n < best[key][0]: best[key] = (n, set())
    if n == best[key][0]: best[key][1].add(prog)
sweep = {(h, c, p) for (h, c), (n, ps) in best.items() for p in ps}
def load(path):
    return {(r["host"], r["configuration"], r["program"]) for r in csv.DictReader(open(path))}
pruned, brute = load(sys.argv[3]), load(sys.argv[4])
print("sweep:", sorted(sweep)); print("pruned:", sorted(pruned)); print("brute:", sorted(brute))
sys.exit(0 if sweep == pruned == brute and sweep else 1)
EOS
    ;;
bad_space_names_file_line_and_key)
    printf 'name: x\nbuffers: []\nagents: {vcpu0: [store]}\n' >bad.yaml
    "$mtsim" search bad.yaml --outdir out >out.txt 2>err.txt
    [ $? -eq 2 ] || fail "exit status is not 2"
    grep -q "bad.yaml:2: key 'buffers'" err.txt || fail "no FILE:LINE key: $(cat err.txt)"
    [ -e out ] && fail "something ran"
    ;;
minimize_catalogue)
    scen=${4:?scenario}
    # The first host its expect: names with a corrupting verdict; for `default`, the first x86
    # host the expect does not name.
    expect=$(awk '/^expect:/{e=1; next} e && /^[^ ]/{e=0} e && /^ *#/{next}
                  e && NF>=2 {h=$1; sub(":","",h); print h, $2}' "$scen")
    host=$(echo "$expect" | awk '$2!="clean" && $2!="refused" && $2!="race" {print $1; exit}')
    [ -n "$host" ] || { echo "SKIP: no corrupting host in the expect of $scen"; exit 77; }
    if [ "$host" = default ]; then
        host=$("$mtsim" list hosts | awk '{print $1}' | grep -v arm64 | while read -r h; do
            echo "$expect" | awk '{print $1}' | grep -qx "$h" || { echo "$h"; break; }; done)
    fi
    "$mtsim" minimize "$scen" --host "$host" --outdir out >out.txt 2>err.txt || fail "minimize: $(tail -3 err.txt)"
    cat out.txt
    want=$("$mtsim" run "$scen" --host "$host" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["verdict"])')
    got=$("$mtsim" run out/reduced.yaml --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["verdict"])')
    [ "$want" = "$got" ] || fail "reduced verdict '$got' is not the original '$want'"
    "$mtsim" run out/reduced.yaml >/dev/null || fail "the reduced file misses its expect"
    before=$(sed -n 's/.*ops \([0-9]*\) -> \([0-9]*\).*/\1/p' out.txt)
    after=$(sed -n 's/.*ops \([0-9]*\) -> \([0-9]*\).*/\2/p' out.txt)
    [ -n "$after" ] && [ "$after" -le "$before" ] || fail "ops did not shrink: $before -> $after"
    ;;
*)
    echo "unknown check $check"
    exit 2
    ;;
esac
[ $fails -eq 0 ] && echo PASS
exit $((fails > 0))
