// Conditions in herd's syntax and the summary of runs (docs/litmus.md), without the kernel.
#include <doctest/doctest.h>

#include "litmus/condition.h"
#include "litmus/report.h"

using namespace mtsim::litmus;

namespace {

outcome sb(std::uint64_t a, std::uint64_t b) {
    outcome o;
    o.registers = {{"vcpu1", "r0", b}, {"vcpu0", "r0", a}};
    sort_registers(o.registers);
    o.locations = {{"x", 1}, {"y", 1}};
    return o;
}

nlohmann::json run_of(const outcome& o, bool sat) {
    return {{"verdict", "race"}, {"litmus", {{"outcome", format_outcome(o)}, {"satisfied", sat}}}};
}

} // namespace

TEST_CASE("a conjunction of register atoms holds only when both hold") {
    const condition c = parse_condition(quantifier::exists, "0:r0=0 /\\ 1:r0=0");
    CHECK(c.satisfied_by(sb(0, 0)));
    CHECK_FALSE(c.satisfied_by(sb(0, 1)));
    CHECK_FALSE(c.satisfied_by(sb(1, 0)));
    CHECK(c.atoms().size() == 2);
}

TEST_CASE("negation binds tighter than conjunction which binds tighter than disjunction") {
    // ~a /\ b \/ c  ==  ((~a) /\ b) \/ c
    const condition c = parse_condition(quantifier::exists, "~0:r0=1 /\\ 1:r0=1 \\/ x=2");
    CHECK(c.satisfied_by(sb(0, 1)));
    CHECK_FALSE(c.satisfied_by(sb(1, 1)));
    CHECK_FALSE(c.satisfied_by(sb(0, 0)));
    const condition p = parse_condition(quantifier::exists, "~(0:r0=1 /\\ 1:r0=1) /\\ [y]<>0x0");
    CHECK(p.satisfied_by(sb(0, 1)));
    CHECK_FALSE(p.satisfied_by(sb(1, 1)));
}

TEST_CASE("vmm and gpu registers and locations are named as herd names them") {
    outcome o;
    o.registers = {{"gpu", "r1", 7}, {"vmm", "r0", 3}, {"vcpu10", "a", 1}, {"vcpu2", "a", 2}};
    sort_registers(o.registers);
    o.locations = {{"x", 5}};
    CHECK(format_outcome(o) == "2:a=2; 10:a=1; vmm:r0=3; gpu:r1=7; x=5;");
    CHECK(parse_condition(quantifier::forall, "vmm:r0=3 /\\ gpu:r1=7 /\\ x=5").satisfied_by(o));
}

TEST_CASE("malformed conditions name the offending character") {
    auto offset_of = [](const std::string& text) {
        try {
            parse_condition(quantifier::exists, text);
        } catch (const condition_error& e) {
            return long(e.offset);
        }
        return -1L;
    };
    CHECK(offset_of("0:r0=0 /\\") == 9);
    CHECK(offset_of("0:r0") == 4);
    CHECK(offset_of("0:r0=0 1:r0=0") == 7);
    CHECK(offset_of("(0:r0=0") == 7);
    CHECK(offset_of("cpu:r0=0") == 0);
    CHECK(offset_of("0:r0=zz") == 5);
    CHECK(offset_of("0:r0=0x") == 5);
}

TEST_CASE("the summary says Ok when an exists outcome was seen and agrees with allow") {
    exploration e;
    e.test = "SB";
    e.runs = 3;
    e.q = quantifier::exists;
    e.condition = "0:r0=0 /\\ 1:r0=0";
    e.expect = "allow";
    e.results = {run_of(sb(0, 0), true), run_of(sb(0, 1), false), run_of(sb(0, 1), false)};
    const auto j = summarize(e);
    CHECK(j["states"] == 2);
    CHECK(j["positive"] == 1);
    CHECK(j["negative"] == 2);
    CHECK(j["result"] == "Ok");
    CHECK(j["observation"] == "Sometimes");
    CHECK(j["agrees"] == true);
    const std::string text = format_summary(j);
    CHECK(text.find("Histogram (2 states)") != std::string::npos);
    CHECK(text.find("1     *>0:r0=0; 1:r0=0; x=1; y=1;") != std::string::npos);
    CHECK(text.find("Observation SB Sometimes 1 2") != std::string::npos);
    e.expect = "forbid";
    CHECK(summarize(e)["agrees"] == false);
}

TEST_CASE("forall is Ok only when every run satisfies it and ~exists only when none does") {
    exploration e;
    e.q = quantifier::forall;
    e.results = {run_of(sb(1, 1), true), run_of(sb(0, 1), false)};
    CHECK(summarize(e)["result"] == "No");
    e.q = quantifier::not_exists;
    CHECK(summarize(e)["result"] == "No");
    e.results = {run_of(sb(1, 1), false)};
    CHECK(summarize(e)["result"] == "Ok");
    CHECK(summarize(e)["observation"] == "Never");
}

TEST_CASE("run seeds are deterministic and never 0") {
    CHECK(run_perturb_seed(1, 0) == run_perturb_seed(1, 0));
    CHECK(run_perturb_seed(1, 0) != run_perturb_seed(1, 1));
    for (std::uint64_t i = 0; i < 1000; ++i) CHECK(run_perturb_seed(0, i) != 0);
}
