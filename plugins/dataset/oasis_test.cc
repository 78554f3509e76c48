// "oasis" over make_fixtures.py's two discs (OAS1_0001 scanned twice, OAS1_0002 once).
#include "gtest/gtest.h"
#include "plugins/dataset/fixture_util.h"
#include "plugins/dataset/oasis.pb.h"

namespace genesis {
namespace {

using dataset::MakeFixture;
using dataset::Relative;
using dataset::ScanWith;

TEST(OasisTest, RawScansOfAllSessionsPerSubject) {
  OasisOptions options;
  options.set_root(MakeFixture("oasis"));
  auto records = ScanWith("oasis", options);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 2u);
  const PatientRecord& s1 = (*records)[0];
  EXPECT_EQ(s1.dataset, "OASIS");
  EXPECT_EQ(s1.patient_id, "OAS1_0001");
  EXPECT_EQ(s1.modality, Modality::kMR);
  EXPECT_EQ(s1.body_part, "brain");
  EXPECT_EQ(Relative(s1.files, options.root()),
            (std::vector<std::string>{"disc1/OAS1_0001_MR1/RAW/OAS1_0001_MR1_mpr-1_anon.hdr",
                                      "disc1/OAS1_0001_MR1/RAW/OAS1_0001_MR1_mpr-2_anon.hdr",
                                      "disc2/OAS1_0001_MR2/RAW/OAS1_0001_MR2_mpr-1_anon.hdr"}));
  EXPECT_EQ(s1.slice_count, 24);
  EXPECT_EQ(s1.labels.at("sessions"), "OAS1_0001_MR1,OAS1_0001_MR2");
  EXPECT_EQ((*records)[1].patient_id, "OAS1_0002");
  EXPECT_EQ((*records)[1].slice_count, 8);
}

TEST(OasisTest, ProcessedImageSets) {
  OasisOptions options;
  options.set_root(MakeFixture("oasis"));
  options.set_image_set("t88");
  auto t88 = ScanWith("oasis", options);
  ASSERT_TRUE(t88.ok()) << t88.status();
  EXPECT_EQ(Relative((*t88)[1].files, options.root()),
            std::vector<std::string>{"disc1/OAS1_0002_MR1/PROCESSED/MPRAGE/T88_111/"
                                     "OAS1_0002_MR1_mpr_n1_anon_111_t88_gfc.hdr"});
  options.set_image_set("t88_masked");
  auto masked = ScanWith("oasis", options);
  ASSERT_TRUE(masked.ok()) << masked.status();
  EXPECT_EQ(Relative((*masked)[1].files, options.root()),
            std::vector<std::string>{"disc1/OAS1_0002_MR1/PROCESSED/MPRAGE/T88_111/"
                                     "OAS1_0002_MR1_mpr_n1_anon_111_t88_masked_gfc.hdr"});
  options.set_image_set("subj");
  auto subj = ScanWith("oasis", options);
  EXPECT_EQ(subj.status().code(), absl::StatusCode::kNotFound);  // Fixture has no SUBJ_111.
  EXPECT_NE(subj.status().message().find("PROCESSED/MPRAGE/SUBJ_111: missing"), std::string::npos)
      << subj.status();
}

TEST(OasisTest, Errors) {
  EXPECT_EQ(ScanWith("oasis", OasisOptions()).status().message(), "root: must be set");
  OasisOptions bad;
  bad.set_root("/x");
  bad.set_image_set("fsl");
  EXPECT_EQ(ScanWith("oasis", bad).status().message(),
            "image_set: must be \"raw\", \"t88\", \"t88_masked\" or \"subj\", got \"fsl\"");
  const std::string dir = dataset::ScratchDir("oasis_broken");
  OasisOptions options;
  options.set_root(dir);
  auto none = ScanWith("oasis", options);
  EXPECT_EQ(none.status().code(), absl::StatusCode::kNotFound);
  dataset::WriteText(dir + "/disc1/OAS1_0009_MR1/RAW/OAS1_0009_MR1_mpr-1_anon.hdr",
                     std::string(348, '\0'));
  auto no_img = ScanWith("oasis", options);
  EXPECT_EQ(no_img.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(no_img.status().message(),
            dir +
                "/disc1/OAS1_0009_MR1/RAW/OAS1_0009_MR1_mpr-1_anon.hdr: missing its .img "
                "(Analyze 7.5 needs both)");
}

}  // namespace
}  // namespace genesis
