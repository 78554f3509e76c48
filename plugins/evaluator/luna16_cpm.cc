// Evaluator "luna16_cpm": LUNA16 FROC and CPM with the challenge's semantics (core/eval/froc.h)
// over candidate predictions with world coordinates.
//
//   evaluator { type: "luna16_cpm" }     # annotation paths from the transfer's task.json
//   evaluator { type: "luna16_cpm" options { [type.googleapis.com/genesis.Luna16CpmOptions] {
//     annotations: "/data/LUNA16/annotations.csv"
//     annotations_excluded: "/data/LUNA16/annotations_excluded.csv" } } }
//
// Keys: cpm, froc ({"0.125": sensitivity, ..., "8": ...}), froc_scans, froc_nodules,
// froc_detected, froc_false_positives, froc_marks_on_excluded; curve "froc"
// (fps_per_scan, sensitivity).
#include <set>

#include "absl/strings/str_cat.h"
#include "core/eval/froc.h"
#include "core/eval/predictions_io.h"
#include "core/evaluator.h"
#include "core/status_macros.h"
#include "plugins/evaluator/luna16_cpm.pb.h"

namespace genesis {
namespace {

class Luna16CpmEvaluator : public Evaluator {
 public:
  explicit Luna16CpmEvaluator(const Luna16CpmOptions& options) : options_(options) {}

  absl::StatusOr<MetricSet> Evaluate(const EvaluationInput& input) const override {
    const Predictions& test = *input.test;
    const std::vector<std::string>& series = !test.series.empty() ? test.series : test.group;
    if (test.world.empty() || series.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(test.source,
                       ": luna16_cpm needs seriesuid (or group) and coordX, coordY, coordZ "
                       "columns"));
    }
    GENESIS_ASSIGN_OR_RETURN(const std::string annotations,
                             Path(options_.annotations(), "annotations", input, true));
    GENESIS_ASSIGN_OR_RETURN(
        const std::string excluded_path,
        Path(options_.annotations_excluded(), "annotations_excluded", input, false));
    GENESIS_ASSIGN_OR_RETURN(std::vector<Nodule> nodules, ReadNodules(annotations));
    std::vector<Nodule> excluded;
    if (!excluded_path.empty()) {
      GENESIS_ASSIGN_OR_RETURN(excluded, ReadNodules(excluded_path));
    }
    std::vector<std::string> scans;
    if (!options_.series().empty()) {
      GENESIS_ASSIGN_OR_RETURN(scans, ReadSeriesList(options_.series()));
    } else {
      std::set<std::string> distinct(series.begin(), series.end());
      scans.assign(distinct.begin(), distinct.end());
    }
    std::vector<CadMark> marks(test.size());
    for (size_t i = 0; i < test.size(); ++i) {
      marks[i] = {series[i], test.world[i][0], test.world[i][1], test.world[i][2], test.score[i]};
    }
    absl::StatusOr<FrocResult> r = ComputeFroc(nodules, excluded, scans, marks);
    if (!r.ok()) return Annotate(r.status(), test.source);
    MetricSet out;
    out.values["cpm"] = r->cpm;
    for (size_t k = 0; k < kFrocOperatingPoints.size(); ++k) {
      out.tables["froc"][kFrocOperatingPointKeys[k]] = r->sensitivity[k];
    }
    out.values["froc_scans"] = static_cast<double>(r->scans);
    out.values["froc_nodules"] = static_cast<double>(r->nodules);
    out.values["froc_detected"] = static_cast<double>(r->detected);
    out.values["froc_false_positives"] = static_cast<double>(r->false_positives);
    out.values["froc_marks_on_excluded"] = static_cast<double>(r->marks_on_excluded);
    if (r->marks_outside_series > 0) {
      out.warnings.push_back(absl::StrCat(test.source, ": ", r->marks_outside_series,
                                          " candidates on scans outside the series list "
                                          "were not evaluated"));
    }
    Curve& curve = out.curves["froc"];
    curve.columns = {"fps_per_scan", "sensitivity"};
    for (const auto& [fps, sens] : r->curve) curve.rows.push_back({fps, sens});
    return out;
  }

 private:
  // The option, else task.json's entry; an error when `required` and neither is set.
  static absl::StatusOr<std::string> Path(const std::string& option, const std::string& key,
                                          const EvaluationInput& input, bool required) {
    if (!option.empty()) return option;
    auto it = input.task_info.find(key);
    if (it != input.task_info.end() && !it->second.empty()) return it->second;
    if (!required) return std::string();
    return absl::InvalidArgumentError(
        absl::StrCat("luna16_cpm: no ", key, " file: set Luna16CpmOptions.", key,
                     " or run after a transfer stage whose task.json names \"", key, "\""));
  }

  Luna16CpmOptions options_;
};

}  // namespace

GENESIS_REGISTER_EVALUATOR(Luna16CpmEvaluator, "luna16_cpm", Luna16CpmOptions,
                           "LUNA16 FROC sensitivities at 1/8..8 FPs per scan and CPM");

}  // namespace genesis
