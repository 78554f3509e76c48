#include "plugins/reporter/study.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <regex>
#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/csv.h"
#include "core/file_util.h"
#include "core/status_macros.h"
#include "nlohmann/json.hpp"

namespace genesis {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr int kMaxListedPerFile = 20;  // Skipped inputs listed one by one before summarising.

absl::StatusOr<Json> ReadJson(const std::string& path) {
  GENESIS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not valid JSON: ", e.what()));
  }
}

// "file.json: a.b" paths for error messages.
std::string JoinPath(const std::string& where, const std::string& key) {
  if (key.empty()) return where;
  if (where.size() >= 2 && where.compare(where.size() - 2, 2, ": ") == 0) return where + key;
  return absl::StrCat(where, ".", key);
}

// Typed access to one JSON object; the first type error is kept with its path. The root's
// `where` is "<file>: ".
class Fields {
 public:
  Fields(const Json& object, std::string where) : object_(object), where_(std::move(where)) {
    if (!object_.is_object()) Fail("", "an object");
  }
  const absl::Status& status() const { return status_; }

  bool Has(const char* key) const {
    return object_.is_object() && object_.contains(key) && !object_.at(key).is_null();
  }
  const Json* Get(const char* key) const { return Has(key) ? &object_.at(key) : nullptr; }

  // Missing, null or non-finite -> nullopt; another type -> error.
  std::optional<double> Number(const char* key) {
    const Json* v = Get(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_number()) {
      Fail(key, "a number");
      return std::nullopt;
    }
    const double d = v->get<double>();
    return std::isfinite(d) ? std::optional<double>(d) : std::nullopt;
  }
  double RequiredNumber(const char* key) {
    if (!Has(key)) {
      Fail(key, "a number (required)");
      return 0;
    }
    return Number(key).value_or(0);
  }
  std::string String(const char* key, bool required = false) {
    const Json* v = Get(key);
    if (v == nullptr) {
      if (required) Fail(key, "a string (required)");
      return "";
    }
    if (!v->is_string()) {
      Fail(key, "a string");
      return "";
    }
    return v->get<std::string>();
  }
  std::optional<Interval> Pair(const char* key) {
    const Json* v = Get(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_array() || v->size() != 2 || !(*v)[0].is_number() || !(*v)[1].is_number()) {
      if (v->is_array() && v->size() == 2 && ((*v)[0].is_null() || (*v)[1].is_null())) {
        return std::nullopt;  // An undefined interval.
      }
      Fail(key, "[low, high] (two numbers)");
      return std::nullopt;
    }
    Interval i{(*v)[0].get<double>(), (*v)[1].get<double>()};
    if (!std::isfinite(i.low) || !std::isfinite(i.high)) return std::nullopt;
    return i;
  }
  std::vector<std::string> Strings(const char* key) {
    std::vector<std::string> out;
    const Json* v = Get(key);
    if (v == nullptr) return out;
    if (!v->is_array()) {
      Fail(key, "a list of strings");
      return out;
    }
    for (const Json& s : *v) out.push_back(s.is_string() ? s.get<std::string>() : s.dump());
    return out;
  }
  // An array of objects (missing = empty), each handed to `each` with its own path.
  template <typename F>
  void Objects(const char* key, F each) {
    const Json* v = Get(key);
    if (v == nullptr) return;
    if (!v->is_array()) {
      Fail(key, "a list");
      return;
    }
    for (size_t i = 0; i < v->size() && status_.ok(); ++i) {
      Fields item((*v)[i], absl::StrCat(JoinPath(where_, key), "[", i, "]"));
      each(item);
      if (!item.status().ok()) status_ = item.status();
    }
  }
  Fields Child(const char* key) {
    static const Json* const kEmpty = new Json(Json::object());
    const Json* v = Get(key);
    return Fields(v == nullptr ? *kEmpty : *v, JoinPath(where_, key));
  }
  void Merge(const Fields& other) {
    if (status_.ok() && !other.status().ok()) status_ = other.status();
  }

 private:
  void Fail(const std::string& key, const std::string& expected) {
    if (!status_.ok()) return;
    const std::string path = JoinPath(where_, key);
    status_ = absl::InvalidArgumentError(
        absl::StrCat(path, ": expected ", expected, ", got ",
                     key.empty() ? std::string(object_.type_name())
                                 : (object_.contains(key) ? object_.at(key).dump() : "nothing")));
  }
  const Json& object_;
  std::string where_;
  absl::Status status_;
};

std::optional<double> ParseOptionalNumber(const std::string& text) {
  double value = 0;
  if (text.empty() || !absl::SimpleAtod(text, &value) || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// Stage folders of a run ("00_corpus" ...) in index order, with their kinds.
std::vector<std::pair<std::string, std::string>> StageFolders(const std::string& run_dir) {
  static const std::regex kStage("^([0-9]+)_([a-z_]+)$");
  std::vector<std::tuple<int, std::string, std::string>> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(run_dir, ec)) {
    if (!entry.is_directory()) continue;
    const std::string name = entry.path().filename().string();
    std::smatch m;
    if (std::regex_match(name, m, kStage)) found.emplace_back(std::stoi(m[1]), name, m[2]);
  }
  std::sort(found.begin(), found.end());
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [index, name, kind] : found) out.emplace_back(name, kind);
  return out;
}

std::string Canonical(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path), ec);
  return ec ? fs::absolute(path).lexically_normal().string() : p.string();
}

void AddWarning(Study* study, std::string category, std::string source, std::string message) {
  study->warnings.push_back({std::move(category), std::move(source), std::move(message)});
}

// ------------------------------------------------------------------------------------------
// Corpus and pretraining.
absl::Status ReadSkipped(const std::string& stage_dir, Study* study) {
  const std::string path = stage_dir + "/skipped.csv";
  if (!fs::exists(path)) return absl::OkStatus();
  GENESIS_ASSIGN_OR_RETURN(CsvTable table, ReadCsvFile(path));
  const int file = table.Column("file"), reason = table.Column("reason");
  if (file < 0) return absl::InvalidArgumentError(path + ": expected a 'file' column");
  for (size_t i = 0; i < table.rows.size(); ++i) {
    if (static_cast<int>(i) == kMaxListedPerFile) {
      AddWarning(study, "skipped input", path,
                 absl::StrCat("... and ", table.rows.size() - i, " more skipped input(s)"));
      break;
    }
    AddWarning(study, "skipped input", path,
               absl::StrCat(table.rows[i][file], ": ",
                            reason >= 0 ? table.rows[i][reason] : std::string("(no reason)")));
  }
  return absl::OkStatus();
}

absl::Status ReadPretrain(const std::string& stage_dir, Study* study) {
  const std::string path = stage_dir + "/metrics.csv";
  if (!fs::exists(path)) return absl::OkStatus();
  GENESIS_ASSIGN_OR_RETURN(CsvTable table, ReadCsvFile(path));
  const int epoch = table.Column("epoch"), train = table.Column("train_loss"),
            val = table.Column("val_loss"), identity = table.Column("identity_baseline"),
            mean = table.Column("mean_image_baseline"), collapse = table.Column("collapse_warning");
  if (epoch < 0 || train < 0) {
    return absl::InvalidArgumentError(path + ": expected columns 'epoch' and 'train_loss'");
  }
  PretrainCurve curve;
  curve.metrics_csv = path;
  std::vector<std::string> collapsed;
  const double nan = std::nan("");
  auto value = [&](const std::vector<std::string>& row, int column) {
    return column < 0 ? nan : ParseOptionalNumber(row[column]).value_or(nan);
  };
  for (const auto& row : table.rows) {
    int e = 0;
    if (!absl::SimpleAtoi(row[epoch], &e)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": epoch '", row[epoch], "' is not an integer"));
    }
    curve.epoch.push_back(e);
    curve.train_loss.push_back(value(row, train));
    curve.val_loss.push_back(value(row, val));
    curve.identity_baseline.push_back(value(row, identity));
    curve.mean_image_baseline.push_back(value(row, mean));
    if (collapse >= 0 && row[collapse] == "1") collapsed.push_back(row[epoch]);
  }
  if (!collapsed.empty()) {
    AddWarning(study, "collapse", path,
               absl::StrCat("pretraining epoch(s) ", absl::StrJoin(collapsed, ", "),
                            ": validation loss no better than predicting the mean image "
                            "(the network may output a constant)"));
  }
  study->pretraining.push_back(std::move(curve));
  return absl::OkStatus();
}

// ------------------------------------------------------------------------------------------
// Transfer and evaluation.
absl::Status ReadEpochs(const std::string& path, std::vector<EpochMetrics>* epochs) {
  if (!fs::exists(path)) return absl::OkStatus();
  GENESIS_ASSIGN_OR_RETURN(CsvTable table, ReadCsvFile(path));
  const int epoch = table.Column("epoch"), phase = table.Column("phase"),
            train = table.Column("train_loss"), val = table.Column("val_loss"),
            auc = table.Column("val_auc");
  if (epoch < 0) return absl::InvalidArgumentError(path + ": expected an 'epoch' column");
  for (const auto& row : table.rows) {
    EpochMetrics m;
    if (!absl::SimpleAtoi(row[epoch], &m.epoch)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": epoch '", row[epoch], "' is not an integer"));
    }
    if (phase >= 0) m.phase = row[phase];
    if (train >= 0) m.train_loss = ParseOptionalNumber(row[train]);
    if (val >= 0) m.val_loss = ParseOptionalNumber(row[val]);
    if (auc >= 0) m.val_auc = ParseOptionalNumber(row[auc]);
    epochs->push_back(m);
  }
  return absl::OkStatus();
}

// Reads the sub-run's own files (subrun.json, weight_coverage.json, metrics.csv).
// Weight-coverage exceptions as (sub-run, message) pairs.
using CoverageNotes = std::vector<std::pair<std::string, std::string>>;

absl::Status ReadSubrunFolder(SubrunResult* s, std::string* backbone, std::string* libtorch,
                              CoverageNotes* coverage, Study* study) {
  const std::string json_path = s->subrun_dir + "/subrun.json";
  if (fs::exists(json_path)) {
    GENESIS_ASSIGN_OR_RETURN(Json json, ReadJson(json_path));
    Fields f(json, json_path + ": ");
    if (backbone->empty()) *backbone = f.String("backbone");
    if (libtorch->empty()) *libtorch = f.String("libtorch_version");
    s->best_epoch = f.Number("best_epoch");
    s->best_val_auc = f.Number("best_val_auc");
    for (const std::string& w : f.Strings("warnings")) {
      AddWarning(study, "sub-run", json_path, absl::StrCat(s->subrun, ": ", w));
    }
    GENESIS_RETURN_IF_ERROR(f.status());
  }
  const std::string coverage_path = s->subrun_dir + "/weight_coverage.json";
  if (fs::exists(coverage_path)) {
    GENESIS_ASSIGN_OR_RETURN(Json json, ReadJson(coverage_path));
    Fields f(json, coverage_path + ": ");
    const std::vector<std::string> allowed = f.Strings("allowed");
    if (!allowed.empty()) {
      coverage->emplace_back(
          s->subrun,
          absl::StrCat(allowed.size(), " parameter(s) not loaded from ", f.String("source"),
                       " (allowed exceptions): ", absl::StrJoin(allowed, ", ")));
    }
    GENESIS_RETURN_IF_ERROR(f.status());
  }
  return ReadEpochs(s->subrun_dir + "/metrics.csv", &s->epochs);
}

absl::StatusOr<SubrunResult> ParseSubrun(Fields& f, const std::string& transfer_dir,
                                         const std::string& evaluate_dir) {
  SubrunResult s;
  s.subrun = f.String("subrun", true);
  s.initializer = f.String("initializer", true);
  s.fold = static_cast<int>(f.RequiredNumber("fold"));
  s.fold_name = f.String("fold_name");
  if (s.fold_name.empty()) s.fold_name = absl::StrCat("fold ", s.fold);
  s.seed = static_cast<long long>(f.RequiredNumber("seed"));
  s.label_fraction = f.RequiredNumber("label_fraction");
  Fields test = f.Child("test");
  s.auc = test.Number("auc");
  s.auc_ci95 = test.Pair("auc_ci95");
  s.n_pos = test.Number("n_pos");
  s.n_neg = test.Number("n_neg");
  s.sensitivity_youden = test.Number("sensitivity_youden");
  s.specificity_youden = test.Number("specificity_youden");
  s.accuracy_youden = test.Number("accuracy_youden");
  s.cpm = test.Number("cpm");
  if (const Json* points = test.Get("froc"); points != nullptr && points->is_object()) {
    for (const auto& [key, value] : points->items()) {
      if (value.is_number()) s.froc[key] = value.get<double>();
    }
  }
  f.Merge(test);
  Fields curves = f.Child("curves");
  const std::string roc = curves.String("roc"), froc_curve = curves.String("froc");
  f.Merge(curves);
  if (!roc.empty()) s.roc_csv = (fs::path(evaluate_dir) / roc).string();
  if (!froc_curve.empty()) s.froc_csv = (fs::path(evaluate_dir) / froc_curve).string();
  s.subrun_dir = (fs::path(transfer_dir) / "subruns" / s.subrun).string();
  GENESIS_RETURN_IF_ERROR(f.status());
  return s;
}

// The transfer folder an evaluation names, found again if the run folder moved.
std::string ResolveTransferDir(const std::string& named, const std::string& run_dir,
                               const std::string& previous_transfer) {
  if (!named.empty()) {
    if (fs::is_directory(named) && fs::path(named).is_absolute()) return Canonical(named);
    const fs::path relative = fs::path(run_dir) / named;
    if (fs::is_directory(relative)) return Canonical(relative.string());
    const fs::path by_name = fs::path(run_dir) / fs::path(named).filename();
    if (fs::is_directory(by_name)) return Canonical(by_name.string());
  }
  return previous_transfer;
}

// Reasons why initialisations in subruns.csv have no results, from their statuses.
absl::Status ReadSubrunStatuses(const std::string& transfer_dir, StudyRow* row, Study* study) {
  const std::string path = transfer_dir + "/subruns.csv";
  if (!fs::exists(path)) return absl::OkStatus();
  GENESIS_ASSIGN_OR_RETURN(CsvTable table, ReadCsvFile(path));
  const int init = table.Column("initializer"), status = table.Column("status"),
            subrun = table.Column("subrun");
  if (init < 0 || status < 0) {
    return absl::InvalidArgumentError(path + ": expected columns 'initializer' and 'status'");
  }
  std::map<std::string, std::map<std::string, int>> counts;
  for (const auto& r : table.rows) {
    ++counts[r[init]][r[status]];
    if (r[status] != "done") {
      AddWarning(
          study, "sub-run", path,
          absl::StrCat(subrun >= 0 ? r[subrun] : r[init], ": status ", r[status], " (no results)"));
    }
  }
  for (const auto& [initializer, by_status] : counts) {
    std::vector<std::string> parts;
    for (const auto& [name, n] : by_status) {
      if (name != "done") parts.push_back(absl::StrCat(n, " sub-run(s) ", name));
    }
    if (!parts.empty()) {
      row->not_run_reasons[initializer] =
          absl::StrCat(absl::StrJoin(parts, ", "), " (", "subruns.csv)");
    }
  }
  return absl::OkStatus();
}

absl::Status ReadLeakage(const std::string& transfer_dir, const std::string& dataset,
                         Study* study) {
  const std::string path = transfer_dir + "/leakage.csv";
  if (!fs::exists(path)) return absl::OkStatus();
  GENESIS_ASSIGN_OR_RETURN(CsvTable table, ReadCsvFile(path));
  const int patient = table.Column("patient_id");
  std::set<std::string> patients;
  for (const auto& r : table.rows) patients.insert(patient >= 0 ? r[patient] : "?");
  if (!table.rows.empty()) {
    AddWarning(study, "leakage", path,
               absl::StrCat(patients.size(), " test patient(s) of ", dataset,
                            " are in the pretraining corpus (", table.rows.size(),
                            " row(s) in leakage.csv); self-supervised results may be "
                            "optimistic"));
  }
  return absl::OkStatus();
}

absl::StatusOr<StudyRow> ReadEvaluation(const std::string& run_dir, const std::string& evaluate_dir,
                                        const std::string& previous_transfer, std::string* libtorch,
                                        Study* study) {
  const std::string path = evaluate_dir + "/evaluation.json";
  if (!fs::exists(path)) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " is missing: the evaluate stage of ", run_dir,
        " did not finish; run the evaluate stage (`genesis run` on the experiment resumes it) "
        "before the report"));
  }
  GENESIS_ASSIGN_OR_RETURN(Json json, ReadJson(path));
  Fields f(json, path + ": ");
  StudyRow row;
  row.run_dir = run_dir;
  row.evaluate_dir = evaluate_dir;
  row.task = f.String("task");
  row.alpha = f.Number("alpha").value_or(0.05);
  row.transfer_dir = ResolveTransferDir(f.String("transfer_dir"), run_dir, previous_transfer);
  if (row.transfer_dir.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": transfer_dir '", f.String("transfer_dir"),
                     "' not found and no transfer stage precedes ", evaluate_dir));
  }
  // task.json names the dataset.
  const std::string task_path = row.transfer_dir + "/task.json";
  if (fs::exists(task_path)) {
    GENESIS_ASSIGN_OR_RETURN(Json task, ReadJson(task_path));
    Fields t(task, task_path + ": ");
    row.dataset = t.String("dataset");
    if (row.task.empty()) row.task = t.String("task");
    if (libtorch->empty()) *libtorch = t.String("libtorch_version");
    GENESIS_RETURN_IF_ERROR(t.status());
  }
  if (row.dataset.empty()) row.dataset = row.task.empty() ? "unknown dataset" : row.task;
  f.Objects("subruns", [&](Fields& s) {
    auto parsed = ParseSubrun(s, row.transfer_dir, evaluate_dir);
    if (parsed.ok()) row.subruns.push_back(*std::move(parsed));
  });
  f.Objects("summary", [&](Fields& s) {
    SummaryEntry e;
    e.initializer = s.String("initializer", true);
    e.label_fraction = s.RequiredNumber("label_fraction");
    Fields pooled = s.Child("pooled");
    e.auc = pooled.Number("auc");
    e.auc_ci95 = pooled.Pair("auc_ci95");
    Fields folds = s.Child("folds");
    e.fold_auc_mean = folds.Number("auc_mean");
    e.fold_auc_sd = folds.Number("auc_sd");
    e.n_folds = static_cast<int>(folds.Number("n_folds").value_or(0));
    Fields seeds = s.Child("seeds");
    e.seed_auc_mean = seeds.Number("auc_mean");
    e.seed_auc_sd = seeds.Number("auc_sd");
    e.n_seeds = static_cast<int>(seeds.Number("n_seeds").value_or(0));
    s.Merge(pooled);
    s.Merge(folds);
    s.Merge(seeds);
    row.summary.push_back(e);
  });
  f.Objects("comparisons", [&](Fields& c) {
    Comparison x;
    x.a = c.String("a", true);
    x.b = c.String("b", true);
    x.label_fraction = c.Number("label_fraction").value_or(1.0);
    x.scope = c.String("scope");
    if (x.scope.empty()) x.scope = "pooled";
    if (auto seed = c.Number("seed")) x.seed = static_cast<long long>(*seed);
    x.auc_a = c.Number("auc_a");
    x.auc_b = c.Number("auc_b");
    x.delta = c.Number("delta");
    x.delta_ci95 = c.Pair("delta_ci95");
    x.p_value = c.Number("p_value");
    if (const Json* s = c.Get("significant"); s != nullptr && s->is_boolean()) {
      x.significant = s->get<bool>();
    }
    x.method = c.String("method");
    row.comparisons.push_back(x);
  });
  for (const std::string& w : f.Strings("warnings")) {
    AddWarning(study, "evaluation", path, w);
  }
  GENESIS_RETURN_IF_ERROR(f.status());
  if (row.subruns.empty() && row.summary.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(path,
                     ": no sub-runs and no summary; nothing to report (did the transfer "
                     "stage in ",
                     row.transfer_dir, " finish any sub-run?)"));
  }
  CoverageNotes coverage;
  for (SubrunResult& s : row.subruns) {
    GENESIS_RETURN_IF_ERROR(ReadSubrunFolder(&s, &row.backbone, libtorch, &coverage, study));
  }
  // One warning per distinct exception, naming the sub-runs it concerns.
  std::map<std::string, std::vector<std::string>> by_message;
  for (const auto& [subrun, message] : coverage) by_message[message].push_back(subrun);
  for (const auto& [message, subruns] : by_message) {
    AddWarning(study, "weight coverage",
               absl::StrCat(row.transfer_dir, "/subruns/*/weight_coverage.json"),
               absl::StrCat(subruns.size(), " sub-run(s) (", absl::StrJoin(subruns, ", "),
                            "): ", message));
  }
  if (row.backbone.empty()) row.backbone = "unknown backbone";
  row.label = absl::StrCat(row.dataset, " (", row.task, ") \xC3\x97 ", row.backbone);
  GENESIS_RETURN_IF_ERROR(ReadSubrunStatuses(row.transfer_dir, &row, study));
  GENESIS_RETURN_IF_ERROR(ReadLeakage(row.transfer_dir, row.dataset, study));
  return row;
}

std::optional<long long> SeedFromConfig(const std::string& text) {
  static const std::regex kSeed("(^|\\n)seed: *([0-9]+)");
  std::smatch m;
  if (!std::regex_search(text, m, kSeed)) return std::nullopt;
  long long seed = 0;
  if (!absl::SimpleAtoi(m[2].str(), &seed)) return std::nullopt;
  return seed;
}

std::string NameFromConfig(const std::string& text) {
  static const std::regex kName("(^|\\n)name: *\"([^\"]*)\"");
  std::smatch m;
  return std::regex_search(text, m, kName) ? m[2].str() : "";
}

absl::Status LoadRun(const std::string& run_dir, Study* study, std::vector<std::string>* names) {
  if (!fs::is_directory(run_dir)) {
    return absl::NotFoundError(absl::StrCat(run_dir, ": run folder not found"));
  }
  RunProvenance provenance;
  provenance.run_dir = run_dir;
  const std::string config_path = run_dir + "/experiment.resolved.textproto";
  if (fs::exists(config_path)) {
    GENESIS_ASSIGN_OR_RETURN(provenance.resolved_config, ReadFile(config_path));
    provenance.experiment_seed = SeedFromConfig(provenance.resolved_config);
    const std::string name = NameFromConfig(provenance.resolved_config);
    if (!name.empty()) names->push_back(name);
  }
  const auto stages = StageFolders(run_dir);
  std::string previous_transfer;
  std::set<std::string> transfers, evaluated;
  bool has_pretrain = false;
  for (const auto& [folder, kind] : stages) {
    const std::string dir = Canonical(run_dir + "/" + folder);
    StageRecord record{folder, ""};
    if (auto done = ReadFile(dir + "/.done"); done.ok()) record.fingerprint = *done;
    provenance.stages.push_back(record);
    if (kind == "corpus") GENESIS_RETURN_IF_ERROR(ReadSkipped(dir, study));
    if (kind == "pretrain") {
      has_pretrain = true;
      GENESIS_RETURN_IF_ERROR(ReadPretrain(dir, study));
    }
    if (kind == "transfer") {
      previous_transfer = dir;
      transfers.insert(dir);
    }
    if (kind == "evaluate") {
      GENESIS_ASSIGN_OR_RETURN(StudyRow row, ReadEvaluation(run_dir, dir, previous_transfer,
                                                            &provenance.libtorch_version, study));
      evaluated.insert(row.transfer_dir);
      for (const SubrunResult& s : row.subruns) provenance.subrun_seeds.push_back(s.seed);
      study->alpha = row.alpha;
      study->rows.push_back(std::move(row));
    }
  }
  for (const std::string& t : transfers) {
    if (evaluated.count(t) == 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          t,
          " has no evaluation: run the evaluate stage (stage { evaluate {} }) after this "
          "transfer stage; the report presents evaluation.json and computes no metrics"));
    }
  }
  if (transfers.empty() && evaluated.empty() && !has_pretrain) {
    return absl::FailedPreconditionError(
        absl::StrCat(run_dir,
                     ": no evaluate stage output (NN_evaluate/evaluation.json) and no pretraining "
                     "to report; run the transfer and evaluate stages first"));
  }
  std::sort(provenance.subrun_seeds.begin(), provenance.subrun_seeds.end());
  provenance.subrun_seeds.erase(
      std::unique(provenance.subrun_seeds.begin(), provenance.subrun_seeds.end()),
      provenance.subrun_seeds.end());
  study->runs.push_back(std::move(provenance));
  return absl::OkStatus();
}

// Duplicate sub-runs across folders are an error; separately evaluated parts of one row get
// labels that tell them apart.
absl::Status CheckAndLabelRows(Study* study) {
  std::map<std::tuple<std::string, std::string, std::string>, const StudyRow*> owner;
  std::map<std::pair<std::string, std::string>, int> per_key;
  for (const StudyRow& row : study->rows) {
    ++per_key[{row.dataset, row.backbone}];
    for (const SubrunResult& s : row.subruns) {
      auto [it, inserted] =
          owner.emplace(std::make_tuple(row.dataset, row.backbone, s.subrun), &row);
      if (!inserted) {
        return absl::InvalidArgumentError(
            absl::StrCat("sub-run ", s.subrun, " of ", row.label, " appears twice: in ",
                         it->second->evaluate_dir, " and in ", row.evaluate_dir,
                         "; pass each run folder once, or evaluate the shards together"));
      }
    }
  }
  for (StudyRow& row : study->rows) {
    if (per_key[{row.dataset, row.backbone}] < 2) continue;
    absl::StrAppend(&row.label, " \xE2\x80\x94 ", fs::path(row.run_dir).filename().string(), "/",
                    fs::path(row.evaluate_dir).filename().string());
    AddWarning(study, "report", row.evaluate_dir,
               absl::StrCat(row.dataset, " \xC3\x97 ", row.backbone,
                            " was evaluated in several parts; each part's pooled AUC and tests "
                            "are shown as computed, not combined"));
  }
  std::stable_sort(study->rows.begin(), study->rows.end(),
                   [](const StudyRow& a, const StudyRow& b) {
                     return std::tie(a.dataset, a.backbone) < std::tie(b.dataset, b.backbone);
                   });
  return absl::OkStatus();
}

int InitializerRank(const std::string& name) {
  if (name == "scratch") return 0;
  if (name == "self_supervised") return 1;
  if (name == "imagenet") return 2;
  return 3;
}

}  // namespace

Comparison Comparison::Reversed() const {
  Comparison r = *this;
  std::swap(r.a, r.b);
  std::swap(r.auc_a, r.auc_b);
  if (delta) r.delta = -*delta;
  if (delta_ci95) r.delta_ci95 = Interval{-delta_ci95->high, -delta_ci95->low};
  return r;
}

std::vector<double> StudyRow::LabelFractions() const {
  std::set<double> fractions;
  for (const SummaryEntry& e : summary) fractions.insert(e.label_fraction);
  for (const SubrunResult& s : subruns) fractions.insert(s.label_fraction);
  return {fractions.begin(), fractions.end()};
}

double StudyRow::MainLabelFraction() const {
  const std::vector<double> fractions = LabelFractions();
  for (double f : fractions) {
    if (std::abs(f - 1.0) < 1e-9) return f;
  }
  return fractions.empty() ? 1.0 : fractions.back();
}

std::vector<std::string> StudyRow::Initializers() const {
  std::set<std::string> names;
  for (const SummaryEntry& e : summary) names.insert(e.initializer);
  for (const SubrunResult& s : subruns) names.insert(s.initializer);
  for (const auto& [name, reason] : not_run_reasons) names.insert(name);
  std::vector<std::string> out(names.begin(), names.end());
  std::stable_sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    return InitializerRank(a) < InitializerRank(b);
  });
  return out;
}

const SummaryEntry* StudyRow::Summary(const std::string& initializer, double label_fraction) const {
  for (const SummaryEntry& e : summary) {
    if (e.initializer == initializer && std::abs(e.label_fraction - label_fraction) < 1e-9) {
      return &e;
    }
  }
  return nullptr;
}

std::vector<Comparison> StudyRow::PooledComparisons(const std::string& a, const std::string& b,
                                                    double label_fraction) const {
  std::vector<Comparison> out;
  for (const Comparison& c : comparisons) {
    if (c.scope != "pooled" || std::abs(c.label_fraction - label_fraction) > 1e-9) continue;
    if (c.a == a && c.b == b) out.push_back(c);
    if (c.a == b && c.b == a) out.push_back(c.Reversed());
  }
  return out;
}

Fig51Cell MakeFig51Cell(const StudyRow& row, const std::string& initializer) {
  Fig51Cell cell;
  cell.initializer = initializer;
  const double fraction = row.MainLabelFraction();
  cell.summary = row.Summary(initializer, fraction);
  if (cell.summary == nullptr) {
    auto it = row.not_run_reasons.find(initializer);
    cell.not_run_reason =
        it != row.not_run_reasons.end() ? it->second : "not configured in this run";
    return cell;
  }
  if (initializer != "scratch") {
    cell.vs_scratch = row.PooledComparisons(initializer, "scratch", fraction);
  }
  if (initializer != "imagenet") {
    cell.vs_imagenet = row.PooledComparisons(initializer, "imagenet", fraction);
  }
  return cell;
}

std::vector<std::string> StudyInitializers(const Study& study) {
  std::set<std::string> names = {"scratch", "self_supervised", "imagenet"};
  for (const StudyRow& row : study.rows) {
    for (const std::string& name : row.Initializers()) names.insert(name);
  }
  std::vector<std::string> out(names.begin(), names.end());
  std::stable_sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    return InitializerRank(a) < InitializerRank(b);
  });
  return out;
}

absl::StatusOr<Study> LoadStudy(const std::vector<std::string>& run_dirs,
                                const std::string& title) {
  if (run_dirs.empty()) return absl::InvalidArgumentError("no run folders to report on");
  Study study;
  std::vector<std::string> names;
  for (const std::string& dir : run_dirs) {
    GENESIS_RETURN_IF_ERROR(LoadRun(Canonical(dir), &study, &names));
  }
  GENESIS_RETURN_IF_ERROR(CheckAndLabelRows(&study));
  study.title = title;
  if (study.title.empty()) {
    std::vector<std::string> parts = names;
    if (parts.empty()) {
      for (const auto& run : study.runs) parts.push_back(fs::path(run.run_dir).filename());
    }
    study.title = absl::StrCat("Genesis report: ", absl::StrJoin(parts, ", "));
  }
  return study;
}

std::string InitializerTitle(const std::string& initializer) {
  if (initializer == "scratch") return "Scratch";
  if (initializer == "self_supervised") return "Self-supervised";
  if (initializer == "imagenet") return "ImageNet";
  std::string out = initializer;
  std::replace(out.begin(), out.end(), '_', ' ');
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

std::string FractionText(double label_fraction) { return absl::StrFormat("%g", label_fraction); }

}  // namespace genesis
