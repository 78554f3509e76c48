// "deeplesion" over make_fixtures.py's Images_png (patient 1: two studies, patient 2: one).
#include "gtest/gtest.h"
#include "plugins/dataset/deeplesion.pb.h"
#include "plugins/dataset/fixture_util.h"

namespace genesis {
namespace {

using dataset::MakeFixture;
using dataset::Relative;
using dataset::ScanWith;

TEST(DeepLesionTest, SlicesPerPatient) {
  DeepLesionOptions options;
  options.set_root(MakeFixture("deeplesion"));
  auto records = ScanWith("deeplesion", options);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 2u);
  const PatientRecord& p1 = (*records)[0];
  EXPECT_EQ(p1.dataset, "DeepLesion");
  EXPECT_EQ(p1.patient_id, "000001");
  EXPECT_EQ(p1.modality, Modality::kCT);
  EXPECT_EQ(p1.body_part, "unknown");
  EXPECT_EQ(Relative(p1.files, options.root()),
            (std::vector<std::string>{
                "Images_png/000001_01_01/103.png", "Images_png/000001_01_01/104.png",
                "Images_png/000001_01_01/105.png", "Images_png/000001_01_01/106.png",
                "Images_png/000001_02_01/008.png", "Images_png/000001_02_01/009.png",
                "Images_png/000001_02_01/010.png"}));
  EXPECT_EQ(p1.slice_count, 7);
  EXPECT_EQ(p1.hints.value_offset, -32768.0f);
  EXPECT_EQ(p1.labels.count("value_offset"), 0u);
  EXPECT_EQ(p1.labels.at("series"), "000001_01_01,000001_02_01");
  EXPECT_EQ(p1.labels.at("lesions"), "2");
  EXPECT_EQ((*records)[1].patient_id, "000002");
  EXPECT_EQ((*records)[1].slice_count, 3);
  EXPECT_EQ((*records)[1].labels.at("lesions"), "1");
}

TEST(DeepLesionTest, Errors) {
  EXPECT_EQ(ScanWith("deeplesion", DeepLesionOptions()).status().message(), "root: must be set");
  const std::string dir = dataset::ScratchDir("deeplesion_broken");
  DeepLesionOptions options;
  options.set_root(dir);
  EXPECT_EQ(ScanWith("deeplesion", options).status().message(),
            "root: no Images_png folder in " + dir);
  dataset::WriteText(dir + "/Images_png/000003_01_01/001.png", "x");
  dataset::WriteText(dir + "/DL_info.csv", "File_name,Key_slice_index\n000003_01_01_001.png,1\n");
  auto no_column = ScanWith("deeplesion", options);
  EXPECT_EQ(no_column.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(no_column.status().message(),
            dir +
                "/DL_info.csv: missing column 'Patient_index' (columns: File_name, "
                "Key_slice_index)");
  options.set_info_csv("");
  dataset::WriteText(dir + "/Images_png/scans/001.png", "x");
  auto bad_folder = ScanWith("deeplesion", options);
  EXPECT_EQ(bad_folder.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_folder.status().message(),
            dir +
                "/Images_png/scans: not a DeepLesion series folder (<patient>_<study>_<series>, "
                "e.g. 000001_01_01)");
}

}  // namespace
}  // namespace genesis
