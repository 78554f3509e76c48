// Shared pieces of the U-Net backbones: the skip-connection decoder and the output head.
//
//   UNetDecoder decoder(/*bottom_channels=*/512, /*skip_channels=*/{512, 512, 256, 128, 64},
//                       /*decoder_channels=*/{256, 128, 64, 32, 16}, /*out_channels=*/1,
//                       norm, OutputActivation::kSigmoid);
//   torch::Tensor y = decoder->forward(bottom, {s16, s8, s4, s2, s1});  // deepest skip first
//
// Each decoder stage upsamples by 2 (nearest, to the skip's size when there is one), concatenates
// the skip (if its channel count is > 0) and applies two conv3x3 -> norm -> ReLU blocks. A 1x1
// convolution and the output activation follow the last stage.
#ifndef GENESIS_PLUGINS_BACKBONE_UNET_DECODER_H_
#define GENESIS_PLUGINS_BACKBONE_UNET_DECODER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/backbone.h"
#include "core/normalization.h"

namespace genesis {

enum class OutputActivation { kSigmoid, kIdentity };

// Parses "sigmoid" / "none"; InvalidArgument naming `field` otherwise.
absl::Status ParseOutputActivation(absl::string_view field, absl::string_view text,
                                   OutputActivation* out);

// round(channels * multiplier), at least 1.
int64_t ScaledChannels(int64_t channels, double multiplier);

// Checks the fields every U-Net backbone shares.
absl::Status ValidateUNetOptions(double width_multiplier, absl::string_view output_activation);

class UNetDecoderImpl : public torch::nn::Module {
 public:
  UNetDecoderImpl(int64_t bottom_channels, const std::vector<int64_t>& skip_channels,
                  const std::vector<int64_t>& decoder_channels, int64_t out_channels,
                  const NormalizationLayer& norm, OutputActivation activation);
  // `skips` deepest first, one per stage; an undefined tensor where the stage has no skip.
  torch::Tensor forward(torch::Tensor bottom, const std::vector<torch::Tensor>& skips);

 private:
  torch::nn::ModuleList blocks_;
  std::vector<std::vector<torch::nn::AnyModule>> block_layers_;
  torch::nn::Conv2d output_ = nullptr;
  OutputActivation activation_;
};
TORCH_MODULE(UNetDecoder);

// The checks and error handling every U-Net backbone's Build() shares: validates `config` and
// the activation name, then constructs Model(config, width, activation), turning LibTorch
// errors into a Status that names the backbone.
template <typename Model>
absl::StatusOr<std::shared_ptr<EncoderDecoder>> BuildUNet(absl::string_view name,
                                                          const BackboneConfig& config,
                                                          double width_multiplier,
                                                          absl::string_view activation_name) {
  if (config.norm == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": no norm layer"));
  }
  if (config.in_channels < 1 || config.out_channels < 1) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": in/out channels must be >= 1, got ",
                                                   config.in_channels, "/",
                                                   config.out_channels));
  }
  OutputActivation activation;
  absl::Status s = ParseOutputActivation("output_activation", activation_name, &activation);
  if (!s.ok()) return s;
  try {
    return std::shared_ptr<EncoderDecoder>(
        std::make_shared<Model>(config, width_multiplier, activation));
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat(name, ": ", e.what_without_backtrace()));
  }
}

}  // namespace genesis

#endif  // GENESIS_PLUGINS_BACKBONE_UNET_DECODER_H_
