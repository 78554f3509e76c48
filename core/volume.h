// Volume: the one image type every reader yields -- voxels plus physical geometry.
//
//   Volume v = ...;                       // from an ImageReader
//   float hu = v.at(x, y, z);             // CT voxels are in Hounsfield units
//   Slice s = v.AxialSlice(z);            // a 2D slice for the corpus
//
// Axes follow ITK: x = columns, y = rows, z = slices; x runs fastest in memory. Geometry is in
// ITK's LPS world convention (origin in mm, direction cosines as columns of a 3x3 matrix stored
// row-major), so world = origin + direction * (index .* spacing).
#ifndef GENESIS_CORE_VOLUME_H_
#define GENESIS_CORE_VOLUME_H_

#include <array>
#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace genesis {

enum class Modality { kUnknown = 0, kCT = 1, kMR = 2, kXRay = 3 };

// "CT", "MR", "XR" or "unknown" -- the spelling used in manifests and summaries.
absl::string_view ModalityName(Modality modality);
// Parses "CT", "MR"/"MRI", "XR"/"X-ray"/"CR"/"DX" (case-insensitive).
absl::StatusOr<Modality> ParseModality(absl::string_view text);

// The one 2D image type: single-channel float pixels with their provenance, as a slice travels
// through sampling, preprocessing, the slice store, pretext tasks and training. Pixels made
// from scratch (Slice(w, h, fill)) have no provenance: the defaults below.
struct Slice {
  int64_t width = 0;   // Columns.
  int64_t height = 0;  // Rows.
  std::vector<float> pixels;  // Row-major, height * width.
  Modality modality = Modality::kUnknown;
  int bits_stored = 0;  // Integer bit depth of the source (8, 12, 16); 0 when not integer.
  std::array<double, 2> spacing = {1.0, 1.0};
  std::string dataset;
  std::string patient_id;
  int64_t slice_index = 0;  // Index along the source volume's z axis.

  Slice() = default;
  Slice(int64_t w, int64_t h, float fill = 0.0f) : width(w), height(h), pixels(w * h, fill) {}
  float& at(int64_t x, int64_t y) { return pixels[y * width + x]; }
  float at(int64_t x, int64_t y) const { return pixels[y * width + x]; }
};

struct Volume {
  std::array<int64_t, 3> size = {0, 0, 0};  // x, y, z voxels.
  std::array<double, 3> spacing = {1.0, 1.0, 1.0};
  std::array<double, 3> origin = {0.0, 0.0, 0.0};
  std::array<double, 9> direction = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  std::vector<float> voxels;  // size[0] * size[1] * size[2], x fastest.
  Modality modality = Modality::kUnknown;
  int bits_stored = 0;  // See Slice::bits_stored.
  std::string source;   // File or series folder it came from (never a patient name).
  std::string series_uid;  // DICOM SeriesInstanceUID where known (opaque, not identifying).
  // Files of the source the reader had to leave out while still reading the rest (e.g. one
  // corrupt slice file of a DICOM series): (file, reason). Consumers must report them (the
  // corpus lists them in skipped.csv) -- they are never dropped silently.
  std::vector<std::pair<std::string, std::string>> excluded_files;

  int64_t num_voxels() const { return size[0] * size[1] * size[2]; }
  float& at(int64_t x, int64_t y, int64_t z) {
    return voxels[(z * size[1] + y) * size[0] + x];
  }
  float at(int64_t x, int64_t y, int64_t z) const {
    return voxels[(z * size[1] + y) * size[0] + x];
  }
  // Copies slice z (0 <= z < size[2]) with this volume's modality and bit depth.
  Slice AxialSlice(int64_t z) const;
  // Continuous index -> world (mm, LPS) and back.
  std::array<double, 3> IndexToWorld(const std::array<double, 3>& index) const;
  std::array<double, 3> WorldToIndex(const std::array<double, 3>& world) const;
};

}  // namespace genesis

#endif  // GENESIS_CORE_VOLUME_H_
