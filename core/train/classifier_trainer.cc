#include "core/train/classifier_trainer.h"

#include <torch/nn/functional/loss.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/file_util.h"
#include "core/status_macros.h"
#include "core/train/image_ops.h"
#include "core/train/trainer.h"
#include "core/train/training_loop.h"
#include "glog/logging.h"

namespace genesis {
namespace {

namespace fs = std::filesystem;

// Encoder + head as one module, so checkpoints and the optimizer see exactly the trained
// parameters (the backbone's decoder is not part of it).
class Classifier : public torch::nn::Module {
 public:
  Classifier(std::shared_ptr<EncoderDecoder> net, std::shared_ptr<HeadModule> head)
      : net_(std::move(net)), head_(std::move(head)) {
    register_module("encoder", net_->encoder());
    register_module("head", head_);
  }
  at::Tensor forward(const at::Tensor& x) { return head_->forward(net_->Encode(x)); }
  torch::nn::Module& encoder() { return *net_->encoder(); }
  HeadModule& head() { return *head_; }

 private:
  std::shared_ptr<EncoderDecoder> net_;
  std::shared_ptr<HeadModule> head_;
};

LoopOptions FineTuningLoopOptions(const ClassifierJob& job) {
  const TransferStage& c = job.config;
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

class FineTuningProblem : public TrainingProblem {
 public:
  FineTuningProblem(const ClassifierJob& job, const LoopOptions& options, double positive_weight)
      : job_(job),
        options_(options),
        classifier_(std::make_shared<Classifier>(job.net, job.head)),
        positive_weight_(positive_weight) {}

  torch::nn::Module& model() override { return *classifier_; }
  int64_t train_size() const override { return static_cast<int64_t>(job_.train.size()); }
  absl::Status MakeTrainSample(uint64_t epoch, int64_t index, Slice& input,
                               Slice& target) const override {
    const SampleRef& ref = job_.train[index];
    Augmentation augmentation;
    augmentation.enabled = true;
    augmentation.seed = job_.seed;
    augmentation.epoch = epoch;
    return MakeSample(ref, augmentation, input, target);
  }
  at::Tensor Forward(const at::Tensor& input) override { return classifier_->forward(input); }
  at::Tensor Loss(const at::Tensor& output, const at::Tensor& target) override {
    at::Tensor loss = BceLoss(output, target, torch::kMean);
    at::Tensor penalty = classifier_->head().Penalty();
    return penalty.defined() ? loss + penalty : loss;
  }
  bool maximize_selection() const override { return true; }
  std::vector<MetricColumn> Columns() const override {
    return {{"warmup", ""}, {"val_auc", "auc/val"}, {"best_val_auc", ""}};
  }
  void SetMode(int64_t epoch, bool training) override {
    const bool warmup = epoch < job_.config.warmup_epochs();
    for (auto& p : classifier_->encoder().parameters()) p.set_requires_grad(!warmup);
    // A frozen encoder also keeps its norm statistics: it runs in eval mode.
    if (training && warmup) classifier_->encoder().eval();
  }
  absl::StatusOr<EpochValidation> Validate(int64_t epoch, LoopState& state) override {
    GENESIS_ASSIGN_OR_RETURN(Scored scored, Score(job_.val));
    last_auc_ = RocAuc(scored.scores, scored.labels);
    EpochValidation v;
    v.loss = scored.loss;
    // The selection metric must be comparable across epochs: AUC when defined, else -loss.
    v.selection = std::isnan(last_auc_) ? -scored.loss : last_auc_;
    if (std::isnan(last_auc_) && !warned_single_class_) {
      LOG(WARNING) << "fine-tuning: the validation set holds one class only; the best epoch is "
                      "chosen by validation loss";
      warned_single_class_ = true;
    }
    last_warmup_ = epoch < job_.config.warmup_epochs();
    return v;
  }
  std::vector<double> ColumnValues(const EpochValidation& v, const LoopState& state) override {
    const double best_auc = std::isnan(last_auc_) ? std::numeric_limits<double>::quiet_NaN()
                                                  : state.best;
    return {last_warmup_ ? 1.0 : 0.0, last_auc_, best_auc};
  }

  struct Scored {
    std::vector<float> scores;
    std::vector<int> labels;
    double loss = 0.0;
  };
  // Scores of `indices` (no augmentation), in order: the mean sigmoid probability over each
  // sample's Task::evaluation_views() views; loss = the mean BCE over every view scored.
  absl::StatusOr<Scored> Score(const std::vector<int64_t>& indices) {
    const int64_t views = std::max<int32_t>(1, job_.task->evaluation_views());
    // Item k is view k % views of sample indices[k / views].
    std::vector<int64_t> items(indices.size() * views);
    std::iota(items.begin(), items.end(), 0);
    Scored out;
    out.scores.assign(indices.size(), 0.0f);
    out.labels.reserve(indices.size());
    for (int64_t index : indices) out.labels.push_back(job_.task->samples()[index].label);
    double loss_sum = 0.0;
    std::vector<double> sums(indices.size(), 0.0);
    int64_t next = 0;  // Items are delivered in order.
    GENESIS_RETURN_IF_ERROR(ForEachBatch(
        items, options_,
        [this, &indices, views](int64_t item, Slice& input, Slice& target) {
          const SampleRef ref{indices[item / views], static_cast<int32_t>(item % views)};
          return MakeSample(ref, Augmentation(), input, target);
        },
        [&](const Batch&, const at::Tensor& input, const at::Tensor& target) {
          at::Tensor logits = classifier_->forward(input);
          loss_sum += BceLoss(logits, target, torch::kSum).item<double>();
          at::Tensor p = torch::sigmoid(logits).reshape({-1}).to(torch::kCPU).contiguous();
          const float* values = p.data_ptr<float>();
          for (int64_t i = 0; i < p.size(0); ++i, ++next) sums[next / views] += values[i];
          return absl::OkStatus();
        }));
    for (size_t i = 0; i < indices.size(); ++i) {
      out.scores[i] = static_cast<float>(sums[i] / static_cast<double>(views));
    }
    out.loss = items.empty() ? 0.0 : loss_sum / static_cast<double>(items.size());
    return out;
  }
  Classifier& classifier() { return *classifier_; }

 private:
  absl::Status MakeSample(const SampleRef& ref, const Augmentation& augmentation, Slice& input,
                          Slice& target) const {
    Slice image;
    GENESIS_RETURN_IF_ERROR(job_.task->Load(ref, augmentation, &image));
    GENESIS_ASSIGN_OR_RETURN(input, ResizeSquare(image, job_.config.image_size()));
    target = Slice(1, 1, static_cast<float>(job_.task->samples()[ref.index].label));
    return absl::OkStatus();
  }
  at::Tensor BceLoss(const at::Tensor& logits, const at::Tensor& target,
                     torch::nn::functional::BinaryCrossEntropyWithLogitsFuncOptions::reduction_t
                         reduction) const {
    namespace F = torch::nn::functional;
    auto options = F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(reduction);
    if (positive_weight_ != 1.0) {
      options.pos_weight(torch::full({1}, positive_weight_, logits.options()));
    }
    return F::binary_cross_entropy_with_logits(logits.reshape({-1, 1}),
                                               target.reshape({-1, 1}), options);
  }

  const ClassifierJob& job_;
  const LoopOptions& options_;
  std::shared_ptr<Classifier> classifier_;
  double positive_weight_;
  double last_auc_ = 0.0;
  bool last_warmup_ = false;
  bool warned_single_class_ = false;
};

absl::Status ExportClassifier(Classifier& classifier, const std::string& path) {
  try {
    c10::Dict<std::string, at::Tensor> dict;
    auto add = [&](torch::nn::Module& module, const std::string& prefix) {
      for (const auto& p : module.named_parameters()) {
        dict.insert(prefix + p.key(), p.value().detach().to(torch::kCPU).contiguous());
      }
      for (const auto& b : module.named_buffers()) {
        dict.insert(prefix + b.key(), b.value().detach().to(torch::kCPU).contiguous());
      }
    };
    add(classifier.encoder(), "");
    add(classifier.head(), "head.");
    const std::vector<char> bytes = torch::pickle_save(c10::IValue(dict));
    return WriteFileAtomically(path, absl::string_view(bytes.data(), bytes.size()));
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat(path, ": ", e.what_without_backtrace()));
  }
}

absl::StatusOr<ClassifierResult> FineTune(const ClassifierJob& job) {
  if (job.net == nullptr || job.head == nullptr || job.task == nullptr) {
    return absl::InvalidArgumentError("fine-tuning needs a network, a head and a task");
  }
  if (job.train.empty()) return absl::FailedPreconditionError("the training set is empty");
  if (job.val.empty()) return absl::FailedPreconditionError("the validation set is empty");
  int64_t positives = 0;
  for (const SampleRef& ref : job.train) positives += job.task->samples()[ref.index].label;
  const int64_t negatives = static_cast<int64_t>(job.train.size()) - positives;
  if (positives == 0 || negatives == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the training set holds ", positives, " positive and ", negatives,
        " negative items; both classes are needed"));
  }
  double positive_weight = job.config.positive_weight();
  if (positive_weight == 0.0) positive_weight = static_cast<double>(negatives) / positives;

  const LoopOptions options = FineTuningLoopOptions(job);
  FineTuningProblem problem(job, options, positive_weight);
  GENESIS_ASSIGN_OR_RETURN(LoopResult loop, RunTrainingLoop(options, problem));

  ClassifierResult result;
  result.epochs_completed = loop.epochs_completed;
  result.global_step = loop.global_step;
  result.best_epoch = loop.best_epoch;
  result.resumed = loop.resumed;
  result.early_stopped = loop.early_stopped;
  result.positive_weight = positive_weight;
  result.last_epoch_images_per_s = loop.last_epoch_images_per_s;
  result.step_seconds = loop.step_seconds;
  if (!loop.main_rank) return result;
  const std::string best = job.output_dir + "/checkpoint_best.pt";
  GENESIS_RETURN_IF_ERROR(LoadCheckpointWeights(best, job.device, problem.model()));
  torch::NoGradGuard no_grad;
  problem.model().eval();
  GENESIS_ASSIGN_OR_RETURN(auto val, problem.Score(job.val));
  GENESIS_ASSIGN_OR_RETURN(auto test, problem.Score(job.test));
  result.val_scores = std::move(val.scores);
  result.test_scores = std::move(test.scores);
  result.best_val_auc = RocAuc(result.val_scores, val.labels);
  GENESIS_RETURN_IF_ERROR(
      ExportClassifier(problem.classifier(), job.output_dir + "/classifier_state_dict.pt"));
  return result;
}

}  // namespace

absl::Status ValidateFineTuningOptions(const TransferStage& c) {
  GENESIS_RETURN_IF_ERROR(ValidateOptimizerOptions(c.optimizer(), c.schedule()));
  struct {
    const char* name;
    int64_t value;
    int64_t min;
    int64_t max;
  } const ints[] = {{"batch_size", c.batch_size(), 1, 1 << 16},
                    {"max_epochs", c.max_epochs(), 1, 1 << 20},
                    {"warmup_epochs", c.warmup_epochs(), 0, 1 << 20},
                    {"early_stopping_patience", c.early_stopping_patience(), 0, 1 << 20},
                    {"loader_threads", c.loader_threads(), 1, 256},
                    {"prefetch_batches", c.prefetch_batches(), 1, 1024},
                    {"steps_per_epoch", c.steps_per_epoch(), 0, int64_t{1} << 40},
                    {"checkpoint_every_steps", c.checkpoint_every_steps(), 0, int64_t{1} << 40},
                    {"log_every_steps", c.log_every_steps(), 0, int64_t{1} << 40}};
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
  if (c.warmup_epochs() >= c.max_epochs()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "warmup_epochs: must be < max_epochs (", c.max_epochs(), "), got ", c.warmup_epochs()));
  }
  if (c.image_size() < 32 || c.image_size() > 4096 || c.image_size() % 32 != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "image_size: must be a multiple of 32 in [32, 4096], got ", c.image_size()));
  }
  if (c.in_channels() != 1 && c.in_channels() != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("in_channels: must be 1 or 3, got ", c.in_channels()));
  }
  if (!(c.positive_weight() >= 0) || !std::isfinite(c.positive_weight())) {
    return absl::InvalidArgumentError(
        absl::StrCat("positive_weight: must be >= 0 (0 = n_neg / n_pos), got ",
                     c.positive_weight()));
  }
  return absl::OkStatus();
}

absl::StatusOr<ClassifierResult> RunFineTuning(const ClassifierJob& job) {
  GENESIS_RETURN_IF_ERROR(ValidateFineTuningOptions(job.config));
  try {
    return FineTune(job);
  } catch (const c10::Error& e) {
    return absl::InternalError(
        absl::StrCat("fine-tuning in ", job.output_dir, ": ", e.what_without_backtrace()));
  }
}

double RocAuc(const std::vector<float>& scores, const std::vector<int>& labels) {
  const size_t n = scores.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  // Mann-Whitney U with midranks for ties.
  double rank_sum = 0.0;
  int64_t positives = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && scores[order[j]] == scores[order[i]]) ++j;
    const double midrank = 0.5 * (static_cast<double>(i + 1) + static_cast<double>(j));
    for (size_t k = i; k < j; ++k) {
      if (labels[order[k]] == 1) {
        rank_sum += midrank;
        ++positives;
      }
    }
    i = j;
  }
  const int64_t negatives = static_cast<int64_t>(n) - positives;
  if (positives == 0 || negatives == 0) return std::numeric_limits<double>::quiet_NaN();
  return (rank_sum - 0.5 * positives * (positives + 1)) /
         (static_cast<double>(positives) * negatives);
}

}  // namespace genesis
