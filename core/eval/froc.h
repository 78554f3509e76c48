// LUNA16 FROC and CPM with the challenge's semantics (noduleCADEvaluationLUNA16.py):
//
//  - Only scans in the series list count; nodules and CAD marks of other scans are ignored
//    (the marks are counted in FrocResult::marks_outside_series).
//  - A mark hits a nodule when its Euclidean distance to the nodule centre is < the radius,
//    radius = diameter_mm / 2, with a negative diameter counting as 10 mm.
//  - Each included nodule (annotations.csv) counts once, with the highest probability among
//    the marks hitting it; a mark may hit several nodules. Undetected nodules count in the
//    denominator of the sensitivity only.
//  - Marks hitting only excluded nodules (annotations_excluded.csv) are neither hits nor false
//    positives. Every mark hitting no nodule is a false positive.
//  - The FROC curve takes one point per distinct probability (descending), like sklearn's
//    roc_curve: FPs per scan = false positives above the threshold / number of scans,
//    sensitivity = detected nodules above the threshold / included nodules.
//  - Sensitivity at 1/8, 1/4, 1/2, 1, 2, 4, 8 FPs per scan by linear interpolation (numpy's
//    interp: clamped to the last point beyond the curve; on a vertical step the highest
//    sensitivity); CPM = their mean.
//
//   GENESIS_ASSIGN_OR_RETURN(FrocResult r, ComputeFroc(nodules, excluded, series, marks));
#ifndef GENESIS_CORE_EVAL_FROC_H_
#define GENESIS_CORE_EVAL_FROC_H_

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace genesis {

struct Nodule {
  std::string seriesuid;
  double x = 0, y = 0, z = 0;  // World mm.
  double diameter_mm = 0;      // Negative: unknown, counts as 10 mm.
};

struct CadMark {
  std::string seriesuid;
  double x = 0, y = 0, z = 0;
  double probability = 0;
};

// The seven operating points, in FPs per scan, and their JSON keys.
inline constexpr std::array<double, 7> kFrocOperatingPoints = {0.125, 0.25, 0.5, 1, 2, 4, 8};
inline constexpr std::array<const char*, 7> kFrocOperatingPointKeys = {"0.125", "0.25", "0.5", "1",
                                                                       "2",     "4",    "8"};

struct FrocResult {
  double cpm = 0;
  std::array<double, 7> sensitivity{};  // At kFrocOperatingPoints.
  // (FPs per scan, sensitivity), starting at (0, 0).
  std::vector<std::pair<double, double>> curve;
  int64_t scans = 0;
  int64_t nodules = 0;   // Included nodules on the listed scans.
  int64_t detected = 0;  // Of them, hit by at least one mark.
  int64_t false_positives = 0;
  int64_t marks_on_excluded = 0;  // Marks hitting only excluded nodules (ignored).
  int64_t marks_outside_series = 0;
};

// Errors: an empty series list or no included nodule on the listed scans (the sensitivity
// would be undefined).
absl::StatusOr<FrocResult> ComputeFroc(const std::vector<Nodule>& nodules,
                                       const std::vector<Nodule>& excluded,
                                       const std::vector<std::string>& series,
                                       const std::vector<CadMark>& marks);

}  // namespace genesis

#endif  // GENESIS_CORE_EVAL_FROC_H_
