// "ibsr" over make_fixtures.py's two subjects (Analyze and NIfTI releases).
#include "gtest/gtest.h"
#include "plugins/dataset/fixture_util.h"
#include "plugins/dataset/ibsr.pb.h"

namespace genesis {
namespace {

using dataset::MakeFixture;
using dataset::Relative;
using dataset::ScanWith;

TEST(IbsrTest, T1ImagesWithoutSegmentations) {
  IbsrOptions options;
  options.set_root(MakeFixture("ibsr"));
  auto records = ScanWith("ibsr", options);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 2u);
  const PatientRecord& s1 = (*records)[0];
  EXPECT_EQ(s1.dataset, "IBSR");
  EXPECT_EQ(s1.patient_id, "IBSR_01");
  EXPECT_EQ(s1.modality, Modality::kMR);
  EXPECT_EQ(s1.body_part, "brain");
  EXPECT_EQ(Relative(s1.files, options.root()),
            std::vector<std::string>{"IBSR_01/images/analyze/IBSR_01_ana.hdr"});
  EXPECT_EQ(s1.slice_count, 8);
  EXPECT_EQ((*records)[1].patient_id, "IBSR_02");
  EXPECT_EQ(Relative((*records)[1].files, options.root()),
            std::vector<std::string>{"IBSR_02/IBSR_02_ana.nii.gz"});
  EXPECT_EQ((*records)[1].slice_count, -1);  // Gzipped NIfTI: unknown until read.
}

TEST(IbsrTest, ExcludeIsConfigurable) {
  IbsrOptions options;
  options.set_root(MakeFixture("ibsr"));
  options.set_exclude("seg");
  auto records = ScanWith("ibsr", options);
  ASSERT_TRUE(records.ok()) << records.status();
  EXPECT_EQ(
      Relative((*records)[1].files, options.root()),
      (std::vector<std::string>{"IBSR_02/IBSR_02_ana.nii.gz", "IBSR_02/IBSR_02_ana_strip.nii.gz"}));
}

TEST(IbsrTest, Errors) {
  EXPECT_EQ(ScanWith("ibsr", IbsrOptions()).status().message(), "root: must be set");
  const std::string dir = dataset::ScratchDir("ibsr_broken");
  IbsrOptions options;
  options.set_root(dir);
  EXPECT_EQ(ScanWith("ibsr", options).status().message(), "root: no subject folders in " + dir);
  dataset::WriteText(dir + "/IBSR_09/IBSR_09_seg_ana.nii.gz", "x");
  auto only_seg = ScanWith("ibsr", options);
  EXPECT_EQ(only_seg.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(only_seg.status().message(),
            dir +
                "/IBSR_09: no T1 image (.hdr/.img, .nii, .nii.gz) besides excluded "
                "'seg|strip|mask' files");
}

}  // namespace
}  // namespace genesis
