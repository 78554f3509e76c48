// "chestxray14" over make_fixtures.py's six images of three patients.
#include "gtest/gtest.h"
#include "plugins/dataset/chestxray14.pb.h"
#include "plugins/dataset/fixture_util.h"

namespace genesis {
namespace {

using dataset::MakeFixture;
using dataset::Relative;
using dataset::ScanWith;

TEST(ChestXray14Test, GroupsImagesPerPatientByFollowUp) {
  ChestXray14Options options;
  options.set_root(MakeFixture("chestxray14"));
  auto records = ScanWith("chestxray14", options);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 3u);
  const PatientRecord& p1 = (*records)[0];
  EXPECT_EQ(p1.dataset, "ChestX-ray14");
  EXPECT_EQ(p1.patient_id, "1");
  EXPECT_EQ(p1.modality, Modality::kXRay);
  EXPECT_EQ(p1.body_part, "chest");
  EXPECT_EQ(Relative(p1.files, options.root()),
            (std::vector<std::string>{"images/00000001_000.png", "images/00000001_001.png",
                                      "images/00000001_002.png"}));
  EXPECT_EQ(p1.slice_count, 3);
  EXPECT_EQ(p1.labels.at("file_labels"),
            "Cardiomegaly,Cardiomegaly|Emphysema,Cardiomegaly|Effusion");
  EXPECT_EQ(p1.labels.at("view_positions"), "PA,PA,PA");
  EXPECT_EQ((*records)[1].patient_id, "2");
  EXPECT_EQ((*records)[1].labels.at("file_labels"), "No Finding");
  // Patient 3's rows are out of order in the CSV; files follow "Follow-up #".
  EXPECT_EQ((*records)[2].patient_id, "3");
  EXPECT_EQ(Relative((*records)[2].files, options.root()),
            (std::vector<std::string>{"images/00000003_000.png", "images/00000003_001.png"}));
  EXPECT_EQ((*records)[2].labels.at("view_positions"), "PA,AP");
}

TEST(ChestXray14Test, Errors) {
  EXPECT_EQ(ScanWith("chestxray14", ChestXray14Options()).status().message(), "root: must be set");
  const std::string dir = dataset::ScratchDir("cxr14_broken");
  ChestXray14Options options;
  options.set_root(dir);
  auto no_csv = ScanWith("chestxray14", options);
  EXPECT_EQ(no_csv.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(no_csv.status().message(), dir + "/Data_Entry_2017.csv: missing CSV file");

  dataset::WriteText(dir + "/Data_Entry_2017.csv",
                     "Image Index,Finding Labels,Follow-up #\n00000001_000.png,Hernia,0\n");
  auto no_column = ScanWith("chestxray14", options);
  EXPECT_EQ(no_column.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(no_column.status().message(),
            dir +
                "/Data_Entry_2017.csv: missing column 'Patient ID' (columns: Image Index, "
                "Finding Labels, Follow-up #)");

  dataset::WriteText(dir + "/Data_Entry_2017.csv",
                     "Image Index,Finding Labels,Follow-up #,Patient ID\n"
                     "00000001_000.png,Hernia,0,1\n");
  auto missing = ScanWith("chestxray14", options);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), dir +
                                            "/Data_Entry_2017.csv:2: image '00000001_000.png' "
                                            "not found under " +
                                            dir);
  options.set_skip_missing_images(true);
  auto skipped = ScanWith("chestxray14", options);
  ASSERT_TRUE(skipped.ok()) << skipped.status();
  EXPECT_TRUE(skipped->empty());
}

}  // namespace
}  // namespace genesis
