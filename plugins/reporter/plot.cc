#include "plugins/reporter/plot.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/file_util.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace genesis {
namespace {

struct Point {
  double x = 0, y = 0;
};

enum class Anchor { kStart, kMiddle, kEnd };

constexpr Rgb kBlack{33, 33, 33};
constexpr Rgb kGrid{225, 225, 225};
constexpr Rgb kAxis{90, 90, 90};
constexpr Rgb kWhite{255, 255, 255};
constexpr Rgb kReference{150, 150, 150};

// What a chart needs from a back end. Coordinates are pixels, origin top left.
class Canvas {
 public:
  virtual ~Canvas() = default;
  virtual void Polyline(const std::vector<Point>& points, Rgb color, double width, bool dashed) = 0;
  virtual void Polygon(const std::vector<Point>& points, Rgb color, double opacity) = 0;
  virtual void Rect(double x, double y, double w, double h, Rgb stroke, Rgb fill) = 0;
  virtual void Dot(Point p, double radius, Rgb color) = 0;
  // (x, y) is the baseline point; vertical text reads bottom to top, anchored on its centre.
  virtual void Text(double x, double y, const std::string& text, double px, Anchor anchor,
                    Rgb color, bool vertical = false, bool bold = false) = 0;
  virtual double TextWidth(const std::string& text, double px) = 0;
};

// ------------------------------------------------------------------------------------------
// OpenCV back end.
cv::Scalar Bgr(Rgb c) { return cv::Scalar(c.b, c.g, c.r); }

class MatCanvas : public Canvas {
 public:
  MatCanvas(int width, int height) : image_(height, width, CV_8UC3, Bgr(kWhite)) {}
  const cv::Mat& image() const { return image_; }

  void Polyline(const std::vector<Point>& points, Rgb color, double width, bool dashed) override {
    const int thickness = std::max(1, static_cast<int>(std::lround(width)));
    if (!dashed) {
      std::vector<cv::Point> pts;
      for (const Point& p : points) pts.push_back(Fixed(p));
      if (pts.size() >= 2) {
        cv::polylines(image_, std::vector<std::vector<cv::Point>>{pts}, false, Bgr(color),
                      thickness, cv::LINE_AA, kShift);
      }
      return;
    }
    // Dashes of 7 px with 5 px gaps, continuing across vertices.
    double phase = 0;
    for (size_t i = 1; i < points.size(); ++i) {
      const double dx = points[i].x - points[i - 1].x, dy = points[i].y - points[i - 1].y;
      const double length = std::hypot(dx, dy);
      double t = 0;
      while (t < length) {
        const double period_pos = std::fmod(phase + t, 12.0);
        const double step = period_pos < 7 ? std::min(7 - period_pos, length - t)
                                           : std::min(12 - period_pos, length - t);
        if (period_pos < 7) {
          Point a{points[i - 1].x + dx * t / length, points[i - 1].y + dy * t / length};
          Point b{points[i - 1].x + dx * (t + step) / length,
                  points[i - 1].y + dy * (t + step) / length};
          cv::line(image_, Fixed(a), Fixed(b), Bgr(color), thickness, cv::LINE_AA, kShift);
        }
        t += std::max(step, 1e-6);
      }
      phase += length;
    }
  }

  void Polygon(const std::vector<Point>& points, Rgb color, double opacity) override {
    if (points.size() < 3) return;
    std::vector<cv::Point> pts;
    for (const Point& p : points) pts.push_back(Fixed(p));
    cv::Mat overlay = image_.clone();
    cv::fillPoly(overlay, std::vector<std::vector<cv::Point>>{pts}, Bgr(color), cv::LINE_AA,
                 kShift);
    cv::addWeighted(overlay, opacity, image_, 1 - opacity, 0, image_);
  }

  void Rect(double x, double y, double w, double h, Rgb stroke, Rgb fill) override {
    cv::rectangle(image_, Fixed({x, y}), Fixed({x + w, y + h}), Bgr(fill), cv::FILLED, cv::LINE_8,
                  kShift);
    cv::rectangle(image_, Fixed({x, y}), Fixed({x + w, y + h}), Bgr(stroke), 1, cv::LINE_AA,
                  kShift);
  }

  void Dot(Point p, double radius, Rgb color) override {
    cv::circle(image_, Fixed(p), static_cast<int>(radius * (1 << kShift)), Bgr(color), cv::FILLED,
               cv::LINE_AA, kShift);
  }

  void Text(double x, double y, const std::string& text, double px, Anchor anchor, Rgb color,
            bool vertical, bool bold) override {
    const double scale = Scale(px);
    const int thickness = bold ? 2 : 1;
    int baseline = 0;
    const cv::Size size = cv::getTextSize(text, kFont, scale, thickness, &baseline);
    if (!vertical) {
      double left = x;
      if (anchor == Anchor::kMiddle) left -= size.width / 2.0;
      if (anchor == Anchor::kEnd) left -= size.width;
      cv::putText(image_, text, cv::Point(static_cast<int>(left), static_cast<int>(y)), kFont,
                  scale, Bgr(color), thickness, cv::LINE_AA);
      return;
    }
    // Draw horizontally into a patch, rotate it by 90 degrees counter-clockwise, paste.
    cv::Mat patch(size.height + baseline + 2, size.width + 2, CV_8UC3, Bgr(kWhite));
    cv::putText(patch, text, cv::Point(1, size.height + 1), kFont, scale, Bgr(color), thickness,
                cv::LINE_AA);
    cv::Mat rotated;
    cv::rotate(patch, rotated, cv::ROTATE_90_COUNTERCLOCKWISE);
    const int left = static_cast<int>(x) - rotated.cols + baseline;
    const int top = static_cast<int>(y) - rotated.rows / 2;
    const cv::Rect target =
        cv::Rect(left, top, rotated.cols, rotated.rows) & cv::Rect(0, 0, image_.cols, image_.rows);
    if (target.area() <= 0) return;
    const cv::Rect source(target.x - left, target.y - top, target.width, target.height);
    cv::Mat mask;
    cv::inRange(rotated(source), Bgr(kWhite), Bgr(kWhite), mask);
    cv::bitwise_not(mask, mask);
    rotated(source).copyTo(image_(target), mask);
  }

  double TextWidth(const std::string& text, double px) override {
    int baseline = 0;
    return cv::getTextSize(text, kFont, Scale(px), 1, &baseline).width;
  }

 private:
  static constexpr int kShift = 4;  // Sub-pixel precision for antialiased drawing.
  static constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
  static double Scale(double px) { return px / 30.0; }  // Simplex cap height ~22 px at 1.0.
  static cv::Point Fixed(Point p) {
    return cv::Point(static_cast<int>(std::lround(p.x * (1 << kShift))),
                     static_cast<int>(std::lround(p.y * (1 << kShift))));
  }
  cv::Mat image_;
};

// ------------------------------------------------------------------------------------------
// SVG back end.
std::string SvgColor(Rgb c) { return absl::StrFormat("rgb(%d,%d,%d)", c.r, c.g, c.b); }

class SvgCanvas : public Canvas {
 public:
  SvgCanvas(int width, int height) {
    absl::StrAppendFormat(&body_,
                          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                          "viewBox=\"0 0 %d %d\" font-family=\"Helvetica, Arial, sans-serif\">"
                          "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>",
                          width, height, width, height, width, height);
  }
  std::string Finish() { return body_ + "</svg>"; }

  void Polyline(const std::vector<Point>& points, Rgb color, double width, bool dashed) override {
    if (points.size() < 2) return;
    absl::StrAppendFormat(&body_,
                          "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\" "
                          "stroke-linejoin=\"round\"%s points=\"%s\"/>",
                          SvgColor(color), width, dashed ? " stroke-dasharray=\"7 5\"" : "",
                          Points(points));
  }
  void Polygon(const std::vector<Point>& points, Rgb color, double opacity) override {
    if (points.size() < 3) return;
    absl::StrAppendFormat(&body_, "<polygon fill=\"%s\" fill-opacity=\"%.2f\" points=\"%s\"/>",
                          SvgColor(color), opacity, Points(points));
  }
  void Rect(double x, double y, double w, double h, Rgb stroke, Rgb fill) override {
    absl::StrAppendFormat(&body_,
                          "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                          "fill=\"%s\" stroke=\"%s\"/>",
                          x, y, w, h, SvgColor(fill), SvgColor(stroke));
  }
  void Dot(Point p, double radius, Rgb color) override {
    absl::StrAppendFormat(&body_, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\"/>", p.x,
                          p.y, radius, SvgColor(color));
  }
  void Text(double x, double y, const std::string& text, double px, Anchor anchor, Rgb color,
            bool vertical, bool bold) override {
    const char* anchors[] = {"start", "middle", "end"};
    std::string transform;
    if (vertical) {
      transform = absl::StrFormat(" transform=\"rotate(-90 %.1f %.1f)\"", x, y);
      anchor = Anchor::kMiddle;
    }
    absl::StrAppendFormat(&body_,
                          "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.1f\" fill=\"%s\" "
                          "text-anchor=\"%s\"%s%s>%s</text>",
                          x, y, px, SvgColor(color), anchors[static_cast<int>(anchor)],
                          bold ? " font-weight=\"bold\"" : "", transform, HtmlEscape(text));
  }
  double TextWidth(const std::string& text, double px) override {
    return 0.56 * px * static_cast<double>(text.size());
  }

 private:
  static std::string Points(const std::vector<Point>& points) {
    std::string out;
    for (const Point& p : points) absl::StrAppendFormat(&out, "%.1f,%.1f ", p.x, p.y);
    return out;
  }
  std::string body_;
};

// ------------------------------------------------------------------------------------------
// Layout and drawing, shared by both back ends.
struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void Add(double v) {
    if (!std::isfinite(v)) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool empty() const { return !(lo <= hi); }
};

struct Axes {
  double left, top, width, height;  // Plot area in pixels.
  double x_lo, x_hi, y_lo, y_hi;    // Data range (x in log10 when log_x).
  bool log_x;
  double X(double v) const {
    const double t = log_x ? std::log10(v) : v;
    return left + (t - x_lo) / (x_hi - x_lo) * width;
  }
  double Y(double v) const { return top + height - (v - y_lo) / (y_hi - y_lo) * height; }
};

bool Usable(const Plot& plot, double x, double y) {
  return std::isfinite(x) && std::isfinite(y) && (!plot.log_x || x > 0);
}

Axes ComputeAxes(const Plot& plot, int width, int height) {
  Range xr, yr;
  for (const PlotSeries& s : plot.series) {
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!Usable(plot, s.x[i], s.y[i])) continue;
      xr.Add(plot.log_x ? std::log10(s.x[i]) : s.x[i]);
      yr.Add(s.y[i]);
      if (i < s.band_low.size()) yr.Add(s.band_low[i]);
      if (i < s.band_high.size()) yr.Add(s.band_high[i]);
    }
  }
  for (double t : plot.x_ticks) {
    if (!plot.log_x || t > 0) xr.Add(plot.log_x ? std::log10(t) : t);
  }
  if (xr.empty()) xr = {0, 1};
  if (yr.empty()) yr = {0, 1};
  auto pad = [](Range* r, double fraction) {
    const double span = r->hi - r->lo;
    if (span <= 0) {
      r->lo -= 0.5;
      r->hi += 0.5;
    } else {
      r->lo -= span * fraction;
      r->hi += span * fraction;
    }
  };
  pad(&xr, plot.log_x ? 0.06 : 0.02);
  pad(&yr, 0.06);
  if (plot.x_min) xr.lo = plot.log_x ? std::log10(std::max(*plot.x_min, 1e-12)) : *plot.x_min;
  if (plot.x_max) xr.hi = plot.log_x ? std::log10(std::max(*plot.x_max, 1e-12)) : *plot.x_max;
  if (plot.y_min) yr.lo = *plot.y_min;
  if (plot.y_max) yr.hi = *plot.y_max;
  if (!(xr.hi > xr.lo)) xr.hi = xr.lo + 1;
  if (!(yr.hi > yr.lo)) yr.hi = yr.lo + 1;
  Axes axes;
  axes.left = 74;
  axes.top = plot.title.empty() ? 16 : 40;
  axes.width = std::max(10.0, width - axes.left - 18.0);
  axes.height = std::max(10.0, height - axes.top - 56.0);
  axes.x_lo = xr.lo;
  axes.x_hi = xr.hi;
  axes.y_lo = yr.lo;
  axes.y_hi = yr.hi;
  axes.log_x = plot.log_x;
  return axes;
}

// The points of `s` in pixels, split into runs of usable points.
std::vector<std::vector<Point>> Runs(const Plot& plot, const Axes& axes,
                                     const std::vector<double>& x, const std::vector<double>& y) {
  std::vector<std::vector<Point>> runs(1);
  for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
    if (!Usable(plot, x[i], y[i])) {
      if (!runs.back().empty()) runs.emplace_back();
      continue;
    }
    runs.back().push_back({axes.X(x[i]), axes.Y(y[i])});
  }
  return runs;
}

// Clips drawing to the plot area by clamping y (x ranges come from the data or the caller).
Point Clamp(const Axes& axes, Point p) {
  p.x = std::clamp(p.x, axes.left, axes.left + axes.width);
  p.y = std::clamp(p.y, axes.top, axes.top + axes.height);
  return p;
}

// Clips segment a-b to the plot area (Liang-Barsky); false when it lies outside.
bool ClipSegment(const Axes& axes, Point* a, Point* b) {
  const double dx = b->x - a->x, dy = b->y - a->y;
  double t0 = 0, t1 = 1;
  const double p[4] = {-dx, dx, -dy, dy};
  const double q[4] = {a->x - axes.left, axes.left + axes.width - a->x, a->y - axes.top,
                       axes.top + axes.height - a->y};
  for (int i = 0; i < 4; ++i) {
    if (p[i] == 0) {
      if (q[i] < 0) return false;
      continue;
    }
    const double t = q[i] / p[i];
    if (p[i] < 0) {
      t0 = std::max(t0, t);
    } else {
      t1 = std::min(t1, t);
    }
    if (t0 > t1) return false;
  }
  const Point start{a->x + t0 * dx, a->y + t0 * dy}, end{a->x + t1 * dx, a->y + t1 * dy};
  *a = start;
  *b = end;
  return true;
}

// A polyline cut to the plot area: the visible pieces.
std::vector<std::vector<Point>> ClipPolyline(const Axes& axes, const std::vector<Point>& run) {
  std::vector<std::vector<Point>> pieces(1);
  for (size_t i = 1; i < run.size(); ++i) {
    Point a = run[i - 1], b = run[i];
    if (!ClipSegment(axes, &a, &b)) {
      if (!pieces.back().empty()) pieces.emplace_back();
      continue;
    }
    const bool a_moved = !(a.x == run[i - 1].x && a.y == run[i - 1].y);
    if (a_moved && !pieces.back().empty()) pieces.emplace_back();
    if (pieces.back().empty()) pieces.back().push_back(a);
    pieces.back().push_back(b);
    const bool b_moved = !(b.x == run[i].x && b.y == run[i].y);
    if (b_moved) pieces.emplace_back();
  }
  if (run.size() == 1) pieces.back().push_back(run[0]);
  return pieces;
}

void DrawLegend(const Plot& plot, Canvas& canvas, const Axes& axes) {
  if (plot.legend == LegendPosition::kNone) return;
  std::vector<int> entries;
  double text_width = 0;
  for (size_t i = 0; i < plot.series.size(); ++i) {
    if (plot.series[i].name.empty()) continue;
    entries.push_back(static_cast<int>(i));
    text_width = std::max(text_width, canvas.TextWidth(plot.series[i].name, 12));
  }
  if (entries.empty()) return;
  const double row = 18, box_w = text_width + 44, box_h = row * entries.size() + 8;
  const bool right =
      plot.legend == LegendPosition::kTopRight || plot.legend == LegendPosition::kBottomRight;
  const bool top =
      plot.legend == LegendPosition::kTopRight || plot.legend == LegendPosition::kTopLeft;
  const double x0 = right ? axes.left + axes.width - box_w - 8 : axes.left + 8;
  const double y0 = top ? axes.top + 8 : axes.top + axes.height - box_h - 8;
  canvas.Rect(x0, y0, box_w, box_h, Rgb{200, 200, 200}, kWhite);
  for (size_t k = 0; k < entries.size(); ++k) {
    const PlotSeries& s = plot.series[entries[k]];
    const Rgb color = s.color.value_or(PaletteColor(entries[k]));
    const double y = y0 + 4 + row * k + row / 2;
    if (!s.band_low.empty()) {
      canvas.Polygon({{x0 + 6, y - 6}, {x0 + 32, y - 6}, {x0 + 32, y + 6}, {x0 + 6, y + 6}}, color,
                     0.2);
    }
    canvas.Polyline({{x0 + 6, y}, {x0 + 32, y}}, color, s.line_width, s.dashed);
    canvas.Text(x0 + 38, y + 4, s.name, 12, Anchor::kStart, kBlack);
  }
}

void DrawPlot(const Plot& plot, Canvas& canvas, int width, int height) {
  const Axes axes = ComputeAxes(plot, width, height);
  const double bottom = axes.top + axes.height, right = axes.left + axes.width;
  // Grid and ticks.
  std::vector<double> x_ticks;
  if (!plot.x_ticks.empty()) {
    x_ticks = plot.x_ticks;
  } else if (plot.log_x) {
    x_ticks = NiceTicks(std::pow(10, axes.x_lo), std::pow(10, axes.x_hi), 6, true);
  } else {
    x_ticks = NiceTicks(axes.x_lo, axes.x_hi, 6, false);
  }
  const std::vector<double> y_ticks = NiceTicks(axes.y_lo, axes.y_hi, 6, false);
  const double y_step = y_ticks.size() > 1 ? y_ticks[1] - y_ticks[0] : 1;
  for (double t : y_ticks) {
    const double y = axes.Y(t);
    if (y < axes.top - 0.5 || y > bottom + 0.5) continue;
    canvas.Polyline({{axes.left, y}, {right, y}}, kGrid, 1, false);
    canvas.Polyline({{axes.left - 5, y}, {axes.left, y}}, kAxis, 1, false);
    canvas.Text(axes.left - 8, y + 4, TickLabel(t, y_step), 12, Anchor::kEnd, kBlack);
  }
  for (size_t i = 0; i < x_ticks.size(); ++i) {
    const double t = x_ticks[i];
    if (plot.log_x && t <= 0) continue;
    const double x = axes.X(t);
    if (x < axes.left - 0.5 || x > right + 0.5) continue;
    double step =
        x_ticks.size() > 1
            ? std::abs(x_ticks[std::min(i + 1, x_ticks.size() - 1)] - x_ticks[i == 0 ? 0 : i - 1])
            : 1;
    if (plot.log_x || !plot.x_ticks.empty()) step = 0;  // Show t as it is.
    canvas.Polyline({{x, axes.top}, {x, bottom}}, kGrid, 1, false);
    canvas.Polyline({{x, bottom}, {x, bottom + 5}}, kAxis, 1, false);
    canvas.Text(x, bottom + 20, TickLabel(t, step), 12, Anchor::kMiddle, kBlack);
  }
  if (plot.diagonal) {
    const double lo = std::max(axes.x_lo, axes.y_lo), hi = std::min(axes.x_hi, axes.y_hi);
    if (hi > lo && !plot.log_x) {
      canvas.Polyline({{axes.X(lo), axes.Y(lo)}, {axes.X(hi), axes.Y(hi)}}, kReference, 1.5, true);
    }
  }
  // Bands first, then lines on top.
  for (size_t i = 0; i < plot.series.size(); ++i) {
    const PlotSeries& s = plot.series[i];
    if (s.band_low.size() != s.x.size() || s.band_high.size() != s.x.size()) continue;
    const Rgb color = s.color.value_or(PaletteColor(static_cast<int>(i)));
    const auto lows = Runs(plot, axes, s.x, s.band_low);
    const auto highs = Runs(plot, axes, s.x, s.band_high);
    for (size_t r = 0; r < lows.size() && r < highs.size(); ++r) {
      if (lows[r].size() != highs[r].size() || lows[r].empty()) continue;
      std::vector<Point> polygon;
      for (const Point& p : highs[r]) polygon.push_back(Clamp(axes, p));
      for (auto it = lows[r].rbegin(); it != lows[r].rend(); ++it) {
        polygon.push_back(Clamp(axes, *it));
      }
      if (polygon.size() == 2) {  // A single point: draw an error bar instead.
        canvas.Polyline(polygon, color, 1.5, false);
      } else {
        canvas.Polygon(polygon, color, 0.18);
      }
    }
  }
  for (size_t i = 0; i < plot.series.size(); ++i) {
    const PlotSeries& s = plot.series[i];
    const Rgb color = s.color.value_or(PaletteColor(static_cast<int>(i)));
    for (const auto& run : Runs(plot, axes, s.x, s.y)) {
      for (const auto& piece : ClipPolyline(axes, run)) {
        if (piece.size() >= 2) canvas.Polyline(piece, color, s.line_width, s.dashed);
      }
      if (s.markers || run.size() == 1) {
        for (const Point& p : run) {
          if (Clamp(axes, p).x == p.x && Clamp(axes, p).y == p.y) canvas.Dot(p, 3.5, color);
        }
      }
    }
  }
  // Frame, labels, title, legend.
  canvas.Polyline({{axes.left, axes.top},
                   {right, axes.top},
                   {right, bottom},
                   {axes.left, bottom},
                   {axes.left, axes.top}},
                  kAxis, 1, false);
  canvas.Text(axes.left + axes.width / 2, bottom + 44, plot.x_label, 13, Anchor::kMiddle, kBlack);
  canvas.Text(20, axes.top + axes.height / 2, plot.y_label, 13, Anchor::kMiddle, kBlack,
              /*vertical=*/true);
  canvas.Text(axes.left + axes.width / 2, 26, plot.title, 15, Anchor::kMiddle, kBlack, false,
              /*bold=*/true);
  DrawLegend(plot, canvas, axes);
}

}  // namespace

Rgb PaletteColor(int index) {
  static const Rgb kPalette[] = {{0, 114, 178},   {230, 159, 0},  {0, 158, 115},
                                 {204, 121, 167}, {213, 94, 0},   {86, 180, 233},
                                 {120, 120, 120}, {240, 200, 50}, {0, 0, 0}};
  const int n = static_cast<int>(sizeof(kPalette) / sizeof(kPalette[0]));
  return kPalette[((index % n) + n) % n];
}

std::vector<double> NiceTicks(double lo, double hi, int target, bool log_axis) {
  std::vector<double> ticks;
  if (!std::isfinite(lo) || !std::isfinite(hi) || hi <= lo || target < 1) return ticks;
  if (log_axis) {
    if (hi <= 0) return ticks;
    lo = std::max(lo, hi * 1e-12);
    for (int e = static_cast<int>(std::floor(std::log10(lo)));
         e <= static_cast<int>(std::ceil(std::log10(hi))); ++e) {
      for (double m : {1.0, 2.0, 5.0}) {
        const double v = m * std::pow(10.0, e);
        if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks.push_back(v);
      }
    }
    return ticks;
  }
  const double raw = (hi - lo) / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    step = m * magnitude;
    if (step >= raw) break;
  }
  for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
    ticks.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  }
  return ticks;
}

std::string TickLabel(double value, double step) {
  if (value == 0) return "0";
  if (!(step > 0)) return absl::StrFormat("%g", value);
  int decimals = 0;
  if (step > 0 && std::isfinite(step)) {
    decimals = std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
    // One more digit when the step itself needs it (e.g. 0.25).
    const double scaled = step * std::pow(10.0, decimals);
    if (std::abs(scaled - std::round(scaled)) > 1e-6) ++decimals;
  }
  if (decimals > 6 || std::abs(value) >= 1e7) return absl::StrFormat("%.3g", value);
  std::string text = absl::StrFormat("%.*f", decimals, value);
  return text;
}

absl::Status WritePlotPng(const Plot& plot, const std::string& path, int width, int height) {
  if (width < 100 || height < 100) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": plot size ", width, "x", height, " is too small (min 100x100)"));
  }
  MatCanvas canvas(width, height);
  DrawPlot(plot, canvas, width, height);
  try {
    std::vector<unsigned char> png;
    if (!cv::imencode(".png", canvas.image(), png)) {
      return absl::InternalError(absl::StrCat(path, ": cannot encode PNG"));
    }
    return WriteFileAtomically(
        path, absl::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
  } catch (const cv::Exception& e) {
    return absl::InternalError(absl::StrCat(path, ": cannot write PNG: ", e.what()));
  }
}

std::string PlotSvg(const Plot& plot, int width, int height) {
  SvgCanvas canvas(width, height);
  DrawPlot(plot, canvas, width, height);
  return canvas.Finish();
}

std::string HtmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace genesis
