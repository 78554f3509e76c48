// "brain_tumor_figshare" over make_fixtures.py's five MATLAB v7.3 files of three patients.
#include "gtest/gtest.h"
#include "plugins/dataset/brain_tumor_figshare.pb.h"
#include "plugins/dataset/fixture_util.h"

namespace genesis {
namespace {

using dataset::MakeFixture;
using dataset::Relative;
using dataset::ScanWith;

TEST(BrainTumorFigshareTest, GroupsFilesByPid) {
  BrainTumorFigshareOptions options;
  options.set_root(MakeFixture("brain_tumor_figshare"));
  auto records = ScanWith("brain_tumor_figshare", options);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 3u);
  const PatientRecord& a = (*records)[0];
  EXPECT_EQ(a.dataset, "Brain-Tumor-figshare");
  EXPECT_EQ(a.patient_id, "100360");
  EXPECT_EQ(a.modality, Modality::kMR);
  EXPECT_EQ(a.body_part, "brain");
  EXPECT_EQ(Relative(a.files, options.root()), (std::vector<std::string>{"1.mat", "2.mat"}));
  EXPECT_EQ(a.slice_count, 2);
  EXPECT_EQ(a.labels.at("file_labels"), "1,1");
  EXPECT_EQ(a.hints.mat_variable, "cjdata.image");
  EXPECT_EQ(a.labels.count("mat_variable"), 0u);
  EXPECT_EQ((*records)[1].patient_id, "107494");
  EXPECT_EQ(Relative((*records)[1].files, options.root()),
            (std::vector<std::string>{"3.mat", "4.mat"}));
  EXPECT_EQ((*records)[1].labels.at("file_labels"), "2,2");
  EXPECT_EQ((*records)[2].patient_id, "MR040032");
  EXPECT_EQ(Relative((*records)[2].files, options.root()), std::vector<std::string>{"10.mat"});
  EXPECT_EQ((*records)[2].labels.at("file_labels"), "3");
}

TEST(BrainTumorFigshareTest, WithoutPidEveryFileIsAPatient) {
  BrainTumorFigshareOptions options;
  options.set_root(MakeFixture("brain_tumor_figshare"));
  options.set_patient_from_pid(false);
  auto records = ScanWith("brain_tumor_figshare", options);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 5u);
  EXPECT_EQ((*records)[4].patient_id, "10");
}

TEST(BrainTumorFigshareTest, Errors) {
  EXPECT_EQ(ScanWith("brain_tumor_figshare", BrainTumorFigshareOptions()).status().message(),
            "root: must be set");
  const std::string dir = dataset::ScratchDir("brain_tumor_broken");
  BrainTumorFigshareOptions options;
  options.set_root(dir);
  EXPECT_EQ(ScanWith("brain_tumor_figshare", options).status().message(),
            "root: no numbered .mat files (1.mat ...) under " + dir);
  dataset::WriteText(dir + "/7.mat", "this is not a MAT-file");
  auto corrupt = ScanWith("brain_tumor_figshare", options);
  EXPECT_EQ(corrupt.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(corrupt.status().message(), dir + "/7.mat: not a MATLAB file libmatio can open");
}

}  // namespace
}  // namespace genesis
