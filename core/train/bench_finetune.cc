// `genesis bench finetune`: fine-tuning throughput of the downstream classifier (encoder +
// gap_dense head, binary cross-entropy, SGD with momentum).
//
//   genesis bench finetune --backbone unet_vgg16 --size 64 --batch 32 --threads 2
//       [width=1.0] [channels=3] [norm=batch_norm] [e2e_steps=8] [--iterations 10]
//
// Prints
//   images_per_s: X             bare classifier steps on fixed tensors, batch / median step
//                               time -- compare with tools/bench/reference_classifier.py
//   images_per_s_best           batch / fastest step (end-to-end figures have the suffix too)
//   end_to_end_images_per_s: Y  RunFineTuning (task loading, resizing, loader, progress,
//                               checkpoints, metrics) over one epoch of e2e_steps batches
//   end_to_end_ratio: Y / X
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/backbone.h"
#include "core/bench.h"
#include "core/head.h"
#include "core/normalization.h"
#include "core/random.h"
#include "core/task.h"
#include "core/train/classifier_trainer.h"

namespace genesis {
namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Random grey images, alternating labels; what the classifier sees costs what a real task's
// cached patch costs to load.
class BenchTask : public Task {
 public:
  BenchTask(int64_t n, int64_t side) : side_(side) {
    for (int64_t i = 0; i < n; ++i) {
      TaskSample s;
      s.id = absl::StrCat(i);
      s.group = absl::StrCat(i);
      s.label = static_cast<int>(i % 2);
      samples_.push_back(s);
    }
  }
  absl::Status List() override { return absl::OkStatus(); }
  absl::Status Prepare(const TaskContext&) override { return absl::OkStatus(); }
  const std::vector<TaskSample>& samples() const override { return samples_; }
  absl::StatusOr<std::vector<TaskFold>> Folds(uint64_t) const override {
    return std::vector<TaskFold>();
  }
  int64_t image_size() const override { return side_; }
  absl::Status Load(const SampleRef& ref, const Augmentation&, Slice* image) const override {
    *image = Slice(side_, side_);
    FastRandom rng(static_cast<uint64_t>(ref.index) * 7919 + 1);
    for (float& v : image->pixels) v = rng.UniformFloat();
    return absl::OkStatus();
  }
  std::string dataset_name() const override { return "bench"; }

 private:
  int64_t side_;
  std::vector<TaskSample> samples_;
};

template <typename T>
T OrDie(absl::StatusOr<T> value) {
  if (!value.ok()) {
    std::fprintf(stderr, "%s\n", std::string(value.status().message()).c_str());
    std::exit(2);
  }
  return std::move(value).value();
}

int BenchFinetune(const BenchOptions& options) {
  std::map<std::string, std::string> kv;
  for (const std::string& arg : options.args) {
    std::vector<std::string> parts = absl::StrSplit(arg, absl::MaxSplits('=', 1));
    if (parts.size() == 2) kv[parts[0]] = parts[1];
  }
  double width = 1.0;
  int channels = 3, e2e_steps = 8;
  if ((kv.count("width") && !absl::SimpleAtod(kv["width"], &width)) ||
      (kv.count("channels") && !absl::SimpleAtoi(kv["channels"], &channels)) ||
      (kv.count("e2e_steps") && !absl::SimpleAtoi(kv["e2e_steps"], &e2e_steps)) ||
      options.batch < 1 || options.size < 32 || options.size > 4096 || width <= 0 ||
      (channels != 1 && channels != 3)) {
    std::fprintf(stderr, "bench finetune: bad options (batch >= 1, size in [32, 4096], "
                         "width > 0, channels 1 or 3)\n");
    return 2;
  }
  const int threads = options.threads > 0 ? options.threads
                                          : std::max(1u, std::thread::hardware_concurrency());
  at::set_num_threads(threads);
  const int iterations = options.iterations > 0 ? options.iterations : 10;

  PluginSpec norm_spec;
  norm_spec.set_type(kv.count("norm") ? kv["norm"] : "batch_norm");
  auto norm = OrDie(Registry<NormalizationLayer>::Get().Create(norm_spec));
  PluginSpec backbone_spec;
  backbone_spec.set_type(options.backbone);
  {
    auto plugin = OrDie(Registry<Backbone>::Get().Create(backbone_spec));
    const PluginKindView* kind = PluginCatalog::Get().Find(Backbone::kKind);
    auto resolved = OrDie(kind->ResolveOptions(backbone_spec));
    const auto* field = resolved->GetDescriptor()->FindFieldByName("width_multiplier");
    if (field != nullptr) resolved->GetReflection()->SetDouble(resolved.get(), field, width);
    backbone_spec.mutable_options()->PackFrom(*resolved);
  }
  auto backbone = OrDie(Registry<Backbone>::Get().Create(backbone_spec));
  PluginSpec head_spec;
  head_spec.set_type("gap_dense");
  auto head_plugin = OrDie(Registry<Head>::Get().Create(head_spec));
  auto build = [&] {
    BackboneConfig config;
    config.in_channels = channels;
    config.norm = norm.get();
    torch::manual_seed(0);
    std::shared_ptr<EncoderDecoder> net = OrDie(backbone->Build(config));
    std::shared_ptr<HeadModule> head = OrDie(head_plugin->Make(net->encoder_channels()));
    return std::make_pair(net, head);
  };

  // Bare classifier steps on fixed tensors.
  auto [net, head] = build();
  std::vector<torch::Tensor> parameters = net->encoder()->parameters();
  for (const auto& p : head->parameters()) parameters.push_back(p);
  int64_t count = 0;
  for (const auto& p : parameters) count += p.numel();
  std::printf("backbone: %s\nwidth: %g\nsize: %d\nbatch: %d\nchannels: %d\nthreads: %d\n"
              "parameters: %lld\n",
              options.backbone.c_str(), width, options.size, options.batch, channels, threads,
              static_cast<long long>(count));
  torch::manual_seed(1);
  torch::Tensor input = torch::rand({options.batch, channels, options.size, options.size});
  torch::Tensor target = (torch::rand({options.batch, 1}) > 0.5).to(torch::kFloat);
  torch::optim::SGD sgd(parameters, torch::optim::SGDOptions(1e-3).momentum(0.9));
  net->train();
  head->train();
  auto step = [&] {
    for (auto& p : parameters) p.mutable_grad() = torch::Tensor();
    torch::Tensor logits = head->forward(net->Encode(input));
    torch::Tensor loss = torch::binary_cross_entropy_with_logits(logits, target) + head->Penalty();
    loss.backward();
    sgd.step();
    return loss.item<double>();
  };
  for (int i = 0; i < 2; ++i) step();
  std::vector<double> times;
  for (int i = 0; i < iterations; ++i) {
    const auto start = std::chrono::steady_clock::now();
    step();
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  const double bare = options.batch / Median(times);
  std::printf("images_per_s: %.3f\nimages_per_s_best: %.3f\n", bare,
              options.batch / *std::min_element(times.begin(), times.end()));
  std::fflush(stdout);
  if (e2e_steps <= 0) return 0;

  // End to end: RunFineTuning over one epoch of e2e_steps batches.
  e2e_steps = std::max(3, e2e_steps);
  const int64_t n_train = static_cast<int64_t>(e2e_steps) * options.batch;
  BenchTask task(n_train + options.batch, options.size);
  auto [net2, head2] = build();
  ClassifierJob job;
  job.config.mutable_optimizer()->set_learning_rate(1e-3);
  job.config.set_batch_size(options.batch);
  job.config.set_max_epochs(1);
  job.config.set_image_size(options.size);
  job.config.set_in_channels(channels);
  job.config.set_log_every_steps(1000000);
  job.net = net2;
  job.head = head2;
  job.task = &task;
  for (int64_t i = 0; i < n_train; ++i) job.train.push_back({i, 0});
  for (int64_t i = n_train; i < n_train + options.batch; ++i) job.val.push_back(i);
  job.test = job.val;
  job.output_dir = absl::StrCat(std::filesystem::temp_directory_path().string(),
                                "/genesis_bench_finetune_", getpid());
  job.seed = 1;
  job.num_threads = threads;
  std::filesystem::remove_all(job.output_dir);
  auto result = RunFineTuning(job);
  std::filesystem::remove_all(job.output_dir);
  if (!result.ok()) {
    std::fprintf(stderr, "%s\n", std::string(result.status().message()).c_str());
    return 1;
  }
  const double e2e = options.batch / Median(result->step_seconds);
  std::printf("end_to_end_images_per_s: %.3f\nend_to_end_images_per_s_best: %.3f\n"
              "end_to_end_ratio: %.3f\n",
              e2e,
              options.batch /
                  *std::min_element(result->step_seconds.begin(), result->step_seconds.end()),
              e2e / bare);
  return 0;
}

}  // namespace

GENESIS_REGISTER_BENCH("finetune",
                       "fine-tuning images/s: bare classifier steps and the end-to-end trainer",
                       &BenchFinetune);

}  // namespace genesis
