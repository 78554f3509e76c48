// "png" and "jpeg" readers on generated fixtures: 8-bit and 16-bit gray PNG keep their exact
// values and depth, colour is converted to gray, JPEG decodes within its quantisation error.
#include <cmath>
#include <string>
#include <vector>

#include "core/image_reader.h"
#include "core/registry.h"
#include "gtest/gtest.h"
#include "plugins/reader/png.pb.h"
#include "plugins/reader/test_util.h"

namespace genesis {
namespace {

using reader_testing::MakeReader;

std::vector<Volume> Read(const std::string& reader_name, const std::string& path) {
  auto reader = MakeReader(reader_name);
  if (reader == nullptr) return {};
  EXPECT_TRUE(reader->CanRead(path));
  auto volumes = reader->Read(path);
  EXPECT_TRUE(volumes.ok()) << volumes.status();
  return volumes.ok() ? *std::move(volumes) : std::vector<Volume>{};
}

// f2d(x, y) = x + 10 y on 5 x 4 pixels.
void ExpectF2d(const Volume& v, double scale, double offset) {
  ASSERT_EQ(v.size, (std::array<int64_t, 3>{5, 4, 1}));
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 5; ++x) {
      ASSERT_EQ(v.at(x, y, 0), static_cast<float>((x + 10 * y) * scale + offset))
          << "(" << x << "," << y << ") in " << v.source;
    }
  }
}

TEST(PngReaderTest, Gray8) {
  GENESIS_REQUIRE_FIXTURES(dir);
  auto volumes = Read("png", dir + "/png/gray8.png");
  ASSERT_EQ(volumes.size(), 1u);
  ExpectF2d(volumes[0], 1, 200);
  EXPECT_EQ(volumes[0].bits_stored, 8);
}

TEST(PngReaderTest, Gray16KeepsFullRange) {
  GENESIS_REQUIRE_FIXTURES(dir);
  auto volumes = Read("png", dir + "/png/gray16.png");
  ASSERT_EQ(volumes.size(), 1u);
  ExpectF2d(volumes[0], 1000, 7);  // Up to 34007: would be clipped if read as 8-bit.
  EXPECT_EQ(volumes[0].bits_stored, 16);
}

TEST(PngReaderTest, Rgb16BecomesGray16) {
  GENESIS_REQUIRE_FIXTURES(dir);
  auto volumes = Read("png", dir + "/png/rgb16.png");
  ASSERT_EQ(volumes.size(), 1u);
  ExpectF2d(volumes[0], 1000, 7);
  EXPECT_EQ(volumes[0].bits_stored, 16);
}

TEST(PngReaderTest, ValueOffsetGivesDeepLesionHu) {
  GENESIS_REQUIRE_FIXTURES(dir);
  PngReaderOptions options;
  options.set_value_offset(-32768);
  options.set_modality("CT");
  auto reader = Registry<ImageReader>::Get().Create("png", options);
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto volumes = (*reader)->Read(dir + "/png/gray16.png");
  ASSERT_TRUE(volumes.ok()) << volumes.status();
  ExpectF2d((*volumes)[0], 1000, 7 - 32768);
  EXPECT_EQ((*volumes)[0].modality, Modality::kCT);
}

TEST(PngReaderTest, ColourAndAlphaBecomeGray) {
  GENESIS_REQUIRE_FIXTURES(dir);
  auto rgb = Read("png", dir + "/png/rgb8.png");
  ASSERT_EQ(rgb.size(), 1u);
  const Volume& v = rgb[0];
  ASSERT_EQ(v.size, (std::array<int64_t, 3>{5, 4, 1}));
  // R = G = B pixels keep their value; pure red is its luminance (0.299 * 255 = 76).
  EXPECT_NEAR(v.at(0, 0, 0), 76.0f, 2.0f);
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 5; ++x) {
      if (x == 0 && y == 0) continue;
      EXPECT_EQ(v.at(x, y, 0), static_cast<float>(x + 10 * y + 200));
    }
  }
  auto alpha = Read("png", dir + "/png/gray8_alpha.png");
  ASSERT_EQ(alpha.size(), 1u);
  ExpectF2d(alpha[0], 1, 200);
}

TEST(JpegReaderTest, GrayAndRgbWithinQuantisationError) {
  GENESIS_REQUIRE_FIXTURES(dir);
  for (const char* name : {"/jpeg/gray.jpg", "/jpeg/rgb.jpg"}) {
    auto volumes = Read("jpeg", dir + name);
    ASSERT_EQ(volumes.size(), 1u) << name;
    const Volume& v = volumes[0];
    ASSERT_EQ(v.size, (std::array<int64_t, 3>{16, 16, 1})) << name;
    EXPECT_EQ(v.bits_stored, 8);
    // 100 everywhere except the 200 square at rows/cols 8..15 (quality 100 JPEG).
    EXPECT_NEAR(v.at(2, 2, 0), 100.0f, 3.0f) << name;
    EXPECT_NEAR(v.at(12, 12, 0), 200.0f, 3.0f) << name;
    EXPECT_NEAR(v.at(12, 2, 0), 100.0f, 3.0f) << name;
    EXPECT_NEAR(v.at(2, 12, 0), 100.0f, 3.0f) << name;
  }
}

}  // namespace
}  // namespace genesis
