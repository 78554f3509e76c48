#include "plugins/reporter/figures.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "core/csv.h"
#include "core/status_macros.h"

namespace genesis {
namespace {

namespace fs = std::filesystem;

struct Curve {
  std::vector<double> x, y;
};

std::string Slug(const std::string& text) {
  std::string out;
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) {
      out += static_cast<char>(std::tolower(u));
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out.empty() ? "x" : out;
}

// Reads columns `x_name`, `y_name` of a curve CSV, sorted by x then y.
absl::StatusOr<Curve> ReadCurve(const std::string& path, const std::string& x_name,
                                const std::string& y_name) {
  GENESIS_ASSIGN_OR_RETURN(CsvTable table, ReadCsvFile(path));
  const int xc = table.Column(x_name), yc = table.Column(y_name);
  if (xc < 0 || yc < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": expected columns '", x_name, "' and '", y_name, "'"));
  }
  std::vector<std::pair<double, double>> points;
  for (size_t i = 0; i < table.rows.size(); ++i) {
    double x = 0, y = 0;
    if (!absl::SimpleAtod(table.rows[i][xc], &x) || !absl::SimpleAtod(table.rows[i][yc], &y)) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": row ", i + 2, ": '",
                                                     table.rows[i][xc], "', '", table.rows[i][yc],
                                                     "' are not numbers"));
    }
    if (std::isfinite(x) && std::isfinite(y)) points.emplace_back(x, y);
  }
  std::sort(points.begin(), points.end());
  Curve curve;
  for (const auto& [x, y] : points) {
    curve.x.push_back(x);
    curve.y.push_back(y);
  }
  return curve;
}

// y of a curve sorted by (x, y) at `x`: the highest y reached at or before x, linearly
// interpolated towards the next point; clamped at the ends.
double Interpolate(const Curve& c, double x) {
  if (c.x.empty()) return std::nan("");
  const size_t i = std::upper_bound(c.x.begin(), c.x.end(), x) - c.x.begin();
  if (i == 0) return c.y.front();
  if (i == c.x.size()) return c.y.back();
  const double x0 = c.x[i - 1], x1 = c.x[i];
  const double t = x1 > x0 ? (x - x0) / (x1 - x0) : 0;
  return c.y[i - 1] + t * (c.y[i] - c.y[i - 1]);
}

Curve MeanCurve(const std::vector<Curve>& curves, const std::vector<double>& grid) {
  Curve mean;
  for (double x : grid) {
    double sum = 0;
    for (const Curve& c : curves) sum += Interpolate(c, x);
    mean.x.push_back(x);
    mean.y.push_back(sum / curves.size());
  }
  return mean;
}

std::string FoldLabel(const SubrunResult& s, bool several_seeds) {
  std::string label = absl::StrCat("fold ", s.fold);
  if (several_seeds) absl::StrAppend(&label, " seed ", s.seed);
  if (s.auc) absl::StrAppend(&label, " (AUC ", Fixed(s.auc, 4), ")");
  return label;
}

class Builder {
 public:
  explicit Builder(const Study& study) : study_(study) {}

  absl::StatusOr<FigureSet> Build() {
    for (size_t r = 0; r < study_.rows.size(); ++r) {
      const StudyRow& row = study_.rows[r];
      const std::string stem = Slug(absl::StrCat(row.dataset, "_", row.backbone, "_r", r));
      GENESIS_RETURN_IF_ERROR(AddRoc(row, static_cast<int>(r), stem));
      GENESIS_RETURN_IF_ERROR(AddFroc(row, static_cast<int>(r), stem));
      AddTraining(row, static_cast<int>(r), stem);
      AddLabelEfficiency(row, static_cast<int>(r), stem);
    }
    AddPretraining();
    return std::move(set_);
  }

 private:
  // Sub-runs of the row at its main label fraction, by initialisation.
  std::map<std::string, std::vector<const SubrunResult*>> MainSubruns(const StudyRow& row) {
    std::map<std::string, std::vector<const SubrunResult*>> out;
    const double main = row.MainLabelFraction();
    for (const SubrunResult& s : row.subruns) {
      if (std::abs(s.label_fraction - main) < 1e-9) out[s.initializer].push_back(&s);
    }
    return out;
  }

  // Reads a curve file; a missing or broken file becomes a note, not a failed report.
  std::optional<Curve> Load(const std::string& path, const std::string& x, const std::string& y,
                            const StudyRow& row, const std::string& subrun) {
    if (path.empty()) return std::nullopt;
    auto curve = ReadCurve(path, x, y);
    if (!curve.ok()) {
      set_.notes.push_back(
          {"evaluation", path,
           absl::StrCat(row.label, ", ", subrun, ": curve not drawn: ", curve.status().message())});
      return std::nullopt;
    }
    return *std::move(curve);
  }

  std::string Fraction(const StudyRow& row) {
    return absl::StrCat("labels ", FractionText(row.MainLabelFraction() * 100), "%");
  }

  absl::Status AddRoc(const StudyRow& row, int r, const std::string& stem) {
    std::vector<double> grid;
    for (int i = 0; i <= 200; ++i) grid.push_back(i / 200.0);
    Figure all;
    all.id = "roc_" + stem;
    all.section = "ROC";
    all.row = r;
    all.plot.title =
        Ascii(absl::StrCat("ROC: ", row.dataset, " x ", row.backbone, ", ", Fraction(row)));
    bool several_seeds = false;
    std::set<long long> seeds;
    for (const SubrunResult& s : row.subruns) seeds.insert(s.seed);
    several_seeds = seeds.size() > 1;
    std::vector<PlotSeries> means;
    for (const auto& [init, subruns] : MainSubruns(row)) {
      std::vector<Curve> curves;
      Figure one;
      one.id = absl::StrCat("roc_", stem, "_", Slug(init));
      one.section = "ROC";
      one.row = r;
      one.detail = true;
      one.plot.title = Ascii(absl::StrCat("ROC per fold: ", row.dataset, " x ", row.backbone, ", ",
                                          InitializerTitle(init)));
      for (const SubrunResult* s : subruns) {
        auto curve = Load(s->roc_csv, "fpr", "tpr", row, s->subrun);
        if (!curve) continue;
        curves.push_back(*curve);
        PlotSeries thin{"", curve->x, curve->y};
        thin.color = InitializerColor(init);
        thin.line_width = 1;
        all.plot.series.push_back(thin);
        PlotSeries fold{FoldLabel(*s, several_seeds), curve->x, curve->y};
        fold.color = PaletteColor(static_cast<int>(one.plot.series.size()) + 3);
        fold.line_width = 1.5;
        one.plot.series.push_back(fold);
      }
      if (curves.empty()) continue;
      const Curve mean = MeanCurve(curves, grid);
      const SummaryEntry* summary = row.Summary(init, row.MainLabelFraction());
      std::string name = absl::StrCat(InitializerTitle(init), " mean of ", curves.size());
      if (summary != nullptr && summary->auc) {
        absl::StrAppend(&name, " (pooled AUC ", Fixed(summary->auc, 4), ")");
      }
      PlotSeries thick{name, mean.x, mean.y};
      thick.color = InitializerColor(init);
      thick.line_width = 3;
      means.push_back(thick);
      PlotSeries black = thick;
      black.name = absl::StrCat("mean of ", curves.size(), " curves");
      black.color = Rgb{0, 0, 0};
      black.line_width = 2.5;
      one.plot.series.push_back(black);
      RocAxes(&one.plot);
      one.caption = absl::StrCat("ROC curves of the ", InitializerTitle(init),
                                 " sub-runs (test split of each fold) and their vertical mean; ",
                                 "dashed: chance.");
      set_.figures.push_back(std::move(one));
    }
    if (means.empty()) return absl::OkStatus();
    for (PlotSeries& s : means) all.plot.series.push_back(std::move(s));
    RocAxes(&all.plot);
    all.caption =
        "Mean ROC per initialisation (thick; vertical average over folds) over the "
        "ROC of every fold (thin); dashed: chance.";
    set_.figures.push_back(std::move(all));
    return absl::OkStatus();
  }

  static void RocAxes(Plot* plot) {
    plot->x_label = "false positive rate";
    plot->y_label = "true positive rate";
    plot->x_min = 0;
    plot->x_max = 1;
    plot->y_min = 0;
    plot->y_max = 1.0;
    plot->diagonal = true;
    plot->legend = LegendPosition::kBottomRight;
  }

  absl::Status AddFroc(const StudyRow& row, int r, const std::string& stem) {
    std::vector<double> grid;
    for (int i = 0; i <= 60; ++i) grid.push_back(0.1 * std::pow(100.0, i / 60.0));
    Figure f;
    f.id = "froc_" + stem;
    f.section = "FROC";
    f.row = r;
    f.plot.title =
        Ascii(absl::StrCat("FROC: ", row.dataset, " x ", row.backbone, ", ", Fraction(row)));
    f.plot.x_label = "average false positives per scan";
    f.plot.y_label = "sensitivity";
    f.plot.log_x = true;
    f.plot.x_min = 0.1;
    f.plot.x_max = 10;
    f.plot.x_ticks = {0.125, 0.25, 0.5, 1, 2, 4, 8};
    f.plot.y_min = 0;
    f.plot.y_max = 1;
    f.plot.legend = LegendPosition::kBottomRight;
    std::vector<PlotSeries> means;
    for (const auto& [init, subruns] : MainSubruns(row)) {
      std::vector<Curve> curves;
      std::vector<double> cpms;
      for (const SubrunResult* s : subruns) {
        auto curve = Load(s->froc_csv, "fps_per_scan", "sensitivity", row, s->subrun);
        if (!curve) continue;
        curves.push_back(*curve);
        if (s->cpm) cpms.push_back(*s->cpm);
        PlotSeries thin{"", curve->x, curve->y};
        thin.color = InitializerColor(init);
        thin.line_width = 1;
        f.plot.series.push_back(thin);
      }
      if (curves.empty()) continue;
      const Curve mean = MeanCurve(curves, grid);
      std::string name = absl::StrCat(InitializerTitle(init), " mean of ", curves.size());
      if (cpms.size() == curves.size()) {
        double sum = 0;
        for (double c : cpms) sum += c;
        absl::StrAppend(&name, " (mean CPM ", Fixed(sum / cpms.size(), 3), ")");
      }
      PlotSeries thick{name, mean.x, mean.y};
      thick.color = InitializerColor(init);
      thick.line_width = 3;
      means.push_back(thick);
    }
    if (means.empty()) return absl::OkStatus();
    for (PlotSeries& s : means) f.plot.series.push_back(std::move(s));
    f.caption =
        "FROC (LUNA16 semantics) per fold (thin) and their mean per initialisation "
        "(thick); CPM = mean sensitivity at 1/8 ... 8 false positives per scan.";
    set_.figures.push_back(std::move(f));
    return absl::OkStatus();
  }

  void AddTraining(const StudyRow& row, int r, const std::string& stem) {
    Figure loss, auc;
    loss.id = "loss_" + stem;
    auc.id = "val_auc_" + stem;
    loss.section = auc.section = "Training";
    loss.row = auc.row = r;
    loss.plot.title = Ascii(absl::StrCat("Loss per epoch: ", row.dataset, " x ", row.backbone));
    auc.plot.title =
        Ascii(absl::StrCat("Validation AUC per epoch: ", row.dataset, " x ", row.backbone));
    loss.plot.x_label = auc.plot.x_label = "epoch";
    loss.plot.y_label = "binary cross-entropy";
    auc.plot.y_label = "validation AUC";
    auc.plot.legend = LegendPosition::kBottomRight;
    for (const auto& [init, subruns] : MainSubruns(row)) {
      bool named = false;
      for (const SubrunResult* s : subruns) {
        PlotSeries train, val, val_auc;
        for (const EpochMetrics& e : s->epochs) {
          const double nan = std::nan("");
          train.x.push_back(e.epoch);
          train.y.push_back(e.train_loss.value_or(nan));
          val.y.push_back(e.val_loss.value_or(nan));
          val_auc.y.push_back(e.val_auc.value_or(nan));
        }
        if (train.x.empty()) continue;
        val.x = val_auc.x = train.x;
        train.color = val.color = val_auc.color = InitializerColor(init);
        train.line_width = val.line_width = val_auc.line_width = 1.5;
        val.dashed = true;
        if (!named) {
          train.name = absl::StrCat(InitializerTitle(init), " train");
          val.name = absl::StrCat(InitializerTitle(init), " validation");
          val_auc.name = InitializerTitle(init);
          named = true;
        }
        loss.plot.series.push_back(train);
        loss.plot.series.push_back(val);
        auc.plot.series.push_back(val_auc);
      }
    }
    if (loss.plot.series.empty()) return;
    loss.caption = absl::StrCat("Training (solid) and validation (dashed) loss of every fold at ",
                                Fraction(row), ", from each sub-run's metrics.csv.");
    auc.caption = absl::StrCat("Validation AUC per epoch of every fold at ", Fraction(row),
                               " (model selection metric).");
    set_.figures.push_back(std::move(loss));
    set_.figures.push_back(std::move(auc));
  }

  void AddLabelEfficiency(const StudyRow& row, int r, const std::string& stem) {
    const std::vector<double> fractions = row.LabelFractions();
    if (fractions.size() < 2) return;
    Figure f;
    f.id = "label_efficiency_" + stem;
    f.section = "Label efficiency";
    f.row = r;
    f.plot.title = Ascii(absl::StrCat("AUC vs labels: ", row.dataset, " x ", row.backbone));
    f.plot.x_label = "fraction of training labels (log scale)";
    f.plot.y_label = "test AUC (pooled over folds)";
    f.plot.log_x = true;
    f.plot.x_ticks = fractions;
    f.plot.legend = LegendPosition::kBottomRight;
    for (const std::string& init : row.Initializers()) {
      PlotSeries s;
      s.name = absl::StrCat(InitializerTitle(init), " (95% CI)");
      const double nan = std::nan("");
      for (double fraction : fractions) {
        const SummaryEntry* e = row.Summary(init, fraction);
        if (e == nullptr || !e->auc) continue;
        s.x.push_back(fraction);
        s.y.push_back(*e->auc);
        s.band_low.push_back(e->auc_ci95 ? e->auc_ci95->low : nan);
        s.band_high.push_back(e->auc_ci95 ? e->auc_ci95->high : nan);
      }
      if (s.x.empty()) continue;
      s.color = InitializerColor(init);
      s.markers = true;
      f.plot.series.push_back(std::move(s));
    }
    if (f.plot.series.empty()) return;
    f.caption =
        "Test AUC pooled over folds against the fraction of training labels used, one "
        "line per initialisation; bands: DeLong 95% confidence intervals.";
    set_.figures.push_back(std::move(f));
  }

  void AddPretraining() {
    for (size_t i = 0; i < study_.pretraining.size(); ++i) {
      const PretrainCurve& c = study_.pretraining[i];
      Figure f;
      f.id = absl::StrCat("pretrain_loss_", i);
      f.section = "Pretraining";
      const std::string stage = fs::path(c.metrics_csv).parent_path().filename().string();
      f.plot.title = Ascii(absl::StrCat("Pretraining loss (", stage, ")"));
      f.plot.x_label = "epoch";
      f.plot.y_label = "restoration loss (MSE)";
      std::vector<double> epochs(c.epoch.begin(), c.epoch.end());
      auto add = [&](const std::string& name, const std::vector<double>& y, int color,
                     bool dashed) {
        PlotSeries s{name, epochs, y};
        s.color = PaletteColor(color);
        s.dashed = dashed;
        s.markers = epochs.size() < 30;
        f.plot.series.push_back(std::move(s));
      };
      add("train", c.train_loss, 0, false);
      add("validation", c.val_loss, 1, false);
      add("identity baseline (val)", c.identity_baseline, 6, true);
      add("mean-image baseline (val)", c.mean_image_baseline, 4, true);
      f.caption = absl::StrCat("Pretext restoration loss per epoch from ", c.metrics_csv,
                               "; validation loss at or above the mean-image baseline means "
                               "the network collapsed to a constant output.");
      set_.figures.push_back(std::move(f));
    }
  }

  const Study& study_;
  FigureSet set_;
};

}  // namespace

absl::StatusOr<FigureSet> BuildFigures(const Study& study) { return Builder(study).Build(); }

Rgb InitializerColor(const std::string& initializer) {
  if (initializer == "scratch") return Rgb{110, 110, 110};
  if (initializer == "self_supervised") return PaletteColor(0);
  if (initializer == "imagenet") return PaletteColor(1);
  return PaletteColor(2 + static_cast<int>(std::hash<std::string>{}(initializer) % 4));
}

std::string Fixed(const std::optional<double>& value, int decimals, const std::string& missing) {
  if (!value || !std::isfinite(*value)) return missing;
  return absl::StrFormat("%.*f", decimals, *value);
}

std::string PValueText(const std::optional<double>& p) {
  if (!p) return "p not available";
  if (*p < 0.001) return "p < 0.001";
  return absl::StrFormat("p = %.2g", *p);
}

std::optional<bool> IsSignificant(const Comparison& c, double alpha) {
  if (c.significant) return c.significant;
  if (c.p_value) return *c.p_value < alpha;
  return std::nullopt;
}

std::string SignificanceSentence(const Comparison& c, double alpha) {
  const std::string minus = "\xE2\x88\x92";
  auto signed_text = [&](double v, bool plus) {
    std::string text = absl::StrFormat("%.4f", std::abs(v));
    if (v < 0 && text != "0.0000") return minus + text;
    return plus ? "+" + text : text;
  };
  std::string sentence = absl::StrCat(InitializerTitle(c.a), " vs ", InitializerTitle(c.b),
                                      ": \xCE\x94"
                                      "AUC ");
  absl::StrAppend(&sentence, c.delta ? signed_text(*c.delta, true) : "not available");
  if (c.delta_ci95) {
    absl::StrAppend(&sentence, " [", signed_text(c.delta_ci95->low, false), ", ",
                    signed_text(c.delta_ci95->high, false), "]");
  }
  absl::StrAppend(&sentence, ", ", PValueText(c.p_value), " \xE2\x80\x94 ");
  const std::optional<bool> significant = IsSignificant(c, alpha);
  const std::string at = absl::StrFormat("at \xCE\xB1 = %g", alpha);
  if (!significant) {
    absl::StrAppend(&sentence, "significance not assessed (no p-value)");
  } else if (*significant) {
    absl::StrAppend(&sentence, "significant ", at, " (",
                    c.delta && *c.delta < 0 ? InitializerTitle(c.b) : InitializerTitle(c.a),
                    " better)");
  } else {
    absl::StrAppend(&sentence, "not significant ", at);
  }
  std::vector<std::string> details;
  if (!c.method.empty()) details.push_back(c.method);
  if (c.seed) details.push_back(absl::StrCat("seed ", *c.seed));
  if (c.scope != "pooled") details.push_back(c.scope);
  if (!details.empty()) absl::StrAppend(&sentence, " (", absl::StrJoin(details, ", "), ")");
  return sentence + ".";
}

std::string Ascii(const std::string& text) {
  return absl::StrReplaceAll(text, {{"\xC3\x97", "x"},
                                    {"\xE2\x80\x94", "-"},
                                    {"\xE2\x88\x92", "-"},
                                    {"\xCE\x94", "delta "},
                                    {"\xCE\xB1", "alpha"}});
}

}  // namespace genesis
