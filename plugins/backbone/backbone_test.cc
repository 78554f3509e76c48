// The U-Net backbones against torchvision: parameter and buffer names (and shapes at width 1.0)
// equal vgg16_bn().features / resnet50() -- the reference list is generated at test time with
// /usr/bin/python3 + torchvision -- and forward/Encode shapes for every norm plugin.
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/backbone.h"
#include "core/normalization.h"
#include "gtest/gtest.h"
#include "plugins/backbone/unet_resnet50.pb.h"
#include "plugins/backbone/unet_vgg16.pb.h"
#include "plugins/normalization/batch_norm.pb.h"

namespace genesis {
namespace {

constexpr char kReferenceScript[] = R"PY(
import sys
import torchvision
name, out = sys.argv[1], sys.argv[2]
if name == "vgg16_bn":
    model = torchvision.models.vgg16_bn(weights=None)
    keep = lambda k: k.startswith("features.")
else:
    model = torchvision.models.resnet50(weights=None)
    keep = lambda k: not k.startswith("fc.")
with open(out, "w") as f:
    for k, v in model.named_parameters():
        if keep(k): f.write("P %s %s\n" % (k, "x".join(str(s) for s in v.shape)))
    for k, v in model.named_buffers():
        if keep(k): f.write("B %s %s\n" % (k, "x".join(str(s) for s in v.shape)))
)PY";

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

// "P name shape" / "B name shape" lines from torchvision.
std::vector<std::string> TorchvisionReference(const std::string& model) {
  const std::string script = TempDir() + "/reference_names.py";
  const std::string out = TempDir() + "/" + model + ".txt";
  std::ofstream(script) << kReferenceScript;
  const std::string command = absl::StrCat("/usr/bin/python3 ", script, " ", model, " ", out);
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  std::ifstream in(out);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string Shape(const torch::Tensor& t) {
  std::vector<std::string> dims;
  for (int64_t d : t.sizes()) dims.push_back(std::to_string(d));
  return absl::StrJoin(dims, "x");
}

std::vector<std::string> OurNames(torch::nn::Module& module) {
  std::vector<std::string> lines;
  for (const auto& p : module.named_parameters()) {
    lines.push_back(absl::StrCat("P ", p.key(), " ", Shape(p.value())));
  }
  for (const auto& b : module.named_buffers()) {
    lines.push_back(absl::StrCat("B ", b.key(), " ", Shape(b.value())));
  }
  return lines;
}

std::unique_ptr<NormalizationLayer> Norm(const std::string& name) {
  PluginSpec spec;
  spec.set_type(name);
  auto created = Registry<NormalizationLayer>::Get().Create(spec);
  EXPECT_TRUE(created.ok()) << created.status();
  return std::move(created).value();
}

std::shared_ptr<EncoderDecoder> Build(const std::string& backbone, double width,
                                      const NormalizationLayer& norm, int64_t in_channels) {
  PluginSpec spec;
  spec.set_type(backbone);
  if (backbone == "unet_vgg16") {
    UNetVgg16Options o;
    o.set_width_multiplier(width);
    spec.mutable_options()->PackFrom(o);
  } else {
    UNetResNet50Options o;
    o.set_width_multiplier(width);
    spec.mutable_options()->PackFrom(o);
  }
  auto plugin = Registry<Backbone>::Get().Create(spec);
  EXPECT_TRUE(plugin.ok()) << plugin.status();
  BackboneConfig config;
  config.in_channels = in_channels;
  config.norm = &norm;
  auto model = (*plugin)->Build(config);
  EXPECT_TRUE(model.ok()) << model.status();
  return *model;
}

struct Case {
  std::string backbone;
  std::string torchvision;
};

class TorchvisionNamesTest : public ::testing::TestWithParam<Case> {};

TEST_P(TorchvisionNamesTest, EncoderNamesAndShapesEqualTorchvision) {
  auto norm = Norm("batch_norm");
  auto model = Build(GetParam().backbone, 1.0, *norm, 3);
  const std::vector<std::string> reference = TorchvisionReference(GetParam().torchvision);
  ASSERT_GT(reference.size(), 50u);
  EXPECT_EQ(OurNames(*model->encoder()), reference);
}

TEST_P(TorchvisionNamesTest, SmallWidthKeepsNames) {
  auto norm = Norm("batch_norm");
  auto model = Build(GetParam().backbone, 0.25, *norm, 1);
  std::vector<std::string> reference = TorchvisionReference(GetParam().torchvision);
  std::vector<std::string> ours = OurNames(*model->encoder());
  ASSERT_EQ(ours.size(), reference.size());
  for (size_t i = 0; i < ours.size(); ++i) {
    // Same name, different shape.
    EXPECT_EQ(ours[i].substr(0, ours[i].rfind(' ')),
              reference[i].substr(0, reference[i].rfind(' ')));
  }
}

INSTANTIATE_TEST_SUITE_P(Backbones, TorchvisionNamesTest,
                         ::testing::Values(Case{"unet_vgg16", "vgg16_bn"},
                                           Case{"unet_resnet50", "resnet50"}),
                         [](const auto& info) { return info.param.backbone; });

class ShapeTest : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(ShapeTest, ForwardKeepsInputShapeAndEncodeIsOneThirtySecond) {
  const auto& [backbone, norm_name] = GetParam();
  auto norm = Norm(norm_name);
  torch::manual_seed(0);
  auto model = Build(backbone, 0.125, *norm, 1);
  for (int64_t size : {64, 224}) {
    torch::Tensor x = torch::rand({2, 1, size, size});
    torch::Tensor y = model->forward(x);
    EXPECT_EQ(y.sizes(), x.sizes()) << backbone << " " << norm_name << " " << size;
    EXPECT_GE(y.min().item<float>(), 0.0f);  // Sigmoid output.
    EXPECT_LE(y.max().item<float>(), 1.0f);
    torch::Tensor e = model->Encode(x);
    EXPECT_EQ(e.sizes(), (std::vector<int64_t>{2, model->encoder_channels(), size / 32,
                                               size / 32}));
  }
  // Gradients reach the first encoder convolution.
  torch::Tensor loss = model->forward(torch::rand({2, 1, 64, 64})).mean();
  loss.backward();
  const auto first = model->encoder()->named_parameters()[0];
  ASSERT_TRUE(first.value().grad().defined());
  EXPECT_GT(first.value().grad().abs().sum().item<float>(), 0.0f);
}

INSTANTIATE_TEST_SUITE_P(
    AllNorms, ShapeTest,
    ::testing::Combine(::testing::Values("unet_vgg16", "unet_resnet50"),
                       ::testing::Values("batch_norm", "instance_norm", "group_norm", "none")),
    [](const auto& info) {
      return std::get<0>(info.param) + "_" + std::get<1>(info.param);
    });

TEST(BackboneTest, EncoderChannelsAtFullWidth) {
  auto norm = Norm("batch_norm");
  EXPECT_EQ(Build("unet_vgg16", 1.0, *norm, 1)->encoder_channels(), 512);
  EXPECT_EQ(Build("unet_resnet50", 1.0, *norm, 1)->encoder_channels(), 2048);
}

TEST(BackboneTest, ThreeInputChannels) {
  auto norm = Norm("group_norm");
  auto model = Build("unet_resnet50", 0.125, *norm, 3);
  torch::Tensor y = model->forward(torch::rand({1, 3, 64, 64}));
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{1, 1, 64, 64}));
}

TEST(BackboneTest, RejectsBadWidth) {
  UNetVgg16Options o;
  o.set_width_multiplier(0.0);
  auto plugin = Registry<Backbone>::Get().Create("unet_vgg16", o);
  ASSERT_FALSE(plugin.ok());
  EXPECT_NE(plugin.status().message().find("width_multiplier: must be in (0, 4], got 0"),
            std::string::npos)
      << plugin.status();
  UNetResNet50Options r;
  r.set_output_activation("relu");
  plugin = Registry<Backbone>::Get().Create("unet_resnet50", r);
  ASSERT_FALSE(plugin.ok());
  EXPECT_NE(plugin.status().message().find("output_activation: must be"), std::string::npos);
}

}  // namespace
}  // namespace genesis
