// Flip: input and target flipped alike, official number-of-flips distribution, Validate.
#include "plugins/pretext/flip.h"

#include "gtest/gtest.h"
#include "plugins/pretext/flip.pb.h"
#include "plugins/pretext/test_util.h"

namespace genesis {
namespace {

using testing_util::CoordinateImage;
using testing_util::ExpectFrequency;
using testing_util::MakeTask;

TEST(FlipImageTest, FlipsRowsAndColumns) {
  const Slice original = CoordinateImage(5, 4);
  Slice rows = original, cols = original;
  FlipImage(rows, 0);
  FlipImage(cols, 1);
  for (int64_t y = 0; y < 4; ++y) {
    for (int64_t x = 0; x < 5; ++x) {
      EXPECT_EQ(rows.at(x, y), original.at(x, 3 - y));
      EXPECT_EQ(cols.at(x, y), original.at(4 - x, y));
    }
  }
}

TEST(FlipTest, TargetIsFlippedLikeInput) {
  FlipOptions options;
  options.set_prob(1.0);
  options.set_max_flips(1);
  auto task = MakeTask("flip", options);
  const Slice original = CoordinateImage(7, 6);
  int seen_rows = 0, seen_cols = 0;
  for (uint64_t i = 0; i < 40; ++i) {
    Slice input = original, target = original;
    RandomStream rng(1, RandomStream::kPretext, 0, i);
    task->Apply(input, target, rng);
    EXPECT_EQ(input.pixels, target.pixels);
    Slice rows = original, cols = original;
    FlipImage(rows, 0);
    FlipImage(cols, 1);
    seen_rows += input.pixels == rows.pixels;
    seen_cols += input.pixels == cols.pixels;
    EXPECT_TRUE(input.pixels == rows.pixels || input.pixels == cols.pixels);
  }
  EXPECT_GT(seen_rows, 5);
  EXPECT_GT(seen_cols, 5);
}

TEST(FlipTest, NumberOfFlipsFollowsOfficialDistribution) {
  // while random() < 0.4 and cnt > 0: P(k) = 0.4^k 0.6 for k < 3, P(3) = 0.4^3.
  const FlipOptions options;  // Defaults: 0.4, 3.
  const int n = 20000;
  int counts[4] = {0, 0, 0, 0};
  Slice a(2, 2), b(2, 2);
  for (int i = 0; i < n; ++i) {
    RandomStream rng(7, RandomStream::kPretext, 0, i);
    const int flips = ApplyFlip(options, a, b, rng);
    ASSERT_GE(flips, 0);
    ASSERT_LE(flips, 3);
    ++counts[flips];
  }
  ExpectFrequency(counts[0], n, 0.6, "0 flips");
  ExpectFrequency(counts[1], n, 0.24, "1 flip");
  ExpectFrequency(counts[2], n, 0.096, "2 flips");
  ExpectFrequency(counts[3], n, 0.064, "3 flips");
}

TEST(FlipTest, ProbZeroIsIdentity) {
  FlipOptions options;
  options.set_prob(0.0);
  auto task = MakeTask("flip", options);
  const Slice original = CoordinateImage(8, 8);
  Slice input = original, target = original;
  RandomStream rng(3, RandomStream::kPretext);
  task->Apply(input, target, rng);
  EXPECT_EQ(input.pixels, original.pixels);
  EXPECT_EQ(target.pixels, original.pixels);
}

TEST(FlipTest, ValidateNamesTheField) {
  FlipOptions options;
  options.set_prob(1.5);
  EXPECT_EQ(ValidateFlipOptions(options).message(), "prob: must be in [0, 1], got 1.5");
  options.set_prob(0.4);
  options.set_max_flips(-1);
  EXPECT_EQ(ValidateFlipOptions(options).message(), "max_flips: must be >= 0, got -1");
  // The registry runs Validate before building.
  EXPECT_FALSE(Registry<PretextTask>::Get().Create("flip", options).ok());
}

}  // namespace
}  // namespace genesis
