// The report's view of one or more finished runs: every evaluated transfer stage becomes a row
// (dataset x backbone), with the evaluate stage's numbers, the per-sub-run training curves, the
// warnings of every stage and the provenance of each run. All three reporters (html, plots,
// tables) build on LoadStudy, so they present the same numbers.
//
//   GENESIS_ASSIGN_OR_RETURN(Study study, LoadStudy({"/runs/luna_vgg", "/runs/luna_resnet"}));
//   for (const StudyRow& row : study.rows) { ... row.Summary("scratch", 1.0) ... }
//
// Contract (README.md, "Output folder"): <run>/NN_transfer/{task.json, subruns.csv,
// leakage.csv, subruns/<subrun>/{subrun.json, weight_coverage.json, metrics.csv}},
// <run>/NN_evaluate/{evaluation.json, curves/*.csv}, <run>/NN_pretrain/metrics.csv,
// <run>/NN_corpus/skipped.csv, <run>/experiment.resolved.textproto, <run>/NN_*/.done.
//
// Rows are keyed by (dataset, backbone). Two run folders holding the same sub-run of the same
// row (same initializer, fold, seed and label fraction) are an error naming both folders; two
// evaluations of one row with different sub-runs stay separate rows (their pooled numbers were
// computed separately), each labelled with its run folder.
#ifndef GENESIS_PLUGINS_REPORTER_STUDY_H_
#define GENESIS_PLUGINS_REPORTER_STUDY_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace genesis {

struct Interval {
  double low = 0, high = 0;
};

// One initialisation at one label fraction, as the evaluate stage summarised it.
struct SummaryEntry {
  std::string initializer;
  double label_fraction = 1;
  std::optional<double> auc;         // Pooled over folds (per seed, then averaged).
  std::optional<Interval> auc_ci95;  // DeLong 95% CI of the pooled AUC.
  std::optional<double> fold_auc_mean, fold_auc_sd;
  int n_folds = 0;
  std::optional<double> seed_auc_mean, seed_auc_sd;
  int n_seeds = 0;
};

// One paired test "a vs b" as the evaluate stage computed it.
struct Comparison {
  std::string a, b;
  double label_fraction = 1;
  std::string scope;  // "pooled" or "fold <k>".
  std::optional<long long> seed;
  std::optional<double> auc_a, auc_b, delta, p_value;
  std::optional<Interval> delta_ci95;
  std::optional<bool> significant;
  std::string method;
  // The same comparison seen from b's side (delta and interval negated).
  Comparison Reversed() const;
};

// One training curve row of a sub-run's metrics.csv.
struct EpochMetrics {
  int epoch = 0;
  std::string phase;
  std::optional<double> train_loss, val_loss, val_auc;
};

// One transfer sub-run with its test metrics.
struct SubrunResult {
  std::string subrun, initializer, fold_name;
  int fold = 0;
  long long seed = 0;
  double label_fraction = 1;
  std::optional<double> auc;
  std::optional<Interval> auc_ci95;
  std::optional<double> n_pos, n_neg, sensitivity_youden, specificity_youden, accuracy_youden;
  std::optional<double> cpm;
  std::map<std::string, double> froc;  // "0.125" -> sensitivity.
  std::optional<double> best_epoch, best_val_auc;
  std::string roc_csv, froc_csv;     // Absolute; empty when the evaluation names none.
  std::string subrun_dir;            // <transfer>/subruns/<subrun>
  std::vector<EpochMetrics> epochs;  // From metrics.csv (empty when absent).
};

struct ReportWarning {
  std::string category;  // "skipped input", "collapse", "weight coverage", "leakage", ...
  std::string source;    // File the warning comes from.
  std::string message;
};

// One row of the Fig 5.1 table: the evaluated sub-runs of one dataset x backbone.
struct StudyRow {
  std::string dataset, task, backbone;
  std::string label;  // "LUNA16 (luna16) x unet_vgg16" [+ " -- run <name>"].
  std::string run_dir, transfer_dir, evaluate_dir;
  double alpha = 0.05;
  std::vector<SummaryEntry> summary;
  std::vector<Comparison> comparisons;
  std::vector<SubrunResult> subruns;
  // Initialisations that appear in the transfer stage's subruns.csv without results, with why.
  std::map<std::string, std::string> not_run_reasons;

  // Label fractions with a summary, ascending.
  std::vector<double> LabelFractions() const;
  // The fraction shown in the main table: 1 if present, else the largest.
  double MainLabelFraction() const;
  // Initialisations with results plus those in not_run_reasons, in the study's order
  // (scratch, self_supervised, imagenet, then others alphabetically).
  std::vector<std::string> Initializers() const;
  const SummaryEntry* Summary(const std::string& initializer, double label_fraction) const;
  // Pooled comparisons of `a` against `b` at `label_fraction` (either direction in the file),
  // oriented as a - b; one per seed.
  std::vector<Comparison> PooledComparisons(const std::string& a, const std::string& b,
                                            double label_fraction) const;
};

// One cell of the Fig 5.1 table: an initialisation of a row at the row's main label fraction.
struct Fig51Cell {
  std::string initializer;
  const SummaryEntry* summary = nullptr;            // nullptr: not run.
  std::string not_run_reason;                       // Set when summary is nullptr.
  std::vector<Comparison> vs_scratch, vs_imagenet;  // Pooled, oriented initializer - other.
};
Fig51Cell MakeFig51Cell(const StudyRow& row, const std::string& initializer);

struct PretrainCurve {
  std::string metrics_csv;
  std::vector<int> epoch;
  std::vector<double> train_loss, val_loss, identity_baseline, mean_image_baseline;
};

struct StageRecord {
  std::string folder;       // "02_transfer"
  std::string fingerprint;  // .done contents; empty when the stage did not complete.
};

struct RunProvenance {
  std::string run_dir;
  std::string resolved_config;  // experiment.resolved.textproto ("" when absent).
  std::optional<long long> experiment_seed;
  std::vector<StageRecord> stages;
  std::vector<long long> subrun_seeds;
  std::string libtorch_version;  // When a stage recorded it; else empty.
};

struct Study {
  std::string title;
  double alpha = 0.05;
  std::vector<StudyRow> rows;
  std::vector<PretrainCurve> pretraining;
  std::vector<ReportWarning> warnings;
  std::vector<RunProvenance> runs;
};

// The table's columns: the study's three initialisations (scratch, self_supervised, imagenet)
// and any other that ran, in that order.
std::vector<std::string> StudyInitializers(const Study& study);

// Reads every run folder. FailedPrecondition (naming the folder and the stage to run) when a
// run has no evaluation; InvalidArgument (naming both folders) for duplicate sub-runs.
absl::StatusOr<Study> LoadStudy(const std::vector<std::string>& run_dirs,
                                const std::string& title = "");

// Display name of an initialisation ("self_supervised" -> "Self-supervised").
std::string InitializerTitle(const std::string& initializer);
// "%g" of a label fraction, the way sub-run names print it.
std::string FractionText(double label_fraction);

}  // namespace genesis

#endif  // GENESIS_PLUGINS_REPORTER_STUDY_H_
