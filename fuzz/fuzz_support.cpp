#include "fuzz/fuzz_support.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ios>
#include <new>
#include <stdexcept>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "model/config.h"
#include "model/not_modelled.h"

namespace fs = std::filesystem;

namespace mtsim::fuzz {

namespace {

std::string make_folder() {
    const char* shm = "/dev/shm";
    const char* tmp = std::getenv("TMPDIR");
    const fs::path base = fs::is_directory(shm) ? fs::path(shm) : fs::path(tmp ? tmp : "/tmp");
    const fs::path dir = base / ("mtsim-fuzz-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    // Seeds include the catalogue's common platform file and the tests' data parts: both folders
    // are linked beside the input under the names the seeds use.
    const fs::path src = MTSIM_SOURCE_DIR;
    std::error_code ec;
    fs::create_directory_symlink(src / "scenarios/catalogue/shared", dir / "shared", ec);
    fs::create_directory_symlink(src / "scenarios/tests/data/parts", dir / "parts", ec);
    return (dir / "input.yaml").string();
}

} // namespace

std::string write_input(const std::uint8_t* data, std::size_t size) {
    static const std::string path = make_folder();
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) {
        std::perror(path.c_str());
        std::abort();
    }
    if (size && std::fwrite(data, 1, size, f) != size) std::abort();
    std::fclose(f);
    return path;
}

bool is_input_error(const std::exception_ptr& e, std::string& what) {
    try {
        std::rethrow_exception(e);
    } catch (const config_error& x) {
        what = x.what();
    } catch (const not_modelled& x) {
        what = x.what();
    } catch (const YAML::Exception& x) {
        what = std::string("YAML: ") + x.what();
    } catch (const nlohmann::json::parse_error& x) {
        what = std::string("JSON: ") + x.what();
    } catch (const fs::filesystem_error& x) {
        what = x.what();
    } catch (const std::ios_base::failure& x) {
        what = x.what();
    } catch (const std::invalid_argument& x) {
        what = x.what();
    } catch (const std::out_of_range& x) {
        what = std::string("out_of_range: ") + x.what();
        return std::string(x.what()).rfind("sto", 0) == 0;
    } catch (const std::bad_alloc&) {
        what = "bad_alloc";
    } catch (const std::exception& x) {
        what = std::string("internal error: ") + x.what();
        return false;
    } catch (...) {
        what = "an exception of unknown type";
        return false;
    }
    return true;
}

} // namespace mtsim::fuzz
