// Bezier non-linear mapping: monotone with the right ends, equal to the official 100000-point
// construction, identity for a straight curve, probabilities, replay.
#include "plugins/pretext/nonlinear.h"

#include <algorithm>

#include "gtest/gtest.h"
#include "plugins/pretext/nonlinear.pb.h"
#include "plugins/pretext/test_util.h"

namespace genesis {
namespace {

using testing_util::ExpectFrequency;
using testing_util::MakeTask;
using testing_util::RandomImage;

// The official construction, literally: bernstein_poly with t in linspace(0, 1, n), xvals
// sorted (and yvals sorted unless inverting), np.interp.
struct OfficialCurve {
  std::vector<double> xs, ys;
  OfficialCurve(const std::array<double, 4>& c, bool inverted, int n = 100000) {
    xs.resize(n);
    ys.resize(n);
    for (int i = 0; i < n; ++i) {
      const double t = static_cast<double>(i) / (n - 1);
      // Point i of [(0,0), p1, p2, (1,1)] has weight comb(3, i) t^(3-i) (1-t)^i.
      const double w0 = t * t * t, w1 = 3 * t * t * (1 - t), w2 = 3 * t * (1 - t) * (1 - t),
                   w3 = (1 - t) * (1 - t) * (1 - t);
      xs[i] = w0 * 0 + w1 * c[0] + w2 * c[2] + w3 * 1;
      ys[i] = w0 * 0 + w1 * c[1] + w2 * c[3] + w3 * 1;
    }
    std::sort(xs.begin(), xs.end());
    if (!inverted) std::sort(ys.begin(), ys.end());
  }
  double Interp(double x) const {  // np.interp
    if (x <= xs.front()) return ys.front();
    if (x >= xs.back()) return ys.back();
    const size_t k = std::upper_bound(xs.begin(), xs.end(), x) - xs.begin();
    const double dx = xs[k] - xs[k - 1];
    return dx > 0 ? ys[k - 1] + (x - xs[k - 1]) / dx * (ys[k] - ys[k - 1]) : ys[k];
  }
};

std::array<double, 4> RandomControl(RandomStream& rng) {
  return {rng.Uniform(), rng.Uniform(), rng.Uniform(), rng.Uniform()};
}

TEST(BezierLutTest, MonotoneWithOfficialEnds) {
  RandomStream rng(3, RandomStream::kAugment);
  std::vector<float> lut;
  for (int trial = 0; trial < 200; ++trial) {
    const auto control = RandomControl(rng);
    for (bool inverted : {false, true}) {
      BuildBezierLut(control, inverted, 8192, &lut);
      ASSERT_EQ(lut.size(), 8193u);
      EXPECT_NEAR(lut.front(), inverted ? 1.0f : 0.0f, 1e-6);
      EXPECT_NEAR(lut.back(), inverted ? 0.0f : 1.0f, 1e-6);
      for (size_t j = 1; j < lut.size(); ++j) {
        if (inverted) {
          ASSERT_LE(lut[j], lut[j - 1] + 1e-7f) << trial << " at " << j;
        } else {
          ASSERT_GE(lut[j], lut[j - 1] - 1e-7f) << trial << " at " << j;
        }
      }
    }
  }
}

TEST(BezierLutTest, MatchesOfficialDenseConstruction) {
  RandomStream rng(4, RandomStream::kAugment);
  std::vector<float> lut;
  double worst = 0.0, sum = 0.0;
  int count = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const auto control = RandomControl(rng);
    for (bool inverted : {false, true}) {
      const OfficialCurve official(control, inverted);
      BuildBezierLut(control, inverted, 8192, &lut);
      for (int i = 0; i <= 2000; ++i) {
        const float x = i == 2000 ? 1.0f : static_cast<float>(rng.Uniform());
        const double err = std::abs(MapThroughLut(lut, x) - official.Interp(x));
        worst = std::max(worst, err);
        sum += err;
        ++count;
      }
    }
  }
  std::cout << "max |lut - official| = " << worst << ", mean = " << sum / count << "\n";
  EXPECT_LT(worst, 5e-3);
  EXPECT_LT(sum / count, 1e-4);
}

TEST(BezierLutTest, StraightCurveIsIdentityOrInversion) {
  // Control points on the diagonal at 1/3, 2/3 give the line y = x.
  std::vector<float> lut;
  BuildBezierLut({1.0 / 3, 1.0 / 3, 2.0 / 3, 2.0 / 3}, false, 4096, &lut);
  for (float x : {0.0f, 0.1f, 0.37f, 0.5f, 0.9f, 1.0f}) EXPECT_NEAR(MapThroughLut(lut, x), x, 1e-5);
  BuildBezierLut({1.0 / 3, 1.0 / 3, 2.0 / 3, 2.0 / 3}, true, 4096, &lut);
  for (float x : {0.0f, 0.1f, 0.37f, 0.5f, 0.9f, 1.0f}) {
    EXPECT_NEAR(MapThroughLut(lut, x), 1.0f - x, 1e-5);
  }
}

TEST(NonlinearTest, ImageMappingIsMonotoneInTheRequestedDirection) {
  const Slice original = RandomImage(64, 64, 1);
  std::vector<size_t> order(original.pixels.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return original.pixels[a] < original.pixels[b]; });
  for (double inversion : {0.0, 1.0}) {
    NonlinearOptions o;
    o.set_prob(1.0);
    o.set_inversion_prob(inversion);
    for (uint64_t i = 0; i < 20; ++i) {
      Slice image = original;
      RandomStream rng(2, RandomStream::kPretext, 0, i);
      EXPECT_EQ(ApplyNonlinear(o, image, rng),
                inversion > 0 ? NonlinearOutcome::kInverted : NonlinearOutcome::kIncreasing);
      for (size_t k = 1; k < order.size(); ++k) {
        const float prev = image.pixels[order[k - 1]], cur = image.pixels[order[k]];
        if (inversion > 0) {
          ASSERT_LE(cur, prev + 1e-7f);
        } else {
          ASSERT_GE(cur, prev - 1e-7f);
        }
        ASSERT_GE(cur, 0.0f);
        ASSERT_LE(cur, 1.0f);
      }
      EXPECT_NE(image.pixels, original.pixels);
    }
  }
}

TEST(NonlinearTest, OfficialProbabilities) {
  const NonlinearOptions o;  // 0.9, inversion 0.5
  const int n = 10000;
  int applied = 0, inverted = 0;
  Slice tiny(2, 2, 0.5f);
  for (int i = 0; i < n; ++i) {
    RandomStream rng(6, RandomStream::kPretext, 0, i);
    const NonlinearOutcome what = ApplyNonlinear(o, tiny, rng);
    applied += what != NonlinearOutcome::kNone;
    inverted += what == NonlinearOutcome::kInverted;
  }
  ExpectFrequency(applied, n, 0.9, "applied");
  ExpectFrequency(inverted, n, 0.45, "inverted");
}

TEST(NonlinearTest, ReplaysBitIdentically) {
  auto task = MakeTask("nonlinear", NonlinearOptions());
  const Slice original = RandomImage(40, 30, 9);
  auto run = [&](uint64_t epoch) {
    Slice input = original, target = original;
    RandomStream rng(1, RandomStream::kPretext, epoch, 0);
    task->Apply(input, target, rng);
    return input.pixels;
  };
  EXPECT_EQ(run(0), run(0));
  EXPECT_EQ(run(1), run(1));
}

TEST(NonlinearTest, ValidateNamesTheField) {
  NonlinearOptions o;
  o.set_inversion_prob(2);
  EXPECT_EQ(ValidateNonlinearOptions(o).message(), "inversion_prob: must be in [0, 1], got 2");
  o = NonlinearOptions();
  o.set_lut_size(1);
  EXPECT_EQ(ValidateNonlinearOptions(o).message(), "lut_size: must be >= 16, got 1");
}

}  // namespace
}  // namespace genesis
