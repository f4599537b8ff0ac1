// --set reaching the parts that are lists: a guest buffer by name, a program op by index
// (scenarios/list_sets.h). The value goes through the loader's own checks; a path that does not
// exist names the file and line of what is there instead, or the --set.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "scenarios/scenario.h"
#include "scenarios/tests/load_error.h"

using namespace mtsim;
using namespace mtsim::scenarios;

namespace {
const std::string f01 = "scenarios/catalogue/01-virtio-gpu-wc-upload.yaml";
const std::string f05 = "scenarios/catalogue/05-vfio-wbinvd-migrated-vcpu.yaml";

config_error refused(const std::string& file, const std::string& set) {
    return testing::load_error(file, "", {set});
}
} // namespace

TEST_CASE("a buffer field is set by the buffer's name") {
    const scenario s = load_scenario(f01, "", {"guest.buffers[blob].size=16KiB"});
    CHECK(s.find_buffer("blob").size == 16 * KiB);
    // The program's default len follows the new size: it is resolved after the edit.
    CHECK(s.programs[0].ops[0].len == 16 * KiB);
}

TEST_CASE("a program op argument is set by agent and index") {
    const scenario s = load_scenario(f01, "", {"programs.vcpu0[0].fill.len=4KiB"});
    CHECK(s.programs[0].ops[0].len == 4 * KiB);
    const scenario m = load_scenario(f05, "", {"programs.vcpu0[1].migrate=0"});
    CHECK(m.programs[0].ops[1].value == 0);
}

TEST_CASE("an op without arguments gains a mapping when a field is set") {
    const scenario s = load_scenario(
        f05, "", {"programs.gpu[2].interrupt=finished", "programs.vcpu0[4].wait=finished"});
    CHECK(s.programs.back().ops[2].name == "finished");
}

TEST_CASE("a buffer declared in an include is reached") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / "mtsim-list-sets-test";
    fs::create_directories(dir);
    std::ofstream(dir / "part.yaml") << "guest:\n  buffers:\n    - {name: b, gpa: 0x100000, "
                                        "size: 4KiB}\n";
    std::ofstream(dir / "main.yaml")
        << "include: part.yaml\nprograms:\n  vcpu0:\n    - fill: {buffer: b}\n";
    const scenario s =
        load_scenario((dir / "main.yaml").string(), "", {"guest.buffers[b].size=8KiB"});
    CHECK(s.find_buffer("b").size == 8 * KiB);
    fs::remove_all(dir);
}

TEST_CASE("a path that does not exist is refused naming where") {
    auto e = refused(f01, "guest.buffers[nope].size=4KiB");
    CHECK(e.file() == "--set guest.buffers[nope].size=4KiB");
    CHECK(e.message().find("no buffer named 'nope'; buffers: blob") != std::string::npos);

    e = refused(f01, "programs.vcpu0[9].fill.len=64");
    CHECK(e.file() == f01);
    CHECK(e.line() == 14);
    CHECK(e.key() == "programs.vcpu0[9]");
    CHECK(e.message().find("has 4 ops") != std::string::npos);

    e = refused(f01, "programs.vcpu0[1].fill.len=64");
    CHECK(e.line() == 15);
    CHECK(e.message().find("this op is 'sfence', not 'fill'") != std::string::npos);

    e = refused(f01, "programs.vcpu3[0].fill.len=64");
    CHECK(e.key() == "programs.vcpu3");

    e = refused(f01, "programs.vcpu0.fill=1");
    CHECK(e.message().find("expected programs.AGENT[INDEX]") != std::string::npos);
}

TEST_CASE("a value the loader refuses names the --set or the file's line") {
    // A field the --set added: no line in the file, so the --set is named.
    auto e = refused(f01, "programs.vcpu0[0].fill.width=8");
    CHECK(e.file() == "--set programs.vcpu0[0].fill.width=8");
    CHECK(e.key() == "programs.vcpu0[0].fill.width");
    e = refused(f01, "guest.buffers[blob].size=big");
    CHECK(e.file() == f01); // the replaced value keeps its line in the file
    CHECK(e.key() == "guest.buffers[0].size");
    // A semantic check of the loader, unchanged.
    e = refused(f01, "programs.vcpu0[0].fill.len=1MiB");
    CHECK(e.message().find("beyond buffer 'blob'") != std::string::npos);
}
