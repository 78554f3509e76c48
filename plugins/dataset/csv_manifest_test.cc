// "csv_manifest" over make_fixtures.py's manifest.csv (quoted file names with commas).
#include "core/dataset_source.h"
#include "core/registry.h"
#include "gtest/gtest.h"
#include "plugins/dataset/csv_manifest.pb.h"
#include "plugins/dataset/fixture_util.h"

namespace genesis {
namespace {

using dataset::MakeFixture;
using dataset::Relative;
using dataset::ScanWith;

TEST(CsvManifestTest, GroupsRowsPerDatasetAndPatient) {
  CsvManifestOptions options;
  options.set_root(MakeFixture("csv_manifest"));
  auto records = ScanWith("csv_manifest", options);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 2u);
  const PatientRecord& p1 = (*records)[0];
  EXPECT_EQ(p1.dataset, "MyCT");
  EXPECT_EQ(p1.patient_id, "p1");
  EXPECT_EQ(p1.modality, Modality::kCT);
  EXPECT_EQ(p1.body_part, "abdomen");
  EXPECT_EQ(Relative(p1.files, options.root()),
            (std::vector<std::string>{"scans/p1, visit 1.nii.gz", "scans/p1, visit 2.nii.gz"}));
  EXPECT_EQ(p1.slice_count, -1);
  EXPECT_EQ(p1.labels, (std::map<std::string, std::string>{{"label", "1"}}));
  const PatientRecord& h7 = (*records)[1];
  EXPECT_EQ(h7.dataset, "MyXR");
  EXPECT_EQ(h7.modality, Modality::kXRay);
  EXPECT_EQ(h7.body_part, "hand");
  EXPECT_EQ(h7.labels.at("label"), "0");
}

TEST(CsvManifestTest, SliceCountsAndVaryingLabels) {
  const std::string dir = dataset::ScratchDir("manifest_labels");
  dataset::WriteText(dir + "/a.png", "x");
  dataset::WriteText(dir + "/b.png", "x");
  dataset::WriteText(dir + "/list.csv",
                     "dataset,patient_id,modality,body_part,file,slice_count,finding\n"
                     "D,7,X-ray,chest,a.png,1,none\n"
                     "D,7,XR,chest,b.png,1,mass\n");
  CsvManifestOptions options;
  options.set_root(dir);
  options.set_manifest("list.csv");
  options.set_name("Renamed");
  auto records = ScanWith("csv_manifest", options);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].dataset, "Renamed");
  EXPECT_EQ((*records)[0].slice_count, 2);
  EXPECT_EQ((*records)[0].labels.at("finding"), "none,mass");
}

// Read-hint columns become the records' typed hints, not labels; a malformed hint or one that
// differs between a patient's rows makes the row malformed.
TEST(CsvManifestTest, ReadHintColumns) {
  const std::string dir = dataset::ScratchDir("manifest_hints");
  for (const char* f : {"a.mat", "b.mat", "c.mat", "d.nii", "e.nii"}) {
    dataset::WriteText(dir + "/" + f, "x");
  }
  dataset::WriteText(dir + "/manifest.csv",
                     "dataset,patient_id,modality,body_part,file,channel,value_offset,"
                     "mat_variable,axes,label\n"
                     "D,1,MR,heart,a.mat,,,sol_yxzt,yxzt,x\n"
                     "D,1,MR,heart,b.mat,,,sol_yxzt,yxzt,y\n"
                     "D,1,MR,heart,c.mat,,,other,yxzt,z\n"
                     "D,2,CT,chest,d.nii,1,-32768,,,\n"
                     "D,3,CT,chest,e.nii,-1,,,,\n"
                     "D,4,CT,chest,e.nii,,,,yxy,\n");
  CsvManifestOptions options;
  options.set_root(dir);
  auto source = Registry<DatasetSource>::Get().Create("csv_manifest", options);
  ASSERT_TRUE(source.ok()) << source.status();
  auto records = (*source)->Scan();
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 2u);
  const PatientRecord& p1 = (*records)[0];
  EXPECT_EQ(p1.hints.mat_variable, "sol_yxzt");
  ASSERT_TRUE(p1.hints.axes.has_value());
  EXPECT_EQ(AxisOrderName(*p1.hints.axes), "yxzt");
  EXPECT_FALSE(p1.hints.channel.has_value());
  EXPECT_EQ(p1.labels, (std::map<std::string, std::string>{{"label", "x,y"}}));
  const PatientRecord& p2 = (*records)[1];
  EXPECT_EQ(p2.hints.channel, 1);
  EXPECT_EQ(p2.hints.value_offset, -32768.0f);
  EXPECT_FALSE(p2.hints.HasFileHints());
  EXPECT_TRUE(p2.labels.empty());
  const auto skipped = (*source)->SkippedInputs();
  ASSERT_EQ(skipped.size(), 3u);
  EXPECT_EQ(skipped[0].second,
            "patient '1' had read hints (mat_variable=sol_yxzt, axes=yxzt) on an earlier line, "
            "here (mat_variable=other, axes=yxzt)");
  EXPECT_EQ(skipped[1].second, "channel must be an integer >= 0, got '-1'");
  EXPECT_EQ(skipped[2].second, "axes 'yxy': axis y appears twice");
}

// Two rows of 2^63 - 1 slices summed past int64 (undefined behaviour; UBSan in
// tools/sanitize.sh). Absurd counts now make the row malformed, reported, and left out.
TEST(CsvManifestTest, AbsurdSliceCountsAreSkippedRows) {
  const std::string dir = dataset::ScratchDir("manifest_slices");
  dataset::WriteText(dir + "/a.png", "x");
  dataset::WriteText(dir + "/list.csv",
                     "dataset,patient_id,modality,body_part,file,slice_count\n"
                     "D,7,XR,chest,a.png,9223372036854775807\n"
                     "D,7,XR,chest,a.png,9223372036854775807\n"
                     "D,7,XR,chest,a.png,1000000000\n");
  CsvManifestOptions options;
  options.set_root(dir);
  options.set_manifest("list.csv");
  auto source = Registry<DatasetSource>::Get().Create("csv_manifest", options);
  ASSERT_TRUE(source.ok()) << source.status();
  auto records = (*source)->Scan();
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].slice_count, 1000000000);
  const auto skipped = (*source)->SkippedInputs();
  ASSERT_EQ(skipped.size(), 2u);
  EXPECT_EQ(skipped[0].first, dir + "/list.csv:2");
  EXPECT_EQ(skipped[0].second,
            "slice_count must be an integer in [0, 1000000000], got '9223372036854775807'");
}

// A row with too few or too many fields is one malformed row: it is reported with its line
// (blank lines and quoted line breaks counted) and the good rows beside it are kept.
TEST(CsvManifestTest, RowsWithTheWrongFieldCountAreSkippedAlone) {
  const std::string dir = dataset::ScratchDir("manifest_field_count");
  dataset::WriteText(dir + "/a.png", "x");
  dataset::WriteText(dir + "/manifest.csv",
                     "\xEF\xBB\xBF" "dataset,patient_id,modality,body_part,file\n"
                     "D,1,XR,chest,a.png\n"
                     "D,2,XR,chest\n"
                     "\n"
                     "D,\"3\n3\",XR,chest,a.png,extra\n"
                     "D,4,XR,chest,a.png\n");
  CsvManifestOptions options;
  options.set_root(dir);
  auto source = Registry<DatasetSource>::Get().Create("csv_manifest", options);
  ASSERT_TRUE(source.ok()) << source.status();
  auto records = (*source)->Scan();
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0].patient_id, "1");
  EXPECT_EQ((*records)[1].patient_id, "4");
  const auto skipped = (*source)->SkippedInputs();
  ASSERT_EQ(skipped.size(), 2u);
  EXPECT_EQ(skipped[0], std::make_pair(dir + "/manifest.csv:3",
                                       std::string("expected 5 fields, found 4")));
  EXPECT_EQ(skipped[1], std::make_pair(dir + "/manifest.csv:5",
                                       std::string("expected 5 fields, found 6")));

  // Line numbers of other malformed rows count blank lines too; a stray quote still fails the
  // file (what follows it is ambiguous).
  dataset::WriteText(dir + "/manifest.csv",
                     "dataset,patient_id,modality,body_part,file\n\nD,5,PET,chest,a.png\n"
                     "D,6,XR,chest,a.png\n");
  ASSERT_TRUE((*source)->Scan().ok());
  ASSERT_EQ((*source)->SkippedInputs().size(), 1u);
  EXPECT_EQ((*source)->SkippedInputs()[0].first, dir + "/manifest.csv:3");
  dataset::WriteText(dir + "/manifest.csv",
                     "dataset,patient_id,modality,body_part,file\nD,7\"x,XR,chest,a.png\n");
  EXPECT_EQ((*source)->Scan().status().message(),
            dir + "/manifest.csv:2: quote inside an unquoted field");
}

TEST(CsvManifestTest, ListsTheBrokenFixtureWithoutReadingIt) {
  // Sources only list files: bad contents are the readers' business (skipped-file report).
  CsvManifestOptions options;
  options.set_root(MakeFixture("broken"));
  auto records = ScanWith("csv_manifest", options);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 8u);
  EXPECT_EQ((*records)[2].patient_id, "good_dicom");
  EXPECT_EQ(Relative((*records)[2].files, options.root()), std::vector<std::string>{"good/dicom"});
  EXPECT_EQ((*records)[3].labels.at("expect"), "skip");
}

TEST(CsvManifestTest, Errors) {
  EXPECT_EQ(ScanWith("csv_manifest", CsvManifestOptions()).status().message(), "root: must be set");
  const std::string dir = dataset::ScratchDir("manifest_broken");
  CsvManifestOptions options;
  options.set_root(dir);
  auto no_csv = ScanWith("csv_manifest", options);
  EXPECT_EQ(no_csv.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(no_csv.status().message(), dir + "/manifest.csv: missing CSV file");

  dataset::WriteText(dir + "/manifest.csv", "dataset,patient_id,modality,file\nD,1,CT,a.nii\n");
  auto no_column = ScanWith("csv_manifest", options);
  EXPECT_EQ(no_column.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(no_column.status().message(),
            dir +
                "/manifest.csv: missing column 'body_part' (columns: dataset, patient_id, "
                "modality, file)");

  dataset::WriteText(dir + "/manifest.csv",
                     "dataset,patient_id,modality,body_part,file\nD,1,PET,head,a.nii\n");
  auto bad_modality = ScanWith("csv_manifest", options);
  EXPECT_EQ(bad_modality.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_modality.status().message().rfind(
                dir + "/manifest.csv: none of its 1 rows is usable; the first: " + dir +
                    "/manifest.csv:2: modality: ",
                0),
            0u)
      << bad_modality.status();

  dataset::WriteText(dir + "/manifest.csv",
                     "dataset,patient_id,modality,body_part,file\nD,1,CT,head,a.nii\n");
  auto missing = ScanWith("csv_manifest", options);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(missing.status().message(),
            dir + "/manifest.csv: none of its 1 rows is usable; the first: " + dir +
                "/a.nii: missing (listed in " + dir + "/manifest.csv:2)");

  dataset::WriteText(dir + "/manifest.csv", "dataset,patient_id,modality,body_part,file\n");
  auto header_only = ScanWith("csv_manifest", options);
  EXPECT_EQ(header_only.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(header_only.status().message(),
            dir + "/manifest.csv: has a header but no rows; list one file per row");

  dataset::WriteText(dir + "/a.nii", "x");
  dataset::WriteText(dir + "/manifest.csv",
                     "dataset,patient_id,modality,body_part,file\nD,1,CT,head,a.nii\n"
                     "D,1,MR,head,a.nii\n");
  // One bad row is skipped (and reported, see the source's SkippedInputs); the others stay.
  auto conflict = ScanWith("csv_manifest", options);
  ASSERT_TRUE(conflict.ok()) << conflict.status();
  ASSERT_EQ(conflict->size(), 1u);
  EXPECT_EQ((*conflict)[0].files.size(), 1u);
  EXPECT_EQ((*conflict)[0].modality, Modality::kCT);
}

}  // namespace
}  // namespace genesis
