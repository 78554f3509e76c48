// Plugin kind "task": a downstream, labelled binary-classification dataset that the transfer
// stage fine-tunes encoders on (LUNA16 false-positive reduction, MURA abnormality, ...).
//
//   transfer { task { type: "luna16" options {
//     [type.googleapis.com/genesis.Luna16TaskOptions] { root: "/data/LUNA16" } } } }
//
// Unlike a dataset_source (which lists unlabelled volumes for pretraining), a task lists
// labelled samples, each with the group it belongs to (scan, patient, study), defines the
// cross-validation folds, and produces the image of a sample -- augmented when training.
//
// Life cycle, driven by the transfer stage (core/stages/transfer.cc):
//   1. List(): read the task's metadata only (CSVs, folder listings; no pixels) -- cheap, so
//      the corpus stage can call it too, to keep downstream test patients out of pretraining.
//   2. samples(), Folds(seed): what to train, validate and test on (valid after List).
//   3. Prepare(context): build or reuse a cache of inputs (e.g. extracted patches) in
//      context.cache_dir. Called once per transfer-stage run, after List (on every rank of a
//      data-parallel run: rank 0 first, the others then with build_cache = false).
//   4. Load(ref, augmentation, &image) from loader threads, concurrently.
//   5. WriteTaskPredictions(...) after each sub-run's evaluation (challenge formats).
#ifndef GENESIS_CORE_TASK_H_
#define GENESIS_CORE_TASK_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/pretext_task.h"
#include "core/random.h"
#include "core/registry.h"

namespace genesis {

struct TaskSample {
  // Unique and stable within the task (e.g. "cand_0000123", an image's relative path). The
  // key that pairs predictions of different initialisations for paired tests.
  std::string id;
  int label = 0;  // 0 or 1.
  // Unit of resampling, label fractions and validation splits: a scan (LUNA16 seriesuid), a
  // patient, or a study (MURA). Samples of one group never straddle train/val/test.
  std::string group;
  // The patient, as the pretraining corpus names it (its manifest's patient_id for dataset
  // dataset_name()), for the cross-stage leakage guard. Empty = same as group.
  std::string patient;
  // Extra prediction columns, in the order of Task::PredictionColumns() (e.g. LUNA16:
  // seriesuid, coordX, coordY, coordZ).
  std::vector<std::string> columns;
};

// One training item: a sample and which augmented copy of it (0 = the original). Tasks that
// augment offline (LUNA16 positives x8) list a positive several times with copy 0..7; tasks
// that augment online list every sample once.
struct SampleRef {
  int64_t index = 0;  // Into Task::samples().
  int32_t copy = 0;
};

struct TaskFold {
  std::string name;              // e.g. "subsets 0-1", "official valid".
  std::vector<SampleRef> train;  // May repeat an index with different copies.
  std::vector<int64_t> val;      // Never augmented.
  std::vector<int64_t> test;     // Never augmented; disjoint from train and val by group.
};

struct TaskContext {
  // Shared by every sub-run of the stage (and by re-runs): the place for extracted inputs.
  std::string cache_dir;
  uint64_t seed = 0;
  int num_threads = 1;
  // False on ranks > 0 of a data-parallel run, whose rank 0 has prepared the cache already:
  // Prepare then only opens it, writes nothing, and fails if it is missing or stale.
  bool build_cache = true;
};

// How Load augments: disabled for val/test. Tasks derive every random choice from
// RandomStream(seed, RandomStream::kAugment, ...) so a sub-run is reproducible and resumable.
struct Augmentation {
  bool enabled = false;
  uint64_t seed = 0;
  uint64_t epoch = 0;  // Online augmentation draws anew each epoch; offline copies ignore it.
};

class Task {
 public:
  static constexpr absl::string_view kKind = "task";
  static constexpr absl::string_view kTarget = "//plugins/task:all";
  static constexpr absl::string_view kKindDescription =
      "downstream labelled classification task: samples, folds, images (LUNA16, MURA)";

  virtual ~Task() = default;

  // Reads the metadata and lists the samples. Errors name the file and what was expected.
  virtual absl::Status List() = 0;
  // Builds or reuses the input cache; afterwards Load works. A cache made from other inputs or
  // options is rebuilt, never reused.
  virtual absl::Status Prepare(const TaskContext& context) = 0;
  // Valid after List.
  virtual const std::vector<TaskSample>& samples() const = 0;
  // Names of TaskSample::columns.
  virtual std::vector<std::string> PredictionColumns() const { return {}; }
  // The folds of the task's protocol (LUNA16: 5 subset pairs; MURA: 1, the official valid set as
  // test). Validation is drawn from training groups with `seed`, never from the test set.
  virtual absl::StatusOr<std::vector<TaskFold>> Folds(uint64_t seed) const = 0;
  // Side of the square images Load produces.
  virtual int64_t image_size() const = 0;
  // Unaugmented views of a validation or test sample: SampleRef copies 0 .. N-1 (e.g. LUNA16's
  // three orthogonal planes). Its score is the mean probability over them.
  virtual int32_t evaluation_views() const { return 1; }
  // The grey image of `ref` in [0, 1], image_size() x image_size(). Thread-safe.
  virtual absl::Status Load(const SampleRef& ref, const Augmentation& augmentation,
                            Slice* image) const = 0;
  // The pretraining corpus' dataset name for this task's patients ("LUNA16", "MURA").
  virtual std::string dataset_name() const = 0;
  // Files a task-specific evaluator needs, written to <stage>/task.json (e.g. LUNA16's
  // "annotations" and "annotations_excluded" paths).
  virtual std::map<std::string, std::string> Info() const { return {}; }
  // Writes task-specific prediction files for one evaluated split (`split` is "val" or "test")
  // into `dir`: e.g. LUNA16's challenge submission format, MURA's per-study mean probability.
  virtual absl::Status WriteTaskPredictions(absl::string_view split,
                                            const std::vector<int64_t>& indices,
                                            const std::vector<float>& scores,
                                            const std::string& dir) const {
    return absl::OkStatus();
  }
};

}  // namespace genesis

#define GENESIS_REGISTER_TASK(Plugin, name, Options, description) \
  GENESIS_REGISTER_PLUGIN(::genesis::Task, Plugin, name, Options, description)

#endif  // GENESIS_CORE_TASK_H_
