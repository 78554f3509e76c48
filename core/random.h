// Counter-based random numbers, so every random choice can be replayed.
//
// A RandomStream is fully determined by (seed, stream, a, b): e.g. (run seed, kPretext,
// epoch, sample index). Regenerating the same corrupted sample later needs only those four
// numbers -- no generator state to save or restore.
//
//   RandomStream rng(seed, RandomStream::kPretext, epoch, index);
//   if (rng.Bernoulli(0.9)) { int side = rng.UniformInt(lo, hi); ... }
//
// The generator is Philox4x32-10 (Salmon et al., SC'11): the key is the seed, the 128-bit
// counter is (stream, a, b, block). Each block yields four 32-bit words.
#ifndef GENESIS_CORE_RANDOM_H_
#define GENESIS_CORE_RANDOM_H_

#include <array>
#include <cstdint>

namespace genesis {

class RandomStream {
 public:
  // Well-known stream ids so different consumers of one seed never share numbers.
  enum Stream : uint32_t {
    kPretext = 1,
    kSampling = 2,
    kSplit = 3,
    kPreprocess = 4,
    kShuffle = 5,
    kInit = 6,
    kAugment = 7,
  };

  RandomStream(uint64_t seed, uint32_t stream, uint64_t a = 0, uint64_t b = 0);

  uint32_t NextU32() {
    if (used_ == 4) Refill();
    return buffer_[used_++];
  }
  uint64_t NextU64() {
    const uint64_t hi = NextU32();
    return (hi << 32) | NextU32();
  }
  // Uniform in [0, 1) with 53 random bits.
  double Uniform() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }
  // Uniform in [0, 1) as float (24 random bits).
  float UniformFloat() { return static_cast<float>(NextU32() >> 8) * 0x1.0p-24f; }
  // Uniform integer in [lo, hi], both inclusive (Python's random.randint). Requires lo <= hi.
  int64_t UniformInt(int64_t lo, int64_t hi);
  // True with probability p.
  bool Bernoulli(double p) { return Uniform() < p; }
  // A seed for a fast local generator (e.g. inner loops of one sample).
  uint64_t Fork() { return NextU64(); }

 private:
  void Refill();

  std::array<uint32_t, 2> key_;
  std::array<uint32_t, 4> counter_;
  std::array<uint32_t, 4> buffer_;
  int used_ = 4;
};

// Philox4x32-10 block function, exposed for tests against published known-answer vectors.
std::array<uint32_t, 4> Philox4x32(std::array<uint32_t, 4> counter, std::array<uint32_t, 2> key);

// A small fast generator (SplitMix64) for hot inner loops, seeded from RandomStream::Fork().
class FastRandom {
 public:
  explicit FastRandom(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) by Lemire's multiply-shift (bias < n / 2^64, negligible here).
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }
  float UniformFloat() { return static_cast<float>(Next() >> 40) * 0x1.0p-24f; }

 private:
  uint64_t state_;
};

}  // namespace genesis

#endif  // GENESIS_CORE_RANDOM_H_
