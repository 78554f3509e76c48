// Initializers: scratch is deterministic per seed; self_supervised round-trips the encoder
// the pretraining trainer exports; wrong, partial and extra-tensor files fail with the
// coverage report naming the tensors (and leave the encoder untouched) unless an exception is
// allowed, which the report records; the 1 -> 3 channel policy.
#include "core/initializer.h"

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/serialize/output-archive.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/backbone.h"
#include "core/file_util.h"
#include "core/normalization.h"
#include "core/proto/plugin_spec.pb.h"
#include "core/registry.h"
#include "core/train/trainer.h"
#include "gtest/gtest.h"
#include "plugins/backbone/unet_resnet50.pb.h"
#include "plugins/backbone/unet_vgg16.pb.h"
#include "plugins/initializer/imagenet.pb.h"
#include "plugins/initializer/scratch.pb.h"
#include "plugins/initializer/self_supervised.pb.h"

namespace genesis {
namespace {

namespace fs = std::filesystem;

std::string TempDir(const std::string& name) {
  const std::string dir = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
  fs::create_directories(dir);
  return dir;
}

std::shared_ptr<EncoderDecoder> Net(const std::string& backbone, int64_t in_channels = 1) {
  static NormalizationLayer* norm = [] {
    PluginSpec spec;
    spec.set_type("batch_norm");
    return std::move(Registry<NormalizationLayer>::Get().Create(spec)).value().release();
  }();
  std::unique_ptr<Backbone> b;
  if (backbone == "unet_vgg16") {
    UNetVgg16Options o;
    o.set_width_multiplier(0.25);
    b = std::move(Registry<Backbone>::Get().Create(backbone, o)).value();
  } else {
    UNetResNet50Options o;
    o.set_width_multiplier(0.25);
    b = std::move(Registry<Backbone>::Get().Create(backbone, o)).value();
  }
  BackboneConfig config;
  config.in_channels = in_channels;
  config.norm = norm;
  return std::move(b->Build(config)).value();
}

std::unique_ptr<Initializer> Make(const std::string& name, const google::protobuf::Message& o) {
  auto made = Registry<Initializer>::Get().Create(name, o);
  EXPECT_TRUE(made.ok()) << made.status();
  return std::move(made).value();
}

std::map<std::string, at::Tensor> Snapshot(torch::nn::Module& m) {
  std::map<std::string, at::Tensor> s;
  for (const auto& p : m.named_parameters()) s[p.key()] = p.value().detach().clone();
  for (const auto& b : m.named_buffers()) s[b.key()] = b.value().detach().clone();
  return s;
}

bool Same(const std::map<std::string, at::Tensor>& a, const std::map<std::string, at::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [name, t] : a) {
    auto it = b.find(name);
    if (it == b.end() || !at::equal(t, it->second)) return false;
  }
  return true;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Deletes (mode "del") or adds (mode "add", zeros of shape [2]) tensor NAME and re-saves with
// Python's torch.save (an OrderedDict state_dict, as torchvision writes).
void EditWithPython(const std::string& in, const std::string& out, const std::string& mode,
                    const std::string& name) {
  const std::string script = TempDir("py") + "/edit.py";
  std::ofstream(script) << "import collections, sys, torch\n"
                           "sd = collections.OrderedDict(torch.load(sys.argv[1]))\n"
                           "if sys.argv[3] == 'del': del sd[sys.argv[4]]\n"
                           "else: sd[sys.argv[4]] = torch.zeros(2)\n"
                           "torch.save(sd, sys.argv[2])\n";
  const std::string command =
      absl::StrCat("/usr/bin/python3 ", script, " ", in, " ", out, " ", mode, " ", name);
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

TEST(ScratchTest, SameSeedSameWeightsOtherSeedDiffers) {
  ScratchOptions options;
  auto scratch = Make("scratch", options);
  for (const std::string backbone : {"unet_vgg16", "unet_resnet50"}) {
    auto a = Net(backbone), b = Net(backbone), c = Net(backbone);
    InitContext context;
    context.seed = 3;
    at::manual_seed(1);
    ASSERT_TRUE(scratch->Initialize(*a, context).ok());
    at::manual_seed(2);  // The global seed must not matter.
    ASSERT_TRUE(scratch->Initialize(*b, context).ok());
    context.seed = 4;
    ASSERT_TRUE(scratch->Initialize(*c, context).ok());
    EXPECT_TRUE(Same(Snapshot(*a->encoder()), Snapshot(*b->encoder()))) << backbone;
    EXPECT_FALSE(Same(Snapshot(*a->encoder()), Snapshot(*c->encoder()))) << backbone;
  }
  // He normal, fan_out: std = sqrt(2 / (out * k * k)); norm layers 1 / 0.
  auto net = Net("unet_vgg16");
  InitContext context;
  ASSERT_TRUE(scratch->Initialize(*net, context).ok());
  auto s = Snapshot(*net->encoder());
  const at::Tensor w = s.at("features.40.weight");  // (128, 128, 3, 3) at width 0.25.
  const double expected = std::sqrt(2.0 / (w.size(0) * 9.0));
  EXPECT_NEAR(w.std().item<double>(), expected, 0.05 * expected);
  EXPECT_NEAR(w.mean().item<double>(), 0.0, 0.05 * expected);
  EXPECT_TRUE(at::equal(s.at("features.0.bias"), at::zeros_like(s.at("features.0.bias"))));
  EXPECT_TRUE(at::equal(s.at("features.1.weight"), at::ones_like(s.at("features.1.weight"))));
  EXPECT_TRUE(
      at::equal(s.at("features.1.running_var"), at::ones_like(s.at("features.1.running_var"))));
}

TEST(SelfSupervisedTest, LoadsTheTrainersEncoderExportExactly) {
  const std::string pretrain = TempDir("ssl_pretrain");
  auto pretrained = Net("unet_vgg16");
  for (auto& b : pretrained->encoder()->named_buffers()) {
    if (b.value().is_floating_point()) {
      b.value().uniform_(0.5, 1.5);
    } else {
      b.value().fill_(9);  // num_batches_tracked
    }
  }
  ASSERT_TRUE(
      ExportEncoderStateDict(*pretrained->encoder(), pretrain + "/encoder_state_dict.pt").ok());
  SelfSupervisedOptions options;
  auto ssl = Make("self_supervised", options);
  InitContext context;
  context.pretrain_dir = pretrain;
  context.report_path = TempDir("ssl_run") + "/coverage.json";
  EXPECT_EQ(ssl->InputFiles(context),
            std::vector<std::string>{pretrain + "/encoder_state_dict.pt"});
  auto net = Net("unet_vgg16");
  ASSERT_FALSE(Same(Snapshot(*net->encoder()), Snapshot(*pretrained->encoder())));
  absl::Status status = ssl->Initialize(*net, context);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_TRUE(Same(Snapshot(*net->encoder()), Snapshot(*pretrained->encoder())));
  auto report = ReadFile(context.report_path);
  ASSERT_TRUE(report.ok());
  const size_t n = Snapshot(*net->encoder()).size();
  EXPECT_TRUE(Contains(*report, absl::StrCat("\"loaded\": ", n,
                                             ", \"missing\": 0, "
                                             "\"unexpected\": 0, \"mismatched\": 0")))
      << *report;
  EXPECT_TRUE(Contains(*report, "\"ok\": true"));
}

// A checkpoint written like the trainer's (torch::serialize::OutputArchive with "model" and
// "optimizer"): the encoder is taken with explicit strip_prefix / allow_unexpected.
TEST(SelfSupervisedTest, LoadsTheEncoderOfAGenesisCheckpoint) {
  const std::string dir = TempDir("checkpoint");
  auto trained = Net("unet_resnet50");
  for (auto& p : trained->named_parameters()) p.value().data().normal_();
  {
    torch::serialize::OutputArchive archive, model_archive, optimizer_archive;
    trained->save(model_archive);
    archive.write("model", model_archive);
    optimizer_archive.write("step", at::ones({1}));
    archive.write("optimizer", optimizer_archive);
    archive.write("epoch", c10::IValue(int64_t{3}));
    archive.save_to(dir + "/checkpoint_best.pt");
  }
  SelfSupervisedOptions options;
  options.set_weights(dir + "/checkpoint_best.pt");
  InitContext context;
  context.report_path = dir + "/coverage.json";
  auto net = Net("unet_resnet50");
  absl::Status unprefixed = Make("self_supervised", options)->Initialize(*net, context);
  EXPECT_EQ(unprefixed.code(), absl::StatusCode::kFailedPrecondition) << unprefixed;
  options.set_strip_prefix("encoder.");
  options.add_allow_unexpected("decoder.");
  absl::Status status = Make("self_supervised", options)->Initialize(*net, context);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_TRUE(Same(Snapshot(*net->encoder()), Snapshot(*trained->encoder())));
  auto report = ReadFile(context.report_path);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(Contains(*report, "\"format\": \"genesis_checkpoint\"")) << *report;
  EXPECT_TRUE(Contains(*report, "\"allowed\": [\"decoder.")) << *report;
}

TEST(SelfSupervisedTest, NoPretrainStageIsAClearError) {
  SelfSupervisedOptions options;
  auto ssl = Make("self_supervised", options);
  auto net = Net("unet_vgg16");
  absl::Status none = ssl->Initialize(*net, InitContext{});
  EXPECT_EQ(none.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(std::string(none.message()), "add a pretrain stage")) << none;
  InitContext context;
  context.pretrain_dir = TempDir("unfinished_pretrain");
  absl::Status missing = ssl->Initialize(*net, context);
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound) << missing;
}

TEST(CoverageTest, WrongFileFailsWithTheReportAndLeavesTheEncoderUntouched) {
  const std::string dir = TempDir("wrong");
  auto resnet = Net("unet_resnet50");
  ASSERT_TRUE(ExportEncoderStateDict(*resnet->encoder(), dir + "/resnet.pt").ok());
  ImageNetOptions options;
  options.set_weights(dir + "/resnet.pt");
  auto imagenet = Make("imagenet", options);
  auto vgg = Net("unet_vgg16");
  const auto before = Snapshot(*vgg->encoder());
  InitContext context;
  context.report_path = dir + "/coverage.json";
  absl::Status status = imagenet->Initialize(*vgg, context);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(std::string(status.message()), "features.0.weight")) << status;
  EXPECT_TRUE(Contains(std::string(status.message()), "conv1.weight")) << status;
  EXPECT_TRUE(Contains(std::string(status.message()), context.report_path)) << status;
  EXPECT_TRUE(Same(before, Snapshot(*vgg->encoder())));
  auto report = ReadFile(context.report_path);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(Contains(*report, "\"ok\": false"));
  EXPECT_TRUE(Contains(*report, "\"missing\": [\"features.0.weight\", \"features.0.bias\""));
  EXPECT_TRUE(Contains(*report, "\"unexpected\": [\"conv1.weight\", \"bn1.weight\""));
  EXPECT_TRUE(Contains(*report, "\"loaded\": []"));
}

TEST(CoverageTest, PartialFileFailsUnlessTheMissingTensorIsAllowed) {
  const std::string dir = TempDir("partial");
  auto source = Net("unet_vgg16");
  ASSERT_TRUE(ExportEncoderStateDict(*source->encoder(), dir + "/full.pt").ok());
  EditWithPython(dir + "/full.pt", dir + "/partial.pth", "del", "features.8.running_var");
  SelfSupervisedOptions options;
  options.set_weights(dir + "/partial.pth");
  InitContext context;
  context.report_path = dir + "/strict.json";
  auto net = Net("unet_vgg16");
  absl::Status strict = Make("self_supervised", options)->Initialize(*net, context);
  EXPECT_EQ(strict.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(
      Contains(std::string(strict.message()), "missing from the file: features.8.running_var"))
      << strict;
  auto report = ReadFile(context.report_path);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(Contains(*report, "\"missing\": [\"features.8.running_var\"]")) << *report;

  options.add_allow_missing("features.8.running_var");
  context.report_path = dir + "/allowed.json";
  absl::Status allowed = Make("self_supervised", options)->Initialize(*net, context);
  ASSERT_TRUE(allowed.ok()) << allowed;
  report = ReadFile(context.report_path);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(Contains(*report, "\"allowed\": [\"features.8.running_var\"]")) << *report;
  EXPECT_TRUE(Contains(*report, "\"missing\": []"));
  EXPECT_TRUE(Contains(*report, "\"allow_missing\": [\"features.8.running_var\"]"));
  auto got = Snapshot(*net->encoder()), want = Snapshot(*source->encoder());
  EXPECT_TRUE(at::equal(got.at("features.0.weight"), want.at("features.0.weight")));
}

TEST(CoverageTest, TorchvisionHeadIsAllowedAndRecordedOtherExtrasFail) {
  const std::string dir = TempDir("extra");
  auto source = Net("unet_vgg16");
  ASSERT_TRUE(ExportEncoderStateDict(*source->encoder(), dir + "/full.pt").ok());
  EditWithPython(dir + "/full.pt", dir + "/head.pth", "add", "classifier.6.bias");
  EditWithPython(dir + "/full.pt", dir + "/extra.pth", "add", "features.99.weight");
  ImageNetOptions options;
  options.set_weights(dir + "/head.pth");
  InitContext context;
  context.report_path = dir + "/head.json";
  auto net = Net("unet_vgg16");
  ASSERT_TRUE(Make("imagenet", options)->Initialize(*net, context).ok());
  auto report = ReadFile(context.report_path);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(Contains(*report, "\"allowed\": [\"classifier.6.bias\"]")) << *report;
  EXPECT_TRUE(Contains(*report, "\"allow_unexpected\": [\"classifier.\", \"fc.\"]"));

  options.set_allow_torchvision_head(false);
  EXPECT_EQ(Make("imagenet", options)->Initialize(*net, context).code(),
            absl::StatusCode::kFailedPrecondition);
  options.set_allow_torchvision_head(true);
  options.set_weights(dir + "/extra.pth");
  absl::Status extra = Make("imagenet", options)->Initialize(*net, context);
  EXPECT_EQ(extra.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(std::string(extra.message()), "not in the model: features.99.weight"))
      << extra;
}

TEST(CoverageTest, NamesCollidingAfterStripPrefixFail) {
  const std::string dir = TempDir("collide");
  auto source = Net("unet_vgg16");
  ASSERT_TRUE(ExportEncoderStateDict(*source->encoder(), dir + "/full.pt").ok());
  EditWithPython(dir + "/full.pt", dir + "/twice.pth", "add", "module.features.0.bias");
  SelfSupervisedOptions options;
  options.set_weights(dir + "/twice.pth");
  options.set_strip_prefix("module.");
  absl::Status status = Make("self_supervised", options)->Initialize(*Net("unet_vgg16"), {});
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(std::string(status.message()), "two tensors of this name")) << status;
}

TEST(CoverageTest, OneChannelEncoderSumsRgbKernelsOrRefuses) {
  const std::string dir = TempDir("channels");
  auto rgb = Net("unet_resnet50", 3);
  ASSERT_TRUE(ExportEncoderStateDict(*rgb->encoder(), dir + "/rgb.pt").ok());
  ImageNetOptions options;
  options.set_weights(dir + "/rgb.pt");
  InitContext context;
  context.report_path = dir + "/sum.json";
  auto grey = Net("unet_resnet50", 1);
  absl::Status summed = Make("imagenet", options)->Initialize(*grey, context);
  ASSERT_TRUE(summed.ok()) << summed;
  const at::Tensor w = Snapshot(*grey->encoder()).at("conv1.weight");
  const at::Tensor rgb_w = Snapshot(*rgb->encoder()).at("conv1.weight");
  EXPECT_EQ(w.size(1), 1);
  EXPECT_TRUE(at::allclose(w, rgb_w.sum(1, true)));
  auto report = ReadFile(context.report_path);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(Contains(*report, "conv1.weight: summed RGB kernels [16, 3, 7, 7] -> [16, 1, 7, 7]"))
      << *report;
  // A 3-channel encoder loads the RGB weights as they are.
  auto rgb_copy = Net("unet_resnet50", 3);
  ASSERT_TRUE(Make("imagenet", options)->Initialize(*rgb_copy, context).ok());
  EXPECT_TRUE(Same(Snapshot(*rgb_copy->encoder()), Snapshot(*rgb->encoder())));

  options.set_channel_policy("error");
  absl::Status refused = Make("imagenet", options)->Initialize(*Net("unet_resnet50", 1), context);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(std::string(refused.message()), "conv1.weight")) << refused;
  options.set_channel_policy("average");
  EXPECT_FALSE(Registry<Initializer>::Get().Create("imagenet", options).ok());
}

TEST(ImageNetTest, MissingWeightsExplainHowToMakeThem) {
  ImageNetOptions options;
  auto net = Net("unet_vgg16");
  absl::Status empty = Make("imagenet", options)->Initialize(*net, InitContext{});
  EXPECT_EQ(empty.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(std::string(empty.message()), "never downloads")) << empty;
  options.set_weights("/nonexistent/vgg16_bn.pth");
  absl::Status missing = Make("imagenet", options)->Initialize(*net, InitContext{});
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(Contains(std::string(missing.message()), "torchvision")) << missing;
  EXPECT_EQ(Make("imagenet", options)->InputFiles(InitContext{}),
            std::vector<std::string>{"/nonexistent/vgg16_bn.pth"});
}

}  // namespace
}  // namespace genesis
