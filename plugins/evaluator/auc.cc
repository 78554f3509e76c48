// Evaluator "auc": exact AUC (ties count one half), DeLong CI at the stage's alpha, ROC curve.
//
//   evaluator { type: "auc" }
//
// Keys: auc, auc_variance, n_pos, n_neg, auc_ci95 ([low, high], DeLong); curve "roc"
// (fpr, tpr, threshold; the first point's threshold is +inf).
#include <memory>

#include "core/eval/metrics.h"
#include "core/evaluator.h"
#include "core/status_macros.h"
#include "plugins/evaluator/auc.pb.h"

namespace genesis {
namespace {

class AucEvaluator : public Evaluator {
 public:
  explicit AucEvaluator(const AucEvaluatorOptions& options) : options_(options) {}

  absl::StatusOr<MetricSet> Evaluate(const EvaluationInput& input) const override {
    const Predictions& test = *input.test;
    absl::StatusOr<DeLongResult> r = DeLong(test.score, test.label, input.alpha);
    if (!r.ok()) return Annotate(r.status(), test.source);
    MetricSet out;
    out.values["auc"] = r->auc;
    out.values["auc_variance"] = r->variance;
    out.values["n_pos"] = static_cast<double>(r->n_pos);
    out.values["n_neg"] = static_cast<double>(r->n_neg);
    out.intervals["auc_ci95"] = {r->ci_low, r->ci_high};
    GENESIS_ASSIGN_OR_RETURN(std::vector<RocPoint> roc,
                             RocCurve(test.score, test.label, options_.drop_intermediate()));
    Curve& curve = out.curves["roc"];
    curve.columns = {"fpr", "tpr", "threshold"};
    for (const RocPoint& p : roc) curve.rows.push_back({p.fpr, p.tpr, p.threshold});
    return out;
  }

 private:
  AucEvaluatorOptions options_;
};

}  // namespace

GENESIS_REGISTER_EVALUATOR(AucEvaluator, "auc", AucEvaluatorOptions,
                           "exact AUC (ties 1/2), DeLong confidence interval, ROC curve");

}  // namespace genesis
