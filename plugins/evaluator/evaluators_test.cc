// Each evaluator plugin, built through the registry, against hand-computed values.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/eval/metrics.h"
#include "core/evaluator.h"
#include "core/file_util.h"
#include "gtest/gtest.h"
#include "plugins/evaluator/bootstrap.pb.h"
#include "plugins/evaluator/luna16_cpm.pb.h"
#include "plugins/evaluator/threshold.pb.h"

namespace genesis {
namespace {

std::unique_ptr<Evaluator> Make(const std::string& name) {
  PluginSpec spec;
  spec.set_type(name);
  auto evaluator = Registry<Evaluator>::Get().Create(spec);
  EXPECT_TRUE(evaluator.ok()) << evaluator.status();
  return evaluator.ok() ? std::move(evaluator).value() : nullptr;
}

Predictions Make(std::vector<double> score, std::vector<int> label,
                 std::vector<std::string> group = {}) {
  Predictions p;
  p.source = "test.csv";
  for (size_t i = 0; i < score.size(); ++i) p.id.push_back(absl::StrCat("s", i));
  p.score = std::move(score);
  p.label = std::move(label);
  p.group = std::move(group);
  return p;
}

// Positives {0.9, 0.5, 0.5}, negatives {0.5, 0.2}: AUC 5/6, DeLong variance 5/144
// (worked out in core/eval/metrics_test.cc).
const Predictions kTest = Make({0.9, 0.5, 0.5, 0.5, 0.2}, {1, 1, 1, 0, 0});

TEST(EvaluatorsTest, AllRegistered) {
  const std::vector<std::string> names = Registry<Evaluator>::Get().Names();
  for (const char* name : {"auc", "bootstrap", "kappa", "luna16_cpm", "threshold"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
}

TEST(EvaluatorsTest, Auc) {
  EvaluationInput input;
  input.test = &kTest;
  absl::StatusOr<MetricSet> m = Make("auc")->Evaluate(input);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_DOUBLE_EQ(m->values.at("auc"), 5.0 / 6.0);
  EXPECT_NEAR(m->values.at("auc_variance"), 5.0 / 144.0, 1e-15);
  EXPECT_EQ(m->values.at("n_pos"), 3);
  EXPECT_NEAR(m->intervals.at("auc_ci95").first,
              5.0 / 6.0 - 1.959963984540054 * std::sqrt(5.0 / 144.0), 1e-12);
  const Curve& roc = m->curves.at("roc");
  EXPECT_EQ(roc.columns, (std::vector<std::string>{"fpr", "tpr", "threshold"}));
  ASSERT_EQ(roc.rows.size(), 4u);
  EXPECT_DOUBLE_EQ(roc.rows[2][0], 0.5);  // (fpr 1/2, tpr 1) at threshold 0.5.
  EXPECT_DOUBLE_EQ(roc.rows[2][1], 1.0);
  // One class only: an error naming the file.
  const Predictions one_class = Make({0.1, 0.2}, {1, 1});
  input.test = &one_class;
  absl::StatusOr<MetricSet> bad = Make("auc")->Evaluate(input);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("test.csv"), std::string::npos);
}

TEST(EvaluatorsTest, BootstrapGroupsSeedAndValidation) {
  std::vector<double> score;
  std::vector<int> label;
  std::vector<std::string> group;
  for (int i = 0; i < 400; ++i) {
    label.push_back(i % 5 == 0);
    score.push_back(std::fmod(i * 0.6180339887, 1.0) + 0.5 * label.back());
    group.push_back(absl::StrCat("scan", i / 8));
  }
  const Predictions p = Make(score, label, group);
  EvaluationInput input;
  input.test = &p;
  input.seed = 42;
  input.num_threads = 2;
  absl::StatusOr<MetricSet> m = Make("bootstrap")->Evaluate(input);
  ASSERT_TRUE(m.ok()) << m.status();
  const double auc = *Auc(score, label);
  EXPECT_LT(m->intervals.at("bootstrap_ci95").first, auc);
  EXPECT_GT(m->intervals.at("bootstrap_ci95").second, auc);
  EXPECT_EQ(m->values.at("bootstrap_by_group"), 1);
  EXPECT_EQ(m->values.at("bootstrap_replicates"), 2000);
  // Same as the library called with the run seed and groups.
  BootstrapOptions direct;
  direct.seed = 42;
  absl::StatusOr<BootstrapResult> r = BootstrapAuc(score, label, group, direct);
  EXPECT_DOUBLE_EQ(m->intervals.at("bootstrap_ci95").first, r->ci_low);
  EXPECT_DOUBLE_EQ(m->intervals.at("bootstrap_ci95").second, r->ci_high);

  BootstrapEvaluatorOptions bad;
  bad.set_replicates(0);
  absl::StatusOr<std::unique_ptr<Evaluator>> rejected =
      Registry<Evaluator>::Get().Create("bootstrap", bad);
  ASSERT_FALSE(rejected.ok());
  EXPECT_NE(rejected.status().message().find("replicates"), std::string::npos);
  bad.set_replicates(2000000000);  // Would allocate 16 GB of replicate AUCs.
  EXPECT_FALSE(Registry<Evaluator>::Get().Create("bootstrap", bad).ok());
}

TEST(EvaluatorsTest, ThresholdFixedAndYoudenOnValidation) {
  // Validation: Youden picks 0.9 (worked out in metrics_test). On the test set at 0.9:
  // TP 1, FN 2, FP 0, TN 2 -> accuracy 3/5, sensitivity 1/3, specificity 1.
  const Predictions val = Make({0.9, 0.4, 0.8, 0.1}, {1, 1, 0, 0});
  EvaluationInput input;
  input.test = &kTest;
  input.val = &val;
  absl::StatusOr<MetricSet> m = Make("threshold")->Evaluate(input);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_DOUBLE_EQ(m->values.at("accuracy_0.5"), 0.8);
  EXPECT_DOUBLE_EQ(m->values.at("sensitivity_0.5"), 1.0);
  EXPECT_DOUBLE_EQ(m->values.at("specificity_0.5"), 0.5);
  EXPECT_DOUBLE_EQ(m->values.at("threshold_youden"), 0.9);
  EXPECT_DOUBLE_EQ(m->values.at("accuracy_youden"), 0.6);
  EXPECT_DOUBLE_EQ(m->values.at("sensitivity_youden"), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(m->values.at("specificity_youden"), 1.0);
  // Without validation predictions: a warning, no Youden keys.
  input.val = nullptr;
  m = Make("threshold")->Evaluate(input);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->values.count("threshold_youden"), 0u);
  ASSERT_EQ(m->warnings.size(), 1u);
  EXPECT_NE(m->warnings[0].find("no validation predictions"), std::string::npos);
}

TEST(EvaluatorsTest, KappaAtStudyLevel) {
  // Studies (mean score -> call at 0.5, label): s1 .4 -> 0 (1); s2 .9 -> 1 (0); s3 .6 -> 1 (1);
  // s4 .1 -> 0 (0); s5 .2 -> 0 (0). Agreement 3/5; chance 2/5*2/5 + 3/5*3/5 = 0.52;
  // kappa = (0.6 - 0.52) / 0.48 = 1/6.
  const Predictions p = Make({0.2, 0.6, 0.9, 0.7, 0.5, 0.1, 0.2}, {1, 1, 0, 1, 1, 0, 0},
                             {"s1", "s1", "s2", "s3", "s3", "s4", "s5"});
  EvaluationInput input;
  input.test = &p;
  absl::StatusOr<MetricSet> m = Make("kappa")->Evaluate(input);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_NEAR(m->values.at("kappa_study"), 1.0 / 6.0, 1e-12);
  EXPECT_EQ(m->values.at("n_studies"), 5);
  EXPECT_DOUBLE_EQ(m->values.at("accuracy_study"), 0.6);
  // Without groups: an error saying what is needed.
  input.test = &kTest;
  absl::StatusOr<MetricSet> bad = Make("kappa")->Evaluate(input);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'group' column"), std::string::npos);
}

TEST(EvaluatorsTest, Luna16CpmFromTaskInfo) {
  // The hand-worked example of core/eval/froc_test.cc (CPM 3/7), as files and predictions.
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir = tmp ? tmp : "/tmp";
  ASSERT_TRUE(WriteFileAtomically(dir + "/annotations.csv",
                                  "seriesuid,coordX,coordY,coordZ,diameter_mm\n"
                                  "s1,0,0,0,10\ns1,50,0,0,4\ns2,0,0,0,-1\ns3,0,0,0,6\n"
                                  "s9,0,0,0,10\n")
                  .ok());
  ASSERT_TRUE(WriteFileAtomically(dir + "/excluded.csv",
                                  "seriesuid,coordX,coordY,coordZ,diameter_mm\ns2,30,0,0,-1\n")
                  .ok());
  Predictions p = Make({.9, .6, .8, .7, .95, .5, .3, .2}, {1, 1, 0, 1, 0, 0, 0, 0});
  p.series = {"s1", "s1", "s1", "s2", "s2", "s2", "s3", "s3"};
  p.world = {{1, 0, 0},  {0, 3, 0},   {50, 2.5, 0}, {4, 0, 0},
             {33, 0, 0}, {100, 0, 0}, {10, 0, 0},   {0, 0, 3}};
  EvaluationInput input;
  input.test = &p;
  input.task_info = {{"annotations", dir + "/annotations.csv"},
                     {"annotations_excluded", dir + "/excluded.csv"}};
  absl::StatusOr<MetricSet> m = Make("luna16_cpm")->Evaluate(input);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_DOUBLE_EQ(m->values.at("cpm"), 3.0 / 7.0);
  EXPECT_DOUBLE_EQ(m->tables.at("froc").at("0.125"), 0.25);
  EXPECT_DOUBLE_EQ(m->tables.at("froc").at("8"), 0.5);
  EXPECT_EQ(m->values.at("froc_scans"), 3);
  EXPECT_EQ(m->curves.at("froc").rows.size(), 7u);
  // Options override task.json; no annotations at all is an error naming the option.
  input.task_info.clear();
  absl::StatusOr<MetricSet> missing = Make("luna16_cpm")->Evaluate(input);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("Luna16CpmOptions.annotations"), std::string::npos);
  Luna16CpmOptions options;
  options.set_annotations(dir + "/annotations.csv");
  auto with_options = Registry<Evaluator>::Get().Create("luna16_cpm", options);
  ASSERT_TRUE(with_options.ok());
  m = (*with_options)->Evaluate(input);
  ASSERT_TRUE(m.ok()) << m.status();
  // Without the excluded list, the .95 mark on E1 is a false positive ranked first:
  // (0,0) (1/3,0)@.95 (1/3,1/4)@.9 ... -> sensitivity 0 at 1/8 and 1/4.
  EXPECT_DOUBLE_EQ(m->tables.at("froc").at("0.125"), 0.0);
  // Predictions without coordinates: an error.
  const Predictions flat = Make({0.1, 0.9}, {0, 1});
  input.test = &flat;
  EXPECT_FALSE((*with_options)->Evaluate(input).ok());
}

}  // namespace
}  // namespace genesis
