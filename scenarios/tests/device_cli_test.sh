#!/bin/bash
# Command-line tests of the device path: the pass-through BAR as host MMIO (walk, UC and WC
# doorbells), the ring in guest memory (vfio and virtio), No-Snoop per request.
# usage: device_cli_test.sh MTSIM CASE   (run from the source tree's root)
set -u
mtsim=$1
case_=$2
data=scenarios/tests/data
cat=scenarios/catalogue
fail() { echo "FAIL: $*"; exit 1; }
json_get() { python3 -c "import json,sys; r=json.load(sys.stdin); print($1)"; }

case $case_ in
bar_walk)
    # The doorbell's translation: KVM's MMIO branch types the leaf, the guest PAT decides.
    out=$("$mtsim" walk "$cat/12a-vfio-wc-fill-uc-doorbell.yaml" --vcpu 0 --gva 0xfe00000c \
        --access write) || fail "walk failed: $out"
    echo "$out" | grep -q "slot gpu-bar): EPT type UC, IPAT=0: host MMIO" ||
        fail "walk does not show KVM's MMIO branch: $out"
    echo "$out" | grep -q "effective memory type: UC" || fail "UC BAR not UC: $out"
    out=$("$mtsim" walk "$cat/12a-vfio-wc-fill-uc-doorbell.yaml" --vcpu 0 --gva 0xfe00000c \
        --access write --set devices.gpu.bar_pat=WC) || fail "walk failed: $out"
    echo "$out" | grep -q "effective memory type: WC" || fail "WC BAR not WC: $out"
    ;;
uc_doorbell_drains_wc)
    # The UC doorbell store drains the WC buffers (clean). When the doorbell is WC and
    # unfenced, it and the data wait in WC buffers: without their own timeline
    # (wc_drain_delay=0) the device never sees the doorbell; with it, the buffers drain
    # oldest first (the data before the doorbell) after wc_drain_delay, and the run is clean.
    v=$("$mtsim" run "$cat/12a-vfio-wc-fill-uc-doorbell.yaml" --json | json_get 'r["verdict"], r["stats"]["wc_drains"]')
    [ "$v" = "clean 3" ] || fail "UC doorbell: $v"
    out=$("$mtsim" run "$cat/12a-vfio-wc-fill-uc-doorbell.yaml" --set devices.gpu.bar_pat=WC \
        --set platform.cache.wc_drain_delay=0 2>&1)
    echo "$out" | grep -q "agents still waiting: vcpu0" || fail "unfenced WC doorbell reached the device: $out"
    v=$("$mtsim" run "$cat/12a-vfio-wc-fill-uc-doorbell.yaml" --set devices.gpu.bar_pat=WC --json |
        json_get 'r["verdict"], r["stats"]["wc_drains"]')
    [ "$v" = "clean 4" ] || fail "unfenced WC doorbell on the WC buffers' own timeline: $v"
    ;;
wc_doorbell_fence)
    # 12c: the second WC doorbell combines into an older WC buffer and overtakes the data.
    # The same program with an SFENCE before that doorbell and one before the wait is clean.
    f="$cat/12c-vfio-wc-doorbell-overtakes-data.yaml"
    v=$("$mtsim" run "$f" --json | json_get 'r["verdict"]')
    [ "$v" = stale-read ] || fail "unfenced: $v"
    t=$(mktemp --suffix=.yaml)
    sed -e "s#include: shared/#include: $PWD/$cat/shared/#" \
        -e 's/^    - doorbell # combines.*/    - sfence\n    - doorbell/' \
        -e 's/^    - wait: done/    - sfence\n    - wait: done/' "$f" > "$t"
    grep -c sfence "$t" | grep -q 3 || fail "the fenced variant was not built: $(cat "$t")"
    v=$("$mtsim" run "$t" --json | json_get 'r["verdict"]')
    rm -f "$t"
    [ "$v" = clean ] || fail "fenced: $v"
    ;;
stale_descriptor_names_ring)
    r=$("$mtsim" run "$cat/13-vfio-stale-descriptor.yaml" --json) || fail "run failed"
    v=$(echo "$r" | json_get 'r["verdict"]')
    [ "$v" = stale-read ] || fail "verdict $v"
    echo "$r" | json_get 'json.dumps(r["causes"])' | grep -q "gpu dma-read ring+0x0" ||
        fail "the cause chain does not name the ring: $r"
    # Snooped fetches find the descriptor in the vCPU's cache.
    v=$("$mtsim" run "$cat/13-vfio-stale-descriptor.yaml" --json --set devices.gpu.ring_no_snoop=false 2>&1 |
        json_get 'r["verdict"]' 2>/dev/null)
    # The GPU then interrupts nobody waits for: the run is clean.
    [ "$v" = clean ] || fail "snooped ring fetch: $v"
    ;;
virtio_stale_descriptor)
    # The virtio ring in guest memory: the guest's descriptor store, dirty in its L1D at the
    # kick, is fetched stale by a No-Snoop fetch, with the ring in the cause chain; snooped
    # fetches find it in the cache.
    f="$cat/13b-virtio-stale-descriptor.yaml"
    r=$("$mtsim" run "$f" --json) || fail "run failed"
    v=$(echo "$r" | json_get 'r["verdict"], r["stats"]["mmio_exits"]')
    [ "$v" = "stale-read 1" ] || fail "verdict and kick exits: $v"
    echo "$r" | json_get 'json.dumps(r["causes"])' | grep -q "gpu dma-read ring+0x0" ||
        fail "the cause chain does not name the ring: $r"
    v=$("$mtsim" run "$f" --json --set devices.gpu.ring_no_snoop=false | json_get 'r["verdict"]')
    [ "$v" = clean ] || fail "snooped ring fetch: $v"
    # Without a ring buffer the host driver writes the ring: write_descriptors has no ring.
    t=$(mktemp --suffix=.yaml)
    sed -e "s#include: shared/#include: $PWD/$cat/shared/#" -e '/name: ring,/d' "$f" > "$t"
    out=$("$mtsim" run "$t" 2>&1); rc=$?
    rm -f "$t"
    [ $rc -eq 2 ] || fail "write_descriptors without a guest ring: exit $rc ($out)"
    echo "$out" | grep -q "not in guest memory" || fail "write_descriptors without a guest ring: $out"
    ;;
no_snoop_per_op)
    # 64 lines read with No-Snoop, 64 snooped; Device Control off: none non-snooped.
    n=$("$mtsim" run "$data/vfio-no-snoop-per-op.yaml" --json | json_get 'r["stats"]["dma_non_snooped"]')
    [ "$n" = 64 ] || fail "per-op No-Snoop: $n non-snooped lines, expected 64"
    n=$("$mtsim" run "$data/vfio-no-snoop-per-op.yaml" --json --set devices.gpu.enable_no_snoop=false |
        json_get 'r["stats"]["dma_non_snooped"]')
    [ "$n" = 0 ] || fail "Enable No Snoop clear: $n non-snooped lines"
    ;;
nosnoop_direction)
    # The 1 MiB upload beside a streaming vCPU: No-Snoop never costs the GPU or the vCPU
    # more than snooping (the size of the difference follows the memory system's snoop cost).
    f="$cat/14-nosnoop-upload-cpu-traffic.yaml"
    ns=$("$mtsim" run "$f" --json | json_get 'r["cycles_per_agent"]["gpu"], r["cycles_per_agent"]["vcpu1"], r["stats"]["dma_non_snooped"]')
    sn=$("$mtsim" run "$f" --json --set devices.gpu.no_snoop=false | json_get 'r["cycles_per_agent"]["gpu"], r["cycles_per_agent"]["vcpu1"], r["stats"]["dma_non_snooped"]')
    read -r g1 v1 n1 <<< "$ns"
    read -r g2 v2 n2 <<< "$sn"
    [ "$n1" = 16384 ] && [ "$n2" = 0 ] || fail "non-snooped lines: $n1 / $n2"
    [ "$g1" -le "$g2" ] || fail "GPU: No-Snoop $g1 cycles > snooped $g2"
    [ "$v1" -lt "$v2" ] || fail "vcpu1: $v1 cycles beside No-Snoop DMA, not fewer than $v2 beside snooped"
    ;;
vmm_doorbell)
    # The VMM writes the descriptor through its map of guest memory and rings through its UC
    # map of the BAR; the GPU serves it (else the run stops with the VMM waiting).
    v=$("$mtsim" run "$data/vmm-doorbell.yaml" --json | json_get 'r["verdict"], r["stats"]["mmio_exits"]')
    [ "$v" = "clean 0" ] || fail "VMM doorbell: $v"
    ;;
ring_required)
    out=$("$mtsim" run "$data/vfio-no-ring.yaml" 2>&1); rc=$?
    [ $rc -eq 2 ] || fail "exit $rc: $out"
    # At the line of the key that puts the ring in guest memory (devices.gpu.mode: vfio, line
    # 2), or of devices.gpu.ring when the file names a buffer that does not exist.
    echo "$out" | grep -q "$data/vfio-no-ring.yaml:2: key 'devices.gpu.ring'" ||
        fail "does not name vfio-no-ring.yaml:2 and devices.gpu.ring: $out"
    out=$("$mtsim" run "$data/vfio-no-ring.yaml" --set devices.gpu.ring=cmds 2>&1); rc=$?
    [ $rc -eq 2 ] || fail "exit $rc: $out"
    echo "$out" | grep -q "devices.gpu.ring=cmds.*key 'devices.gpu.ring'.*'cmds'" ||
        fail "a --set ring does not name the --set: $out"
    ;;
*) fail "unknown case $case_" ;;
esac
echo ok
