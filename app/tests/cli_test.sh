#!/usr/bin/env bash
# mtsim memtype: the command-line contract (flags, JSON keys, exit status 2 on bad
# input with a message naming the bad value and listing the valid ones). Usage: cli_test.sh MTSIM
set -u
mtsim=${1:?usage: cli_test.sh PATH-TO-MTSIM}
fails=0
checks=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# ok "expr over j (the parsed JSON)" args...: exit 0, one JSON object, expr true.
ok() {
    local expr=$1; shift
    checks=$((checks + 1))
    local out rc
    out=$("$mtsim" memtype "$@" --json 2>/tmp/mtsim_cli_err.$$); rc=$?
    if [ $rc -ne 0 ]; then fail "exit $rc for: $* ($(cat /tmp/mtsim_cli_err.$$))"; return; fi
    if ! printf '%s' "$out" | python3 -c '
import json, sys
text = sys.stdin.read()
j = json.loads(text)
assert isinstance(j, dict), "not one object"
assert text.strip().count("\n") == 0, "more than one line"
ok = eval(sys.argv[1], {"j": j})
sys.exit(0 if ok else 1)' "$expr"; then
        fail "'$expr' false for: $* -> $out"
    fi
}

# human "grep-pattern" args...: exit 0 without --json, output contains the pattern.
human() {
    local pat=$1; shift
    checks=$((checks + 1))
    local out rc
    out=$("$mtsim" memtype "$@" 2>&1); rc=$?
    if [ $rc -ne 0 ]; then fail "exit $rc for: $*"; return; fi
    printf '%s' "$out" | grep -q -- "$pat" || fail "'$pat' not in output of: $* -> $out"
}

# bad "pattern" args...: exit 2 and stderr contains every |-separated pattern.
bad() {
    local pats=$1; shift
    checks=$((checks + 1))
    local err rc
    err=$("$mtsim" memtype "$@" 2>&1 >/dev/null); rc=$?
    if [ $rc -ne 2 ]; then fail "exit $rc (want 2) for: $*"; return; fi
    local IFS='|'
    for p in $pats; do
        printf '%s' "$err" | grep -q -F -- "$p" || fail "'$p' not in error of: $* -> $err"
    done
}

X86="UC, WC, WT, WP, WB, UC-"
ARM="Device-nGnRnE, Device-nGnRE, Device-nGRE, Device-GRE, Normal-NC, Normal-WT, Normal-WB"
POL=(--mmio 0 --noncoherent 0 --cd 0 --quirk-cd-nw-cleared 1 --self-snoop 1
     --quirk-ignore-guest-pat 1 --guest-mtrr WB)

# --- range mode: Table 11-7
ok 'j["effective"] == "WC" and j["source"] == "range"' --range-type WC --pat-type UC-
ok 'j["effective"] == "UC" and j["must_snoop_own_caches"] is False' --range-type UC --pat-type WB
ok 'j["effective"] == "UC" and j["must_snoop_own_caches"] is True' --range-type wb --pat-type uc
ok 'j["effective"] == "WP" and j["must_snoop_own_caches"] is None' --range-type Wt --pat-type wP
ok 'j["effective"] == "WC" and len(j["steps"]) >= 1' --range-type WP --pat-type UC-
human 'effective: WC' --range-type WB --pat-type WC
human 'Table 11-7' --range-type WB --pat-type WC

# --- EPT mode
ok 'j["effective"] == "WC" and j["source"] == "page"' --ept-type WB --ipat 0 --pat-type WC
ok 'j["effective"] == "WB" and j["source"] == "range"' --ept-type WB --ipat 1 --pat-type WC
ok 'j["effective"] == "UC" and j["source"] == "cd"' --ept-type WB --ipat 1 --pat-type WC --cd 1
ok 'j["effective"] == "WC"' --ept-type UC --ipat 0 --pat-type WC --cd 0
ok 'j["effective"] == "UC" and j["source"] == "range"' --ept-type uc --ipat 0 --pat-type wb
human 'IPAT = 1' --ept-type WB --ipat 1 --pat-type WC

# --- policy mode
ok 'j["ept_type"] == "WB" and j["ipat"] == 1 and "effective" not in j' --policy linux-6.10 "${POL[@]}"
ok 'j["ept_type"] == "WB" and j["ipat"] == 1 and j["effective"] == "WB"' \
    --policy linux-6.10 "${POL[@]}" --pat-type WC
ok 'j["ept_type"] == "WB" and j["ipat"] == 1 and isinstance(j["why"], str) and isinstance(j["notes"], list)' \
    --policy linux-6.16 "${POL[@]}"
ok 'j["ept_type"] == "UC" and j["ipat"] == 0 and j["effective"] == "WC"' \
    --policy linux-6.16 --mmio 1 --noncoherent 0 --cd 0 --quirk-cd-nw-cleared 1 --self-snoop 1 \
    --quirk-ignore-guest-pat 1 --guest-mtrr WB --pat-type WC
# 6.16, quirk turned off on a self-snoop host: guest PAT honored, WC stays WC.
ok 'j["ept_type"] == "WB" and j["ipat"] == 0 and j["effective"] == "WC"' \
    --policy linux-6.16 --mmio 0 --noncoherent 0 --cd 0 --quirk-cd-nw-cleared 1 --self-snoop 1 \
    --quirk-ignore-guest-pat 0 --guest-mtrr WB --pat-type WC
# ... refused without self-snoop: the quirk stays on, and the output says so.
ok 'j["ipat"] == 1 and len(j["notes"]) >= 1 and "refused" in " ".join(j["notes"])' \
    --policy linux-6.16 --mmio 0 --noncoherent 0 --cd 0 --quirk-cd-nw-cleared 1 --self-snoop 0 \
    --quirk-ignore-guest-pat 0 --guest-mtrr WB
human 'note:' --policy linux-6.16 --mmio 0 --noncoherent 0 --cd 0 --quirk-cd-nw-cleared 1 \
    --self-snoop 0 --quirk-ignore-guest-pat 0 --guest-mtrr WB
# 6.10 under non-coherent DMA emulates the guest MTRR type.
ok 'j["ept_type"] == "WT" and j["ipat"] == 0' --policy LINUX-6.10 --mmio 0 --noncoherent 1 --cd 0 \
    --quirk-cd-nw-cleared 1 --self-snoop 1 --quirk-ignore-guest-pat 1 --guest-mtrr wt --memslot-flag 0
human 'EPT type WB, IPAT 1' --policy linux-6.10 "${POL[@]}"

# --- arm64 mode
ok 'j["effective"] == "Device-nGnRE"' --arch arm64 --fwb 0 --s1 Normal-WB --s2 Device-nGnRE
ok 'j["effective"] == "Normal-NC"' --arch arm64 --fwb 0 --s1 normal-wb --s2 NORMAL-NC
ok 'j["effective"] == "Normal-WB"' --arch arm64 --fwb 1 --s1 Device-nGnRnE --s2 Normal-WB
ok 'j["effective"] == "Normal-WT"' --arch arm64 --fwb 1 --s1 Normal-WT --s2 AS-S1
ok 'j["effective"] == "Device-GRE"' --arch ARM64 --fwb 1 --s1 Device-nGnRnE --s2 Device-GRE
human 'effective: Device-nGnRnE' --arch arm64 --fwb 0 --s1 Device-nGnRnE --s2 Normal-WB
# the encodings: a MAIR_EL1 Attr byte at stage 1, a stage-2 MemAttr read per --fwb
ok 'j["effective"] == "Device-nGnRE" and j["s1_mair_attr"] == 0x44 and j["s2_memattr"] == 1' \
    --arch arm64 --fwb 0 --s1 0x44 --s2 0x1
ok 'j["effective"] == "Normal-NC" and j["s2"] == "Normal-NC"' --arch arm64 --fwb 1 --s1 0xff --s2 0b0101
ok 'j["effective"] == "Normal-WB" and j["s2"] == "Normal-WB"' --arch arm64 --fwb 1 --s1 0x44 --s2 6
ok 'j["effective"] == "Normal-NC" and j["s2"] == "as-s1"' --arch arm64 --fwb 1 --s1 0x44 --s2 7
human 'stage 1 Normal-NC (MAIR Attr 0x44), stage 2 Device-nGnRE (MemAttr 0b0001)' \
    --arch arm64 --fwb 0 --s1 0x44 --s2 0x1

# --- arm64-policy mode: the seed's loss of WC (6.8) and loss of cacheable (<= 6.16), 6.17's refusal
ok 'j["s2"] == "Device-nGnRE" and j["effective"] == "Device-nGnRE"' \
    --arm64-policy linux-arm64-6.8 --frame vfio-bar --s1 Normal-NC
ok 'j["s2"] == "Normal-NC" and j["effective"] == "Normal-NC" and j["s2_memattr"] == 5' \
    --arm64-policy linux-arm64-6.9 --frame vfio-bar --s1 Normal-NC
ok 'j["effective"] == "Normal-NC"' --arm64-policy linux-arm64-6.9 --frame device-memory --s1 Normal-WB
ok 'j["effective"] == "Normal-WB" and j["s2_memattr"] == 6' \
    --arm64-policy linux-arm64-6.17 --frame device-memory --s1 Normal-WB
ok 'j["refused"]["errno"] == "EINVAL" and "effective" not in j' \
    --arm64-policy linux-arm64-6.17 --frame device-memory --s1 Normal-WB --fwb 0
ok 'j["effective"] == "Normal-WB" and j["s2_memattr"] == 15' \
    --arm64-policy linux-arm64-6.8 --frame ram --s1 Normal-WB --fwb 0
human 'KVM refuses KVM_SET_USER_MEMORY_REGION: -EINVAL' \
    --arm64-policy linux-arm64-6.17 --frame device-memory --s1 Normal-WB --dic 0
bad "--arm64-policy|linux-arm64-6.9" --arm64-policy linux-6.16 --frame ram --s1 Normal-WB
bad "--frame|vfio-bar" --arm64-policy linux-arm64-6.9 --frame bar --s1 Normal-WB

# --- help
checks=$((checks + 1))
"$mtsim" memtype --help | grep -q -- '--quirk-ignore-guest-pat' || fail "--help lacks the policy mode"

# --- bad input: exit 2, the bad value named, the valid ones listed
bad "no mode selected|--range-type|--arch arm64"
bad "unrecognised option '--bogus'|--range-type" --bogus 1
bad "'XX'|$X86" --range-type XX --pat-type WB
bad "'WBB'|$X86" --range-type WB --pat-type WBB
bad "UC-|UC, WC, WT, WP, WB" --range-type UC- --pat-type WB
bad "UC-|misconfiguration|UC, WC, WT, WP, WB" --ept-type UC- --ipat 0 --pat-type WB
bad "--ipat|'2'|0 or 1" --ept-type WB --ipat 2 --pat-type WB
bad "--ipat" --ept-type WB --pat-type WB
bad "--pat-type" --ept-type WB --ipat 0
bad "--cd|range mode" --range-type WB --pat-type WB --cd 1
bad "--range-type|--ept-type" --range-type WB --ept-type WB --ipat 0 --pat-type WB
bad "--s1|ept mode" --ept-type WB --ipat 0 --pat-type WB --s1 Normal-WB
bad "'linux-9.9'|linux-6.10|linux-6.16|amd-npt" --policy linux-9.9 "${POL[@]}"
bad "--guest-mtrr|UC-" --policy linux-6.10 --mmio 0 --noncoherent 0 --cd 0 \
    --quirk-cd-nw-cleared 1 --self-snoop 1 --quirk-ignore-guest-pat 1 --guest-mtrr UC-
bad "--guest-mtrr|'XX'|$X86" --policy linux-6.10 --mmio 0 --noncoherent 0 --cd 0 \
    --quirk-cd-nw-cleared 1 --self-snoop 1 --quirk-ignore-guest-pat 1 --guest-mtrr XX
bad "--self-snoop" --policy linux-6.10 --mmio 0 --noncoherent 0 --cd 0 \
    --quirk-cd-nw-cleared 1 --quirk-ignore-guest-pat 1 --guest-mtrr WB
bad "--mmio|'yes'" --policy linux-6.10 --mmio yes --noncoherent 0 --cd 0 \
    --quirk-cd-nw-cleared 1 --self-snoop 1 --quirk-ignore-guest-pat 1 --guest-mtrr WB
bad "--pat-type|'QQ'|$X86" --policy linux-6.10 "${POL[@]}" --pat-type QQ
bad "'x86'|arm64" --arch x86 --fwb 0 --s1 Normal-WB --s2 Normal-WB
bad "--s1|'Normal'|$ARM" --arch arm64 --fwb 0 --s1 Normal --s2 Normal-WB
bad "--s2|'Device'|$ARM|as-s1" --arch arm64 --fwb 0 --s1 Normal-WB --s2 Device
bad "--s2|reserved" --arch arm64 --fwb 1 --s1 0xff --s2 0x4
bad "--s1|UNPREDICTABLE" --arch arm64 --fwb 0 --s1 0xf0 --s2 0xf
bad "--s2|0x10|encoding" --arch arm64 --fwb 0 --s1 0xff --s2 0x10
bad "as-s1|FWB|$ARM" --arch arm64 --fwb 0 --s1 Normal-WB --s2 as-s1
bad "Normal-WT|FWB" --arch arm64 --fwb 1 --s1 Normal-WB --s2 Normal-WT
bad "--fwb|'2'" --arch arm64 --fwb 2 --s1 Normal-WB --s2 Normal-WB
bad "--s2" --arch arm64 --fwb 1 --s1 Normal-WB
bad "--pat-type|missing" --range-type WB --pat-type
# amd-npt: without CD_NW_CLEARED the guest's CR0.CD=1 reaches the hardware, so UC; with it, not.
ok 'j["effective"] == "UC" and j["source"] == "cd"' --policy amd-npt --mmio 0 --noncoherent 1 \
    --cd 1 --quirk-cd-nw-cleared 0 --self-snoop 1 --quirk-ignore-guest-pat 1 --guest-mtrr WB \
    --pat-type WB
ok 'j["effective"] == "WB"' --policy amd-npt --mmio 0 --noncoherent 1 \
    --cd 1 --quirk-cd-nw-cleared 1 --self-snoop 1 --quirk-ignore-guest-pat 1 --guest-mtrr WB \
    --pat-type WB
ok 'j["ept_type"] == "WB" and j["ipat"] == 0' --policy amd-npt --mmio 0 --noncoherent 1 --cd 1 \
    --quirk-cd-nw-cleared 0 --self-snoop 1 --quirk-ignore-guest-pat 1 --guest-mtrr WB
# VMX: the guest's CD acts only through the EPT type (6.6, CD_NW_CLEARED on: WB with IPAT).
ok 'j["ept_type"] == "WB" and j["ipat"] == 1 and j["effective"] == "WB"' --policy linux-6.6 \
    --mmio 0 --noncoherent 1 --cd 1 --quirk-cd-nw-cleared 1 --self-snoop 1 \
    --quirk-ignore-guest-pat 1 --guest-mtrr WB --pat-type UC
ok 'j["ept_type"] == "UC" and j["ipat"] == 1 and j["effective"] == "UC"' --policy linux-6.6 \
    --mmio 0 --noncoherent 1 --cd 1 --quirk-cd-nw-cleared 0 --self-snoop 1 \
    --quirk-ignore-guest-pat 1 --guest-mtrr WB --pat-type WB

rm -f /tmp/mtsim_cli_err.$$
echo "$checks checks, $fails failed"
[ $fails -eq 0 ]
