// "ct_lymph_nodes" over make_fixtures.py's NBIA-style tree (two abdominal, one mediastinal).
#include "gtest/gtest.h"
#include "plugins/dataset/ct_lymph_nodes.pb.h"
#include "plugins/dataset/fixture_util.h"

namespace genesis {
namespace {

using dataset::MakeFixture;
using dataset::Relative;
using dataset::ScanWith;

TEST(CtLymphNodesTest, OneRecordPerPatientFolder) {
  CtLymphNodesOptions options;
  options.set_root(MakeFixture("ct_lymph_nodes") + "/CT Lymph Nodes");
  auto records = ScanWith("ct_lymph_nodes", options);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 3u);
  const PatientRecord& a1 = (*records)[0];
  EXPECT_EQ(a1.dataset, "CT-Lymph-Nodes");
  EXPECT_EQ(a1.patient_id, "ABD_LYMPH_001");
  EXPECT_EQ(a1.modality, Modality::kCT);
  EXPECT_EQ(a1.body_part, "abdomen");
  EXPECT_EQ(Relative(a1.files, options.root()),
            std::vector<std::string>{"ABD_LYMPH_001/09-14-2014-ABDLYMPH001-abdominallymphnodes-"
                                     "30274/abdominallymphnodes-26828"});
  EXPECT_EQ((*records)[1].patient_id, "ABD_LYMPH_002");
  EXPECT_EQ((*records)[2].patient_id, "MED_LYMPH_001");
  EXPECT_EQ((*records)[2].body_part, "mediastinum");
}

TEST(CtLymphNodesTest, Errors) {
  EXPECT_EQ(ScanWith("ct_lymph_nodes", CtLymphNodesOptions()).status().message(),
            "root: must be set");
  CtLymphNodesOptions options;
  options.set_root("/nonexistent");
  EXPECT_EQ(ScanWith("ct_lymph_nodes", options).status().message(),
            "root: /nonexistent does not exist");
  const std::string dir = dataset::ScratchDir("lymph_broken");
  options.set_root(dir);
  dataset::WriteText(dir + "/LYMPH_9/1-001.dcm", "x");
  auto stray = ScanWith("ct_lymph_nodes", options);
  EXPECT_EQ(stray.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(stray.status().message(),
            dir + "/LYMPH_9: DICOM series outside an ABD_LYMPH_NNN / MED_LYMPH_NNN patient folder");
}

}  // namespace
}  // namespace genesis
