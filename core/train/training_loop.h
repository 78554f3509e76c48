// The one training loop of Genesis: pretraining (core/train/trainer.h) and fine-tuning
// (core/train/classifier_trainer.h) both run it, each describing what it trains as a
// TrainingProblem.
//
//   class MyProblem : public TrainingProblem { ... };   // model, samples, loss, validation
//   LoopOptions options = ...;                          // optimizer, schedule, sizes, output_dir
//   MyProblem problem(...);
//   GENESIS_ASSIGN_OR_RETURN(LoopResult result, RunTrainingLoop(options, problem));
//
// What the loop owns, identically for every problem:
//   * epochs over the training items in the permutation drawn from
//     RandomStream(seed, kShuffle, epoch) (Permutation), batched and streamed by the one loader
//     (core/train/batch.h over core/ordered_loader.h);
//   * SGD/Adam, the learning-rate schedule (stepped per epoch on the validation loss), early
//     stopping on the problem's selection metric;
//   * checkpoint_last.pt (every epoch, optionally every N steps) and checkpoint_best.pt (best
//     selection metric), written atomically, holding model, optimizer, schedule, counters,
//     metrics.csv so far and the problem's extra values: a run killed anywhere and restarted on
//     the same folder ends bit-identical to an uninterrupted one (same threads and device);
//   * metrics.csv (epoch, global_step, learning_rate, train_loss, val_loss, the problem's
//     columns, seconds, images_per_s), TensorBoard event files, a progress bar / log lines;
//   * data parallel over torchrun variables (RANK, WORLD_SIZE > 1, ...), on the run's one
//     connection (DataParallel::Current): every rank trains on its contiguous 1/WORLD_SIZE
//     shard of each batch, gradients are averaged, norm buffers are taken from rank 0 before
//     validation, rank 0's validation numbers drive every rank's decisions (best epoch,
//     schedule, early stopping), and only rank 0 writes files.
#ifndef GENESIS_CORE_TRAIN_TRAINING_LOOP_H_
#define GENESIS_CORE_TRAIN_TRAINING_LOOP_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/pretext_task.h"
#include "core/proto/stages.pb.h"
#include "core/train/batch.h"
#include "core/train/lr_schedule.h"

namespace genesis {

struct LoopOptions {
  OptimizerOptions optimizer;
  ScheduleOptions schedule;
  int64_t batch_size = 1;
  int64_t max_epochs = 1;
  // Epochs without an improvement of the selection metric before stopping (0 = never).
  int64_t early_stopping_patience = 0;
  int64_t steps_per_epoch = 0;         // Cap on steps per epoch (0 = every training item).
  int64_t checkpoint_every_steps = 0;  // Also save checkpoint_last.pt inside epochs.
  int loader_threads = 2;
  int prefetch_batches = 4;
  int64_t log_every_steps = 0;
  bool tensorboard = true;
  int64_t side = 0;      // Network input side.
  int64_t channels = 1;  // Grey input repeated on this many channels.
  std::string output_dir;
  uint64_t seed = 0;
  std::string device = "cpu";
  int num_threads = 1;
  // The problem's serialized options, stored in checkpoints; resuming a checkpoint written
  // with other options logs a warning (the run folder's fingerprints refuse it before that,
  // unless --force_resume).
  std::string config;
  // Test hook, called after every training step with the global step count; returning true
  // stops at once with Aborted, as if the process had been killed there.
  std::function<bool(int64_t global_step)> crash_after_step;
};

// Everything besides tensors that a checkpoint restores.
struct LoopState {
  int64_t epoch = 0;          // Epoch in progress (0-based).
  int64_t step_in_epoch = 0;  // Steps of `epoch` already taken.
  int64_t global_step = 0;
  double best = 0.0;          // Best selection value so far (valid when has_best).
  bool has_best = false;
  int64_t epochs_since_best = 0;
  double last_val = 0.0;
  bool finished = false;
  bool early_stopped = false;
  double train_loss_sum = 0.0;  // Of the epoch in progress.
  int64_t train_loss_count = 0;
  int64_t train_images = 0;
  LrSchedule::State schedule;
  std::string metrics_csv;
  std::string config;
  // Values a problem keeps across resumes (e.g. pretraining's baselines).
  std::map<std::string, double> extra;
};

// One metrics.csv column a problem adds after val_loss (and the TensorBoard tag it is also
// written under; "" = CSV only).
struct MetricColumn {
  std::string name;
  std::string tensorboard_tag;
};

struct EpochValidation {
  double loss = 0.0;       // The val_loss column; steps a plateau schedule.
  double selection = 0.0;  // Selects checkpoint_best.pt and drives early stopping.
};

class TrainingProblem {
 public:
  virtual ~TrainingProblem() = default;
  virtual torch::nn::Module& model() = 0;
  // Number of training items the epoch permutation runs over.
  virtual int64_t train_size() const = 0;
  // Fills training item `index` of `epoch` (input side x side; target any size, the same for
  // every item). Called from loader threads, concurrently.
  virtual absl::Status MakeTrainSample(uint64_t epoch, int64_t index, Slice& input,
                                       Slice& target) const = 0;
  virtual at::Tensor Forward(const at::Tensor& input) = 0;
  // Mean loss of a batch; `target` is (n, target height * target width) reshaped by the
  // problem as it likes.
  virtual at::Tensor Loss(const at::Tensor& output, const at::Tensor& target) = 0;
  // Whether a higher selection value is better (AUC) or a lower one (loss).
  virtual bool maximize_selection() const = 0;
  // The columns added to metrics.csv after val_loss.
  virtual std::vector<MetricColumn> Columns() const = 0;

  // Before the first epoch this process runs (also after resuming); state.extra survives
  // resumes, so work done once (baselines) can be kept there.
  virtual absl::Status BeforeTraining(LoopState& state) { return absl::OkStatus(); }
  // At the start of each epoch, after the model was put in training mode (e.g. freeze the
  // encoder during a warm-up). Also called before validation with training = false.
  virtual void SetMode(int64_t epoch, bool training) {}
  // Validation after each epoch (model in eval mode, no gradients).
  virtual absl::StatusOr<EpochValidation> Validate(int64_t epoch, LoopState& state) = 0;
  // The values of Columns() for the epoch just validated (state.best already updated).
  virtual std::vector<double> ColumnValues(const EpochValidation& validation,
                                           const LoopState& state) = 0;
  // After each training step (rank 0 only), e.g. to write sample grids.
  virtual absl::Status AfterStep(const LoopState& state, const Batch& batch,
                                 const at::Tensor& output) {
    return absl::OkStatus();
  }
};

struct LoopResult {
  int64_t epochs_completed = 0;
  int64_t global_step = 0;
  double best_selection = 0.0;
  int64_t best_epoch = 0;  // 1-based epoch of checkpoint_best.pt (0 = none).
  double last_val_loss = 0.0;
  bool early_stopped = false;
  bool resumed = false;
  bool main_rank = true;
  LoopState state;  // The final state (extra values included).
  double last_epoch_images_per_s = 0.0;  // Training throughput of the last epoch run here.
  // Wall time of each step of that epoch, data wait included (for benches).
  std::vector<double> step_seconds;
};

// Runs (or resumes, from <output_dir>/checkpoint_last.pt) the loop to the end. Leaves the model
// with the final epoch's weights.
absl::StatusOr<LoopResult> RunTrainingLoop(const LoopOptions& options, TrainingProblem& problem);

// Loads `indices` in batches of options.batch_size with options' loader threads, side and
// channels (samples made by `make_sample`, in order) and calls `fn` with each batch and its
// tensors on options.device: input (n, channels, side, side), target (n, target_numel).
absl::Status ForEachBatch(
    const std::vector<int64_t>& indices, const LoopOptions& options,
    SampleFn make_sample,
    const std::function<absl::Status(const Batch&, const at::Tensor& input,
                                     const at::Tensor& target)>& fn);

// Loads only the model weights of a checkpoint written by the loop into `model`.
absl::Status LoadCheckpointWeights(const std::string& path, const std::string& device,
                                   torch::nn::Module& model);

// "cpu" / "cuda" / "cuda:N" -> OK, or FailedPrecondition when CUDA is unavailable.
absl::Status CheckDevice(const std::string& device);

// Checks optimizer and schedule options (messages start with the field path).
absl::Status ValidateOptimizerOptions(const OptimizerOptions& o, const ScheduleOptions& s);

}  // namespace genesis

#endif  // GENESIS_CORE_TRAIN_TRAINING_LOOP_H_
