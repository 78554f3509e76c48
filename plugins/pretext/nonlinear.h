// The "nonlinear" pretext step (Models Genesis Bezier intensity mapping), reusable by
// composites ("genesis") and testable on its own.
//
//   NonlinearOutcome what = ApplyNonlinear(options, input, rng);
//
//   std::vector<float> lut;   // or build a mapping yourself:
//   BuildBezierLut({0.2, 0.7, 0.6, 0.1}, /*inverted=*/false, 8192, &lut);
//   float v = MapThroughLut(lut, 0.5f);
#ifndef GENESIS_PLUGINS_PRETEXT_NONLINEAR_H_
#define GENESIS_PLUGINS_PRETEXT_NONLINEAR_H_

#include <array>
#include <vector>

#include "absl/status/status.h"
#include "core/pretext_task.h"
#include "core/random.h"
#include "plugins/pretext/nonlinear.pb.h"

namespace genesis {

absl::Status ValidateNonlinearOptions(const NonlinearOptions& options);

enum class NonlinearOutcome { kNone, kIncreasing, kInverted };

// With probability options.prob(), remaps every pixel through a random Bezier curve:
// control points (0,0), (p1x,p1y), (p2x,p2y), (1,1) with the four coordinates uniform in
// [0, 1), drawn in that order; then inverted with options.inversion_prob().
NonlinearOutcome ApplyNonlinear(const NonlinearOptions& options, Slice& image, RandomStream& rng);

// The official mapping as a lookup table of lut_size + 1 knots on [0, 1] (lut->size() ==
// lut_size + 1). Increasing: x = X(u) -> Y(u), the Bezier curve itself. Inverted: X(u) ->
// Y(1 - u), what the official code gets by sorting only the x samples. Both coordinates of a
// cubic Bezier with inner control points in [0, 1]^2 are monotone in u, so the mapping is
// monotone and its ends are 0 -> 0, 1 -> 1 (increasing) or 0 -> 1, 1 -> 0 (inverted).
// `control` = {p1x, p1y, p2x, p2y}.
void BuildBezierLut(const std::array<double, 4>& control, bool inverted, int lut_size,
                    std::vector<float>* lut);

// Linear interpolation in `lut` (built by BuildBezierLut); v is clamped to [0, 1] like
// np.interp does at the ends.
inline float MapThroughLut(const std::vector<float>& lut, float v) {
  const int n = static_cast<int>(lut.size()) - 1;
  v = v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
  const float t = v * static_cast<float>(n);
  int i = static_cast<int>(t);
  i = i >= n ? n - 1 : i;
  const float f = t - static_cast<float>(i);
  return lut[i] + f * (lut[i + 1] - lut[i]);
}

}  // namespace genesis

#endif  // GENESIS_PLUGINS_PRETEXT_NONLINEAR_H_
