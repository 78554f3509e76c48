// A small plotting library for reports: line charts with axes, ticks, numeric labels, a legend,
// shaded bands (confidence intervals) and an optional diagonal reference line, drawn either to a
// PNG with OpenCV or to an inline SVG string for HTML pages. Both back ends draw the same chart
// from the same layout code, so the PNG and the page agree.
//
//   Plot plot;
//   plot.title = "ROC, LUNA16 x unet_vgg16, scratch";
//   plot.x_label = "false positive rate"; plot.y_label = "true positive rate";
//   plot.x_min = 0; plot.x_max = 1; plot.y_min = 0; plot.y_max = 1; plot.diagonal = true;
//   plot.series.push_back({.name = "fold 0", .x = fpr, .y = tpr});
//   GENESIS_RETURN_IF_ERROR(WritePlotPng(plot, dir + "/roc.png"));
//   std::string svg = PlotSvg(plot);   // <svg ...>...</svg>, text escaped
//
// Non-finite points break a line; on a log axis non-positive x values are skipped. PNG text uses
// OpenCV's Hershey font, which has ASCII glyphs only: keep labels ASCII.
#ifndef GENESIS_PLUGINS_REPORTER_PLOT_H_
#define GENESIS_PLUGINS_REPORTER_PLOT_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace genesis {

struct Rgb {
  int r = 0, g = 0, b = 0;
};

// The report's palette (colour-blind friendly, Okabe-Ito); PaletteColor(i) cycles through it.
Rgb PaletteColor(int index);

struct PlotSeries {
  std::string name;          // Legend entry; empty = not in the legend.
  std::vector<double> x, y;  // Same length.
  // Optional shaded band (e.g. a 95% CI), same length as x when set.
  std::vector<double> band_low, band_high;
  std::optional<Rgb> color;  // Default: PaletteColor(index of the series).
  double line_width = 2.0;   // Pixels.
  bool dashed = false;
  bool markers = false;  // A dot at every point.
};

enum class LegendPosition { kTopRight, kBottomRight, kTopLeft, kBottomLeft, kNone };

struct Plot {
  std::string title;
  std::string x_label, y_label;
  bool log_x = false;
  // Axis ranges; unset = from the data with a small margin.
  std::optional<double> x_min, x_max, y_min, y_max;
  // Explicit x tick positions (e.g. the label fractions); empty = automatic.
  std::vector<double> x_ticks;
  bool diagonal = false;  // Dashed grey y = x line (ROC chance level).
  LegendPosition legend = LegendPosition::kTopRight;
  std::vector<PlotSeries> series;
};

// "Nice" tick positions (1, 2, 2.5 or 5 times a power of ten) covering [lo, hi], about `target`
// of them. On a log axis: 1-2-5 per decade within [lo, hi] (lo > 0).
std::vector<double> NiceTicks(double lo, double hi, int target, bool log_axis);
// A tick label: as few digits as tell ticks `step` apart (0.25, 1); step <= 0: "%g".
std::string TickLabel(double value, double step);

// Draws `plot` into a `width` x `height` PNG at `path`.
absl::Status WritePlotPng(const Plot& plot, const std::string& path, int width = 720,
                          int height = 480);
// The same chart as a standalone <svg> element (no external references).
std::string PlotSvg(const Plot& plot, int width = 720, int height = 480);

// Escapes &, <, >, " and ' for HTML/XML text and attribute values.
std::string HtmlEscape(const std::string& text);

}  // namespace genesis

#endif  // GENESIS_PLUGINS_REPORTER_PLOT_H_
