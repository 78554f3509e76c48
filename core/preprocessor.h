// Plugin kind "preprocessor": per-slice intensity normalisation and geometry.
//
//   corpus { preprocessor { type: "modality_normalize" } preprocessor { type: "crop_resize" } }
//
// Preprocessors run in order on every sampled slice before it is stored. Random ones draw from
// the given stream, which is derived from (seed, patient, slice) so builds are reproducible.
#ifndef GENESIS_CORE_PREPROCESSOR_H_
#define GENESIS_CORE_PREPROCESSOR_H_

#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "core/random.h"
#include "core/registry.h"
#include "core/volume.h"

namespace genesis {

class Preprocessor {
 public:
  static constexpr absl::string_view kKind = "preprocessor";
  static constexpr absl::string_view kTarget = "//plugins/preprocess:all";
  static constexpr absl::string_view kKindDescription =
      "normalises and reshapes each 2D slice (HU window, crop, resize)";

  virtual ~Preprocessor() = default;
  virtual absl::Status Apply(Slice& slice, RandomStream& rng) const = 0;
};

}  // namespace genesis

#define GENESIS_REGISTER_PREPROCESSOR(Plugin, name, Options, description) \
  GENESIS_REGISTER_PLUGIN(::genesis::Preprocessor, Plugin, name, Options, description)

#endif  // GENESIS_CORE_PREPROCESSOR_H_
