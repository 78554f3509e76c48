// `genesis forward`: the encoder features of a float32 NCHW batch under a weight file -- the
// check that Genesis computes what torchvision computes with the same weights.
//
//   genesis forward --backbone unet_vgg16 --weights vgg16_bn.pth --input x.npy --output y.npy
//   genesis forward --backbone resnet50 --weights resnet50.pt --input x.npy --output y.npy
//   genesis forward --backbone vgg16_bn --weights features.pt --add_prefix features. ...
//
// The backbone (a plugin name, or torchvision's "vgg16_bn" / "resnet50") is built at width 1
// with in_channels = the input's C and the `--norm` plugin (default batch_norm), the weights
// (.pth state_dict, TorchScript, Genesis export or checkpoint) are loaded strictly -- only
// torchvision's classification heads "classifier." / "fc." may be left over -- and the
// eval-mode encoder runs: vgg16_bn `features(x)` (all 44 layers, the last max-pool included)
// or resnet50 conv1, bn1, relu, maxpool, layer1..layer4 (no avgpool / fc). The output is a
// float32 .npy (N, C', H/32, W/32). Exit 0 ok, 1 error, 2 usage.

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/utils.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/backbone.h"
#include "core/command.h"
#include "core/normalization.h"
#include "core/proto/plugin_spec.pb.h"
#include "core/registry.h"
#include "core/status_macros.h"
#include "core/weights/npy_float.h"
#include "core/weights/weight_loader.h"

// `--backbone` is the shared flag of `genesis bench` (core/bench.cc), read by name; `--output`
// is the shared flag of core/command.cc.
ABSL_DECLARE_FLAG(std::string, output);
ABSL_FLAG(std::string, weights, "", "genesis forward: weight file (.pth, TorchScript, Genesis)");
ABSL_FLAG(std::string, input, "", "genesis forward: float32 NCHW .npy batch");
ABSL_FLAG(std::string, norm, "batch_norm", "genesis forward: normalization plugin");
ABSL_FLAG(std::string, strip_prefix, "",
          "genesis forward: remove this prefix from weight names (e.g. module.)");
ABSL_FLAG(std::string, add_prefix, "",
          "genesis forward: prepend this to weight names (e.g. features. for a scripted "
          "vgg16_bn().features)");

namespace genesis {
namespace {

constexpr char kUsage[] =
    "usage: genesis forward --backbone NAME --weights FILE --input X.npy --output Y.npy "
    "[--norm batch_norm] [--strip_prefix P] [--add_prefix P]";

std::string BackboneName() {
  const absl::CommandLineFlag* flag = absl::FindCommandLineFlag("backbone");
  std::string name = flag != nullptr ? flag->CurrentValue() : "unet_vgg16";
  if (name == "vgg16_bn" || name == "vgg16") return "unet_vgg16";
  if (name == "resnet50") return "unet_resnet50";
  return name;
}

absl::Status Forward() {
  const std::string weights = absl::GetFlag(FLAGS_weights);
  const std::string input = absl::GetFlag(FLAGS_input);
  const std::string output = absl::GetFlag(FLAGS_output);
  if (weights.empty() || input.empty() || output.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--weights, --input and --output are required; ", kUsage));
  }
  GENESIS_ASSIGN_OR_RETURN(NpyArray x, ReadNpyFloat32(input));
  if (x.shape.size() != 4 || x.shape[1] < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(input, ": expected an NCHW batch (4 dimensions), got ", x.shape.size()));
  }
  PluginSpec norm_spec;
  norm_spec.set_type(absl::GetFlag(FLAGS_norm));
  GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<NormalizationLayer> norm,
                           Registry<NormalizationLayer>::Get().Create(norm_spec));
  PluginSpec backbone_spec;
  backbone_spec.set_type(BackboneName());
  GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<Backbone> backbone,
                           Registry<Backbone>::Get().Create(backbone_spec));
  BackboneConfig config;
  config.in_channels = x.shape[1];
  config.norm = norm.get();
  GENESIS_ASSIGN_OR_RETURN(std::shared_ptr<EncoderDecoder> net, backbone->Build(config));

  WeightLoadOptions load;
  load.allow_unexpected = {"classifier.", "fc."};  // torchvision heads: not encoder features.
  load.strip_prefix = absl::GetFlag(FLAGS_strip_prefix);
  load.add_prefix = absl::GetFlag(FLAGS_add_prefix);
  GENESIS_RETURN_IF_ERROR(LoadWeightsIntoModule(*net->encoder(), weights, load, ""));

  NpyArray y;
  try {
    torch::NoGradGuard no_grad;
    net->eval();
    at::Tensor batch = at::from_blob(x.data.data(), x.shape, at::kFloat).clone();
    at::Tensor features = net->Encode(batch).contiguous().to(at::kFloat);
    y.shape.assign(features.sizes().begin(), features.sizes().end());
    y.data.assign(features.data_ptr<float>(), features.data_ptr<float>() + features.numel());
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("forward of ", input, ": ", e.what_without_backtrace()));
  }
  return WriteNpyFloat32(output, y);
}

int ForwardMain(const std::vector<std::string>& args) {
  if (!args.empty()) {
    std::cerr << "genesis forward: unexpected argument '" << args[0] << "'\n" << kUsage << "\n";
    return 2;
  }
  absl::Status status = Forward();
  if (!status.ok()) {
    std::cerr << "genesis forward: " << status.message() << "\n";
    return status.code() == absl::StatusCode::kInvalidArgument &&
                   absl::GetFlag(FLAGS_weights).empty()
               ? 2
               : 1;
  }
  std::cout << absl::GetFlag(FLAGS_output) << "\n";
  return 0;
}

}  // namespace

GENESIS_REGISTER_COMMAND("forward",
                         "--backbone NAME --weights FILE --input X.npy --output Y.npy "
                         "[--norm batch_norm]  encoder features of a batch (torchvision parity)",
                         &ForwardMain);

}  // namespace genesis
