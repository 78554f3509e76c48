#include "core/train/trainer.h"

#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <numeric>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/file_util.h"
#include "core/random.h"
#include "core/status_macros.h"
#include "core/train/batch.h"
#include "core/train/image_ops.h"
#include "core/train/training_loop.h"
#include "glog/logging.h"

namespace genesis {
namespace {

namespace fs = std::filesystem;

constexpr char kIdentityBaseline[] = "identity_baseline";
constexpr char kMeanBaseline[] = "mean_image_baseline";

torch::Tensor Loss(const std::string& kind, const torch::Tensor& output,
                   const torch::Tensor& target, torch::nn::functional::MSELossFuncOptions::
                                                    reduction_t reduction = torch::kMean) {
  namespace F = torch::nn::functional;
  if (kind == "l1") return F::l1_loss(output, target, F::L1LossFuncOptions().reduction(reduction));
  return F::mse_loss(output, target, F::MSELossFuncOptions().reduction(reduction));
}

LoopOptions PretrainLoopOptions(const PretrainJob& job) {
  const PretrainStage& c = job.config;
  LoopOptions o;
  o.optimizer = c.optimizer();
  o.schedule = c.schedule();
  o.batch_size = c.batch_size();
  o.max_epochs = c.max_epochs();
  o.early_stopping_patience = c.early_stopping_patience();
  o.steps_per_epoch = c.steps_per_epoch();
  o.checkpoint_every_steps = c.checkpoint_every_steps();
  o.loader_threads = c.loader_threads();
  o.prefetch_batches = c.prefetch_batches();
  o.log_every_steps = c.log_every_steps();
  o.tensorboard = c.tensorboard();
  o.side = c.image_size();
  o.channels = c.in_channels();
  o.output_dir = job.output_dir;
  o.seed = job.seed;
  o.device = job.device;
  o.num_threads = job.num_threads;
  c.SerializeToString(&o.config);
  o.crash_after_step = job.crash_after_step;
  return o;
}

// Pretraining as a TrainingProblem: restore pretext-corrupted slices.
class PretrainProblem : public TrainingProblem {
 public:
  PretrainProblem(const PretrainJob& job, const LoopOptions& options)
      : job_(job), config_(job.config), options_(options), side_(config_.image_size()) {}

  torch::nn::Module& model() override { return *job_.model; }
  int64_t train_size() const override { return job_.train->size(); }
  absl::Status MakeTrainSample(uint64_t epoch, int64_t index, Slice& input,
                               Slice& target) const override {
    return MakeSample(job_.train, epoch, index, input, target);
  }
  at::Tensor Forward(const at::Tensor& input) override { return job_.model->forward(input); }
  at::Tensor Loss(const at::Tensor& output, const at::Tensor& target) override {
    return genesis::Loss(config_.loss(), output, AsImages(target));
  }
  bool maximize_selection() const override { return false; }
  std::vector<MetricColumn> Columns() const override {
    return {{kIdentityBaseline, "baseline/identity"},
            {kMeanBaseline, "baseline/mean_image"},
            {"best_val_loss", ""},
            {"collapse_warning", ""}};
  }
  absl::Status BeforeTraining(LoopState& state) override {
    if (state.extra.count(kIdentityBaseline) == 0) GENESIS_RETURN_IF_ERROR(ComputeBaselines(state));
    mean_baseline_ = state.extra[kMeanBaseline];
    return absl::OkStatus();
  }
  absl::StatusOr<EpochValidation> Validate(int64_t epoch, LoopState& state) override {
    double sum = 0.0;
    int64_t elements = 0;
    GENESIS_RETURN_IF_ERROR(ForEachBatch(
        ValIndices(), options_, SampleFn(job_.val, kValidationEpoch),
        [&](const Batch&, const at::Tensor& input, const at::Tensor& target) {
          at::Tensor t = AsImages(target);
          sum += genesis::Loss(config_.loss(), job_.model->forward(input), t, torch::kSum)
                     .item<double>();
          elements += t.numel();
          return absl::OkStatus();
        }));
    EpochValidation v;
    v.loss = elements > 0 ? sum / elements : 0.0;
    v.selection = v.loss;
    return v;
  }
  std::vector<double> ColumnValues(const EpochValidation& v, const LoopState& state) override {
    const bool collapse = v.loss >= mean_baseline_;
    if (collapse) {
      LOG(WARNING) << absl::StrFormat(
          "collapse watchdog: epoch %d val loss %.6f is no better than predicting the mean "
          "image (%.6f); the network may be outputting a constant -- lower the learning rate "
          "or check the data",
          state.epoch + 1, v.loss, mean_baseline_);
    }
    return {state.extra.at(kIdentityBaseline), mean_baseline_, state.best, collapse ? 1.0 : 0.0};
  }
  absl::Status AfterStep(const LoopState& state, const Batch& batch,
                         const at::Tensor& output) override {
    if (config_.sample_every_steps() <= 0 || state.global_step % config_.sample_every_steps() != 0) {
      return absl::OkStatus();
    }
    const int64_t n = std::min<int64_t>(4, batch.indices.size());
    const int64_t plane = side_ * side_;
    const int64_t channels = batch.channels;
    std::vector<float> corrupted(n * plane), original(n * plane);
    for (int64_t i = 0; i < n; ++i) {
      std::copy_n(&batch.input[i * channels * plane], plane, &corrupted[i * plane]);
      std::copy_n(&batch.target[i * plane], plane, &original[i * plane]);
    }
    torch::Tensor restored = output.detach().narrow(0, 0, n).to(torch::kCPU).contiguous();
    std::error_code ec;
    fs::create_directories(Path("samples"), ec);
    return WriteSampleGrid(Path(absl::StrFormat("samples/step_%08d.png", state.global_step)), n,
                           side_, corrupted.data(), restored.data_ptr<float>(), original.data());
  }

 private:
  std::string Path(absl::string_view name) const {
    return (fs::path(job_.output_dir) / std::string(name)).string();
  }
  at::Tensor AsImages(const at::Tensor& target) const {
    return target.view({target.size(0), 1, side_, side_});
  }
  absl::Status MakeSample(const SliceDataset* dataset, uint64_t epoch, int64_t index,
                          Slice& input, Slice& target) const {
    GENESIS_ASSIGN_OR_RETURN(Slice slice, dataset->Get(index));
    GENESIS_ASSIGN_OR_RETURN(target, ResizeSquare(slice, side_));
    input = target;
    RandomStream rng(job_.seed, RandomStream::kPretext, epoch, index);
    for (const PretextTask* task : job_.pretext) task->Apply(input, target, rng);
    return absl::OkStatus();
  }
  genesis::SampleFn SampleFn(const SliceDataset* dataset, uint64_t epoch) const {
    return [this, dataset, epoch](int64_t index, Slice& input, Slice& target) {
      return MakeSample(dataset, epoch, index, input, target);
    };
  }
  std::vector<int64_t> ValIndices() const {
    std::vector<int64_t> order(job_.val->size());
    std::iota(order.begin(), order.end(), 0);
    if (config_.max_val_slices() > 0 && config_.max_val_slices() < job_.val->size()) {
      order.resize(config_.max_val_slices());
    }
    return order;
  }
  absl::Status ComputeBaselines(LoopState& state);

  const PretrainJob& job_;
  const PretrainStage& config_;
  const LoopOptions& options_;
  int64_t side_;
  double mean_baseline_ = 0.0;
};

absl::Status PretrainProblem::ComputeBaselines(LoopState& state) {
  torch::NoGradGuard no_grad;
  // The mean image is that of (up to kMeanSlices evenly spaced) training targets: what a
  // network that collapsed to a constant output would predict.
  constexpr int64_t kMeanSlices = 512;
  const int64_t n_train = job_.train->size();
  const int64_t n_mean = std::min(n_train, kMeanSlices);
  std::vector<int64_t> mean_indices;
  for (int64_t i = 0; i < n_mean; ++i) mean_indices.push_back(i * n_train / n_mean);
  torch::Tensor mean;
  int64_t count = 0;
  GENESIS_RETURN_IF_ERROR(ForEachBatch(
      mean_indices, options_, SampleFn(job_.train, kValidationEpoch),
      [&](const Batch&, const at::Tensor&, const at::Tensor& target) {
        torch::Tensor sum = AsImages(target).to(torch::kDouble).sum(0);
        mean = mean.defined() ? mean + sum : sum;
        count += target.size(0);
        return absl::OkStatus();
      }));
  mean = (mean / count).to(torch::kFloat).unsqueeze(0);

  double identity_sum = 0.0, mean_sum = 0.0;
  int64_t elements = 0;
  GENESIS_RETURN_IF_ERROR(ForEachBatch(
      ValIndices(), options_, SampleFn(job_.val, kValidationEpoch),
      [&](const Batch&, const at::Tensor& input, const at::Tensor& target) {
        at::Tensor t = AsImages(target);
        identity_sum +=
            genesis::Loss(config_.loss(), input.narrow(1, 0, 1), t, torch::kSum).item<double>();
        mean_sum +=
            genesis::Loss(config_.loss(), mean.expand_as(t), t, torch::kSum).item<double>();
        elements += t.numel();
        return absl::OkStatus();
      }));
  if (elements == 0) return absl::FailedPreconditionError("the val split is empty");
  state.extra[kIdentityBaseline] = identity_sum / elements;
  state.extra[kMeanBaseline] = mean_sum / elements;
  LOG(INFO) << absl::StrFormat(
      "val baselines (%s): identity (output = corrupted input) %.6f, mean training image %.6f",
      config_.loss(), state.extra[kIdentityBaseline], state.extra[kMeanBaseline]);
  return absl::OkStatus();
}

absl::StatusOr<PretrainResult> Pretrain(const PretrainJob& job) {
  if (job.train == nullptr || job.val == nullptr || job.model == nullptr) {
    return absl::InvalidArgumentError("pretraining needs a model, a train and a val dataset");
  }
  if (job.train->size() == 0) return absl::FailedPreconditionError("the train split is empty");
  const LoopOptions options = PretrainLoopOptions(job);
  PretrainProblem problem(job, options);
  GENESIS_ASSIGN_OR_RETURN(LoopResult loop, RunTrainingLoop(options, problem));

  PretrainResult result;
  result.epochs_completed = loop.epochs_completed;
  result.global_step = loop.global_step;
  result.best_val_loss = loop.best_selection;
  result.last_val_loss = loop.last_val_loss;
  result.identity_baseline = loop.state.extra[kIdentityBaseline];
  result.mean_image_baseline = loop.state.extra[kMeanBaseline];
  result.early_stopped = loop.early_stopped;
  result.resumed = loop.resumed;
  result.last_epoch_images_per_s = loop.last_epoch_images_per_s;
  result.step_seconds = loop.step_seconds;
  if (!loop.main_rank) return result;
  // The exported encoder is the best epoch's; the model is left with the final weights for
  // callers that inspect it.
  const std::string dir = job.output_dir;
  const std::string best = dir + "/checkpoint_best.pt";
  if (fs::exists(best)) {
    GENESIS_RETURN_IF_ERROR(LoadCheckpointWeights(best, job.device, *job.model));
  }
  result.encoder_path = dir + "/encoder_state_dict.pt";
  GENESIS_RETURN_IF_ERROR(ExportEncoderStateDict(*job.model->encoder(), result.encoder_path));
  GENESIS_RETURN_IF_ERROR(LoadCheckpointWeights(dir + "/checkpoint_last.pt", job.device,
                                                *job.model));
  return result;
}

}  // namespace

absl::Status ValidatePretrainOptions(const PretrainStage& c) {
  if (c.loss() != "mse" && c.loss() != "l1") {
    return absl::InvalidArgumentError(
        absl::StrCat("loss: must be \"mse\" or \"l1\", got \"", c.loss(), "\""));
  }
  GENESIS_RETURN_IF_ERROR(ValidateOptimizerOptions(c.optimizer(), c.schedule()));
  struct {
    const char* name;
    int64_t value;
    int64_t min;
    int64_t max;
  } const ints[] = {{"batch_size", c.batch_size(), 1, 4096},
                    {"max_epochs", c.max_epochs(), 1, 100000},
                    {"early_stopping_patience", c.early_stopping_patience(), 1, 100000},
                    {"sample_every_steps", c.sample_every_steps(), 0, 1000000000},
                    {"loader_threads", c.loader_threads(), 1, 256},
                    {"prefetch_batches", c.prefetch_batches(), 1, 1024},
                    {"steps_per_epoch", c.steps_per_epoch(), 0, 1000000000},
                    {"checkpoint_every_steps", c.checkpoint_every_steps(), 0, 1000000000},
                    {"log_every_steps", c.log_every_steps(), 0, 1000000000},
                    {"max_val_slices", c.max_val_slices(), 0, 1000000000}};
  for (const auto& f : ints) {
    if (f.value < f.min) {
      return absl::InvalidArgumentError(
          absl::StrCat(f.name, ": must be >= ", f.min, ", got ", f.value));
    }
    if (f.value > f.max) {
      return absl::InvalidArgumentError(
          absl::StrCat(f.name, ": must be <= ", f.max, ", got ", f.value));
    }
  }
  if (c.image_size() < 32 || c.image_size() > 8192 || c.image_size() % 32 != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "image_size: must be a multiple of 32 in [32, 8192], got ", c.image_size()));
  }
  if (c.in_channels() != 1 && c.in_channels() != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("in_channels: must be 1 or 3, got ", c.in_channels()));
  }
  return absl::OkStatus();
}

absl::StatusOr<PretrainResult> RunPretraining(const PretrainJob& job) {
  GENESIS_RETURN_IF_ERROR(ValidatePretrainOptions(job.config));
  try {
    return Pretrain(job);
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("pretraining in ", job.output_dir, ": ",
                                            e.what_without_backtrace()));
  }
}

absl::Status ExportEncoderStateDict(torch::nn::Module& encoder, const std::string& path) {
  try {
    c10::Dict<std::string, at::Tensor> dict;
    for (const auto& p : encoder.named_parameters()) {
      dict.insert(p.key(), p.value().detach().to(torch::kCPU).contiguous());
    }
    for (const auto& b : encoder.named_buffers()) {
      dict.insert(b.key(), b.value().detach().to(torch::kCPU).contiguous());
    }
    const std::vector<char> bytes = torch::pickle_save(c10::IValue(dict));
    return WriteFileAtomically(path, absl::string_view(bytes.data(), bytes.size()));
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat(path, ": ", e.what_without_backtrace()));
  }
}

}  // namespace genesis
