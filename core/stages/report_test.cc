// `genesis report` and the "report" stage through the real binary, on synthetic run folders
// (plugins/reporter/report_fixture.h): several folders merge into one report, duplicates and
// missing evaluations are clear errors with exit code 1, and `genesis run` writes the report
// into the stage folder.
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "plugins/reporter/report_fixture.h"

namespace genesis {
namespace {

namespace fs = std::filesystem;

struct Result {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

Result Genesis(const std::string& args) {
  Result result;
  const std::string command = absl::StrCat("tools/genesis ", args, " 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  while (fgets(buffer, sizeof(buffer), pipe) != nullptr) result.output += buffer;
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

class ReportCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(std::getenv("TEST_TMPDIR")) /
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  std::string Run(const std::string& name, const FixtureOptions& options = {}) {
    const std::string dir = (root_ / name).string();
    EXPECT_TRUE(WriteFixtureRun(dir, options).ok());
    return dir;
  }
  fs::path root_;
};

TEST_F(ReportCommandTest, MergesRunFoldersIntoOneReport) {
  FixtureOptions resnet;
  resnet.backbone = "unet_resnet50";
  resnet.seed = 7;
  const std::string vgg = Run("vgg"), res = Run("resnet", resnet);
  const std::string out = (root_ / "report").string();
  const Result r =
      Genesis(absl::StrCat("report ", vgg, " ", res, " --out ", out, " --title 'LUNA16 study'"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto json = ReadFile(out + "/report.json");
  ASSERT_TRUE(json.ok());
  const nlohmann::json report = nlohmann::json::parse(*json);
  EXPECT_EQ(report["title"], "LUNA16 study");
  ASSERT_EQ(report["rows"].size(), 2u);
  EXPECT_EQ(report["rows"][0]["backbone"], "unet_resnet50");
  EXPECT_EQ(report["rows"][1]["backbone"], "unet_vgg16");
  EXPECT_TRUE(fs::exists(out + "/report.html"));
  EXPECT_TRUE(fs::exists(out + "/fig51.csv"));
  EXPECT_TRUE(fs::exists(out + "/plots/roc_luna16_unet_vgg16_r1.png"));
}

TEST_F(ReportCommandTest, ErrorsExitWithOneAndSayWhy) {
  const std::string run = Run("a");
  Result r = Genesis(absl::StrCat("report ", run, " ", run, " --out ", (root_ / "dup").string()));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("appears twice"), std::string::npos) << r.output;

  fs::remove(run + "/03_evaluate/evaluation.json");
  r = Genesis(
      absl::StrCat("report ", run, " --out ", (root_ / "missing").string(), " --reporters html"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("evaluation.json is missing"), std::string::npos) << r.output;

  r = Genesis(absl::StrCat("report ", run));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--out DIR"), std::string::npos) << r.output;

  r = Genesis(
      absl::StrCat("report ", Run("b"), " --out ", (root_ / "x").string(), " --reporters pdf"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("pdf"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("html"), std::string::npos) << r.output;  // lists the known ones
}

TEST_F(ReportCommandTest, ReportStageWritesIntoItsStageFolder) {
  const std::string run = Run("study");
  const std::string experiment = (root_ / "report.textproto").string();
  ASSERT_TRUE(WriteFileAtomically(
                  experiment, absl::StrCat("name: \"fixture\"\noutput_dir: \"", run,
                                           "\"\nstage { report { title: \"Fixture study\" } }\n"))
                  .ok());
  const Result r = Genesis(absl::StrCat("run ", experiment));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto html = ReadFile(run + "/00_report/report.html");
  ASSERT_TRUE(html.ok()) << r.output;
  EXPECT_NE(html->find("<h1>Fixture study</h1>"), std::string::npos);
  EXPECT_NE(html->find("0.9634"), std::string::npos);
  EXPECT_TRUE(fs::exists(run + "/00_report/report.json"));
  EXPECT_TRUE(fs::exists(run + "/00_report/plots/pretrain_loss_0.png"));
  EXPECT_NE(r.output.find("00_report/report.html"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace genesis
