// Context restoration (Chen et al. 2019, Medical Image Analysis 58): num_swaps times, two
// random non-overlapping patches of the same size swap their contents. The intensity
// histogram is kept, the spatial context is broken; the network restores the original.
//
//   pretext { type: "context_restoration" options {
//     [type.googleapis.com/genesis.ContextRestorationOptions] {
//       num_swaps: 10 patch_fraction: 0.1 } } }

#include <algorithm>

#include "core/pretext_task.h"
#include "core/status_macros.h"
#include "plugins/pretext/context_restoration.pb.h"
#include "plugins/pretext/pretext_util.h"

namespace genesis {
namespace {

class ContextRestoration : public PretextTask {
 public:
  explicit ContextRestoration(const ContextRestorationOptions& options) : options_(options) {}

  static absl::Status Validate(const ContextRestorationOptions& o) {
    GENESIS_RETURN_IF_ERROR(internal::CheckProbability("prob", o.prob()));
    GENESIS_RETURN_IF_ERROR(internal::CheckBetween("num_swaps", o.num_swaps(), 0, 10000));
    if (!(o.patch_fraction() > 0.0 && o.patch_fraction() <= 0.5)) {
      return absl::InvalidArgumentError(
          absl::StrCat("patch_fraction: must be in (0, 0.5], got ", o.patch_fraction()));
    }
    GENESIS_RETURN_IF_ERROR(
        internal::CheckBetween("max_placement_attempts", o.max_placement_attempts(), 1, 100000));
    return absl::OkStatus();
  }

  void Apply(Slice& input, Slice& target, RandomStream& rng) const override {
    if (!rng.Bernoulli(options_.prob())) return;
    const int64_t rows = input.height, cols = input.width;
    const int64_t side_rows =
        std::clamp<int64_t>(internal::FloorFraction(rows, options_.patch_fraction()), 1, rows);
    const int64_t side_cols =
        std::clamp<int64_t>(internal::FloorFraction(cols, options_.patch_fraction()), 1, cols);
    for (int swap = 0; swap < options_.num_swaps(); ++swap) {
      const int64_t r1 = rng.UniformInt(0, rows - side_rows);
      const int64_t c1 = rng.UniformInt(0, cols - side_cols);
      for (int attempt = 0; attempt < options_.max_placement_attempts(); ++attempt) {
        const int64_t r2 = rng.UniformInt(0, rows - side_rows);
        const int64_t c2 = rng.UniformInt(0, cols - side_cols);
        const bool overlap = r1 < r2 + side_rows && r2 < r1 + side_rows && c1 < c2 + side_cols &&
                             c2 < c1 + side_cols;
        if (overlap) continue;
        for (int64_t r = 0; r < side_rows; ++r) {
          float* a = input.pixels.data() + (r1 + r) * cols + c1;
          float* b = input.pixels.data() + (r2 + r) * cols + c2;
          std::swap_ranges(a, a + side_cols, b);
        }
        break;
      }
    }
  }

 private:
  ContextRestorationOptions options_;
};

}  // namespace
}  // namespace genesis

GENESIS_REGISTER_PRETEXT_TASK(genesis::ContextRestoration, "context_restoration",
                              genesis::ContextRestorationOptions,
                              "Chen et al. 2019 context restoration: swap pairs of small patches.");
