// The reporters over synthetic run folders (report_fixture.h): the HTML shows the evaluation's
// numbers in the Fig 5.1 table, says in words whether each comparison is significant, lists the
// inputs' warnings and provenance; the PNGs are real charts; the tables hold the same numbers;
// several run folders merge into one table; missing or duplicated inputs are clear errors.
#include "core/reporter.h"

#include <cstring>
#include <filesystem>
#include <regex>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/csv.h"
#include "core/file_util.h"
#include "core/stages/report.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "plugins/reporter/html.pb.h"
#include "plugins/reporter/report_fixture.h"
#include "plugins/reporter/study.h"

namespace genesis {
namespace {

namespace fs = std::filesystem;

class ReporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    root_ = fs::path(tmp != nullptr ? tmp : "/tmp") /
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(root_);
    fs::create_directories(root_);
  }

  std::string Run(const std::string& name, const FixtureOptions& options = {}) {
    const std::string dir = (root_ / name).string();
    EXPECT_TRUE(WriteFixtureRun(dir, options).ok());
    return dir;
  }

  // Runs `reporters` (empty = all) and returns the status.
  absl::Status Report(const std::vector<std::string>& runs, const std::string& out,
                      const std::vector<std::string>& reporters = {}) {
    google::protobuf::RepeatedPtrField<PluginSpec> specs;
    for (const std::string& r : reporters) specs.Add()->set_type(r);
    return RunReporters(specs, ReportInput{runs, ""}, out);
  }

  std::string Read(const std::string& path) {
    auto text = ReadFile(path);
    EXPECT_TRUE(text.ok()) << text.status();
    return text.ok() ? *text : "";
  }

  fs::path root_;
};

TEST_F(ReporterTest, HtmlShowsFig51NumbersSignificanceInWordsWarningsAndProvenance) {
  const std::string run = Run("luna");
  const std::string out = (root_ / "report").string();
  ASSERT_TRUE(Report({run}, out, {"html"}).ok());
  const std::string html = Read(out + "/report.html");

  // Fig 5.1 table: the evaluation's pooled AUCs with their CIs, fold mean +- sd.
  EXPECT_NE(html.find("Summary (study Fig 5.1)"), std::string::npos);
  EXPECT_NE(html.find("<div class=\"auc\">0.9512</div><div class=\"ci\">[0.9401, 0.9623]"),
            std::string::npos);
  EXPECT_NE(html.find("<div class=\"auc\">0.9634</div><div class=\"ci\">[0.9540, 0.9728]"),
            std::string::npos);
  EXPECT_NE(html.find("folds 0.9510 \xC2\xB1 0.0057 (n = 2)"), std::string::npos);
  // Delta against scratch in the table, with its CI and p.
  EXPECT_NE(html.find("<span class=\"delta\">+0.0122</span> <span class=\"ci\">"
                      "[\xE2\x88\x92"
                      "0.0031, 0.0275]</span>"),
            std::string::npos);
  EXPECT_NE(html.find("p = 0.12<span class=\"badge no\">n.s.</span>"), std::string::npos);
  // ImageNet failed in this run: "not run" with the reason.
  EXPECT_NE(html.find("<span class=\"notrun\">not run</span><div class=\"folds\">2 sub-run(s) "
                      "failed (subruns.csv)"),
            std::string::npos);

  // Delta columns of a missing initialisation say so.
  EXPECT_NE(html.find("<td class=\"notrun\">\xE2\x80\x94<div class=\"folds\">ImageNet not run"),
            std::string::npos);

  // Significance in words, for each comparison, whatever the answer.
  EXPECT_NE(html.find("Self-supervised vs Scratch: \xCE\x94"
                      "AUC +0.0122 [\xE2\x88\x92"
                      "0.0031, 0.0275], p = 0.12 \xE2\x80\x94 not significant at \xCE\xB1 = "
                      "0.05 (paired DeLong, seed 42)."),
            std::string::npos);
  EXPECT_NE(html.find("Self-supervised vs Scratch: \xCE\x94"
                      "AUC +0.0422 [0.0100, 0.0744], "
                      "p = 0.0092 \xE2\x80\x94 significant at \xCE\xB1 = 0.05 "
                      "(Self-supervised better)"),
            std::string::npos);
  EXPECT_NE(html.find("fold 0)."), std::string::npos);  // The per-fold test, in words too.

  // Label efficiency and per-fold tables.
  EXPECT_NE(html.find("labels 25%"), std::string::npos);
  EXPECT_NE(html.find("<td>subsets 2-3</td>"), std::string::npos);
  EXPECT_NE(html.find("<b>0.9674</b>"), std::string::npos);  // self_supervised fold 0, frac 1

  // Charts inline as SVG.
  EXPECT_GE(std::count(html.begin(), html.end(), '\n'), 1);
  size_t svgs = 0;
  for (size_t p = html.find("<svg "); p != std::string::npos; p = html.find("<svg ", p + 1)) {
    ++svgs;
  }
  EXPECT_GE(svgs, 7u);  // ROC, FROC, loss, val AUC, label efficiency, 2 detail ROC, pretraining

  // Warnings from every input, escaped.
  EXPECT_NE(html.find("/data/bad &lt;scan&gt;.nii.gz: itk: cannot read header &amp; data"),
            std::string::npos);
  EXPECT_EQ(html.find(kSkippedFile), std::string::npos);
  EXPECT_NE(html.find("pretraining epoch(s) 1: validation loss no better than predicting the "
                      "mean image"),
            std::string::npos);
  EXPECT_NE(html.find("4 sub-run(s) (self_supervised_fold0_seed42_frac0.25, "
                      "self_supervised_fold1_seed42_frac0.25, self_supervised_fold0_seed42_frac1, "
                      "self_supervised_fold1_seed42_frac1): 1 parameter(s) not loaded from "
                      "/runs/pretrain/encoder_state_dict.pt (allowed exceptions): "
                      "features.0.weight (1 -&gt; 3 input channels)"),
            std::string::npos);
  EXPECT_NE(html.find("1 test patient(s) of LUNA16 are in the pretraining corpus"),
            std::string::npos);
  EXPECT_NE(html.find(kEvaluationWarning), std::string::npos);
  EXPECT_NE(html.find("imagenet_fold1_seed42_frac1: status failed"), std::string::npos);

  // Provenance: library versions, seeds, stage fingerprints, resolved config.
  EXPECT_NE(html.find("<th>OpenCV</th><td>4."), std::string::npos);
  EXPECT_NE(html.find("<th>Protocol Buffers</th><td>3."), std::string::npos);
  EXPECT_NE(html.find("Experiment seed: 42; sub-run seeds: 42."), std::string::npos);
  EXPECT_NE(html.find("<td>02_transfer</td><td><code>333-42</code>"), std::string::npos);
  EXPECT_NE(html.find("name: &quot;luna16_unet_vgg16&quot;"), std::string::npos);

  // Self-contained, no leftovers.
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("href=\"http"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  const std::regex placeholder("\\b(todo|nan|inf|placeholder|lorem|fixme|xxx)\\b",
                               std::regex::icase);
  std::smatch m;
  EXPECT_FALSE(std::regex_search(html, m, placeholder)) << "found '" << m.str() << "'";
}

TEST_F(ReporterTest, PlotsAreNonBlankPngs) {
  const std::string run = Run("luna");
  const std::string out = (root_ / "report").string();
  ASSERT_TRUE(Report({run}, out, {"plots"}).ok());
  const std::vector<std::string> expected = {"roc_luna16_unet_vgg16_r0",
                                             "roc_luna16_unet_vgg16_r0_scratch",
                                             "roc_luna16_unet_vgg16_r0_self_supervised",
                                             "froc_luna16_unet_vgg16_r0",
                                             "loss_luna16_unet_vgg16_r0",
                                             "val_auc_luna16_unet_vgg16_r0",
                                             "label_efficiency_luna16_unet_vgg16_r0",
                                             "pretrain_loss_0"};
  for (const std::string& stem : expected) {
    const std::string path = absl::StrCat(out, "/plots/", stem, ".png");
    ASSERT_TRUE(fs::exists(path)) << path;
    EXPECT_GT(fs::file_size(path), 5000u) << path;
    const cv::Mat image = cv::imread(path, cv::IMREAD_COLOR);
    ASSERT_FALSE(image.empty()) << path;
    EXPECT_EQ(image.cols, 800);
    EXPECT_EQ(image.rows, 520);
    cv::Scalar mean, stddev;
    cv::meanStdDev(image, mean, stddev);
    EXPECT_GT(stddev[0] + stddev[1] + stddev[2], 30) << path << " looks blank";
    // Coloured series pixels, not only black text on white.
    cv::Mat channels[3];
    cv::split(image, channels);
    cv::Mat chroma;
    cv::absdiff(channels[0], channels[2], chroma);
    EXPECT_GT(cv::countNonZero(chroma > 60), 150) << path << " has no coloured lines";
  }
}

TEST_F(ReporterTest, TablesHoldTheSameNumbers) {
  const std::string run = Run("luna");
  const std::string out = (root_ / "report").string();
  ASSERT_TRUE(Report({run}, out, {"tables"}).ok());
  auto fig51 = ReadCsvFile(out + "/fig51.csv");
  ASSERT_TRUE(fig51.ok()) << fig51.status();
  const int init = fig51->Column("initializer"), auc = fig51->Column("auc"),
            status = fig51->Column("status"), delta = fig51->Column("delta_vs_scratch"),
            p = fig51->Column("p_vs_scratch"), sig = fig51->Column("significant_vs_scratch");
  ASSERT_EQ(fig51->rows.size(), 3u);  // scratch, self_supervised, imagenet (not run)
  EXPECT_EQ(fig51->rows[0][init], "scratch");
  EXPECT_EQ(fig51->rows[0][auc], "0.9512");
  EXPECT_EQ(fig51->rows[1][init], "self_supervised");
  EXPECT_EQ(fig51->rows[1][auc], "0.9634");
  EXPECT_EQ(fig51->rows[1][delta], "0.0122");
  EXPECT_EQ(fig51->rows[1][p], "0.118");
  EXPECT_EQ(fig51->rows[1][sig], "false");
  EXPECT_EQ(fig51->rows[2][status], "not run");

  auto folds = ReadCsvFile(out + "/folds.csv");
  ASSERT_TRUE(folds.ok());
  EXPECT_EQ(folds->rows.size(), 8u);  // 2 initialisations x 2 folds x 2 fractions

  const nlohmann::json report = nlohmann::json::parse(Read(out + "/report.json"));
  ASSERT_EQ(report["rows"].size(), 1u);
  const auto& row = report["rows"][0];
  EXPECT_EQ(row["dataset"], "LUNA16");
  EXPECT_EQ(row["backbone"], "unet_vgg16");
  EXPECT_DOUBLE_EQ(row["cells"][1]["auc"].get<double>(), 0.9634);
  EXPECT_EQ(row["cells"][1]["vs_scratch"][0]["significant"], false);
  EXPECT_EQ(row["cells"][2]["status"], "not run");
  EXPECT_EQ(row["folds"].size(), 8u);
  EXPECT_GE(report["warnings"].size(), 5u);
  EXPECT_EQ(report["provenance"]["runs"][0]["experiment_seed"], 42);
  auto comparisons = ReadCsvFile(out + "/comparisons.csv");
  ASSERT_TRUE(comparisons.ok());
  EXPECT_EQ(comparisons->rows.size(), 3u);
  // The answer in words: the pooled comparison at the main label fraction.
  auto answer = ReadFile(out + "/answer.txt");
  ASSERT_TRUE(answer.ok());
  EXPECT_NE(answer->find("Self-supervised vs Scratch: \xCE\x94" "AUC +0.0122 [\xE2\x88\x92"
                         "0.0031, 0.0275], p = 0.12 \xE2\x80\x94 not significant at "),
            std::string::npos)
      << *answer;
}

TEST_F(ReporterTest, AllReportersRunWhenNoneIsListed) {
  const std::string run = Run("luna");
  const std::string out = (root_ / "report").string();
  ASSERT_TRUE(Report({run}, out).ok());
  EXPECT_TRUE(fs::exists(out + "/report.html"));
  EXPECT_TRUE(fs::exists(out + "/report.json"));
  EXPECT_TRUE(fs::exists(out + "/plots/pretrain_loss_0.png"));
}

TEST_F(ReporterTest, SeveralRunFoldersBecomeRowsOfOneTable) {
  FixtureOptions resnet;
  resnet.backbone = "unet_resnet50";
  resnet.auc_offset = -0.006;
  resnet.seed = 7;
  FixtureOptions mura;
  mura.dataset = "MURA";
  mura.task = "mura";
  mura.auc_offset = -0.17;
  mura.imagenet_failed = false;
  const std::vector<std::string> runs = {Run("vgg"), Run("resnet", resnet), Run("mura", mura)};
  const std::string out = (root_ / "report").string();
  ASSERT_TRUE(Report(runs, out, {"tables", "html"}).ok());
  const nlohmann::json report = nlohmann::json::parse(Read(out + "/report.json"));
  ASSERT_EQ(report["rows"].size(), 3u);
  EXPECT_EQ(report["rows"][0]["dataset"], "LUNA16");
  EXPECT_EQ(report["rows"][0]["backbone"], "unet_resnet50");
  EXPECT_DOUBLE_EQ(report["rows"][0]["cells"][0]["auc"].get<double>(), 0.9452);
  EXPECT_EQ(report["rows"][1]["backbone"], "unet_vgg16");
  EXPECT_EQ(report["rows"][2]["dataset"], "MURA");
  EXPECT_EQ(report["rows"][2]["cells"][2]["reason"], "not configured in this run");
  EXPECT_EQ(report["provenance"]["runs"].size(), 3u);
  const std::string html = Read(out + "/report.html");
  EXPECT_NE(html.find("<td>unet_resnet50</td><td class=\"num\"><div class=\"auc\">0.9452"),
            std::string::npos);
  EXPECT_NE(html.find("MURA <span class=\"sub\">(mura)</span>"), std::string::npos);
  EXPECT_NE(html.find("seed 7)."), std::string::npos);
}

TEST_F(ReporterTest, TheSameSubrunInTwoFoldersIsAnErrorNamingBoth) {
  const std::string a = Run("a");
  const std::string b = Run("b");
  const absl::Status status = Report({a, b}, (root_ / "report").string(), {"tables"});
  ASSERT_FALSE(status.ok());
  const std::string message(status.message());
  EXPECT_NE(message.find("appears twice"), std::string::npos) << message;
  EXPECT_NE(message.find(a + "/03_evaluate"), std::string::npos) << message;
  EXPECT_NE(message.find(b + "/03_evaluate"), std::string::npos) << message;
}

TEST_F(ReporterTest, MissingEvaluationNamesTheStageToRun) {
  const std::string run = Run("luna");
  fs::remove(run + "/03_evaluate/evaluation.json");
  absl::Status status = Report({run}, (root_ / "report").string(), {"html"});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(std::string(status.message()).find("evaluation.json is missing"), std::string::npos)
      << status;
  EXPECT_NE(std::string(status.message()).find("evaluate stage"), std::string::npos) << status;
  EXPECT_FALSE(fs::exists(root_ / "report/report.html"));

  FixtureOptions unevaluated;
  unevaluated.evaluate = false;
  const std::string bare = Run("bare", unevaluated);
  status = Report({bare}, (root_ / "report2").string(), {"tables"});
  ASSERT_FALSE(status.ok());
  EXPECT_NE(std::string(status.message()).find("run the evaluate stage"), std::string::npos)
      << status;
  EXPECT_NE(std::string(status.message()).find("02_transfer"), std::string::npos) << status;

  status = Report({(root_ / "no_such_run").string()}, (root_ / "report3").string(), {"html"});
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
}

TEST_F(ReporterTest, MalformedEvaluationNamesFileAndField) {
  const std::string run = Run("luna");
  const std::string path = run + "/03_evaluate/evaluation.json";
  std::string json = Read(path);
  const std::string from = "\"test\": {\"auc\": 0.9552";
  ASSERT_NE(json.find(from), std::string::npos);
  json.replace(json.find(from), from.size(), "\"test\": {\"auc\": \"high\"");
  ASSERT_TRUE(WriteFileAtomically(path, json).ok());
  const absl::Status status = Report({run}, (root_ / "report").string(), {"tables"});
  ASSERT_FALSE(status.ok());
  EXPECT_NE(std::string(status.message()).find(path + ": subruns["), std::string::npos) << status;
  EXPECT_NE(std::string(status.message()).find("].test.auc: expected a number, got \"high\""),
            std::string::npos)
      << status;
}

TEST_F(ReporterTest, MissingCurveFileBecomesAWarningNotAFailure) {
  const std::string run = Run("luna");
  const std::string curve = run + "/03_evaluate/curves/scratch_fold0_seed42_frac1_roc.csv";
  ASSERT_TRUE(fs::remove(curve));
  const std::string out = (root_ / "report").string();
  ASSERT_TRUE(Report({run}, out, {"html"}).ok());
  const std::string html = Read(out + "/report.html");
  EXPECT_NE(html.find("scratch_fold0_seed42_frac1: curve not drawn"), std::string::npos);
}

TEST_F(ReporterTest, AMovedRunFolderStillFindsItsTransferStage) {
  const std::string run = Run("before");
  const std::string moved = (root_ / "after").string();
  fs::rename(run, moved);  // evaluation.json still names <before>/02_transfer
  const std::string out = (root_ / "report").string();
  ASSERT_TRUE(Report({moved}, out, {"tables"}).ok());
  const nlohmann::json report = nlohmann::json::parse(Read(out + "/report.json"));
  EXPECT_EQ(report["rows"][0]["transfer_dir"], moved + "/02_transfer");
  EXPECT_EQ(report["rows"][0]["backbone"], "unet_vgg16");
  EXPECT_EQ(report["rows"][0]["folds"][0]["best_epoch"], 6);
}

TEST_F(ReporterTest, PretrainingOnlyRunReportsItsLossCurveAndNoTable) {
  const std::string run = Run("pretrain_only");
  fs::remove_all(run + "/02_transfer");
  fs::remove_all(run + "/03_evaluate");
  const std::string out = (root_ / "report").string();
  ASSERT_TRUE(Report({run}, out, {"html", "plots"}).ok());
  const std::string html = Read(out + "/report.html");
  EXPECT_NE(html.find("only pretraining is reported below"), std::string::npos);
  EXPECT_NE(html.find("<h3>Pretraining</h3>"), std::string::npos);
  EXPECT_TRUE(fs::exists(out + "/plots/pretrain_loss_0.png"));
}

TEST_F(ReporterTest, CleanInputsSayThereAreNoWarnings) {
  const std::string run = Run("clean");
  fs::remove(run + "/00_corpus/skipped.csv");
  fs::remove(run + "/01_pretrain/metrics.csv");
  fs::remove(run + "/02_transfer/leakage.csv");
  std::string subruns = Read(run + "/02_transfer/subruns.csv");
  subruns = std::regex_replace(subruns, std::regex("imagenet[^\\n]*failed\\n"), "");
  ASSERT_TRUE(WriteFileAtomically(run + "/02_transfer/subruns.csv", subruns).ok());
  for (const auto& entry : fs::recursive_directory_iterator(run + "/02_transfer/subruns")) {
    if (entry.path().filename() == "weight_coverage.json") fs::remove(entry.path());
  }
  std::string evaluation = Read(run + "/03_evaluate/evaluation.json");
  evaluation.replace(evaluation.find(kEvaluationWarning), strlen(kEvaluationWarning), "");
  evaluation = std::regex_replace(evaluation, std::regex("\\[\"\"\\]"), "[]");
  ASSERT_TRUE(WriteFileAtomically(run + "/03_evaluate/evaluation.json", evaluation).ok());
  const std::string out = (root_ / "report").string();
  ASSERT_TRUE(Report({run}, out, {"html"}).ok());
  const std::string html = Read(out + "/report.html");
  EXPECT_NE(html.find("<p>None: no skipped inputs, no collapse warnings"), std::string::npos);
  EXPECT_NE(html.find("Warnings (0)"), std::string::npos);
  // ImageNet is no longer listed at all: its column says it was not configured.
  EXPECT_NE(html.find("not configured in this run"), std::string::npos);
}

TEST_F(ReporterTest, BadReporterOptionsAreRejected) {
  HtmlReporterOptions options;
  options.set_plot_width(10);
  auto reporter = Registry<Reporter>::Get().Create("html", options);
  ASSERT_FALSE(reporter.ok());
  EXPECT_NE(std::string(reporter.status().message()).find("plot_width"), std::string::npos);
}

}  // namespace
}  // namespace genesis
