#include "plugins/sampler/sampling.h"

#include <map>
#include <numeric>

namespace genesis {

std::vector<int64_t> EvenlySpaced(int64_t total, int64_t n) {
  std::vector<int64_t> picks;
  if (total <= 0) return picks;
  if (n <= 0 || n >= total) {
    picks.resize(total);
    std::iota(picks.begin(), picks.end(), 0);
    return picks;
  }
  if (n == 1) return {(total - 1) / 2};
  picks.reserve(n);
  for (int64_t i = 0; i < n; ++i) {
    // round(i * (total-1) / (n-1)) in integers, halves up.
    picks.push_back((2 * i * (total - 1) + (n - 1)) / (2 * (n - 1)));
  }
  return picks;
}

std::vector<std::vector<SlicePlan*>> GroupByPatient(std::vector<SlicePlan>& plans) {
  std::vector<std::vector<SlicePlan*>> groups;
  std::map<const PatientRecord*, size_t> slot;
  for (SlicePlan& plan : plans) {
    auto [it, inserted] = slot.emplace(plan.patient, groups.size());
    if (inserted) groups.emplace_back();
    groups[it->second].push_back(&plan);
  }
  return groups;
}

int64_t SelectedCount(const std::vector<SlicePlan*>& patient) {
  int64_t count = 0;
  for (const SlicePlan* plan : patient) count += static_cast<int64_t>(plan->selected.size());
  return count;
}

void TrimPatientEvenly(const std::vector<SlicePlan*>& patient, int64_t n) {
  const int64_t count = SelectedCount(patient);
  if (n <= 0 || n >= count) return;
  const std::vector<int64_t> picks = EvenlySpaced(count, n);
  size_t next = 0;
  int64_t offset = 0;  // Position of the current plan's first slice in the concatenation.
  for (SlicePlan* plan : patient) {
    std::vector<int64_t> kept;
    const int64_t size = static_cast<int64_t>(plan->selected.size());
    while (next < picks.size() && picks[next] < offset + size) {
      kept.push_back(plan->selected[picks[next] - offset]);
      ++next;
    }
    plan->selected = std::move(kept);
    offset += size;
  }
}

}  // namespace genesis
