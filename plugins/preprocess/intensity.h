// Intensity normalisations shared by hu_window, mri_slice_max, xray_bit_depth and
// modality_normalize (DESIGN §3). Each maps a slice into [0,1] in place.
//
//   GENESIS_RETURN_IF_ERROR(ApplyHuWindow(options, slice));
#ifndef GENESIS_PLUGINS_PREPROCESS_INTENSITY_H_
#define GENESIS_PLUGINS_PREPROCESS_INTENSITY_H_

#include "absl/status/status.h"
#include "core/volume.h"
#include "plugins/preprocess/hu_window.pb.h"
#include "plugins/preprocess/mri_slice_max.pb.h"
#include "plugins/preprocess/xray_bit_depth.pb.h"

namespace genesis {

absl::Status ValidateHuWindow(const HuWindowOptions& options);
absl::Status ValidateMriSliceMax(const MriSliceMaxOptions& options);
absl::Status ValidateXrayBitDepth(const XrayBitDepthOptions& options);

// clip(x, min, max) then (x - min) / (max - min).
absl::Status ApplyHuWindow(const HuWindowOptions& options, Slice& slice);
// x / max(slice); an all-zero (or all-negative with clip_negative) slice stays zero.
absl::Status ApplyMriSliceMax(const MriSliceMaxOptions& options, Slice& slice);
// clip(x / (2^bits - 1), 0, 1) with bits from the options or the slice.
absl::Status ApplyXrayBitDepth(const XrayBitDepthOptions& options, Slice& slice);

}  // namespace genesis

#endif  // GENESIS_PLUGINS_PREPROCESS_INTENSITY_H_
