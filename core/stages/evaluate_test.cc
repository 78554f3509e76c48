// The evaluate stage on a synthetic transfer folder (two initialisations x 2 folds x 1 seed,
// one sub-run without .done), checked against direct computations.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/eval/metrics.h"
#include "core/file_util.h"
#include "core/proto/experiment.pb.h"
#include "core/proto/stages.pb.h"
#include "core/stage.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace genesis {
namespace {

namespace fs = std::filesystem;
using google::protobuf::Struct;
using google::protobuf::Value;

struct Split {
  std::vector<std::string> id, group;
  std::vector<int> label;
  std::vector<double> score;
};

// Deterministic scores: signal strength grows with `skill`; coarse values make ties.
Split MakeSplit(const std::string& prefix, int fold, double skill, int n) {
  Split s;
  uint64_t state = 977 + fold * 131 + static_cast<uint64_t>(skill * 1000);
  for (int i = 0; i < n; ++i) {
    s.id.push_back(absl::StrCat(prefix, fold, "_", i));
    s.group.push_back(absl::StrCat("scan", fold, "_", i / 20));
    s.label.push_back(i % 8 == 0);
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    const double u = static_cast<double>(state >> 11) * 0x1.0p-53;
    s.score.push_back(std::round((0.7 * u + skill * s.label.back()) * 50) / 50 / (1 + skill));
  }
  return s;
}

std::string Csv(const Split& s) {
  std::string out = "id,group,label,score\n";
  for (size_t i = 0; i < s.id.size(); ++i) {
    absl::StrAppend(&out, s.id[i], ",", s.group[i], ",", s.label[i], ",",
                    absl::StrFormat("%.17g", s.score[i]), "\n");
  }
  return out;
}

Split Concat(const Split& a, const Split& b) {
  Split out = a;
  out.id.insert(out.id.end(), b.id.begin(), b.id.end());
  out.group.insert(out.group.end(), b.group.begin(), b.group.end());
  out.label.insert(out.label.end(), b.label.begin(), b.label.end());
  out.score.insert(out.score.end(), b.score.begin(), b.score.end());
  return out;
}

const Value& At(const Value& v, const std::string& key) {
  static const Value* const kMissing = new Value();
  EXPECT_EQ(v.kind_case(), Value::kStructValue) << "looking up " << key;
  auto it = v.struct_value().fields().find(key);
  EXPECT_NE(it, v.struct_value().fields().end()) << "missing key " << key;
  return it == v.struct_value().fields().end() ? *kMissing : it->second;
}

const Value& At(const Value& v, int index) { return v.list_value().values(index); }

class EvaluateStageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    run_ = fs::path(tmp ? tmp : "/tmp") / "evaluate_run";
    fs::remove_all(run_);
    transfer_ = run_ / "00_transfer";
    fs::create_directories(transfer_ / "subruns");
    ASSERT_TRUE(WriteFileAtomically((transfer_ / "task.json").string(),
                                    R"({"task": "toy", "dataset": "TOY"})")
                    .ok());
    std::string listing = "subrun,initializer,fold,fold_name,seed,label_fraction,status\n";
    for (const auto& [init, skill] : {std::pair{"scratch", 0.3}, std::pair{"imagenet", 0.6}}) {
      for (int fold = 0; fold < 2; ++fold) {
        const std::string name = absl::StrCat(init, "_fold", fold, "_seed42_frac1");
        test_[init][fold] = MakeSplit("cand", fold, skill, 240);
        val_[init][fold] = MakeSplit("val", fold, skill, 80);
        const fs::path dir = transfer_ / "subruns" / name;
        fs::create_directories(dir);
        const bool done = !(std::string(init) == "imagenet" && fold == 1);
        ASSERT_TRUE(WriteFileAtomically((dir / "subrun.json").string(),
                                        absl::StrFormat(R"({"subrun": "%s", "initializer": "%s",
                                            "fold": %d, "fold_name": "subsets %d-%d",
                                            "seed": 42, "label_fraction": 1.0})",
                                                        name, init, fold, 2 * fold, 2 * fold + 1))
                        .ok());
        ASSERT_TRUE(
            WriteFileAtomically((dir / "predictions_test.csv").string(), Csv(test_[init][fold]))
                .ok());
        ASSERT_TRUE(
            WriteFileAtomically((dir / "predictions_val.csv").string(), Csv(val_[init][fold]))
                .ok());
        if (done) {
          ASSERT_TRUE(WriteFileAtomically((dir / ".done").string(), "").ok());
        }
        absl::StrAppend(&listing, name, ",", init, ",", fold, ",subsets ", 2 * fold, "-",
                        2 * fold + 1, ",42,1,", done ? "done" : "pending", "\n");
      }
    }
    ASSERT_TRUE(WriteFileAtomically((transfer_ / "subruns.csv").string(), listing).ok());
  }

  // Runs stage 1 (evaluate) of an experiment whose stage 0 is a transfer.
  Value RunStage(const std::string& evaluate_textproto) {
    EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(
        absl::StrCat("stage { transfer {} } stage { evaluate { ", evaluate_textproto, " } }"),
        &experiment_));
    context_.experiment = &experiment_;
    context_.run_dir = run_.string();
    context_.stage_index = 1;
    context_.stage_dir = (run_ / "01_evaluate").string();
    context_.seed = 42;
    context_.num_threads = 2;
    context_.summary = &summary_;
    fs::create_directories(context_.stage_dir);
    PluginSpec spec;
    spec.set_type("evaluate");
    spec.mutable_options()->PackFrom(experiment_.stage(1).evaluate());
    auto runner = Registry<StageRunner>::Get().Create(spec);
    EXPECT_TRUE(runner.ok()) << runner.status();
    const absl::Status status = (*runner)->Run(context_);
    EXPECT_TRUE(status.ok()) << status;
    absl::StatusOr<std::string> text =
        ReadFile((fs::path(context_.stage_dir) / "evaluation.json").string());
    EXPECT_TRUE(text.ok()) << text.status();
    Value root;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(*text, &root).ok());
    return root;
  }

  fs::path run_, transfer_;
  std::map<std::string, std::map<int, Split>> test_, val_;
  Experiment experiment_;
  RunContext context_;
  RunSummary summary_;
};

TEST_F(EvaluateStageTest, NumbersMatchDirectComputation) {
  const Value root = RunStage(R"(evaluator { type: "threshold" }
                                 evaluator { type: "bootstrap" options {
                                   [type.googleapis.com/genesis.BootstrapEvaluatorOptions] {
                                     replicates: 200 } } }
                                 reference: "scratch")");
  EXPECT_EQ(At(root, "task").string_value(), "toy");
  EXPECT_EQ(At(root, "transfer_dir").string_value(), transfer_.string());

  // The unfinished sub-run is left out, named in warnings and counted as skipped.
  const Value& subruns = At(root, "subruns");
  ASSERT_EQ(subruns.list_value().values_size(), 3);
  bool warned = false;
  for (const Value& w : At(root, "warnings").list_value().values()) {
    warned |=
        w.string_value().find("imagenet_fold1_seed42_frac1 has no .done") != std::string::npos;
  }
  EXPECT_TRUE(warned);
  EXPECT_EQ(summary_.skipped, 1);

  // Per sub-run: AUC, DeLong CI, Youden threshold chosen on val and applied to test.
  for (const Value& s : subruns.list_value().values()) {
    const std::string init = At(s, "initializer").string_value();
    const int fold = static_cast<int>(At(s, "fold").number_value());
    const Split& t = test_[init][fold];
    const Split& v = val_[init][fold];
    const Value& m = At(s, "test");
    const DeLongResult direct = *DeLong(t.score, t.label, 0.05);
    EXPECT_NEAR(At(m, "auc").number_value(), direct.auc, 1e-12) << init << fold;
    EXPECT_NEAR(At(At(m, "auc_ci95"), 0).number_value(), direct.ci_low, 1e-12);
    EXPECT_NEAR(At(At(m, "auc_ci95"), 1).number_value(), direct.ci_high, 1e-12);
    EXPECT_EQ(At(m, "n_pos").number_value(), 30);
    const double youden = *YoudenThreshold(v.score, v.label);
    EXPECT_NEAR(At(m, "threshold_youden").number_value(), youden, 1e-12);
    EXPECT_NEAR(At(m, "accuracy_youden").number_value(),
                AtThreshold(t.score, t.label, youden).accuracy, 1e-12);
    EXPECT_NEAR(At(m, "specificity_0.5").number_value(),
                AtThreshold(t.score, t.label, 0.5).specificity, 1e-12);
    EXPECT_EQ(At(m, "bootstrap_ci95").list_value().values_size(), 2);
    // The ROC curve is written even without the "auc" evaluator.
    EXPECT_EQ(At(At(s, "curves"), "roc").string_value(),
              absl::StrCat("curves/", At(s, "subrun").string_value(), "_roc.csv"));
  }

  // Summary of scratch: test predictions of both folds pooled; fold mean and sd.
  const Value& summary = At(root, "summary");
  ASSERT_EQ(summary.list_value().values_size(), 2);
  const Value& scratch = At(summary, 0);
  EXPECT_EQ(At(scratch, "initializer").string_value(), "scratch");
  const Split pooled = Concat(test_["scratch"][0], test_["scratch"][1]);
  const DeLongResult pooled_direct = *DeLong(pooled.score, pooled.label, 0.05);
  EXPECT_NEAR(At(At(scratch, "pooled"), "auc").number_value(), pooled_direct.auc, 1e-12);
  EXPECT_NEAR(At(At(At(scratch, "pooled"), "auc_ci95"), 0).number_value(), pooled_direct.ci_low,
              1e-12);
  const double a0 = *Auc(test_["scratch"][0].score, test_["scratch"][0].label);
  const double a1 = *Auc(test_["scratch"][1].score, test_["scratch"][1].label);
  EXPECT_NEAR(At(At(scratch, "folds"), "auc_mean").number_value(), (a0 + a1) / 2, 1e-12);
  EXPECT_NEAR(At(At(scratch, "folds"), "auc_sd").number_value(), std::fabs(a0 - a1) / std::sqrt(2),
              1e-12);
  EXPECT_EQ(At(At(scratch, "folds"), "n_folds").number_value(), 2);
  EXPECT_EQ(At(At(scratch, "seeds"), "n_seeds").number_value(), 1);
  EXPECT_EQ(At(At(scratch, "seeds"), "auc_sd").kind_case(), Value::kNullValue);  // One seed.
  EXPECT_EQ(At(At(At(summary, 1), "folds"), "n_folds").number_value(), 1);       // imagenet.

  // Comparisons: imagenet (a) vs scratch (b) on fold 0, pooled over the common fold 0 only.
  const Value& comparisons = At(root, "comparisons");
  ASSERT_EQ(comparisons.list_value().values_size(), 2);
  const PairedDeLongResult paired = *PairedDeLong(
      test_["imagenet"][0].score, test_["scratch"][0].score, test_["scratch"][0].label, 0.05);
  for (const Value& c : comparisons.list_value().values()) {
    EXPECT_EQ(At(c, "a").string_value(), "imagenet");
    EXPECT_EQ(At(c, "b").string_value(), "scratch");
    EXPECT_NEAR(At(c, "delta").number_value(), paired.delta, 1e-12);
    EXPECT_NEAR(At(c, "p_value").number_value(), paired.p_value, 1e-12);
    EXPECT_NEAR(At(At(c, "delta_ci95"), 1).number_value(), paired.delta_ci_high, 1e-12);
    EXPECT_EQ(At(c, "significant").bool_value(), paired.p_value < 0.05);
    EXPECT_EQ(At(c, "method").string_value(), "paired DeLong");
    EXPECT_EQ(At(c, "n_unpaired").number_value(), 0);
  }
  EXPECT_EQ(At(At(comparisons, 0), "scope").string_value(), "pooled");
  EXPECT_EQ(At(At(comparisons, 1), "scope").string_value(), "fold 0");
  EXPECT_GT(paired.delta, 0);  // The better model wins here.

  // CSV twins.
  for (const char* file : {"summary.csv", "comparisons.csv", "subruns.csv"}) {
    absl::StatusOr<std::string> text = ReadFile((fs::path(context_.stage_dir) / file).string());
    ASSERT_TRUE(text.ok()) << file;
    EXPECT_GT(std::count(text->begin(), text->end(), '\n'), 1) << file;
  }
  const std::string comparisons_csv =
      *ReadFile((fs::path(context_.stage_dir) / "comparisons.csv").string());
  EXPECT_EQ(comparisons_csv.substr(0, comparisons_csv.find('\n')),
            "a,b,label_fraction,scope,fold,seed,auc_a,auc_b,delta,delta_ci95_low,"
            "delta_ci95_high,p_value,significant,method,n_pos,n_neg,n_unpaired");
}

TEST_F(EvaluateStageTest, CurvesAndReferenceOrder) {
  // "imagenet" as the reference: the comparison turns around (a = scratch).
  const Value root = RunStage(R"(evaluator { type: "auc" } reference: "imagenet")");
  const Value& s0 = At(At(root, "subruns"), 0);
  const std::string roc = At(At(s0, "curves"), "roc").string_value();
  ASSERT_FALSE(roc.empty());
  absl::StatusOr<std::string> text = ReadFile((fs::path(context_.stage_dir) / roc).string());
  ASSERT_TRUE(text.ok()) << roc;
  EXPECT_EQ(text->substr(0, text->find('\n')), "fpr,tpr,threshold");
  EXPECT_NE(text->find("\n0,0,inf\n"), std::string::npos);
  const Value& c = At(At(root, "comparisons"), 0);
  EXPECT_EQ(At(c, "a").string_value(), "scratch");
  EXPECT_EQ(At(c, "b").string_value(), "imagenet");
  EXPECT_LT(At(c, "delta").number_value(), 0);
}

TEST_F(EvaluateStageTest, StaleDoneMarkerIsLeftOut) {
  // scratch fold 1 keeps its .done, but the transfer stage listed it as pending.
  std::string listing = *ReadFile((transfer_ / "subruns.csv").string());
  const std::string row = "scratch_fold1_seed42_frac1,scratch,1,subsets 2-3,42,1,done";
  ASSERT_NE(listing.find(row), std::string::npos);
  listing.replace(listing.find(row), row.size(),
                  "scratch_fold1_seed42_frac1,scratch,1,subsets 2-3,42,1,pending");
  ASSERT_TRUE(WriteFileAtomically((transfer_ / "subruns.csv").string(), listing).ok());
  const Value root = RunStage("");
  EXPECT_EQ(At(root, "subruns").list_value().values_size(), 2);
  // No evaluator configured: every registered one where it applies (threshold, bootstrap,
  // auc); luna16_cpm cannot (no coordinates) and is named once in the warnings.
  const Value& first = At(At(At(root, "subruns"), 0), "test");
  EXPECT_EQ(first.struct_value().fields().count("accuracy_0.5"), 1u);
  EXPECT_EQ(first.struct_value().fields().count("bootstrap_ci95"), 1u);
  EXPECT_EQ(first.struct_value().fields().count("cpm"), 0u);
  int cpm_warnings = 0;
  for (const Value& w : At(root, "warnings").list_value().values()) {
    cpm_warnings += w.string_value().find("evaluator luna16_cpm (not configured") == 0;
  }
  EXPECT_EQ(cpm_warnings, 1);
  EXPECT_EQ(summary_.skipped, 2);
  bool warned = false;
  for (const Value& w : At(root, "warnings").list_value().values()) {
    warned |= w.string_value().find(
                  "scratch_fold1_seed42_frac1 has a .done marker but status "
                  "pending") != std::string::npos;
  }
  EXPECT_TRUE(warned);
}

TEST_F(EvaluateStageTest, NoFinishedSubrunIsAnError) {
  for (const auto& entry : fs::recursive_directory_iterator(transfer_ / "subruns")) {
    if (entry.path().filename() == ".done") fs::remove(entry.path());
  }
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      "stage { transfer {} } stage { evaluate {} }", &experiment_));
  context_.experiment = &experiment_;
  context_.run_dir = run_.string();
  context_.stage_index = 1;
  context_.stage_dir = (run_ / "01_evaluate").string();
  context_.summary = &summary_;
  fs::create_directories(context_.stage_dir);
  auto runner = Registry<StageRunner>::Get().Create("evaluate", EvaluateStage());
  ASSERT_TRUE(runner.ok());
  const absl::Status status = (*runner)->Run(context_);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("no finished sub-run"), std::string::npos) << status;
}

// LUNA16: luna16_cpm finds the annotation files through the transfer stage's task.json. The
// candidates are the hand-worked example of core/eval/froc_test.cc (CPM 3/7).
TEST(EvaluateStageLunaTest, CpmFromTaskJson) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const fs::path run = fs::path(tmp ? tmp : "/tmp") / "evaluate_luna_run";
  fs::remove_all(run);
  const fs::path transfer = run / "transfer";
  const fs::path sub = transfer / "subruns" / "scratch_fold0_seed1_frac1";
  fs::create_directories(sub);
  ASSERT_TRUE(WriteFileAtomically((run / "annotations.csv").string(),
                                  "seriesuid,coordX,coordY,coordZ,diameter_mm\n"
                                  "s1,0,0,0,10\ns1,50,0,0,4\ns2,0,0,0,-1\ns3,0,0,0,6\n")
                  .ok());
  ASSERT_TRUE(WriteFileAtomically((run / "excluded.csv").string(),
                                  "seriesuid,coordX,coordY,coordZ,diameter_mm\ns2,30,0,0,-1\n")
                  .ok());
  ASSERT_TRUE(
      WriteFileAtomically(
          (transfer / "task.json").string(),
          absl::StrCat(R"({"task": "luna16", "dataset": "LUNA16", "annotations": ")",
                       (run / "annotations.csv").string(), R"(", "annotations_excluded": ")",
                       (run / "excluded.csv").string(), "\"}"))
          .ok());
  ASSERT_TRUE(
      WriteFileAtomically((sub / "subrun.json").string(),
                          R"({"initializer": "scratch", "fold": 0, "fold_name": "subsets 0-1",
                                      "seed": 1, "label_fraction": 1})")
          .ok());
  ASSERT_TRUE(WriteFileAtomically((sub / "predictions_test.csv").string(),
                                  "id,group,label,score,seriesuid,coordX,coordY,coordZ\n"
                                  "c1,s1,1,.9,s1,1,0,0\nc2,s1,1,.6,s1,0,3,0\n"
                                  "c3,s1,0,.8,s1,50,2.5,0\nc4,s2,1,.7,s2,4,0,0\n"
                                  "c5,s2,0,.95,s2,33,0,0\nc6,s2,0,.5,s2,100,0,0\n"
                                  "c7,s3,0,.3,s3,10,0,0\nc8,s3,0,.2,s3,0,0,3\n")
                  .ok());
  ASSERT_TRUE(WriteFileAtomically((sub / ".done").string(), "").ok());
  EvaluateStage options;
  options.set_transfer_dir(transfer.string());
  options.add_evaluator()->set_type("luna16_cpm");
  auto runner = Registry<StageRunner>::Get().Create("evaluate", options);
  ASSERT_TRUE(runner.ok()) << runner.status();
  Experiment experiment;
  RunSummary summary;
  RunContext context;
  context.experiment = &experiment;
  context.run_dir = run.string();
  context.stage_dir = (run / "evaluate").string();
  context.summary = &summary;
  fs::create_directories(context.stage_dir);
  const absl::Status status = (*runner)->Run(context);
  ASSERT_TRUE(status.ok()) << status;
  Value root;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                  *ReadFile((run / "evaluate" / "evaluation.json").string()), &root)
                  .ok());
  EXPECT_EQ(At(root, "task").string_value(), "luna16");
  const Value& test = At(At(At(root, "subruns"), 0), "test");
  EXPECT_DOUBLE_EQ(At(test, "cpm").number_value(), 3.0 / 7.0);
  EXPECT_DOUBLE_EQ(At(At(test, "froc"), "0.125").number_value(), 0.25);
  EXPECT_DOUBLE_EQ(At(At(test, "froc"), "8").number_value(), 0.5);
  EXPECT_DOUBLE_EQ(At(At(At(At(root, "summary"), 0), "pooled"), "cpm").number_value(), 3.0 / 7.0);
  const std::string froc = At(At(At(At(root, "subruns"), 0), "curves"), "froc").string_value();
  EXPECT_EQ(froc, "curves/scratch_fold0_seed1_frac1_froc.csv");
  absl::StatusOr<std::string> curve = ReadFile((run / "evaluate" / froc).string());
  ASSERT_TRUE(curve.ok());
  EXPECT_EQ(curve->substr(0, curve->find('\n')), "fps_per_scan,sensitivity");
  EXPECT_EQ(At(root, "comparisons").list_value().values_size(), 0);  // One initialisation.
}

}  // namespace
}  // namespace genesis
