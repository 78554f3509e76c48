#include "plugins/preprocess/intensity.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace genesis {
namespace {

std::string Describe(const Slice& slice) {
  return absl::StrCat(slice.dataset, "/", slice.patient_id, " slice ", slice.slice_index);
}

}  // namespace

absl::Status ValidateHuWindow(const HuWindowOptions& o) {
  if (!(o.max_hu() > o.min_hu())) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_hu: must be > min_hu (", o.min_hu(), "), got ", o.max_hu()));
  }
  return absl::OkStatus();
}

absl::Status ValidateMriSliceMax(const MriSliceMaxOptions&) { return absl::OkStatus(); }

absl::Status ValidateXrayBitDepth(const XrayBitDepthOptions& o) {
  if (o.bits_stored() < 0 || o.bits_stored() > 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("bits_stored: must be in [0, 32], got ", o.bits_stored()));
  }
  if (o.default_bits() < 1 || o.default_bits() > 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("default_bits: must be in [1, 32], got ", o.default_bits()));
  }
  return absl::OkStatus();
}

absl::Status ApplyHuWindow(const HuWindowOptions& o, Slice& slice) {
  const float lo = o.min_hu();
  const float hi = o.max_hu();
  const float scale = 1.0f / (hi - lo);
  for (float& v : slice.pixels) {
    if (std::isnan(v)) {
      return absl::InvalidArgumentError(absl::StrCat(Describe(slice), ": NaN pixel"));
    }
    v = (std::min(hi, std::max(lo, v)) - lo) * scale;
  }
  return absl::OkStatus();
}

absl::Status ApplyMriSliceMax(const MriSliceMaxOptions& o, Slice& slice) {
  float max = 0.0f;
  for (float& v : slice.pixels) {
    if (std::isnan(v)) {
      return absl::InvalidArgumentError(absl::StrCat(Describe(slice), ": NaN pixel"));
    }
    if (o.clip_negative() && v < 0.0f) v = 0.0f;
    max = std::max(max, v);
  }
  if (max <= 0.0f) {
    std::fill(slice.pixels.begin(), slice.pixels.end(), 0.0f);
    return absl::OkStatus();
  }
  const float scale = 1.0f / max;
  for (float& v : slice.pixels) v *= scale;
  return absl::OkStatus();
}

absl::Status ApplyXrayBitDepth(const XrayBitDepthOptions& o, Slice& slice) {
  const int bits = o.bits_stored() > 0     ? o.bits_stored()
                   : slice.bits_stored > 0 ? slice.bits_stored
                                           : o.default_bits();
  const double max_value = std::ldexp(1.0, bits) - 1.0;
  const float scale = static_cast<float>(1.0 / max_value);
  for (float& v : slice.pixels) {
    if (std::isnan(v)) {
      return absl::InvalidArgumentError(absl::StrCat(Describe(slice), ": NaN pixel"));
    }
    v = std::min(1.0f, std::max(0.0f, v * scale));
  }
  return absl::OkStatus();
}

}  // namespace genesis
