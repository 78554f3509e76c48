// Plugin kind "head": the classification head on top of a transferred encoder.
//
//   transfer { head { type: "gap_dense" } }   // GAP -> dropout -> dense -> dropout -> sigmoid
#ifndef GENESIS_CORE_HEAD_H_
#define GENESIS_CORE_HEAD_H_

#include <cstdint>
#include "absl/strings/string_view.h"

#include <torch/nn/modules/container/any.h>

#include "core/registry.h"

namespace genesis {

class Head {
 public:
  static constexpr absl::string_view kKind = "head";
  static constexpr absl::string_view kTarget = "//plugins/head:all";
  static constexpr absl::string_view kKindDescription =
      "classification head on encoder features (N, C, h, w) -> (N, 1) logits";

  virtual ~Head() = default;
  virtual torch::nn::AnyModule Make(int64_t in_channels) const = 0;
};

}  // namespace genesis

#define GENESIS_REGISTER_HEAD(Plugin, name, Options, description) \
  GENESIS_REGISTER_PLUGIN(::genesis::Head, Plugin, name, Options, description)

#endif  // GENESIS_CORE_HEAD_H_
