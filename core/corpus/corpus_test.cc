// Manifest round trip, patient-level split and summary tables.
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <set>
#include <string>

#include "core/corpus/manifest.h"
#include "core/corpus/split.h"
#include "core/corpus/summary.h"
#include "core/csv.h"
#include "core/file_util.h"
#include "gtest/gtest.h"

namespace genesis {
namespace {

std::string Tmp(const std::string& name) { return std::string(getenv("TEST_TMPDIR")) + "/" + name; }

TEST(ManifestTest, RoundTripWithCommasAndQuotesInPaths) {
  ManifestRow a;
  a.dataset = "MSD-Liver";
  a.patient_id = "liver_7";
  a.modality = Modality::kCT;
  a.body_part = "abdomen";
  a.file = "/data/Task03, Liver/imagesTr/\"liver_7\".nii.gz";
  a.volume_index = 0;
  a.patient_volume = 2;
  a.slice_count = 75;
  a.width = 512;
  a.height = 512;
  a.selected_slices = 75;
  a.labels = {{"label", "1"}, {"study", "a;b=c 100%"}};
  a.spacing = {0.703125, 0.7031251, 5};
  ManifestRow b;
  b.dataset = "MURA";
  b.patient_id = "patient00001";
  b.modality = Modality::kXRay;
  b.file = "x.png";
  b.slice_count = 1;
  const std::string path = Tmp("manifest.csv");
  ASSERT_TRUE(WriteManifest(path, {a, b}).ok());
  auto rows = ReadManifest(path);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_TRUE((*rows)[0] == a);
  EXPECT_TRUE((*rows)[1] == b);
  EXPECT_EQ((*rows)[0].file, a.file);
  auto text = ReadFile(path);
  EXPECT_NE(text->find("\"/data/Task03, Liver/imagesTr/\"\"liver_7\"\".nii.gz\""),
            std::string::npos);
}

TEST(ManifestTest, BadRowNamesFileLineAndColumn) {
  const std::string path = Tmp("bad_manifest.csv");
  ManifestRow a;
  a.dataset = "D";
  std::string text = CsvLine(ManifestHeader()) + ManifestLine(a);
  text.replace(text.find(",0,0,0,0,0,"), 11, ",0,x,0,0,0,");
  ASSERT_TRUE(WriteFileAtomically(path, text).ok());
  auto rows = ReadManifest(path);
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().message(), path + ":2: patient_volume: cannot parse 'x'");
}

std::vector<PatientKey> Patients(const std::string& dataset, int n) {
  std::vector<PatientKey> keys;
  for (int i = 0; i < n; ++i) keys.push_back({dataset, "p" + std::to_string(i)});
  return keys;
}

TEST(SplitTest, NinetyFiveFivePerDatasetDeterministicAndOrderFree) {
  std::vector<PatientKey> patients = Patients("A", 100);
  for (const auto& k : Patients("B", 40)) patients.push_back(k);
  auto split = PatientLevelSplit(patients, SplitOptions(), 42);
  ASSERT_TRUE(split.ok()) << split.status();
  std::map<std::string, std::array<int, 3>> counts;
  for (const auto& [key, s] : *split) ++counts[key.first][static_cast<int>(s)];
  EXPECT_EQ(counts["A"], (std::array<int, 3>{90, 5, 5}));
  EXPECT_EQ(counts["B"], (std::array<int, 3>{36, 2, 2}));
  // Reversed input, same seed: same assignment. Other seed: different.
  std::vector<PatientKey> reversed(patients.rbegin(), patients.rend());
  EXPECT_EQ(*PatientLevelSplit(reversed, SplitOptions(), 42), *split);
  EXPECT_NE(*PatientLevelSplit(patients, SplitOptions(), 43), *split);
}

TEST(SplitTest, SmallDatasetsAndValidation) {
  auto split = PatientLevelSplit(Patients("S", 5), SplitOptions(), 1);
  ASSERT_TRUE(split.ok());
  int train = 0;
  for (const auto& [key, s] : *split) train += s == Split::kTrain;
  EXPECT_EQ(train, 5);  // 4.5 / 0.25 / 0.25: the leftover goes to train.
  SplitOptions bad;
  bad.set_train(0.8);
  auto status = PatientLevelSplit(Patients("S", 5), bad, 1).status();
  EXPECT_EQ(status.message(), "split: train + val + test must be 1, got 0.9");
}

TEST(SplitTest, ManyTinyDatasetsStillGetValAndTest) {
  // Ten datasets of 3 patients: each one's own 5% rounds to zero, the corpus's does not
  // (30 patients -> 27 / 2 / 1 by largest remainder).
  std::vector<PatientKey> patients;
  for (int d = 0; d < 10; ++d) {
    for (const auto& k : Patients("D" + std::to_string(d), 3)) patients.push_back(k);
  }
  auto split = PatientLevelSplit(patients, SplitOptions(), 9);
  ASSERT_TRUE(split.ok()) << split.status();
  std::array<int, 3> totals = {0, 0, 0};
  std::map<std::string, std::array<int, 3>> per_dataset;
  for (const auto& [key, s] : *split) {
    ++totals[static_cast<int>(s)];
    ++per_dataset[key.first][static_cast<int>(s)];
  }
  EXPECT_EQ(totals, (std::array<int, 3>{27, 2, 1}));
  for (const auto& [dataset, c] : per_dataset) {
    EXPECT_GE(c[0], 2) << dataset;  // Every dataset keeps two train patients.
  }
  std::vector<PatientKey> reversed(patients.rbegin(), patients.rend());
  EXPECT_EQ(*PatientLevelSplit(reversed, SplitOptions(), 9), *split);
}

TEST(SplitTest, LeakageCheckFailsOnAPatientInTwoSplits) {
  std::vector<SplitAssignment> ok = {{{"A", "1"}, Split::kTrain, "row 1"},
                                     {{"A", "1"}, Split::kTrain, "row 2"},
                                     {{"B", "1"}, Split::kVal, "row 3"}};
  EXPECT_TRUE(CheckNoLeakage(ok).ok());
  ok.push_back({{"A", "1"}, Split::kTest, "row 4"});
  auto status = CheckNoLeakage(ok);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(),
            "patient leakage across splits (1 cases): A/1 in train (row 1) and test (row 4)");
}

TEST(SplitTest, CsvRoundTrip) {
  auto split = PatientLevelSplit(Patients("A,1", 20), SplitOptions(), 3);
  ASSERT_TRUE(WriteSplitCsv(Tmp("split.csv"), *split).ok());
  auto back = ReadSplitCsv(Tmp("split.csv"));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, *split);
}

TEST(SummaryTest, TablesAndCharts) {
  CorpusSummary summary;
  summary.AddPatient("Liver", "1", Modality::kCT, "abdomen", Split::kTrain);
  summary.AddPatient("Liver", "2", Modality::kCT, "abdomen", Split::kVal);
  summary.AddPatient("MRNet", "9", Modality::kMR, "knee", Split::kTrain);
  summary.AddPatient("MRNet", "empty", Modality::kMR, "knee", Split::kTest);  // No slices.
  for (int i = 0; i < 3; ++i) summary.AddSlice("Liver", "1");
  summary.AddSlice("Liver", "2");
  for (int i = 0; i < 5; ++i) summary.AddSlice("MRNet", "9");
  EXPECT_EQ(summary.total_slices(), 9);
  EXPECT_EQ(summary.SlicesPerModality(), (std::map<std::string, int64_t>{{"CT", 4}, {"MR", 5}}));
  const std::string dir = Tmp("summary");
  ASSERT_TRUE(summary.Write(dir).ok());
  auto datasets = ReadCsvFile(dir + "/slices_per_dataset.csv");
  ASSERT_TRUE(datasets.ok());
  ASSERT_EQ(datasets->rows.size(), 2u);
  EXPECT_EQ(datasets->rows[0], (std::vector<std::string>{"Liver", "CT", "abdomen", "2", "4", "1",
                                                         "2.00", "3", "3", "1", "0"}));
  EXPECT_EQ(datasets->rows[1], (std::vector<std::string>{"MRNet", "MR", "knee", "1", "5", "5",
                                                         "5.00", "5", "5", "0", "0"}));
  auto modality = ReadCsvFile(dir + "/slices_per_modality.csv");
  EXPECT_EQ(modality->rows[1], (std::vector<std::string>{"MR", "1", "5"}));
  auto splits = ReadCsvFile(dir + "/slices_per_split.csv");
  EXPECT_EQ(splits->rows[0], (std::vector<std::string>{"train", "2", "8"}));
  for (const char* png :
       {"slices_per_modality.png", "slices_per_body_part.png", "slices_per_dataset.png",
        "patients_per_dataset.png", "slices_per_patient.png"}) {
    cv::Mat image = cv::imread(dir + "/" + png);
    ASSERT_FALSE(image.empty()) << png;
    EXPECT_GT(image.cols, 600) << png;
    // Bars are drawn in the bar colour (BGR 180,119,31).
    int bar_pixels = 0;
    for (int y = 0; y < image.rows; ++y) {
      for (int x = 0; x < image.cols; ++x) {
        bar_pixels += image.at<cv::Vec3b>(y, x) == cv::Vec3b(180, 119, 31);
      }
    }
    EXPECT_GT(bar_pixels, 100) << png;
  }
}

}  // namespace
}  // namespace genesis
