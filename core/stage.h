// Stage runners: what `genesis run` executes for each `stage { <kind> { ... } }` of an
// experiment. A stage runner is registered under the name of its field in genesis.Stage
// ("corpus", "pretrain", ...) with that field's message as its options, so the runner core
// dispatches by name and never includes a stage's implementation.
//
// Run-folder layout (documented in README.md, "Output folder"):
//   <run>/experiment.resolved.textproto   the config as run, defaults filled in
//   <run>/genesis.log                     the log of every `genesis run` on this folder
//   <run>/stages.csv                      one line per stage: index, kind, status, seconds
//   <run>/<NN>_<kind>/                    each stage's outputs (e.g. 00_corpus/, 01_pretrain/)
#ifndef GENESIS_CORE_STAGE_H_
#define GENESIS_CORE_STAGE_H_

#include <cstdint>
#include <string>
#include <vector>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/proto/experiment.pb.h"
#include "core/registry.h"

namespace genesis {

// What a whole run reports besides success: skipped inputs and where they are listed.
struct RunSummary {
  int64_t skipped = 0;
  std::vector<std::string> skip_reports;  // e.g. <run>/00_corpus/skipped.csv
  void AddSkipped(int64_t count, const std::string& report) {
    skipped += count;
    if (count > 0) skip_reports.push_back(report);
  }
};

struct RunContext {
  const Experiment* experiment = nullptr;  // Resolved config.
  std::string run_dir;                     // Absolute path, exists.
  int stage_index = 0;
  std::string stage_dir;                   // <run>/<NN>_<kind>, exists.
  uint64_t seed = 0;
  std::string device;                      // "cpu", "cuda", "cuda:1".
  int num_threads = 1;                     // Resolved (>= 1).
  // Inputs a stage had to skip (unreadable files, corrupt slices) while still completing: the
  // stage adds the count and names its report; `genesis run` finishes every stage and then
  // exits with code 3 ("completed with skipped inputs"). Never null inside Run().
  RunSummary* summary = nullptr;
  // This stage's fingerprint (core/fingerprint.h): its options, the seed and everything it
  // reads. Stages that keep finer-grained results (transfer sub-runs) stamp them with it.
  std::string fingerprint;
  // `genesis run --shard I/N`: this process runs share I of N of a shardable stage's work.
  int shard_index = 0;
  int shard_count = 1;
  // `genesis run --force_resume`: resume partial work even though it was made from other
  // inputs or options (the log records it).
  bool force_resume = false;

  // The output folder of the most recent earlier stage of `kind` in this run, or NotFound.
  absl::StatusOr<std::string> EarlierStageDir(absl::string_view kind) const;
  // The index of that stage, or NotFound.
  absl::StatusOr<int> EarlierStageIndex(absl::string_view kind) const;
};

// What a stage reads, for its fingerprint. A stage's fingerprint covers its options, the seed and
// the fingerprints of everything listed here, so changing an input reruns exactly the stages
// downstream of it.
struct StageInputs {
  std::vector<int> stages;         // Earlier stages of this run whose outputs the stage reads.
  std::vector<std::string> paths;  // Files or folders outside the run (their listings count).
};

class StageRunner {
 public:
  static constexpr absl::string_view kKind = "stage";
  static constexpr absl::string_view kTarget = "//core/stages:all";
  static constexpr absl::string_view kKindDescription =
      "runs one stage of an experiment (corpus, pretrain, transfer, evaluate, report)";

  virtual ~StageRunner() = default;
  virtual absl::Status Run(const RunContext& context) = 0;
  // Whether every rank of a data-parallel run (WORLD_SIZE > 1) executes this stage, each doing
  // its share (e.g. pretraining). The other ranks then start it when rank 0 has prepared its
  // folder (or skip it when rank 0 does), and only rank 0 writes its .done. Otherwise only
  // rank 0 runs it and the other ranks wait for its completion marker before going on.
  virtual bool RunsOnEveryRank() const { return false; }
  // What this stage reads (see StageInputs). Default: the outputs of every earlier stage.
  virtual absl::StatusOr<StageInputs> Inputs(const RunContext& context) const;
  // Whether the stage resumes partial work left in its folder by a killed run (pretraining
  // checkpoints). Partial work made with another fingerprint is then refused unless
  // --force_resume; stages that do not resume get a clean folder instead.
  virtual bool Resumes() const { return false; }
  // Whether the stage checks the freshness of its own results inside its folder (transfer
  // sub-runs, each stamped with its fingerprint) and splits its work over `--shard I/N`. The
  // runner then never clears its folder, and a sharded process marks it done only when
  // every share is complete (the stage returns Unavailable while shares are missing).
  virtual bool Shardable() const { return false; }
};

// "<NN>_<kind>" for stage `index` of kind `kind`.
std::string StageDirName(int index, absl::string_view kind);
// "corpus", "pretrain", ... -- the name of the field set in `stage`'s oneof; "" if none.
std::string StageKindName(const Stage& stage);

}  // namespace genesis

#define GENESIS_REGISTER_STAGE(Plugin, name, Options, description) \
  GENESIS_REGISTER_PLUGIN(::genesis::StageRunner, Plugin, name, Options, description)

#endif  // GENESIS_CORE_STAGE_H_
