#include "core/volume.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace genesis {

absl::string_view ModalityName(Modality modality) {
  switch (modality) {
    case Modality::kCT:
      return "CT";
    case Modality::kMR:
      return "MR";
    case Modality::kXRay:
      return "XR";
    case Modality::kUnknown:
      break;
  }
  return "unknown";
}

absl::StatusOr<Modality> ParseModality(absl::string_view text) {
  const std::string t = absl::AsciiStrToUpper(text);
  if (t == "CT") return Modality::kCT;
  if (t == "MR" || t == "MRI") return Modality::kMR;
  if (t == "XR" || t == "X-RAY" || t == "XRAY" || t == "CR" || t == "DX") return Modality::kXRay;
  if (t == "UNKNOWN" || t.empty()) return Modality::kUnknown;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown modality '", text, "'; expected CT, MR or XR"));
}

Slice Volume::AxialSlice(int64_t z) const {
  Slice slice;
  slice.width = size[0];
  slice.height = size[1];
  const int64_t plane = size[0] * size[1];
  slice.pixels.assign(voxels.begin() + z * plane, voxels.begin() + (z + 1) * plane);
  slice.modality = modality;
  slice.bits_stored = bits_stored;
  slice.spacing = {spacing[0], spacing[1]};
  slice.slice_index = z;
  return slice;
}

std::array<double, 3> Volume::IndexToWorld(const std::array<double, 3>& index) const {
  std::array<double, 3> world = origin;
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) world[r] += direction[r * 3 + c] * index[c] * spacing[c];
  }
  return world;
}

std::array<double, 3> Volume::WorldToIndex(const std::array<double, 3>& world) const {
  // Direction is orthonormal: its inverse is its transpose.
  std::array<double, 3> d = {world[0] - origin[0], world[1] - origin[1], world[2] - origin[2]};
  std::array<double, 3> index = {0, 0, 0};
  for (int c = 0; c < 3; ++c) {
    double v = 0;
    for (int r = 0; r < 3; ++r) v += direction[r * 3 + c] * d[r];
    index[c] = v / spacing[c];
  }
  return index;
}

}  // namespace genesis
