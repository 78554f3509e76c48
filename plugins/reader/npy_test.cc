// "npy" reader on generated fixtures (tools/testdata/make_reader_fixtures.py): every dtype,
// both byte orders, C and Fortran order, header versions 1-3, 2D and 4D. The fixtures hold
// f(x, y, z) = x + 10 y + 100 z on a 5 x 4 x 3 grid, scaled per file.
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "core/image_reader.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugins/reader/test_util.h"

namespace genesis {
namespace {

using reader_testing::MakeReader;

std::vector<Volume> Read(const std::string& path) {
  auto reader = MakeReader("npy");
  if (reader == nullptr) return {};
  EXPECT_TRUE(reader->CanRead(path));
  auto volumes = reader->Read(path);
  EXPECT_TRUE(volumes.ok()) << volumes.status();
  return volumes.ok() ? *std::move(volumes) : std::vector<Volume>{};
}

void ExpectF(const Volume& v, double scale, double offset, int depth = 3) {
  ASSERT_EQ(v.size, (std::array<int64_t, 3>{5, 4, depth}));
  for (int z = 0; z < depth; ++z) {
    for (int y = 0; y < 4; ++y) {
      for (int x = 0; x < 5; ++x) {
        ASSERT_EQ(v.at(x, y, z), static_cast<float>((x + 10 * y + 100 * z) * scale + offset))
            << "(" << x << "," << y << "," << z << ") in " << v.source;
      }
    }
  }
  EXPECT_EQ(v.spacing, (std::array<double, 3>{1, 1, 1}));
  EXPECT_EQ(v.origin, (std::array<double, 3>{0, 0, 0}));
}

TEST(NpyReaderTest, Uint8Version1IsSlicesRowsColumns) {
  GENESIS_REQUIRE_FIXTURES(dir);
  auto volumes = Read(dir + "/npy/u1_v1.npy");
  ASSERT_EQ(volumes.size(), 1u);
  ExpectF(volumes[0], 1, 0);
  EXPECT_EQ(volumes[0].bits_stored, 8);
}

TEST(NpyReaderTest, BigEndianInt16) {
  GENESIS_REQUIRE_FIXTURES(dir);
  auto volumes = Read(dir + "/npy/i2_be.npy");
  ASSERT_EQ(volumes.size(), 1u);
  ExpectF(volumes[0], 1, -50);
  EXPECT_EQ(volumes[0].bits_stored, 16);
}

TEST(NpyReaderTest, Uint16AndInt32) {
  GENESIS_REQUIRE_FIXTURES(dir);
  auto u2 = Read(dir + "/npy/u2.npy");
  ASSERT_EQ(u2.size(), 1u);
  ExpectF(u2[0], 200, 0);
  auto i4 = Read(dir + "/npy/i4.npy");
  ASSERT_EQ(i4.size(), 1u);
  ExpectF(i4[0], 100000, -7);
  EXPECT_EQ(i4[0].bits_stored, 32);
}

TEST(NpyReaderTest, Float32FortranOrder) {
  GENESIS_REQUIRE_FIXTURES(dir);
  auto volumes = Read(dir + "/npy/f4_fortran.npy");
  ASSERT_EQ(volumes.size(), 1u);
  ExpectF(volumes[0], 0.5, -3.25);
  EXPECT_EQ(volumes[0].bits_stored, 0);
}

TEST(NpyReaderTest, Float64Version2AndUint8Version3) {
  GENESIS_REQUIRE_FIXTURES(dir);
  auto f8 = Read(dir + "/npy/f8_v2.npy");
  ASSERT_EQ(f8.size(), 1u);
  ExpectF(f8[0], 0.25, 0);
  auto v3 = Read(dir + "/npy/u1_v3.npy");
  ASSERT_EQ(v3.size(), 1u);
  ExpectF(v3[0], 1, 0);
}

TEST(NpyReaderTest, TwoDimensionalIsOneSlice) {
  GENESIS_REQUIRE_FIXTURES(dir);
  auto volumes = Read(dir + "/npy/u1_2d.npy");
  ASSERT_EQ(volumes.size(), 1u);
  ExpectF(volumes[0], 1, 0, /*depth=*/1);
}

TEST(NpyReaderTest, FourDimensionalGivesOneVolumePerFirstIndex) {
  GENESIS_REQUIRE_FIXTURES(dir);
  auto volumes = Read(dir + "/npy/i2_4d.npy");
  ASSERT_EQ(volumes.size(), 2u);
  ExpectF(volumes[0], 1, 0);
  ExpectF(volumes[1], 1, 1000);
}

TEST(NpyReaderTest, BoolIsZeroOne) {
  GENESIS_REQUIRE_FIXTURES(dir);
  auto volumes = Read(dir + "/npy/b1.npy");
  ASSERT_EQ(volumes.size(), 1u);
  EXPECT_EQ(volumes[0].at(0, 0, 0), 0.0f);
  EXPECT_EQ(volumes[0].at(1, 0, 0), 1.0f);
  EXPECT_EQ(volumes[0].at(1, 1, 1), 1.0f);  // 111 is odd.
  EXPECT_EQ(volumes[0].bits_stored, 1);
}

// A v1.0 .npy file with the given header dict and `data_bytes` zero bytes of data.
std::string WriteNpy(const std::string& name, const std::string& dict, size_t data_bytes) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(tmp != nullptr ? tmp : "/tmp") + "/" + name;
  std::string header = dict;
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  out << "\x93NUMPY" << '\x01' << '\x00' << static_cast<char>(header.size() & 0xff)
      << static_cast<char>(header.size() >> 8) << header << std::string(data_bytes, '\0');
  return path;
}

TEST(NpyReaderTest, ShapeWhoseProductOverflowsIsAnErrorNamingTheFile) {
  auto reader = MakeReader("npy");
  ASSERT_NE(reader, nullptr);
  for (const char* shape : {"(4611686018427387905, 4, 4)", "(9223372036854775807, 2)",
                            "(2, 2, 4611686018427387904, 2)", "(4611686018427387904,)"}) {
    const std::string path = WriteNpy(
        "overflow.npy",
        absl::StrCat("{'descr': '<f8', 'fortran_order': False, 'shape': ", shape, ", }"), 128);
    auto volumes = reader->Read(path);
    ASSERT_FALSE(volumes.ok()) << shape;
    EXPECT_THAT(std::string(volumes.status().message()), ::testing::HasSubstr(path)) << shape;
  }
}

TEST(NpyReaderTest, ShapeLargerThanTheDataIsTruncated) {
  auto reader = MakeReader("npy");
  ASSERT_NE(reader, nullptr);
  const std::string path = WriteNpy(
      "short.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 1000, 1000), }", 64);
  auto volumes = reader->Read(path);
  ASSERT_FALSE(volumes.ok());
  EXPECT_THAT(std::string(volumes.status().message()), ::testing::HasSubstr("truncated"));
}

}  // namespace
}  // namespace genesis
