// "modality_balance" balancer: caps each modality's total slice count at the smallest
// modality's total (or target_slices_per_modality), trimming per patient.
//
//   corpus { balancer { type: "modality_balance" options {
//     [type.googleapis.com/genesis.ModalityBalanceOptions] { target_slices_per_modality: 0 } } }
//
// For an over-full modality with total T and cap C, patient p with n_p slices keeps
// floor(n_p C / T) slices, and the C - sum(floor) leftover slices go one each to the patients
// with the largest remainders (ties: earlier patient first) -- exactly C in all, never more
// than a patient had. Each patient's kept slices are spread evenly along its own slices
// (TrimPatientEvenly). No randomness: the result depends only on the plans.

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "core/sampler.h"
#include "plugins/sampler/modality_balance.pb.h"
#include "plugins/sampler/sampling.h"

namespace genesis {
namespace {

class ModalityBalance : public Sampler {
 public:
  explicit ModalityBalance(const ModalityBalanceOptions& options) : options_(options) {}

  static absl::Status Validate(const ModalityBalanceOptions& o) {
    if (o.target_slices_per_modality() < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "target_slices_per_modality: must be >= 0, got ", o.target_slices_per_modality()));
    }
    return absl::OkStatus();
  }

  absl::Status Apply(std::vector<SlicePlan>& plans, RandomStream&) const override {
    std::map<Modality, std::vector<std::vector<SlicePlan*>>> by_modality;
    for (auto& patient : GroupByPatient(plans)) {
      const Modality m = patient.front()->patient == nullptr ? Modality::kUnknown
                                                             : patient.front()->patient->modality;
      if (m == Modality::kUnknown && !options_.include_unknown()) continue;
      by_modality[m].push_back(std::move(patient));
    }
    if (by_modality.empty()) return absl::OkStatus();
    std::map<Modality, int64_t> totals;
    int64_t smallest = -1;
    for (const auto& [m, patients] : by_modality) {
      int64_t total = 0;
      for (const auto& p : patients) total += SelectedCount(p);
      totals[m] = total;
      smallest = smallest < 0 ? total : std::min(smallest, total);
    }
    const int64_t cap = options_.target_slices_per_modality() > 0
                            ? options_.target_slices_per_modality()
                            : smallest;
    for (auto& [m, patients] : by_modality) {
      const int64_t total = totals[m];
      if (total <= cap) continue;
      std::vector<int64_t> keep(patients.size());
      std::vector<std::pair<int64_t, size_t>> remainders;  // (remainder, patient order)
      int64_t assigned = 0;
      for (size_t i = 0; i < patients.size(); ++i) {
        const __int128 scaled = static_cast<__int128>(SelectedCount(patients[i])) * cap;
        keep[i] = static_cast<int64_t>(scaled / total);
        remainders.emplace_back(static_cast<int64_t>(scaled % total), i);
        assigned += keep[i];
      }
      std::stable_sort(remainders.begin(), remainders.end(),
                       [](const auto& a, const auto& b) { return a.first > b.first; });
      for (int64_t k = 0; k < cap - assigned; ++k) ++keep[remainders[k].second];
      for (size_t i = 0; i < patients.size(); ++i) {
        if (keep[i] == 0) {
          for (SlicePlan* plan : patients[i]) plan->selected.clear();
        } else {
          TrimPatientEvenly(patients[i], keep[i]);
        }
      }
    }
    return absl::OkStatus();
  }

 private:
  ModalityBalanceOptions options_;
};

}  // namespace

GENESIS_REGISTER_SAMPLER(ModalityBalance, "modality_balance", ModalityBalanceOptions,
                         "caps every modality's slices at the smallest modality's total "
                         "(per-patient proportional trimming)");

}  // namespace genesis
