// The pretrain stage through the real `genesis run` binary on a slice store: it trains and
// exports, and a run killed with SIGKILL mid-training and started again ends with weights
// bit-identical to an uninterrupted run.
#include <signal.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "core/backbone.h"
#include "core/normalization.h"
#include "core/random.h"
#include "core/slice_store.h"
#include "gtest/gtest.h"
#include "plugins/backbone/unet_vgg16.pb.h"

namespace genesis {
namespace {

namespace fs = std::filesystem;

std::string TempDir(const std::string& name) {
  const char* root = std::getenv("TEST_TMPDIR");
  fs::path dir = fs::path(root != nullptr ? root : "/tmp") / name;
  fs::remove_all(dir);
  return dir.string();
}

// A store of smooth random blobs (train 96, val 16, test 8 slices of 64 x 64).
std::string MakeStore() {
  const std::string dir = TempDir("store");
  auto writer = SliceStoreWriter::Create(dir, SliceStoreOptions());
  EXPECT_TRUE(writer.ok()) << writer.status();
  for (int i = 0; i < 120; ++i) {
    RandomStream rng(11, 99, i);
    Slice s;
    s.width = s.height = 64;
    s.pixels.assign(64 * 64, 0.0f);
    s.modality = Modality::kCT;
    s.dataset = "blobs";
    s.patient_id = std::to_string(i);
    for (int b = 0; b < 3; ++b) {
      const double cx = rng.Uniform() * 64, cy = rng.Uniform() * 64, r = 6 + 12 * rng.Uniform();
      for (int y = 0; y < 64; ++y) {
        for (int x = 0; x < 64; ++x) {
          const double d2 = ((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (r * r);
          s.at(x, y) = std::min(1.0f, s.at(x, y) + static_cast<float>(0.5 * std::exp(-d2)));
        }
      }
    }
    const Split split = i < 96 ? Split::kTrain : (i < 112 ? Split::kVal : Split::kTest);
    EXPECT_TRUE((*writer)->Add(s, split).ok());
  }
  EXPECT_TRUE((*writer)->Finish().ok());
  return dir;
}

constexpr char kExperiment[] = R"(
name: "pretrain_test"
output_dir: "OUT"
seed: 5
num_threads: 1
stage { pretrain {
  backbone { type: "unet_vgg16" options {
    [type.googleapis.com/genesis.UNetVgg16Options] { width_multiplier: 0.25 } } }
  normalization { type: "batch_norm" }
  pretext { type: "genesis" }
  store: "STORE"
  image_size: 64
  batch_size: 8
  max_epochs: 3
  checkpoint_every_steps: 2
  sample_every_steps: 10
  optimizer { type: "adam" learning_rate: 0.002 }
  schedule { type: "step" step_epochs: 2 factor: 0.5 }
} }
)";

std::string WriteExperiment(const std::string& name, const std::string& store,
                            const std::string& out) {
  const std::string path = TempDir(name + ".textproto");
  std::ofstream(path) << absl::StrReplaceAll(kExperiment, {{"OUT", out}, {"STORE", store}});
  return path;
}

int RunGenesis(const std::string& experiment) {
  const std::string command =
      absl::StrCat("tools/genesis run ", experiment, " > /dev/null 2>&1");
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::shared_ptr<EncoderDecoder> LoadModel(const std::string& checkpoint) {
  PluginSpec norm_spec;
  norm_spec.set_type("batch_norm");
  static auto* norm =
      std::move(Registry<NormalizationLayer>::Get().Create(norm_spec)).value().release();
  UNetVgg16Options options;
  options.set_width_multiplier(0.25);
  auto backbone = std::move(Registry<Backbone>::Get().Create("unet_vgg16", options)).value();
  BackboneConfig config;
  config.norm = norm;
  auto model = std::move(backbone->Build(config)).value();
  torch::serialize::InputArchive archive, model_archive;
  archive.load_from(checkpoint);
  archive.read("model", model_archive);
  model->load(model_archive);
  return model;
}

int64_t MetricsRows(const std::string& path) {
  std::ifstream in(path);
  int64_t rows = -1;  // Header.
  for (std::string line; std::getline(in, line);) ++rows;
  return rows;
}

TEST(PretrainStageTest, KillNineThenResumeIsBitIdentical) {
  const std::string store = MakeStore();

  // Uninterrupted.
  const std::string straight = TempDir("straight");
  ASSERT_EQ(RunGenesis(WriteExperiment("straight", store, straight)), 0);
  const std::string stage = "/00_pretrain";
  EXPECT_EQ(MetricsRows(straight + stage + "/metrics.csv"), 3);
  EXPECT_TRUE(fs::exists(straight + stage + "/encoder_state_dict.pt"));
  EXPECT_TRUE(fs::exists(straight + stage + "/.done"));
  EXPECT_TRUE(fs::exists(straight + stage + "/samples/step_00000010.png"));

  // Killed with SIGKILL during epoch 2 (after epoch 1's metrics row and a mid-epoch
  // checkpoint), then run again on the same folder.
  const std::string killed = TempDir("killed");
  const std::string experiment = WriteExperiment("killed", store, killed);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    freopen("/dev/null", "w", stderr);
    execl("tools/genesis", "genesis", "run", experiment.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  const std::string metrics = killed + stage + "/metrics.csv";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (MetricsRows(metrics) < 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // Into epoch 2.
  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the run finished before it could be killed";
  EXPECT_FALSE(fs::exists(killed + stage + "/.done"));
  EXPECT_LT(MetricsRows(metrics), 3);

  ASSERT_EQ(RunGenesis(experiment), 0);
  EXPECT_EQ(MetricsRows(metrics), 3);
  auto a = LoadModel(straight + stage + "/checkpoint_last.pt");
  auto b = LoadModel(killed + stage + "/checkpoint_last.pt");
  auto pa = a->named_parameters(), pb = b->named_parameters();
  ASSERT_GT(pa.size(), 10u);
  for (const auto& p : pa) {
    EXPECT_TRUE(torch::equal(p.value(), pb[p.key()])) << p.key();
  }
  for (const auto& p : a->named_buffers()) {
    EXPECT_TRUE(torch::equal(p.value(), b->named_buffers()[p.key()])) << p.key();
  }
  // The exported encoders are byte-identical too.
  std::ifstream ea(straight + stage + "/encoder_state_dict.pt", std::ios::binary),
      eb(killed + stage + "/encoder_state_dict.pt", std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(ea), {}),
            std::string(std::istreambuf_iterator<char>(eb), {}));
}

}  // namespace
}  // namespace genesis
