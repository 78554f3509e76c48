// Helpers shared by the samplers: even spacing and per-patient grouping of plans.
//
//   std::vector<int64_t> picks = EvenlySpaced(100, 3);       // {0, 50, 99}
//   for (auto& group : GroupByPatient(plans)) TrimPatientEvenly(group, 20);
#ifndef GENESIS_PLUGINS_SAMPLER_SAMPLING_H_
#define GENESIS_PLUGINS_SAMPLER_SAMPLING_H_

#include <cstdint>
#include <vector>

#include "core/sampler.h"

namespace genesis {

// `n` distinct indices in [0, total) spread evenly so both ends are covered:
//   n >= total or n <= 0: 0, 1, ..., total-1 (all);
//   n == 1: the middle, (total - 1) / 2;
//   otherwise: round(i * (total - 1) / (n - 1)) for i = 0..n-1 (halves round up).
// E.g. total 100, n 3 -> 0, 50, 99; total 10, n 4 -> 0, 3, 6, 9.
std::vector<int64_t> EvenlySpaced(int64_t total, int64_t n);

// Plans grouped per patient (by PatientRecord pointer, in order of first appearance).
std::vector<std::vector<SlicePlan*>> GroupByPatient(std::vector<SlicePlan>& plans);

// Slices currently selected across a patient's plans.
int64_t SelectedCount(const std::vector<SlicePlan*>& patient);

// Keeps `n` of the patient's selected slices, evenly spaced along the concatenation of its
// plans' `selected` lists (plan order, then z order). n <= 0 or n >= count keeps everything.
void TrimPatientEvenly(const std::vector<SlicePlan*>& patient, int64_t n);

}  // namespace genesis

#endif  // GENESIS_PLUGINS_SAMPLER_SAMPLING_H_
