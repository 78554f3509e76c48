#include "plugins/reporter/plot.h"

#include <cmath>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"

namespace genesis {
namespace {

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

int CountOccurrences(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

TEST(NiceTicksTest, LinearStepsAreOneTwoTwoAndAHalfOrFiveTimesAPowerOfTen) {
  EXPECT_EQ(NiceTicks(0, 1, 5, false),
            (std::vector<double>{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1}));
  const std::vector<double> ticks = NiceTicks(0.93, 0.99, 6, false);
  ASSERT_GE(ticks.size(), 4u);
  EXPECT_NEAR(ticks[1] - ticks[0], 0.01, 1e-12);
  EXPECT_GE(ticks.front(), 0.93 - 1e-12);
  EXPECT_LE(ticks.back(), 0.99 + 1e-12);
  EXPECT_TRUE(NiceTicks(1, 1, 5, false).empty());
}

TEST(NiceTicksTest, LogAxisUsesOneTwoFivePerDecade) {
  EXPECT_EQ(NiceTicks(0.1, 1, 5, true), (std::vector<double>{0.1, 0.2, 0.5, 1}));
  EXPECT_EQ(NiceTicks(0.15, 8, 5, true), (std::vector<double>{0.2, 0.5, 1, 2, 5}));
}

TEST(TickLabelTest, PrintsAsManyDigitsAsTheStepNeeds) {
  EXPECT_EQ(TickLabel(0.25, 0.25), "0.25");
  EXPECT_EQ(TickLabel(0.5, 0.1), "0.5");
  EXPECT_EQ(TickLabel(0.94, 0.01), "0.94");
  EXPECT_EQ(TickLabel(20, 5), "20");
  EXPECT_EQ(TickLabel(0, 0.1), "0");
  EXPECT_EQ(TickLabel(0.125, 0), "0.125");
}

Plot RocLikePlot() {
  Plot plot;
  plot.title = "ROC";
  plot.x_label = "false positive rate";
  plot.y_label = "true positive rate";
  plot.x_min = 0;
  plot.x_max = 1;
  plot.y_min = 0;
  plot.y_max = 1;
  plot.diagonal = true;
  PlotSeries s;
  s.name = "model <A> & co";
  for (int i = 0; i <= 20; ++i) {
    s.x.push_back(i / 20.0);
    s.y.push_back(std::sqrt(i / 20.0));
    s.band_low.push_back(std::max(0.0, std::sqrt(i / 20.0) - 0.1));
    s.band_high.push_back(std::min(1.0, std::sqrt(i / 20.0) + 0.1));
  }
  plot.series.push_back(s);
  return plot;
}

TEST(WritePlotPngTest, DrawsAxesLinesAndBandIntoANonBlankImage) {
  const std::string path = TempPath("roc.png");
  ASSERT_TRUE(WritePlotPng(RocLikePlot(), path, 640, 480).ok());
  const cv::Mat image = cv::imread(path, cv::IMREAD_COLOR);
  ASSERT_FALSE(image.empty());
  EXPECT_EQ(image.cols, 640);
  EXPECT_EQ(image.rows, 480);
  cv::Scalar mean, stddev;
  cv::meanStdDev(image, mean, stddev);
  EXPECT_GT(stddev[0], 10.0) << "image looks blank";
  // The series colour (palette 0: rgb 0,114,178) appears on the curve; the band is a lighter
  // tint of it between the curve and the band edge.
  int curve = 0, tint = 0;
  for (int y = 0; y < image.rows; ++y) {
    for (int x = 0; x < image.cols; ++x) {
      const cv::Vec3b p = image.at<cv::Vec3b>(y, x);  // BGR
      if (p[0] > 150 && p[1] > 90 && p[1] < 140 && p[2] < 40) ++curve;
      if (p[0] > 200 && p[2] > 180 && p[2] < 235 && p[0] > p[2] + 10) ++tint;
    }
  }
  EXPECT_GT(curve, 200);
  EXPECT_GT(tint, 2000);
}

TEST(WritePlotPngTest, RefusesTinySizesAndUnwritablePaths) {
  EXPECT_FALSE(WritePlotPng(RocLikePlot(), TempPath("tiny.png"), 20, 20).ok());
  const absl::Status status = WritePlotPng(RocLikePlot(), "/nonexistent/dir/x.png");
  EXPECT_FALSE(status.ok());
  EXPECT_NE(std::string(status.message()).find("/nonexistent/dir/x.png"), std::string::npos);
}

TEST(PlotSvgTest, IsOneSelfContainedSvgWithEscapedText) {
  const std::string svg = PlotSvg(RocLikePlot(), 600, 400);
  EXPECT_EQ(svg.rfind("<svg ", 0), 0u);
  EXPECT_EQ(svg.substr(svg.size() - 6), "</svg>");
  EXPECT_NE(svg.find("model &lt;A&gt; &amp; co"), std::string::npos);
  EXPECT_EQ(svg.find("<A>"), std::string::npos);
  EXPECT_EQ(CountOccurrences(svg, "<polygon"), 2);          // band + legend swatch
  EXPECT_GE(CountOccurrences(svg, "stroke-dasharray"), 1);  // diagonal
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("href"), std::string::npos);
}

TEST(PlotSvgTest, NonFiniteAndNonPositiveLogPointsBreakTheLine) {
  Plot plot;
  plot.log_x = true;
  PlotSeries s;
  s.x = {0, 0.1, 0.5, 1, 2};
  s.y = {0.5, 0.6, std::nan(""), 0.8, 0.9};
  plot.series.push_back(s);
  const std::string svg = PlotSvg(plot);
  // x = 0 is dropped on the log axis, y = nan splits the rest: {0.1}, {1, 2}.
  EXPECT_EQ(CountOccurrences(svg, "<polyline fill=\"none\" stroke=\"rgb(0,114,178)\""), 1);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_NE(svg.find(">0.1<"), std::string::npos);  // log ticks
  EXPECT_NE(svg.find(">0.5<"), std::string::npos);
}

TEST(HtmlEscapeTest, EscapesMarkupCharacters) {
  EXPECT_EQ(HtmlEscape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

}  // namespace
}  // namespace genesis

namespace genesis {
namespace {

TEST(PlotSvgTest, LinesAreClippedToThePlotAreaNotClamped) {
  Plot plot;
  plot.x_min = 0;
  plot.x_max = 1;
  plot.y_min = 0;
  plot.y_max = 1;
  PlotSeries s;
  s.x = {-1, 0.5, 2};  // leaves the area on both sides
  s.y = {0.5, 0.5, 0.5};
  plot.series.push_back(s);
  const std::string svg = PlotSvg(plot, 400, 300);
  // One horizontal piece from the left edge (x = 74) to the right edge (x = 400 - 18).
  const size_t at = svg.find("<polyline fill=\"none\" stroke=\"rgb(0,114,178)\"");
  ASSERT_NE(at, std::string::npos);
  const std::string line = svg.substr(at, svg.find("/>", at) - at);
  EXPECT_NE(line.find("points=\"74.0,"), std::string::npos) << line;
  EXPECT_NE(line.find(" 382.0,"), std::string::npos) << line;
}

}  // namespace
}  // namespace genesis
