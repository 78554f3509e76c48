// Plugin kind "evaluator": predictions -> metrics (AUC, CPM, confidence intervals, ...).
//
//   stage { evaluate {
//     evaluator { type: "auc" }
//     evaluator { type: "bootstrap" options {
//       [type.googleapis.com/genesis.BootstrapEvaluatorOptions] { replicates: 2000 } } }
//   } }
//
// The evaluate stage (core/stages/evaluate.cc) calls every configured evaluator on each
// sub-run's test predictions (with its validation predictions, e.g. for thresholds chosen on
// validation) and on the test predictions pooled over folds, and merges the MetricSets into
// evaluation.json. Metric names are the JSON keys (e.g. "auc", "accuracy_0.5"), intervals
// become [low, high] arrays (e.g. "auc_ci95"), tables nested objects (e.g. "froc"), curves
// CSV files curves/<subrun>_<name>.csv.
#ifndef GENESIS_CORE_EVALUATOR_H_
#define GENESIS_CORE_EVALUATOR_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/eval/predictions_io.h"
#include "core/registry.h"

namespace genesis {

struct EvaluationInput {
  const Predictions* test = nullptr;  // Never null.
  const Predictions* val = nullptr;   // Null when there are no validation predictions.
  std::string task;                   // The transfer task ("luna16", "mura"), may be empty.
  // task.json's members (Task::Info(), e.g. "annotations", "annotations_excluded").
  std::map<std::string, std::string> task_info;
  double alpha = 0.05;  // 1 - confidence level of intervals.
  uint64_t seed = 0;    // The run seed (resampling evaluators derive from it).
  int num_threads = 1;
};

// A table of numbers with named columns, e.g. "roc": fpr,tpr,threshold.
struct Curve {
  std::vector<std::string> columns;
  std::vector<std::vector<double>> rows;
};

struct MetricSet {
  std::map<std::string, double> values;                        // e.g. {"auc": 0.98, "n_pos": 1157}.
  std::map<std::string, std::pair<double, double>> intervals;  // e.g. "auc_ci95" -> (lo, hi).
  std::map<std::string, std::map<std::string, double>> tables;  // e.g. "froc" -> {"1": 0.8}.
  std::map<std::string, Curve> curves;                          // e.g. "roc", "froc".
  std::vector<std::string> warnings;  // Shown in evaluation.json's warnings.

  // Adds `other`'s entries (replacing same-named ones).
  void Merge(const MetricSet& other) {
    for (const auto& [k, v] : other.values) values[k] = v;
    for (const auto& [k, v] : other.intervals) intervals[k] = v;
    for (const auto& [k, v] : other.tables) tables[k] = v;
    for (const auto& [k, v] : other.curves) curves[k] = v;
    warnings.insert(warnings.end(), other.warnings.begin(), other.warnings.end());
  }
};

class Evaluator {
 public:
  static constexpr absl::string_view kKind = "evaluator";
  static constexpr absl::string_view kTarget = "//plugins/evaluator:all";
  static constexpr absl::string_view kKindDescription =
      "computes metrics from a model's predictions";

  virtual ~Evaluator() = default;
  // Errors name what is missing or malformed (e.g. a LUNA16 evaluator without coordinates).
  virtual absl::StatusOr<MetricSet> Evaluate(const EvaluationInput& input) const = 0;
};

}  // namespace genesis

#define GENESIS_REGISTER_EVALUATOR(Plugin, name, Options, description) \
  GENESIS_REGISTER_PLUGIN(::genesis::Evaluator, Plugin, name, Options, description)

#endif  // GENESIS_CORE_EVALUATOR_H_
