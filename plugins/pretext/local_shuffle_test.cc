// Local pixel shuffling: multiset preserved, pixels only move within a block, the fast
// reverse-order algorithm has the official algorithm's distribution, replay.
#include "plugins/pretext/local_shuffle.h"

#include <map>
#include <random>

#include "gtest/gtest.h"
#include "plugins/pretext/local_shuffle.pb.h"
#include "plugins/pretext/test_util.h"

namespace genesis {
namespace {

using testing_util::CoordinateImage;
using testing_util::ExpectFrequency;
using testing_util::MakeTask;
using testing_util::Sorted;
using testing_util::SourceIndex;

LocalShuffleOptions Always(int blocks, double fraction = 0.1) {
  LocalShuffleOptions o;
  o.set_prob(1.0);
  o.set_num_blocks(blocks);
  o.set_max_block_fraction(fraction);
  return o;
}

TEST(LocalShuffleTest, OneBlockPermutesOnlyInsideOneBlock) {
  const int64_t w = 64, h = 48;
  const Slice original = CoordinateImage(w, h);
  int changed_images = 0;
  for (uint64_t i = 0; i < 50; ++i) {
    Slice image = original;
    RandomStream rng(11, RandomStream::kPretext, 0, i);
    ASSERT_TRUE(ApplyLocalShuffle(Always(1, 0.25), image, rng));
    // Global histogram (multiset) is unchanged.
    EXPECT_EQ(Sorted(image.pixels), Sorted(original.pixels));
    // Changed pixels fit in one block (side <= dim // 4) and the values there are a
    // permutation of the original values there.
    int64_t r0 = h, r1 = -1, c0 = w, c1 = -1;
    for (int64_t y = 0; y < h; ++y) {
      for (int64_t x = 0; x < w; ++x) {
        if (image.at(x, y) == original.at(x, y)) continue;
        r0 = std::min(r0, y), r1 = std::max(r1, y), c0 = std::min(c0, x), c1 = std::max(c1, x);
      }
    }
    if (r1 < 0) continue;
    ++changed_images;
    EXPECT_LE(r1 - r0 + 1, h / 4);
    EXPECT_LE(c1 - c0 + 1, w / 4);
    std::vector<float> before, after;
    for (int64_t y = r0; y <= r1; ++y) {
      for (int64_t x = c0; x <= c1; ++x) {
        before.push_back(original.at(x, y));
        after.push_back(image.at(x, y));
      }
    }
    EXPECT_EQ(Sorted(before), Sorted(after));
  }
  EXPECT_GT(changed_images, 35);  // A block of side >= 2 almost always moves something.
}

TEST(LocalShuffleTest, PixelsMoveOnlyWithinABlockAndMostMove) {
  const int64_t w = 224, h = 224;
  const Slice original = CoordinateImage(w, h);
  Slice image = original;
  RandomStream rng(5, RandomStream::kPretext, 2, 3);
  ASSERT_TRUE(ApplyLocalShuffle(Always(10000), image, rng));
  const int64_t max_side = 224 / 10;
  int64_t moved = 0;
  for (int64_t y = 0; y < h; ++y) {
    for (int64_t x = 0; x < w; ++x) {
      const int64_t source = SourceIndex(image.at(x, y), w * h);
      const int64_t sx = source % w, sy = source / w;
      ASSERT_LT(std::abs(sx - x), max_side) << x << "," << y;
      ASSERT_LT(std::abs(sy - y), max_side) << x << "," << y;
      moved += source != y * w + x;
    }
  }
  // 10000 blocks of mean area ~132 cover the image ~26 times: nearly every pixel moves.
  EXPECT_GT(moved, w * h * 8 / 10);
}

// The official algorithm, literally: every block fully shuffled from the original, written in
// order (std::mt19937 for randomness).
void OfficialShuffle(const Slice& original, Slice& out, int blocks, int64_t max_side,
                     std::mt19937_64& gen) {
  out = original;
  const int64_t rows = original.height, cols = original.width;
  for (int b = 0; b < blocks; ++b) {
    const int64_t bx = std::uniform_int_distribution<int64_t>(1, max_side)(gen);
    const int64_t by = std::uniform_int_distribution<int64_t>(1, max_side)(gen);
    const int64_t nx = std::uniform_int_distribution<int64_t>(0, rows - bx)(gen);
    const int64_t ny = std::uniform_int_distribution<int64_t>(0, cols - by)(gen);
    std::vector<float> window;
    for (int64_t r = 0; r < bx; ++r) {
      for (int64_t c = 0; c < by; ++c) window.push_back(original.at(ny + c, nx + r));
    }
    std::shuffle(window.begin(), window.end(), gen);
    for (int64_t r = 0; r < bx; ++r) {
      for (int64_t c = 0; c < by; ++c) out.at(ny + c, nx + r) = window[r * by + c];
    }
  }
}

TEST(LocalShuffleTest, SameDistributionAsOfficialAlgorithm) {
  // 6x6 image, sides 1..3, 4 blocks: compare where the value at a few pixels comes from.
  const int64_t size = 6;
  const int blocks = 4;
  const Slice original = CoordinateImage(size, size);
  const int n = 60000;
  const std::vector<int64_t> probes = {0, 7, 14, 21, 35};
  std::map<std::pair<int64_t, int64_t>, int> fast_counts, official_counts;
  std::mt19937_64 gen(1234);
  Slice official;
  for (int i = 0; i < n; ++i) {
    Slice image = original;
    RandomStream rng(99, RandomStream::kPretext, 0, i);
    ApplyLocalShuffle(Always(blocks, 0.5), image, rng);
    OfficialShuffle(original, official, blocks, 3, gen);
    for (int64_t p : probes) {
      ++fast_counts[{p, SourceIndex(image.pixels[p], size * size)}];
      ++official_counts[{p, SourceIndex(official.pixels[p], size * size)}];
    }
  }
  // Every (probe, source) frequency agrees within binomial noise of both samples.
  std::map<std::pair<int64_t, int64_t>, int> all = official_counts;
  for (const auto& [key, hits] : fast_counts) all[key] += 0;
  for (const auto& [key, unused] : all) {
    const double p = static_cast<double>(official_counts[key]) / n;
    const double fast = static_cast<double>(fast_counts[key]) / n;
    const double pooled = std::max((p + fast) / 2, 1.0 / n);
    EXPECT_NEAR(fast, p, 5.0 * std::sqrt(2.0 * pooled * (1 - pooled) / n))
        << "pixel " << key.first << " from " << key.second;
  }
}

TEST(LocalShuffleTest, ProbabilityAndProbZero) {
  const LocalShuffleOptions options;  // prob 0.5
  int hits = 0;
  const int n = 4000;
  Slice tiny(4, 4);
  for (int i = 0; i < n; ++i) {
    RandomStream rng(8, RandomStream::kPretext, 1, i);
    hits += ApplyLocalShuffle(options, tiny, rng);
  }
  ExpectFrequency(hits, n, 0.5, "shuffled");

  LocalShuffleOptions never = Always(10000);
  never.set_prob(0.0);
  const Slice original = CoordinateImage(32, 32);
  Slice image = original;
  RandomStream rng(8, RandomStream::kPretext);
  EXPECT_FALSE(ApplyLocalShuffle(never, image, rng));
  EXPECT_EQ(image.pixels, original.pixels);
}

TEST(LocalShuffleTest, ReplaysBitIdentically) {
  auto task = MakeTask("local_shuffle", Always(10000));
  const Slice original = CoordinateImage(64, 64);
  auto run = [&](uint64_t index) {
    Slice input = original, target = original;
    RandomStream rng(42, RandomStream::kPretext, 3, index);
    task->Apply(input, target, rng);
    EXPECT_EQ(target.pixels, original.pixels);
    return input.pixels;
  };
  EXPECT_EQ(run(5), run(5));
  EXPECT_NE(run(5), run(6));
}

TEST(LocalShuffleTest, ValidateNamesTheField) {
  LocalShuffleOptions o;
  o.set_num_blocks(-1);
  EXPECT_EQ(ValidateLocalShuffleOptions(o).message(), "num_blocks: must be >= 0, got -1");
  o = LocalShuffleOptions();
  o.set_max_block_fraction(2);
  EXPECT_EQ(ValidateLocalShuffleOptions(o).message(),
            "max_block_fraction: must be in [0, 1], got 2");
  o = LocalShuffleOptions();
  o.set_prob(-0.1);
  EXPECT_EQ(ValidateLocalShuffleOptions(o).message(), "prob: must be in [0, 1], got -0.1");
}

}  // namespace
}  // namespace genesis
