// Models Genesis local pixel shuffling: num_blocks blocks, side randint(1, dim // 10) per
// axis at a uniform position; each block's pixels are read from the original image, permuted
// uniformly and written into the result, so later blocks overwrite earlier ones.
//
//   pretext { type: "local_shuffle" options {
//     [type.googleapis.com/genesis.LocalShuffleOptions] { prob: 0.5 num_blocks: 10000 } } }
//
// Speed: the official loop permutes every block fully (~1.3 M swaps at 224^2) although most
// of that work is overwritten. Here the block geometry is drawn first, in the official order,
// and blocks are then visited from last to first: a block only fills the pixels no later
// block wrote, with a partial Fisher-Yates draw from its (original) pixels. The pixels that
// survive get the same distribution as in the official code -- a uniform injection from the
// surviving positions into the block's original pixels, independent between blocks -- at
// ~1 swap per image pixel. All randomness comes from one FastRandom forked from the stream.

#include "plugins/pretext/local_shuffle.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/status_macros.h"
#include "plugins/pretext/pretext_util.h"

namespace genesis {

absl::Status ValidateLocalShuffleOptions(const LocalShuffleOptions& o) {
  GENESIS_RETURN_IF_ERROR(internal::CheckProbability("prob", o.prob()));
  GENESIS_RETURN_IF_ERROR(internal::CheckBetween("num_blocks", o.num_blocks(), 0, 1000000));
  GENESIS_RETURN_IF_ERROR(
      internal::CheckRange("max_block_fraction", o.max_block_fraction(), 0.0, 1.0));
  return absl::OkStatus();
}

namespace {

struct Block {
  int32_t row, col, rows, cols;
};

// Scratch buffers reused across calls on one thread (no allocation per image).
struct ShuffleScratch {
  std::vector<Block> blocks;
  std::vector<float> original;
  std::vector<uint64_t> written;
  std::vector<int32_t> targets;  // Offsets (in the image) of a block's unwritten pixels.
  std::vector<float> values;     // A block's original pixels.
};

}  // namespace

bool ApplyLocalShuffle(const LocalShuffleOptions& o, Slice& image, RandomStream& rng) {
  if (!rng.Bernoulli(o.prob())) return false;
  FastRandom fast(rng.Fork());
  const int64_t rows = image.height, cols = image.width;
  if (rows <= 0 || cols <= 0 || o.num_blocks() <= 0) return true;
  const int64_t max_rows =
      std::clamp<int64_t>(internal::FloorFraction(rows, o.max_block_fraction()), 1, rows);
  const int64_t max_cols =
      std::clamp<int64_t>(internal::FloorFraction(cols, o.max_block_fraction()), 1, cols);

  thread_local ShuffleScratch s;
  s.blocks.resize(o.num_blocks());
  for (Block& b : s.blocks) {
    b.rows = static_cast<int32_t>(1 + fast.Below(max_rows));
    b.cols = static_cast<int32_t>(1 + fast.Below(max_cols));
    b.row = static_cast<int32_t>(fast.Below(rows - b.rows + 1));
    b.col = static_cast<int32_t>(fast.Below(cols - b.cols + 1));
  }
  s.original.assign(image.pixels.begin(), image.pixels.end());
  // One bit per pixel: already written by a later block.
  const int64_t words_per_row = (cols + 63) / 64;
  s.written.assign(rows * words_per_row, 0);
  s.targets.resize(max_rows * max_cols);
  s.values.resize(max_rows * max_cols);

  const float* original = s.original.data();
  float* out = image.pixels.data();
  int64_t remaining = rows * cols;  // Pixels no visited block wrote yet.
  for (auto it = s.blocks.rbegin(); it != s.blocks.rend() && remaining > 0; ++it) {
    const Block& b = *it;
    int32_t k = 0;
    for (int32_t r = 0; r < b.rows; ++r) {
      const int64_t row_offset = (b.row + r) * cols;
      uint64_t* bits = s.written.data() + (b.row + r) * words_per_row;
      int64_t c = b.col;
      const int64_t end = b.col + b.cols;
      while (c < end) {
        const int64_t word = c >> 6, bit = c & 63;
        const int64_t span = std::min<int64_t>(64 - bit, end - c);
        const uint64_t mask = (span == 64 ? ~uint64_t{0} : ((uint64_t{1} << span) - 1)) << bit;
        uint64_t fresh = ~bits[word] & mask;
        bits[word] |= mask;
        while (fresh != 0) {
          s.targets[k++] = static_cast<int32_t>(row_offset + word * 64 + __builtin_ctzll(fresh));
          fresh &= fresh - 1;
        }
        c += span;
      }
    }
    if (k == 0) continue;
    remaining -= k;
    const int32_t n = b.rows * b.cols;
    float* values = s.values.data();
    for (int32_t r = 0; r < b.rows; ++r) {
      std::memcpy(values + r * b.cols, original + (b.row + r) * cols + b.col,
                  b.cols * sizeof(float));
    }
    for (int32_t j = 0; j < k; ++j) {
      const int32_t pick = j + static_cast<int32_t>(fast.Below(n - j));
      std::swap(values[j], values[pick]);
      out[s.targets[j]] = values[j];
    }
  }
  return true;
}

namespace {

class LocalShuffle : public PretextTask {
 public:
  explicit LocalShuffle(const LocalShuffleOptions& options) : options_(options) {}
  static absl::Status Validate(const LocalShuffleOptions& o) {
    return ValidateLocalShuffleOptions(o);
  }
  void Apply(Slice& input, Slice& target, RandomStream& rng) const override {
    ApplyLocalShuffle(options_, input, rng);
  }

 private:
  LocalShuffleOptions options_;
};

}  // namespace
}  // namespace genesis

GENESIS_REGISTER_PRETEXT_TASK(genesis::LocalShuffle, "local_shuffle", genesis::LocalShuffleOptions,
                              "Models Genesis local pixel shuffling (p 0.5, 10000 blocks).");
