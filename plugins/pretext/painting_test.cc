// In-/out-painting: outside boxes untouched, inside restored windows identical, noise in
// [0, 1), official sizes, margins, counts and probabilities.
#include "plugins/pretext/painting.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "plugins/pretext/in_painting.h"
#include "plugins/pretext/out_painting.h"
#include "plugins/pretext/test_util.h"

namespace genesis {
namespace {

using testing_util::ExpectFrequency;
using testing_util::MakeTask;
using testing_util::RandomImage;

bool InAny(const std::vector<Box>& boxes, int64_t row, int64_t col) {
  for (const Box& b : boxes) {
    if (b.Contains(row, col)) return true;
  }
  return false;
}

TEST(InPaintingTest, OnlyBoxesChangeAndTheyHoldUniformNoise) {
  const int64_t w = 224, h = 160;
  // Pixels of 2.0 can never be produced by [0, 1) noise: every painted pixel is visible.
  const Slice original(w, h, 2.0f);
  int counts[6] = {0, 0, 0, 0, 0, 0};
  const int n = 2000;
  for (int i = 0; i < n; ++i) {
    Slice image = original;
    std::vector<Box> boxes;
    RandomStream rng(3, RandomStream::kPretext, 0, i);
    InPaint(InPaintingOptions(), image, rng, &boxes);
    ASSERT_LE(boxes.size(), 5u);
    ++counts[boxes.size()];
    for (const Box& b : boxes) {
      EXPECT_GE(b.rows, h / 6);
      EXPECT_LE(b.rows, h / 3);
      EXPECT_GE(b.cols, w / 6);
      EXPECT_LE(b.cols, w / 3);
      EXPECT_GE(b.row, 3);
      EXPECT_GE(b.col, 3);
      EXPECT_LE(b.row + b.rows, h - 3);
      EXPECT_LE(b.col + b.cols, w - 3);
    }
    if (i >= 50) continue;  // Pixel-level checks on a subset.
    double sum = 0;
    int64_t painted = 0;
    for (int64_t y = 0; y < h; ++y) {
      for (int64_t x = 0; x < w; ++x) {
        const float v = image.at(x, y);
        if (InAny(boxes, y, x)) {
          ASSERT_GE(v, 0.0f);
          ASSERT_LT(v, 1.0f);
          sum += v;
          ++painted;
        } else {
          ASSERT_EQ(v, 2.0f) << "outside the boxes at " << x << "," << y;
        }
      }
    }
    if (painted > 1000) {
      EXPECT_NEAR(sum / painted, 0.5, 0.05);
    }
  }
  // P(k boxes) = 0.95^k 0.05 for k < 5, 0.95^5 for 5.
  for (int k = 0; k < 5; ++k) {
    ExpectFrequency(counts[k], n, std::pow(0.95, k) * 0.05, absl::StrCat(k, " boxes"));
  }
  ExpectFrequency(counts[5], n, std::pow(0.95, 5), "5 boxes");
}

TEST(OutPaintingTest, RestoredWindowsAreIdenticalAndTheRestIsNoise) {
  const int64_t w = 224, h = 192;
  const Slice original = RandomImage(w, h, 4);
  int counts[6] = {0, 0, 0, 0, 0, 0};
  const int n = 2000;
  for (int i = 0; i < n; ++i) {
    Slice image = original;
    std::vector<Box> windows;
    RandomStream rng(5, RandomStream::kPretext, 0, i);
    OutPaint(OutPaintingOptions(), image, rng, &windows);
    ASSERT_GE(windows.size(), 1u);  // The first window is always restored.
    ASSERT_LE(windows.size(), 5u);
    ++counts[windows.size()];
    for (const Box& b : windows) {
      EXPECT_GE(b.rows, h - 4 * h / 7);
      EXPECT_LE(b.rows, h - 3 * h / 7);
      EXPECT_GE(b.cols, w - 4 * w / 7);
      EXPECT_LE(b.cols, w - 3 * w / 7);
      EXPECT_GE(b.row, 3);
      EXPECT_LE(b.row + b.rows, h - 3);
      EXPECT_GE(b.col, 3);
      EXPECT_LE(b.col + b.cols, w - 3);
    }
    if (i >= 50) continue;
    int64_t same_outside = 0, outside = 0;
    for (int64_t y = 0; y < h; ++y) {
      for (int64_t x = 0; x < w; ++x) {
        const float v = image.at(x, y);
        if (InAny(windows, y, x)) {
          ASSERT_EQ(v, original.at(x, y)) << "inside a window at " << x << "," << y;
        } else {
          ASSERT_GE(v, 0.0f);
          ASSERT_LT(v, 1.0f);
          ++outside;
          same_outside += v == original.at(x, y);
        }
      }
    }
    EXPECT_GT(outside, w * h / 4);
    EXPECT_LT(same_outside, 5);  // Fresh noise, not the original.
  }
  // 1 + Geometric(0.95) truncated at 5: P(k) = 0.95^(k-1) 0.05 for k < 5.
  for (int k = 1; k < 5; ++k) {
    ExpectFrequency(counts[k], n, std::pow(0.95, k - 1) * 0.05, absl::StrCat(k, " windows"));
  }
  ExpectFrequency(counts[5], n, std::pow(0.95, 4), "5 windows");
}

TEST(PaintingTest, OfficialProbabilitiesAndVisibleEffect) {
  const PaintingOptions o;  // 0.9, in-painting share 0.2
  const int64_t size = 64;
  const Slice original(size, size, 2.0f);
  const int n = 5000;
  int none = 0, in = 0, out = 0;
  for (int i = 0; i < n; ++i) {
    Slice image = original;
    RandomStream rng(6, RandomStream::kPretext, 0, i);
    const PaintingOutcome what = ApplyPainting(o, image, rng);
    int64_t noise = 0;
    for (float v : image.pixels) noise += v < 1.0f;
    const double fraction = static_cast<double>(noise) / (size * size);
    switch (what) {
      case PaintingOutcome::kNone:
        ++none;
        ASSERT_EQ(noise, 0);
        break;
      case PaintingOutcome::kInPainting:
        ++in;
        ASSERT_LE(fraction, 5.0 / 9.0);  // <= 5 boxes of <= 1/9 of the area.
        break;
      case PaintingOutcome::kOutPainting:
        ++out;
        ASSERT_GE(fraction, 1.0 - 5 * (4.0 / 7) * (4.0 / 7));
        ASSERT_GT(fraction, 0.0);
        break;
    }
  }
  ExpectFrequency(none, n, 0.1, "not painted");
  ExpectFrequency(in, n, 0.18, "in-painted");
  ExpectFrequency(out, n, 0.72, "out-painted");
}

TEST(PaintingTest, StandalonePluginsHonourProb) {
  InPaintingOptions in;
  in.set_prob(0.0);
  OutPaintingOptions out;
  out.set_prob(0.0);
  const Slice original = RandomImage(32, 32, 2);
  std::vector<std::unique_ptr<PretextTask>> tasks;
  tasks.push_back(MakeTask("in_painting", in));
  tasks.push_back(MakeTask("out_painting", out));
  for (const auto& task : tasks) {
    Slice input = original, target = original;
    RandomStream rng(1, RandomStream::kPretext);
    task->Apply(input, target, rng);
    EXPECT_EQ(input.pixels, original.pixels);
  }
  // Default prob 1: out-painting always changes the image.
  auto task = MakeTask("out_painting", OutPaintingOptions());
  Slice input = original, target = original;
  RandomStream rng(1, RandomStream::kPretext);
  task->Apply(input, target, rng);
  EXPECT_NE(input.pixels, original.pixels);
  EXPECT_EQ(target.pixels, original.pixels);
}

TEST(PaintingTest, ValidateNamesTheField) {
  InPaintingOptions in;
  in.set_max_boxes(0);
  EXPECT_EQ(ValidateInPaintingOptions(in).message(), "max_boxes: must be >= 1, got 0");
  OutPaintingOptions out;
  out.set_min_cut_fraction(0.6);
  EXPECT_EQ(ValidateOutPaintingOptions(out).message(),
            "max_cut_fraction: must be >= min_cut_fraction (0.6), got 0.571429");
  PaintingOptions painting;
  painting.mutable_in_painting()->set_margin(-1);
  EXPECT_EQ(ValidatePaintingOptions(painting).message(),
            "in_painting.margin: must be >= 0, got -1");
}

}  // namespace
}  // namespace genesis
