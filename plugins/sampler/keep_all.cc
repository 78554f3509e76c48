// "keep_all" sampler: every slice of every patient.
//
//   dataset { sampler { type: "keep_all" } }

#include "core/sampler.h"
#include "plugins/sampler/keep_all.pb.h"

namespace genesis {
namespace {

class KeepAll : public Sampler {
 public:
  explicit KeepAll(const KeepAllOptions&) {}
  // Restores the full selection (0..num_slices-1) of every plan.
  absl::Status Apply(std::vector<SlicePlan>& plans, RandomStream&) const override {
    for (SlicePlan& plan : plans) {
      plan.selected.resize(plan.num_slices);
      for (int64_t z = 0; z < plan.num_slices; ++z) plan.selected[z] = z;
    }
    return absl::OkStatus();
  }
};

}  // namespace

GENESIS_REGISTER_SAMPLER(KeepAll, "keep_all", KeepAllOptions, "every slice of every patient");

}  // namespace genesis
