#include "core/eval/metrics.h"

#include <cmath>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace genesis {
namespace {

// Example A (hand-worked): positives {0.9, 0.5, 0.5}, negatives {0.5, 0.2}.
//   Pairs won: 0.9 beats both (2); each 0.5 ties 0.5 (1/2) and beats 0.2 (1) -> 2 * 1.5 = 3.
//   AUC = 5/6.
//   V10 (per positive, negatives below + half tied, / n=2): 1, 3/4, 3/4.
//   V01 (per negative, positives above + half tied, / m=3): 0.5 -> (1 + 2/2)/3 = 2/3; 0.2 -> 1.
//   S10 = [(1/6)^2 + 2 (1/12)^2] / 2 = (1/36 + 1/72) / 2 = 1/48.
//   S01 = [(1/6)^2 + (1/6)^2] / 1 = 1/18.
//   var = S10/3 + S01/2 = 1/144 + 4/144 = 5/144.
const std::vector<double> kScoresA = {0.9, 0.5, 0.5, 0.5, 0.2};
const std::vector<int> kLabels = {1, 1, 1, 0, 0};
// Example B, same samples: positives {0.4, 0.8, 0.1}, negatives {0.3, 0.6}.
//   Pairs won: 0.4 beats 0.3 (1); 0.8 beats both (2); 0.1 none -> AUC = 3/6 = 1/2.
//   V10: 1/2, 1, 0; V01: 0.3 -> 2/3, 0.6 -> 1/3.
//   S10 = (0 + 1/4 + 1/4) / 2 = 1/4;  S01 = (1/36 + 1/36) / 1 = 1/18.
//   var = (1/4)/3 + (1/18)/2 = 16/144.
//   cov10(A,B) = [(1/6)(0) + (-1/12)(1/2) + (-1/12)(-1/2)] / 2 = 0.
//   cov01(A,B) = [(-1/6)(1/6) + (1/6)(-1/6)] / 1 = -1/18.
//   cov = 0/3 + (-1/18)/2 = -4/144.
//   var(A - B) = 5/144 + 16/144 + 8/144 = 29/144; delta = 1/3.
const std::vector<double> kScoresB = {0.4, 0.8, 0.1, 0.3, 0.6};

TEST(AucTest, HandComputedWithTies) {
  absl::StatusOr<double> auc = Auc(kScoresA, kLabels);
  ASSERT_TRUE(auc.ok()) << auc.status();
  EXPECT_DOUBLE_EQ(*auc, 5.0 / 6.0);
  // All tied: 1/2. Perfect and inverted rankings: 1 and 0.
  EXPECT_DOUBLE_EQ(*Auc({0.3, 0.3, 0.3}, {1, 0, 0}), 0.5);
  EXPECT_DOUBLE_EQ(*Auc({0.9, 0.8, 0.1}, {1, 1, 0}), 1.0);
  EXPECT_DOUBLE_EQ(*Auc({0.1, 0.2, 0.9}, {1, 1, 0}), 0.0);
}

TEST(AucTest, RejectsBadInput) {
  EXPECT_FALSE(Auc({0.1, 0.2}, {1, 1}).ok());       // One class only.
  EXPECT_FALSE(Auc({0.1, 0.2}, {1, 2}).ok());       // Label 2.
  EXPECT_FALSE(Auc({0.1, NAN}, {1, 0}).ok());       // NaN score.
  EXPECT_FALSE(Auc({0.1, 0.2, 0.3}, {1, 0}).ok());  // Sizes differ.
  const absl::Status status = Auc({0.1, 0.2}, {1, 1}).status();
  EXPECT_NE(status.message().find("both classes"), std::string::npos) << status;
}

TEST(NormalQuantileTest, KnownValues) {
  EXPECT_NEAR(NormalQuantile(0.975), 1.959963984540054, 1e-12);
  EXPECT_NEAR(NormalQuantile(0.5), 0.0, 1e-14);
  EXPECT_NEAR(NormalQuantile(0.001), -3.090232306167813, 1e-11);
}

TEST(DeLongTest, HandComputedVarianceAndCi) {
  absl::StatusOr<DeLongResult> r = DeLong(kScoresA, kLabels, 0.05);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_DOUBLE_EQ(r->auc, 5.0 / 6.0);
  EXPECT_NEAR(r->variance, 5.0 / 144.0, 1e-15);
  const double half = 1.959963984540054 * std::sqrt(5.0 / 144.0);
  EXPECT_NEAR(r->ci_low, 5.0 / 6.0 - half, 1e-12);
  EXPECT_DOUBLE_EQ(r->ci_high, 1.0);  // Clipped.
  EXPECT_EQ(r->n_pos, 3);
  EXPECT_EQ(r->n_neg, 2);
}

TEST(DeLongTest, PairedHandComputed) {
  absl::StatusOr<PairedDeLongResult> r = PairedDeLong(kScoresA, kScoresB, kLabels, 0.05);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_DOUBLE_EQ(r->a.auc, 5.0 / 6.0);
  EXPECT_DOUBLE_EQ(r->b.auc, 0.5);
  EXPECT_NEAR(r->b.variance, 16.0 / 144.0, 1e-15);
  EXPECT_NEAR(r->delta, 1.0 / 3.0, 1e-15);
  EXPECT_NEAR(r->delta_variance, 29.0 / 144.0, 1e-15);
  const double z = (1.0 / 3.0) / std::sqrt(29.0 / 144.0);
  EXPECT_NEAR(r->z, z, 1e-12);
  EXPECT_NEAR(r->p_value, std::erfc(z / std::sqrt(2.0)), 1e-12);
  EXPECT_NEAR(r->p_value, 0.45760, 1e-4);
  EXPECT_NEAR(r->delta_ci_low, 1.0 / 3.0 - 1.959963984540054 * std::sqrt(29.0 / 144.0), 1e-12);
  // Swapping the models flips delta, keeps p.
  absl::StatusOr<PairedDeLongResult> s = PairedDeLong(kScoresB, kScoresA, kLabels, 0.05);
  ASSERT_TRUE(s.ok());
  EXPECT_NEAR(s->delta, -r->delta, 1e-15);
  EXPECT_NEAR(s->p_value, r->p_value, 1e-15);
  // Identical models: delta 0, p 1.
  absl::StatusOr<PairedDeLongResult> same = PairedDeLong(kScoresA, kScoresA, kLabels, 0.05);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->delta, 0);
  EXPECT_EQ(same->p_value, 1);
}

TEST(RocCurveTest, HandComputed) {
  // Distinct scores descending: 0.9 (1 pos), 0.5 (2 pos, 1 neg), 0.2 (1 neg).
  absl::StatusOr<std::vector<RocPoint>> roc = RocCurve(kScoresA, kLabels, false);
  ASSERT_TRUE(roc.ok());
  ASSERT_EQ(roc->size(), 4u);
  EXPECT_TRUE(std::isinf((*roc)[0].threshold));
  EXPECT_DOUBLE_EQ((*roc)[1].fpr, 0.0);
  EXPECT_DOUBLE_EQ((*roc)[1].tpr, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ((*roc)[1].threshold, 0.9);
  EXPECT_DOUBLE_EQ((*roc)[2].fpr, 0.5);
  EXPECT_DOUBLE_EQ((*roc)[2].tpr, 1.0);
  EXPECT_DOUBLE_EQ((*roc)[3].fpr, 1.0);
  EXPECT_DOUBLE_EQ((*roc)[3].tpr, 1.0);
  // Collinear runs: 4 negatives below 2 positives; the inner points of the vertical and
  // horizontal runs go.
  const std::vector<double> s = {0.9, 0.8, 0.4, 0.3, 0.2, 0.1};
  const std::vector<int> l = {1, 1, 0, 0, 0, 0};
  absl::StatusOr<std::vector<RocPoint>> full = RocCurve(s, l, false);
  absl::StatusOr<std::vector<RocPoint>> dropped = RocCurve(s, l, true);
  EXPECT_EQ(full->size(), 7u);
  // Kept: (0,0), (0,1/2), (0,1), (1,1) -- the horizontal run's inner points are dropped.
  ASSERT_EQ(dropped->size(), 4u);
  EXPECT_DOUBLE_EQ((*dropped)[2].tpr, 1.0);
  EXPECT_DOUBLE_EQ((*dropped)[2].fpr, 0.0);
  EXPECT_DOUBLE_EQ((*dropped)[3].fpr, 1.0);
  EXPECT_DOUBLE_EQ((*dropped)[3].threshold, 0.1);
}

TEST(ThresholdTest, AtHalfAndYouden) {
  // Scores >= 0.5 called positive: TP 3 (0.9, 0.5, 0.5), FP 1 (0.5), TN 1, FN 0.
  ThresholdMetrics t = AtThreshold(kScoresA, kLabels, 0.5);
  EXPECT_EQ(t.tp, 3);
  EXPECT_EQ(t.fp, 1);
  EXPECT_DOUBLE_EQ(t.accuracy, 0.8);
  EXPECT_DOUBLE_EQ(t.sensitivity, 1.0);
  EXPECT_DOUBLE_EQ(t.specificity, 0.5);
  // J at 0.9: 1/3 - 0; at 0.5: 1 - 1/2 = 1/2; at 0.2: 0 -> 0.5.
  EXPECT_DOUBLE_EQ(*YoudenThreshold(kScoresA, kLabels), 0.5);
  // Equal J: 0.8 (tpr 1/2, fpr 0) and 0.4 (tpr 1, fpr 1/2): the higher threshold wins.
  EXPECT_DOUBLE_EQ(*YoudenThreshold({0.9, 0.4, 0.8, 0.1}, {1, 1, 0, 0}), 0.9);
}

TEST(KappaTest, HandComputed) {
  // a = 1 1 0 0, b = 1 0 0 0: po = 3/4, pe = 1/2*1/4 + 1/2*3/4 = 1/2 -> kappa = 1/2.
  EXPECT_DOUBLE_EQ(CohenKappa({1, 1, 0, 0}, {1, 0, 0, 0}), 0.5);
  EXPECT_DOUBLE_EQ(CohenKappa({1, 0, 1, 0}, {1, 0, 1, 0}), 1.0);
  EXPECT_TRUE(std::isnan(CohenKappa({1, 1}, {1, 1})));  // Chance agreement 1.
}

TEST(GroupTest, MeanPerStudyAndMixedLabels) {
  absl::StatusOr<GroupScores> g = MeanScorePerGroup({0.2, 0.6, 0.9}, {1, 1, 0}, {"s1", "s1", "s2"});
  ASSERT_TRUE(g.ok()) << g.status();
  ASSERT_EQ(g->group.size(), 2u);
  EXPECT_DOUBLE_EQ(g->mean_score[0], 0.4);
  EXPECT_EQ(g->label[1], 0);
  absl::StatusOr<GroupScores> bad = MeanScorePerGroup({0.2, 0.6}, {1, 0}, {"s1", "s1"});
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("s1"), std::string::npos);
}

std::vector<double> NoisyScores(const std::vector<int>& labels, int seed) {
  std::vector<double> s(labels.size());
  uint64_t state = 12345 + seed;
  for (size_t i = 0; i < labels.size(); ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    const double u = static_cast<double>(state >> 11) * 0x1.0p-53;
    s[i] = std::round((u + 0.4 * labels[i]) * 20) / 20;  // Coarse: many ties.
  }
  return s;
}

// The radix-sorted midranks against a direct pair count, on scores with negative values,
// -0/+0, ties and large magnitudes.
TEST(AucTest, MatchesPairCountingOnAwkwardScores) {
  std::vector<double> scores;
  std::vector<int> labels;
  uint64_t state = 99;
  const double pool[] = {-1e300, -2.5, -0.0, 0.0, 1e-300, 0.25, 0.25f, 3.0, 1e300, -7.0};
  for (int i = 0; i < 400; ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    scores.push_back(pool[(state >> 33) % 10] * ((state >> 20) % 3 == 0 ? 1 : 1.0000001));
    labels.push_back((state >> 40) % 3 == 0);
  }
  double won = 0, pairs = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    for (size_t j = 0; j < scores.size(); ++j) {
      if (labels[i] != 1 || labels[j] != 0) continue;
      won += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
      pairs += 1;
    }
  }
  EXPECT_DOUBLE_EQ(*Auc(scores, labels), won / pairs);
}

TEST(BootstrapTest, DeterministicIndependentOfThreadsAndCoversAuc) {
  std::vector<int> labels;
  std::vector<std::string> groups;
  for (int i = 0; i < 600; ++i) {
    labels.push_back(i % 7 == 0);
    groups.push_back("scan" + std::to_string(i / 10));
  }
  const std::vector<double> scores = NoisyScores(labels, 1);
  BootstrapOptions options;
  options.replicates = 300;
  options.seed = 7;
  options.threads = 1;
  absl::StatusOr<BootstrapResult> one = BootstrapAuc(scores, labels, {}, options);
  options.threads = 3;
  absl::StatusOr<BootstrapResult> three = BootstrapAuc(scores, labels, {}, options);
  ASSERT_TRUE(one.ok() && three.ok());
  EXPECT_EQ(one->replicate_aucs, three->replicate_aucs);
  EXPECT_FALSE(one->grouped);
  EXPECT_TRUE(one->stratified);
  const double auc = *Auc(scores, labels);
  EXPECT_LT(one->ci_low, auc);
  EXPECT_GT(one->ci_high, auc);
  EXPECT_NEAR(one->mean, auc, 0.01);
  // The bootstrap sd is close to DeLong's.
  const double delong_sd = std::sqrt(DeLong(scores, labels)->variance);
  EXPECT_NEAR(one->sd / delong_sd, 1.0, 0.2);
  // A different seed gives different replicates.
  options.seed = 8;
  EXPECT_NE(BootstrapAuc(scores, labels, {}, options)->replicate_aucs, one->replicate_aucs);

  // Grouped: whole scans resampled; every replicate still valid here.
  options.seed = 7;
  absl::StatusOr<BootstrapResult> grouped = BootstrapAuc(scores, labels, groups, options);
  ASSERT_TRUE(grouped.ok()) << grouped.status();
  EXPECT_TRUE(grouped->grouped);
  EXPECT_EQ(grouped->valid_replicates, 300);
  EXPECT_LT(grouped->ci_low, auc);
  EXPECT_GT(grouped->ci_high, auc);
}

TEST(BootstrapTest, ReplicateAucIsTheAucOfTheResample) {
  // With one unit per stratum (1 positive, 1 negative), every replicate is the original.
  absl::StatusOr<BootstrapResult> r =
      BootstrapAuc({0.7, 0.7}, {1, 0}, {}, BootstrapOptions{50, 1, 2, 0.05});
  ASSERT_TRUE(r.ok());
  for (double auc : r->replicate_aucs) EXPECT_DOUBLE_EQ(auc, 0.5);
  // Grouped, both samples in one group: still exactly the original.
  r = BootstrapAuc({0.9, 0.8, 0.1}, {1, 0, 0}, {"g", "g", "h"}, BootstrapOptions{50, 1, 2, 0.05});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->stratified);  // {g} holds the positive, {h} does not.
  for (double auc : r->replicate_aucs) EXPECT_DOUBLE_EQ(auc, 1.0);
}

}  // namespace
}  // namespace genesis
