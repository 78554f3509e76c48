#include "core/random.h"

#include "glog/logging.h"

namespace genesis {
namespace {

constexpr uint32_t kMul0 = 0xD2511F53;
constexpr uint32_t kMul1 = 0xCD9E8D57;
constexpr uint32_t kWeyl0 = 0x9E3779B9;
constexpr uint32_t kWeyl1 = 0xBB67AE85;

}  // namespace

std::array<uint32_t, 4> Philox4x32(std::array<uint32_t, 4> ctr, std::array<uint32_t, 2> key) {
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = static_cast<uint64_t>(kMul0) * ctr[0];
    const uint64_t p1 = static_cast<uint64_t>(kMul1) * ctr[2];
    const uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
    const uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
    ctr = {hi1 ^ ctr[1] ^ key[0], lo1, hi0 ^ ctr[3] ^ key[1], lo0};
    key[0] += kWeyl0;
    key[1] += kWeyl1;
  }
  return ctr;
}

RandomStream::RandomStream(uint64_t seed, uint32_t stream, uint64_t a, uint64_t b)
    : key_{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)},
      // 128-bit counter: word 0 counts blocks; a and b are folded into words 1..3 with the
      // stream id so (stream, a, b) pairs never collide for a < 2^32 and b < 2^32.
      counter_{0, stream ^ static_cast<uint32_t>(a >> 32) * 0x9E3779B9u,
               static_cast<uint32_t>(a), static_cast<uint32_t>(b)} {
  // b's high bits only matter for b >= 2^32; mix them into the key so they are not lost.
  key_[1] ^= static_cast<uint32_t>(b >> 32) * 0x85EBCA6Bu;
}

void RandomStream::Refill() {
  buffer_ = Philox4x32(counter_, key_);
  ++counter_[0];
  used_ = 0;
}

int64_t RandomStream::UniformInt(int64_t lo, int64_t hi) {
  CHECK_LE(lo, hi) << "UniformInt needs lo <= hi";
  const uint64_t range = static_cast<uint64_t>(hi - lo) + 1;
  if (range == 0) return static_cast<int64_t>(NextU64());  // Full 64-bit range.
  // Rejection sampling: unbiased.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % range;
  uint64_t x;
  do {
    x = NextU64();
  } while (x >= limit);
  return lo + static_cast<int64_t>(x % range);
}

}  // namespace genesis
