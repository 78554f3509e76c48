// U-Net with torchvision's resnet50 encoder.
//
//   pretrain { backbone { type: "unet_resnet50" options {
//     [type.googleapis.com/genesis.UNetResNet50Options] { width_multiplier: 0.25 } } } }
//
// encoder() holds conv1, bn1, layer1..layer4 named exactly like torchvision's resnet50
// (Bottleneck v1.5: stride on conv2; `layerN.0.downsample.{0,1}`); avgpool and fc are not part
// of it. Skips: the stem output (1/2), layer1 (1/4), layer2 (1/8), layer3 (1/16); bottom
// layer4 (1/32); the last decoder stage upsamples to full resolution without a skip.

#include <torch/torch.h>

#include "absl/strings/str_cat.h"
#include "core/backbone.h"
#include "plugins/backbone/unet_decoder.h"
#include "plugins/backbone/unet_resnet50.pb.h"

namespace genesis {
namespace {

torch::nn::Conv2d Conv(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(false));
}

class BottleneckImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kExpansion = 4;

  BottleneckImpl(int64_t in, int64_t planes, int64_t stride, bool downsample,
                 const NormalizationLayer& norm) {
    const int64_t out = planes * kExpansion;
    conv1_ = register_module("conv1", Conv(in, planes, 1, 1, 0));
    bn1_ = norm.Make(planes);
    register_module("bn1", bn1_.ptr());
    conv2_ = register_module("conv2", Conv(planes, planes, 3, stride, 1));
    bn2_ = norm.Make(planes);
    register_module("bn2", bn2_.ptr());
    conv3_ = register_module("conv3", Conv(planes, out, 1, 1, 0));
    bn3_ = norm.Make(out);
    register_module("bn3", bn3_.ptr());
    if (downsample) {
      downsample_ = torch::nn::Sequential(Conv(in, out, 1, stride, 0));
      downsample_->push_back(norm.Make(out));
      register_module("downsample", downsample_);
    }
  }

  torch::Tensor forward(torch::Tensor x) {
    torch::Tensor identity = downsample_ ? downsample_->forward(x) : x;
    torch::Tensor y = torch::relu(bn1_.forward(conv1_->forward(x)));
    y = torch::relu(bn2_.forward(conv2_->forward(y)));
    y = bn3_.forward(conv3_->forward(y));
    return torch::relu(y + identity);
  }

 private:
  torch::nn::Conv2d conv1_ = nullptr, conv2_ = nullptr, conv3_ = nullptr;
  torch::nn::AnyModule bn1_, bn2_, bn3_;
  torch::nn::Sequential downsample_ = nullptr;
};
TORCH_MODULE(Bottleneck);

class ResNet50EncoderImpl : public torch::nn::Module {
 public:
  ResNet50EncoderImpl(int64_t in_channels, double width, const NormalizationLayer& norm) {
    const int64_t stem = ScaledChannels(64, width);
    conv1_ = register_module("conv1", Conv(in_channels, stem, 7, 2, 3));
    bn1_ = norm.Make(stem);
    register_module("bn1", bn1_.ptr());
    skip_channels_.push_back(stem);
    int64_t in = stem;
    const int64_t blocks[] = {3, 4, 6, 3};
    const int64_t planes[] = {64, 128, 256, 512};
    for (int l = 0; l < 4; ++l) {
      torch::nn::Sequential layer;
      const int64_t p = ScaledChannels(planes[l], width);
      for (int64_t b = 0; b < blocks[l]; ++b) {
        const int64_t stride = (b == 0 && l > 0) ? 2 : 1;
        const bool downsample = b == 0;  // Channels change in every layer's first block.
        layer->push_back(Bottleneck(in, p, stride, downsample, norm));
        in = p * BottleneckImpl::kExpansion;
      }
      layers_.push_back(register_module(absl::StrCat("layer", l + 1), layer));
      skip_channels_.push_back(in);
    }
    skip_channels_.pop_back();  // layer4 is the bottom, not a skip.
    out_channels_ = in;
  }

  torch::Tensor forward(torch::Tensor x) {
    std::vector<torch::Tensor> skips;
    return ForwardWithSkips(x, &skips);
  }

  // Collects stem, layer1, layer2, layer3 outputs into `skips` (shallowest first).
  torch::Tensor ForwardWithSkips(torch::Tensor x, std::vector<torch::Tensor>* skips) {
    namespace F = torch::nn::functional;
    x = torch::relu(bn1_.forward(conv1_->forward(x)));
    skips->push_back(x);
    x = F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(2).padding(1));
    for (size_t l = 0; l < layers_.size(); ++l) {
      x = layers_[l]->forward(x);
      if (l + 1 < layers_.size()) skips->push_back(x);
    }
    return x;
  }

  const std::vector<int64_t>& skip_channels() const { return skip_channels_; }
  int64_t out_channels() const { return out_channels_; }

 private:
  torch::nn::Conv2d conv1_ = nullptr;
  torch::nn::AnyModule bn1_;
  std::vector<torch::nn::Sequential> layers_;
  std::vector<int64_t> skip_channels_;
  int64_t out_channels_ = 0;
};
TORCH_MODULE(ResNet50Encoder);

class UNetResNet50Model : public EncoderDecoder {
 public:
  UNetResNet50Model(const BackboneConfig& config, double width, OutputActivation activation) {
    encoder_ =
        register_module("encoder", ResNet50Encoder(config.in_channels, width, *config.norm));
    std::vector<int64_t> skips(encoder_->skip_channels().rbegin(),
                               encoder_->skip_channels().rend());
    skips.push_back(0);  // Full resolution: no skip.
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
    skips.push_back(torch::Tensor());
    return decoder_->forward(bottom, skips);
  }
  torch::Tensor Encode(torch::Tensor x) override { return encoder_->forward(x); }
  std::shared_ptr<torch::nn::Module> encoder() override { return encoder_.ptr(); }
  int64_t encoder_channels() const override { return encoder_->out_channels(); }

 private:
  ResNet50Encoder encoder_ = nullptr;
  UNetDecoder decoder_ = nullptr;
};

class UNetResNet50 : public Backbone {
 public:
  explicit UNetResNet50(const UNetResNet50Options& options) : options_(options) {}

  static absl::Status Validate(const UNetResNet50Options& o) {
    return ValidateUNetOptions(o.width_multiplier(), o.output_activation());
  }

  absl::StatusOr<std::shared_ptr<EncoderDecoder>> Build(
      const BackboneConfig& config) const override {
    return BuildUNet<UNetResNet50Model>("unet_resnet50", config, options_.width_multiplier(),
                                        options_.output_activation());
  }

 private:
  UNetResNet50Options options_;
};

}  // namespace

GENESIS_REGISTER_BACKBONE(UNetResNet50, "unet_resnet50", UNetResNet50Options,
                          "U-Net with a torchvision resnet50 encoder (conv1, bn1, layer1..4)");

}  // namespace genesis
