// Stage "evaluate": metrics, confidence intervals and paired comparisons over the transfer
// stage's predictions.
//
//   stage { evaluate {
//     evaluator { type: "auc" }
//     evaluator { type: "threshold" }
//     evaluator { type: "bootstrap" }
//     evaluator { type: "luna16_cpm" }       # LUNA16; "kappa" for MURA
//     reference: "scratch"  reference: "imagenet"
//   } }
//
// Input: the latest earlier transfer stage of the run (or `transfer_dir`), laid out as
// task.json, subruns.csv, subruns/<subrun>/{subrun.json, predictions_val.csv,
// predictions_test.csv, .done}. A sub-run without .done, with a .done but another status than
// "done" in subruns.csv (a stale marker), or listed in subruns.csv without a folder is left out
// and reported in "warnings" and to the run as a skipped input.
//
// Output (in the stage folder; every file written atomically):
//   evaluation.json
//     {"transfer_dir", "task", "alpha", "evaluators": [names],
//      "subruns": [{"subrun", "initializer", "fold", "fold_name", "seed", "label_fraction",
//                   "test": {METRICS}, "curves": {"roc": "curves/<subrun>_roc.csv", ...}}],
//      "summary": [{"initializer", "label_fraction",
//                   "pooled": {METRICS}     test predictions of all folds pooled, per seed, then
//                                           each number (and interval bound) averaged over seeds
//                   "pooled_by_seed": [{"seed", "n_folds", "test": {METRICS}, "curves": {..}}],
//                   "folds": {"auc_mean", "auc_sd", "n_folds", "fold": [..], "fold_name": [..],
//                             "auc": [..]}   per-fold AUC averaged over seeds; mean/sd over folds
//                   "seeds": {"auc_mean", "auc_sd", "n_seeds", "seed": [..], "auc": [..]}}]
//                                           per-seed mean of the fold AUCs; mean/sd over seeds
//      "comparisons": [{"a", "b", "label_fraction", "scope": "pooled" | "fold <k>", "fold"
//                       (k, or null when pooled), "seed", "auc_a", "auc_b", "delta",
//                       "delta_ci95": [lo, hi], "p_value", "significant", "method":
//                       "paired DeLong", "n_pos", "n_neg", "n_unpaired"}],
//      "warnings": [..]}
//     METRICS = {"auc", "auc_ci95": [lo, hi], "n_pos", "n_neg", "auc_variance", then each
//                evaluator's keys: "accuracy_0.5", "sensitivity_0.5", "specificity_0.5",
//                "threshold_youden", "accuracy_youden", "sensitivity_youden",
//                "specificity_youden", "bootstrap_ci95": [lo, hi], "cpm", "froc": {"0.125", ..,
//                "8"}, "kappa_study", ...}  (NaN -> null)
//     sd uses n-1 (null for one fold / seed). Pairs: a = the later, b = the earlier
//     initialisation in the order `reference` first, then the transfer stage's order; matched
//     by `id` on the same fold/seed/label fraction, and pooled over the folds both have.
//   subruns.csv     subrun,initializer,fold,fold_name,seed,label_fraction, then METRICS flat
//                   (intervals as <key>_low/<key>_high, tables as <table>_<key>)
//   summary.csv     initializer,label_fraction,n_seeds,n_folds,folds_auc_mean,folds_auc_sd,
//                   seeds_auc_mean,seeds_auc_sd, then pooled METRICS flat as pooled_<key>
//   comparisons.csv a,b,label_fraction,scope,fold,seed,auc_a,auc_b,delta,delta_ci95_low,
//                   delta_ci95_high,p_value,significant,method,n_pos,n_neg,n_unpaired
//   curves/<subrun>_<curve>.csv     roc (always): fpr,tpr,threshold (first threshold "inf");
//                                   froc (luna16_cpm): fps_per_scan,sensitivity
//   curves/pooled_<initializer>_frac<f>_seed<s>_<curve>.csv
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/config.h"
#include "core/csv.h"
#include "core/eval/json.h"
#include "core/eval/metrics.h"
#include "core/eval/predictions_io.h"
#include "core/evaluator.h"
#include "core/file_util.h"
#include "core/proto/stages.pb.h"
#include "core/stage.h"
#include "core/status_macros.h"
#include "glog/logging.h"

namespace genesis {
namespace {

namespace fs = std::filesystem;

struct Subrun {
  std::string name;
  std::string initializer;
  int fold = 0;
  std::string fold_name;
  uint64_t seed = 0;
  double label_fraction = 1;
  Predictions test;
  Predictions val;
  bool has_val = false;
  MetricSet metrics;
  std::map<std::string, std::string> curve_files;  // Curve name -> path relative to stage.
};

// The sets evaluated together: one initialisation and label fraction, all folds and seeds.
struct Arm {
  std::string initializer;
  double label_fraction = 1;
  std::map<uint64_t, std::map<int, const Subrun*>> by_seed_fold;
};

std::string Fraction(double f) { return absl::StrFormat("%g", f); }

std::string CsvNumber(double v) { return std::isfinite(v) ? JsonNumber(v) : ""; }

double Mean(const std::vector<double>& v) {
  if (v.empty()) return NAN;
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

double SampleSd(const std::vector<double>& v) {
  if (v.size() < 2) return NAN;
  const double m = Mean(v);
  double ss = 0;
  for (double x : v) ss += (x - m) * (x - m);
  return std::sqrt(ss / static_cast<double>(v.size() - 1));
}

// Rows with columns in order of first appearance.
class CsvBuilder {
 public:
  void Add(std::vector<std::pair<std::string, std::string>> row) {
    for (const auto& [k, v] : row) {
      if (std::find(columns_.begin(), columns_.end(), k) == columns_.end()) columns_.push_back(k);
    }
    rows_.push_back(std::move(row));
  }
  std::string Text() const {
    std::string out = CsvLine(columns_);
    for (const auto& row : rows_) {
      std::vector<std::string> fields(columns_.size());
      for (const auto& [k, v] : row) {
        fields[std::find(columns_.begin(), columns_.end(), k) - columns_.begin()] = v;
      }
      out += CsvLine(fields);
    }
    return out;
  }

 private:
  std::vector<std::string> columns_;
  std::vector<std::vector<std::pair<std::string, std::string>>> rows_;
};

// Leading keys in this order, then the rest alphabetically.
std::vector<std::string> OrderedValueKeys(const MetricSet& m) {
  std::vector<std::string> keys;
  for (const char* k : {"auc", "n_pos", "n_neg", "auc_variance"}) {
    if (m.values.count(k)) keys.push_back(k);
  }
  for (const auto& [k, v] : m.values) {
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  }
  return keys;
}

Json MetricsJson(const MetricSet& m) {
  Json out = Json::Object();
  const std::vector<std::string> keys = OrderedValueKeys(m);
  for (const std::string& k : keys) {
    out.Set(k, m.values.at(k));
    if (k == "auc" && m.intervals.count("auc_ci95")) {
      const auto& [lo, hi] = m.intervals.at("auc_ci95");
      out.Set("auc_ci95", Json::Array({lo, hi}));
    }
  }
  for (const auto& [k, interval] : m.intervals) {
    out.Set(k, Json::Array({interval.first, interval.second}));
  }
  for (const auto& [name, table] : m.tables) {
    Json t = Json::Object();
    for (const auto& [k, v] : table) t.Set(k, v);
    out.Set(name, std::move(t));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> FlatMetrics(const MetricSet& m,
                                                             const std::string& prefix) {
  std::vector<std::pair<std::string, std::string>> row;
  for (const std::string& k : OrderedValueKeys(m)) {
    row.push_back({prefix + k, CsvNumber(m.values.at(k))});
  }
  for (const auto& [k, interval] : m.intervals) {
    row.push_back({prefix + k + "_low", CsvNumber(interval.first)});
    row.push_back({prefix + k + "_high", CsvNumber(interval.second)});
  }
  for (const auto& [name, table] : m.tables) {
    for (const auto& [k, v] : table) row.push_back({prefix + name + "_" + k, CsvNumber(v)});
  }
  return row;
}

// Each number and interval bound averaged over `sets` (keys present in every set).
MetricSet MeanOf(const std::vector<MetricSet>& sets) {
  MetricSet out;
  if (sets.empty()) return out;
  const double n = static_cast<double>(sets.size());
  for (const auto& [k, v] : sets[0].values) {
    double sum = 0;
    bool everywhere = true;
    for (const MetricSet& s : sets) {
      auto it = s.values.find(k);
      everywhere &= it != s.values.end();
      if (it != s.values.end()) sum += it->second;
    }
    if (everywhere) out.values[k] = sum / n;
  }
  for (const auto& [k, v] : sets[0].intervals) {
    double lo = 0, hi = 0;
    bool everywhere = true;
    for (const MetricSet& s : sets) {
      auto it = s.intervals.find(k);
      everywhere &= it != s.intervals.end();
      if (it != s.intervals.end()) lo += it->second.first, hi += it->second.second;
    }
    if (everywhere) out.intervals[k] = {lo / n, hi / n};
  }
  for (const auto& [name, table] : sets[0].tables) {
    for (const auto& [k, v] : table) {
      double sum = 0;
      bool everywhere = true;
      for (const MetricSet& s : sets) {
        auto t = s.tables.find(name);
        everywhere &= t != s.tables.end() && t->second.count(k);
        if (everywhere) sum += t->second.at(k);
      }
      if (everywhere) out.tables[name][k] = sum / n;
    }
  }
  return out;
}

class EvaluateStageRunner : public StageRunner {
 public:
  explicit EvaluateStageRunner(const EvaluateStage& options) : options_(options) {}

  static absl::Status Validate(const EvaluateStage& options) {
    if (!(options.alpha() > 0 && options.alpha() < 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("alpha: must be in (0, 1), got ", options.alpha()));
    }
    if (options.num_threads() < 0 || options.num_threads() > 1024) {
      return absl::InvalidArgumentError(
          absl::StrCat("num_threads: must be in [0, 1024], got ", options.num_threads()));
    }
    return absl::OkStatus();
  }

  // Reads the latest earlier transfer stage (or `transfer_dir`) and the files evaluators name.
  absl::StatusOr<StageInputs> Inputs(const RunContext& context) const override {
    StageInputs inputs;
    inputs.paths = InputPaths(context.experiment->stage(context.stage_index));
    if (options_.transfer_dir().empty()) {
      absl::StatusOr<int> transfer = context.EarlierStageIndex("transfer");
      if (transfer.ok()) inputs.stages.push_back(*transfer);
    }
    return inputs;
  }

  absl::Status Run(const RunContext& context) override {
    context_ = &context;
    GENESIS_ASSIGN_OR_RETURN(transfer_dir_, LocateTransfer(context));
    GENESIS_RETURN_IF_ERROR(BuildEvaluators());
    ReadTaskInfo();
    int left_out = 0;
    GENESIS_RETURN_IF_ERROR(ListSubruns(&left_out));
    if (subruns_.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("evaluate: no finished sub-run (with a .done marker) in ", transfer_dir_,
                       "/subruns", warnings_.empty() ? "" : absl::StrCat(": ", warnings_.front())));
    }
    fs::create_directories(fs::path(context.stage_dir) / "curves");
    for (Subrun& s : subruns_) {
      absl::StatusOr<MetricSet> m = EvaluateSet(s.test, s.has_val ? &s.val : nullptr, s.name);
      if (!m.ok()) return Annotate(m.status(), absl::StrCat("sub-run ", s.name));
      s.metrics = *std::move(m);
      GENESIS_ASSIGN_OR_RETURN(s.curve_files, WriteCurves(s.metrics, s.name));
    }
    BuildArms();
    GENESIS_ASSIGN_OR_RETURN(Json summary, Summaries());
    GENESIS_ASSIGN_OR_RETURN(Json comparisons, Comparisons());
    for (const auto& [name, failure] : not_applied_) {
      const auto& [count, first_set, message] = failure;
      warnings_.push_back(absl::StrCat("evaluator ", name,
                                       " (not configured, tried by default) "
                                       "did not apply to ",
                                       count, " evaluated set(s), e.g. ", first_set, ": ",
                                       message));
    }
    GENESIS_RETURN_IF_ERROR(WriteOutputs(std::move(summary), std::move(comparisons)));
    if (left_out > 0) {
      context.summary->AddSkipped(left_out,
                                  (fs::path(context.stage_dir) / "evaluation.json").string());
    }
    for (const std::string& w : warnings_) LOG(WARNING) << "evaluate: " << w;
    LOG(INFO) << "evaluate: " << subruns_.size() << " sub-runs, " << arms_.size()
              << " initialisation/fraction arms, " << comparison_rows_ << " comparisons -> "
              << context.stage_dir;
    return absl::OkStatus();
  }

 private:
  absl::StatusOr<std::string> LocateTransfer(const RunContext& context) const {
    if (!options_.transfer_dir().empty()) return options_.transfer_dir();
    absl::StatusOr<std::string> dir = context.EarlierStageDir("transfer");
    if (!dir.ok()) {
      return absl::FailedPreconditionError(
          "evaluate: no `transfer_dir` given and no earlier transfer stage in this experiment");
    }
    return *dir;
  }

  absl::Status BuildEvaluators() {
    evaluators_.clear();
    if (options_.evaluator_size() == 0) {  // Every registered evaluator, where it applies.
      best_effort_ = true;
      for (const PluginInfo& info : Registry<Evaluator>::Get().Plugins()) {
        PluginSpec spec;
        spec.set_type(info.name);
        GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<Evaluator> e,
                                 Registry<Evaluator>::Get().Create(spec));
        evaluator_names_.push_back(info.name);
        evaluators_.push_back(std::move(e));
      }
      return absl::OkStatus();
    }
    for (int i = 0; i < options_.evaluator_size(); ++i) {
      absl::StatusOr<std::unique_ptr<Evaluator>> e =
          Registry<Evaluator>::Get().Create(options_.evaluator(i));
      if (!e.ok()) {
        return Annotate(e.status(),
                        absl::StrCat("evaluator[", i, "] (", options_.evaluator(i).type(), ")"));
      }
      evaluator_names_.push_back(options_.evaluator(i).type());
      evaluators_.push_back(std::move(e).value());
    }
    return absl::OkStatus();
  }

  void ReadTaskInfo() {
    const std::string path = (fs::path(transfer_dir_) / "task.json").string();
    absl::StatusOr<std::map<std::string, std::string>> info = ReadFlatJsonObject(path);
    if (!info.ok()) {
      warnings_.push_back(absl::StrCat("task.json not read (", info.status().message(),
                                       "); evaluators get no task information"));
      return;
    }
    task_info_ = *std::move(info);
    if (task_info_.count("task")) task_ = task_info_.at("task");
  }

  // Sub-runs with .done, in name order; the others become warnings.
  absl::Status ListSubruns(int* left_out) {
    std::map<std::string, std::map<std::string, std::string>> listed;  // subruns.csv rows.
    std::vector<std::string> listed_order;
    const fs::path csv_path = fs::path(transfer_dir_) / "subruns.csv";
    if (fs::exists(csv_path)) {
      GENESIS_ASSIGN_OR_RETURN(CsvTable table, ReadCsvFile(csv_path.string()));
      const int name_col = table.Column("subrun");
      if (name_col < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(csv_path.string(), ":1: missing column 'subrun'"));
      }
      for (const auto& row : table.rows) {
        auto& fields = listed[row[name_col]];
        for (size_t c = 0; c < table.header.size(); ++c) fields[table.header[c]] = row[c];
        listed_order.push_back(row[name_col]);
      }
    }
    const fs::path root = fs::path(transfer_dir_) / "subruns";
    std::set<std::string> names;
    if (fs::is_directory(root)) {
      for (const auto& entry : fs::directory_iterator(root)) {
        if (entry.is_directory()) names.insert(entry.path().filename().string());
      }
    } else if (listed.empty()) {
      return absl::NotFoundError(absl::StrCat("evaluate: ", root.string(), " does not exist (is ",
                                              transfer_dir_, " a transfer stage folder?)"));
    }
    for (const std::string& name : listed_order) {
      if (names.count(name)) continue;
      const std::string status = Get(listed[name], "status", "unknown");
      if (absl::StartsWith(status, "not run")) {
        // An initialisation the configuration chose not to run (e.g. ImageNet without a
        // weights file): said once per sub-run, but no input was lost.
        warnings_.push_back(absl::StrCat("sub-run ", name, ": ", status));
        continue;
      }
      ++*left_out;
      warnings_.push_back(absl::StrCat("sub-run ", name, " (status ",
                                       Get(listed[name], "status", "unknown"),
                                       " in subruns.csv) has no folder: left out"));
    }
    for (const std::string& name : names) {
      const fs::path dir = root / name;
      const auto row = listed.count(name) ? listed[name] : std::map<std::string, std::string>{};
      if (!fs::exists(dir / ".done")) {
        ++*left_out;
        warnings_.push_back(absl::StrCat("sub-run ", name, " has no .done marker (status ",
                                         Get(row, "status", "unknown"),
                                         " in subruns.csv): left out of the evaluation"));
        continue;
      }
      const std::string status = Get(row, "status", "done");
      if (status != "done") {  // The transfer stage found the marker stale (other config).
        ++*left_out;
        warnings_.push_back(absl::StrCat("sub-run ", name, " has a .done marker but status ",
                                         status,
                                         " in subruns.csv (stale: made with another "
                                         "configuration?): left out of the evaluation"));
        continue;
      }
      GENESIS_ASSIGN_OR_RETURN(Subrun s, ReadSubrun(dir, name, row));
      subruns_.push_back(std::move(s));
    }
    // Initialisations: `reference` first, then in order of appearance in subruns.csv / names.
    std::vector<std::string> seen;
    for (const std::string& name : listed_order) {
      if (listed[name].count("initializer")) seen.push_back(listed[name]["initializer"]);
    }
    for (const Subrun& s : subruns_) seen.push_back(s.initializer);
    std::set<std::string> present;
    for (const Subrun& s : subruns_) present.insert(s.initializer);
    for (const std::string& r : options_.reference()) {
      if (!present.count(r)) {
        warnings_.push_back(
            absl::StrCat("reference initialisation '", r, "' has no finished sub-run"));
      }
    }
    for (const std::string& i :
         std::vector<std::string>(options_.reference().begin(), options_.reference().end())) {
      if (present.count(i) && std::find(order_.begin(), order_.end(), i) == order_.end()) {
        order_.push_back(i);
      }
    }
    for (const std::string& i : seen) {
      if (present.count(i) && std::find(order_.begin(), order_.end(), i) == order_.end()) {
        order_.push_back(i);
      }
    }
    // Outputs list sub-runs by initialisation (in that order), fraction, seed, fold.
    auto key = [&](const Subrun& s) {
      return std::make_tuple(
          std::find(order_.begin(), order_.end(), s.initializer) - order_.begin(),
          -s.label_fraction, s.seed, s.fold);
    };
    std::stable_sort(subruns_.begin(), subruns_.end(),
                     [&](const Subrun& x, const Subrun& y) { return key(x) < key(y); });
    return absl::OkStatus();
  }

  static std::string Get(const std::map<std::string, std::string>& m, const std::string& key,
                         const std::string& fallback) {
    auto it = m.find(key);
    return it == m.end() || it->second.empty() ? fallback : it->second;
  }

  absl::StatusOr<Subrun> ReadSubrun(const fs::path& dir, const std::string& name,
                                    const std::map<std::string, std::string>& row) {
    std::map<std::string, std::string> meta;
    const fs::path json_path = dir / "subrun.json";
    if (fs::exists(json_path)) {
      GENESIS_ASSIGN_OR_RETURN(meta, ReadFlatJsonObject(json_path.string()));
    }
    // subruns.csv's text first (exact seeds), then subrun.json.
    auto field = [&](const std::string& key) { return Get(row, key, Get(meta, key, "")); };
    Subrun s;
    s.name = name;
    s.initializer = field("initializer");
    s.fold_name = field("fold_name");
    if (s.initializer.empty() || !absl::SimpleAtoi(field("fold"), &s.fold) ||
        !absl::SimpleAtoi(field("seed"), &s.seed) ||
        !absl::SimpleAtod(field("label_fraction"), &s.label_fraction)) {
      return absl::InvalidArgumentError(
          absl::StrCat(json_path.string(),
                       ": expected initializer, fold, seed and label_fraction (in "
                       "subrun.json or subruns.csv); got initializer='",
                       s.initializer, "' fold='", field("fold"), "' seed='", field("seed"),
                       "' label_fraction='", field("label_fraction"), "'"));
    }
    GENESIS_ASSIGN_OR_RETURN(s.test, ReadPredictions((dir / "predictions_test.csv").string()));
    const fs::path val_path = dir / "predictions_val.csv";
    if (fs::exists(val_path)) {
      GENESIS_ASSIGN_OR_RETURN(s.val, ReadPredictions(val_path.string()));
      s.has_val = true;
    }
    return s;
  }

  // AUC + DeLong CI always, then every configured evaluator; the ROC curve (sklearn's
  // drop_intermediate points) when no evaluator gave one.
  absl::StatusOr<MetricSet> EvaluateSet(const Predictions& test, const Predictions* val,
                                        const std::string& label) {
    MetricSet out;
    absl::StatusOr<DeLongResult> r = DeLong(test.score, test.label, options_.alpha());
    if (!r.ok()) return Annotate(r.status(), test.source);
    out.values["auc"] = r->auc;
    out.values["n_pos"] = static_cast<double>(r->n_pos);
    out.values["n_neg"] = static_cast<double>(r->n_neg);
    out.values["auc_variance"] = r->variance;
    out.intervals["auc_ci95"] = {r->ci_low, r->ci_high};
    EvaluationInput input;
    input.test = &test;
    input.val = val;
    input.task = task_;
    input.task_info = task_info_;
    input.alpha = options_.alpha();
    input.seed = context_->seed;
    input.num_threads = options_.num_threads() > 0 ? options_.num_threads() : context_->num_threads;
    for (size_t i = 0; i < evaluators_.size(); ++i) {
      absl::StatusOr<MetricSet> m = evaluators_[i]->Evaluate(input);
      if (!m.ok() && best_effort_) {  // Not configured explicitly: note it once, go on.
        auto [it, first] = not_applied_.try_emplace(evaluator_names_[i], 0, label,
                                                    std::string(m.status().message()));
        ++std::get<0>(it->second);
        continue;
      }
      if (!m.ok()) return Annotate(m.status(), absl::StrCat("evaluator ", evaluator_names_[i]));
      for (const std::string& w : m->warnings) warnings_.push_back(absl::StrCat(label, ": ", w));
      m->warnings.clear();
      out.Merge(*m);
    }
    if (!out.curves.count("roc")) {  // Every evaluated set gets its ROC curve (for reports).
      GENESIS_ASSIGN_OR_RETURN(std::vector<RocPoint> roc, RocCurve(test.score, test.label, true));
      Curve& curve = out.curves["roc"];
      curve.columns = {"fpr", "tpr", "threshold"};
      for (const RocPoint& p : roc) curve.rows.push_back({p.fpr, p.tpr, p.threshold});
    }
    return out;
  }

  absl::StatusOr<std::map<std::string, std::string>> WriteCurves(const MetricSet& m,
                                                                 const std::string& stem) {
    std::map<std::string, std::string> files;
    for (const auto& [name, curve] : m.curves) {
      std::string text = CsvLine(curve.columns);
      for (const auto& row : curve.rows) {
        std::vector<std::string> fields;
        for (double v : row) {
          fields.push_back(std::isinf(v) ? (v > 0 ? "inf" : "-inf") : CsvNumber(v));
        }
        text += CsvLine(fields);
      }
      const std::string relative = absl::StrCat("curves/", stem, "_", name, ".csv");
      GENESIS_RETURN_IF_ERROR(
          WriteFileAtomically((fs::path(context_->stage_dir) / relative).string(), text));
      files[name] = relative;
    }
    return files;
  }

  void BuildArms() {
    for (const std::string& init : order_) {
      std::set<double> fractions;
      for (const Subrun& s : subruns_) {
        if (s.initializer == init) fractions.insert(s.label_fraction);
      }
      for (double f : fractions) {
        Arm arm;
        arm.initializer = init;
        arm.label_fraction = f;
        for (const Subrun& s : subruns_) {
          if (s.initializer != init || s.label_fraction != f) continue;
          if (arm.by_seed_fold[s.seed].count(s.fold)) {
            warnings_.push_back(absl::StrCat("sub-run ", s.name, " repeats fold ", s.fold, " seed ",
                                             s.seed, " of ", init, ": ignored"));
            continue;
          }
          arm.by_seed_fold[s.seed][s.fold] = &s;
        }
        arms_.push_back(std::move(arm));
      }
    }
  }

  // Test (and val) predictions of `folds` of one arm and seed, pooled.
  static void Pool(const std::map<int, const Subrun*>& folds, const std::set<int>& which,
                   Predictions* test, Predictions* val, bool* has_val) {
    *has_val = true;
    for (const auto& [fold, s] : folds) {
      if (!which.empty() && !which.count(fold)) continue;
      test->Append(s->test);
      if (s->has_val) {
        val->Append(s->val);
      } else {
        *has_val = false;
      }
    }
  }

  absl::StatusOr<Json> Summaries() {
    Json out = Json::Array();
    for (const Arm& arm : arms_) {
      std::vector<MetricSet> pooled_sets;
      Json by_seed = Json::Array();
      std::map<int, std::vector<double>> fold_aucs;  // Fold -> AUC per seed.
      std::map<int, std::string> fold_names;
      std::vector<double> seed_aucs;
      Json seed_list = Json::Array();
      for (const auto& [seed, folds] : arm.by_seed_fold) {
        Predictions test, val;
        bool has_val = false;
        Pool(folds, {}, &test, &val, &has_val);
        const std::string stem = absl::StrCat("pooled_", arm.initializer, "_frac",
                                              Fraction(arm.label_fraction), "_seed", seed);
        absl::StatusOr<MetricSet> m = EvaluateSet(test, has_val ? &val : nullptr, stem);
        if (!m.ok()) return Annotate(m.status(), stem);
        GENESIS_ASSIGN_OR_RETURN(auto curves, WriteCurves(*m, stem));
        Json curve_json = Json::Object();
        for (const auto& [k, v] : curves) curve_json.Set(k, v);
        by_seed.Push(Json::Object()
                         .Set("seed", seed)
                         .Set("n_folds", static_cast<int64_t>(folds.size()))
                         .Set("test", MetricsJson(*m))
                         .Set("curves", std::move(curve_json)));
        pooled_sets.push_back(*std::move(m));
        std::vector<double> aucs;
        for (const auto& [fold, s] : folds) {
          fold_aucs[fold].push_back(s->metrics.values.at("auc"));
          fold_names[fold] = s->fold_name;
          aucs.push_back(s->metrics.values.at("auc"));
        }
        seed_aucs.push_back(Mean(aucs));
        seed_list.Push(seed);
      }
      std::vector<double> per_fold;
      Json fold_ids = Json::Array(), fold_name_list = Json::Array(), fold_auc_list = Json::Array();
      for (const auto& [fold, aucs] : fold_aucs) {
        per_fold.push_back(Mean(aucs));
        fold_ids.Push(fold);
        fold_name_list.Push(fold_names[fold]);
        fold_auc_list.Push(per_fold.back());
      }
      Json seed_auc_list = Json::Array();
      for (double a : seed_aucs) seed_auc_list.Push(a);
      const MetricSet pooled = MeanOf(pooled_sets);
      Json entry = Json::Object();
      entry.Set("initializer", arm.initializer)
          .Set("label_fraction", arm.label_fraction)
          .Set("pooled", MetricsJson(pooled))
          .Set("pooled_by_seed", std::move(by_seed))
          .Set("folds", Json::Object()
                            .Set("auc_mean", Mean(per_fold))
                            .Set("auc_sd", SampleSd(per_fold))
                            .Set("n_folds", static_cast<int64_t>(per_fold.size()))
                            .Set("fold", std::move(fold_ids))
                            .Set("fold_name", std::move(fold_name_list))
                            .Set("auc", std::move(fold_auc_list)))
          .Set("seeds", Json::Object()
                            .Set("auc_mean", Mean(seed_aucs))
                            .Set("auc_sd", SampleSd(seed_aucs))
                            .Set("n_seeds", static_cast<int64_t>(seed_aucs.size()))
                            .Set("seed", std::move(seed_list))
                            .Set("auc", std::move(seed_auc_list)));
      out.Push(std::move(entry));
      std::vector<std::pair<std::string, std::string>> row = {
          {"initializer", arm.initializer},
          {"label_fraction", Fraction(arm.label_fraction)},
          {"n_seeds", absl::StrCat(seed_aucs.size())},
          {"n_folds", absl::StrCat(per_fold.size())},
          {"folds_auc_mean", CsvNumber(Mean(per_fold))},
          {"folds_auc_sd", CsvNumber(SampleSd(per_fold))},
          {"seeds_auc_mean", CsvNumber(Mean(seed_aucs))},
          {"seeds_auc_sd", CsvNumber(SampleSd(seed_aucs))}};
      for (auto& kv : FlatMetrics(pooled, "pooled_")) row.push_back(std::move(kv));
      summary_csv_.Add(std::move(row));
    }
    return out;
  }

  // Paired DeLong of two arms' predictions matched by id; a JSON row and a CSV row.
  absl::StatusOr<Json> Compare(const Predictions& a, const Predictions& b, const Arm& arm_a,
                               const Arm& arm_b, uint64_t seed, const std::string& scope,
                               int fold) {
    GENESIS_ASSIGN_OR_RETURN(MatchedPredictions m, MatchById(a, b));
    const int64_t unpaired = static_cast<int64_t>(m.only_in_a.size() + m.only_in_b.size());
    const std::string what =
        absl::StrCat(arm_a.initializer, " vs ", arm_b.initializer, " (fraction ",
                     Fraction(arm_a.label_fraction), ", seed ", seed, ", ", scope, ")");
    if (unpaired > 0) {
      warnings_.push_back(absl::StrCat(what, ": ", unpaired,
                                       " test ids without a partner were left out of the "
                                       "paired test (e.g. '",
                                       m.only_in_a.empty() ? m.only_in_b[0] : m.only_in_a[0],
                                       "')"));
    }
    absl::StatusOr<PairedDeLongResult> r =
        PairedDeLong(m.score_a, m.score_b, m.label, options_.alpha());
    if (!r.ok()) return Annotate(r.status(), what);
    const bool significant = r->p_value < options_.alpha();
    Json row = Json::Object();
    row.Set("a", arm_a.initializer)
        .Set("b", arm_b.initializer)
        .Set("label_fraction", arm_a.label_fraction)
        .Set("scope", scope)
        .Set("fold", fold < 0 ? Json::Null() : Json(fold))
        .Set("seed", seed)
        .Set("auc_a", r->a.auc)
        .Set("auc_b", r->b.auc)
        .Set("delta", r->delta)
        .Set("delta_ci95", Json::Array({r->delta_ci_low, r->delta_ci_high}))
        .Set("p_value", r->p_value)
        .Set("significant", significant)
        .Set("method", "paired DeLong")
        .Set("n_pos", r->a.n_pos)
        .Set("n_neg", r->a.n_neg)
        .Set("n_unpaired", unpaired);
    comparisons_csv_.Add({{"a", arm_a.initializer},
                          {"b", arm_b.initializer},
                          {"label_fraction", Fraction(arm_a.label_fraction)},
                          {"scope", scope},
                          {"fold", fold < 0 ? "" : absl::StrCat(fold)},
                          {"seed", absl::StrCat(seed)},
                          {"auc_a", CsvNumber(r->a.auc)},
                          {"auc_b", CsvNumber(r->b.auc)},
                          {"delta", CsvNumber(r->delta)},
                          {"delta_ci95_low", CsvNumber(r->delta_ci_low)},
                          {"delta_ci95_high", CsvNumber(r->delta_ci_high)},
                          {"p_value", CsvNumber(r->p_value)},
                          {"significant", significant ? "true" : "false"},
                          {"method", "paired DeLong"},
                          {"n_pos", absl::StrCat(r->a.n_pos)},
                          {"n_neg", absl::StrCat(r->a.n_neg)},
                          {"n_unpaired", absl::StrCat(unpaired)}});
    ++comparison_rows_;
    return row;
  }

  // Every pair of initialisations (b before a in order_) on the same fraction and seed: per
  // fold both have, and pooled over those folds.
  absl::StatusOr<Json> Comparisons() {
    Json out = Json::Array();
    for (size_t j = 0; j < arms_.size(); ++j) {
      for (size_t i = 0; i < arms_.size(); ++i) {
        const Arm& a = arms_[j];
        const Arm& b = arms_[i];
        const auto rank = [&](const std::string& init) {
          return std::find(order_.begin(), order_.end(), init) - order_.begin();
        };
        if (a.label_fraction != b.label_fraction || rank(b.initializer) >= rank(a.initializer)) {
          continue;
        }
        for (const auto& [seed, folds_a] : a.by_seed_fold) {
          auto it = b.by_seed_fold.find(seed);
          if (it == b.by_seed_fold.end()) {
            warnings_.push_back(absl::StrCat(a.initializer, " vs ", b.initializer, ": seed ", seed,
                                             " has no sub-run of ", b.initializer));
            continue;
          }
          const auto& folds_b = it->second;
          std::set<int> common;
          for (const auto& [fold, s] : folds_a) {
            if (folds_b.count(fold)) common.insert(fold);
          }
          const std::pair<const std::map<int, const Subrun*>*, const Arm*> sides[] = {
              {&folds_a, &b}, {&folds_b, &a}};
          for (const auto& [folds, missing] : sides) {
            for (const auto& [fold, s] : *folds) {
              if (common.count(fold)) continue;
              warnings_.push_back(absl::StrCat(
                  a.initializer, " vs ", b.initializer, ", fraction ", Fraction(a.label_fraction),
                  ": fold ", fold, " seed ", seed, " has no finished sub-run of ",
                  missing->initializer, "; left out of the comparison"));
            }
          }
          if (common.empty()) continue;
          Predictions pooled_a, pooled_b, unused;
          bool has_val = false;
          Pool(folds_a, common, &pooled_a, &unused, &has_val);
          Pool(folds_b, common, &pooled_b, &unused, &has_val);
          GENESIS_ASSIGN_OR_RETURN(Json pooled,
                                   Compare(pooled_a, pooled_b, a, b, seed, "pooled", -1));
          out.Push(std::move(pooled));
          for (int fold : common) {
            GENESIS_ASSIGN_OR_RETURN(
                Json row, Compare(folds_a.at(fold)->test, folds_b.at(fold)->test, a, b, seed,
                                  absl::StrCat("fold ", fold), fold));
            out.Push(std::move(row));
          }
        }
      }
    }
    return out;
  }

  absl::Status WriteOutputs(Json summary, Json comparisons) {
    Json subruns = Json::Array();
    CsvBuilder subruns_csv;
    for (const Subrun& s : subruns_) {
      Json curves = Json::Object();
      for (const auto& [k, v] : s.curve_files) curves.Set(k, v);
      subruns.Push(Json::Object()
                       .Set("subrun", s.name)
                       .Set("initializer", s.initializer)
                       .Set("fold", s.fold)
                       .Set("fold_name", s.fold_name)
                       .Set("seed", s.seed)
                       .Set("label_fraction", s.label_fraction)
                       .Set("test", MetricsJson(s.metrics))
                       .Set("curves", std::move(curves)));
      std::vector<std::pair<std::string, std::string>> row = {
          {"subrun", s.name},
          {"initializer", s.initializer},
          {"fold", absl::StrCat(s.fold)},
          {"fold_name", s.fold_name},
          {"seed", absl::StrCat(s.seed)},
          {"label_fraction", Fraction(s.label_fraction)}};
      for (auto& kv : FlatMetrics(s.metrics, "")) row.push_back(std::move(kv));
      subruns_csv.Add(std::move(row));
    }
    Json evaluators = Json::Array();
    for (const std::string& name : evaluator_names_) evaluators.Push(name);
    Json warnings = Json::Array();
    for (const std::string& w : warnings_) warnings.Push(w);
    Json root = Json::Object();
    root.Set("transfer_dir", transfer_dir_)
        .Set("task", task_)
        .Set("alpha", options_.alpha())
        .Set("evaluators", std::move(evaluators))
        .Set("subruns", std::move(subruns))
        .Set("summary", std::move(summary))
        .Set("comparisons", std::move(comparisons))
        .Set("warnings", std::move(warnings));
    const fs::path dir(context_->stage_dir);
    GENESIS_RETURN_IF_ERROR(
        WriteFileAtomically((dir / "subruns.csv").string(), subruns_csv.Text()));
    GENESIS_RETURN_IF_ERROR(
        WriteFileAtomically((dir / "summary.csv").string(), summary_csv_.Text()));
    GENESIS_RETURN_IF_ERROR(
        WriteFileAtomically((dir / "comparisons.csv").string(), comparisons_csv_.Text()));
    // Last, so its presence means the others are complete.
    return WriteFileAtomically((dir / "evaluation.json").string(), root.Dump(2) + "\n");
  }

  EvaluateStage options_;
  const RunContext* context_ = nullptr;
  std::string transfer_dir_;
  std::string task_;
  std::map<std::string, std::string> task_info_;
  std::vector<std::unique_ptr<Evaluator>> evaluators_;
  std::vector<std::string> evaluator_names_;
  // No evaluator configured: every registered one is tried, and failures become warnings.
  bool best_effort_ = false;
  // Evaluator -> (sets it failed on, first such set, first message).
  std::map<std::string, std::tuple<int, std::string, std::string>> not_applied_;
  std::vector<Subrun> subruns_;
  std::vector<std::string> order_;  // Initialisations: references first, then as listed.
  std::vector<Arm> arms_;
  std::vector<std::string> warnings_;
  CsvBuilder summary_csv_;
  CsvBuilder comparisons_csv_;
  int comparison_rows_ = 0;
};

}  // namespace

GENESIS_REGISTER_STAGE(EvaluateStageRunner, "evaluate", EvaluateStage,
                       "metrics, confidence intervals and paired comparisons over the transfer "
                       "stage's predictions");

}  // namespace genesis
