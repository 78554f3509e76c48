// Stage "pretrain": restores pretext-corrupted slices of the corpus store with a U-Net and
// exports the encoder.
//
//   stage { pretrain {
//     backbone { type: "unet_vgg16" options {
//       [type.googleapis.com/genesis.UNetVgg16Options] { width_multiplier: 0.25 } } }
//     normalization { type: "batch_norm" }
//     pretext { type: "genesis" }
//     image_size: 64  batch_size: 16  max_epochs: 20
//     optimizer { type: "adam" learning_rate: 0.001 }
//     schedule { type: "plateau" patience: 3 }
//   } }
//
// Reads `store` (or the store of this run's corpus stage, <corpus stage dir>/store); writes
// checkpoints, metrics.csv, tensorboard/, samples/ and encoder_state_dict.pt into the stage
// folder (see core/train/trainer.h). Running again on the same folder resumes.
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/backbone.h"
#include "core/config.h"
#include "core/normalization.h"
#include "core/pretext_task.h"
#include "core/proto/stages.pb.h"
#include "core/slice_store.h"
#include "core/stage.h"
#include "core/status_macros.h"
#include "core/train/store_dataset.h"
#include "core/train/trainer.h"
#include "glog/logging.h"

namespace genesis {
namespace {

PluginSpec WithDefaultType(const PluginSpec& spec, absl::string_view type) {
  PluginSpec out = spec;
  if (out.type().empty()) out.set_type(std::string(type));
  return out;
}

class PretrainStageRunner : public StageRunner {
 public:
  explicit PretrainStageRunner(const PretrainStage& options) : options_(options) {}

  static absl::Status Validate(const PretrainStage& options) {
    return ValidatePretrainOptions(options);
  }

  // Data-parallel: every rank trains on its shard of each batch (rank 0 writes the outputs).
  bool RunsOnEveryRank() const override { return true; }
  // A killed run continues from checkpoint_last.pt.
  bool Resumes() const override { return true; }
  // Reads the corpus stage's store, or an explicit `store`.
  absl::StatusOr<StageInputs> Inputs(const RunContext& context) const override {
    StageInputs inputs;
    inputs.paths = InputPaths(context.experiment->stage(context.stage_index));
    if (options_.store().empty()) {
      absl::StatusOr<int> corpus = context.EarlierStageIndex("corpus");
      if (corpus.ok()) inputs.stages.push_back(*corpus);
    }
    return inputs;
  }

  absl::Status Run(const RunContext& context) override {
    std::string store_dir = options_.store();
    if (store_dir.empty()) {
      absl::StatusOr<std::string> corpus = context.EarlierStageDir("corpus");
      if (!corpus.ok()) {
        return absl::FailedPreconditionError(
            "pretrain: no `store` given and no earlier corpus stage in this experiment");
      }
      store_dir = absl::StrCat(*corpus, "/store");
    }
    GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<SliceStoreReader> reader,
                             SliceStoreReader::Open(store_dir));
    StoreSliceDataset train(reader.get(), Split::kTrain);
    StoreSliceDataset val(reader.get(), Split::kVal);
    LOG(INFO) << "pretrain: store " << store_dir << " (" << train.size() << " train, "
              << val.size() << " val slices)";

    GENESIS_ASSIGN_OR_RETURN(
        std::unique_ptr<NormalizationLayer> norm,
        Registry<NormalizationLayer>::Get().Create(
            WithDefaultType(options_.normalization(), "batch_norm")));
    GENESIS_ASSIGN_OR_RETURN(
        std::unique_ptr<Backbone> backbone,
        Registry<Backbone>::Get().Create(WithDefaultType(options_.backbone(), "unet_vgg16")));
    std::vector<std::unique_ptr<PretextTask>> tasks;
    std::vector<const PretextTask*> pretext;
    for (int i = 0; i < options_.pretext_size(); ++i) {
      absl::StatusOr<std::unique_ptr<PretextTask>> task =
          Registry<PretextTask>::Get().Create(options_.pretext(i));
      if (!task.ok()) return Annotate(task.status(), absl::StrCat("pretext[", i, "]"));
      pretext.push_back(task->get());
      tasks.push_back(std::move(task).value());
    }
    if (pretext.empty()) LOG(WARNING) << "pretrain: no pretext task: learning the identity";

    BackboneConfig config;
    config.in_channels = options_.in_channels();
    config.out_channels = 1;
    config.norm = norm.get();
    torch::manual_seed(context.seed);  // Initial weights follow the run seed.
    GENESIS_ASSIGN_OR_RETURN(std::shared_ptr<EncoderDecoder> model, backbone->Build(config));

    PretrainJob job;
    job.config = options_;
    job.model = model;
    job.pretext = pretext;
    job.train = &train;
    job.val = &val;
    job.output_dir = context.stage_dir;
    job.seed = context.seed;
    job.device = context.device;
    job.num_threads = context.num_threads;
    GENESIS_ASSIGN_OR_RETURN(PretrainResult result, RunPretraining(job));
    LOG(INFO) << absl::StrFormat(
        "pretrain: %d epochs, %d steps%s; best val %.6f (identity %.6f, mean image %.6f); "
        "encoder -> %s",
        result.epochs_completed, result.global_step,
        result.early_stopped ? " (early stop)" : "", result.best_val_loss,
        result.identity_baseline, result.mean_image_baseline, result.encoder_path);
    if (result.best_val_loss >= result.mean_image_baseline) {
      LOG(WARNING) << "pretrain: the best val loss never beat the mean-image baseline";
    }
    return absl::OkStatus();
  }

 private:
  PretrainStage options_;
};

}  // namespace

GENESIS_REGISTER_STAGE(PretrainStageRunner, "pretrain", PretrainStage,
                       "pretrains a U-Net to restore pretext-corrupted slices of the store");

}  // namespace genesis
