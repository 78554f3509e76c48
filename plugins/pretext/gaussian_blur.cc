// Gaussian blur (deblurring as a restoration pretext): sigma uniform in [min_sigma, max_sigma]
// pixels per image, separable kernel of radius ceil(truncate * sigma) normalised to sum 1,
// mirrored borders (scipy's "reflect", d c b a | a b c d | d c b a). Keeps [0, 1].
//
//   pretext { type: "gaussian_blur" options {
//     [type.googleapis.com/genesis.GaussianBlurOptions] { min_sigma: 0.5 max_sigma: 2 } } }

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/pretext_task.h"
#include "core/status_macros.h"
#include "plugins/pretext/gaussian_blur.pb.h"
#include "plugins/pretext/pretext_util.h"

namespace genesis {
namespace {

// Mirrors index i into [0, n) (reflect, edge pixel repeated).
int64_t Reflect(int64_t i, int64_t n) {
  if (n == 1) return 0;
  const int64_t period = 2 * n;
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - 1 - i;
}

class GaussianBlur : public PretextTask {
 public:
  explicit GaussianBlur(const GaussianBlurOptions& options) : options_(options) {}

  static absl::Status Validate(const GaussianBlurOptions& o) {
    GENESIS_RETURN_IF_ERROR(internal::CheckProbability("prob", o.prob()));
    GENESIS_RETURN_IF_ERROR(internal::CheckRange("min_sigma", o.min_sigma(), 0.0, 100.0));
    GENESIS_RETURN_IF_ERROR(internal::CheckRange("max_sigma", o.max_sigma(), 0.0, 100.0));
    if (o.max_sigma() < o.min_sigma()) {
      return absl::InvalidArgumentError(absl::StrCat("max_sigma: must be >= min_sigma (",
                                                     o.min_sigma(), "), got ", o.max_sigma()));
    }
    GENESIS_RETURN_IF_ERROR(internal::CheckRange("truncate", o.truncate(), 0.5, 10.0));
    return absl::OkStatus();
  }

  void Apply(Slice& input, Slice& target, RandomStream& rng) const override {
    if (!rng.Bernoulli(options_.prob())) return;
    const double sigma =
        options_.min_sigma() + rng.Uniform() * (options_.max_sigma() - options_.min_sigma());
    if (sigma <= 0.0) return;
    const int64_t radius = static_cast<int64_t>(std::ceil(options_.truncate() * sigma));
    std::vector<float> kernel(2 * radius + 1);
    double sum = 0.0;
    for (int64_t k = -radius; k <= radius; ++k) {
      const double w = std::exp(-0.5 * k * k / (sigma * sigma));
      kernel[k + radius] = static_cast<float>(w);
      sum += w;
    }
    for (float& w : kernel) w = static_cast<float>(w / sum);

    const int64_t rows = input.height, cols = input.width;
    std::vector<float> tmp(input.pixels.size());
    // Horizontal pass into tmp.
    std::vector<float> line(cols + 2 * radius);
    for (int64_t r = 0; r < rows; ++r) {
      const float* src = input.pixels.data() + r * cols;
      for (int64_t c = -radius; c < cols + radius; ++c) line[c + radius] = src[Reflect(c, cols)];
      float* dst = tmp.data() + r * cols;
      std::fill(dst, dst + cols, 0.0f);
      for (int64_t k = 0; k <= 2 * radius; ++k) {  // Tap-major: the inner loop vectorises.
        const float w = kernel[k];
        const float* shifted = line.data() + k;
        for (int64_t c = 0; c < cols; ++c) dst[c] += w * shifted[c];
      }
    }
    // Vertical pass back into the input, a whole row at a time.
    for (int64_t r = 0; r < rows; ++r) {
      float* dst = input.pixels.data() + r * cols;
      std::fill(dst, dst + cols, 0.0f);
      for (int64_t k = -radius; k <= radius; ++k) {
        const float w = kernel[k + radius];
        const float* src = tmp.data() + Reflect(r + k, rows) * cols;
        for (int64_t c = 0; c < cols; ++c) dst[c] += w * src[c];
      }
    }
  }

 private:
  GaussianBlurOptions options_;
};

}  // namespace
}  // namespace genesis

GENESIS_REGISTER_PRETEXT_TASK(genesis::GaussianBlur, "gaussian_blur", genesis::GaussianBlurOptions,
                              "Gaussian blur, sigma uniform per image (mirrored borders).");
