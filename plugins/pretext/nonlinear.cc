// Models Genesis non-linear intensity transformation: a random cubic Bezier curve through
// (0,0) and (1,1) maps every intensity; half of the time the mapping is decreasing (the
// official code sorts only the x samples, which inverts intensities).
//
//   pretext { type: "nonlinear" options {
//     [type.googleapis.com/genesis.NonlinearOptions] { prob: 0.9 inversion_prob: 0.5 } } }
//
// Accuracy: the official code samples the curve at 100000 points and np.interp()s through
// them. Here the curve is sampled at lut_size + 1 points and resampled exactly (piecewise
// linear, like np.interp) onto a uniform table of lut_size + 1 knots; pixels interpolate
// linearly in the table. nonlinear_test compares against the official 100000-point
// construction: the largest difference over random curves is ~5e-4 at lut_size 8192 (near a
// vertical tangent at an end of the curve, where the mapping behaves like sqrt), the mean
// ~2e-8.

#include "plugins/pretext/nonlinear.h"

#include <algorithm>

#include "core/status_macros.h"
#include "plugins/pretext/pretext_util.h"

namespace genesis {

absl::Status ValidateNonlinearOptions(const NonlinearOptions& o) {
  GENESIS_RETURN_IF_ERROR(internal::CheckProbability("prob", o.prob()));
  GENESIS_RETURN_IF_ERROR(internal::CheckProbability("inversion_prob", o.inversion_prob()));
  GENESIS_RETURN_IF_ERROR(internal::CheckBetween("lut_size", o.lut_size(), 16, 1 << 20));
  if (o.lut_size() > (1 << 24)) {
    return absl::InvalidArgumentError(
        absl::StrCat("lut_size: must be <= 16777216, got ", o.lut_size()));
  }
  return absl::OkStatus();
}

void BuildBezierLut(const std::array<double, 4>& control, bool inverted, int lut_size,
                    std::vector<float>* lut) {
  const auto [p1x, p1y, p2x, p2y] = control;
  // Standard Bernstein form B(u) = 3(1-u)^2 u P1 + 3(1-u) u^2 P2 + u^3 (P0 = 0, P3 = 1).
  // The official bernstein_poly runs t the other way (t = 1 - u); the sample set is the same.
  const int n = lut_size;
  thread_local std::vector<double> xs, ys;
  xs.resize(n + 1);
  ys.resize(n + 1);
  for (int k = 0; k <= n; ++k) {
    const double u = static_cast<double>(k) / n, v = 1.0 - u;
    const double a = 3.0 * v * v * u, b = 3.0 * v * u * u, c = u * u * u;
    xs[k] = a * p1x + b * p2x + c;
    ys[k] = a * p1y + b * p2y + c;
  }
  if (inverted) std::reverse(ys.begin(), ys.end());  // X(u) -> Y(1 - u).
  xs[0] = 0.0;                                       // Exact ends (they are, up to rounding).
  xs[n] = 1.0;

  lut->resize(lut_size + 1);
  int k = 0;
  for (int j = 0; j <= lut_size; ++j) {
    const double x = static_cast<double>(j) / lut_size;
    while (k < n - 1 && xs[k + 1] < x) ++k;
    const double dx = xs[k + 1] - xs[k];
    double t = dx > 0.0 ? (x - xs[k]) / dx : 0.0;
    t = std::clamp(t, 0.0, 1.0);
    (*lut)[j] = static_cast<float>(ys[k] + t * (ys[k + 1] - ys[k]));
  }
}

NonlinearOutcome ApplyNonlinear(const NonlinearOptions& o, Slice& image, RandomStream& rng) {
  if (!rng.Bernoulli(o.prob())) return NonlinearOutcome::kNone;
  std::array<double, 4> control;
  for (double& c : control) c = rng.Uniform();
  const bool inverted = rng.Bernoulli(o.inversion_prob());
  thread_local std::vector<float> lut;
  BuildBezierLut(control, inverted, o.lut_size(), &lut);
  for (float& p : image.pixels) p = MapThroughLut(lut, p);
  return inverted ? NonlinearOutcome::kInverted : NonlinearOutcome::kIncreasing;
}

namespace {

class Nonlinear : public PretextTask {
 public:
  explicit Nonlinear(const NonlinearOptions& options) : options_(options) {}
  static absl::Status Validate(const NonlinearOptions& o) { return ValidateNonlinearOptions(o); }
  void Apply(Slice& input, Slice& target, RandomStream& rng) const override {
    ApplyNonlinear(options_, input, rng);
  }

 private:
  NonlinearOptions options_;
};

}  // namespace
}  // namespace genesis

GENESIS_REGISTER_PRETEXT_TASK(genesis::Nonlinear, "nonlinear", genesis::NonlinearOptions,
                              "Models Genesis Bezier intensity mapping (p 0.9, inversion 0.5).");
