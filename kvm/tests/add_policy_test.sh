#!/bin/bash
# Proof that adding a KVM EPT policy is one file plus its own test, nothing else: copies the
# source tree and the existing build directory, adds kvm/policies/proof_policy.cpp and
# kvm/tests/proof_policy_test.cpp, rebuilds only mtsim and the kvm tests, and checks that the
# policy is listed, is a host and a matrix column, that its test is discovered and passes, and
# that the generic era-table test checks it.
# usage: add_policy_test.sh SOURCE_DIR BUILD_DIR   (after the normal build)
set -euo pipefail
src=$(cd "$1" && pwd -P)
build=$(cd "$2" && pwd -P)
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mtsim-add-policy.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The tree (without its build directory or .git), then the build directory beside it in the
# same relative place, mtimes kept so that make sees every unchanged output up to date.
mkdir "$tmp/src"
case $build/ in
"$src"/*) rel_build=${build#"$src"/} ;;
*) rel_build=.mtsim-build ;;
esac
tar -C "$src" --exclude=./.git --exclude="./$rel_build" -cf - . | tar -C "$tmp/src" -xf -
new_src=$tmp/src
new_build=$new_src/$rel_build
mkdir -p "$(dirname "$new_build")"
cp -a "$build" "$new_build"
# Absolute paths in the build system's text files point into the copy; each file keeps its
# mtime (a rewritten flags.make would otherwise rebuild everything).
grep -rlIF -e "$src" -e "$build" "$new_build" | while read -r f; do
    touch -r "$f" "$tmp/stamp"
    sed -i -e "s#$build#$new_build#g" -e "s#$src#$new_src#g" "$f"
    touch -r "$tmp/stamp" "$f"
done

cat > "$new_src/kvm/policies/proof_policy.cpp" <<'CPP'
// proof-policy: added by kvm/tests/add_policy_test.sh. Decides as Linux 6.11-6.15.
#include "kvm/policy.h"
#include "kvm/quirks.h"
#include "model/registry.h"

namespace mtsim::kvm::policies {
namespace {

class proof_policy final : public ept_policy {
public:
    proof_policy()
        : ept_policy({"proof-policy", "added by the add-a-policy test", "kvm/tests/add_policy_test.sh",
                      era::v6_11_to_6_15, 620, quirk_absent_before_6_16, false}) {}
    ept_decision choose(const ept_inputs& in) const override {
        if (in.mmio) return {memtype::uc, false, "host MMIO: UC", {}};
        if (!in.noncoherent) return {memtype::wb, true, "coherent: WB, IPAT", {}};
        return {memtype::wb, false, "non-coherent DMA: WB, guest PAT honored", {}};
    }
    bool zaps_on_noncoherent_transition(const ept_inputs&) const override { return true; }
};

} // namespace

MTSIM_REGISTER(ept_policy, proof_policy);

} // namespace mtsim::kvm::policies
CPP
cat > "$new_src/kvm/tests/proof_policy_test.cpp" <<'CPP'
#include <doctest/doctest.h>

#include "kvm/policy.h"

TEST_CASE("proof-policy: registered and WB with IPAT without non-coherent DMA") {
    const mtsim::kvm::ept_policy* p = mtsim::kvm::find_policy("proof-policy");
    REQUIRE(p != nullptr);
    const mtsim::kvm::ept_decision d = p->decide({});
    CHECK(d.ept_type == mtsim::memtype::wb);
    CHECK(d.ipat);
}
CPP

# The build re-runs cmake (a new file in a globbed folder), which records `git describe` of the
# source tree; point git at the original tree so the recorded version does not change and
# recompile everything that embeds it.
if gitdir=$(git -C "$src" rev-parse --absolute-git-dir 2>/dev/null); then
    export GIT_DIR=$gitdir GIT_WORK_TREE=$src
fi
start=$SECONDS
cmake --build "$new_build" --target mtsim mtsim_kvm_tests -j2 > "$tmp/build.log" 2>&1 ||
    { cat "$tmp/build.log"; fail "the copy does not build"; }
echo "rebuild: $((SECONDS - start)) s, $(grep -c 'Building CXX' "$tmp/build.log") files compiled"
grep "Building CXX" "$tmp/build.log" | sed "s/.*object //"

mtsim=$new_build/app/mtsim
unset GIT_DIR GIT_WORK_TREE
# (outputs captured first: with pipefail, `mtsim ... | grep -q` fails whenever grep's early exit
# makes mtsim's next write a SIGPIPE)
policies=$("$mtsim" list policies) || fail "mtsim list policies failed"
hosts=$("$mtsim" list hosts) || fail "mtsim list hosts failed"
grep -q "^proof-policy " <<<"$policies" || fail "not in mtsim list policies"
grep -q "^proof-policy " <<<"$hosts" || fail "not a host in mtsim list hosts"
# (the arm64 hosts follow the x86 ones, so the place is just before amd-npt's line)
awk '{print $1}' <<<"$hosts" | grep -B1 -x "amd-npt" | head -n 1 | grep -qx "proof-policy" ||
    fail "host not in registry order (order key 620: after linux-6.16's hosts, before amd-npt)"
"$mtsim" matrix "$new_src/scenarios/catalogue/08a-pci-hole-scan.yaml" --csv > "$tmp/matrix.csv" ||
    true # exit 1 only says an expectation was missed; the columns are what is checked
grep -q "^pci-hole-scan,proof-policy," "$tmp/matrix.csv" || fail "no matrix column: $(cat "$tmp/matrix.csv")"

out=$(ctest --test-dir "$new_build" -R "proof-policy|every registered policy reproduces" \
    --output-on-failure 2>&1) || { echo "$out"; fail "the new tests fail"; }
echo "$out" | grep -q "100% tests passed, 0 tests failed out of 2" ||
    { echo "$out"; fail "expected the policy's own test and the era-table test to run"; }
echo "PASS: proof-policy listed, a host, a matrix column, its test discovered and passing"
