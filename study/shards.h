// A study beyond one process: shards merged back, and the Slurm job array that runs them
// (docs/sweep.md). Contract: `merge_outputs` joins the output folders of shards of one study
// into one folder whose results.csv is the one an unsharded run writes (rows by point index,
// the same header), refusing folders of different studies (header or study.yaml differ), an
// unfinished shard (results.csv.partial present) and two rows for one point that differ.
#pragma once

#include <string>
#include <vector>

namespace mtsim::study {

struct merge_summary {
    std::size_t rows = 0;
    std::size_t points = 0; // the study's points, from the shards' manifests
};

merge_summary merge_outputs(const std::vector<std::string>& dirs, const std::string& outdir,
                            const std::string& command_line);

// An sbatch script running the study as a job array of `shards` tasks, each
// `EXE sweep STUDY --shard $SLURM_ARRAY_TASK_ID/shards --jobs JOBS --outdir OUTDIR/shard-ID`.
std::string slurm_script(const std::string& exe, const std::string& study_file,
                         const std::string& name, unsigned shards, unsigned jobs,
                         const std::string& outdir);

} // namespace mtsim::study
