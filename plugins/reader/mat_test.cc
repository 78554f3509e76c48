// "mat" reader on generated fixtures: MATLAB v5 (scipy.io.savemat) and a realistic v7.3
// (HDF5 with the 512-byte MATLAB userblock, as MATLAB writes Brain Tumor figshare files).
// MATLAB arrays are (y, x, z[, t]); fixtures hold f = x + 10 y + 100 z (+ 1000 t).
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "core/image_reader.h"
#include "core/read_hints.h"
#include "core/registry.h"
#include "gtest/gtest.h"
#include "plugins/reader/mat.pb.h"
#include "plugins/reader/test_util.h"

namespace genesis {
namespace {

absl::StatusOr<std::vector<Volume>> ReadWith(const MatReaderOptions& options,
                                             const std::string& path) {
  auto reader = Registry<ImageReader>::Get().Create("mat", options);
  if (!reader.ok()) return reader.status();
  EXPECT_TRUE((*reader)->CanRead(path));
  return (*reader)->Read(path);
}

void ExpectF(const Volume& v, int depth, double offset, int z_offset = 0) {
  ASSERT_EQ(v.size, (std::array<int64_t, 3>{5, 4, depth}));
  for (int z = 0; z < depth; ++z) {
    for (int y = 0; y < 4; ++y) {
      for (int x = 0; x < 5; ++x) {
        ASSERT_EQ(v.at(x, y, z), static_cast<float>(x + 10 * y + 100 * (z + z_offset) + offset))
            << "(" << x << "," << y << "," << z << ")";
      }
    }
  }
}

TEST(MatReaderTest, V5DefaultPicksLargestArray) {
  GENESIS_REQUIRE_FIXTURES(dir);
  auto volumes = ReadWith(MatReaderOptions(), dir + "/mat/v5.mat");
  ASSERT_TRUE(volumes.ok()) << volumes.status();
  ASSERT_EQ(volumes->size(), 1u);
  ExpectF((*volumes)[0], 3, -50);  // "img" (4x5x3) beats "cjdata.image" (4x5).
  EXPECT_EQ((*volumes)[0].bits_stored, 16);
}

TEST(MatReaderTest, V5DottedStructPath) {
  GENESIS_REQUIRE_FIXTURES(dir);
  MatReaderOptions options;
  options.set_variable("cjdata.image");
  auto volumes = ReadWith(options, dir + "/mat/v5.mat");
  ASSERT_TRUE(volumes.ok()) << volumes.status();
  ASSERT_EQ(volumes->size(), 1u);
  ExpectF((*volumes)[0], 1, -50);
}

TEST(MatReaderTest, V73FigshareStyleStruct) {
  GENESIS_REQUIRE_FIXTURES(dir);
  MatReaderOptions options;
  options.set_variable("cjdata.image");
  options.set_modality("MR");
  auto volumes = ReadWith(options, dir + "/mat/v73.mat");
  ASSERT_TRUE(volumes.ok()) << volumes.status();
  ASSERT_EQ(volumes->size(), 1u);
  ExpectF((*volumes)[0], 1, -50);
  EXPECT_EQ((*volumes)[0].bits_stored, 16);
  EXPECT_EQ((*volumes)[0].modality, Modality::kMR);
  // Default choice: the largest non-logical numeric array is cjdata.image, not the mask.
  auto by_default = ReadWith(MatReaderOptions(), dir + "/mat/v73.mat");
  ASSERT_TRUE(by_default.ok()) << by_default.status();
  ExpectF((*by_default)[0], 1, -50);
}

TEST(MatReaderTest, CardiacYxztTimeModes) {
  GENESIS_REQUIRE_FIXTURES(dir);
  const std::string path = dir + "/mat/sol_yxzt_pat1.mat";
  MatReaderOptions options;
  auto per_frame = ReadWith(options, path);
  ASSERT_TRUE(per_frame.ok()) << per_frame.status();
  ASSERT_EQ(per_frame->size(), 2u);
  ExpectF((*per_frame)[0], 3, 0);
  ExpectF((*per_frame)[1], 3, 1000);
  EXPECT_EQ((*per_frame)[0].bits_stored, 0);  // double

  options.set_time_mode(MatReaderOptions::FRAMES_AS_SLICES);
  auto stacked = ReadWith(options, path);
  ASSERT_TRUE(stacked.ok()) << stacked.status();
  ASSERT_EQ(stacked->size(), 1u);
  ASSERT_EQ((*stacked)[0].size, (std::array<int64_t, 3>{5, 4, 6}));
  EXPECT_EQ((*stacked)[0].at(1, 2, 2), 1 + 20 + 200);
  EXPECT_EQ((*stacked)[0].at(1, 2, 3), 1 + 20 + 0 + 1000);  // frame 1, z 0

  options.set_time_mode(MatReaderOptions::FIRST_FRAME);
  auto first = ReadWith(options, path);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->size(), 1u);
  ExpectF((*first)[0], 3, 0);
}

TEST(MatReaderTest, MissingVariableAndNonStructPathAreErrors) {
  GENESIS_REQUIRE_FIXTURES(dir);
  const std::string path = dir + "/mat/v5.mat";
  MatReaderOptions options;
  options.set_variable("nope");
  auto missing = ReadWith(options, path);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(absl::StrContains(missing.status().message(), path)) << missing.status();
  EXPECT_TRUE(absl::StrContains(missing.status().message(), "nope")) << missing.status();
  EXPECT_TRUE(absl::StrContains(missing.status().message(), "cjdata")) << missing.status();

  options.set_variable("img.field");
  auto not_struct = ReadWith(options, path);
  ASSERT_FALSE(not_struct.ok());
  EXPECT_TRUE(absl::StrContains(not_struct.status().message(), "not a struct"));

  options.set_variable("cjdata.PID");  // char array
  auto chars = ReadWith(options, path);
  ASSERT_FALSE(chars.ok());

  options.set_variable("cjdata..image");
  auto bad = Registry<ImageReader>::Get().Create("mat", options);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::StartsWith(bad.status().message(), "variable:")) << bad.status();
}

// Read hints from a dataset source (core/read_hints.h): the variable and the axis order.
absl::StatusOr<std::vector<Volume>> ReadHinted(const MatReaderOptions& options,
                                               const std::string& path, const ReadHints& hints) {
  auto reader = Registry<ImageReader>::Get().Create("mat", options);
  if (!reader.ok()) return reader.status();
  return (*reader)->ReadWithHints(path, hints);
}

TEST(MatReaderTest, MatVariableHintPicksTheVariableOverOptionAndDefault) {
  GENESIS_REQUIRE_FIXTURES(dir);
  const std::string path = dir + "/mat/v5.mat";
  ReadHints hints;
  hints.mat_variable = "cjdata.image";
  auto hinted = ReadHinted(MatReaderOptions(), path, hints);
  ASSERT_TRUE(hinted.ok()) << hinted.status();
  ASSERT_EQ(hinted->size(), 1u);
  ExpectF((*hinted)[0], 1, -50);  // cjdata.image, one slice.
  MatReaderOptions img;
  img.set_variable("img");
  auto over_option = ReadHinted(img, path, hints);
  ASSERT_TRUE(over_option.ok()) << over_option.status();
  ExpectF((*over_option)[0], 1, -50);
  // Without the hint the same file gives the 3-slice "img": a dropped hint shows.
  auto plain = ReadHinted(MatReaderOptions(), path, ReadHints());
  ASSERT_TRUE(plain.ok()) << plain.status();
  ExpectF((*plain)[0], 3, -50);

  hints.mat_variable = "cjdata..image";
  auto bad = ReadHinted(MatReaderOptions(), path, hints);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            path + ": read hint mat_variable: empty name in dotted path 'cjdata..image'");
}

TEST(MatReaderTest, AxesHintReordersTheArray) {
  GENESIS_REQUIRE_FIXTURES(dir);
  const std::string path = dir + "/mat/axes_xytz.mat";  // sol_yxzt's frames stored (x, y, t, z).
  ReadHints hints;
  hints.axes = AxisOrder{ImageAxis::kX, ImageAxis::kY, ImageAxis::kT, ImageAxis::kZ};
  auto per_frame = ReadHinted(MatReaderOptions(), path, hints);
  ASSERT_TRUE(per_frame.ok()) << per_frame.status();
  ASSERT_EQ(per_frame->size(), 2u);
  ExpectF((*per_frame)[0], 3, 0);
  ExpectF((*per_frame)[1], 3, 1000);
  MatReaderOptions stacked_options;
  stacked_options.set_time_mode(MatReaderOptions::FRAMES_AS_SLICES);
  auto stacked = ReadHinted(stacked_options, path, hints);
  ASSERT_TRUE(stacked.ok()) << stacked.status();
  ASSERT_EQ((*stacked)[0].size, (std::array<int64_t, 3>{5, 4, 6}));
  EXPECT_EQ((*stacked)[0].at(1, 2, 2), 1 + 20 + 200);
  EXPECT_EQ((*stacked)[0].at(1, 2, 3), 1 + 20 + 0 + 1000);  // frame 1, z 0
  // Without the hint the dimensions are taken as (y, x, z, t): transposed, 3 "frames".
  auto plain = ReadHinted(MatReaderOptions(), path, ReadHints());
  ASSERT_TRUE(plain.ok()) << plain.status();
  ASSERT_EQ(plain->size(), 3u);
  EXPECT_EQ((*plain)[0].size, (std::array<int64_t, 3>{4, 5, 2}));
  // The MATLAB order as a hint is the default, on the cardiac fixture too.
  hints.axes = AxisOrder{ImageAxis::kY, ImageAxis::kX, ImageAxis::kZ, ImageAxis::kT};
  auto yxzt = ReadHinted(MatReaderOptions(), dir + "/mat/sol_yxzt_pat1.mat", hints);
  ASSERT_TRUE(yxzt.ok()) << yxzt.status();
  ASSERT_EQ(yxzt->size(), 2u);
  ExpectF((*yxzt)[1], 3, 1000);

  hints.axes = AxisOrder{ImageAxis::kX, ImageAxis::kY, ImageAxis::kT};
  auto too_few = ReadHinted(MatReaderOptions(), path, hints);
  ASSERT_FALSE(too_few.ok());
  EXPECT_EQ(too_few.status().message(),
            path + ": variable 'vol' has rank 4 but the axes hint 'xyt' names 3 dimensions");
  hints.axes = AxisOrder{ImageAxis::kX, ImageAxis::kX, ImageAxis::kT, ImageAxis::kZ};
  auto twice = ReadHinted(MatReaderOptions(), path, hints);
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().message(), path + ": axes 'xxtz': axis x appears twice");
}

// Found by tools/fuzz/mat_fuzzer (slow units of 12-16 s and 1.9 GB): a file whose header is not
// a v5 / v7.3 one went to libmatio's Mat_Open, which then tried the v4 format and allocated
// and cleared gigabytes sized by arbitrary bytes. Such headers are refused before libmatio.
TEST(MatReaderTest, HeadersOtherThanV5AndV73AreRefusedBeforeLibmatio) {
  GENESIS_REQUIRE_FIXTURES(dir);
  const std::string tmp = std::getenv("TEST_TMPDIR");
  std::ifstream in(dir + "/mat/v5.mat", std::ios::binary);
  std::string v5((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(v5.size(), 128u);

  std::string v4 = v5;
  v4.replace(0, 4, std::string(4, '\0'));  // A v4 header: type 0, then 'MATL' rows, ...
  v4[124] = '\0';
  v4[125] = '\0';  // No v5 version.
  std::ofstream(tmp + "/v4.mat", std::ios::binary) << v4;
  auto refused = ReadWith(MatReaderOptions(), tmp + "/v4.mat");
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(absl::StrContains(refused.status().message(),
                                tmp + "/v4.mat: not a MATLAB v5, v7 or v7.3 MAT-file"))
      << refused.status();

  std::ofstream(tmp + "/short.mat", std::ios::binary) << v5.substr(0, 100);
  auto short_header = ReadWith(MatReaderOptions(), tmp + "/short.mat");
  ASSERT_FALSE(short_header.ok());
  EXPECT_TRUE(absl::StrContains(short_header.status().message(),
                                tmp + "/short.mat: truncated header (100 bytes"))
      << short_header.status();
}

// A truncated or corrupt MATLAB 7.3 file is named as such, not as "no numeric array in the file"
// (libmatio opens it and lists no variables).
TEST(MatReaderTest, TruncatedOrCorruptV73IsDataLossSayingWhy) {
  GENESIS_REQUIRE_FIXTURES(dir);
  const std::string tmp = std::getenv("TEST_TMPDIR");
  std::ifstream in(dir + "/mat/v73.mat", std::ios::binary);
  const std::string v73((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(v73.size(), 1024u);
  ASSERT_TRUE(ReadWith(MatReaderOptions(), dir + "/mat/v73.mat").ok());

  std::ofstream(tmp + "/v73_half.mat", std::ios::binary) << v73.substr(0, v73.size() / 2);
  auto half = ReadWith(MatReaderOptions(), tmp + "/v73_half.mat");
  EXPECT_EQ(half.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(half.status().message(),
            tmp + "/v73_half.mat: truncated: its HDF5 data (MATLAB 7.3) ends at byte " +
                std::to_string(v73.size()) + ", the file has " + std::to_string(v73.size() / 2) +
                " bytes");

  std::ofstream(tmp + "/v73_header.mat", std::ios::binary) << v73.substr(0, 530);
  auto header = ReadWith(MatReaderOptions(), tmp + "/v73_header.mat");
  EXPECT_EQ(header.status().message(),
            tmp + "/v73_header.mat: truncated: the file ends inside its HDF5 superblock");

  std::string smashed = v73;
  smashed.replace(512, 8, "NOTHDF5!");
  std::ofstream(tmp + "/v73_smashed.mat", std::ios::binary) << smashed;
  auto no_superblock = ReadWith(MatReaderOptions(), tmp + "/v73_smashed.mat");
  EXPECT_EQ(no_superblock.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(no_superblock.status().message(),
                                tmp + "/v73_smashed.mat: a MATLAB 7.3 header but no HDF5 "
                                      "superblock after it"))
      << no_superblock.status();
}

}  // namespace
}  // namespace genesis
