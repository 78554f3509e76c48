#include "core/eval/froc.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace genesis {
namespace {

// Hand-worked example, 3 listed scans (s1, s2, s3).
//   Included: N1 s1 (0,0,0) d 10 | N2 s1 (50,0,0) d 4 | N3 s2 (0,0,0) d -1 (=> 10 mm) |
//             N4 s3 (0,0,0) d 6 | N5 on an unlisted scan (ignored).
//   Excluded: E1 s2 (30,0,0) d -1 (=> radius 5).
//   Marks:
//     m1 s1 (1,0,0)   p .9   hits N1
//     m2 s1 (0,3,0)   p .6   hits N1 too: N1 counts once, with .9; m2 is no FP
//     m3 s1 (50,2.5,0) p .8  2.5 > N2's radius 2: FP (N2 missed)
//     m4 s2 (4,0,0)   p .7   hits N3 only thanks to the negative diameter (4 < 5)
//     m5 s2 (33,0,0)  p .95  hits only the excluded E1: ignored
//     m6 s2 (100,0,0) p .5   FP
//     m7 s3 (10,0,0)  p .3   FP (N4 missed)
//     m8 s3 (0,0,3)   p .2   distance 3 == N4's radius 3, not below: FP
//     m9 sX           p .99  unlisted scan: ignored
//   Nodules 4, detected 2 (N1 .9, N3 .7); FPs .8 .5 .3 .2.
//   FROC (FPs/scan, sensitivity), thresholds descending:
//     (0,0) (0,1/4)@.9 (1/3,1/4)@.8 (1/3,1/2)@.7 (2/3,1/2)@.5 (1,1/2)@.3 (4/3,1/2)@.2
//   Sensitivity at 1/8, 1/4: 1/4; at 1/2 .. 8: 1/2 (clamped beyond 4/3). CPM = 3/7.
TEST(FrocTest, HandWorkedExample) {
  const std::vector<Nodule> nodules = {{"s1", 0, 0, 0, 10},
                                       {"s1", 50, 0, 0, 4},
                                       {"s2", 0, 0, 0, -1},
                                       {"s3", 0, 0, 0, 6},
                                       {"s9", 0, 0, 0, 10}};
  const std::vector<Nodule> excluded = {{"s2", 30, 0, 0, -1}};
  const std::vector<CadMark> marks = {
      {"s1", 1, 0, 0, .9},  {"s1", 0, 3, 0, .6},   {"s1", 50, 2.5, 0, .8},
      {"s2", 4, 0, 0, .7},  {"s2", 33, 0, 0, .95}, {"s2", 100, 0, 0, .5},
      {"s3", 10, 0, 0, .3}, {"s3", 0, 0, 3, .2},   {"sX", 0, 0, 0, .99}};
  absl::StatusOr<FrocResult> r = ComputeFroc(nodules, excluded, {"s1", "s2", "s3"}, marks);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->scans, 3);
  EXPECT_EQ(r->nodules, 4);
  EXPECT_EQ(r->detected, 2);
  EXPECT_EQ(r->false_positives, 4);
  EXPECT_EQ(r->marks_on_excluded, 1);
  EXPECT_EQ(r->marks_outside_series, 1);
  const std::vector<std::pair<double, double>> curve = {
      {0, 0}, {0, .25}, {1.0 / 3, .25}, {1.0 / 3, .5}, {2.0 / 3, .5}, {1, .5}, {4.0 / 3, .5}};
  ASSERT_EQ(r->curve.size(), curve.size());
  for (size_t i = 0; i < curve.size(); ++i) {
    EXPECT_DOUBLE_EQ(r->curve[i].first, curve[i].first) << i;
    EXPECT_DOUBLE_EQ(r->curve[i].second, curve[i].second) << i;
  }
  const double expected[7] = {.25, .25, .5, .5, .5, .5, .5};
  for (int k = 0; k < 7; ++k) EXPECT_DOUBLE_EQ(r->sensitivity[k], expected[k]) << k;
  EXPECT_DOUBLE_EQ(r->cpm, 3.0 / 7.0);
}

// Linear interpolation between FROC points: 1 scan, 1 nodule hit at p .5, FPs at .9 and .1.
//   Curve: (0,0) (1,0)@.9 (1,1)@.5 (2,1)@.1. At 0.125..0.5: 0; at 1: the vertical step's top,
//   1 (numpy's interp takes the last point with x <= 1); beyond 2: 1.
// With 4 scans the x values are quartered: (0,0) (1/4,0) (1/4,1) (1/2,1); at 1/8 the segment
// from (0,0) to (1/4,0) gives 0; from 1/4 on, 1.
TEST(FrocTest, InterpolationAndScanCount) {
  const std::vector<Nodule> nodules = {{"a", 0, 0, 0, 10}};
  const std::vector<CadMark> marks = {{"a", 20, 0, 0, .9}, {"a", 0, 0, 0, .5}, {"a", 30, 0, 0, .1}};
  absl::StatusOr<FrocResult> one = ComputeFroc(nodules, {}, {"a"}, marks);
  ASSERT_TRUE(one.ok());
  const double expected_one[7] = {0, 0, 0, 1, 1, 1, 1};
  for (int k = 0; k < 7; ++k) EXPECT_DOUBLE_EQ(one->sensitivity[k], expected_one[k]) << k;
  absl::StatusOr<FrocResult> four = ComputeFroc(nodules, {}, {"a", "b", "c", "d"}, marks);
  ASSERT_TRUE(four.ok());
  const double expected_four[7] = {0, 1, 1, 1, 1, 1, 1};
  for (int k = 0; k < 7; ++k) EXPECT_DOUBLE_EQ(four->sensitivity[k], expected_four[k]) << k;
  // A tie between a hit and an FP is one diagonal step: (0,0) -> (1, 1) at p .5 with 1 scan.
  absl::StatusOr<FrocResult> tie =
      ComputeFroc(nodules, {}, {"a"}, {{"a", 0, 0, 0, .5}, {"a", 40, 0, 0, .5}});
  ASSERT_TRUE(tie.ok());
  EXPECT_DOUBLE_EQ(tie->sensitivity[0], 0.125);
  EXPECT_DOUBLE_EQ(tie->sensitivity[2], 0.5);
  EXPECT_DOUBLE_EQ(tie->sensitivity[3], 1.0);
}

TEST(FrocTest, NoFalsePositivesAndErrors) {
  const std::vector<Nodule> nodules = {{"a", 0, 0, 0, 10}, {"a", 100, 0, 0, 10}};
  absl::StatusOr<FrocResult> r = ComputeFroc(nodules, {}, {"a"}, {{"a", 0, 0, 0, .5}});
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(r->cpm, 0.5);  // One of two nodules at every operating point.
  EXPECT_FALSE(ComputeFroc(nodules, {}, {}, {}).ok());
  absl::StatusOr<FrocResult> none = ComputeFroc(nodules, {}, {"b"}, {});
  EXPECT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("no included nodule"), std::string::npos);
}

}  // namespace
}  // namespace genesis
