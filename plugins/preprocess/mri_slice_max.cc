// "mri_slice_max" preprocessor: MRI: divide each 2D slice by its maximum (all-zero slices stay
// zero).
//
//   preprocessor { type: "mri_slice_max" options {
//     [type.googleapis.com/genesis.MriSliceMaxOptions] { clip_negative: true } } }

#include "core/preprocessor.h"
#include "plugins/preprocess/intensity.h"
#include "plugins/preprocess/mri_slice_max.pb.h"

namespace genesis {
namespace {

class MriSliceMax : public Preprocessor {
 public:
  explicit MriSliceMax(const MriSliceMaxOptions& options) : options_(options) {}
  static absl::Status Validate(const MriSliceMaxOptions& options) {
    return ValidateMriSliceMax(options);
  }
  absl::Status Apply(Slice& slice, RandomStream&) const override {
    return ApplyMriSliceMax(options_, slice);
  }

 private:
  MriSliceMaxOptions options_;
};

}  // namespace

GENESIS_REGISTER_PREPROCESSOR(
    MriSliceMax, "mri_slice_max", MriSliceMaxOptions,
    "MRI: divide each 2D slice by its maximum (all-zero slices stay zero)");

}  // namespace genesis
