// Data-parallel pretraining: two ranks on loopback (Gloo), each on half of every batch, end
// with the weights of one process training on the combined batches (group norm, whose
// statistics do not depend on the batch split), within float tolerance.
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/backbone.h"
#include "core/normalization.h"
#include "core/random.h"
#include "core/train/slice_dataset.h"
#include "core/train/trainer.h"
#include "gtest/gtest.h"
#include "plugins/backbone/unet_vgg16.pb.h"

namespace genesis {
namespace {

namespace fs = std::filesystem;

std::vector<Slice> Noise(int n, uint64_t seed) {
  std::vector<Slice> images;
  for (int i = 0; i < n; ++i) {
    RandomStream rng(seed, 99, i);
    Slice image(32, 32);
    for (float& v : image.pixels) v = rng.UniformFloat();
    images.push_back(std::move(image));
  }
  return images;
}

class Dim : public PretextTask {
 public:
  void Apply(Slice& input, Slice&, RandomStream& rng) const override {
    const float f = 0.5f + 0.5f * rng.UniformFloat();
    for (float& v : input.pixels) v *= f;
  }
};

// Trains into `dir` and returns the final parameters (rank 0 / single process).
std::vector<torch::Tensor> Train(const std::string& dir, absl::Status* status,
                                 std::vector<torch::Tensor>* initial = nullptr) {
  fs::remove_all(dir);
  PluginSpec norm_spec;
  norm_spec.set_type("group_norm");
  auto norm = std::move(Registry<NormalizationLayer>::Get().Create(norm_spec)).value();
  UNetVgg16Options options;
  options.set_width_multiplier(0.125);
  auto backbone = std::move(Registry<Backbone>::Get().Create("unet_vgg16", options)).value();
  BackboneConfig config;
  config.norm = norm.get();
  torch::manual_seed(1);
  auto model = std::move(backbone->Build(config)).value();
  if (initial != nullptr) {
    for (const auto& p : model->parameters()) initial->push_back(p.detach().clone());
  }
  InMemorySliceDataset train(Noise(16, 1)), val(Noise(8, 2));
  Dim task;
  PretrainJob job;
  job.config.set_image_size(32);
  job.config.set_batch_size(8);
  job.config.set_max_epochs(2);
  job.config.set_sample_every_steps(0);
  job.config.set_tensorboard(false);
  job.config.mutable_optimizer()->set_learning_rate(0.05);
  job.config.mutable_schedule()->set_type("constant");
  job.model = model;
  job.pretext = {&task};
  job.train = &train;
  job.val = &val;
  job.output_dir = dir;
  job.seed = 3;
  job.num_threads = 1;
  auto result = RunPretraining(job);
  *status = result.status();
  std::vector<torch::Tensor> params;
  for (const auto& p : model->parameters()) params.push_back(p.detach().clone());
  return params;
}

TEST(DistributedTrainerTest, TwoRanksMatchOneProcessOnTheCombinedBatch) {
  const std::string root = std::getenv("TEST_TMPDIR");
  setenv("WORLD_SIZE", "2", 1);
  setenv("MASTER_ADDR", "127.0.0.1", 1);
  setenv("MASTER_PORT", std::to_string(20000 + getpid() % 20000).c_str(), 1);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    setenv("RANK", "1", 1);
    absl::Status status;
    Train(root + "/rank1", &status);
    _exit(status.ok() ? 0 : 1);
  }
  setenv("RANK", "0", 1);
  absl::Status status;
  std::vector<torch::Tensor> parallel = Train(root + "/rank0", &status);
  ASSERT_TRUE(status.ok()) << status;
  int child_status = 0;
  waitpid(child, &child_status, 0);
  ASSERT_TRUE(WIFEXITED(child_status) && WEXITSTATUS(child_status) == 0);
  EXPECT_FALSE(fs::exists(root + "/rank1/checkpoint_last.pt"));  // Rank 0 alone writes.

  unsetenv("WORLD_SIZE");
  unsetenv("RANK");
  std::vector<torch::Tensor> initial;
  std::vector<torch::Tensor> single = Train(root + "/single", &status, &initial);
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_EQ(parallel.size(), single.size());
  double max_diff = 0.0;
  for (size_t i = 0; i < single.size(); ++i) {
    max_diff = std::max(max_diff, (parallel[i] - single[i]).abs().max().item<double>());
    EXPECT_TRUE(torch::allclose(parallel[i], single[i], 1e-4, 1e-5)) << "parameter " << i;
  }
  // Training did move the weights, far more than the two runs differ.
  double moved = 0.0;
  for (size_t i = 0; i < single.size(); ++i) {
    moved = std::max(moved, (single[i] - initial[i]).abs().max().item<double>());
  }
  EXPECT_GT(moved, 100 * max_diff);
  EXPECT_GT(moved, 1e-3);
  RecordProperty("max_abs_difference", std::to_string(max_diff));
  RecordProperty("max_abs_update", std::to_string(moved));
}

}  // namespace
}  // namespace genesis
