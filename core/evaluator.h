// Plugin kind "evaluator": predictions -> metrics (AUC, CPM, confidence intervals, ...).
//
//   evaluate { evaluator { type: "auc" } }
#ifndef GENESIS_CORE_EVALUATOR_H_
#define GENESIS_CORE_EVALUATOR_H_

#include <array>
#include <map>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "core/registry.h"

namespace genesis {

// Scores of one model on one evaluation set (e.g. one fold).
struct Predictions {
  std::vector<float> score;          // Probability of the positive class.
  std::vector<int> label;            // 0 or 1.
  std::vector<std::string> group;    // Optional grouping (scan, study, patient) per sample.
  std::vector<std::array<double, 3>> world;  // Optional candidate position (LUNA16 CPM).
};

struct MetricSet {
  std::map<std::string, double> values;  // e.g. {"auc": 0.98, "auc_ci_low": 0.97}.
  // Named curves as (x, y) points, e.g. "roc" -> (fpr, tpr).
  std::map<std::string, std::vector<std::pair<double, double>>> curves;
};

class Evaluator {
 public:
  static constexpr absl::string_view kKind = "evaluator";
  static constexpr absl::string_view kTarget = "//plugins/evaluator:all";
  static constexpr absl::string_view kKindDescription =
      "computes metrics from a model's predictions";

  virtual ~Evaluator() = default;
  virtual absl::StatusOr<MetricSet> Evaluate(const Predictions& predictions) const = 0;
};

}  // namespace genesis

#define GENESIS_REGISTER_EVALUATOR(Plugin, name, Options, description) \
  GENESIS_REGISTER_PLUGIN(::genesis::Evaluator, Plugin, name, Options, description)

#endif  // GENESIS_CORE_EVALUATOR_H_
