// Fine-tuning: an encoder plus a classification head trained on a downstream task's images with
// binary cross-entropy, on the shared training loop (core/train/training_loop.h: checkpoints,
// exact resume, schedule, data parallel, metrics.csv, TensorBoard, progress).
//
//   ClassifierJob job;
//   job.config = transfer_stage_options;     // genesis.TransferStage
//   job.net = backbone->Build(...);          // initialised by an Initializer
//   job.head = head->Make(job.net->encoder_channels());
//   job.task = task; job.train = refs; job.val = fold.val; job.test = fold.test;
//   job.output_dir = subrun_dir; job.seed = seed;
//   GENESIS_ASSIGN_OR_RETURN(ClassifierResult result, RunFineTuning(job));
//
// Warm-up: for the first `warmup_epochs` epochs only the head trains (the encoder is frozen and
// kept in eval mode, so its norm statistics do not move), at the initial learning rate; then
// every layer trains. The best checkpoint is the epoch with the highest validation AUC (the
// lowest validation loss when the validation set holds one class only). After training, the
// best weights score the val and test sets; the scores are returned in index order.
//
// Outputs in `output_dir` besides the loop's: classifier_state_dict.pt -- the best classifier
// with the encoder's torchvision names (e.g. "features.0.weight", "layer1.0.conv1.weight") and
// the head's under "head." (e.g. "head.hidden.weight"); torch.load-able.
#ifndef GENESIS_CORE_TRAIN_CLASSIFIER_TRAINER_H_
#define GENESIS_CORE_TRAIN_CLASSIFIER_TRAINER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/backbone.h"
#include "core/head.h"
#include "core/proto/stages.pb.h"
#include "core/task.h"

namespace genesis {

struct ClassifierJob {
  TransferStage config;
  std::shared_ptr<EncoderDecoder> net;  // Only its encoder is used.
  std::shared_ptr<HeadModule> head;
  const Task* task = nullptr;
  std::vector<SampleRef> train;
  std::vector<int64_t> val;
  std::vector<int64_t> test;
  std::string output_dir;
  uint64_t seed = 0;
  std::string device = "cpu";
  int num_threads = 1;
  // Test hook (see LoopOptions::crash_after_step).
  std::function<bool(int64_t global_step)> crash_after_step;
};

struct ClassifierResult {
  int64_t epochs_completed = 0;
  int64_t global_step = 0;
  int64_t best_epoch = 0;
  double best_val_auc = 0.0;  // NaN when the validation set holds one class.
  bool resumed = false;
  bool early_stopped = false;
  double positive_weight = 1.0;  // As used in the loss.
  double last_epoch_images_per_s = 0.0;
  std::vector<double> step_seconds;  // Of the last epoch run here (benches).
  std::vector<float> val_scores;   // Sigmoid probabilities, in job.val order.
  std::vector<float> test_scores;  // In job.test order.
};

// Checks the fine-tuning options of a transfer stage (sizes, optimizer, schedule).
absl::Status ValidateFineTuningOptions(const TransferStage& config);

absl::StatusOr<ClassifierResult> RunFineTuning(const ClassifierJob& job);

// Area under the ROC curve of `scores` for binary `labels` (ties count one half); NaN when
// either class is absent.
double RocAuc(const std::vector<float>& scores, const std::vector<int>& labels);

}  // namespace genesis

#endif  // GENESIS_CORE_TRAIN_CLASSIFIER_TRAINER_H_
