// Evaluator "kappa": MURA's study-level Cohen's kappa. A study (the `group` column) is scored
// with the mean probability of its images, called abnormal when it is >= threshold, and
// compared with its label (every image of a study must carry the study's label).
//
//   evaluator { type: "kappa" }
//
// Keys: kappa_study, n_studies, accuracy_study, auc_study (AUC of the mean probabilities,
// when both classes occur).
#include "absl/strings/str_cat.h"
#include "core/eval/metrics.h"
#include "core/evaluator.h"
#include "core/status_macros.h"
#include "plugins/evaluator/kappa.pb.h"

namespace genesis {
namespace {

class KappaEvaluator : public Evaluator {
 public:
  explicit KappaEvaluator(const KappaEvaluatorOptions& options) : options_(options) {}

  absl::StatusOr<MetricSet> Evaluate(const EvaluationInput& input) const override {
    const Predictions& test = *input.test;
    if (test.group.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          test.source, ": the kappa evaluator needs a 'group' column (the study of each image)"));
    }
    absl::StatusOr<GroupScores> studies = MeanScorePerGroup(test.score, test.label, test.group);
    if (!studies.ok()) return Annotate(studies.status(), test.source);
    std::vector<int> called(studies->group.size());
    for (size_t i = 0; i < called.size(); ++i) {
      called[i] = studies->mean_score[i] >= options_.threshold();
    }
    MetricSet out;
    out.values["kappa_study"] = CohenKappa(studies->label, called);
    out.values["n_studies"] = static_cast<double>(called.size());
    out.values["accuracy_study"] =
        AtThreshold(studies->mean_score, studies->label, options_.threshold()).accuracy;
    absl::StatusOr<double> auc = Auc(studies->mean_score, studies->label);
    if (auc.ok()) out.values["auc_study"] = *auc;
    return out;
  }

 private:
  KappaEvaluatorOptions options_;
};

}  // namespace

GENESIS_REGISTER_EVALUATOR(KappaEvaluator, "kappa", KappaEvaluatorOptions,
                           "study-level Cohen's kappa (MURA: mean probability per study)");

}  // namespace genesis
