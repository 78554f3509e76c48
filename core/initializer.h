// Plugin kind "initializer": how a downstream encoder starts (scratch, self-supervised,
// ImageNet).
//
//   transfer { initializer { type: "imagenet" options {
//     [type.googleapis.com/genesis.ImageNetOptions] { weights: "vgg16_bn.pth" } } } }
#ifndef GENESIS_CORE_INITIALIZER_H_
#define GENESIS_CORE_INITIALIZER_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "core/backbone.h"
#include "core/registry.h"

namespace genesis {

class Initializer {
 public:
  static constexpr absl::string_view kKind = "initializer";
  static constexpr absl::string_view kTarget = "//plugins/initializer:all";
  static constexpr absl::string_view kKindDescription =
      "initialises an encoder (scratch, self-supervised checkpoint, ImageNet weights)";

  virtual ~Initializer() = default;
  // Sets `net`'s weights. `run_dir` lets it find this run's pretraining checkpoint.
  virtual absl::Status Initialize(EncoderDecoder& net, const std::string& run_dir) const = 0;
};

}  // namespace genesis

#define GENESIS_REGISTER_INITIALIZER(Plugin, name, Options, description) \
  GENESIS_REGISTER_PLUGIN(::genesis::Initializer, Plugin, name, Options, description)

#endif  // GENESIS_CORE_INITIALIZER_H_
