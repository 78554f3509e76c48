// U-Net with torchvision's vgg16_bn encoder.
//
//   pretrain { backbone { type: "unet_vgg16" options {
//     [type.googleapis.com/genesis.UNetVgg16Options] { width_multiplier: 0.25 } } } }
//
// encoder() holds `features`, a Sequential laid out exactly like torchvision's
// vgg16_bn().features: conv at 0, 3, 7, 10, 14, 17, 20, 24, 27, 30, 34, 37, 40, the norm layer
// at index + 1, ReLU at + 2, max-pool at 6, 13, 23, 33, 43. Skips are taken before each pool
// (resolutions 1, 1/2, 1/4, 1/8, 1/16); the bottom is the last pool's output (1/32).

#include <torch/torch.h>

#include "absl/strings/str_cat.h"
#include "core/backbone.h"
#include "plugins/backbone/unet_decoder.h"
#include "plugins/backbone/unet_vgg16.pb.h"

namespace genesis {
namespace {

constexpr int kPool = -1;
// torchvision's cfg "D".
constexpr int kVgg16[] = {64,  64,  kPool, 128, 128, kPool, 256, 256, 256, kPool,
                          512, 512, 512,   kPool, 512, 512, 512, kPool};

class Vgg16EncoderImpl : public torch::nn::Module {
 public:
  Vgg16EncoderImpl(int64_t in_channels, double width, const NormalizationLayer& norm) {
    features_ = register_module("features", torch::nn::Sequential());
    int64_t channels = in_channels;
    for (int v : kVgg16) {
      if (v == kPool) {
        pool_indices_.push_back(features_->size());
        skip_channels_.push_back(channels);
        features_->push_back(torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2).stride(2)));
        continue;
      }
      const int64_t out = ScaledChannels(v, width);
      features_->push_back(
          torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, out, 3).padding(1)));
      features_->push_back(norm.Make(out));
      features_->push_back(torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true)));
      channels = out;
    }
    out_channels_ = channels;
  }

  torch::Tensor forward(torch::Tensor x) { return features_->forward(x); }

  // Runs the features, collecting the inputs of each max-pool into `skips` (shallowest first).
  torch::Tensor ForwardWithSkips(torch::Tensor x, std::vector<torch::Tensor>* skips) {
    size_t next_pool = 0;
    int64_t index = 0;
    for (auto& layer : *features_) {
      if (next_pool < pool_indices_.size() && index == pool_indices_[next_pool]) {
        skips->push_back(x);
        ++next_pool;
      }
      x = layer.forward(x);
      ++index;
    }
    return x;
  }

  const std::vector<int64_t>& skip_channels() const { return skip_channels_; }
  int64_t out_channels() const { return out_channels_; }

 private:
  torch::nn::Sequential features_ = nullptr;
  std::vector<int64_t> pool_indices_;
  std::vector<int64_t> skip_channels_;
  int64_t out_channels_ = 0;
};
TORCH_MODULE(Vgg16Encoder);

class UNetVgg16Model : public EncoderDecoder {
 public:
  UNetVgg16Model(const BackboneConfig& config, double width, OutputActivation activation) {
    encoder_ = register_module("encoder", Vgg16Encoder(config.in_channels, width, *config.norm));
    std::vector<int64_t> skips(encoder_->skip_channels().rbegin(),
                               encoder_->skip_channels().rend());
    std::vector<int64_t> widths;
    for (int64_t c : {256, 128, 64, 32, 16}) widths.push_back(ScaledChannels(c, width));
    decoder_ = register_module(
        "decoder", UNetDecoder(encoder_->out_channels(), skips, widths, config.out_channels,
                               *config.norm, activation));
  }

  torch::Tensor forward(torch::Tensor x) override {
    std::vector<torch::Tensor> skips;
    torch::Tensor bottom = encoder_->ForwardWithSkips(x, &skips);
    std::reverse(skips.begin(), skips.end());
    return decoder_->forward(bottom, skips);
  }
  torch::Tensor Encode(torch::Tensor x) override { return encoder_->forward(x); }
  std::shared_ptr<torch::nn::Module> encoder() override { return encoder_.ptr(); }
  int64_t encoder_channels() const override { return encoder_->out_channels(); }

 private:
  Vgg16Encoder encoder_ = nullptr;
  UNetDecoder decoder_ = nullptr;
};

class UNetVgg16 : public Backbone {
 public:
  explicit UNetVgg16(const UNetVgg16Options& options) : options_(options) {}

  static absl::Status Validate(const UNetVgg16Options& o) {
    return ValidateUNetOptions(o.width_multiplier(), o.output_activation());
  }

  absl::StatusOr<std::shared_ptr<EncoderDecoder>> Build(
      const BackboneConfig& config) const override {
    return BuildUNet<UNetVgg16Model>("unet_vgg16", config, options_.width_multiplier(),
                                     options_.output_activation());
  }

 private:
  UNetVgg16Options options_;
};

}  // namespace

GENESIS_REGISTER_BACKBONE(UNetVgg16, "unet_vgg16", UNetVgg16Options,
                          "U-Net with a torchvision vgg16_bn encoder (features.*)");

}  // namespace genesis
