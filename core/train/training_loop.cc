#include "core/train/training_loop.h"

#include <torch/cuda.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>
#include <torch/utils.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/distributed/data_parallel.h"
#include "core/file_util.h"
#include "core/random.h"
#include "core/status_macros.h"
#include "core/train/progress.h"
#include "core/train/tensorboard.h"
#include "glog/logging.h"

namespace genesis {
namespace {

namespace fs = std::filesystem;

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
                            torch::optim::Optimizer& optimizer, const LoopState& s) {
  const std::string tmp = TempPathFor(path);
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
    archive.write("best", c10::IValue(s.best));
    archive.write("has_best", c10::IValue(s.has_best));
    archive.write("epochs_since_best", c10::IValue(s.epochs_since_best));
    archive.write("last_val", c10::IValue(s.last_val));
    archive.write("finished", c10::IValue(s.finished));
    archive.write("early_stopped", c10::IValue(s.early_stopped));
    archive.write("train_loss_sum", c10::IValue(s.train_loss_sum));
    archive.write("train_loss_count", c10::IValue(s.train_loss_count));
    archive.write("train_images", c10::IValue(s.train_images));
    archive.write("schedule_lr", c10::IValue(s.schedule.lr));
    archive.write("schedule_best", c10::IValue(s.schedule.best));
    archive.write("schedule_bad_epochs", c10::IValue(s.schedule.bad_epochs));
    archive.write("metrics_csv", c10::IValue(s.metrics_csv));
    archive.write("config", c10::IValue(s.config));
    c10::Dict<std::string, double> extra;
    for (const auto& [key, value] : s.extra) extra.insert(key, value);
    archive.write("extra", c10::IValue(extra));
    archive.save_to(tmp);
  } catch (const c10::Error& e) {
    std::error_code ec;
    fs::remove(tmp, ec);  // Never leave a half-written temp file behind.
    return absl::InternalError(
        absl::StrCat(path, ": cannot write checkpoint: ", e.what_without_backtrace()));
  }
  std::error_code ec;
  if (absl::Status synced = SyncFile(tmp); !synced.ok()) {
    fs::remove(tmp, ec);
    return synced;
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return absl::PermissionDeniedError(absl::StrCat(path, ": ", ec.message()));
  }
  return absl::OkStatus();
}

absl::Status LoadCheckpoint(const std::string& path, const torch::Device& device,
                            torch::nn::Module& model, torch::optim::Optimizer* optimizer,
                            LoopState* s) {
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path, device);
    torch::serialize::InputArchive model_archive;
    archive.read("model", model_archive);
    model.load(model_archive);
    if (optimizer == nullptr) return absl::OkStatus();
    torch::serialize::InputArchive optimizer_archive;
    archive.read("optimizer", optimizer_archive);
    optimizer->load(optimizer_archive);
    c10::IValue v;
    auto read = [&](const char* key) -> const c10::IValue& {
      archive.read(key, v);
      return v;
    };
    s->epoch = read("epoch").toInt();
    s->step_in_epoch = read("step_in_epoch").toInt();
    s->global_step = read("global_step").toInt();
    s->best = read("best").toDouble();
    s->has_best = read("has_best").toBool();
    s->epochs_since_best = read("epochs_since_best").toInt();
    s->last_val = read("last_val").toDouble();
    s->finished = read("finished").toBool();
    s->early_stopped = read("early_stopped").toBool();
    s->train_loss_sum = read("train_loss_sum").toDouble();
    s->train_loss_count = read("train_loss_count").toInt();
    s->train_images = read("train_images").toInt();
    s->schedule.lr = read("schedule_lr").toDouble();
    s->schedule.best = read("schedule_best").toDouble();
    s->schedule.bad_epochs = read("schedule_bad_epochs").toInt();
    s->metrics_csv = read("metrics_csv").toStringRef();
    s->config = read("config").toStringRef();
    s->extra.clear();
    for (const auto& item : read("extra").toGenericDict()) {
      s->extra[item.key().toStringRef()] = item.value().toDouble();
    }
  } catch (const c10::Error& e) {
    return absl::DataLossError(
        absl::StrCat(path, ": unreadable checkpoint: ", e.what_without_backtrace()));
  }
  return absl::OkStatus();
}

class Loop {
 public:
  Loop(const LoopOptions& options, TrainingProblem& problem)
      : o_(options), problem_(problem), device_(options.device) {}

  absl::StatusOr<LoopResult> Run();

 private:
  std::string Path(absl::string_view name) const {
    return (fs::path(o_.output_dir) / std::string(name)).string();
  }
  std::string MetricsHeader() const {
    std::string header = "epoch,global_step,learning_rate,train_loss,val_loss";
    for (const MetricColumn& c : problem_.Columns()) absl::StrAppend(&header, ",", c.name);
    absl::StrAppend(&header, ",seconds,images_per_s\n");
    return header;
  }
  std::pair<torch::Tensor, torch::Tensor> ToTensors(Batch& batch) const {
    const int64_t n = static_cast<int64_t>(batch.indices.size());
    auto input = torch::from_blob(batch.input.data(), {n, o_.channels, o_.side, o_.side});
    auto target = torch::from_blob(batch.target.data(), {n, batch.target_numel});
    return {input.to(device_), target.to(device_)};
  }

  const LoopOptions& o_;
  TrainingProblem& problem_;
  torch::Device device_;
  LoopState state_;
};

absl::StatusOr<LoopResult> Loop::Run() {
  GENESIS_RETURN_IF_ERROR(CheckDevice(o_.device));
  if (problem_.train_size() == 0) {
    return absl::FailedPreconditionError("the training set is empty");
  }
  at::set_num_threads(std::max(1, o_.num_threads));
  std::error_code ec;
  fs::create_directories(o_.output_dir, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat(o_.output_dir, ": ", ec.message()));

  torch::nn::Module& model = problem_.model();
  model.to(device_);
  model.train();
  std::vector<torch::Tensor> parameters = model.parameters();
  auto optimizer = MakeOptimizer(o_.optimizer, parameters);
  LrSchedule schedule(o_.schedule, o_.optimizer.learning_rate(), o_.max_epochs);
  state_.schedule = schedule.state();
  state_.metrics_csv = MetricsHeader();
  state_.config = o_.config;

  LoopResult result;
  const std::string last_path = Path("checkpoint_last.pt");
  if (fs::exists(last_path)) {
    GENESIS_RETURN_IF_ERROR(LoadCheckpoint(last_path, device_, model, optimizer.get(), &state_));
    if (state_.config != o_.config) {
      LOG(WARNING) << "resuming " << last_path
                   << " although the options changed since it was written; the result will "
                      "not equal a fresh run with the new options";
      state_.config = o_.config;
    }
    schedule.set_state(state_.schedule);
    result.resumed = true;
    LOG(INFO) << "resuming from " << last_path << " at epoch " << state_.epoch + 1 << " step "
              << state_.step_in_epoch << " (global step " << state_.global_step << ")";
  }
  SetLearningRate(*optimizer, schedule.lr());

  GENESIS_ASSIGN_OR_RETURN(const DistributedConfig distributed, DistributedConfigFromEnv());
  DataParallel* parallel = nullptr;
  std::unique_ptr<DataParallel> own_connection;  // Only outside `genesis run` (tests, benches).
  if (distributed.world_size > 1) {
    if (o_.batch_size % distributed.world_size != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("batch_size: must be a multiple of WORLD_SIZE (", distributed.world_size,
                       ") for data-parallel training, got ", o_.batch_size));
    }
    // The run's connection (core/runner.cc): connecting again on MASTER_PORT would fail.
    GENESIS_ASSIGN_OR_RETURN(parallel,
                             DataParallel::CurrentOrConnect(distributed, &own_connection));
    GENESIS_RETURN_IF_ERROR(parallel->BroadcastParameters(model));
    LOG(INFO) << "data parallel: rank " << distributed.rank << " of " << distributed.world_size;
  }
  const bool main_rank = distributed.rank == 0;
  result.main_rank = main_rank;
  if (main_rank) {
    GENESIS_RETURN_IF_ERROR(WriteFileAtomically(Path("metrics.csv"), state_.metrics_csv));
  }
  std::unique_ptr<EventFileWriter> events;
  if (o_.tensorboard && !state_.finished && main_rank) {
    GENESIS_ASSIGN_OR_RETURN(events, EventFileWriter::Create(Path("tensorboard")));
  }
  GENESIS_RETURN_IF_ERROR(problem_.BeforeTraining(state_));
  const std::vector<MetricColumn> columns = problem_.Columns();

  auto sample = [this](uint64_t epoch) {
    return [this, epoch](int64_t index, Slice& input, Slice& target) {
      return problem_.MakeTrainSample(epoch, index, input, target);
    };
  };
  ProgressReporter progress(isatty(STDERR_FILENO) != 0, o_.log_every_steps);
  while (!state_.finished && state_.epoch < o_.max_epochs) {
    const auto epoch_start = std::chrono::steady_clock::now();
    const int64_t epoch = state_.epoch;
    auto batches = Batches(Permutation(problem_.train_size(), /*shuffle=*/true, o_.seed, epoch),
                           o_.batch_size, o_.steps_per_epoch);
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
    std::unique_ptr<OrderedLoader<Batch>> loader =
        LoadBatches(std::move(batches), state_.step_in_epoch, o_.loader_threads,
                    o_.prefetch_batches, o_.side, o_.channels, sample(epoch));
    model.train();
    problem_.SetMode(epoch, /*training=*/true);
    progress.StartEpoch(epoch, o_.max_epochs, steps, state_.step_in_epoch);
    result.step_seconds.clear();
    auto step_start = std::chrono::steady_clock::now();
    while (true) {
      GENESIS_ASSIGN_OR_RETURN(std::optional<Batch> batch, loader->Next());
      if (!batch) break;
      auto [input, target] = ToTensors(*batch);
      // Drop the gradients instead of zeroing them (set_to_none): backward then writes fresh
      // buffers instead of adding into zeroed ones -- one pass over every weight less per step.
      for (auto& p : parameters) p.mutable_grad() = torch::Tensor();
      // Random layers (dropout) draw from torch's generator, seeded per step: a resumed run
      // draws exactly what an uninterrupted one would. Ranks > 0 mix in their rank, so that
      // the shards of one batch do not all get the same masks (rank 0's seed is a single
      // process's).
      const uint64_t stream = 0x5eed ^ (static_cast<uint64_t>(distributed.rank) << 32);
      torch::manual_seed(
          RandomStream(o_.seed, RandomStream::kInit, stream, state_.global_step).NextU64());
      torch::Tensor output = problem_.Forward(input);
      torch::Tensor loss = problem_.Loss(output, target);
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
      if (main_rank) GENESIS_RETURN_IF_ERROR(problem_.AfterStep(state_, *batch, output));
      if (events != nullptr) events->AddScalar("loss/train_step", loss_value, state_.global_step);
      if (main_rank && o_.checkpoint_every_steps > 0 && state_.step_in_epoch < steps &&
          state_.global_step % o_.checkpoint_every_steps == 0) {
        state_.schedule = schedule.state();
        GENESIS_RETURN_IF_ERROR(SaveCheckpoint(last_path, model, *optimizer, state_));
      }
      const auto step_end = std::chrono::steady_clock::now();
      result.step_seconds.push_back(std::chrono::duration<double>(step_end - step_start).count());
      step_start = step_end;
      if (o_.crash_after_step && o_.crash_after_step(state_.global_step)) {
        return absl::AbortedError(
            absl::StrCat("simulated crash after global step ", state_.global_step));
      }
    }
    progress.EndEpoch();
    // Ranks share rank 0's norm statistics before validating, so every rank sees the same
    // validation and takes the same schedule / early-stopping decisions.
    if (parallel != nullptr) GENESIS_RETURN_IF_ERROR(parallel->BroadcastParameters(model));
    result.last_epoch_images_per_s = progress.rate();
    model.eval();
    problem_.SetMode(epoch, /*training=*/false);
    absl::StatusOr<EpochValidation> validation;
    {
      torch::NoGradGuard no_grad;
      validation = problem_.Validate(epoch, state_);
    }
    model.train();
    if (!validation.ok()) return validation.status();
    if (parallel != nullptr) {
      // Every rank validated the same weights, but ranks on different hardware may round
      // differently: rank 0's numbers decide the best epoch, the schedule and early stopping
      // everywhere, so that no rank stops while the others wait for it.
      std::vector<double> decisive = {validation->loss, validation->selection};
      GENESIS_RETURN_IF_ERROR(parallel->BroadcastValues(decisive));
      validation->loss = decisive[0];
      validation->selection = decisive[1];
    }
    const double train_loss =
        state_.train_loss_count > 0 ? state_.train_loss_sum / state_.train_loss_count : 0.0;
    const double lr = schedule.lr();
    const bool improved =
        !state_.has_best || (problem_.maximize_selection() ? validation->selection > state_.best
                                                           : validation->selection < state_.best);
    if (improved) {
      state_.best = validation->selection;
      state_.has_best = true;
      state_.epochs_since_best = 0;
      state_.extra["best_epoch"] = static_cast<double>(epoch + 1);
    } else {
      ++state_.epochs_since_best;
    }
    const std::vector<double> values = problem_.ColumnValues(*validation, state_);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();
    std::string row = absl::StrFormat("%d,%d,%.9g,%.9g,%.9g", epoch + 1, state_.global_step, lr,
                                      train_loss, validation->loss);
    for (double v : values) absl::StrAppend(&row, absl::StrFormat(",%.9g", v));
    absl::StrAppend(&row, absl::StrFormat(",%.3f,%.2f\n", seconds, progress.rate()));
    absl::StrAppend(&state_.metrics_csv, row);
    std::string line = absl::StrFormat("epoch %d/%d: train %.6f val %.6f", epoch + 1,
                                       o_.max_epochs, train_loss, validation->loss);
    for (size_t c = 0; c < columns.size() && c < values.size(); ++c) {
      absl::StrAppend(&line, absl::StrFormat(" %s %.6g", columns[c].name, values[c]));
    }
    LOG(INFO) << line << absl::StrFormat(" lr %.3g", lr);
    if (events != nullptr) {
      events->AddScalar("loss/train", train_loss, epoch + 1);
      events->AddScalar("loss/val", validation->loss, epoch + 1);
      for (size_t c = 0; c < columns.size() && c < values.size(); ++c) {
        if (!columns[c].tensorboard_tag.empty()) {
          events->AddScalar(columns[c].tensorboard_tag, values[c], epoch + 1);
        }
      }
      events->AddScalar("learning_rate", lr, epoch + 1);
      events->Flush();
    }

    schedule.EpochEnd(epoch, validation->loss);
    SetLearningRate(*optimizer, schedule.lr());
    state_.schedule = schedule.state();
    state_.last_val = validation->loss;
    state_.epoch = epoch + 1;
    state_.step_in_epoch = 0;
    state_.train_loss_sum = 0.0;
    state_.train_loss_count = 0;
    if (o_.early_stopping_patience > 0 && state_.epochs_since_best >= o_.early_stopping_patience) {
      LOG(INFO) << "early stopping: no validation improvement for " << state_.epochs_since_best
                << " epochs";
      state_.early_stopped = true;
      state_.finished = true;
    }
    if (state_.epoch >= o_.max_epochs) state_.finished = true;
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
  result.best_selection = state_.best;
  auto best_epoch = state_.extra.find("best_epoch");
  result.best_epoch = best_epoch == state_.extra.end() ? 0 : static_cast<int64_t>(best_epoch->second);
  result.last_val_loss = state_.last_val;
  result.early_stopped = state_.early_stopped;
  result.state = state_;
  if (parallel != nullptr) GENESIS_RETURN_IF_ERROR(parallel->Barrier());
  return result;
}

// What to change for LibTorch errors a config can cause (the message alone names a tensor).
std::string TrainingErrorHint(absl::string_view what) {
  if (absl::StrContains(what, "Expected more than 1 value per channel when training")) {
    return " (a batch-norm layer saw one value per channel: a batch of one image -- the last "
           "batch of an epoch -- reached it at 1x1; use a larger image_size, a batch_size that "
           "leaves no remainder of one, or instance/group normalization)";
  }
  return "";
}

}  // namespace

absl::Status ForEachBatch(
    const std::vector<int64_t>& indices, const LoopOptions& options,
    SampleFn make_sample,
    const std::function<absl::Status(const Batch&, const at::Tensor& input,
                                     const at::Tensor& target)>& fn) {
  std::unique_ptr<OrderedLoader<Batch>> loader =
      LoadBatches(Batches(indices, options.batch_size), 0, options.loader_threads,
                  options.prefetch_batches, options.side, options.channels,
                  std::move(make_sample));
  const torch::Device device(options.device);
  while (true) {
    GENESIS_ASSIGN_OR_RETURN(std::optional<Batch> batch, loader->Next());
    if (!batch) break;
    const int64_t n = static_cast<int64_t>(batch->indices.size());
    at::Tensor input =
        torch::from_blob(batch->input.data(), {n, options.channels, options.side, options.side})
            .to(device);
    at::Tensor target = torch::from_blob(batch->target.data(), {n, batch->target_numel}).to(device);
    GENESIS_RETURN_IF_ERROR(fn(*batch, input, target));
  }
  return absl::OkStatus();
}

absl::StatusOr<LoopResult> RunTrainingLoop(const LoopOptions& options, TrainingProblem& problem) {
  try {
    Loop loop(options, problem);
    return loop.Run();
  } catch (const c10::Error& e) {
    return absl::InternalError(
        absl::StrCat("training in ", options.output_dir, ": ", e.what_without_backtrace(),
                     TrainingErrorHint(e.what_without_backtrace())));
  }
}

absl::Status LoadCheckpointWeights(const std::string& path, const std::string& device,
                                   torch::nn::Module& model) {
  LoopState ignored;
  return LoadCheckpoint(path, torch::Device(device), model, nullptr, &ignored);
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

absl::Status ValidateOptimizerOptions(const OptimizerOptions& o, const ScheduleOptions& s) {
  if (o.type() != "sgd" && o.type() != "adam") {
    return absl::InvalidArgumentError(
        absl::StrCat("optimizer.type: must be \"sgd\" or \"adam\", got \"", o.type(), "\""));
  }
  if (!(o.learning_rate() > 0 && o.learning_rate() <= 100)) {
    return absl::InvalidArgumentError(
        absl::StrCat("optimizer.learning_rate: must be in (0, 100], got ", o.learning_rate()));
  }
  if (o.momentum() < 0 || o.momentum() >= 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("optimizer.momentum: must be in [0, 1), got ", o.momentum()));
  }
  if (!(o.weight_decay() >= 0 && o.weight_decay() <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("optimizer.weight_decay: must be in [0, 1], got ", o.weight_decay()));
  }
  return LrSchedule::Validate(s);
}

}  // namespace genesis
