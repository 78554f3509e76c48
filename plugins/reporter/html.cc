// The "html" reporter: one self-contained report.html per study (inline CSS and SVG, no
// scripts, no network), readable in any browser and printable.
//
//   stage { report { title: "Models Genesis 2D, Fig 5.1" reporter { type: "html" } } }
//
// Sections, top to bottom: summary table laid out like the study's Fig 5.1 (rows dataset (task)
// x backbone; a column per initialisation with test AUC pooled over folds, its 95% CI and the
// mean +- sd of the per-fold AUCs; then delta AUC, CI and p against scratch and against
// ImageNet), the significance of every comparison in words, label efficiency, per-fold tables,
// charts, warnings (skipped inputs, collapse, weight coverage, leakage, evaluation) and
// provenance (commit, library versions, seeds, stage fingerprints, resolved configs).
#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/file_util.h"
#include "core/reporter.h"
#include "core/status_macros.h"
#include "glog/logging.h"
#include "plugins/reporter/figures.h"
#include "plugins/reporter/html.pb.h"
#include "plugins/reporter/plot.h"
#include "plugins/reporter/provenance.h"
#include "plugins/reporter/study.h"

namespace genesis {
namespace {

const char kStyle[] = R"css(
:root { --ink:#1f2328; --muted:#656d76; --line:#d0d7de; --soft:#f6f8fa; --accent:#0072b2; }
* { box-sizing: border-box; }
body { font: 15px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink);
       margin: 0; background: #fff; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 32px 64px; }
header { border-bottom: 3px solid var(--accent); margin-bottom: 12px; }
h1 { font-size: 28px; margin: 8px 0 4px; }
h2 { font-size: 21px; margin: 36px 0 8px; padding-bottom: 4px;
     border-bottom: 1px solid var(--line); }
h3 { font-size: 16px; margin: 20px 0 6px; }
.sub, .note, figcaption, .src { color: var(--muted); font-size: 13px; }
nav { margin: 8px 0 0; font-size: 14px; }
nav a { color: var(--accent); text-decoration: none; margin-right: 14px; }
table { border-collapse: collapse; margin: 8px 0 4px; font-size: 14px; }
th, td { border: 1px solid var(--line); padding: 6px 10px; vertical-align: top; }
th { background: var(--soft); text-align: left; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fbfcfd; }
table.fig51 td { min-width: 132px; }
table.fig51 th.group { text-align: center; }
.auc { font-size: 17px; font-weight: 600; font-variant-numeric: tabular-nums; }
.ci, .folds { font-size: 12px; color: var(--muted); font-variant-numeric: tabular-nums; }
.notrun { color: #8c959f; font-style: italic; }
.delta { font-weight: 600; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; font-size: 11px; border-radius: 9px; padding: 0 7px;
         margin-left: 4px;
         font-weight: 600; }
.sig-better { background: #dafbe1; } .sig-worse { background: #ffebe9; }
.badge.yes { background: #1a7f37; color: #fff; } .badge.no { background: #eaeef2; color: #57606a; }
ul.sentences li { margin: 3px 0; }
.figs { display: flex; flex-wrap: wrap; gap: 14px; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px;
         background: #fff; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { max-width: 560px; margin-top: 4px; }
details { margin: 8px 0; } summary { cursor: pointer; color: var(--accent); }
pre { background: var(--soft); border: 1px solid var(--line); padding: 10px; overflow-x: auto;
      font-size: 12px; max-height: 480px; }
.warn-cat { font-weight: 600; }
ul.warnings li { margin: 2px 0; }
code { font-size: 12.5px; background: var(--soft); padding: 0 3px; border-radius: 3px; }
)css";

std::string E(const std::string& text) { return HtmlEscape(text); }

std::string Minus(std::string text) {
  if (!text.empty() && text[0] == '-') return "\xE2\x88\x92" + text.substr(1);
  return text;
}
std::string Signed(double v) {
  std::string text = absl::StrFormat("%+.4f", v);
  if (text == "-0.0000") text = "+0.0000";
  return Minus(text);
}
std::string CiText(const std::optional<Interval>& ci) {
  if (!ci) return "";
  return absl::StrCat("[", Minus(absl::StrFormat("%.4f", ci->low)), ", ",
                      Minus(absl::StrFormat("%.4f", ci->high)), "]");
}
std::string Percent(double fraction) { return absl::StrCat(FractionText(fraction * 100), "%"); }

class HtmlWriter {
 public:
  HtmlWriter(const HtmlReporterOptions& options, const Study& study, const FigureSet& figures)
      : options_(options),
        study_(study),
        figures_(figures),
        initializers_(StudyInitializers(study)) {}

  std::string Page() {
    Header();
    Summary();
    Significance();
    LabelEfficiency();
    Folds();
    Figures();
    Warnings();
    Provenance();
    return absl::StrCat("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
                        "<meta name=\"viewport\" content=\"width=device-width\">", "<title>",
                        E(study_.title), "</title><style>", kStyle, "</style></head><body><main>",
                        out_, "</main></body></html>\n");
  }

 private:
  void Header() {
    absl::StrAppend(&out_, "<header><h1>", E(study_.title), "</h1><p class=\"sub\">Generated ",
                    E(absl::FormatTime("%Y-%m-%d %H:%M UTC", absl::Now(), absl::UTCTimeZone())),
                    " from ", study_.runs.size(), " run folder(s); ", study_.rows.size(),
                    " dataset \xC3\x97 backbone row(s). AUCs are on the test split; 95% "
                    "confidence intervals and paired tests were computed by the evaluate stage "
                    "(significance level \xCE\xB1 = ",
                    absl::StrFormat("%g", study_.alpha), ").</p>");
    size_t warnings = study_.warnings.size() + figures_.notes.size();
    absl::StrAppend(&out_,
                    "<nav><a href=\"#summary\">Summary</a><a href=\"#significance\">"
                    "Significance</a><a href=\"#label-efficiency\">Label efficiency</a>"
                    "<a href=\"#folds\">Per fold</a><a href=\"#figures\">Charts</a>"
                    "<a href=\"#warnings\">Warnings (",
                    warnings, ")</a><a href=\"#provenance\">Provenance</a></nav></header>");
  }

  // The Fig 5.1 table.
  void Summary() {
    absl::StrAppend(&out_, "<section id=\"summary\"><h2>Summary (study Fig 5.1)</h2>");
    if (study_.rows.empty()) {
      absl::StrAppend(&out_,
                      "<p class=\"note\">These run folders hold no evaluated transfer "
                      "stage: only pretraining is reported below.</p></section>");
      return;
    }
    std::vector<std::string> vs_scratch, vs_imagenet;
    for (const std::string& init : initializers_) {
      if (init != "scratch") vs_scratch.push_back(init);
      if (init != "scratch" && init != "imagenet") vs_imagenet.push_back(init);
    }
    absl::StrAppend(&out_,
                    "<p class=\"note\">Each cell: test AUC of the test predictions of all folds "
                    "pooled (averaged over seeds), its DeLong 95% CI, and the mean \xC2\xB1 sd "
                    "of the per-fold AUCs (the study's own figure). \xCE\x94 columns: paired "
                    "DeLong test of the same test samples; green = significantly better, red = "
                    "significantly worse at \xCE\xB1. Label fraction: 100% unless stated.</p>",
                    "<table class=\"fig51\"><thead><tr><th rowspan=\"2\">Dataset (task)</th>"
                    "<th rowspan=\"2\">Backbone</th><th class=\"group\" colspan=\"",
                    initializers_.size(), "\">Test AUC [95% CI]</th>");
    if (!vs_scratch.empty()) {
      absl::StrAppend(&out_, "<th class=\"group\" colspan=\"", vs_scratch.size(),
                      "\">\xCE\x94"
                      "AUC vs scratch</th>");
    }
    if (!vs_imagenet.empty()) {
      absl::StrAppend(&out_, "<th class=\"group\" colspan=\"", vs_imagenet.size(),
                      "\">\xCE\x94"
                      "AUC vs ImageNet</th>");
    }
    absl::StrAppend(&out_, "</tr><tr>");
    for (const std::string& init : initializers_) {
      absl::StrAppend(&out_, "<th>", E(InitializerTitle(init)), "</th>");
    }
    for (const std::string& init : vs_scratch) {
      absl::StrAppend(&out_, "<th>", E(InitializerTitle(init)), "</th>");
    }
    for (const std::string& init : vs_imagenet) {
      absl::StrAppend(&out_, "<th>", E(InitializerTitle(init)), "</th>");
    }
    absl::StrAppend(&out_, "</tr></thead><tbody>");
    for (const StudyRow& row : study_.rows) {
      std::string dataset =
          absl::StrCat(E(row.dataset), " <span class=\"sub\">(", E(row.task), ")</span>");
      if (std::abs(row.MainLabelFraction() - 1.0) > 1e-9) {
        absl::StrAppend(&dataset, "<div class=\"folds\">labels ",
                        E(Percent(row.MainLabelFraction())), "</div>");
      }
      if (row.label.find("\xE2\x80\x94") != std::string::npos) {
        absl::StrAppend(&dataset, "<div class=\"folds\">", E(row.label), "</div>");
      }
      absl::StrAppend(&out_, "<tr><td>", dataset, "</td><td>", E(row.backbone), "</td>");
      std::map<std::string, Fig51Cell> cells;
      for (const std::string& init : initializers_) {
        cells.emplace(init, MakeFig51Cell(row, init));
        AucCell(cells.at(init));
      }
      const bool scratch_ran = cells.at("scratch").summary != nullptr;
      const bool imagenet_ran = cells.at("imagenet").summary != nullptr;
      for (const std::string& init : vs_scratch) {
        DeltaCell(cells.at(init), cells.at(init).vs_scratch, scratch_ran ? "" : "Scratch", row);
      }
      for (const std::string& init : vs_imagenet) {
        DeltaCell(cells.at(init), cells.at(init).vs_imagenet, imagenet_ran ? "" : "ImageNet", row);
      }
      absl::StrAppend(&out_, "</tr>");
    }
    absl::StrAppend(&out_, "</tbody></table></section>");
  }

  void AucCell(const Fig51Cell& cell) {
    if (cell.summary == nullptr) {
      absl::StrAppend(&out_, "<td><span class=\"notrun\">not run</span><div class=\"folds\">",
                      E(cell.not_run_reason), "</div></td>");
      return;
    }
    const SummaryEntry& e = *cell.summary;
    absl::StrAppend(&out_, "<td class=\"num\"><div class=\"auc\">", E(Fixed(e.auc, 4, "undefined")),
                    "</div><div class=\"ci\">", E(CiText(e.auc_ci95)), "</div>");
    if (e.fold_auc_mean) {
      absl::StrAppend(
          &out_, "<div class=\"folds\">folds ", E(Fixed(e.fold_auc_mean, 4)),
          e.fold_auc_sd ? absl::StrCat(" \xC2\xB1 ", E(Fixed(e.fold_auc_sd, 4))) : std::string(),
          " (n = ", e.n_folds, ")</div>");
    }
    if (e.n_seeds > 1) {
      absl::StrAppend(&out_, "<div class=\"folds\">", e.n_seeds,
                      " seeds: ", E(Fixed(e.seed_auc_mean, 4)), " \xC2\xB1 ",
                      E(Fixed(e.seed_auc_sd, 4)), "</div>");
    }
    absl::StrAppend(&out_, "</td>");
  }

  // `missing_reference` names the reference initialisation when it did not run.
  void DeltaCell(const Fig51Cell& cell, const std::vector<Comparison>& comparisons,
                 const std::string& missing_reference, const StudyRow& row) {
    if (comparisons.empty()) {
      std::string why = "not computed by the evaluation";
      if (cell.summary == nullptr) {
        why = absl::StrCat(InitializerTitle(cell.initializer), " not run");
      } else if (!missing_reference.empty()) {
        why = absl::StrCat(missing_reference, " not run");
      }
      absl::StrAppend(&out_, "<td class=\"notrun\">\xE2\x80\x94<div class=\"folds\">", E(why),
                      "</div></td>");
      return;
    }
    std::string cls;
    std::string body;
    for (const Comparison& c : comparisons) {
      const std::optional<bool> significant = IsSignificant(c, row.alpha);
      if (significant && *significant && c.delta) {
        cls = *c.delta >= 0 ? "sig-better" : "sig-worse";
      }
      absl::StrAppend(&body, "<div><span class=\"delta\">",
                      c.delta ? E(Signed(*c.delta)) : "undefined", "</span> <span class=\"ci\">",
                      E(CiText(c.delta_ci95)), "</span></div><div class=\"ci\">",
                      E(PValueText(c.p_value)));
      if (significant) {
        absl::StrAppend(&body, *significant ? "<span class=\"badge yes\">significant</span>"
                                            : "<span class=\"badge no\">n.s.</span>");
      }
      if (comparisons.size() > 1 && c.seed) absl::StrAppend(&body, " seed ", *c.seed);
      absl::StrAppend(&body, "</div>");
    }
    absl::StrAppend(&out_, "<td class=\"num ", cls, "\">", body, "</td>");
  }

  void Significance() {
    absl::StrAppend(&out_, "<section id=\"significance\"><h2>Significance in words</h2>");
    bool any = false;
    for (const StudyRow& row : study_.rows) {
      std::vector<const Comparison*> pooled;
      for (const Comparison& c : row.comparisons) {
        if (c.scope == "pooled") pooled.push_back(&c);
      }
      absl::StrAppend(&out_, "<h3>", E(row.label), "</h3>");
      if (pooled.empty()) {
        absl::StrAppend(&out_,
                        "<p class=\"note\">The evaluation holds no pooled comparison for "
                        "this row (fewer than two initialisations ran).</p>");
        continue;
      }
      any = true;
      std::map<double, std::vector<const Comparison*>> by_fraction;
      for (const Comparison* c : pooled) by_fraction[-c->label_fraction].push_back(c);
      for (const auto& [negated, list] : by_fraction) {
        if (by_fraction.size() > 1) {
          absl::StrAppend(&out_, "<p class=\"note\">Labels ", E(Percent(-negated)), ":</p>");
        }
        absl::StrAppend(&out_, "<ul class=\"sentences\">");
        for (const Comparison* c : list) {
          absl::StrAppend(&out_, "<li>", E(SignificanceSentence(*c, row.alpha)), "</li>");
        }
        absl::StrAppend(&out_, "</ul>");
      }
    }
    if (!any && !study_.rows.empty()) {
      absl::StrAppend(&out_, "<p class=\"note\">No paired comparisons were computed.</p>");
    }
    absl::StrAppend(&out_, "</section>");
  }

  void LabelEfficiency() {
    absl::StrAppend(&out_, "<section id=\"label-efficiency\"><h2>Label efficiency</h2>");
    bool any = false;
    for (const StudyRow& row : study_.rows) {
      const std::vector<double> fractions = row.LabelFractions();
      if (fractions.size() < 2) continue;
      any = true;
      absl::StrAppend(&out_, "<h3>", E(row.label),
                      "</h3><table><thead><tr><th>"
                      "Initialisation</th>");
      for (double f : fractions) {
        absl::StrAppend(&out_, "<th>labels ", E(Percent(f)), "</th>");
      }
      absl::StrAppend(&out_, "</tr></thead><tbody>");
      for (const std::string& init : row.Initializers()) {
        absl::StrAppend(&out_, "<tr><td>", E(InitializerTitle(init)), "</td>");
        for (double f : fractions) {
          const SummaryEntry* e = row.Summary(init, f);
          if (e == nullptr) {
            absl::StrAppend(&out_, "<td class=\"notrun\">not run</td>");
          } else {
            absl::StrAppend(&out_, "<td class=\"num\"><span class=\"delta\">",
                            E(Fixed(e->auc, 4, "undefined")), "</span> <span class=\"ci\">",
                            E(CiText(e->auc_ci95)), "</span></td>");
          }
        }
        absl::StrAppend(&out_, "</tr>");
      }
      absl::StrAppend(&out_, "</tbody></table>");
    }
    if (!any) {
      absl::StrAppend(&out_,
                      "<p class=\"note\">Every row ran one label fraction only; set "
                      "TransferStage.label_fractions for a label-efficiency curve.</p>");
    }
    absl::StrAppend(&out_, "</section>");
  }

  void Folds() {
    absl::StrAppend(&out_, "<section id=\"folds\"><h2>Per fold</h2>");
    for (const StudyRow& row : study_.rows) {
      bool cpm = false;
      for (const SubrunResult& s : row.subruns) cpm = cpm || s.cpm.has_value();
      absl::StrAppend(&out_, "<h3>", E(row.label),
                      "</h3><table><thead><tr><th>Initialisation"
                      "</th><th>Fold</th><th>Seed</th><th>Labels</th><th>Test AUC</th>"
                      "<th>95% CI</th><th>Positives / negatives</th><th>Sensitivity / "
                      "specificity (Youden)</th>",
                      cpm ? "<th>CPM</th>" : "",
                      "<th>Best epoch (val AUC)</th></tr></thead><tbody>");
      std::vector<const SubrunResult*> sorted;
      for (const SubrunResult& s : row.subruns) sorted.push_back(&s);
      std::stable_sort(sorted.begin(), sorted.end(), [&](const auto* a, const auto* b) {
        return std::make_tuple(-a->label_fraction, a->seed, a->fold) <
               std::make_tuple(-b->label_fraction, b->seed, b->fold);
      });
      for (const std::string& init : row.Initializers()) {
        for (const SubrunResult* s : sorted) {
          if (s->initializer != init) continue;
          absl::StrAppend(&out_, "<tr><td>", E(InitializerTitle(init)), "</td><td>",
                          E(s->fold_name), "</td><td class=\"num\">", s->seed,
                          "</td><td class=\"num\">", E(Percent(s->label_fraction)),
                          "</td><td class=\"num\"><b>", E(Fixed(s->auc, 4, "undefined")),
                          "</b></td><td class=\"num\">", E(CiText(s->auc_ci95)),
                          "</td><td class=\"num\">", E(Fixed(s->n_pos, 0, "?")), " / ",
                          E(Fixed(s->n_neg, 0, "?")), "</td><td class=\"num\">",
                          E(Fixed(s->sensitivity_youden, 3, "?")), " / ",
                          E(Fixed(s->specificity_youden, 3, "?")), "</td>");
          if (cpm) absl::StrAppend(&out_, "<td class=\"num\">", E(Fixed(s->cpm, 3, "")), "</td>");
          absl::StrAppend(&out_, "<td class=\"num\">", E(Fixed(s->best_epoch, 0, "")),
                          s->best_val_auc ? absl::StrCat(" (", E(Fixed(s->best_val_auc, 4)), ")")
                                          : std::string(),
                          "</td></tr>");
        }
      }
      absl::StrAppend(&out_, "</tbody></table>");
      std::vector<const Comparison*> per_fold;
      for (const Comparison& c : row.comparisons) {
        if (c.scope != "pooled") per_fold.push_back(&c);
      }
      if (!per_fold.empty()) {
        absl::StrAppend(&out_, "<details><summary>Paired tests per fold (", per_fold.size(),
                        ")</summary><ul class=\"sentences\">");
        for (const Comparison* c : per_fold) {
          absl::StrAppend(&out_, "<li>", E(SignificanceSentence(*c, row.alpha)), "</li>");
        }
        absl::StrAppend(&out_, "</ul></details>");
      }
    }
    absl::StrAppend(&out_, "</section>");
  }

  void Figure(const genesis::Figure& f) {
    absl::StrAppend(&out_, "<figure>",
                    PlotSvg(f.plot, options_.plot_width(), options_.plot_height()), "<figcaption>",
                    E(f.caption), "</figcaption></figure>");
  }

  void Figures() {
    absl::StrAppend(&out_, "<section id=\"figures\"><h2>Charts</h2>");
    for (size_t r = 0; r < study_.rows.size(); ++r) {
      absl::StrAppend(&out_, "<h3>", E(study_.rows[r].label), "</h3>");
      if (std::none_of(figures_.figures.begin(), figures_.figures.end(),
                       [&](const genesis::Figure& f) { return f.row == static_cast<int>(r); })) {
        absl::StrAppend(&out_,
                        "<p class=\"note\">No charts: the evaluation names no curve "
                        "files and the sub-runs have no metrics.csv.</p>");
        continue;
      }
      absl::StrAppend(&out_, "<div class=\"figs\">");
      int details = 0;
      for (const genesis::Figure& f : figures_.figures) {
        if (f.row != static_cast<int>(r)) continue;
        if (f.detail) {
          ++details;
          continue;
        }
        Figure(f);
      }
      absl::StrAppend(&out_, "</div>");
      if (details > 0) {
        absl::StrAppend(&out_, "<details><summary>ROC per initialisation with its folds (", details,
                        ")</summary><div class=\"figs\">");
        for (const genesis::Figure& f : figures_.figures) {
          if (f.row == static_cast<int>(r) && f.detail) Figure(f);
        }
        absl::StrAppend(&out_, "</div></details>");
      }
    }
    bool pretraining = false;
    for (const genesis::Figure& f : figures_.figures) {
      if (f.row != -1) continue;
      if (!pretraining) absl::StrAppend(&out_, "<h3>Pretraining</h3><div class=\"figs\">");
      pretraining = true;
      Figure(f);
    }
    if (pretraining) absl::StrAppend(&out_, "</div>");
    absl::StrAppend(&out_, "</section>");
  }

  void Warnings() {
    std::vector<ReportWarning> all = study_.warnings;
    all.insert(all.end(), figures_.notes.begin(), figures_.notes.end());
    absl::StrAppend(&out_, "<section id=\"warnings\"><h2>Warnings</h2>");
    if (all.empty()) {
      absl::StrAppend(&out_,
                      "<p>None: no skipped inputs, no collapse warnings, no "
                      "weight-coverage exceptions, no cross-stage leakage, no evaluation "
                      "warnings.</p></section>");
      return;
    }
    std::map<std::string, std::vector<const ReportWarning*>> by_category;
    std::vector<std::string> order;
    for (const ReportWarning& w : all) {
      if (by_category[w.category].empty()) order.push_back(w.category);
      by_category[w.category].push_back(&w);
    }
    for (const std::string& category : order) {
      const auto& list = by_category[category];
      std::string heading = category;
      heading[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(heading[0])));
      absl::StrAppend(&out_, "<h3>", E(heading), " (", list.size(),
                      ")</h3><ul class=\"warnings\">");
      for (size_t i = 0; i < list.size(); ++i) {
        if (static_cast<int>(i) == options_.max_warnings_per_category()) {
          absl::StrAppend(&out_, "<li>... and ", list.size() - i,
                          " more (report.json / warnings.csv of the tables reporter list "
                          "them all)</li>");
          break;
        }
        absl::StrAppend(&out_, "<li>", E(list[i]->message), " <span class=\"src\">",
                        E(list[i]->source), "</span></li>");
      }
      absl::StrAppend(&out_, "</ul>");
    }
    absl::StrAppend(&out_, "</section>");
  }

  void Provenance() {
    absl::StrAppend(&out_, "<section id=\"provenance\"><h2>Provenance</h2><table><tbody>",
                    "<tr><th>Genesis commit</th><td><code>", E(GitCommit()), "</code></td></tr>");
    for (const auto& [name, version] : LibraryVersions()) {
      absl::StrAppend(&out_, "<tr><th>", E(name), "</th><td>", E(version), "</td></tr>");
    }
    std::set<std::string> torch;
    for (const RunProvenance& run : study_.runs) {
      if (!run.libtorch_version.empty()) torch.insert(run.libtorch_version);
    }
    absl::StrAppend(
        &out_, "<tr><th>LibTorch</th><td>",
        torch.empty() ? "not recorded by the transfer stage" : E(absl::StrJoin(torch, ", ")),
        "</td></tr></tbody></table>");
    for (const RunProvenance& run : study_.runs) {
      absl::StrAppend(
          &out_, "<h3>Run <code>", E(run.run_dir), "</code></h3><p>Experiment seed: ",
          run.experiment_seed ? absl::StrCat(*run.experiment_seed) : std::string("not recorded"),
          "; sub-run seeds: ",
          run.subrun_seeds.empty() ? std::string("none") : E(absl::StrJoin(run.subrun_seeds, ", ")),
          ".</p><table><thead><tr><th>Stage folder</th><th>Input fingerprint "
          "(.done)</th></tr></thead><tbody>");
      for (const StageRecord& s : run.stages) {
        absl::StrAppend(&out_, "<tr><td>", E(s.folder), "</td><td><code>",
                        s.fingerprint.empty() ? "not complete (no .done)" : E(s.fingerprint),
                        "</code></td></tr>");
      }
      absl::StrAppend(&out_, "</tbody></table>");
      if (options_.include_resolved_config() && !run.resolved_config.empty()) {
        absl::StrAppend(&out_,
                        "<details><summary>Resolved configuration "
                        "(experiment.resolved.textproto)</summary><pre>",
                        E(run.resolved_config), "</pre></details>");
      }
    }
    absl::StrAppend(&out_, "</section>");
  }

  const HtmlReporterOptions& options_;
  const Study& study_;
  const FigureSet& figures_;
  const std::vector<std::string> initializers_;
  std::string out_;
};

class HtmlReporter : public Reporter {
 public:
  explicit HtmlReporter(const HtmlReporterOptions& options) : options_(options) {}

  static absl::Status Validate(const HtmlReporterOptions& options) {
    if (options.plot_width() < 100 || options.plot_height() < 100) {
      return absl::InvalidArgumentError(
          absl::StrCat("plot_width x plot_height must be at least 100 x 100, got ",
                       options.plot_width(), " x ", options.plot_height()));
    }
    if (options.max_warnings_per_category() < 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "max_warnings_per_category: must be >= 1, got ", options.max_warnings_per_category()));
    }
    return absl::OkStatus();
  }

  absl::Status Write(const ReportInput& input, const std::string& report_dir) const override {
    GENESIS_ASSIGN_OR_RETURN(Study study, LoadStudy(input.run_dirs, input.title));
    GENESIS_ASSIGN_OR_RETURN(FigureSet figures, BuildFigures(study));
    const std::string path = report_dir + "/report.html";
    GENESIS_RETURN_IF_ERROR(WriteFileAtomically(path, HtmlWriter(options_, study, figures).Page()));
    LOG(INFO) << "html: report in " << path;
    return absl::OkStatus();
  }

 private:
  HtmlReporterOptions options_;
};

}  // namespace

GENESIS_REGISTER_REPORTER(HtmlReporter, "html", HtmlReporterOptions,
                          "one self-contained report.html: Fig 5.1 table with CIs and paired "
                          "tests, significance in words, charts, warnings, provenance");

}  // namespace genesis
