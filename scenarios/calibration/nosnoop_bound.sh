#!/usr/bin/env bash
# Catalogue 14 (nosnoop-upload-cpu-traffic): what snooping the GPU's upload costs, against a
# bound derived from the memory system's parameters. For each LLC port occupancy P and
# snoop-filter latency F tried, with No-Snoop off minus on:
#   direction: the GPU and vcpu1 take no fewer cycles when the upload is snooped;
#   bound:     neither loses more than the home agent spent on the snooped requests, at most
#              snooped_requests x (llc.latency + F + snoop_latency + P) memory-system cycles
#              (the GPU's cycles converted from its clock).
# usage: nosnoop_bound.sh MTSIM   (from the source tree's root)
set -euo pipefail
mtsim=$1
f=scenarios/catalogue/14-nosnoop-upload-cpu-traffic.yaml
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
fail() { echo "FAIL: $*"; exit 1; }
q='[.cycles_per_agent.gpu, .cycles_per_agent.vcpu1, .stats.dma_snooped,
    .config.platform.cache.llc.latency, .config.platform.cache.snoop_latency,
    .config.platform.cache.clock_mhz, .config.platform.gpu.clock_mhz] | @tsv'
for sets in "1 0" "1 30" "20 0"; do
    read -r P F <<<"$sets"
    common=(--json --set platform.cache.llc_port_occupancy="$P" --set platform.cache.snoop_filter_latency="$F")
    read -r g_on v_on s_on llc snoop ms_mhz gpu_mhz < <("$mtsim" run "$f" "${common[@]}" --set devices.gpu.no_snoop=true | jq -r "$q")
    read -r g_off v_off s_off _ < <("$mtsim" run "$f" "${common[@]}" --set devices.gpu.no_snoop=false | jq -r "$q")
    [ "$s_off" -ge 16384 ] || fail "P=$P F=$F: only $s_off snooped requests with No-Snoop off"
    [ "$g_off" -ge "$g_on" ] || fail "P=$P F=$F: GPU $g_off cycles snooped < $g_on with No-Snoop"
    [ "$v_off" -ge "$v_on" ] || fail "P=$P F=$F: vcpu1 $v_off cycles beside snooped DMA < $v_on"
    awk -v g_on="$g_on" -v g_off="$g_off" -v v_on="$v_on" -v v_off="$v_off" -v n="$s_off" \
        -v llc="$llc" -v F="$F" -v snoop="$snoop" -v P="$P" -v ms="$ms_mhz" -v gpu="$gpu_mhz" 'BEGIN {
        bound = n * (llc + F + snoop + P)
        dg = (g_off - g_on) * ms / gpu; dv = v_off - v_on
        printf "P=%d F=%d: GPU +%d, vcpu1 +%d memory-system cycles snooped; bound %d\n", P, F, dg, dv, bound
        exit (dg <= bound && dv <= bound) ? 0 : 1 }' || fail "P=$P F=$F: a difference beyond the bound"
done
echo ok
