// Plugin kind "backbone": builds the encoder-decoder network that pretraining restores images
// with and whose encoder transfers downstream.
//
//   pretrain { backbone { type: "unet_vgg16" options {
//     [type.googleapis.com/genesis.UNetVgg16Options] { width_multiplier: 0.25 } } } }
//
// The encoder's parameter names equal torchvision's (vgg16_bn `features.N.*`, resnet50
// `conv1`, `layerK.i.*`), so ImageNet state_dicts map one-to-one onto `encoder()`.
#ifndef GENESIS_CORE_BACKBONE_H_
#define GENESIS_CORE_BACKBONE_H_

#include <cstdint>
#include <memory>
#include "absl/strings/string_view.h"

#include <torch/nn/module.h>

#include "absl/status/statusor.h"
#include "core/normalization.h"
#include "core/registry.h"

namespace genesis {

class EncoderDecoder : public torch::nn::Module {
 public:
  // (N, in_channels, H, W) -> (N, out_channels, H, W) restoration. H, W multiples of 32.
  virtual torch::Tensor forward(torch::Tensor x) = 0;
  // (N, in_channels, H, W) -> deepest encoder features (N, encoder_channels(), H/32, W/32).
  virtual torch::Tensor Encode(torch::Tensor x) = 0;
  // The encoder alone, named like torchvision's model (for weight loading and export).
  virtual std::shared_ptr<torch::nn::Module> encoder() = 0;
  virtual int64_t encoder_channels() const = 0;
};

struct BackboneConfig {
  int64_t in_channels = 1;
  int64_t out_channels = 1;
  const NormalizationLayer* norm = nullptr;  // Required.
};

class Backbone {
 public:
  static constexpr absl::string_view kKind = "backbone";
  static constexpr absl::string_view kTarget = "//plugins/backbone:all";
  static constexpr absl::string_view kKindDescription =
      "encoder-decoder network (U-Net with VGG16 / ResNet50 encoder)";

  virtual ~Backbone() = default;
  virtual absl::StatusOr<std::shared_ptr<EncoderDecoder>> Build(
      const BackboneConfig& config) const = 0;
};

}  // namespace genesis

#define GENESIS_REGISTER_BACKBONE(Plugin, name, Options, description) \
  GENESIS_REGISTER_PLUGIN(::genesis::Backbone, Plugin, name, Options, description)

#endif  // GENESIS_CORE_BACKBONE_H_
