#include "study/shards.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "scenarios/runner.h"
#include "study/csv.h"
#include "study/sweep.h"

namespace mtsim::study {

namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::invalid_argument(p.string() + ": cannot open");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// A word for bash: single-quoted, a quote as '\''.
std::string sh(const std::string& s) {
    std::string out = "'";
    for (const char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

} // namespace

merge_summary merge_outputs(const std::vector<std::string>& dirs, const std::string& outdir,
                            const std::string& command_line) {
    if (dirs.empty()) throw std::invalid_argument("merge: no shard folders");
    merge_summary sum;
    std::vector<std::string> header;
    std::string study_text;
    std::map<unsigned long long, std::vector<std::string>> rows;
    std::map<unsigned long long, fs::path> configs;
    for (const auto& d : dirs) {
        const fs::path dir(d);
        if (fs::exists(dir / "results.csv.partial"))
            throw std::invalid_argument(
                d + ": the sweep of this shard did not finish (results.csv.partial); run it "
                    "again to resume, then merge");
        const csv_table t = read_csv((dir / "results.csv").string(), false);
        const std::string st = slurp(dir / "study.yaml");
        if (header.empty()) {
            header = t.header;
            study_text = st;
        } else if (t.header != header || st != study_text)
            throw std::invalid_argument(d +
                                        ": a shard of another study (its study.yaml or "
                                        "its columns differ from " +
                                        dirs.front() + "'s)");
        const auto m = nlohmann::json::parse(slurp(dir / "manifest.json"));
        sum.points = std::max<std::size_t>(sum.points, m.value("points", std::size_t(0)));
        for (const auto& r : t.rows) {
            const auto idx = std::stoull(r[0]);
            const auto [it, fresh] = rows.emplace(idx, r);
            if (!fresh && it->second != r)
                throw std::invalid_argument(fmt::format(
                    "{}: point {} differs from the same point in another shard", d, idx));
            const std::size_t cfg_col =
                std::size_t(std::find(header.begin(), header.end(), "config") - header.begin());
            if (cfg_col < r.size() && !r[cfg_col].empty()) configs[idx] = dir / r[cfg_col];
        }
    }
    fs::create_directories(fs::path(outdir) / "points");
    for (const auto& [idx, from] : configs) {
        const fs::path to = fs::path(outdir) / "points" / from.filename();
        if (fs::exists(from) && !fs::equivalent(from.parent_path(), to.parent_path()))
            write_file_atomic(to.string(), slurp(from));
    }
    std::string text = csv_line(header);
    for (const auto& [idx, r] : rows) text += csv_line(r);
    write_file_atomic((fs::path(outdir) / "study.yaml").string(), study_text);
    write_file_atomic((fs::path(outdir) / "results.csv").string(), text);
    sum.rows = rows.size();
    nlohmann::json m;
    m["mtsim_version"] = scenarios::mtsim_version();
    m["command_line"] = command_line;
    m["date"] = utc_now();
    m["merged_from"] = dirs;
    m["points"] = sum.points;
    m["rows"] = sum.rows;
    write_file_atomic((fs::path(outdir) / "manifest.json").string(), m.dump(1) + "\n");
    return sum;
}

std::string slurm_script(const std::string& exe, const std::string& study_file,
                         const std::string& name, unsigned shards, unsigned jobs,
                         const std::string& outdir) {
    const std::string abs_study = fs::absolute(study_file).lexically_normal().string();
    const std::string abs_out = fs::absolute(outdir).lexically_normal().string();
    std::ostringstream os;
    os << "#!/bin/bash\n"
       << "# The study " << name << " as a Slurm job array of " << shards
       << " shards (written by `mtsim sweep --emit-slurm`).\n"
       << "# Submit: sbatch THIS_FILE; when every task has ended:\n"
       << "#   " << exe << " merge " << abs_out << "/shard-* --outdir " << abs_out << "/merged\n"
       << "#SBATCH --job-name=" << fmt::format("mtsim-{}", name) << "\n"
       << "#SBATCH --array=0-" << shards - 1 << "\n"
       << "#SBATCH --ntasks=1\n"
       << "#SBATCH --cpus-per-task=" << jobs << "\n"
       << "set -euo pipefail\n"
       << "exec " << sh(exe) << " sweep " << sh(abs_study) << " --shard \"$SLURM_ARRAY_TASK_ID/"
       << shards << "\" --jobs " << jobs << " --outdir " << sh(abs_out)
       << "/shard-\"$SLURM_ARRAY_TASK_ID\"\n";
    return os.str();
}

} // namespace mtsim::study
