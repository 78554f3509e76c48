// "cq500" over make_fixtures.py's two patients (one unpacked inside its zip's folder).
#include "gtest/gtest.h"
#include "plugins/dataset/cq500.pb.h"
#include "plugins/dataset/fixture_util.h"

namespace genesis {
namespace {

using dataset::MakeFixture;
using dataset::Relative;
using dataset::ScanWith;

TEST(Cq500Test, SeriesFoldersPerPatient) {
  Cq500Options options;
  options.set_root(MakeFixture("cq500"));
  auto records = ScanWith("cq500", options);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 2u);
  const PatientRecord& p0 = (*records)[0];
  EXPECT_EQ(p0.dataset, "CQ500");
  EXPECT_EQ(p0.patient_id, "CQ500CT0");
  EXPECT_EQ(p0.modality, Modality::kCT);
  EXPECT_EQ(p0.body_part, "brain");
  EXPECT_EQ(Relative(p0.files, options.root()),
            (std::vector<std::string>{"CQ500CT0 CQ500CT0/Unknown Study/CT 0.625mm",
                                      "CQ500CT0 CQ500CT0/Unknown Study/CT PLAIN THIN"}));
  EXPECT_EQ(p0.slice_count, -1);
  EXPECT_EQ(p0.labels.at("series"), "CT 0.625mm,CT PLAIN THIN");
  EXPECT_EQ((*records)[1].patient_id, "CQ500CT1");
  EXPECT_EQ(Relative((*records)[1].files, options.root()),
            std::vector<std::string>{"CQ500-CT-1/CQ500CT1 CQ500CT1/Unknown Study/CT Plain"});
}

TEST(Cq500Test, SeriesFilter) {
  Cq500Options options;
  options.set_root(MakeFixture("cq500"));
  options.add_series_contains("plain");
  auto records = ScanWith("cq500", options);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0].labels.at("series"), "CT PLAIN THIN");
  EXPECT_EQ((*records)[1].labels.at("series"), "CT Plain");
}

TEST(Cq500Test, Errors) {
  EXPECT_EQ(ScanWith("cq500", Cq500Options()).status().message(), "root: must be set");
  const std::string dir = dataset::ScratchDir("cq500_broken");
  Cq500Options options;
  options.set_root(dir);
  auto empty = ScanWith("cq500", options);
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(empty.status().message(), "root: no DICOM files under " + dir);
  dataset::WriteText(dir + "/stray/CT000000.dcm", "x");
  auto stray = ScanWith("cq500", options);
  EXPECT_EQ(stray.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(stray.status().message(),
            dir + "/stray: DICOM series outside a 'CQ500CTn CQ500CTn' patient folder");
}

}  // namespace
}  // namespace genesis
