// Pretraining: restore pretext-corrupted slices with an encoder-decoder. The loop itself
// (checkpoints, resume, schedule, data parallel, metrics) is core/train/training_loop.h; this
// file adds the restoration problem: corrupted samples, the identity and mean-image baselines,
// the collapse watchdog, sample grids and the encoder export.
//
//   PretrainJob job;
//   job.config = stage_options;            // genesis.PretrainStage
//   job.model = backbone->Build(config);   // initialised by the caller (torch::manual_seed)
//   job.pretext = {genesis_task.get()};
//   job.train = &train_slices; job.val = &val_slices;
//   job.output_dir = context.stage_dir; job.seed = context.seed;
//   GENESIS_ASSIGN_OR_RETURN(PretrainResult result, RunPretraining(job));
//
// Determinism: epoch e visits the train split in the permutation drawn from
// RandomStream(seed, kShuffle, e); sample i of epoch e is corrupted with
// RandomStream(seed, kPretext, e, i) (validation uses epoch kValidationEpoch, the same every
// epoch). Nothing else is random, so a run resumed from a checkpoint ends bit-identical to an
// uninterrupted one (same thread count and device).
//
// Outputs in `output_dir`:
//   checkpoint_last.pt / checkpoint_best.pt  model, optimizer, schedule, counters, metrics
//                                            (written to a temp file, then renamed)
//   metrics.csv                              one row per epoch, with the identity and
//                                            mean-training-image baselines on the val split
//   tensorboard/events.out.tfevents.*        the same scalars (optional)
//   samples/step_NNNNNNNN.png                corrupted | restored | original grids
//   encoder_state_dict.pt                    best encoder, torchvision names (torch.load-able)
// Re-running on the same folder resumes from checkpoint_last.pt.
//
// Data parallel: with torchrun variables (RANK, WORLD_SIZE > 1, MASTER_ADDR, MASTER_PORT) each
// rank trains on its contiguous 1/WORLD_SIZE shard of every batch (batch_size must divide),
// gradients are averaged over ranks (core/distributed/data_parallel.h), norm buffers are taken
// from rank 0 before each validation, and only rank 0 writes outputs. Ranks resume from the
// checkpoint in output_dir, so multi-node runs need it on a shared filesystem.
#ifndef GENESIS_CORE_TRAIN_TRAINER_H_
#define GENESIS_CORE_TRAIN_TRAINER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/backbone.h"
#include "core/pretext_task.h"
#include "core/proto/stages.pb.h"
#include "core/train/slice_dataset.h"
#include "core/train/training_loop.h"

namespace genesis {

inline constexpr uint64_t kValidationEpoch = 0xFFFFFFFFull;

struct PretrainJob {
  PretrainStage config;
  std::shared_ptr<EncoderDecoder> model;
  std::vector<const PretextTask*> pretext;  // Applied in order; not owned.
  const SliceDataset* train = nullptr;
  const SliceDataset* val = nullptr;
  std::string output_dir;
  uint64_t seed = 0;
  std::string device = "cpu";
  int num_threads = 1;
  // Test hook, called after every training step with the global step count; returning true
  // stops at once with Aborted, as if the process had been killed there.
  std::function<bool(int64_t global_step)> crash_after_step;
};

struct PretrainResult {
  int64_t epochs_completed = 0;
  int64_t global_step = 0;
  double best_val_loss = 0.0;
  double last_val_loss = 0.0;
  double identity_baseline = 0.0;    // Val loss of output = corrupted input.
  double mean_image_baseline = 0.0;  // Val loss of output = mean training image.
  bool early_stopped = false;
  bool resumed = false;
  std::string encoder_path;
  double last_epoch_images_per_s = 0.0;  // Training throughput of the last epoch run here.
  // Wall time of each step of that epoch, data wait included (for benches).
  std::vector<double> step_seconds;
};

// Checks the trainer's own options (loss, optimizer, schedule, sizes); no data touched.
absl::Status ValidatePretrainOptions(const PretrainStage& config);

absl::StatusOr<PretrainResult> RunPretraining(const PretrainJob& job);

// Writes `encoder`'s parameters and buffers as a torch.load-able dict name -> tensor.
absl::Status ExportEncoderStateDict(torch::nn::Module& encoder, const std::string& path);

}  // namespace genesis

#endif  // GENESIS_CORE_TRAIN_TRAINER_H_
