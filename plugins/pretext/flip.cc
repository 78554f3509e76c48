// Models Genesis flip: input and target are flipped together, up to max_flips times, each
// further flip with probability `prob`.
//
//   pretext { type: "flip" options {
//     [type.googleapis.com/genesis.FlipOptions] { prob: 0.4 max_flips: 3 } } }

#include "plugins/pretext/flip.h"

#include <algorithm>

#include "core/status_macros.h"
#include "plugins/pretext/pretext_util.h"

namespace genesis {

absl::Status ValidateFlipOptions(const FlipOptions& o) {
  GENESIS_RETURN_IF_ERROR(internal::CheckProbability("prob", o.prob()));
  GENESIS_RETURN_IF_ERROR(internal::CheckBetween("max_flips", o.max_flips(), 0, 64));
  return absl::OkStatus();
}

void FlipImage(Slice& image, int axis) {
  const int64_t w = image.width, h = image.height;
  float* p = image.pixels.data();
  if (axis == 0) {
    for (int64_t y = 0; y < h / 2; ++y) {
      std::swap_ranges(p + y * w, p + (y + 1) * w, p + (h - 1 - y) * w);
    }
  } else {
    for (int64_t y = 0; y < h; ++y) std::reverse(p + y * w, p + (y + 1) * w);
  }
}

int ApplyFlip(const FlipOptions& o, Slice& input, Slice& target, RandomStream& rng) {
  int flips = 0;
  while (flips < o.max_flips() && rng.Bernoulli(o.prob())) {
    const int axis = static_cast<int>(rng.UniformInt(0, 1));
    FlipImage(input, axis);
    FlipImage(target, axis);
    ++flips;
  }
  return flips;
}

namespace {

class Flip : public PretextTask {
 public:
  explicit Flip(const FlipOptions& options) : options_(options) {}
  static absl::Status Validate(const FlipOptions& o) { return ValidateFlipOptions(o); }
  void Apply(Slice& input, Slice& target, RandomStream& rng) const override {
    ApplyFlip(options_, input, target, rng);
  }

 private:
  FlipOptions options_;
};

}  // namespace
}  // namespace genesis

GENESIS_REGISTER_PRETEXT_TASK(genesis::Flip, "flip", genesis::FlipOptions,
                              "Models Genesis flip of input and target (p 0.4 per flip, <= 3).");
