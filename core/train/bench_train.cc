// `genesis bench train`: pretraining throughput.
//
//   genesis bench train --backbone unet_vgg16 --size 64 --batch 16 --threads 2 [width=1.0]
//       [norm=batch_norm] [iterations via --iterations] [e2e_steps=40] [pretext=genesis]
//
// Prints
//   parameters: N                 trainable parameters of the U-Net
//   images_per_s: X               bare model steps (forward, MSE, backward, SGD step) on fixed
//                                 tensors, batch / median step time -- compare with
//                                 tools/reference_unet.py (same statistic)
//   images_per_s_best / _mean     batch / fastest step, all images / total time (the
//                                 end-to-end figures have the same suffixes)
//   end_to_end_images_per_s: Y    the real trainer (RunPretraining: batch loader with pretext
//                                 corruption, progress, TensorBoard) over one epoch, batch /
//                                 median step time (each step timed from asking the loader for
//                                 its batch to the end of its bookkeeping)
//   end_to_end_ratio: Y / X       target >= 0.9
// Medians, because on a shared machine other processes' bursts distort means.
#include <torch/torch.h>

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
#include "core/normalization.h"
#include "core/pretext_task.h"
#include "core/random.h"
#include "core/train/slice_dataset.h"
#include "core/train/trainer.h"

namespace genesis {
namespace {

std::map<std::string, std::string> KeyValues(const std::vector<std::string>& args) {
  std::map<std::string, std::string> out;
  for (const std::string& arg : args) {
    std::vector<std::string> kv = absl::StrSplit(arg, absl::MaxSplits('=', 1));
    if (kv.size() == 2) out[kv[0]] = kv[1];
  }
  return out;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::shared_ptr<EncoderDecoder> BuildModel(const std::string& backbone, double width,
                                           const NormalizationLayer& norm) {
  // Width goes in through the options' text form so one code path serves every backbone.
  PluginSpec spec;
  spec.set_type(backbone);
  auto plugin = Registry<Backbone>::Get().Create(spec);
  if (!plugin.ok()) {
    std::fprintf(stderr, "%s\n", std::string(plugin.status().message()).c_str());
    return nullptr;
  }
  const PluginKindView* kind = PluginCatalog::Get().Find(Backbone::kKind);
  auto options = kind->ResolveOptions(spec);
  const auto* field = (*options)->GetDescriptor()->FindFieldByName("width_multiplier");
  if (field != nullptr) (*options)->GetReflection()->SetDouble(options->get(), field, width);
  spec.mutable_options()->PackFrom(**options);
  plugin = Registry<Backbone>::Get().Create(spec);
  BackboneConfig config;
  config.norm = &norm;
  torch::manual_seed(0);
  auto model = (*plugin)->Build(config);
  if (!model.ok()) {
    std::fprintf(stderr, "%s\n", std::string(model.status().message()).c_str());
    return nullptr;
  }
  return *model;
}

int BenchTrain(const BenchOptions& options) {
  auto kv = KeyValues(options.args);
  double width = 1.0;
  if (kv.count("width") && !absl::SimpleAtod(kv["width"], &width)) return 2;
  int e2e_steps = 40;
  if (kv.count("e2e_steps") && !absl::SimpleAtoi(kv["e2e_steps"], &e2e_steps)) return 2;
  const std::string norm_name = kv.count("norm") ? kv["norm"] : "batch_norm";
  const std::string pretext_name = kv.count("pretext") ? kv["pretext"] : "genesis";
  const int threads = options.threads > 0
                          ? options.threads
                          : std::max(1u, std::thread::hardware_concurrency());
  at::set_num_threads(threads);
  const int iterations = options.iterations > 0 ? options.iterations : 10;
  if (e2e_steps > 0 && e2e_steps < 3) e2e_steps = 3;

  PluginSpec norm_spec;
  norm_spec.set_type(norm_name);
  auto norm = Registry<NormalizationLayer>::Get().Create(norm_spec);
  if (!norm.ok()) {
    std::fprintf(stderr, "%s\n", std::string(norm.status().message()).c_str());
    return 2;
  }
  auto model = BuildModel(options.backbone, width, **norm);
  if (model == nullptr) return 2;
  int64_t parameters = 0;
  for (const auto& p : model->parameters()) parameters += p.numel();
  std::printf("backbone: %s\nwidth: %g\nsize: %d\nbatch: %d\nthreads: %d\nparameters: %lld\n",
              options.backbone.c_str(), width, options.size, options.batch, threads,
              static_cast<long long>(parameters));

  // Bare model steps.
  {
    torch::manual_seed(1);
    torch::Tensor input = torch::rand({options.batch, 1, options.size, options.size});
    torch::Tensor target = torch::rand({options.batch, 1, options.size, options.size});
    torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(1e-3).momentum(0.9));
    model->train();
    std::vector<torch::Tensor> parameters = model->parameters();
    auto step = [&] {
      for (auto& p : parameters) p.mutable_grad() = torch::Tensor();  // As the trainer does.
      torch::Tensor loss = torch::mse_loss(model->forward(input), target);
      loss.backward();
      sgd.step();
      return loss.item<double>();
    };
    for (int i = 0; i < 2; ++i) step();
    std::vector<double> times;
    for (int i = 0; i < iterations; ++i) {
      const auto start = std::chrono::steady_clock::now();
      step();
      times.push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    const double bare = options.batch / Median(times);
    double total = 0;
    for (double t : times) total += t;
    std::printf("images_per_s: %.3f\nimages_per_s_best: %.3f\nimages_per_s_mean: %.3f\n", bare,
                options.batch / *std::min_element(times.begin(), times.end()),
                iterations * options.batch / total);
    std::fflush(stdout);
    if (e2e_steps <= 0) return 0;

    // End to end: the trainer over e2e_steps batches of random-blob slices.
    std::vector<Slice> slices;
    for (int i = 0; i < e2e_steps * options.batch; ++i) {
      RandomStream rng(3, 99, i);
      Slice image(options.size, options.size);
      for (float& v : image.pixels) v = rng.UniformFloat();
      slices.push_back(std::move(image));
    }
    InMemorySliceDataset train(std::move(slices));
    InMemorySliceDataset val(std::vector<Slice>(options.batch, Slice(options.size, options.size, 0.5f)));
    std::unique_ptr<PretextTask> task;
    PretrainJob job;
    if (pretext_name != "none") {
      PluginSpec spec;
      spec.set_type(pretext_name);
      auto created = Registry<PretextTask>::Get().Create(spec);
      if (!created.ok()) {
        std::fprintf(stderr, "%s\n", std::string(created.status().message()).c_str());
        return 2;
      }
      task = std::move(created).value();
      job.pretext = {task.get()};
    }
    const std::string dir = absl::StrCat(std::filesystem::temp_directory_path().string(),
                                         "/genesis_bench_train_", getpid());
    std::filesystem::remove_all(dir);
    job.config.set_image_size(options.size);
    job.config.set_batch_size(options.batch);
    job.config.set_max_epochs(1);
    job.config.set_sample_every_steps(0);
    job.config.set_tensorboard(true);
    job.config.mutable_optimizer()->set_learning_rate(1e-3);
    job.config.set_log_every_steps(1000000);
    job.model = model;
    job.train = &train;
    job.val = &val;
    job.output_dir = dir;
    job.seed = 1;
    job.num_threads = threads;
    auto result = RunPretraining(job);
    std::filesystem::remove_all(dir);
    if (!result.ok()) {
      std::fprintf(stderr, "%s\n", std::string(result.status().message()).c_str());
      return 1;
    }
    const double e2e = options.batch / Median(result->step_seconds);
    const double e2e_best =
        options.batch /
        *std::min_element(result->step_seconds.begin(), result->step_seconds.end());
    std::printf("end_to_end_images_per_s: %.3f\nend_to_end_images_per_s_best: %.3f\n"
                "end_to_end_images_per_s_mean: %.3f\nend_to_end_ratio: %.3f\n",
                e2e, e2e_best, result->last_epoch_images_per_s, e2e / bare);
  }
  return 0;
}

}  // namespace

GENESIS_REGISTER_BENCH("train",
                       "pretraining images/s: bare U-Net steps and the end-to-end trainer",
                       &BenchTrain);

}  // namespace genesis
