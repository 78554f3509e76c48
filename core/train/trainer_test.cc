// The pretraining loop end to end on synthetic slices with a test-only pretext task: the loss
// falls below the identity and mean-image baselines, a resumed run (after a simulated crash) is
// bit-identical to an uninterrupted one, and the exported encoder loads into torchvision.
#include "core/train/trainer.h"

#include <torch/torch.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/backbone.h"
#include "core/normalization.h"
#include "gtest/gtest.h"
#include "plugins/backbone/unet_resnet50.pb.h"
#include "plugins/backbone/unet_vgg16.pb.h"

namespace genesis {
namespace {

namespace fs = std::filesystem;

// Test-only corruption: additive uniform noise of amplitude 0.6 on the whole slice, then a
// random square zeroed (learnable: the network can denoise and in-paint smooth blobs).
class NoiseAndHole : public PretextTask {
 public:
  void Apply(Slice& input, Slice& target, RandomStream& rng) const override {
    for (float& v : input.pixels) v = std::clamp(v + 0.6f * (rng.UniformFloat() - 0.5f), 0.f, 1.f);
    const int64_t side = input.width / 4;
    const int64_t x0 = rng.UniformInt(0, input.width - side);
    const int64_t y0 = rng.UniformInt(0, input.height - side);
    for (int64_t y = y0; y < y0 + side; ++y) {
      for (int64_t x = x0; x < x0 + side; ++x) input.at(x, y) = 0.0f;
    }
  }
};

// Smooth random blobs in [0, 1].
std::vector<Slice> Blobs(int n, int side, uint64_t seed) {
  std::vector<Slice> images;
  for (int i = 0; i < n; ++i) {
    RandomStream rng(seed, 99, i);
    Slice image(side, side);
    for (int b = 0; b < 3; ++b) {
      const double cx = rng.Uniform() * side, cy = rng.Uniform() * side;
      const double r = side * (0.1 + 0.2 * rng.Uniform()), a = 0.3 + 0.4 * rng.Uniform();
      for (int y = 0; y < side; ++y) {
        for (int x = 0; x < side; ++x) {
          const double d2 = ((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (r * r);
          image.at(x, y) += static_cast<float>(a * std::exp(-d2));
        }
      }
    }
    for (float& v : image.pixels) v = std::min(v, 1.0f);
    images.push_back(std::move(image));
  }
  return images;
}

std::string TempDir(const std::string& name) {
  const char* root = std::getenv("TEST_TMPDIR");
  fs::path dir = fs::path(root != nullptr ? root : "/tmp") / name;
  fs::remove_all(dir);
  return dir.string();
}

class TrainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    PluginSpec spec;
    spec.set_type("batch_norm");
    norm_ = std::move(Registry<NormalizationLayer>::Get().Create(spec)).value();
    train_ = std::make_unique<InMemorySliceDataset>(Blobs(40, 32, 1));
    val_ = std::make_unique<InMemorySliceDataset>(Blobs(12, 32, 2));
    big_train_ = std::make_unique<InMemorySliceDataset>(Blobs(160, 32, 3));
  }

  std::shared_ptr<EncoderDecoder> Model(uint64_t init_seed, const std::string& name = "unet_vgg16",
                                        double width = 0.125, int in_channels = 1) {
    torch::manual_seed(init_seed);
    PluginSpec spec;
    spec.set_type(name);
    if (name == "unet_vgg16") {
      UNetVgg16Options o;
      o.set_width_multiplier(width);
      spec.mutable_options()->PackFrom(o);
    } else {
      UNetResNet50Options o;
      o.set_width_multiplier(width);
      spec.mutable_options()->PackFrom(o);
    }
    auto backbone = std::move(Registry<Backbone>::Get().Create(spec)).value();
    BackboneConfig config;
    config.in_channels = in_channels;
    config.norm = norm_.get();
    return std::move(backbone->Build(config)).value();
  }

  PretrainJob Job(const std::string& dir, int epochs) {
    PretrainJob job;
    job.config.set_image_size(32);
    job.config.set_batch_size(8);
    job.config.set_max_epochs(epochs);
    job.config.set_sample_every_steps(5);
    job.config.mutable_optimizer()->set_type("adam");
    job.config.mutable_optimizer()->set_learning_rate(3e-3);
    job.config.mutable_schedule()->set_type("cosine");
    job.pretext = {&task_};
    job.train = train_.get();
    job.val = val_.get();
    job.output_dir = dir;
    job.seed = 7;
    // One intra-op thread: 2 OpenMP threads crawl whenever other processes hold a core (the
    // resume test also runs with 2 to cover multi-threaded determinism).
    job.num_threads = 1;
    return job;
  }

  std::unique_ptr<NormalizationLayer> norm_;
  std::unique_ptr<InMemorySliceDataset> train_, val_, big_train_;
  NoiseAndHole task_;
};

std::vector<std::vector<std::string>> ReadCsv(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(in, line);) rows.push_back(absl::StrSplit(line, ','));
  return rows;
}

void ExpectSameState(torch::nn::Module& a, torch::nn::Module& b) {
  auto pa = a.named_parameters(), pb = b.named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (const auto& p : pa) {
    EXPECT_TRUE(torch::equal(p.value(), pb[p.key()])) << "parameter " << p.key() << " differs";
  }
  auto ba = a.named_buffers(), bb = b.named_buffers();
  ASSERT_EQ(ba.size(), bb.size());
  for (const auto& p : ba) {
    EXPECT_TRUE(torch::equal(p.value(), bb[p.key()])) << "buffer " << p.key() << " differs";
  }
}

TEST_F(TrainerTest, LossFallsBelowBaselines) {
  const std::string dir = TempDir("loss_falls");
  PretrainJob job = Job(dir, 20);
  job.config.set_steps_per_epoch(0);
  job.train = big_train_.get();
  job.model = Model(3, "unet_vgg16", 0.25);
  auto result = RunPretraining(job);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->epochs_completed, 20);
  EXPECT_EQ(result->global_step, 20 * 20);
  EXPECT_FALSE(result->resumed);
  auto rows = ReadCsv(dir + "/metrics.csv");
  ASSERT_EQ(rows.size(), 21u);
  EXPECT_EQ(rows[0][4], "val_loss");
  const double first_val = std::stod(rows[1][4]), last_val = std::stod(rows[20][4]);
  const double first_train = std::stod(rows[1][3]), last_train = std::stod(rows[20][3]);
  EXPECT_LT(last_train, 0.5 * first_train);
  EXPECT_LT(last_val, first_val);
  EXPECT_LT(result->best_val_loss, result->identity_baseline);
  EXPECT_LT(result->best_val_loss, result->mean_image_baseline);
  EXPECT_GT(result->identity_baseline, 0.0);
  EXPECT_TRUE(fs::exists(dir + "/checkpoint_best.pt"));
  EXPECT_TRUE(fs::exists(dir + "/checkpoint_last.pt"));
  EXPECT_TRUE(fs::exists(dir + "/encoder_state_dict.pt"));
  EXPECT_TRUE(fs::exists(dir + "/samples/step_00000400.png"));
  EXPECT_FALSE(fs::is_empty(dir + "/tensorboard"));
}

TEST_F(TrainerTest, EarlyStoppingStopsAfterPatience) {
  const std::string dir = TempDir("early_stop");
  PretrainJob job = Job(dir, 10);
  job.config.set_early_stopping_patience(1);
  job.config.mutable_optimizer()->set_learning_rate(1e-9);  // Nothing improves meaningfully.
  job.config.mutable_schedule()->set_type("constant");
  job.config.set_steps_per_epoch(1);
  job.model = Model(3);
  auto result = RunPretraining(job);
  ASSERT_TRUE(result.ok()) << result.status();
  // Tiny steps still change the loss; at least it stopped before max_epochs if a worse epoch
  // came, and never ran past it.
  EXPECT_LE(result->epochs_completed, 10);
  if (result->early_stopped) EXPECT_LT(result->epochs_completed, 10);
}

TEST_F(TrainerTest, ResumeAfterCrashIsBitIdentical) {
  for (const auto& [checkpoint_every, crash_step, threads] :
       std::vector<std::tuple<int, int, int>>{{3, 8, 2}, {0, 12, 1}}) {
    SCOPED_TRACE(absl::StrCat("checkpoint_every ", checkpoint_every, " crash ", crash_step,
                              " threads ", threads));
    const std::string straight = TempDir("straight");
    PretrainJob a = Job(straight, 4);
    a.num_threads = threads;
    a.config.set_checkpoint_every_steps(checkpoint_every);
    a.config.mutable_schedule()->set_type("plateau");
    a.config.mutable_schedule()->set_patience(0);
    a.config.mutable_optimizer()->set_type("sgd");
    a.config.mutable_optimizer()->set_learning_rate(0.05);
    a.model = Model(3);
    auto ra = RunPretraining(a);
    ASSERT_TRUE(ra.ok()) << ra.status();

    const std::string crashed = TempDir("crashed");
    PretrainJob b = a;
    b.output_dir = crashed;
    b.model = Model(3);
    b.crash_after_step = [crash_step](int64_t step) { return step == crash_step; };
    auto rb = RunPretraining(b);
    ASSERT_EQ(rb.status().code(), absl::StatusCode::kAborted) << rb.status();

    PretrainJob c = a;
    c.output_dir = crashed;
    c.model = Model(12345);  // Different init: everything must come from the checkpoint.
    auto rc = RunPretraining(c);
    ASSERT_TRUE(rc.ok()) << rc.status();
    EXPECT_TRUE(rc->resumed);
    EXPECT_EQ(rc->global_step, ra->global_step);
    EXPECT_EQ(rc->best_val_loss, ra->best_val_loss);
    ExpectSameState(*a.model, *c.model);
    auto rows_a = ReadCsv(straight + "/metrics.csv"), rows_c = ReadCsv(crashed + "/metrics.csv");
    ASSERT_EQ(rows_a.size(), rows_c.size());
    for (size_t i = 1; i < rows_a.size(); ++i) {
      for (int col = 0; col < 9; ++col) EXPECT_EQ(rows_a[i][col], rows_c[i][col]) << i << "," << col;
    }
  }
}

TEST_F(TrainerTest, FinishedRunIsNotRepeated) {
  const std::string dir = TempDir("finished");
  PretrainJob job = Job(dir, 1);
  job.model = Model(3);
  ASSERT_TRUE(RunPretraining(job).ok());
  job.model = Model(4);
  auto again = RunPretraining(job);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->resumed);
  EXPECT_EQ(again->global_step, 5);
}

TEST_F(TrainerTest, ThreeChannelInputAndL1) {
  const std::string dir = TempDir("three_channels");
  PretrainJob job = Job(dir, 1);
  job.config.set_in_channels(3);
  job.config.set_loss("l1");
  job.model = Model(3, "unet_resnet50", 0.125, 3);
  auto result = RunPretraining(job);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_GT(result->identity_baseline, 0.0);
}

TEST(TrainerValidationTest, RejectsBadOptionsAndCuda) {
  PretrainStage config;
  config.set_loss("huber");
  EXPECT_EQ(ValidatePretrainOptions(config).message(),
            "loss: must be \"mse\" or \"l1\", got \"huber\"");
  config.set_loss("mse");
  config.set_image_size(100);
  EXPECT_EQ(ValidatePretrainOptions(config).message(),
            "image_size: must be a multiple of 32 in [32, 8192], got 100");
  if (!torch::cuda::is_available()) {
    absl::Status cuda = CheckDevice("cuda");
    EXPECT_EQ(cuda.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(cuda.message().find("no usable CUDA"), std::string::npos);
  }
  EXPECT_TRUE(CheckDevice("cpu").ok());
  EXPECT_EQ(CheckDevice("tpu:x").code(), absl::StatusCode::kInvalidArgument);
}

constexpr char kLoadScript[] = R"PY(
import sys, torch, torchvision
path, arch = sys.argv[1], sys.argv[2]
sd = torch.load(path)
assert isinstance(sd, dict), type(sd)
if arch == "vgg16_bn":
    m = torchvision.models.vgg16_bn(weights=None)
    m.features.load_state_dict({k[len("features."):]: v for k, v in sd.items()}, strict=True)
    w = m.features[0].weight
else:
    m = torchvision.models.resnet50(weights=None)
    missing, unexpected = m.load_state_dict(sd, strict=False)
    assert sorted(missing) == ["fc.bias", "fc.weight"], missing
    assert not unexpected, unexpected
    w = m.conv1.weight
print("%.9e" % w.double().sum().item())
)PY";

TEST_F(TrainerTest, ExportedEncoderLoadsIntoTorchvision) {
  const std::string dir = TempDir("export");
  fs::create_directories(dir);
  const std::string script = dir + "/load.py";
  std::ofstream(script) << kLoadScript;
  for (const auto& [name, arch] : std::vector<std::pair<std::string, std::string>>{
           {"unet_vgg16", "vgg16_bn"}, {"unet_resnet50", "resnet50"}}) {
    auto model = Model(5, name, 1.0, 3);
    const std::string path = dir + "/" + arch + ".pt";
    ASSERT_TRUE(ExportEncoderStateDict(*model->encoder(), path).ok());
    const std::string out = dir + "/" + arch + ".txt";
    const std::string command =
        absl::StrCat("/usr/bin/python3 ", script, " ", path, " ", arch, " > ", out);
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    std::ifstream in(out);
    double python_sum = 0;
    in >> python_sum;
    const double ours =
        model->encoder()->named_parameters()[0].value().to(torch::kDouble).sum().item<double>();
    EXPECT_NEAR(python_sum, ours, 1e-6 * std::max(1.0, std::abs(ours))) << arch;
  }
}

}  // namespace
}  // namespace genesis
