#include "core/eval/froc.h"

#include <algorithm>
#include <limits>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace genesis {
namespace {

bool Hits(const CadMark& mark, const Nodule& nodule) {
  const double diameter = nodule.diameter_mm < 0 ? 10.0 : nodule.diameter_mm;
  const double radius2 = (diameter / 2) * (diameter / 2);
  const double dx = mark.x - nodule.x, dy = mark.y - nodule.y, dz = mark.z - nodule.z;
  return dx * dx + dy * dy + dz * dz < radius2;
}

// numpy.interp(x, xp, fp) for non-decreasing xp: the last point with xp <= x, then linear to
// the next; clamped at both ends.
double Interp(double x, const std::vector<std::pair<double, double>>& curve) {
  if (x < curve.front().first) return curve.front().second;
  // Last index j with curve[j].first <= x.
  const auto it = std::upper_bound(curve.begin(), curve.end(), x,
                                   [](double v, const auto& p) { return v < p.first; });
  const size_t j = static_cast<size_t>(it - curve.begin()) - 1;
  if (j + 1 >= curve.size()) return curve.back().second;
  const auto& [x0, y0] = curve[j];
  const auto& [x1, y1] = curve[j + 1];
  return y0 + (x - x0) * (y1 - y0) / (x1 - x0);
}

}  // namespace

absl::StatusOr<FrocResult> ComputeFroc(const std::vector<Nodule>& nodules,
                                       const std::vector<Nodule>& excluded,
                                       const std::vector<std::string>& series,
                                       const std::vector<CadMark>& marks) {
  if (series.empty()) return absl::InvalidArgumentError("FROC: the series list is empty");
  absl::flat_hash_map<std::string, int32_t> scan_index;
  for (const std::string& uid : series) {
    scan_index.emplace(uid, static_cast<int32_t>(scan_index.size()));
  }
  const size_t scans = scan_index.size();
  std::vector<std::vector<const Nodule*>> included_of(scans), excluded_of(scans);
  std::vector<std::vector<int32_t>> marks_of(scans);
  for (const Nodule& n : nodules) {
    auto it = scan_index.find(n.seriesuid);
    if (it != scan_index.end()) included_of[it->second].push_back(&n);
  }
  for (const Nodule& n : excluded) {
    auto it = scan_index.find(n.seriesuid);
    if (it != scan_index.end()) excluded_of[it->second].push_back(&n);
  }
  FrocResult result;
  result.scans = static_cast<int64_t>(scans);
  for (size_t i = 0; i < marks.size(); ++i) {
    auto it = scan_index.find(marks[i].seriesuid);
    if (it == scan_index.end()) {
      ++result.marks_outside_series;
    } else {
      marks_of[it->second].push_back(static_cast<int32_t>(i));
    }
  }

  // (probability, is detected nodule) entries of the FROC analysis.
  std::vector<std::pair<double, bool>> entries;
  for (size_t s = 0; s < scans; ++s) {
    std::vector<char> on_nodule(marks_of[s].size(), 0);
    for (const Nodule* nodule : included_of[s]) {
      ++result.nodules;
      double best = -std::numeric_limits<double>::infinity();
      bool found = false;
      for (size_t k = 0; k < marks_of[s].size(); ++k) {
        const CadMark& mark = marks[marks_of[s][k]];
        if (!Hits(mark, *nodule)) continue;
        on_nodule[k] = 1;
        found = true;
        best = std::max(best, mark.probability);
      }
      if (found) {
        ++result.detected;
        entries.push_back({best, true});
      }
    }
    for (size_t k = 0; k < marks_of[s].size(); ++k) {
      if (on_nodule[k]) continue;
      const CadMark& mark = marks[marks_of[s][k]];
      bool on_excluded = false;
      for (const Nodule* nodule : excluded_of[s]) on_excluded |= Hits(mark, *nodule);
      if (on_excluded) {
        ++result.marks_on_excluded;
      } else {
        ++result.false_positives;
        entries.push_back({mark.probability, false});
      }
    }
  }
  if (result.nodules == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "FROC: no included nodule on the ", scans,
        " listed scans (check that annotations.csv and the series list use the same seriesuids)"));
  }

  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  const double n_scans = static_cast<double>(scans);
  const double n_nodules = static_cast<double>(result.nodules);
  result.curve.push_back({0.0, 0.0});
  int64_t tp = 0, fp = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    entries[i].second ? ++tp : ++fp;
    if (i + 1 == entries.size() || entries[i + 1].first != entries[i].first) {
      result.curve.push_back({fp / n_scans, tp / n_nodules});
    }
  }
  double sum = 0;
  for (size_t k = 0; k < kFrocOperatingPoints.size(); ++k) {
    result.sensitivity[k] = Interp(kFrocOperatingPoints[k], result.curve);
    sum += result.sensitivity[k];
  }
  result.cpm = sum / static_cast<double>(kFrocOperatingPoints.size());
  return result;
}

}  // namespace genesis
