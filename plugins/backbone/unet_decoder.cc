#include "plugins/backbone/unet_decoder.h"

#include <torch/torch.h>

#include <cmath>

#include "absl/strings/str_cat.h"

namespace genesis {

absl::Status ParseOutputActivation(absl::string_view field, absl::string_view text,
                                   OutputActivation* out) {
  if (text == "sigmoid") {
    *out = OutputActivation::kSigmoid;
  } else if (text == "none") {
    *out = OutputActivation::kIdentity;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be \"sigmoid\" or \"none\", got \"", text, "\""));
  }
  return absl::OkStatus();
}

int64_t ScaledChannels(int64_t channels, double multiplier) {
  return std::max<int64_t>(1, std::llround(static_cast<double>(channels) * multiplier));
}

absl::Status ValidateUNetOptions(double width_multiplier, absl::string_view output_activation) {
  if (!(width_multiplier > 0.0 && width_multiplier <= 4.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("width_multiplier: must be in (0, 4], got ", width_multiplier));
  }
  OutputActivation unused;
  return ParseOutputActivation("output_activation", output_activation, &unused);
}

UNetDecoderImpl::UNetDecoderImpl(int64_t bottom_channels,
                                 const std::vector<int64_t>& skip_channels,
                                 const std::vector<int64_t>& decoder_channels,
                                 int64_t out_channels, const NormalizationLayer& norm,
                                 OutputActivation activation)
    : activation_(activation) {
  TORCH_CHECK(skip_channels.size() == decoder_channels.size(),
              "one decoder width per skip connection");
  blocks_ = register_module("blocks", torch::nn::ModuleList());
  int64_t in = bottom_channels;
  for (size_t i = 0; i < skip_channels.size(); ++i) {
    const int64_t out = decoder_channels[i];
    torch::nn::Sequential block;
    block->push_back(torch::nn::Conv2d(
        torch::nn::Conv2dOptions(in + skip_channels[i], out, 3).padding(1)));
    block->push_back(norm.Make(out));
    block->push_back(torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true)));
    block->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(out, out, 3).padding(1)));
    block->push_back(norm.Make(out));
    block->push_back(torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true)));
    blocks_->push_back(block);
    std::vector<torch::nn::AnyModule> layers(block->begin(), block->end());
    block_layers_.push_back(std::move(layers));
    in = out;
  }
  output_ = register_module("output", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out_channels, 1)));
}

torch::Tensor UNetDecoderImpl::forward(torch::Tensor x, const std::vector<torch::Tensor>& skips) {
  namespace F = torch::nn::functional;
  for (size_t i = 0; i < block_layers_.size(); ++i) {
    const torch::Tensor& skip = i < skips.size() ? skips[i] : torch::Tensor();
    std::vector<int64_t> size = {x.size(2) * 2, x.size(3) * 2};
    if (skip.defined()) size = {skip.size(2), skip.size(3)};
    x = F::interpolate(x, F::InterpolateFuncOptions().size(size).mode(torch::kNearest));
    if (skip.defined()) x = torch::cat({x, skip}, 1);
    for (auto& layer : block_layers_[i]) x = layer.forward(x);
  }
  x = output_->forward(x);
  if (activation_ == OutputActivation::kSigmoid) x = torch::sigmoid(x);
  return x;
}

}  // namespace genesis
