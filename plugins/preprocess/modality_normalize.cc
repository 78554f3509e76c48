// "modality_normalize" preprocessor: the study's per-modality intensity normalisation in one
// slot -- CT through hu_window, MR through mri_slice_max, X-ray through xray_bit_depth.
//
//   preprocessor { type: "modality_normalize" options {
//     [type.googleapis.com/genesis.ModalityNormalizeOptions] {
//       ct { min_hu: -1000 max_hu: 1400 }  xray { default_bits: 8 }  unknown: "error" } } }

#include "absl/strings/str_cat.h"
#include "core/preprocessor.h"
#include "core/status_macros.h"
#include "plugins/preprocess/intensity.h"
#include "plugins/preprocess/modality_normalize.pb.h"

namespace genesis {
namespace {

class ModalityNormalize : public Preprocessor {
 public:
  explicit ModalityNormalize(const ModalityNormalizeOptions& options) : options_(options) {}

  static absl::Status Validate(const ModalityNormalizeOptions& o) {
    GENESIS_RETURN_IF_ERROR(Annotate(ValidateHuWindow(o.ct()), "ct"));
    GENESIS_RETURN_IF_ERROR(Annotate(ValidateMriSliceMax(o.mr()), "mr"));
    GENESIS_RETURN_IF_ERROR(Annotate(ValidateXrayBitDepth(o.xray()), "xray"));
    if (o.unknown() != "error" && o.unknown() != "slice_max") {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown: must be \"error\" or \"slice_max\", got \"", o.unknown(), "\""));
    }
    return absl::OkStatus();
  }

  absl::Status Apply(Slice& slice, RandomStream&) const override {
    switch (slice.modality) {
      case Modality::kCT:
        return ApplyHuWindow(options_.ct(), slice);
      case Modality::kMR:
        return ApplyMriSliceMax(options_.mr(), slice);
      case Modality::kXRay:
        return ApplyXrayBitDepth(options_.xray(), slice);
      case Modality::kUnknown:
        break;
    }
    if (options_.unknown() == "slice_max") return ApplyMriSliceMax(options_.mr(), slice);
    return absl::InvalidArgumentError(absl::StrCat(
        slice.dataset, "/", slice.patient_id, " slice ", slice.slice_index,
        ": unknown modality; set the dataset source's modality or modality_normalize.unknown"));
  }

 private:
  ModalityNormalizeOptions options_;
};

}  // namespace

GENESIS_REGISTER_PREPROCESSOR(ModalityNormalize, "modality_normalize", ModalityNormalizeOptions,
                              "per-modality [0,1] normalisation: CT HU window, MRI slice max, "
                              "X-ray bit depth");

}  // namespace genesis
