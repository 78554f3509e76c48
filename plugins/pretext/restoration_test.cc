// Further restoration tasks: context restoration (patch swaps), Gaussian noise, Gaussian blur.
#include "gtest/gtest.h"
#include "plugins/pretext/context_restoration.pb.h"
#include "plugins/pretext/gaussian_blur.pb.h"
#include "plugins/pretext/gaussian_noise.pb.h"
#include "plugins/pretext/test_util.h"

namespace genesis {
namespace {

using testing_util::CoordinateImage;
using testing_util::MakeTask;
using testing_util::RandomImage;
using testing_util::Sorted;
using testing_util::SourceIndex;

TEST(ContextRestorationTest, OneSwapExchangesTwoDisjointPatches) {
  ContextRestorationOptions o;
  o.set_num_swaps(1);
  o.set_patch_fraction(0.125);  // 8x8 patches on 64x64.
  auto task = MakeTask("context_restoration", o);
  const int64_t size = 64, n = size * size;
  const Slice original = CoordinateImage(size, size);
  for (uint64_t i = 0; i < 20; ++i) {
    Slice input = original, target = original;
    RandomStream rng(3, RandomStream::kPretext, 0, i);
    task->Apply(input, target, rng);
    EXPECT_EQ(target.pixels, original.pixels);
    EXPECT_EQ(Sorted(input.pixels), Sorted(original.pixels));
    // Exactly 64 + 64 pixels moved, each by the same offset (+d or -d): two translated patches.
    int64_t moved = 0;
    std::vector<std::pair<int64_t, int64_t>> offsets;
    for (int64_t p = 0; p < n; ++p) {
      const int64_t source = SourceIndex(input.pixels[p], n);
      if (source == p) continue;
      ++moved;
      offsets.push_back({source % size - p % size, source / size - p / size});
    }
    EXPECT_EQ(moved, 128);
    int64_t forward = 0;
    for (const auto& d : offsets) {
      EXPECT_TRUE(d == offsets[0] ||
                  (d.first == -offsets[0].first && d.second == -offsets[0].second));
      forward += d == offsets[0];
    }
    EXPECT_EQ(forward, 64);
    // Disjoint: at least a patch side apart on some axis.
    EXPECT_TRUE(std::abs(offsets[0].first) >= 8 || std::abs(offsets[0].second) >= 8);
  }
}

TEST(ContextRestorationTest, ManySwapsKeepHistogramAndReplay) {
  auto task = MakeTask("context_restoration", ContextRestorationOptions());
  const Slice original = RandomImage(100, 80, 1);
  auto run = [&](uint64_t index) {
    Slice input = original, target = original;
    RandomStream rng(9, RandomStream::kPretext, 0, index);
    task->Apply(input, target, rng);
    EXPECT_EQ(Sorted(input.pixels), Sorted(original.pixels));
    EXPECT_NE(input.pixels, original.pixels);
    return input.pixels;
  };
  EXPECT_EQ(run(1), run(1));
  EXPECT_NE(run(1), run(2));
}

TEST(GaussianNoiseTest, ZeroMeanWithTheRequestedSigma) {
  GaussianNoiseOptions o;
  o.set_min_sigma(0.05);
  o.set_max_sigma(0.05);
  o.set_clip(false);
  auto task = MakeTask("gaussian_noise", o);
  const Slice original(256, 256, 0.5f);
  Slice input = original, target = original;
  RandomStream rng(1, RandomStream::kPretext);
  task->Apply(input, target, rng);
  double sum = 0, sum2 = 0, within1 = 0;
  for (float v : input.pixels) {
    const double d = v - 0.5;
    sum += d;
    sum2 += d * d;
    within1 += std::abs(d) < 0.05;
  }
  const double n = input.pixels.size();
  EXPECT_NEAR(sum / n, 0.0, 0.001);
  EXPECT_NEAR(std::sqrt(sum2 / n), 0.05, 0.001);
  EXPECT_NEAR(within1 / n, 0.6827, 0.01);  // Gaussian, not uniform.
  EXPECT_EQ(target.pixels, original.pixels);

  // Default: sigma in [0.02, 0.1] and clipped.
  auto clipped = MakeTask("gaussian_noise", GaussianNoiseOptions());
  Slice edge(64, 64, 1.0f), edge_target = edge;
  clipped->Apply(edge, edge_target, rng);
  for (float v : edge.pixels) ASSERT_LE(v, 1.0f);
  EXPECT_NE(edge.pixels, edge_target.pixels);
}

TEST(GaussianBlurTest, ImpulseSpreadsWithTheRequestedSigma) {
  GaussianBlurOptions o;
  o.set_min_sigma(1.5);
  o.set_max_sigma(1.5);
  auto task = MakeTask("gaussian_blur", o);
  Slice input(41, 41, 0.0f);
  input.at(20, 20) = 1.0f;
  Slice target = input;
  RandomStream rng(1, RandomStream::kPretext);
  task->Apply(input, target, rng);
  double mass = 0, var_x = 0, var_y = 0;
  for (int64_t y = 0; y < 41; ++y) {
    for (int64_t x = 0; x < 41; ++x) {
      const double v = input.at(x, y);
      mass += v;
      var_x += v * (x - 20) * (x - 20);
      var_y += v * (y - 20) * (y - 20);
    }
  }
  EXPECT_NEAR(mass, 1.0, 1e-5);
  EXPECT_NEAR(var_x / mass, 2.25, 0.05);
  EXPECT_NEAR(var_y / mass, 2.25, 0.05);
  EXPECT_NEAR(input.at(21, 20), input.at(19, 20), 1e-7);  // Symmetric.
  EXPECT_EQ(target.at(20, 20), 1.0f);

  // A constant image stays constant (mirrored borders, kernel sums to 1).
  Slice flat(30, 20, 0.7f), flat_target = flat;
  auto default_task = MakeTask("gaussian_blur", GaussianBlurOptions());
  default_task->Apply(flat, flat_target, rng);
  for (float v : flat.pixels) ASSERT_NEAR(v, 0.7f, 1e-6);
}

TEST(RestorationTest, ValidateNamesTheField) {
  ContextRestorationOptions c;
  c.set_num_swaps(-1);
  EXPECT_FALSE(Registry<PretextTask>::Get().Create("context_restoration", c).ok());
  EXPECT_EQ(Registry<PretextTask>::Get().Create("context_restoration", c).status().message(),
            "num_swaps: must be >= 0, got -1");
  GaussianNoiseOptions g;
  g.set_min_sigma(0.3);
  g.set_max_sigma(0.2);
  EXPECT_EQ(Registry<PretextTask>::Get().Create("gaussian_noise", g).status().message(),
            "max_sigma: must be >= min_sigma (0.3), got 0.2");
  GaussianBlurOptions b;
  b.set_truncate(0);
  EXPECT_EQ(Registry<PretextTask>::Get().Create("gaussian_blur", b).status().message(),
            "truncate: must be in [0.5, 10], got 0");
}

}  // namespace
}  // namespace genesis
