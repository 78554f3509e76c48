// The "tables" reporter: the report's numbers as files for other tools.
//   report.json          everything the HTML shows (rows, cells, comparisons with their
//                        sentences, label efficiency, folds, warnings, provenance)
//   fig51.csv            one line per row x initialisation at the row's main label fraction:
//                        AUC, 95% CI, fold mean/sd, and the comparisons against scratch and
//                        ImageNet (delta, CI, p, significant); "not run" lines say why
//   label_efficiency.csv row, initialisation, label fraction, pooled AUC and CI
//   folds.csv            one line per sub-run (test AUC, CI, counts, Youden operating point,
//                        CPM, best epoch)
//   comparisons.csv      every paired test of the evaluation, with its sentence in words
//   answer.txt           the pooled comparisons at the main label fraction, in words
//   warnings.csv         category, source file, message
//
//   stage { report { reporter { type: "tables" } } }
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/csv.h"
#include "core/file_util.h"
#include "core/reporter.h"
#include "core/status_macros.h"
#include "nlohmann/json.hpp"
#include "plugins/reporter/figures.h"
#include "plugins/reporter/provenance.h"
#include "plugins/reporter/study.h"
#include "plugins/reporter/tables.pb.h"

namespace genesis {
namespace {

using Json = nlohmann::ordered_json;

Json Optional(const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); }
Json Pair(const std::optional<Interval>& i) {
  return i ? Json::array({i->low, i->high}) : Json(nullptr);
}
// Full precision for CSV; empty when missing.
std::string Num(const std::optional<double>& v) {
  return v ? absl::StrFormat("%.10g", *v) : std::string();
}
std::string Low(const std::optional<Interval>& i) { return i ? Num(i->low) : std::string(); }
std::string High(const std::optional<Interval>& i) { return i ? Num(i->high) : std::string(); }
std::string Bool(const std::optional<bool>& b) {
  return b ? (*b ? "true" : "false") : std::string();
}

Json ComparisonJson(const Comparison& c, double alpha) {
  Json j;
  j["a"] = c.a;
  j["b"] = c.b;
  j["label_fraction"] = c.label_fraction;
  j["scope"] = c.scope;
  j["seed"] = c.seed ? Json(*c.seed) : Json(nullptr);
  j["auc_a"] = Optional(c.auc_a);
  j["auc_b"] = Optional(c.auc_b);
  j["delta"] = Optional(c.delta);
  j["delta_ci95"] = Pair(c.delta_ci95);
  j["p_value"] = Optional(c.p_value);
  const std::optional<bool> significant = IsSignificant(c, alpha);
  j["significant"] = significant ? Json(*significant) : Json(nullptr);
  j["method"] = c.method;
  j["sentence"] = SignificanceSentence(c, alpha);
  return j;
}

Json SubrunJson(const SubrunResult& s) {
  Json j;
  j["subrun"] = s.subrun;
  j["initializer"] = s.initializer;
  j["fold"] = s.fold;
  j["fold_name"] = s.fold_name;
  j["seed"] = s.seed;
  j["label_fraction"] = s.label_fraction;
  j["auc"] = Optional(s.auc);
  j["auc_ci95"] = Pair(s.auc_ci95);
  j["n_pos"] = Optional(s.n_pos);
  j["n_neg"] = Optional(s.n_neg);
  j["sensitivity_youden"] = Optional(s.sensitivity_youden);
  j["specificity_youden"] = Optional(s.specificity_youden);
  j["accuracy_youden"] = Optional(s.accuracy_youden);
  j["cpm"] = Optional(s.cpm);
  j["froc"] = Json::object();
  for (const auto& [k, v] : s.froc) j["froc"][k] = v;
  j["best_epoch"] = Optional(s.best_epoch);
  j["best_val_auc"] = Optional(s.best_val_auc);
  j["epochs"] = s.epochs.size();
  return j;
}

Json CellJson(const Fig51Cell& cell, double alpha) {
  Json j;
  j["initializer"] = cell.initializer;
  j["status"] = cell.summary != nullptr ? "run" : "not run";
  if (cell.summary == nullptr) {
    j["reason"] = cell.not_run_reason;
    return j;
  }
  const SummaryEntry& e = *cell.summary;
  j["auc"] = Optional(e.auc);
  j["auc_ci95"] = Pair(e.auc_ci95);
  j["fold_auc_mean"] = Optional(e.fold_auc_mean);
  j["fold_auc_sd"] = Optional(e.fold_auc_sd);
  j["n_folds"] = e.n_folds;
  j["seed_auc_mean"] = Optional(e.seed_auc_mean);
  j["seed_auc_sd"] = Optional(e.seed_auc_sd);
  j["n_seeds"] = e.n_seeds;
  j["vs_scratch"] = Json::array();
  for (const Comparison& c : cell.vs_scratch) j["vs_scratch"].push_back(ComparisonJson(c, alpha));
  j["vs_imagenet"] = Json::array();
  for (const Comparison& c : cell.vs_imagenet) {
    j["vs_imagenet"].push_back(ComparisonJson(c, alpha));
  }
  return j;
}

Json StudyJson(const Study& study) {
  Json j;
  j["title"] = study.title;
  j["alpha"] = study.alpha;
  const std::vector<std::string> initializers = StudyInitializers(study);
  j["initializers"] = initializers;
  j["rows"] = Json::array();
  for (const StudyRow& row : study.rows) {
    Json r;
    r["label"] = row.label;
    r["dataset"] = row.dataset;
    r["task"] = row.task;
    r["backbone"] = row.backbone;
    r["run_dir"] = row.run_dir;
    r["transfer_dir"] = row.transfer_dir;
    r["evaluate_dir"] = row.evaluate_dir;
    r["alpha"] = row.alpha;
    r["main_label_fraction"] = row.MainLabelFraction();
    r["cells"] = Json::array();
    for (const std::string& init : initializers) {
      r["cells"].push_back(CellJson(MakeFig51Cell(row, init), row.alpha));
    }
    r["label_efficiency"] = Json::array();
    for (const SummaryEntry& e : row.summary) {
      r["label_efficiency"].push_back({{"initializer", e.initializer},
                                       {"label_fraction", e.label_fraction},
                                       {"auc", Optional(e.auc)},
                                       {"auc_ci95", Pair(e.auc_ci95)}});
    }
    r["comparisons"] = Json::array();
    for (const Comparison& c : row.comparisons) {
      r["comparisons"].push_back(ComparisonJson(c, row.alpha));
    }
    r["folds"] = Json::array();
    for (const SubrunResult& s : row.subruns) r["folds"].push_back(SubrunJson(s));
    j["rows"].push_back(r);
  }
  j["warnings"] = Json::array();
  for (const ReportWarning& w : study.warnings) {
    j["warnings"].push_back(
        {{"category", w.category}, {"source", w.source}, {"message", w.message}});
  }
  Json provenance;
  provenance["git_commit"] = GitCommit();
  provenance["libraries"] = Json::object();
  for (const auto& [name, version] : LibraryVersions()) provenance["libraries"][name] = version;
  provenance["runs"] = Json::array();
  for (const RunProvenance& run : study.runs) {
    Json r;
    r["run_dir"] = run.run_dir;
    r["experiment_seed"] = run.experiment_seed ? Json(*run.experiment_seed) : Json(nullptr);
    r["subrun_seeds"] = run.subrun_seeds;
    r["libtorch_version"] =
        run.libtorch_version.empty() ? Json(nullptr) : Json(run.libtorch_version);
    r["stages"] = Json::array();
    for (const StageRecord& s : run.stages) {
      r["stages"].push_back(
          {{"folder", s.folder},
           {"fingerprint", s.fingerprint.empty() ? Json(nullptr) : Json(s.fingerprint)}});
    }
    provenance["runs"].push_back(r);
  }
  j["provenance"] = provenance;
  return j;
}

std::string Fig51Csv(const Study& study) {
  std::string out = CsvLine({"row",
                             "dataset",
                             "task",
                             "backbone",
                             "label_fraction",
                             "initializer",
                             "status",
                             "reason",
                             "auc",
                             "auc_ci_low",
                             "auc_ci_high",
                             "fold_auc_mean",
                             "fold_auc_sd",
                             "n_folds",
                             "n_seeds",
                             "delta_vs_scratch",
                             "delta_vs_scratch_ci_low",
                             "delta_vs_scratch_ci_high",
                             "p_vs_scratch",
                             "significant_vs_scratch",
                             "delta_vs_imagenet",
                             "delta_vs_imagenet_ci_low",
                             "delta_vs_imagenet_ci_high",
                             "p_vs_imagenet",
                             "significant_vs_imagenet",
                             "seed"});
  const std::vector<std::string> initializers = StudyInitializers(study);
  for (const StudyRow& row : study.rows) {
    for (const std::string& init : initializers) {
      const Fig51Cell cell = MakeFig51Cell(row, init);
      std::vector<std::string> base = {
          row.label, row.dataset, row.task, row.backbone, FractionText(row.MainLabelFraction()),
          init};
      if (cell.summary == nullptr) {
        base.insert(base.end(), {"not run", cell.not_run_reason});
        base.resize(26);
        out += CsvLine(base);
        continue;
      }
      const SummaryEntry& e = *cell.summary;
      base.insert(base.end(),
                  {"run", "", Num(e.auc), Low(e.auc_ci95), High(e.auc_ci95), Num(e.fold_auc_mean),
                   Num(e.fold_auc_sd), absl::StrCat(e.n_folds), absl::StrCat(e.n_seeds)});
      // One line per seed of the comparisons (usually one).
      const size_t lines = std::max<size_t>({1, cell.vs_scratch.size(), cell.vs_imagenet.size()});
      for (size_t k = 0; k < lines; ++k) {
        std::vector<std::string> line = base;
        std::optional<long long> seed;
        for (const auto* list : {&cell.vs_scratch, &cell.vs_imagenet}) {
          if (k < list->size()) {
            const Comparison& c = (*list)[k];
            seed = c.seed;
            line.insert(line.end(), {Num(c.delta), Low(c.delta_ci95), High(c.delta_ci95),
                                     Num(c.p_value), Bool(IsSignificant(c, row.alpha))});
          } else {
            line.insert(line.end(), 5, "");
          }
        }
        line.push_back(seed ? absl::StrCat(*seed) : "");
        out += CsvLine(line);
      }
    }
  }
  return out;
}

std::string FoldsCsv(const Study& study) {
  std::string out = CsvLine({"row",
                             "dataset",
                             "task",
                             "backbone",
                             "subrun",
                             "initializer",
                             "fold",
                             "fold_name",
                             "seed",
                             "label_fraction",
                             "auc",
                             "auc_ci_low",
                             "auc_ci_high",
                             "n_pos",
                             "n_neg",
                             "sensitivity_youden",
                             "specificity_youden",
                             "accuracy_youden",
                             "cpm",
                             "best_epoch",
                             "best_val_auc"});
  for (const StudyRow& row : study.rows) {
    for (const SubrunResult& s : row.subruns) {
      out += CsvLine({row.label,
                      row.dataset,
                      row.task,
                      row.backbone,
                      s.subrun,
                      s.initializer,
                      absl::StrCat(s.fold),
                      s.fold_name,
                      absl::StrCat(s.seed),
                      FractionText(s.label_fraction),
                      Num(s.auc),
                      Low(s.auc_ci95),
                      High(s.auc_ci95),
                      Num(s.n_pos),
                      Num(s.n_neg),
                      Num(s.sensitivity_youden),
                      Num(s.specificity_youden),
                      Num(s.accuracy_youden),
                      Num(s.cpm),
                      Num(s.best_epoch),
                      Num(s.best_val_auc)});
    }
  }
  return out;
}

std::string LabelEfficiencyCsv(const Study& study) {
  std::string out = CsvLine({"row", "initializer", "label_fraction", "auc", "auc_ci_low",
                             "auc_ci_high", "fold_auc_mean", "fold_auc_sd"});
  for (const StudyRow& row : study.rows) {
    for (const SummaryEntry& e : row.summary) {
      out += CsvLine({row.label, e.initializer, FractionText(e.label_fraction), Num(e.auc),
                      Low(e.auc_ci95), High(e.auc_ci95), Num(e.fold_auc_mean), Num(e.fold_auc_sd)});
    }
  }
  return out;
}

std::string ComparisonsCsv(const Study& study) {
  std::string out = CsvLine({"row", "a", "b", "label_fraction", "scope", "seed", "auc_a", "auc_b",
                             "delta", "delta_ci_low", "delta_ci_high", "p_value", "significant",
                             "alpha", "method", "sentence"});
  for (const StudyRow& row : study.rows) {
    for (const Comparison& c : row.comparisons) {
      out += CsvLine({row.label, c.a, c.b, FractionText(c.label_fraction), c.scope,
                      c.seed ? absl::StrCat(*c.seed) : "", Num(c.auc_a), Num(c.auc_b), Num(c.delta),
                      Low(c.delta_ci95), High(c.delta_ci95), Num(c.p_value),
                      Bool(IsSignificant(c, row.alpha)), absl::StrFormat("%g", row.alpha), c.method,
                      SignificanceSentence(c, row.alpha)});
    }
  }
  return out;
}

class TablesReporter : public Reporter {
 public:
  explicit TablesReporter(const TablesReporterOptions& options) : options_(options) {}

  static absl::Status Validate(const TablesReporterOptions& options) {
    if (options.json_indent() < 0 || options.json_indent() > 8) {
      return absl::InvalidArgumentError(
          absl::StrCat("json_indent: must be in [0, 8], got ", options.json_indent()));
    }
    return absl::OkStatus();
  }

  // The study's answer in a few lines: every pooled comparison at each row's main label
  // fraction, in words (answer.txt; the report stage logs it, tools/demo.sh prints it).
  static std::string Answer(const Study& study) {
    std::string out;
    for (const StudyRow& row : study.rows) {
      const double fraction = row.MainLabelFraction();
      for (const Comparison& c : row.comparisons) {
        if (c.scope != "pooled" || c.label_fraction != fraction) continue;
        absl::StrAppend(&out, row.label, ": ", SignificanceSentence(c, row.alpha), "\n");
      }
    }
    if (out.empty()) out = "no paired comparison was evaluated (one initialisation only?)\n";
    return out;
  }

  absl::Status Write(const ReportInput& input, const std::string& report_dir) const override {
    GENESIS_ASSIGN_OR_RETURN(Study study, LoadStudy(input.run_dirs, input.title));
    const int indent = options_.json_indent() > 0 ? options_.json_indent() : -1;
    // Invalid UTF-8 in a path or a skipped file's reason becomes U+FFFD instead of failing.
    const std::string json =
        StudyJson(study).dump(indent, ' ', false, Json::error_handler_t::replace);
    GENESIS_RETURN_IF_ERROR(WriteFileAtomically(report_dir + "/report.json", json + "\n"));
    GENESIS_RETURN_IF_ERROR(WriteFileAtomically(report_dir + "/fig51.csv", Fig51Csv(study)));
    GENESIS_RETURN_IF_ERROR(WriteFileAtomically(report_dir + "/folds.csv", FoldsCsv(study)));
    GENESIS_RETURN_IF_ERROR(
        WriteFileAtomically(report_dir + "/label_efficiency.csv", LabelEfficiencyCsv(study)));
    GENESIS_RETURN_IF_ERROR(
        WriteFileAtomically(report_dir + "/comparisons.csv", ComparisonsCsv(study)));
    GENESIS_RETURN_IF_ERROR(WriteFileAtomically(report_dir + "/answer.txt", Answer(study)));
    std::string warnings = CsvLine({"category", "source", "message"});
    for (const ReportWarning& w : study.warnings) {
      warnings += CsvLine({w.category, w.source, w.message});
    }
    return WriteFileAtomically(report_dir + "/warnings.csv", warnings);
  }

 private:
  TablesReporterOptions options_;
};

}  // namespace

GENESIS_REGISTER_REPORTER(TablesReporter, "tables", TablesReporterOptions,
                          "the report's numbers as report.json, fig51.csv, folds.csv, ...");

}  // namespace genesis
