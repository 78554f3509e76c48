// Models Genesis painting: with p 0.9 the image is painted, in-painting for 20% of those,
// out-painting for the rest.
//
//   pretext { type: "painting" options {
//     [type.googleapis.com/genesis.PaintingOptions] {
//       prob: 0.9 in_painting_share: 0.2
//       in_painting { max_boxes: 5 } out_painting { max_windows: 5 } } } }

#include "plugins/pretext/painting.h"

#include "core/status_macros.h"
#include "plugins/pretext/in_painting.h"
#include "plugins/pretext/out_painting.h"
#include "plugins/pretext/pretext_util.h"

namespace genesis {

absl::Status ValidatePaintingOptions(const PaintingOptions& o) {
  GENESIS_RETURN_IF_ERROR(internal::CheckProbability("prob", o.prob()));
  GENESIS_RETURN_IF_ERROR(internal::CheckProbability("in_painting_share", o.in_painting_share()));
  GENESIS_RETURN_IF_ERROR(
      internal::Nested("in_painting", ValidateInPaintingOptions(o.in_painting())));
  GENESIS_RETURN_IF_ERROR(
      internal::Nested("out_painting", ValidateOutPaintingOptions(o.out_painting())));
  return absl::OkStatus();
}

PaintingOutcome ApplyPainting(const PaintingOptions& o, Slice& image, RandomStream& rng) {
  if (!rng.Bernoulli(o.prob())) return PaintingOutcome::kNone;
  if (rng.Bernoulli(o.in_painting_share())) {
    InPaint(o.in_painting(), image, rng);
    return PaintingOutcome::kInPainting;
  }
  OutPaint(o.out_painting(), image, rng);
  return PaintingOutcome::kOutPainting;
}

namespace {

class Painting : public PretextTask {
 public:
  explicit Painting(const PaintingOptions& options) : options_(options) {}
  static absl::Status Validate(const PaintingOptions& o) { return ValidatePaintingOptions(o); }
  void Apply(Slice& input, Slice& target, RandomStream& rng) const override {
    ApplyPainting(options_, input, rng);
  }

 private:
  PaintingOptions options_;
};

}  // namespace
}  // namespace genesis

GENESIS_REGISTER_PRETEXT_TASK(
    genesis::Painting, "painting", genesis::PaintingOptions,
    "Models Genesis painting: p 0.9, in-painting 20% / out-painting 80%.");
