// Helpers shared by the pretext task tests.
#ifndef GENESIS_PLUGINS_PRETEXT_TEST_UTIL_H_
#define GENESIS_PLUGINS_PRETEXT_TEST_UTIL_H_

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "core/pretext_task.h"
#include "core/random.h"
#include "gtest/gtest.h"

namespace genesis {
namespace testing_util {

// Every pixel a distinct value in (0, 1): value = (index + 0.5) / n, so the source position of
// any output value can be recovered with SourceIndex().
inline Slice CoordinateImage(int64_t width, int64_t height) {
  Slice image(width, height);
  const double n = static_cast<double>(width * height);
  for (int64_t i = 0; i < width * height; ++i) {
    image.pixels[i] = static_cast<float>((i + 0.5) / n);
  }
  return image;
}

inline int64_t SourceIndex(float value, int64_t n) {
  return static_cast<int64_t>(std::floor(static_cast<double>(value) * n));
}

// Uniform [0, 1) pixels from a fixed seed.
inline Slice RandomImage(int64_t width, int64_t height, uint64_t seed) {
  Slice image(width, height);
  RandomStream rng(seed, RandomStream::kAugment);
  for (float& p : image.pixels) p = rng.UniformFloat();
  return image;
}

inline std::unique_ptr<PretextTask> MakeTask(const std::string& name,
                                             const google::protobuf::Message& options) {
  auto task = Registry<PretextTask>::Get().Create(name, options);
  EXPECT_TRUE(task.ok()) << task.status();
  return task.ok() ? std::move(task).value() : nullptr;
}

inline std::vector<float> Sorted(std::vector<float> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// |observed - p| within `sigmas` binomial standard deviations of n trials.
inline void ExpectFrequency(int64_t hits, int64_t n, double p, const std::string& what,
                            double sigmas = 4.5) {
  const double observed = static_cast<double>(hits) / n;
  const double sd = std::sqrt(std::max(p * (1 - p), 1e-12) / n);
  EXPECT_NEAR(observed, p, sigmas * sd + 1e-9) << what << ": " << hits << "/" << n;
}

}  // namespace testing_util
}  // namespace genesis

#endif  // GENESIS_PLUGINS_PRETEXT_TEST_UTIL_H_
