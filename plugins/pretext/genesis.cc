// The Models Genesis composite: flip -> local pixel shuffling -> Bezier non-linear ->
// in-/out-painting, steps stacking, with the official probabilities as defaults
// (0.4 per flip up to 3, 0.5, 0.9 with inversion 0.5, 0.9 with in-painting share 0.2).
//
//   pretext { type: "genesis" }                   # official defaults
//   pretext { type: "genesis" options {
//     [type.googleapis.com/genesis.GenesisOptions] {
//       flip { prob: 0 }                           # disable a step
//       local_shuffle { num_blocks: 5000 }
//       painting { in_painting_share: 0.5 } } } }

#include "plugins/pretext/genesis.h"

#include "core/status_macros.h"
#include "plugins/pretext/flip.h"
#include "plugins/pretext/local_shuffle.h"
#include "plugins/pretext/pretext_util.h"

namespace genesis {

absl::Status ValidateGenesisOptions(const GenesisOptions& o) {
  GENESIS_RETURN_IF_ERROR(internal::Nested("flip", ValidateFlipOptions(o.flip())));
  GENESIS_RETURN_IF_ERROR(
      internal::Nested("local_shuffle", ValidateLocalShuffleOptions(o.local_shuffle())));
  GENESIS_RETURN_IF_ERROR(internal::Nested("nonlinear", ValidateNonlinearOptions(o.nonlinear())));
  GENESIS_RETURN_IF_ERROR(internal::Nested("painting", ValidatePaintingOptions(o.painting())));
  return absl::OkStatus();
}

void ApplyGenesis(const GenesisOptions& o, Slice& input, Slice& target, RandomStream& rng,
                  GenesisTrace* trace) {
  GenesisTrace t;
  t.flips = ApplyFlip(o.flip(), input, target, rng);
  t.shuffled = ApplyLocalShuffle(o.local_shuffle(), input, rng);
  t.nonlinear = ApplyNonlinear(o.nonlinear(), input, rng);
  t.painting = ApplyPainting(o.painting(), input, rng);
  if (trace != nullptr) *trace = t;
}

namespace {

class Genesis : public PretextTask {
 public:
  explicit Genesis(const GenesisOptions& options) : options_(options) {}
  static absl::Status Validate(const GenesisOptions& o) { return ValidateGenesisOptions(o); }
  void Apply(Slice& input, Slice& target, RandomStream& rng) const override {
    ApplyGenesis(options_, input, target, rng);
  }

 private:
  GenesisOptions options_;
};

}  // namespace
}  // namespace genesis

GENESIS_REGISTER_PRETEXT_TASK(genesis::Genesis, "genesis", genesis::GenesisOptions,
                              "Models Genesis composite: flip -> local_shuffle -> nonlinear -> "
                              "painting with the official probabilities.");
