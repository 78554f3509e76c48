// "chaos" over make_fixtures.py's CHAOS_Train_Sets (CT 1, 2; MR 1, 3).
#include "gtest/gtest.h"
#include "plugins/dataset/chaos.pb.h"
#include "plugins/dataset/fixture_util.h"

namespace genesis {
namespace {

using dataset::MakeFixture;
using dataset::Relative;
using dataset::ScanWith;

std::string Sets() { return MakeFixture("chaos") + "/CHAOS_Train_Sets/Train_Sets"; }

TEST(ChaosTest, CtAndMrPatients) {
  ChaosOptions options;
  options.set_root(MakeFixture("chaos") + "/CHAOS_Train_Sets");  // Finds Train_Sets below.
  auto records = ScanWith("chaos", options);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 4u);
  const PatientRecord& ct1 = (*records)[0];
  EXPECT_EQ(ct1.dataset, "CHAOS");
  EXPECT_EQ(ct1.patient_id, "CT_1");
  EXPECT_EQ(ct1.modality, Modality::kCT);
  EXPECT_EQ(ct1.body_part, "abdomen");
  EXPECT_EQ(Relative(ct1.files, Sets()), std::vector<std::string>{"CT/1/DICOM_anon"});
  EXPECT_EQ((*records)[1].patient_id, "CT_2");
  const PatientRecord& mr1 = (*records)[2];
  EXPECT_EQ(mr1.patient_id, "MR_1");
  EXPECT_EQ(mr1.modality, Modality::kMR);
  EXPECT_EQ(
      Relative(mr1.files, Sets()),
      (std::vector<std::string>{"MR/1/T1DUAL/DICOM_anon/InPhase", "MR/1/T1DUAL/DICOM_anon/OutPhase",
                                "MR/1/T2SPIR/DICOM_anon"}));
  EXPECT_EQ(mr1.labels.at("series"),
            "T1DUAL/DICOM_anon/InPhase,T1DUAL/DICOM_anon/OutPhase,T2SPIR/DICOM_anon");
  EXPECT_EQ((*records)[3].patient_id, "MR_3");
}

TEST(ChaosTest, MrOnlyT2Spir) {
  ChaosOptions options;
  options.set_root(Sets());
  options.set_include_ct(false);
  options.add_mr_sequences("T2SPIR");
  auto records = ScanWith("chaos", options);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ(Relative((*records)[1].files, Sets()),
            std::vector<std::string>{"MR/3/T2SPIR/DICOM_anon"});
}

TEST(ChaosTest, Errors) {
  EXPECT_EQ(ScanWith("chaos", ChaosOptions()).status().message(), "root: must be set");
  ChaosOptions bad;
  bad.set_root("/x");
  bad.add_mr_sequences("T1");
  EXPECT_EQ(ScanWith("chaos", bad).status().message(),
            "mr_sequences: must be T1DUAL or T2SPIR, got \"T1\"");
  const std::string dir = dataset::ScratchDir("chaos_broken");
  ChaosOptions options;
  options.set_root(dir);
  auto nothing = ScanWith("chaos", options);
  EXPECT_EQ(nothing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(nothing.status().message(),
            "root: no CT/ or MR/ folder in " + dir + " (expected CHAOS Train_Sets or Test_Sets)");
  dataset::WriteText(dir + "/CT/4/Ground/liver_GT_000.png", "x");
  auto no_dicom = ScanWith("chaos", options);
  EXPECT_EQ(no_dicom.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(no_dicom.status().message(),
            dir + "/CT/4: no DICOM series (expected DICOM_anon/*.dcm)");
}

}  // namespace
}  // namespace genesis
