// What the reporters draw and how they word numbers, shared so that the PNGs (plots), the
// inline SVGs (html) and the CSV/JSON (tables) present the same things the same way.
//
//   GENESIS_ASSIGN_OR_RETURN(FigureSet set, BuildFigures(study));
//   for (const Figure& f : set.figures) WritePlotPng(f.plot, dir + "/" + f.id + ".png");
//   std::string line = SignificanceSentence(comparison, row.alpha);
//
// Figures per row (dataset x backbone): mean ROC per initialisation over thin per-fold curves,
// FROC (when the evaluation wrote FROC curves), training loss and validation AUC per epoch,
// AUC against label fraction with 95% CI bands (when more than one fraction ran), and one ROC
// per initialisation with its folds (detail). Per pretraining stage: its loss curves.
#ifndef GENESIS_PLUGINS_REPORTER_FIGURES_H_
#define GENESIS_PLUGINS_REPORTER_FIGURES_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "plugins/reporter/plot.h"
#include "plugins/reporter/study.h"

namespace genesis {

struct Figure {
  std::string id;       // File stem, unique in the study: "roc_luna16_unet_vgg16".
  std::string section;  // "ROC", "FROC", "Training", "Label efficiency", "Pretraining".
  int row = -1;         // Index into Study::rows; -1 for pretraining figures.
  bool detail = false;  // Secondary figure (the html reporter folds it away).
  std::string caption;
  Plot plot;
};

struct FigureSet {
  std::vector<Figure> figures;
  // Curve files an evaluation names but that could not be read; each says which and why.
  std::vector<ReportWarning> notes;
};

absl::StatusOr<FigureSet> BuildFigures(const Study& study);

// The colour of an initialisation in every figure (scratch grey, self-supervised blue,
// ImageNet orange, others from the palette).
Rgb InitializerColor(const std::string& initializer);

// Number formatting. Missing values print as `missing`.
std::string Fixed(const std::optional<double>& value, int decimals,
                  const std::string& missing = "");
// "p = 0.11", "p = 0.049", "p < 0.001"; "p not available" when missing.
std::string PValueText(const std::optional<double>& p);
// Whether a comparison is significant: the evaluation's verdict, else p < alpha; nullopt when
// neither is known.
std::optional<bool> IsSignificant(const Comparison& c, double alpha);
// One sentence in words, e.g. "Self-supervised vs Scratch: ΔAUC +0.0210 [−0.0040, 0.0460],
// p = 0.11 — not significant at α = 0.05 (paired DeLong, seed 42)." (UTF-8, not escaped).
std::string SignificanceSentence(const Comparison& c, double alpha);
// Plain-ASCII version of a label for PNG text ("×" -> "x", "—" -> "-").
std::string Ascii(const std::string& text);

}  // namespace genesis

#endif  // GENESIS_PLUGINS_REPORTER_FIGURES_H_
