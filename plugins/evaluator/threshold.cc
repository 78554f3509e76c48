// Evaluator "threshold": accuracy, sensitivity and specificity at a fixed threshold (0.5) and
// at the Youden threshold chosen on the validation predictions, applied to the test set.
//
//   evaluator { type: "threshold" }
//
// Keys: accuracy_0.5, sensitivity_0.5, specificity_0.5, threshold_youden, accuracy_youden,
// sensitivity_youden, specificity_youden (the fixed threshold's suffix follows the option).
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/eval/metrics.h"
#include "core/evaluator.h"
#include "core/status_macros.h"
#include "plugins/evaluator/threshold.pb.h"

namespace genesis {
namespace {

void Add(const ThresholdMetrics& t, const std::string& suffix, MetricSet* out) {
  out->values["accuracy_" + suffix] = t.accuracy;
  out->values["sensitivity_" + suffix] = t.sensitivity;
  out->values["specificity_" + suffix] = t.specificity;
}

class ThresholdEvaluator : public Evaluator {
 public:
  explicit ThresholdEvaluator(const ThresholdEvaluatorOptions& options) : options_(options) {}

  absl::StatusOr<MetricSet> Evaluate(const EvaluationInput& input) const override {
    const Predictions& test = *input.test;
    MetricSet out;
    Add(AtThreshold(test.score, test.label, options_.fixed_threshold()),
        absl::StrFormat("%g", options_.fixed_threshold()), &out);
    if (!options_.youden()) return out;
    if (input.val == nullptr || input.val->size() == 0) {
      out.warnings.push_back(
          absl::StrCat(test.source, ": no validation predictions; Youden threshold not computed"));
      return out;
    }
    absl::StatusOr<double> threshold = YoudenThreshold(input.val->score, input.val->label);
    if (!threshold.ok()) {
      out.warnings.push_back(absl::StrCat(
          input.val->source, ": Youden threshold not computed: ", threshold.status().message()));
      return out;
    }
    out.values["threshold_youden"] = *threshold;
    Add(AtThreshold(test.score, test.label, *threshold), "youden", &out);
    return out;
  }

 private:
  ThresholdEvaluatorOptions options_;
};

}  // namespace

GENESIS_REGISTER_EVALUATOR(ThresholdEvaluator, "threshold", ThresholdEvaluatorOptions,
                           "accuracy/sensitivity/specificity at 0.5 and at the Youden "
                           "threshold chosen on validation");

}  // namespace genesis
