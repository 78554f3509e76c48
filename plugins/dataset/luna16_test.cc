// "luna16" over make_fixtures.py's two subsets (three series) and annotations.csv.
#include "gtest/gtest.h"
#include "plugins/dataset/fixture_util.h"
#include "plugins/dataset/luna16.pb.h"

namespace genesis {
namespace {

using dataset::MakeFixture;
using dataset::Relative;
using dataset::ScanWith;

constexpr char kUid0[] = "1.3.6.1.4.1.14519.5.2.1.6279.6001.105756658031515062000744821260";
constexpr char kUid1[] = "1.3.6.1.4.1.14519.5.2.1.6279.6001.108197895896446896160048741492";
constexpr char kUid2[] = "1.3.6.1.4.1.14519.5.2.1.6279.6001.100225287222365663678666836860";

TEST(Luna16Test, OneRecordPerSeries) {
  Luna16Options options;
  options.set_root(MakeFixture("luna16"));
  auto records = ScanWith("luna16", options);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 3u);
  // subset0 in natural order of the uids, then subset1.
  EXPECT_EQ((*records)[0].patient_id, kUid0);
  EXPECT_EQ((*records)[1].patient_id, kUid1);
  EXPECT_EQ((*records)[2].patient_id, kUid2);
  const PatientRecord& r = (*records)[0];
  EXPECT_EQ(r.dataset, "LUNA16");
  EXPECT_EQ(r.modality, Modality::kCT);
  EXPECT_EQ(r.body_part, "chest");
  EXPECT_EQ(Relative(r.files, options.root()),
            std::vector<std::string>{std::string("subset0/") + kUid0 + ".mhd"});
  EXPECT_EQ(r.slice_count, 8);
  EXPECT_EQ(r.labels.at("subset"), "0");
  EXPECT_EQ(r.labels.at("nodules"), "1");
  EXPECT_EQ((*records)[1].labels.at("nodules"), "0");
  EXPECT_EQ((*records)[2].labels.at("subset"), "1");
  EXPECT_EQ((*records)[2].labels.at("nodules"), "1");
}

TEST(Luna16Test, SubsetFilter) {
  Luna16Options options;
  options.set_root(MakeFixture("luna16"));
  options.add_subsets(1);
  auto records = ScanWith("luna16", options);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].patient_id, kUid2);
  options.add_subsets(7);
  auto missing = ScanWith("luna16", options);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("subsets: "), std::string::npos);
  EXPECT_NE(missing.status().message().find("/subset7 is missing"), std::string::npos);
}

TEST(Luna16Test, Errors) {
  EXPECT_EQ(ScanWith("luna16", Luna16Options()).status().message(), "root: must be set");
  Luna16Options bad_subset;
  bad_subset.set_root("/x");
  bad_subset.add_subsets(10);
  EXPECT_EQ(ScanWith("luna16", bad_subset).status().message(), "subsets: must be in 0..9, got 10");

  const std::string dir = dataset::ScratchDir("luna16_broken");
  Luna16Options options;
  options.set_root(dir);
  auto empty = ScanWith("luna16", options);
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(empty.status().message(), "root: no subset0..subset9 folders in " + dir);

  // A header whose .raw is missing.
  dataset::WriteText(dir + "/subset0/1.2.3.mhd",
                     "ObjectType = Image\nNDims = 3\nDimSize = 4 4 2\nElementType = MET_SHORT\n"
                     "ElementDataFile = 1.2.3.raw\n");
  auto no_raw = ScanWith("luna16", options);
  EXPECT_EQ(no_raw.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(no_raw.status().message(),
            dir + "/subset0/1.2.3.mhd: ElementDataFile 1.2.3.raw not found");

  // annotations.csv without its seriesuid column.
  dataset::WriteText(dir + "/subset0/1.2.3.raw", std::string(64, '\0'));
  dataset::WriteText(dir + "/annotations.csv", "uid,coordX,coordY,coordZ,diameter_mm\n");
  auto bad_csv = ScanWith("luna16", options);
  EXPECT_EQ(bad_csv.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_csv.status().message(),
            dir +
                "/annotations.csv: missing column 'seriesuid' (columns: uid, coordX, coordY, "
                "coordZ, diameter_mm)");

  // An explicitly named annotations file must exist.
  options.set_annotations("CSVFILES/annotations.csv");
  auto absent = ScanWith("luna16", options);
  EXPECT_EQ(absent.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(absent.status().message().find("CSVFILES/annotations.csv"), std::string::npos);
}

}  // namespace
}  // namespace genesis
