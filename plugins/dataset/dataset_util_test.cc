// Directory walking, ordering and header sniffing shared by the dataset sources.
#include "plugins/dataset/dataset_util.h"

#include "gtest/gtest.h"
#include "plugins/dataset/fixture_util.h"

namespace genesis {
namespace dataset {
namespace {

TEST(DatasetUtilTest, NaturalOrder) {
  std::vector<std::string> names = {"image10.png", "image2.png", "image1.png", "a",
                                    "007.png",     "010.png",    "8.png"};
  NaturalSort(&names);
  EXPECT_EQ(names, (std::vector<std::string>{"007.png", "8.png", "010.png", "a", "image1.png",
                                             "image2.png", "image10.png"}));
}

TEST(DatasetUtilTest, ExtensionsAndJunk) {
  EXPECT_EQ(StripExtension("/a/liver_0.nii.gz"), "liver_0");
  EXPECT_EQ(StripExtension("x/1.3.6.1.mhd"), "1.3.6.1");
  EXPECT_EQ(StripExtension("OAS1_0001_MR1_mpr-1_anon.hdr"), "OAS1_0001_MR1_mpr-1_anon");
  EXPECT_TRUE(IsJunk("._liver_0.nii.gz"));
  EXPECT_TRUE(IsJunk(".DS_Store"));
  EXPECT_TRUE(IsJunk("__MACOSX"));
  EXPECT_FALSE(IsJunk("liver_0.nii.gz"));
  EXPECT_EQ(ResolvePath("/data/Task03_Liver", "./imagesTr/liver_0.nii.gz"),
            "/data/Task03_Liver/imagesTr/liver_0.nii.gz");
}

TEST(DatasetUtilTest, FindsDicomSeriesFolders) {
  const std::string root = MakeFixture("cq500");
  auto dirs = FindDicomSeriesDirs(root);
  ASSERT_TRUE(dirs.ok()) << dirs.status();
  EXPECT_EQ(Relative(*dirs, root),
            (std::vector<std::string>{"CQ500-CT-1/CQ500CT1 CQ500CT1/Unknown Study/CT Plain",
                                      "CQ500CT0 CQ500CT0/Unknown Study/CT 0.625mm",
                                      "CQ500CT0 CQ500CT0/Unknown Study/CT PLAIN THIN"}));
}

TEST(DatasetUtilTest, HeaderSliceCounts) {
  const std::string luna = MakeFixture("luna16");
  auto mhd = HeaderSliceCount(
      luna + "/subset1/1.3.6.1.4.1.14519.5.2.1.6279.6001.100225287222365663678666836860.mhd");
  ASSERT_TRUE(mhd.ok()) << mhd.status();
  EXPECT_EQ(*mhd, 8);
  const std::string oasis = MakeFixture("oasis");
  auto hdr = HeaderSliceCount(oasis + "/disc1/OAS1_0001_MR1/RAW/OAS1_0001_MR1_mpr-1_anon.hdr");
  ASSERT_TRUE(hdr.ok()) << hdr.status();
  EXPECT_EQ(*hdr, 8);  // Big-endian Analyze header.
  const std::string mrnet = MakeFixture("mrnet");
  auto npy = HeaderSliceCount(mrnet + "/MRNet-v1.0/train/sagittal/0001.npy");
  ASSERT_TRUE(npy.ok()) << npy.status();
  EXPECT_EQ(*npy, 7);
  auto gz = HeaderSliceCount(MakeFixture("msd") + "/Task03_Liver/imagesTr/liver_0.nii.gz");
  ASSERT_TRUE(gz.ok());
  EXPECT_EQ(*gz, -1);  // Compressed: unknown without inflating.
}

TEST(DatasetUtilTest, CsvColumnsAreCheckedWithFileName) {
  const std::string dir = ScratchDir("csv");
  WriteText(dir + "/a.csv", "\xEF\xBB\xBFseriesuid,coordX\n1.2.3,4.5\n");
  auto ok = ReadCsvWithColumns(dir + "/a.csv", {"seriesuid", "coordX"});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->rows[0][0], "1.2.3");
  auto missing = ReadCsvWithColumns(dir + "/a.csv", {"seriesuid", "class"});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(missing.status().message(),
            dir + "/a.csv: missing column 'class' (columns: seriesuid, coordX)");
  auto absent = ReadCsvWithColumns(dir + "/b.csv", {});
  EXPECT_EQ(absent.status().code(), absl::StatusCode::kNotFound);
  WriteText(dir + "/h.csv", "0000,1\n0001,0\n");
  auto headerless = ReadHeaderlessCsv(dir + "/h.csv", {"exam", "label"});
  ASSERT_TRUE(headerless.ok()) << headerless.status();
  EXPECT_EQ(headerless->rows.size(), 2u);
  EXPECT_EQ(headerless->rows[1][0], "0001");
}

}  // namespace
}  // namespace dataset
}  // namespace genesis
