// Plugin kind "sampler": which slices of which patient enter the corpus.
//
//   dataset { sampler { type: "even_budget" options {
//     [type.googleapis.com/genesis.EvenBudgetOptions] { slices_per_patient: 100 } } } }
//
// A sampler edits a plan of per-patient slice selections. Per-dataset samplers see one
// dataset's plans; corpus-wide balancers see all of them. Selection is always per patient.
#ifndef GENESIS_CORE_SAMPLER_H_
#define GENESIS_CORE_SAMPLER_H_

#include <cstdint>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/status.h"
#include "core/dataset_source.h"
#include "core/random.h"
#include "core/registry.h"

namespace genesis {

struct SlicePlan {
  const PatientRecord* patient = nullptr;
  int64_t volume_index = 0;   // Which volume of the patient's files (in reading order).
  int64_t num_slices = 0;     // Slices in that volume (z extent).
  std::vector<int64_t> selected;  // Chosen z indices, ascending.
};

class Sampler {
 public:
  static constexpr absl::string_view kKind = "sampler";
  static constexpr absl::string_view kTarget = "//plugins/sampler:all";
  static constexpr absl::string_view kKindDescription =
      "chooses the slices each patient contributes (budgets, modality balance)";

  virtual ~Sampler() = default;
  // Fills or trims `plans[i].selected`. `rng` is deterministic per run seed.
  virtual absl::Status Apply(std::vector<SlicePlan>& plans, RandomStream& rng) const = 0;
};

}  // namespace genesis

#define GENESIS_REGISTER_SAMPLER(Plugin, name, Options, description) \
  GENESIS_REGISTER_PLUGIN(::genesis::Sampler, Plugin, name, Options, description)

#endif  // GENESIS_CORE_SAMPLER_H_
