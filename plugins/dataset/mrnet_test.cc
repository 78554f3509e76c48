// "mrnet" over make_fixtures.py's MRNet-v1.0 (train 0000, 0001; valid 1130).
#include "gtest/gtest.h"
#include "plugins/dataset/fixture_util.h"
#include "plugins/dataset/mrnet.pb.h"

namespace genesis {
namespace {

using dataset::MakeFixture;
using dataset::Relative;
using dataset::ScanWith;

std::string Root() { return MakeFixture("mrnet") + "/MRNet-v1.0"; }

TEST(MrnetTest, OneRecordPerExamWithThreePlanes) {
  MrnetOptions options;
  options.set_root(Root());
  auto records = ScanWith("mrnet", options);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 3u);
  const PatientRecord& e0 = (*records)[0];
  EXPECT_EQ(e0.dataset, "MRNet");
  EXPECT_EQ(e0.patient_id, "0000");
  EXPECT_EQ(e0.modality, Modality::kMR);
  EXPECT_EQ(e0.body_part, "knee");
  EXPECT_EQ(Relative(e0.files, Root()),
            (std::vector<std::string>{"train/axial/0000.npy", "train/coronal/0000.npy",
                                      "train/sagittal/0000.npy"}));
  EXPECT_EQ(e0.slice_count, 15);
  EXPECT_EQ(e0.labels, (std::map<std::string, std::string>{{"split", "train"},
                                                           {"planes", "axial,coronal,sagittal"},
                                                           {"file_slices", "5,4,6"},
                                                           {"abnormal", "0"},
                                                           {"acl", "0"},
                                                           {"meniscus", "0"}}));
  const PatientRecord& e1 = (*records)[1];
  EXPECT_EQ(e1.patient_id, "0001");
  EXPECT_EQ(e1.slice_count, 18);
  EXPECT_EQ(e1.labels.at("abnormal"), "1");
  EXPECT_EQ(e1.labels.at("acl"), "1");
  EXPECT_EQ(e1.labels.at("meniscus"), "0");
  const PatientRecord& v = (*records)[2];
  EXPECT_EQ(v.patient_id, "1130");
  EXPECT_EQ(v.labels.at("split"), "valid");
  EXPECT_EQ(v.labels.at("meniscus"), "1");
}

TEST(MrnetTest, PlaneAndSplitFilters) {
  MrnetOptions options;
  options.set_root(Root());
  options.add_planes("sagittal");
  options.add_splits("train");
  auto records = ScanWith("mrnet", options);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ(Relative((*records)[1].files, Root()),
            std::vector<std::string>{"train/sagittal/0001.npy"});
  EXPECT_EQ((*records)[1].slice_count, 7);
}

std::string Npy(int slices) {
  std::string header =
      "{'descr': '|u1', 'fortran_order': False, 'shape': (" + std::to_string(slices) + ", 2, 2), }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY\x01";
  out += '\0';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  return out + header + std::string(slices * 4, '\0');
}

TEST(MrnetTest, Errors) {
  EXPECT_EQ(ScanWith("mrnet", MrnetOptions()).status().message(), "root: must be set");
  MrnetOptions bad;
  bad.set_root("/x");
  bad.add_planes("oblique");
  EXPECT_EQ(ScanWith("mrnet", bad).status().message(),
            "planes: must be \"axial\", \"coronal\" or \"sagittal\", got \"oblique\"");

  const std::string dir = dataset::ScratchDir("mrnet_broken");
  dataset::WriteText(dir + "/train/axial/0000.npy", Npy(3));
  dataset::WriteText(dir + "/train/coronal/0001.npy", Npy(3));
  dataset::WriteText(dir + "/train/sagittal/0000.npy", Npy(3));
  MrnetOptions options;
  options.set_root(dir);
  options.add_splits("train");
  auto no_csv = ScanWith("mrnet", options);
  EXPECT_EQ(no_csv.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(no_csv.status().message(), dir + "/train-abnormal.csv: missing CSV file");

  options.set_read_labels(false);
  auto missing_plane = ScanWith("mrnet", options);
  EXPECT_EQ(missing_plane.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing_plane.status().message(),
            dir + "/train/coronal/0000.npy: missing (exam 0000 has other planes)");
}

}  // namespace
}  // namespace genesis
