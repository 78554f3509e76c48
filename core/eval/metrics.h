// Binary-classification metrics over scored samples: AUC (ties count one half), ROC curve,
// DeLong confidence intervals and the paired DeLong test, stratified (grouped) bootstrap,
// threshold metrics (0.5, Youden), Cohen's kappa. Torch-free, O(n log n).
//
//   GENESIS_ASSIGN_OR_RETURN(DeLongResult r, DeLong(scores, labels, /*alpha=*/0.05));
//   // r.auc, r.ci_low, r.ci_high
//   GENESIS_ASSIGN_OR_RETURN(PairedDeLongResult p, PairedDeLong(a, b, labels, 0.05));
//   // p.delta = AUC(a) - AUC(b), p.p_value (two-sided)
//
// DeLong follows Sun & Xu (2014), "Fast implementation of DeLong's algorithm": one sort per
// score vector; the structural components V10 (per positive: fraction of negatives scored
// below it, ties one half) and V01 (per negative: fraction of positives scored above it) come
// from midranks, and var(AUC) = S10/m + S01/n with S the sample (co)variances (denominator
// m-1, n-1), as in pROC.
#ifndef GENESIS_CORE_EVAL_METRICS_H_
#define GENESIS_CORE_EVAL_METRICS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace genesis {

// Scores must be finite, labels 0 or 1, same length, both classes present. `what` names the
// input in the error message (e.g. a file name).
absl::Status CheckBinaryScores(absl::Span<const double> scores, absl::Span<const int> labels,
                               const std::string& what = "predictions");

// Exact AUC: P(score_pos > score_neg) + 0.5 P(equal).
absl::StatusOr<double> Auc(absl::Span<const double> scores, absl::Span<const int> labels);

// Standard normal quantile (inverse CDF), p in (0, 1).
double NormalQuantile(double p);

struct DeLongResult {
  double auc = 0;
  double variance = 0;  // NaN with fewer than two positives or negatives.
  double ci_low = 0;    // auc -/+ z_{1-alpha/2} sqrt(variance), clipped to [0, 1].
  double ci_high = 0;
  int64_t n_pos = 0;
  int64_t n_neg = 0;
};

absl::StatusOr<DeLongResult> DeLong(absl::Span<const double> scores, absl::Span<const int> labels,
                                    double alpha = 0.05);

struct PairedDeLongResult {
  DeLongResult a;
  DeLongResult b;
  double delta = 0;           // a.auc - b.auc
  double delta_variance = 0;  // var(a) + var(b) - 2 cov(a, b)
  double delta_ci_low = 0;    // delta -/+ z sqrt(delta_variance)
  double delta_ci_high = 0;
  double z = 0;
  double p_value = 1;  // Two-sided; 1 when both models rank identically (zero variance).
};

// Two score vectors on the same samples (index i of `a`, `b` and `labels` is one sample).
absl::StatusOr<PairedDeLongResult> PairedDeLong(absl::Span<const double> a,
                                                absl::Span<const double> b,
                                                absl::Span<const int> labels, double alpha = 0.05);

struct RocPoint {
  double fpr = 0;
  double tpr = 0;
  // Samples with score >= threshold are called positive. The first point (0, 0) has
  // threshold +infinity.
  double threshold = 0;
};

// One point per distinct score (descending), after a leading (0, 0); sklearn's roc_curve.
// drop_intermediate removes points inside straight runs (sklearn's default, same rule), which
// keeps the curve and its area while shrinking it to about twice the positives for LUNA16.
absl::StatusOr<std::vector<RocPoint>> RocCurve(absl::Span<const double> scores,
                                               absl::Span<const int> labels,
                                               bool drop_intermediate);

struct BootstrapOptions {
  int replicates = 2000;
  uint64_t seed = 0;
  int threads = 0;  // 0 = all cores. The result does not depend on it.
  double alpha = 0.05;
};

struct BootstrapResult {
  double ci_low = 0;   // Percentiles alpha/2 and 1-alpha/2 (linear interpolation, numpy's
  double ci_high = 0;  // default) of the replicate AUCs.
  double mean = 0;
  double sd = 0;
  int valid_replicates = 0;
  int skipped_replicates = 0;  // Replicates without a positive or a negative (grouped only).
  bool grouped = false;        // Whole groups were resampled.
  bool stratified = false;     // Strata resampled separately.
  std::vector<double> replicate_aucs;  // In replicate order (NaN for skipped ones).
};

// Stratified bootstrap CI of the AUC. Without groups: positives and negatives are resampled
// separately (each to its own count). With groups (one per sample): whole groups are
// resampled, stratified into groups holding a positive and groups without (a stratum that
// would be empty is dropped). Replicate r draws from RandomStream(seed, kBootstrapStream, r),
// so results are reproducible and independent of the thread count.
absl::StatusOr<BootstrapResult> BootstrapAuc(absl::Span<const double> scores,
                                             absl::Span<const int> labels,
                                             const std::vector<std::string>& groups,
                                             const BootstrapOptions& options);

struct ThresholdMetrics {
  double threshold = 0;
  double accuracy = 0;
  double sensitivity = 0;  // TP / positives
  double specificity = 0;  // TN / negatives
  int64_t tp = 0, fp = 0, tn = 0, fn = 0;
};

// Samples with score >= threshold are called positive.
ThresholdMetrics AtThreshold(absl::Span<const double> scores, absl::Span<const int> labels,
                             double threshold);

// The threshold maximising Youden's J = sensitivity + specificity - 1 over the ROC's distinct
// scores; among equal J the highest threshold (fewest positive calls).
absl::StatusOr<double> YoudenThreshold(absl::Span<const double> scores,
                                       absl::Span<const int> labels);

// Cohen's kappa of two binary ratings; NaN when the chance agreement is 1.
double CohenKappa(absl::Span<const int> a, absl::Span<const int> b);

// Samples aggregated per group (e.g. MURA study): mean score, the group's label (every sample
// of a group must carry the same label). Groups in order of first appearance.
struct GroupScores {
  std::vector<std::string> group;
  std::vector<int> label;
  std::vector<double> mean_score;
};
absl::StatusOr<GroupScores> MeanScorePerGroup(absl::Span<const double> scores,
                                              absl::Span<const int> labels,
                                              const std::vector<std::string>& groups);

// Linear-interpolation percentile (numpy's default) of sorted values, q in [0, 1].
double SortedQuantile(const std::vector<double>& sorted, double q);

}  // namespace genesis

#endif  // GENESIS_CORE_EVAL_METRICS_H_
