// "even_budget" sampler: each patient contributes slices_per_patient slices spread evenly over
// its whole extent (see EvenlySpaced in sampling.h: N of T -> round(i (T-1) / (N-1))).
//
//   dataset { sampler { type: "even_budget" options {
//     [type.googleapis.com/genesis.EvenBudgetOptions] { slices_per_patient: 100 } } } }
//
// A patient's volumes (or 2D images) count as one sequence in reading order, so a budget of
// 20 over 50 chest X-rays of one patient takes 20 images spread over the 50.

#include "absl/strings/str_cat.h"
#include "core/sampler.h"
#include "plugins/sampler/even_budget.pb.h"
#include "plugins/sampler/sampling.h"

namespace genesis {
namespace {

class EvenBudget : public Sampler {
 public:
  explicit EvenBudget(const EvenBudgetOptions& options) : options_(options) {}

  static absl::Status Validate(const EvenBudgetOptions& o) {
    if (o.slices_per_patient() < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("slices_per_patient: must be >= 0, got ", o.slices_per_patient()));
    }
    return absl::OkStatus();
  }

  absl::Status Apply(std::vector<SlicePlan>& plans, RandomStream&) const override {
    for (const auto& patient : GroupByPatient(plans)) {
      TrimPatientEvenly(patient, options_.slices_per_patient());
    }
    return absl::OkStatus();
  }

 private:
  EvenBudgetOptions options_;
};

}  // namespace

GENESIS_REGISTER_SAMPLER(EvenBudget, "even_budget", EvenBudgetOptions,
                         "slices_per_patient slices per patient, spread evenly along its "
                         "volumes");

}  // namespace genesis
