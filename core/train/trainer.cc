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
#include "core/distributed/data_parallel.h"
#include "core/file_util.h"
#include "core/random.h"
#include "core/status_macros.h"
#include "core/train/batch_loader.h"
#include "core/train/image_ops.h"
#include "core/train/lr_schedule.h"
#include "core/train/progress.h"
#include "core/train/tensorboard.h"
#include "glog/logging.h"

namespace genesis {
namespace {

namespace fs = std::filesystem;

constexpr char kMetricsHeader[] =
    "epoch,global_step,learning_rate,train_loss,val_loss,identity_baseline,"
    "mean_image_baseline,best_val_loss,collapse_warning,seconds,images_per_s\n";

// Everything besides tensors that a checkpoint restores.
struct TrainState {
  int64_t epoch = 0;          // Epoch in progress (0-based).
  int64_t step_in_epoch = 0;  // Steps of `epoch` already taken.
  int64_t global_step = 0;
  double best_val = std::numeric_limits<double>::infinity();
  int64_t epochs_since_best = 0;
  double last_val = 0.0;
  bool finished = false;
  bool early_stopped = false;
  double train_loss_sum = 0.0;  // Of the epoch in progress.
  int64_t train_loss_count = 0;
  int64_t train_images = 0;
  double identity_baseline = -1.0;  // < 0: not computed yet.
  double mean_baseline = -1.0;
  LrSchedule::State schedule;
  std::string metrics_csv = kMetricsHeader;
  std::string config;  // Serialized PretrainStage the checkpoint was written with.
};

std::vector<int64_t> Permutation(int64_t n, uint64_t seed, uint64_t epoch) {
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  RandomStream rng(seed, RandomStream::kShuffle, epoch);
  for (int64_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng.UniformInt(0, i)]);
  return order;
}

std::vector<std::vector<int64_t>> Chunk(const std::vector<int64_t>& order, int64_t batch,
                                        int64_t max_batches) {
  std::vector<std::vector<int64_t>> batches;
  for (size_t i = 0; i < order.size(); i += batch) {
    if (max_batches > 0 && static_cast<int64_t>(batches.size()) >= max_batches) break;
    batches.emplace_back(order.begin() + i,
                         order.begin() + std::min(order.size(), i + static_cast<size_t>(batch)));
  }
  return batches;
}

std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(const OptimizerOptions& o,
                                                       std::vector<torch::Tensor> params) {
  if (o.type() == "adam") {
    return std::make_unique<torch::optim::Adam>(
        params, torch::optim::AdamOptions(o.learning_rate()).weight_decay(o.weight_decay()));
  }
  return std::make_unique<torch::optim::SGD>(params, torch::optim::SGDOptions(o.learning_rate())
                                                         .momentum(o.momentum())
                                                         .weight_decay(o.weight_decay()));
}

void SetLearningRate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

absl::Status SaveCheckpoint(const std::string& path, torch::nn::Module& model,
                            torch::optim::Optimizer& optimizer, const TrainState& s) {
  try {
    torch::serialize::OutputArchive archive;
    torch::serialize::OutputArchive model_archive;
    model.save(model_archive);
    archive.write("model", model_archive);
    torch::serialize::OutputArchive optimizer_archive;
    optimizer.save(optimizer_archive);
    archive.write("optimizer", optimizer_archive);
    archive.write("epoch", c10::IValue(s.epoch));
    archive.write("step_in_epoch", c10::IValue(s.step_in_epoch));
    archive.write("global_step", c10::IValue(s.global_step));
    archive.write("best_val", c10::IValue(s.best_val));
    archive.write("epochs_since_best", c10::IValue(s.epochs_since_best));
    archive.write("last_val", c10::IValue(s.last_val));
    archive.write("finished", c10::IValue(s.finished));
    archive.write("early_stopped", c10::IValue(s.early_stopped));
    archive.write("train_loss_sum", c10::IValue(s.train_loss_sum));
    archive.write("train_loss_count", c10::IValue(s.train_loss_count));
    archive.write("train_images", c10::IValue(s.train_images));
    archive.write("identity_baseline", c10::IValue(s.identity_baseline));
    archive.write("mean_baseline", c10::IValue(s.mean_baseline));
    archive.write("schedule_lr", c10::IValue(s.schedule.lr));
    archive.write("schedule_best", c10::IValue(s.schedule.best));
    archive.write("schedule_bad_epochs", c10::IValue(s.schedule.bad_epochs));
    archive.write("metrics_csv", c10::IValue(s.metrics_csv));
    archive.write("config", c10::IValue(s.config));
    const std::string tmp = absl::StrCat(path, ".tmp.", getpid());
    archive.save_to(tmp);
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) return absl::PermissionDeniedError(absl::StrCat(path, ": ", ec.message()));
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat(path, ": ", e.what_without_backtrace()));
  }
  return absl::OkStatus();
}

absl::Status LoadCheckpoint(const std::string& path, const torch::Device& device,
                            torch::nn::Module& model, torch::optim::Optimizer* optimizer,
                            TrainState* s) {
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path, device);
    torch::serialize::InputArchive model_archive;
    archive.read("model", model_archive);
    model.load(model_archive);
    if (optimizer != nullptr) {
      torch::serialize::InputArchive optimizer_archive;
      archive.read("optimizer", optimizer_archive);
      optimizer->load(optimizer_archive);
    }
    c10::IValue v;
    auto read = [&](const char* key) -> const c10::IValue& {
      archive.read(key, v);
      return v;
    };
    s->epoch = read("epoch").toInt();
    s->step_in_epoch = read("step_in_epoch").toInt();
    s->global_step = read("global_step").toInt();
    s->best_val = read("best_val").toDouble();
    s->epochs_since_best = read("epochs_since_best").toInt();
    s->last_val = read("last_val").toDouble();
    s->finished = read("finished").toBool();
    s->early_stopped = read("early_stopped").toBool();
    s->train_loss_sum = read("train_loss_sum").toDouble();
    s->train_loss_count = read("train_loss_count").toInt();
    s->train_images = read("train_images").toInt();
    s->identity_baseline = read("identity_baseline").toDouble();
    s->mean_baseline = read("mean_baseline").toDouble();
    s->schedule.lr = read("schedule_lr").toDouble();
    s->schedule.best = read("schedule_best").toDouble();
    s->schedule.bad_epochs = read("schedule_bad_epochs").toInt();
    s->metrics_csv = read("metrics_csv").toStringRef();
    s->config = archive.try_read("config", v) ? v.toStringRef() : "";
  } catch (const c10::Error& e) {
    return absl::DataLossError(
        absl::StrCat(path, ": unreadable checkpoint: ", e.what_without_backtrace()));
  }
  return absl::OkStatus();
}

torch::Tensor Loss(const std::string& kind, const torch::Tensor& output,
                   const torch::Tensor& target, torch::nn::functional::MSELossFuncOptions::
                                                    reduction_t reduction = torch::kMean) {
  namespace F = torch::nn::functional;
  if (kind == "l1") return F::l1_loss(output, target, F::L1LossFuncOptions().reduction(reduction));
  return F::mse_loss(output, target, F::MSELossFuncOptions().reduction(reduction));
}

class Trainer {
 public:
  explicit Trainer(const PretrainJob& job)
      : job_(job),
        config_(job.config),
        device_(job.device),
        side_(config_.image_size()),
        channels_(config_.in_channels()) {}

  absl::StatusOr<PretrainResult> Run();

 private:
  BatchLoader::SampleFn MakeSample(const SliceDataset* dataset, uint64_t epoch) const {
    return [this, dataset, epoch](int64_t index, Image& input, Image& target) -> absl::Status {
      GENESIS_ASSIGN_OR_RETURN(Image slice, dataset->Get(index));
      GENESIS_ASSIGN_OR_RETURN(target, ResizeSquare(slice, side_));
      input = target;
      RandomStream rng(job_.seed, RandomStream::kPretext, epoch, index);
      for (const PretextTask* task : job_.pretext) task->Apply(input, target, rng);
      return absl::OkStatus();
    };
  }

  std::unique_ptr<BatchLoader> ValLoader() const {
    std::vector<int64_t> order(job_.val->size());
    std::iota(order.begin(), order.end(), 0);
    if (config_.max_val_slices() > 0 && config_.max_val_slices() < job_.val->size()) {
      order.resize(config_.max_val_slices());
    }
    return std::make_unique<BatchLoader>(Chunk(order, config_.batch_size(), 0), 0,
                                         config_.loader_threads(), config_.prefetch_batches(),
                                         side_, channels_, MakeSample(job_.val, kValidationEpoch));
  }

  std::pair<torch::Tensor, torch::Tensor> ToTensors(Batch& batch) const {
    const int64_t n = static_cast<int64_t>(batch.indices.size());
    auto input = torch::from_blob(batch.input.data(), {n, channels_, side_, side_});
    auto target = torch::from_blob(batch.target.data(), {n, channels_, side_, side_});
    return {input.to(device_), target.narrow(1, 0, 1).to(device_)};
  }

  absl::Status ComputeBaselines();
  absl::StatusOr<double> Validate();
  absl::Status WriteSamples(const Batch& batch, const torch::Tensor& output);
  absl::Status Export(PretrainResult* result);
  std::string Path(absl::string_view name) const {
    return (fs::path(job_.output_dir) / std::string(name)).string();
  }

  const PretrainJob& job_;
  const PretrainStage& config_;
  torch::Device device_;
  int64_t side_;
  int64_t channels_;
  TrainState state_;
};

absl::Status Trainer::ComputeBaselines() {
  torch::NoGradGuard no_grad;
  // The mean image is that of (up to kMeanSlices evenly spaced) training targets: what a
  // network that collapsed to a constant output would predict.
  constexpr int64_t kMeanSlices = 512;
  const int64_t n_train = job_.train->size();
  const int64_t n_mean = std::min(n_train, kMeanSlices);
  std::vector<int64_t> mean_indices;
  for (int64_t i = 0; i < n_mean; ++i) mean_indices.push_back(i * n_train / n_mean);
  BatchLoader mean_loader(Chunk(mean_indices, config_.batch_size(), 0), 0,
                          config_.loader_threads(), config_.prefetch_batches(), side_, channels_,
                          MakeSample(job_.train, kValidationEpoch));
  torch::Tensor mean;
  int64_t count = 0;
  while (true) {
    GENESIS_ASSIGN_OR_RETURN(std::optional<Batch> batch, mean_loader.Next());
    if (!batch) break;
    auto [input, target] = ToTensors(*batch);
    torch::Tensor sum = target.to(torch::kDouble).sum(0);
    mean = mean.defined() ? mean + sum : sum;
    count += target.size(0);
  }
  mean = (mean / count).to(torch::kFloat).unsqueeze(0);

  auto loader = ValLoader();
  double identity_sum = 0.0, mean_sum = 0.0;
  int64_t elements = 0;
  while (true) {
    GENESIS_ASSIGN_OR_RETURN(std::optional<Batch> batch, loader->Next());
    if (!batch) break;
    auto [input, target] = ToTensors(*batch);
    identity_sum +=
        Loss(config_.loss(), input.narrow(1, 0, 1), target, torch::kSum).item<double>();
    mean_sum += Loss(config_.loss(), mean.expand_as(target), target, torch::kSum).item<double>();
    elements += target.numel();
  }
  if (elements == 0) return absl::FailedPreconditionError("the val split is empty");
  state_.identity_baseline = identity_sum / elements;
  state_.mean_baseline = mean_sum / elements;
  LOG(INFO) << absl::StrFormat(
      "val baselines (%s): identity (output = corrupted input) %.6f, mean training image %.6f",
      config_.loss(), state_.identity_baseline, state_.mean_baseline);
  return absl::OkStatus();
}

absl::StatusOr<double> Trainer::Validate() {
  torch::NoGradGuard no_grad;
  job_.model->eval();
  auto loader = ValLoader();
  double sum = 0.0;
  int64_t elements = 0;
  while (true) {
    GENESIS_ASSIGN_OR_RETURN(std::optional<Batch> batch, loader->Next());
    if (!batch) break;
    auto [input, target] = ToTensors(*batch);
    sum += Loss(config_.loss(), job_.model->forward(input), target, torch::kSum).item<double>();
    elements += target.numel();
  }
  job_.model->train();
  return elements > 0 ? sum / elements : 0.0;
}

absl::Status Trainer::WriteSamples(const Batch& batch, const torch::Tensor& output) {
  const int64_t n = std::min<int64_t>(4, batch.indices.size());
  const int64_t plane = side_ * side_;
  std::vector<float> corrupted(n * plane), original(n * plane);
  for (int64_t i = 0; i < n; ++i) {
    std::copy_n(&batch.input[i * channels_ * plane], plane, &corrupted[i * plane]);
    std::copy_n(&batch.target[i * channels_ * plane], plane, &original[i * plane]);
  }
  torch::Tensor restored = output.detach().narrow(0, 0, n).to(torch::kCPU).contiguous();
  std::error_code ec;
  fs::create_directories(Path("samples"), ec);
  return WriteSampleGrid(Path(absl::StrFormat("samples/step_%08d.png", state_.global_step)), n,
                         side_, corrupted.data(), restored.data_ptr<float>(), original.data());
}

absl::Status Trainer::Export(PretrainResult* result) {
  // The exported encoder is the best epoch's.
  const std::string best = Path("checkpoint_best.pt");
  if (fs::exists(best)) {
    TrainState ignored;
    GENESIS_RETURN_IF_ERROR(LoadCheckpoint(best, device_, *job_.model, nullptr, &ignored));
  }
  result->encoder_path = Path("encoder_state_dict.pt");
  return ExportEncoderStateDict(*job_.model->encoder(), result->encoder_path);
}

absl::StatusOr<PretrainResult> Trainer::Run() {
  GENESIS_RETURN_IF_ERROR(CheckDevice(job_.device));
  if (job_.train == nullptr || job_.val == nullptr || job_.model == nullptr) {
    return absl::InvalidArgumentError("pretraining needs a model, a train and a val dataset");
  }
  if (job_.train->size() == 0) return absl::FailedPreconditionError("the train split is empty");
  at::set_num_threads(std::max(1, job_.num_threads));
  std::error_code ec;
  fs::create_directories(job_.output_dir, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat(job_.output_dir, ": ", ec.message()));

  torch::nn::Module& model = *job_.model;
  model.to(device_);
  model.train();
  std::vector<torch::Tensor> parameters = model.parameters();
  auto optimizer = MakeOptimizer(config_.optimizer(), parameters);
  LrSchedule schedule(config_.schedule(), config_.optimizer().learning_rate(),
                      config_.max_epochs());
  state_.schedule = schedule.state();

  PretrainResult result;
  const std::string last_path = Path("checkpoint_last.pt");
  std::string config_bytes;
  config_.SerializeToString(&config_bytes);
  state_.config = config_bytes;
  if (fs::exists(last_path)) {
    GENESIS_RETURN_IF_ERROR(LoadCheckpoint(last_path, device_, model, optimizer.get(), &state_));
    if (state_.config != config_bytes) {
      LOG(WARNING) << "resuming " << last_path
                   << " although the pretrain options changed since it was written; the "
                      "result will not equal a fresh run with the new options";
      state_.config = config_bytes;
    }
    schedule.set_state(state_.schedule);
    result.resumed = true;
    LOG(INFO) << "resuming from " << last_path << " at epoch " << state_.epoch + 1 << " step "
              << state_.step_in_epoch << " (global step " << state_.global_step << ")";
  }
  SetLearningRate(*optimizer, schedule.lr());

  // Data parallel (torchrun variables): every rank trains on its shard of each global batch
  // and averages gradients; rank 0 alone writes outputs.
  GENESIS_ASSIGN_OR_RETURN(const DistributedConfig distributed, DistributedConfigFromEnv());
  std::unique_ptr<DataParallel> parallel;
  if (distributed.world_size > 1) {
    if (config_.batch_size() % distributed.world_size != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("batch_size: must be a multiple of WORLD_SIZE (", distributed.world_size,
                       ") for data-parallel training, got ", config_.batch_size()));
    }
    GENESIS_ASSIGN_OR_RETURN(parallel, DataParallel::Connect(distributed));
    GENESIS_RETURN_IF_ERROR(parallel->BroadcastParameters(model));
    LOG(INFO) << "data parallel: rank " << distributed.rank << " of "
              << distributed.world_size;
  }
  const bool main_rank = distributed.rank == 0;
  if (main_rank) {
    GENESIS_RETURN_IF_ERROR(WriteFileAtomically(Path("metrics.csv"), state_.metrics_csv));
  }

  std::unique_ptr<EventFileWriter> events;
  if (config_.tensorboard() && !state_.finished && main_rank) {
    GENESIS_ASSIGN_OR_RETURN(events, EventFileWriter::Create(Path("tensorboard")));
  }
  if (state_.identity_baseline < 0) GENESIS_RETURN_IF_ERROR(ComputeBaselines());

  ProgressReporter progress(isatty(STDERR_FILENO) != 0, config_.log_every_steps());
  while (!state_.finished && state_.epoch < config_.max_epochs()) {
    const auto epoch_start = std::chrono::steady_clock::now();
    const int64_t epoch = state_.epoch;
    auto batches = Chunk(Permutation(job_.train->size(), job_.seed, epoch), config_.batch_size(),
                         config_.steps_per_epoch());
    if (parallel != nullptr) {  // Rank r takes the r-th contiguous shard of every batch.
      const int64_t world = distributed.world_size;
      if (!batches.empty() && static_cast<int64_t>(batches.back().size()) % world != 0) {
        batches.pop_back();  // A last batch that does not split evenly is skipped by all.
      }
      for (auto& b : batches) {
        const int64_t shard = static_cast<int64_t>(b.size()) / world;
        b = std::vector<int64_t>(b.begin() + distributed.rank * shard,
                                 b.begin() + (distributed.rank + 1) * shard);
      }
    }
    const int64_t steps = static_cast<int64_t>(batches.size());
    BatchLoader loader(std::move(batches), state_.step_in_epoch, config_.loader_threads(),
                       config_.prefetch_batches(), side_, channels_,
                       MakeSample(job_.train, epoch));
    progress.StartEpoch(epoch, config_.max_epochs(), steps, state_.step_in_epoch);
    result.step_seconds.clear();
    auto step_start = std::chrono::steady_clock::now();
    while (true) {
      GENESIS_ASSIGN_OR_RETURN(std::optional<Batch> batch, loader.Next());
      if (!batch) break;
      auto [input, target] = ToTensors(*batch);
      // Drop the gradients instead of zeroing them (set_to_none): backward then writes fresh
      // buffers instead of adding into zeroed ones -- one pass over every weight less per step.
      for (auto& p : parameters) p.mutable_grad() = torch::Tensor();
      torch::Tensor output = job_.model->forward(input);
      torch::Tensor loss = Loss(config_.loss(), output, target);
      loss.backward();
      if (parallel != nullptr) GENESIS_RETURN_IF_ERROR(parallel->AverageGradients(model));
      optimizer->step();
      const double loss_value = loss.item<double>();
      if (!std::isfinite(loss_value)) {
        return absl::InternalError(absl::StrCat("training loss became ", loss_value,
                                                " at global step ", state_.global_step + 1,
                                                "; lower the learning rate"));
      }
      const int64_t n = input.size(0);
      state_.train_loss_sum += loss_value * n;
      state_.train_loss_count += n;
      state_.train_images += n;
      ++state_.step_in_epoch;
      ++state_.global_step;
      progress.Step(state_.step_in_epoch, n, loss_value);
      if (main_rank && config_.sample_every_steps() > 0 &&
          state_.global_step % config_.sample_every_steps() == 0) {
        GENESIS_RETURN_IF_ERROR(WriteSamples(*batch, output));
      }
      if (events != nullptr) events->AddScalar("loss/train_step", loss_value, state_.global_step);
      if (main_rank && config_.checkpoint_every_steps() > 0 && state_.step_in_epoch < steps &&
          state_.global_step % config_.checkpoint_every_steps() == 0) {
        state_.schedule = schedule.state();
        GENESIS_RETURN_IF_ERROR(SaveCheckpoint(last_path, model, *optimizer, state_));
      }
      const auto step_end = std::chrono::steady_clock::now();
      result.step_seconds.push_back(std::chrono::duration<double>(step_end - step_start).count());
      step_start = step_end;
      if (job_.crash_after_step && job_.crash_after_step(state_.global_step)) {
        return absl::AbortedError(
            absl::StrCat("simulated crash after global step ", state_.global_step));
      }
    }
    progress.EndEpoch();
    // Ranks share rank 0's norm statistics before validating, so every rank sees the same
    // val loss and takes the same schedule / early-stopping decisions.
    if (parallel != nullptr) GENESIS_RETURN_IF_ERROR(parallel->BroadcastParameters(model));
    result.last_epoch_images_per_s = progress.rate();
    GENESIS_ASSIGN_OR_RETURN(const double val_loss, Validate());
    const double train_loss =
        state_.train_loss_count > 0 ? state_.train_loss_sum / state_.train_loss_count : 0.0;
    const double lr = schedule.lr();
    const bool improved = val_loss < state_.best_val;
    if (improved) {
      state_.best_val = val_loss;
      state_.epochs_since_best = 0;
    } else {
      ++state_.epochs_since_best;
    }
    const bool collapse = val_loss >= state_.mean_baseline;
    if (collapse) {
      LOG(WARNING) << absl::StrFormat(
          "collapse watchdog: epoch %d val loss %.6f is no better than predicting the mean "
          "image (%.6f); the network may be outputting a constant -- lower the learning rate "
          "or check the data",
          epoch + 1, val_loss, state_.mean_baseline);
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();
    absl::StrAppend(&state_.metrics_csv,
                    absl::StrFormat("%d,%d,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%d,%.3f,%.2f\n",
                                    epoch + 1, state_.global_step, lr, train_loss, val_loss,
                                    state_.identity_baseline, state_.mean_baseline,
                                    state_.best_val, collapse ? 1 : 0, seconds,
                                    progress.rate()));
    LOG(INFO) << absl::StrFormat(
        "epoch %d/%d: train %.6f val %.6f (best %.6f; identity %.6f, mean image %.6f) lr %.3g",
        epoch + 1, config_.max_epochs(), train_loss, val_loss, state_.best_val,
        state_.identity_baseline, state_.mean_baseline, lr);
    if (events != nullptr) {
      events->AddScalar("loss/train", train_loss, epoch + 1);
      events->AddScalar("loss/val", val_loss, epoch + 1);
      events->AddScalar("baseline/identity", state_.identity_baseline, epoch + 1);
      events->AddScalar("baseline/mean_image", state_.mean_baseline, epoch + 1);
      events->AddScalar("learning_rate", lr, epoch + 1);
      events->Flush();
    }

    schedule.EpochEnd(epoch, val_loss);
    SetLearningRate(*optimizer, schedule.lr());
    state_.schedule = schedule.state();
    state_.last_val = val_loss;
    state_.epoch = epoch + 1;
    state_.step_in_epoch = 0;
    state_.train_loss_sum = 0.0;
    state_.train_loss_count = 0;
    if (state_.epochs_since_best >= config_.early_stopping_patience()) {
      LOG(INFO) << "early stopping: no val improvement for " << state_.epochs_since_best
                << " epochs";
      state_.early_stopped = true;
      state_.finished = true;
    }
    if (state_.epoch >= config_.max_epochs()) state_.finished = true;
    if (!main_rank) continue;
    if (improved) {
      GENESIS_RETURN_IF_ERROR(
          SaveCheckpoint(Path("checkpoint_best.pt"), model, *optimizer, state_));
    }
    GENESIS_RETURN_IF_ERROR(SaveCheckpoint(last_path, model, *optimizer, state_));
    GENESIS_RETURN_IF_ERROR(WriteFileAtomically(Path("metrics.csv"), state_.metrics_csv));
  }

  result.epochs_completed = state_.epoch;
  result.global_step = state_.global_step;
  result.best_val_loss = state_.best_val;
  result.last_val_loss = state_.last_val;
  result.identity_baseline = state_.identity_baseline;
  result.mean_image_baseline = state_.mean_baseline;
  result.early_stopped = state_.early_stopped;
  if (!main_rank) {
    GENESIS_RETURN_IF_ERROR(parallel->Barrier());
    return result;
  }
  GENESIS_RETURN_IF_ERROR(Export(&result));
  if (parallel != nullptr) GENESIS_RETURN_IF_ERROR(parallel->Barrier());
  // Leave the model with the final (not best) weights for callers that inspect it.
  TrainState ignored;
  GENESIS_RETURN_IF_ERROR(LoadCheckpoint(last_path, device_, model, nullptr, &ignored));
  return result;
}

}  // namespace

absl::Status ValidatePretrainOptions(const PretrainStage& c) {
  if (c.loss() != "mse" && c.loss() != "l1") {
    return absl::InvalidArgumentError(
        absl::StrCat("loss: must be \"mse\" or \"l1\", got \"", c.loss(), "\""));
  }
  const auto& o = c.optimizer();
  if (o.type() != "sgd" && o.type() != "adam") {
    return absl::InvalidArgumentError(
        absl::StrCat("optimizer.type: must be \"sgd\" or \"adam\", got \"", o.type(), "\""));
  }
  if (!(o.learning_rate() > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("optimizer.learning_rate: must be > 0, got ", o.learning_rate()));
  }
  if (o.momentum() < 0 || o.momentum() >= 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("optimizer.momentum: must be in [0, 1), got ", o.momentum()));
  }
  if (o.weight_decay() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("optimizer.weight_decay: must be >= 0, got ", o.weight_decay()));
  }
  GENESIS_RETURN_IF_ERROR(LrSchedule::Validate(c.schedule()));
  struct {
    const char* name;
    int64_t value;
    int64_t min;
  } const ints[] = {{"batch_size", c.batch_size(), 1},
                    {"max_epochs", c.max_epochs(), 1},
                    {"early_stopping_patience", c.early_stopping_patience(), 1},
                    {"sample_every_steps", c.sample_every_steps(), 0},
                    {"loader_threads", c.loader_threads(), 1},
                    {"prefetch_batches", c.prefetch_batches(), 1},
                    {"steps_per_epoch", c.steps_per_epoch(), 0},
                    {"checkpoint_every_steps", c.checkpoint_every_steps(), 0},
                    {"log_every_steps", c.log_every_steps(), 0},
                    {"max_val_slices", c.max_val_slices(), 0}};
  for (const auto& f : ints) {
    if (f.value < f.min) {
      return absl::InvalidArgumentError(
          absl::StrCat(f.name, ": must be >= ", f.min, ", got ", f.value));
    }
  }
  if (c.image_size() < 32 || c.image_size() % 32 != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "image_size: must be a multiple of 32 and >= 32, got ", c.image_size()));
  }
  if (c.in_channels() != 1 && c.in_channels() != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("in_channels: must be 1 or 3, got ", c.in_channels()));
  }
  return absl::OkStatus();
}

absl::Status CheckDevice(const std::string& device) {
  try {
    torch::Device d(device);
    if (d.is_cuda() && !torch::cuda::is_available()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "device \"", device,
          "\": this LibTorch has no usable CUDA (torch::cuda::is_available() is false); use "
          "device: \"cpu\" or build against a CUDA LibTorch (GENESIS_LIBTORCH)"));
    }
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("device: cannot parse \"", device, "\": ", e.what_without_backtrace()));
  }
  return absl::OkStatus();
}

absl::StatusOr<PretrainResult> RunPretraining(const PretrainJob& job) {
  GENESIS_RETURN_IF_ERROR(ValidatePretrainOptions(job.config));
  try {
    Trainer trainer(job);
    return trainer.Run();
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
