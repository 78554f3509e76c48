// "cardiac_mri" over make_fixtures.py's three sol_yxzt_patN.mat files (+ a contour file).
#include "gtest/gtest.h"
#include "plugins/dataset/cardiac_mri.pb.h"
#include "plugins/dataset/fixture_util.h"

namespace genesis {
namespace {

using dataset::MakeFixture;
using dataset::Relative;
using dataset::ScanWith;

TEST(CardiacMriTest, OneRecordPerSubjectFile) {
  CardiacMriOptions options;
  options.set_root(MakeFixture("cardiac_mri"));
  auto records = ScanWith("cardiac_mri", options);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 3u);
  EXPECT_EQ((*records)[0].dataset, "Cardiac-MRI");
  EXPECT_EQ((*records)[0].patient_id, "pat1");
  EXPECT_EQ((*records)[0].modality, Modality::kMR);
  EXPECT_EQ((*records)[0].body_part, "cardiac");
  EXPECT_EQ(Relative((*records)[0].files, options.root()),
            std::vector<std::string>{"sol_yxzt_pat1.mat"});
  EXPECT_EQ((*records)[0].hints.mat_variable, "sol_yxzt");
  ASSERT_TRUE((*records)[0].hints.axes.has_value());
  EXPECT_EQ(AxisOrderName(*(*records)[0].hints.axes), "yxzt");
  EXPECT_TRUE((*records)[0].labels.empty());
  EXPECT_EQ((*records)[1].patient_id, "pat2");
  EXPECT_EQ((*records)[2].patient_id, "pat10");
}

TEST(CardiacMriTest, Errors) {
  EXPECT_EQ(ScanWith("cardiac_mri", CardiacMriOptions()).status().message(), "root: must be set");
  const std::string dir = dataset::ScratchDir("cardiac_broken");
  CardiacMriOptions options;
  options.set_root(dir);
  EXPECT_EQ(ScanWith("cardiac_mri", options).status().message(),
            "root: no sol_yxzt_pat*.mat files under " + dir);
  dataset::WriteText(dir + "/sol_yxzt_patX.mat", "x");
  EXPECT_EQ(ScanWith("cardiac_mri", options).status().message(),
            dir + "/sol_yxzt_patX.mat: expected the name sol_yxzt_pat<N>.mat");
}

}  // namespace
}  // namespace genesis
