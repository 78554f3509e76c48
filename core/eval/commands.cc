// `genesis auc` and `genesis cpm`: evaluation of prediction files from any source.
//
//   $ genesis auc A.csv [B.csv] [--roc roc.csv]
//   {"auc":0.9712,"ci95":[0.9623,0.9801],"n_pos":1157,"n_neg":753418}
//   with B (paired by id; ids missing on either side are an error naming them):
//   {..., "auc_b":0.9655,"ci95_b":[..],"delta":0.0057,"delta_ci95":[..],"p_value":0.031}
//   A and B are CSVs with columns id,label,score (other columns are ignored). CIs are DeLong
//   95% intervals, p_value the two-sided paired DeLong test. --roc writes A's ROC curve
//   (fpr,tpr,threshold; collinear points dropped as sklearn does).
//
//   $ genesis cpm --annotations annotations.csv --excluded annotations_excluded.csv
//         --series series.txt --predictions predictions.csv [--froc froc.csv]
//   {"cpm":0.83,"sensitivity":{"0.125":..,"0.25":..,"0.5":..,"1":..,"2":..,"4":..,"8":..},
//    "scans":..,"nodules":..,"detected":..,"false_positives":..,"marks_on_excluded":..,
//    "marks_outside_series":..}
//   LUNA16 semantics: see core/eval/froc.h.
//
// Exit codes: 0 success, 1 bad input (message on stderr), 2 usage.
#include <cmath>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/command.h"
#include "core/eval/froc.h"
#include "core/eval/json.h"
#include "core/eval/metrics.h"
#include "core/eval/predictions_io.h"
#include "core/file_util.h"
#include "core/status_macros.h"

ABSL_FLAG(std::string, roc, "", "genesis auc: also write the ROC curve of A to this CSV");
ABSL_FLAG(std::string, annotations, "", "genesis cpm: LUNA16 annotations.csv");
ABSL_FLAG(std::string, excluded, "", "genesis cpm: LUNA16 annotations_excluded.csv");
ABSL_FLAG(std::string, series, "", "genesis cpm: the evaluated scans, one seriesuid per line");
ABSL_FLAG(std::string, predictions, "",
          "genesis cpm: CAD marks (seriesuid,coordX,coordY,coordZ,probability)");
ABSL_FLAG(std::string, froc, "", "genesis cpm: also write the FROC curve to this CSV");

namespace genesis {
namespace {

constexpr double kAlpha = 0.05;

std::string RocCsv(const std::vector<RocPoint>& roc) {
  std::string out = "fpr,tpr,threshold\n";
  for (const RocPoint& p : roc) {
    absl::StrAppend(&out, JsonNumber(p.fpr), ",", JsonNumber(p.tpr), ",",
                    std::isinf(p.threshold) ? "inf" : JsonNumber(p.threshold), "\n");
  }
  return out;
}

std::string ListSome(const std::vector<std::string>& ids) {
  std::vector<std::string> some(ids.begin(), ids.begin() + std::min<size_t>(ids.size(), 5));
  return absl::StrCat(absl::StrJoin(some, ", "), ids.size() > 5 ? ", ..." : "");
}

absl::StatusOr<Json> AucJson(const std::vector<std::string>& args) {
  GENESIS_ASSIGN_OR_RETURN(Predictions a, ReadPredictions(args[0]));
  Json out = Json::Object();
  if (args.size() == 1) {
    absl::StatusOr<DeLongResult> r = DeLong(a.score, a.label, kAlpha);
    if (!r.ok()) return Annotate(r.status(), args[0]);
    out.Set("auc", r->auc)
        .Set("ci95", Json::Array({r->ci_low, r->ci_high}))
        .Set("n_pos", r->n_pos)
        .Set("n_neg", r->n_neg);
  } else {
    GENESIS_ASSIGN_OR_RETURN(Predictions b, ReadPredictions(args[1]));
    GENESIS_ASSIGN_OR_RETURN(MatchedPredictions m, MatchById(a, b));
    if (!m.only_in_a.empty() || !m.only_in_b.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("ids must match between ", args[0], " and ", args[1], ": ",
                       m.only_in_a.size(), " only in ", args[0], " (", ListSome(m.only_in_a), "), ",
                       m.only_in_b.size(), " only in ", args[1], " (", ListSome(m.only_in_b), ")"));
    }
    GENESIS_ASSIGN_OR_RETURN(PairedDeLongResult r,
                             PairedDeLong(m.score_a, m.score_b, m.label, kAlpha));
    out.Set("auc", r.a.auc)
        .Set("ci95", Json::Array({r.a.ci_low, r.a.ci_high}))
        .Set("n_pos", r.a.n_pos)
        .Set("n_neg", r.a.n_neg)
        .Set("auc_b", r.b.auc)
        .Set("ci95_b", Json::Array({r.b.ci_low, r.b.ci_high}))
        .Set("delta", r.delta)
        .Set("delta_ci95", Json::Array({r.delta_ci_low, r.delta_ci_high}))
        .Set("p_value", r.p_value)
        .Set("method", "paired DeLong");
  }
  const std::string roc_path = absl::GetFlag(FLAGS_roc);
  if (!roc_path.empty()) {
    GENESIS_ASSIGN_OR_RETURN(std::vector<RocPoint> roc, RocCurve(a.score, a.label, true));
    GENESIS_RETURN_IF_ERROR(WriteFileAtomically(roc_path, RocCsv(roc)));
  }
  return out;
}

int AucMain(const std::vector<std::string>& args) {
  if (args.empty() || args.size() > 2) {
    std::cerr << "usage: genesis auc A.csv [B.csv] [--roc roc.csv]\n"
                 "  CSV columns id,label,score; prints auc, DeLong ci95, n_pos, n_neg (and with "
                 "B, paired by id: auc_b, delta, p_value)\n";
    return 2;
  }
  absl::StatusOr<Json> out = AucJson(args);
  if (!out.ok()) {
    std::cerr << "genesis auc: " << out.status().message() << "\n";
    return 1;
  }
  std::cout << out->Dump() << "\n";
  return 0;
}

absl::StatusOr<Json> CpmJson() {
  const std::string annotations = absl::GetFlag(FLAGS_annotations);
  const std::string excluded_path = absl::GetFlag(FLAGS_excluded);
  const std::string series_path = absl::GetFlag(FLAGS_series);
  const std::string predictions = absl::GetFlag(FLAGS_predictions);
  GENESIS_ASSIGN_OR_RETURN(std::vector<Nodule> nodules, ReadNodules(annotations));
  std::vector<Nodule> excluded;
  if (!excluded_path.empty()) {
    GENESIS_ASSIGN_OR_RETURN(excluded, ReadNodules(excluded_path));
  }
  GENESIS_ASSIGN_OR_RETURN(std::vector<std::string> series, ReadSeriesList(series_path));
  GENESIS_ASSIGN_OR_RETURN(std::vector<CadMark> marks, ReadCadMarks(predictions));
  GENESIS_ASSIGN_OR_RETURN(FrocResult r, ComputeFroc(nodules, excluded, series, marks));
  Json sensitivity = Json::Object();
  for (size_t k = 0; k < kFrocOperatingPoints.size(); ++k) {
    sensitivity.Set(kFrocOperatingPointKeys[k], r.sensitivity[k]);
  }
  const std::string froc_path = absl::GetFlag(FLAGS_froc);
  if (!froc_path.empty()) {
    std::string csv = "fps_per_scan,sensitivity\n";
    for (const auto& [fps, sens] : r.curve) {
      absl::StrAppend(&csv, JsonNumber(fps), ",", JsonNumber(sens), "\n");
    }
    GENESIS_RETURN_IF_ERROR(WriteFileAtomically(froc_path, csv));
  }
  Json out = Json::Object();
  out.Set("cpm", r.cpm)
      .Set("sensitivity", std::move(sensitivity))
      .Set("scans", r.scans)
      .Set("nodules", r.nodules)
      .Set("detected", r.detected)
      .Set("false_positives", r.false_positives)
      .Set("marks_on_excluded", r.marks_on_excluded)
      .Set("marks_outside_series", r.marks_outside_series);
  return out;
}

int CpmMain(const std::vector<std::string>& args) {
  if (!args.empty() || absl::GetFlag(FLAGS_annotations).empty() ||
      absl::GetFlag(FLAGS_series).empty() || absl::GetFlag(FLAGS_predictions).empty()) {
    std::cerr << "usage: genesis cpm --annotations annotations.csv "
                 "[--excluded annotations_excluded.csv] --series series.txt "
                 "--predictions predictions.csv [--froc froc.csv]\n";
    return 2;
  }
  absl::StatusOr<Json> out = CpmJson();
  if (!out.ok()) {
    std::cerr << "genesis cpm: " << out.status().message() << "\n";
    return 1;
  }
  std::cout << out->Dump() << "\n";
  return 0;
}

}  // namespace

GENESIS_REGISTER_COMMAND("auc",
                         "A.csv [B.csv] [--roc FILE]  AUC with DeLong 95% CI (id,label,score); "
                         "with B: paired DeLong test",
                         &AucMain);
GENESIS_REGISTER_COMMAND("cpm",
                         "--annotations F --excluded F --series F --predictions F  LUNA16 "
                         "FROC sensitivities and CPM",
                         &CpmMain);

}  // namespace genesis
