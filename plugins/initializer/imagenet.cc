// Initialiser "imagenet": torchvision ImageNet weights, read without Python.
//
//   transfer { initializer { type: "imagenet" options {
//     [type.googleapis.com/genesis.ImageNetOptions] { weights: "weights/vgg16_bn.pth" } } } }
//
// `weights` is a torchvision state_dict (.pth, zip format) or a TorchScript file; the encoder
// of unet_vgg16 / unet_resnet50 is named like torchvision's vgg16_bn / resnet50, so names map
// one-to-one; the classification head ("classifier." / "fc.") is allowed by default. Strict
// otherwise, with the coverage report logged and written to InitContext::report_path. The
// 1 -> 3 channel policy is documented in imagenet.proto.

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "core/initializer.h"
#include "core/status_macros.h"
#include "core/weights/weight_loader.h"
#include "plugins/initializer/imagenet.pb.h"
#include "plugins/initializer/weight_options.h"

namespace genesis {
namespace {

constexpr char kHowToMake[] =
    "Genesis never downloads weights (no hub access here). Make the file once where "
    "torchvision can download, e.g. python3 -c \"import torch, torchvision; "
    "torch.save(torchvision.models.vgg16_bn(weights='IMAGENET1K_V1').state_dict(), "
    "'vgg16_bn.pth')\" (resnet50 likewise), copy it here and set weights to its path";

class ImageNet : public Initializer {
 public:
  explicit ImageNet(const ImageNetOptions& options) : options_(options) {}

  // An empty `weights` passes validation (every plugin must build from its defaults) and is
  // refused, with how to make the file, when the encoder is initialised.
  static absl::Status Validate(const ImageNetOptions& o) { return ToWeightLoadOptions(o).status(); }

  absl::Status Initialize(EncoderDecoder& net, const InitContext& context) const override {
    if (options_.weights().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("imagenet: weights is required (a torchvision .pth or TorchScript "
                       "file). ",
                       kHowToMake));
    }
    if (!std::filesystem::exists(options_.weights())) {
      return absl::NotFoundError(absl::StrCat("imagenet: weight file ", options_.weights(),
                                              " does not exist. ", kHowToMake));
    }
    GENESIS_ASSIGN_OR_RETURN(WeightLoadOptions load, ToWeightLoadOptions(options_));
    if (options_.allow_torchvision_head()) {
      load.allow_unexpected.push_back("classifier.");
      load.allow_unexpected.push_back("fc.");
    }
    return Annotate(
        LoadWeightsIntoModule(*net.encoder(), options_.weights(), load, context.report_path),
        "imagenet");
  }

  std::string NotRunReason() const override {
    return options_.weights().empty() ? "no weights file given" : "";
  }

  std::vector<std::string> InputFiles(const InitContext&) const override {
    if (options_.weights().empty()) return {};
    return {options_.weights()};
  }

 private:
  ImageNetOptions options_;
};

}  // namespace

GENESIS_REGISTER_INITIALIZER(ImageNet, "imagenet", ImageNetOptions,
                             "torchvision ImageNet weights (.pth or TorchScript; strict, "
                             "coverage report, 1->3 channel policy)");

}  // namespace genesis
