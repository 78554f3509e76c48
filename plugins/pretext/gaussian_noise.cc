// Additive Gaussian noise (denoising as a restoration pretext, Vincent et al. 2008): sigma is
// drawn uniformly in [min_sigma, max_sigma] per image, the noise per pixel (Marsaglia's polar
// method on a FastRandom forked from the stream), then the image is clipped to [0, 1].
//
//   pretext { type: "gaussian_noise" options {
//     [type.googleapis.com/genesis.GaussianNoiseOptions] { min_sigma: 0.02 max_sigma: 0.1 } } }

#include <algorithm>
#include <cmath>

#include "core/pretext_task.h"
#include "core/status_macros.h"
#include "plugins/pretext/gaussian_noise.pb.h"
#include "plugins/pretext/pretext_util.h"

namespace genesis {
namespace {

class GaussianNoise : public PretextTask {
 public:
  explicit GaussianNoise(const GaussianNoiseOptions& options) : options_(options) {}

  static absl::Status Validate(const GaussianNoiseOptions& o) {
    GENESIS_RETURN_IF_ERROR(internal::CheckProbability("prob", o.prob()));
    GENESIS_RETURN_IF_ERROR(internal::CheckRange("min_sigma", o.min_sigma(), 0.0, 10.0));
    GENESIS_RETURN_IF_ERROR(internal::CheckRange("max_sigma", o.max_sigma(), 0.0, 10.0));
    if (o.max_sigma() < o.min_sigma()) {
      return absl::InvalidArgumentError(absl::StrCat("max_sigma: must be >= min_sigma (",
                                                     o.min_sigma(), "), got ", o.max_sigma()));
    }
    return absl::OkStatus();
  }

  void Apply(Slice& input, Slice& target, RandomStream& rng) const override {
    if (!rng.Bernoulli(options_.prob())) return;
    const double sigma =
        options_.min_sigma() + rng.Uniform() * (options_.max_sigma() - options_.min_sigma());
    FastRandom fast(rng.Fork());
    float* p = input.pixels.data();
    const size_t n = input.pixels.size();
    const float scale = static_cast<float>(sigma);
    for (size_t i = 0; i < n; i += 2) {
      // Marsaglia's polar method: two independent N(0, 1) per accepted point of the unit disc
      // (acceptance pi / 4), one 64-bit draw gives both 32-bit coordinates.
      float u, v, s;
      do {
        const uint64_t bits = fast.Next();
        u = static_cast<float>(static_cast<uint32_t>(bits) >> 8) * 0x1.0p-23f - 1.0f;
        v = static_cast<float>(static_cast<uint32_t>(bits >> 32) >> 8) * 0x1.0p-23f - 1.0f;
        s = u * u + v * v;
      } while (s >= 1.0f || s == 0.0f);
      const float m = scale * std::sqrt(-2.0f * std::log(s) / s);
      p[i] += u * m;
      if (i + 1 < n) p[i + 1] += v * m;
    }
    if (options_.clip()) {
      for (float& v : input.pixels) v = std::clamp(v, 0.0f, 1.0f);
    }
  }

 private:
  GaussianNoiseOptions options_;
};

}  // namespace
}  // namespace genesis

GENESIS_REGISTER_PRETEXT_TASK(
    genesis::GaussianNoise, "gaussian_noise", genesis::GaussianNoiseOptions,
    "Additive Gaussian noise, sigma uniform per image, clipped to [0, 1].");
