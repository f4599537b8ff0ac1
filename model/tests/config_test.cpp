#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "model/config.h"

using namespace mtsim;

namespace {

// A miniature platform shaped like the real ones: nested per-block sections, every kind.
enum class repl { lru, random, plru };

struct l1_config {
    std::uint64_t size = 32 * KiB;
    unsigned ways = 8;
    mtsim::cycles hit_latency{4};
    repl replacement = repl::lru;
    bool write_allocate = true;

    void describe(param_visitor& v) {
        v.size("size", size, "capacity", 1 * KiB, 1 * GiB);
        v.uint("ways", ways, "associativity", "ways", 1, 32);
        v.cycles("hit_latency", hit_latency, "lookup latency on a hit", 1, 100);
        v.choice("replacement", replacement, "victim choice",
                 {{"lru", repl::lru}, {"random", repl::random}, {"plru", repl::plru}});
        v.flag("write_allocate", write_allocate, "allocate a line on a write miss");
    }
};

struct cache_config {
    l1_config l1d;
    l1_config l1i;
    void describe(param_visitor& v) {
        v.section("l1d", l1d);
        v.section("l1i", l1i);
    }
};

struct dram_config {
    double freq_mhz = 3200.0;
    std::uint64_t base = 0x80000000;
    memtype default_type = memtype::wb;
    std::string name = "ddr4";
    std::string page_policy = "open";
    std::uint16_t channels = 2;

    void describe(param_visitor& v) {
        v.real("freq_mhz", freq_mhz, "controller clock", "MHz", 100.0, 10000.0);
        v.uint("base", base, "first byte of DRAM", "address");
        v.mem_type("default_type", default_type, "type of addresses no MTRR covers");
        v.text("name", name, "label in reports");
        v.choice("page_policy", page_policy, "row buffer policy", {"open", "closed"});
        v.uint("channels", channels, "independent channels", "channels", 1);
    }
};

struct platform_config {
    cache_config cache;
    dram_config dram;
    bool self_snoop = true;
    void describe(param_visitor& v) {
        v.section("cache", cache);
        v.section("dram", dram);
        v.flag("self_snoop", self_snoop, "CPUID self-snoop");
    }
};

struct root_config {
    platform_config platform;
    std::string label = "default";
    void describe(param_visitor& v) {
        v.section("platform", platform);
        v.text("label", label, "name of the run");
    }
};

// From the source tree, not __FILE__: a compiler cache may record __FILE__ relative to the
// build folder.
std::string fixture(const char* name) {
    return (std::filesystem::path(MTSIM_SOURCE_DIR) / "model" / "tests" / "data" / name).string();
}

bool same(const l1_config& a, const l1_config& b) {
    return a.size == b.size && a.ways == b.ways && a.hit_latency == b.hit_latency &&
           a.replacement == b.replacement && a.write_allocate == b.write_allocate;
}

bool same(const root_config& a, const root_config& b) {
    const auto& x = a.platform;
    const auto& y = b.platform;
    return same(x.cache.l1d, y.cache.l1d) && same(x.cache.l1i, y.cache.l1i) &&
           x.dram.freq_mhz == y.dram.freq_mhz && x.dram.base == y.dram.base &&
           x.dram.default_type == y.dram.default_type && x.dram.name == y.dram.name &&
           x.dram.page_policy == y.dram.page_policy && x.dram.channels == y.dram.channels &&
           x.self_snoop == y.self_snoop && a.label == b.label;
}

// Loads `text` expecting a config_error; returns it.
config_error load_error(const std::string& text) {
    root_config c;
    try {
        load_yaml_string(text, "inline.yaml", c);
    } catch (const config_error& e) {
        return e;
    }
    FAIL("no config_error for:\n" << text);
    return config_error("", 0, "", "");
}

config_error set_error(const std::string& assignment) {
    root_config c;
    try {
        apply_set(assignment, c);
    } catch (const config_error& e) {
        return e;
    }
    FAIL("no config_error for --set " << assignment);
    return config_error("", 0, "", "");
}

} // namespace

TEST_CASE("config: a YAML file sets what it names and leaves every other default") {
    root_config c;
    load_yaml_file(fixture("config_good.yaml"), c);
    CHECK(c.label == "run-1");
    CHECK(c.platform.self_snoop == false);
    CHECK(c.platform.cache.l1d.size == 48 * KiB);
    CHECK(c.platform.cache.l1d.ways == 12);
    CHECK(c.platform.cache.l1d.replacement == repl::random);
    CHECK(c.platform.dram.base == 0x100000000ull);
    CHECK(c.platform.dram.default_type == memtype::uc_minus);
    CHECK(c.platform.dram.freq_mhz == 2666.5);
    // Untouched: equal to a fresh default.
    const root_config d;
    CHECK(same(c.platform.cache.l1i, d.platform.cache.l1i));
    CHECK(c.platform.cache.l1d.hit_latency == d.platform.cache.l1d.hit_latency);
    CHECK(c.platform.cache.l1d.write_allocate == d.platform.cache.l1d.write_allocate);
    CHECK(c.platform.dram.name == "ddr4");
    CHECK(c.platform.dram.page_policy == "open");
    CHECK(c.platform.dram.channels == 2);
}

TEST_CASE("config: an empty document or absent section means all defaults") {
    root_config c;
    load_yaml_string("", "empty.yaml", c);
    CHECK(same(c, root_config{}));
    load_yaml_string("# only a comment\n", "comment.yaml", c);
    CHECK(same(c, root_config{}));
    load_yaml_string("platform:\n  cache:\n", "null-section.yaml", c);
    CHECK(same(c, root_config{}));
}

TEST_CASE("config: an unknown key is rejected with its file and line and the valid keys") {
    root_config c;
    const std::string file = fixture("config_unknown_key.yaml");
    try {
        load_yaml_file(file, c);
        FAIL("unknown key accepted");
    } catch (const config_error& e) {
        CHECK(e.file() == file);
        CHECK(e.line() == 6);
        CHECK(e.key() == "platform.cache.l1d.wayz");
        CHECK(e.message() == "unknown key; valid keys here: size, ways, hit_latency, replacement, "
                             "write_allocate");
        CHECK(std::string(e.what()) ==
              file + ":6: key 'platform.cache.l1d.wayz': unknown key; valid keys here: size, "
                     "ways, hit_latency, replacement, write_allocate");
    }
}

TEST_CASE("config: an out-of-range value names its file and line and key and the range") {
    root_config c;
    const std::string file = fixture("config_bad_range.yaml");
    try {
        load_yaml_file(file, c);
        FAIL("out-of-range value accepted");
    } catch (const config_error& e) {
        CHECK(e.file() == file);
        CHECK(e.line() == 7);
        CHECK(e.key() == "platform.cache.l1i.ways");
        CHECK(e.message() ==
              "expected an unsigned integer (decimal or 0x hex) in [1, 32], got '64'");
    }
}

TEST_CASE("config: a duplicate key is rejected at its second occurrence") {
    root_config c;
    const std::string file = fixture("config_duplicate.yaml");
    try {
        load_yaml_file(file, c);
        FAIL("duplicate key accepted");
    } catch (const config_error& e) {
        CHECK(e.file() == file);
        CHECK(e.line() == 5);
        CHECK(e.key() == "platform.dram.channels");
        CHECK(e.message() == "duplicate key (first on line 3)");
    }
}

TEST_CASE("config: YAML syntax errors and missing files are config_errors with the file") {
    root_config c;
    const std::string file = fixture("config_syntax.yaml");
    try {
        load_yaml_file(file, c);
        FAIL("bad YAML accepted");
    } catch (const config_error& e) {
        CHECK(e.file() == file);
        CHECK(e.line() == 5);
        CHECK(e.key().empty());
        CHECK(e.message().rfind("YAML syntax error: ", 0) == 0);
    }
    try {
        load_yaml_file(fixture("no_such_file.yaml"), c);
        FAIL("missing file accepted");
    } catch (const config_error& e) {
        CHECK(e.file() == fixture("no_such_file.yaml"));
        CHECK(e.line() == 0);
        CHECK(e.message() == "cannot open the file");
    }
}

TEST_CASE("config: every kind of bad value names the line and key") {
    struct row {
        const char* text;
        unsigned line;
        const char* key;
        const char* message;
    };
    // Each document puts the offending key on a known line.
    const row rows[] = {
        {"label: x\nplatform:\n  self_snoop: maybe\n", 3, "platform.self_snoop",
         "expected true or false, got 'maybe'"},
        {"platform:\n  dram:\n    default_type: WX\n", 3, "platform.dram.default_type",
         "expected a memory type, one of: UC, WC, WT, WP, WB, UC-, got 'WX'"},
        {"platform:\n  dram:\n\n    page_policy: adaptive\n", 4, "platform.dram.page_policy",
         "expected one of: open, closed, got 'adaptive'"},
        {"platform:\n  cache:\n    l1d:\n      replacement: fifo\n", 4,
         "platform.cache.l1d.replacement", "expected one of: lru, random, plru, got 'fifo'"},
        {"platform:\n  dram:\n    freq_mhz: fast\n", 3, "platform.dram.freq_mhz",
         "expected a finite number in [100, 10000], got 'fast'"},
        {"platform:\n  dram:\n    freq_mhz: 50\n", 3, "platform.dram.freq_mhz",
         "expected a finite number in [100, 10000], got '50'"},
        {"platform:\n  dram:\n    channels: 70000\n", 3, "platform.dram.channels",
         "expected an unsigned integer (decimal or 0x hex) in [1, 65535], got '70000'"},
        {"platform:\n  dram:\n    base: -1\n", 3, "platform.dram.base",
         "expected an unsigned integer (decimal or 0x hex), got '-1'"},
        {"platform:\n  cache:\n    l1d:\n      size: 32KB\n", 4, "platform.cache.l1d.size",
         "expected a size in bytes (e.g. 4096, 0x1000, 32KiB; suffixes B, KiB, MiB, GiB, TiB) "
         "in [1KiB, 1GiB], got '32KB'"},
        {"platform:\n  cache:\n    l1d:\n      size: 2GiB\n", 4, "platform.cache.l1d.size",
         "expected a size in bytes (e.g. 4096, 0x1000, 32KiB; suffixes B, KiB, MiB, GiB, TiB) "
         "in [1KiB, 1GiB], got '2GiB'"},
        {"platform:\n  cache:\n    l1d:\n      ways: [4, 8]\n", 4, "platform.cache.l1d.ways",
         "expected a uint value, got a sequence"},
        {"platform:\n  cache:\n    l1d:\n      ways:\n        n: 4\n", 4, "platform.cache.l1d.ways",
         "expected a uint value, got a mapping"},
        {"platform:\n  cache:\n    l1d:\n      ways:\n", 4, "platform.cache.l1d.ways",
         "expected a uint value, got nothing"},
        {"platform:\n  cache: 3\n", 2, "platform.cache",
         "expected a mapping of parameters, got a scalar"},
        {"platform:\n  cache:\n    - l1d\n", 2, "platform.cache",
         "expected a mapping of parameters, got a sequence"},
        {"label: a\n\nplatfrom:\n  self_snoop: true\n", 3, "platfrom",
         "unknown key; valid keys here: platform, label"},
        {"platform:\n  dram:\n    name: x\n  ? [a, b]\n  : 1\n", 4, "platform",
         "a key must be a plain name"},
    };
    for (const row& r : rows) {
        CAPTURE(r.text);
        const config_error e = load_error(r.text);
        CHECK(e.file() == "inline.yaml");
        CHECK(e.line() == r.line);
        CHECK(e.key() == r.key);
        CHECK(e.message() == r.message);
    }
}

TEST_CASE("config: a top level that is not a mapping is rejected") {
    const config_error e = load_error("\n- platform\n- label\n");
    CHECK(e.line() == 2);
    CHECK(e.key().empty());
    CHECK(e.message() == "expected a mapping of parameters, got a sequence");
    CHECK(std::string(e.what()) ==
          "inline.yaml:2: expected a mapping of parameters, got a sequence");
}

TEST_CASE("config: a sub-tree of a larger file loads with its prefix in errors") {
    // A scenario file holds more than the platform; its loader hands over one sub-tree.
    const YAML::Node doc = YAML::Load("platform:\n  self_snoop: false\n  cache:\n"
                                      "    l1d:\n      ways: 4\nprograms: [a, b]\n");
    platform_config p;
    load_yaml(doc["platform"], "scenario.yaml", p, "platform");
    CHECK(p.self_snoop == false);
    CHECK(p.cache.l1d.ways == 4);

    const YAML::Node bad = YAML::Load("platform:\n  cache:\n    l1d:\n      wayz: 4\n");
    try {
        load_yaml(bad["platform"], "scenario.yaml", p, "platform");
        FAIL("unknown key accepted");
    } catch (const config_error& e) {
        CHECK(e.line() == 4);
        CHECK(e.key() == "platform.cache.l1d.wayz");
    }
}

TEST_CASE("config: sizes accept decimal or hex with binary suffixes and uints decimal or hex") {
    CHECK(parse_size("4096") == 4096u);
    CHECK(parse_size("0x1000") == 4096u);
    CHECK(parse_size("0X1000") == 4096u);
    CHECK(parse_size("32KiB") == 32768u);
    CHECK(parse_size("32 KiB") == 32768u);
    CHECK(parse_size("32kib") == 32768u);
    CHECK(parse_size("2MiB") == 2u * 1024 * 1024);
    CHECK(parse_size("1GiB") == 1ull << 30);
    CHECK(parse_size("3TiB") == 3ull << 40);
    CHECK(parse_size("64B") == 64u);
    CHECK(parse_size("0x10KiB") == 16384u);
    CHECK(parse_size("16777215TiB") == 16777215ull << 40);
    CHECK_FALSE(parse_size("16777216TiB").has_value()); // 2^64: overflow
    CHECK_FALSE(parse_size("32KB").has_value());        // ambiguous decimal suffix
    CHECK_FALSE(parse_size("32K").has_value());
    CHECK_FALSE(parse_size("KiB").has_value());
    CHECK_FALSE(parse_size("1.5MiB").has_value());
    CHECK_FALSE(parse_size("").has_value());
    CHECK_FALSE(parse_size("-4KiB").has_value());

    CHECK(parse_uint("0") == 0u);
    CHECK(parse_uint("18446744073709551615") == 18446744073709551615ull);
    CHECK_FALSE(parse_uint("18446744073709551616").has_value());
    CHECK(parse_uint("0xffffffffffffffff") == 18446744073709551615ull);
    CHECK_FALSE(parse_uint("0x10000000000000000").has_value());
    CHECK(parse_uint("0xDeadBeef") == 0xdeadbeefull);
    CHECK_FALSE(parse_uint("0x").has_value());
    CHECK_FALSE(parse_uint("0xg").has_value());
    CHECK_FALSE(parse_uint("12a").has_value());
    CHECK_FALSE(parse_uint("+1").has_value());
    CHECK_FALSE(parse_uint(" 1").has_value());

    CHECK(parse_bool("TRUE") == true);
    CHECK(parse_bool("false") == false);
    CHECK_FALSE(parse_bool("1").has_value());
    CHECK(parse_real("2.5") == 2.5);
    CHECK(parse_real("-1e3") == -1000.0);
    CHECK_FALSE(parse_real("nan").has_value());
    CHECK_FALSE(parse_real("inf").has_value());
    CHECK_FALSE(parse_real(" 1").has_value());
    CHECK_FALSE(parse_real("1x").has_value());

    CHECK(format_size(32768) == "32KiB");
    CHECK(format_size(3ull << 40) == "3TiB");
    CHECK(format_size(1536) == "1536");
    CHECK(format_size(0) == "0");
    for (std::uint64_t v : {1ull, 1023ull, 1024ull, 4096ull, 1536ull << 20, 7ull << 40})
        CHECK(parse_size(format_size(v)) == v);
}

TEST_CASE("config: --set overrides a file and defaults with the same parsers") {
    root_config c;
    load_yaml_file(fixture("config_good.yaml"), c);
    apply_sets({"platform.cache.l1d.ways=16", "platform.cache.l1i.size=0x10000",
                "platform.dram.default_type=wc", "platform.dram.page_policy=CLOSED", "label=a=b",
                "platform.self_snoop=true"},
               c);
    CHECK(c.platform.cache.l1d.ways == 16);
    CHECK(c.platform.cache.l1d.size == 48 * KiB); // from the file, not overridden
    CHECK(c.platform.cache.l1i.size == 64 * KiB);
    CHECK(c.platform.dram.default_type == memtype::wc);
    CHECK(c.platform.dram.page_policy == "closed");
    CHECK(c.label == "a=b");
    CHECK(c.platform.self_snoop == true);

    root_config d;
    apply_set("platform.cache.l1d.size=2MiB", d);
    CHECK(d.platform.cache.l1d.size == 2 * MiB);
    apply_set("platform.dram.name=", d);
    CHECK(d.platform.dram.name.empty());
}

TEST_CASE("config: --set rejects an unknown path or a section or a bad value or no equals sign") {
    {
        const config_error e = set_error("platform.cache.l1d.sise=1");
        CHECK(e.file() == "--set platform.cache.l1d.sise=1");
        CHECK(e.line() == 0);
        CHECK(e.key() == "platform.cache.l1d.sise");
        CHECK(std::string(e.what()) ==
              "--set platform.cache.l1d.sise=1: key 'platform.cache.l1d.sise': unknown "
              "parameter; valid keys under 'platform.cache.l1d': size, ways, hit_latency, "
              "replacement, write_allocate");
    }
    {
        const config_error e = set_error("platform.cahce.l1d.size=1");
        CHECK(e.message() == "unknown parameter; valid keys under 'platform': cache, dram, "
                             "self_snoop");
    }
    {
        const config_error e = set_error("platfrm=1");
        CHECK(e.message() == "unknown parameter; valid top-level keys: platform, label");
    }
    {
        const config_error e = set_error("platform.dram.channels.x=1");
        CHECK(e.message() == "unknown parameter; valid keys under 'platform.dram': freq_mhz, "
                             "base, default_type, name, page_policy, channels");
    }
    {
        const config_error e = set_error("platform.cache=1");
        CHECK(e.message() == "names a section, not a parameter; valid keys under "
                             "'platform.cache': l1d, l1i");
    }
    {
        const config_error e = set_error("platform.cache.l1d.ways=0");
        CHECK(std::string(e.what()) ==
              "--set platform.cache.l1d.ways=0: key 'platform.cache.l1d.ways': expected an "
              "unsigned integer (decimal or 0x hex) in [1, 32], got '0'");
    }
    {
        const config_error e = set_error("platform.dram.default_type=wb-");
        CHECK(e.message() == "expected a memory type, one of: UC, WC, WT, WP, WB, UC-, got 'wb-'");
    }
    {
        const config_error e = set_error("platform.cache.l1d.ways");
        CHECK(e.key().empty());
        CHECK(e.message() == "expected key=value, e.g. platform.cache.l1d.ways=8");
    }
    CHECK(set_error("=3").message() == "expected key=value, e.g. platform.cache.l1d.ways=8");
    // A failed --set leaves the value alone.
    root_config c;
    CHECK_THROWS_AS(apply_set("platform.cache.l1d.ways=99", c), config_error);
    CHECK(c.platform.cache.l1d.ways == 8);
}

TEST_CASE("config: the resolved configuration dumps as JSON with every parameter") {
    root_config c;
    load_yaml_file(fixture("config_good.yaml"), c);
    const nlohmann::json j = config_to_json(c);
    const nlohmann::json expected = nlohmann::json::parse(R"({
        "label": "run-1",
        "platform": {
            "self_snoop": false,
            "cache": {
                "l1d": {"size": 49152, "ways": 12, "hit_latency": 4, "replacement": "random",
                        "write_allocate": true},
                "l1i": {"size": 32768, "ways": 8, "hit_latency": 4, "replacement": "lru",
                        "write_allocate": true}
            },
            "dram": {"freq_mhz": 2666.5, "base": 4294967296, "default_type": "UC-",
                     "name": "ddr4", "page_policy": "open", "channels": 2}
        }
    })");
    CHECK(j == expected);
}

TEST_CASE("config: YAML -> JSON -> load again gives an identical configuration") {
    root_config a;
    load_yaml_file(fixture("config_good.yaml"), a);
    apply_sets({"platform.dram.name=quote\" colon: hash# é", "platform.cache.l1i.ways=0x3",
                "platform.dram.freq_mhz=1234.0625", "platform.cache.l1d.hit_latency=17",
                "platform.cache.l1i.write_allocate=false", "platform.cache.l1i.replacement=plru",
                "platform.dram.base=0xffffffffffffffff"},
               a);
    REQUIRE_FALSE(same(a, root_config{}));
    const nlohmann::json j = config_to_json(a);

    root_config b;
    load_yaml_string(j.dump(2), "resolved.json", b);
    CHECK(same(a, b));
    CHECK(config_to_json(b) == j);

    root_config c; // compact JSON, one line
    load_yaml_string(j.dump(), "resolved.json", c);
    CHECK(same(a, c));
}

TEST_CASE("config: list_params gives every parameter with default and unit and description") {
    const auto params = list_params<root_config>();
    REQUIRE(params.size() == 18); // 5 + 5 cache, 6 dram, self_snoop, label
    CHECK(params.front().path == "platform.cache.l1d.size");
    CHECK(params.back().path == "label");
    const auto find = [&](const std::string& path) {
        for (const auto& p : params)
            if (p.path == path) return p;
        FAIL("no parameter " << path);
        return param_info{};
    };
    const param_info size = find("platform.cache.l1i.size");
    CHECK(size.type == "size");
    CHECK(size.default_value == "32KiB");
    CHECK(size.unit == "bytes");
    CHECK(size.description == "capacity");
    CHECK(size.constraint == "[1KiB, 1GiB]");
    const param_info lat = find("platform.cache.l1d.hit_latency");
    CHECK(lat.type == "uint");
    CHECK(lat.unit == "cycles");
    CHECK(lat.default_value == "4");
    const param_info repl_p = find("platform.cache.l1d.replacement");
    CHECK(repl_p.default_value == "lru");
    CHECK(repl_p.constraint == "one of: lru, random, plru");
    const param_info type = find("platform.dram.default_type");
    CHECK(type.type == "memtype");
    CHECK(type.default_value == "WB");
    const param_info base = find("platform.dram.base");
    CHECK(base.constraint.empty());
    CHECK(base.default_value == "2147483648");
    const param_info freq = find("platform.dram.freq_mhz");
    CHECK(freq.default_value == "3200");
    CHECK(freq.constraint == "[100, 10000]");
    CHECK(find("platform.self_snoop").default_value == "true");
    CHECK(find("platform.dram.channels").constraint == "[1, 65535]");
}

namespace {
struct bad_default {
    unsigned ways = 64;
    void describe(param_visitor& v) { v.uint("ways", ways, "associativity", "ways", 1, 32); }
};
struct twice {
    bool a = false;
    bool b = false;
    void describe(param_visitor& v) {
        v.flag("a", a, "first");
        v.flag("a", b, "second");
    }
};
struct dotted {
    bool a = false;
    void describe(param_visitor& v) { v.flag("x.a", a, "dotted"); }
};
struct bad_enum {
    repl r = static_cast<repl>(7);
    void describe(param_visitor& v) { v.choice("r", r, "victim", {{"lru", repl::lru}}); }
};
struct bad_choice {
    std::string s = "none";
    void describe(param_visitor& v) { v.choice("s", s, "policy", {"open", "closed"}); }
};
} // namespace

TEST_CASE("config: declaration mistakes are logic_errors found by listing") {
    CHECK_THROWS_WITH_AS(list_params<bad_default>(),
                         "parameter 'ways': default 64 is outside [1, 32]", std::logic_error);
    CHECK_THROWS_WITH_AS(list_params<twice>(), "parameter 'a' is declared twice", std::logic_error);
    CHECK_THROWS_AS(list_params<dotted>(), std::logic_error);
    CHECK_THROWS_AS(list_params<bad_enum>(), std::logic_error);
    CHECK_THROWS_WITH_AS(list_params<bad_choice>(),
                         "parameter 's': default none is outside one of: open, closed",
                         std::logic_error);
}
