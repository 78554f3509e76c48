// Plugin kind "head": the classification head on top of a transferred encoder.
//
//   transfer { head { type: "gap_dense" } }   // GAP -> dropout -> dense -> dropout -> logit
//
// A head maps encoder features (N, C, h, w) to one logit per image (N, 1); the transfer stage
// applies the sigmoid (in the loss, and to the scores it writes).
#ifndef GENESIS_CORE_HEAD_H_
#define GENESIS_CORE_HEAD_H_

#include <cstdint>
#include <memory>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/registry.h"

namespace genesis {

class HeadModule : public torch::nn::Module {
 public:
  // (N, C, h, w) features -> (N, 1) logits.
  virtual at::Tensor forward(const at::Tensor& features) = 0;
  // A term added to the training loss (e.g. L2 on the dense weights, as Keras'
  // kernel_regularizer); an undefined tensor when there is none.
  virtual at::Tensor Penalty() { return at::Tensor(); }
};

class Head {
 public:
  static constexpr absl::string_view kKind = "head";
  static constexpr absl::string_view kTarget = "//plugins/head:all";
  static constexpr absl::string_view kKindDescription =
      "classification head on encoder features (N, C, h, w) -> (N, 1) logits";

  virtual ~Head() = default;
  // A freshly initialised head (the caller seeds torch's generator first).
  virtual absl::StatusOr<std::shared_ptr<HeadModule>> Make(int64_t in_channels) const = 0;
};

}  // namespace genesis

#define GENESIS_REGISTER_HEAD(Plugin, name, Options, description) \
  GENESIS_REGISTER_PLUGIN(::genesis::Head, Plugin, name, Options, description)

#endif  // GENESIS_CORE_HEAD_H_
