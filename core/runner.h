// Runs a resolved experiment: creates the run folder, writes the resolved config, sets the
// thread count, then runs each stage's registered runner in order. A stage that completed on
// an earlier `genesis run` of the same folder with the same inputs is skipped, so a killed run
// resumes where it stopped (stages resume their own work, e.g. pretraining checkpoints).
#ifndef GENESIS_CORE_RUNNER_H_
#define GENESIS_CORE_RUNNER_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/proto/experiment.pb.h"
#include "core/stage.h"

namespace genesis {

// Threads used when Experiment.num_threads is 0: every core the machine has.
int DefaultNumThreads();

struct RunOptions {
  // `--force_resume`: continue partial work a killed run left, even if made with other inputs.
  bool force_resume = false;
  // `--shard I/N`: run share I of N of the shardable stage (transfer sub-runs); stages before
  // it run in shard 0 (the others wait for them); stages after it are left to a plain run.
  int shard_index = 0;
  int shard_count = 1;
};

// Runs every stage; the summary tells whether inputs were skipped along the way.
//
// Each stage's fingerprint (options, seed, and the fingerprints of the stages and files it
// reads: StageRunner::Inputs) is written to <stage>/.started when it starts and <stage>/.done
// when it completes. A stage whose .done matches is skipped; one that completed with other
// inputs is rerun in a clean folder (the log says what changed); partial work made with other
// inputs is refused for stages that resume it, unless options.force_resume.
//
// Data parallel (WORLD_SIZE > 1): the ranks connect once (DataParallel::Current, shared by the
// stages and the training loop) and check that they all work in one run folder
// (core/run_folder.h). Rank 0 runs the stages that need one process while the others wait for
// its .done; a stage every rank runs starts on rank 0's word once it prepared the folder. A
// failing rank publishes its error, which ends the other ranks' waits with it.
absl::StatusOr<RunSummary> RunExperiment(const Experiment& resolved,
                                         const RunOptions& options = RunOptions());

}  // namespace genesis

#endif  // GENESIS_CORE_RUNNER_H_
