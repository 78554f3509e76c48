// "mura" over make_fixtures.py's MURA-v1.1 tree (train + valid, shoulder + humerus).
#include "gtest/gtest.h"
#include "plugins/dataset/fixture_util.h"
#include "plugins/dataset/mura.pb.h"

namespace genesis {
namespace {

using dataset::MakeFixture;
using dataset::Relative;
using dataset::ScanWith;

std::string Root() { return MakeFixture("mura") + "/MURA-v1.1"; }

TEST(MuraTest, RecordsPerPatientAndStudyType) {
  MuraOptions options;
  options.set_root(Root());
  auto records = ScanWith("mura", options);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 4u);

  const PatientRecord& p1 = (*records)[0];
  EXPECT_EQ(p1.dataset, "MURA");
  EXPECT_EQ(p1.patient_id, "patient00001");
  EXPECT_EQ(p1.modality, Modality::kXRay);
  EXPECT_EQ(p1.body_part, "shoulder");
  EXPECT_EQ(
      Relative(p1.files, Root()),
      (std::vector<std::string>{"train/XR_SHOULDER/patient00001/study1_positive/image1.png",
                                "train/XR_SHOULDER/patient00001/study1_positive/image2.png",
                                "train/XR_SHOULDER/patient00001/study1_positive/image3.png",
                                "train/XR_SHOULDER/patient00001/study2_negative/image1.png"}));
  EXPECT_EQ(p1.slice_count, 4);
  EXPECT_EQ(p1.labels.at("split"), "train");
  EXPECT_EQ(p1.labels.at("study_type"), "XR_SHOULDER");
  EXPECT_EQ(p1.labels.at("label"), "1");
  EXPECT_EQ(p1.labels.at("file_labels"), "1,1,1,0");
  EXPECT_EQ(p1.labels.at("studies"), "study1_positive,study2_negative");

  // patient00002 has a humerus and a shoulder study: two records, same patient id.
  EXPECT_EQ((*records)[1].patient_id, "patient00002");
  EXPECT_EQ((*records)[1].body_part, "humerus");
  EXPECT_EQ((*records)[1].labels.at("label"), "1");
  EXPECT_EQ((*records)[2].patient_id, "patient00002");
  EXPECT_EQ((*records)[2].body_part, "shoulder");
  EXPECT_EQ((*records)[2].labels.at("label"), "0");
  EXPECT_EQ((*records)[2].labels.at("file_labels"), "0,0");

  EXPECT_EQ((*records)[3].patient_id, "patient11185");
  EXPECT_EQ((*records)[3].labels.at("split"), "valid");
  EXPECT_EQ((*records)[3].files.size(), 2u);
}

TEST(MuraTest, StudyTypeAndSplitFilters) {
  MuraOptions options;
  options.set_root(Root());
  options.add_study_types("XR_SHOULDER");
  options.add_splits("valid");
  auto records = ScanWith("mura", options);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].patient_id, "patient11185");
}

TEST(MuraTest, Errors) {
  EXPECT_EQ(ScanWith("mura", MuraOptions()).status().message(), "root: must be set");
  MuraOptions bad_split;
  bad_split.set_root("/x");
  bad_split.add_splits("test");
  EXPECT_EQ(ScanWith("mura", bad_split).status().message(),
            "splits: must be \"train\" or \"valid\", got \"test\"");

  const std::string dir = dataset::ScratchDir("mura_broken");
  MuraOptions options;
  options.set_root(dir);
  options.add_splits("train");
  auto no_csv = ScanWith("mura", options);
  EXPECT_EQ(no_csv.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(no_csv.status().message(), dir + "/train_labeled_studies.csv: missing CSV file");

  // A label contradicting the folder name.
  dataset::WriteText(dir + "/train_labeled_studies.csv",
                     "MURA-v1.1/train/XR_SHOULDER/patient00001/study1_positive/,0\n");
  auto contradiction = ScanWith("mura", options);
  EXPECT_EQ(contradiction.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(contradiction.status().message(),
            dir +
                "/train_labeled_studies.csv:1: label 0 contradicts the study folder "
                "'study1_positive'");

  // A listed image that is not on disk.
  dataset::WriteText(dir + "/train_labeled_studies.csv",
                     "MURA-v1.1/train/XR_SHOULDER/patient00001/study1_positive/,1\n");
  dataset::WriteText(dir + "/train_image_paths.csv",
                     "MURA-v1.1/train/XR_SHOULDER/patient00001/study1_positive/image1.png\n");
  auto missing = ScanWith("mura", options);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            dir +
                "/train/XR_SHOULDER/patient00001/study1_positive/image1.png: missing (listed "
                "in " +
                dir + "/train_image_paths.csv:1)");
}

}  // namespace
}  // namespace genesis
