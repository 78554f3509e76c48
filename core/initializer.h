// Plugin kind "initializer": how a downstream encoder starts (scratch, self-supervised,
// ImageNet).
//
//   transfer { initializer { type: "imagenet" options {
//     [type.googleapis.com/genesis.ImageNetOptions] { weights: "vgg16_bn.pth" } } } }
#ifndef GENESIS_CORE_INITIALIZER_H_
#define GENESIS_CORE_INITIALIZER_H_

#include <string>
#include <vector>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "core/backbone.h"
#include "core/registry.h"

namespace genesis {

struct InitContext {
  std::string run_dir;       // This run's folder.
  // Output folder of the latest earlier `pretrain` stage of this run; "" when there is none.
  std::string pretrain_dir;
  uint64_t seed = 0;         // Seed of the sub-run being initialised.
  // Where to write the weight-coverage report (JSON: loaded / missing / unexpected /
  // shape-mismatched tensors, and the exceptions the config allowed); "" = do not write.
  std::string report_path;
};

class Initializer {
 public:
  static constexpr absl::string_view kKind = "initializer";
  static constexpr absl::string_view kTarget = "//plugins/initializer:all";
  static constexpr absl::string_view kKindDescription =
      "initialises an encoder (scratch, self-supervised checkpoint, ImageNet weights)";

  virtual ~Initializer() = default;
  // Sets the weights of `net`'s encoder (net.encoder(), named like torchvision's model). Loading
  // initialisers log and write the coverage report and fail on any missing, unexpected or
  // shape-mismatched tensor that the options do not explicitly allow: a silent partial load is
  // impossible.
  virtual absl::Status Initialize(EncoderDecoder& net, const InitContext& context) const = 0;
  // Files whose contents the initialisation depends on (weight files), so a run can tell when
  // its results are stale. Empty for scratch.
  virtual std::vector<std::string> InputFiles(const InitContext& context) const { return {}; }
  // Non-empty when this initialisation cannot run as configured and that is a choice, not an
  // error (e.g. "no weights file given" for ImageNet weights the user did not supply): its
  // sub-runs are recorded as "not run: <reason>" and reports say so, instead of failing.
  virtual std::string NotRunReason() const { return ""; }
};

}  // namespace genesis

#define GENESIS_REGISTER_INITIALIZER(Plugin, name, Options, description) \
  GENESIS_REGISTER_PLUGIN(::genesis::Initializer, Plugin, name, Options, description)

#endif  // GENESIS_CORE_INITIALIZER_H_
