// "msd" over make_fixtures.py's six MSD tasks.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "plugins/dataset/fixture_util.h"
#include "plugins/dataset/msd.pb.h"

namespace genesis {
namespace {

using dataset::MakeFixture;
using dataset::Relative;
using dataset::ScanWith;

MsdOptions Task(const std::string& folder) {
  MsdOptions options;
  options.set_root(absl::StrCat(MakeFixture("msd"), "/", folder));
  return options;
}

TEST(MsdTest, LiverListsTrainingCasesFromDatasetJson) {
  MsdOptions options = Task("Task03_Liver");
  auto records = ScanWith("msd", options);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 2u);  // "._liver_0.nii.gz" junk and imagesTs are not listed.
  const PatientRecord& r = (*records)[0];
  EXPECT_EQ(r.dataset, "MSD-Liver");
  EXPECT_EQ(r.patient_id, "liver_0");
  EXPECT_EQ(r.modality, Modality::kCT);
  EXPECT_EQ(r.body_part, "liver");
  EXPECT_EQ(Relative(r.files, options.root()), std::vector<std::string>{"imagesTr/liver_0.nii.gz"});
  EXPECT_EQ(r.slice_count, -1);
  EXPECT_EQ(r.hints.channel, 0);
  EXPECT_EQ(r.labels.count("channel"), 0u);
  EXPECT_EQ(r.labels.at("channel_name"), "CT");
  EXPECT_EQ(r.labels.at("split"), "train");
  EXPECT_EQ((*records)[1].patient_id, "liver_1");
}

TEST(MsdTest, IncludeTestAddsImagesTs) {
  MsdOptions options = Task("Task03_Liver");
  options.set_include_test(true);
  auto records = ScanWith("msd", options);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 3u);
  EXPECT_EQ((*records)[2].patient_id, "liver_132");
  EXPECT_EQ((*records)[2].labels.at("split"), "test");
  EXPECT_EQ(Relative((*records)[2].files, options.root()),
            std::vector<std::string>{"imagesTs/liver_132.nii.gz"});
}

TEST(MsdTest, EveryTaskHasItsNameModalityAndBodyPart) {
  struct Expected {
    const char* folder;
    const char* dataset;
    const char* body_part;
    const char* first_patient;
    Modality modality;
  };
  for (const Expected& e : std::vector<Expected>{
           {"Task05_Prostate", "MSD-Prostate", "prostate", "prostate_00", Modality::kMR},
           {"Task07_Pancreas", "MSD-Pancreas", "pancreas", "pancreas_001", Modality::kCT},
           {"Task08_HepaticVessel", "MSD-HepaticVessel", "hepatic_vessel", "hepaticvessel_001",
            Modality::kCT},
           {"Task09_Spleen", "MSD-Spleen", "spleen", "spleen_2", Modality::kCT},
           {"Task10_Colon", "MSD-Colon", "colon", "colon_001", Modality::kCT}}) {
    SCOPED_TRACE(e.folder);
    auto records = ScanWith("msd", Task(e.folder));
    ASSERT_TRUE(records.ok()) << records.status();
    ASSERT_EQ(records->size(), 2u);
    EXPECT_EQ((*records)[0].dataset, e.dataset);
    EXPECT_EQ((*records)[0].body_part, e.body_part);
    EXPECT_EQ((*records)[0].patient_id, e.first_patient);
    EXPECT_EQ((*records)[0].modality, e.modality);
  }
}

TEST(MsdTest, ProstateKeepsT2ChannelByDefaultAndCanSelectAdc) {
  auto t2 = ScanWith("msd", Task("Task05_Prostate"));
  ASSERT_TRUE(t2.ok()) << t2.status();
  EXPECT_EQ((*t2)[0].hints.channel, 0);
  EXPECT_EQ((*t2)[0].labels.at("channel_name"), "T2");
  EXPECT_EQ((*t2)[0].labels.at("channels"), "2");
  MsdOptions options = Task("Task05_Prostate");
  options.set_channel(1);
  auto adc = ScanWith("msd", options);
  ASSERT_TRUE(adc.ok()) << adc.status();
  EXPECT_EQ((*adc)[0].labels.at("channel_name"), "ADC");
  EXPECT_EQ((*adc)[0].modality, Modality::kMR);
}

TEST(MsdTest, NameAndBodyPartOverrides) {
  MsdOptions options = Task("Task09_Spleen");
  options.set_name("Spleen");
  options.set_body_part("abdomen");
  auto records = ScanWith("msd", options);
  ASSERT_TRUE(records.ok()) << records.status();
  EXPECT_EQ((*records)[0].dataset, "Spleen");
  EXPECT_EQ((*records)[0].body_part, "abdomen");
}

TEST(MsdTest, Errors) {
  auto missing_root = ScanWith("msd", MsdOptions());
  EXPECT_EQ(missing_root.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(missing_root.status().message(), "root: must be set");

  MsdOptions options;
  options.set_root("/nonexistent/Task03_Liver");
  auto absent = ScanWith("msd", options);
  EXPECT_EQ(absent.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(absent.status().message(), "root: /nonexistent/Task03_Liver does not exist");

  const std::string empty = dataset::ScratchDir("msd_no_json");
  options.set_root(empty);
  auto no_json = ScanWith("msd", options);
  EXPECT_EQ(no_json.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(no_json.status().message().find(empty + "/dataset.json: missing"), std::string::npos)
      << no_json.status();

  dataset::WriteText(empty + "/dataset.json", "{\"name\": \"Liver\", \"modality\": {\"0\": ");
  auto bad_json = ScanWith("msd", options);
  EXPECT_EQ(bad_json.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad_json.status().message().find("dataset.json: invalid JSON"), std::string::npos)
      << bad_json.status();

  dataset::WriteText(empty + "/dataset.json",
                     "{\"name\": \"Liver\", \"modality\": {\"0\": \"CT\"}, \"training\": "
                     "[{\"image\": \"./imagesTr/liver_7.nii.gz\"}]}");
  auto missing_file = ScanWith("msd", options);
  EXPECT_EQ(missing_file.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing_file.status().message().find("imagesTr/liver_7.nii.gz: missing (listed in"),
            std::string::npos)
      << missing_file.status();

  MsdOptions liver = Task("Task03_Liver");
  liver.set_channel(1);
  auto bad_channel = ScanWith("msd", liver);
  EXPECT_EQ(bad_channel.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_channel.status().message().substr(0, 10), "channel: 1") << bad_channel.status();
}

}  // namespace
}  // namespace genesis
