// Plugin kind "normalization": the norm layer a backbone puts after each convolution.
//
//   pretrain { normalization { type: "group_norm" options {
//     [type.googleapis.com/genesis.GroupNormOptions] { num_groups: 32 } } } }
//
// Backbones call Make(channels) wherever torchvision has a BatchNorm2d, so swapping batch /
// instance / group / none never touches a backbone. Parameter names inside the returned module
// (weight, bias, running_mean, running_var, num_batches_tracked) follow torch.nn's, so
// torchvision state_dicts load one-to-one when the kinds agree.
#ifndef GENESIS_CORE_NORMALIZATION_H_
#define GENESIS_CORE_NORMALIZATION_H_

#include <cstdint>
#include "absl/strings/string_view.h"

#include <torch/nn/modules/container/any.h>

#include "core/registry.h"

namespace genesis {

class NormalizationLayer {
 public:
  static constexpr absl::string_view kKind = "normalization";
  static constexpr absl::string_view kTarget = "//plugins/normalization:all";
  static constexpr absl::string_view kKindDescription =
      "normalisation layer placed after each convolution (batch, instance, group, none)";

  virtual ~NormalizationLayer() = default;
  // A fresh layer for a (N, channels, H, W) input; forward keeps the shape.
  virtual torch::nn::AnyModule Make(int64_t channels) const = 0;
};

}  // namespace genesis

#define GENESIS_REGISTER_NORMALIZATION(Plugin, name, Options, description) \
  GENESIS_REGISTER_PLUGIN(::genesis::NormalizationLayer, Plugin, name, Options, description)

#endif  // GENESIS_CORE_NORMALIZATION_H_
