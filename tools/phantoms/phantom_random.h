// Random draws for the phantom generators, on top of core/random.h's RandomStream so every
// phantom is a pure function of (seed, what, index).
//
//   PhantomRandom rng(RandomStream(seed, kPhantomStream, kind, index));
//   double d = rng.Uniform(3.0, 12.0);  Vec3 u = rng.UnitVector();
//   FastNormal noise(rng.Fork());  float n = noise.Next();   // hot loops
#ifndef GENESIS_TOOLS_PHANTOMS_PHANTOM_RANDOM_H_
#define GENESIS_TOOLS_PHANTOMS_PHANTOM_RANDOM_H_

#include <array>
#include <cmath>
#include <cstdint>

#include "core/random.h"

namespace genesis {
namespace phantoms {

// The RandomStream stream id of every phantom draw: far from core/random.h's small well-known
// ids (kPretext = 1 ...), so phantoms never share numbers with training or sampling.
constexpr uint32_t kPhantomStream = 0x50480000;  // "PH"

class PhantomRandom {
 public:
  explicit PhantomRandom(RandomStream stream) : stream_(stream) {}
  double Uniform(double lo, double hi) { return lo + (hi - lo) * stream_.Uniform(); }
  int64_t Int(int64_t lo, int64_t hi) { return stream_.UniformInt(lo, hi); }
  bool Bernoulli(double p) { return stream_.Bernoulli(p); }
  double Sign() { return stream_.Bernoulli(0.5) ? 1.0 : -1.0; }
  // Standard normal (Box-Muller).
  double Normal() {
    const double u1 = 1.0 - stream_.Uniform(), u2 = stream_.Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  // Uniform on the unit sphere.
  std::array<double, 3> UnitVector() {
    const double z = Uniform(-1, 1), phi = Uniform(0, 6.283185307179586);
    const double r = std::sqrt(1 - z * z);
    return {r * std::cos(phi), r * std::sin(phi), z};
  }
  uint64_t Fork() { return stream_.Fork(); }

 private:
  RandomStream stream_;
};

// Standard normal numbers for per-voxel / per-pixel noise (Box-Muller on FastRandom, both
// values of each pair used).
class FastNormal {
 public:
  explicit FastNormal(uint64_t seed) : random_(seed) {}
  double Next() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - (random_.Next() >> 11) * 0x1.0p-53;
    const double u2 = (random_.Next() >> 11) * 0x1.0p-53;
    const double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(6.283185307179586 * u2);
    has_spare_ = true;
    return r * std::cos(6.283185307179586 * u2);
  }

 private:
  FastRandom random_;
  double spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace phantoms
}  // namespace genesis

#endif  // GENESIS_TOOLS_PHANTOMS_PHANTOM_RANDOM_H_
