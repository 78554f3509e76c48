// Evaluator "bootstrap": percentile CI of the AUC from a stratified bootstrap, resampling whole
// groups (scans, patients, studies) when the predictions have a group column.
//
//   evaluator { type: "bootstrap" options {
//     [type.googleapis.com/genesis.BootstrapEvaluatorOptions] { replicates: 2000 seed: 1 } } }
//
// Keys: bootstrap_ci95 ([low, high] at the stage's alpha), bootstrap_sd, bootstrap_replicates
// (valid ones), bootstrap_skipped (replicates without both classes), bootstrap_by_group (1/0).
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/eval/metrics.h"
#include "core/evaluator.h"
#include "core/status_macros.h"
#include "plugins/evaluator/bootstrap.pb.h"

namespace genesis {
namespace {

class BootstrapEvaluator : public Evaluator {
 public:
  explicit BootstrapEvaluator(const BootstrapEvaluatorOptions& options) : options_(options) {}

  static absl::Status Validate(const BootstrapEvaluatorOptions& options) {
    if (options.replicates() < 1 || options.replicates() > 1000000) {
      return absl::InvalidArgumentError(absl::StrCat(
          "replicates: must be in [1, 1000000], got ", options.replicates()));
    }
    if (options.threads() < 0 || options.threads() > 1024) {
      return absl::InvalidArgumentError(
          absl::StrCat("threads: must be in [0, 1024], got ", options.threads()));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<MetricSet> Evaluate(const EvaluationInput& input) const override {
    const Predictions& test = *input.test;
    BootstrapOptions bootstrap;
    bootstrap.replicates = options_.replicates();
    bootstrap.seed = options_.seed() != 0 ? options_.seed() : input.seed;
    bootstrap.threads = options_.threads() > 0 ? options_.threads() : input.num_threads;
    bootstrap.alpha = input.alpha;
    const bool by_group = options_.by_group() && !test.group.empty();
    MetricSet out;
    if (options_.by_group() && test.group.empty()) {
      out.warnings.push_back(
          absl::StrCat(test.source, ": no group column; bootstrap resampled samples"));
    }
    absl::StatusOr<BootstrapResult> r = BootstrapAuc(
        test.score, test.label, by_group ? test.group : std::vector<std::string>{}, bootstrap);
    if (!r.ok()) return Annotate(r.status(), test.source);
    out.intervals["bootstrap_ci95"] = {r->ci_low, r->ci_high};
    out.values["bootstrap_sd"] = r->sd;
    out.values["bootstrap_replicates"] = r->valid_replicates;
    out.values["bootstrap_skipped"] = r->skipped_replicates;
    out.values["bootstrap_by_group"] = r->grouped ? 1 : 0;
    return out;
  }

 private:
  BootstrapEvaluatorOptions options_;
};

}  // namespace

GENESIS_REGISTER_EVALUATOR(BootstrapEvaluator, "bootstrap", BootstrapEvaluatorOptions,
                           "stratified (group) bootstrap percentile CI of the AUC");

}  // namespace genesis
