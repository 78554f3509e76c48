// Runs a resolved experiment: creates the run folder, writes the resolved config, sets the
// thread count, then runs each stage's registered runner in order. A stage that completed on
// an earlier `genesis run` of the same folder with the same config is skipped, so a killed run
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

// Runs every stage; the summary tells whether inputs were skipped along the way.
absl::StatusOr<RunSummary> RunExperiment(const Experiment& resolved);

}  // namespace genesis

#endif  // GENESIS_CORE_RUNNER_H_
