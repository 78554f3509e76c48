// Patch extraction around a world-space point of a CT volume: the one implementation behind the
// "luna16" task's cache, `genesis patch` and `genesis bench luna16_patch`.
//
//   GENESIS_ASSIGN_OR_RETURN(std::array<double, 3> index, ContinuousIndex(volume, world_mm));
//   std::vector<float> planes = NativePlanes(volume, RoundIndex(index), 64);  // 3 x 64 x 64 HU
//
// Geometry (ITK, LPS): world = origin + D * (spacing .* index), D's columns the image axes.
// ContinuousIndex inverts that 3x3 map exactly (no orthonormality assumed).
//
// Native planes (numpy order V[z, y, x], centre (i, j, k) = the rounded index, s = size):
//   plane 0 axial     V[k, j-s/2 : j+s/2, i-s/2 : i+s/2]   rows y, columns x
//   plane 1 coronal   V[k-s/2 : k+s/2, j, i-s/2 : i+s/2]   rows z, columns x
//   plane 2 sagittal  V[k-s/2 : k+s/2, j-s/2 : j+s/2, i]   rows z, columns y
// Voxels outside the volume read as kOutsideHu (-1000 HU, air).
//
// Resampled / rotated / augmented planes are drawn with PlaneSampler: pixel (c, r) of a plane
// lies at mm offset M * ((c - s/2) * pixel_mm, (r - s/2) * pixel_mm) from the centre along two
// orthonormal directions U, V of the scan's axis-aligned mm frame; M holds flips, rotation and
// zoom. Values are trilinear; with the identity M, native pixel size and an integer centre it
// reproduces NativePlanes exactly.
#ifndef GENESIS_PLUGINS_TASK_LUNA16_PATCH_H_
#define GENESIS_PLUGINS_TASK_LUNA16_PATCH_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/random.h"
#include "core/volume.h"

namespace genesis {
namespace luna16 {

inline constexpr float kOutsideHu = -1000.0f;

using Vec3 = std::array<double, 3>;

enum class PlaneKind { kAxial = 0, kCoronal = 1, kSagittal = 2 };
// "axial" / "coronal" / "sagittal".
absl::StatusOr<PlaneKind> ParsePlaneKind(absl::string_view name);
absl::string_view PlaneKindName(PlaneKind kind);

// Continuous voxel index (x, y, z) of a world point (mm); InvalidArgument when the volume's
// direction * spacing matrix is singular.
absl::StatusOr<std::array<double, 3>> ContinuousIndex(const Volume& volume,
                                                      const std::array<double, 3>& world);
// Rounded half up: floor(x + 0.5) per axis.
std::array<int64_t, 3> RoundIndex(const std::array<double, 3>& index);

// One native-grid plane (HU, size x size, row-major) through voxel `centre`.
void NativePlane(const Volume& volume, const std::array<int64_t, 3>& centre, PlaneKind kind,
                 int size, float* out);
// The three native planes, axial / coronal / sagittal: 3 * size * size HU.
std::vector<float> NativePlanes(const Volume& volume, const std::array<int64_t, 3>& centre,
                                int size);

// In-plane augmentation of one view. Identity by default.
struct PlaneAugmentation {
  double rotation_rad = 0.0;
  double zoom = 1.0;           // > 1 magnifies.
  bool flip_columns = false;   // Horizontal flip.
  bool flip_rows = false;      // Vertical flip.
  std::array<double, 3> shift_mm = {0.0, 0.0, 0.0};  // Along the scan's x, y, z axes.
};

// Draws an augmentation: rotation uniform in [-max_rotation_deg, max_rotation_deg], zoom
// uniform in [zoom_min, zoom_max], each flip with flip_probability, shift uniform in
// [-max_translation_mm, max_translation_mm] per axis.
struct AugmentationRanges {
  double zoom_min = 0.9, zoom_max = 1.1;
  double max_rotation_deg = 180.0;
  double max_translation_mm = 1.0;
  double flip_probability = 0.5;
};
PlaneAugmentation DrawAugmentation(const AugmentationRanges& ranges, RandomStream& rng);

// A plane's orientation: orthonormal directions (columns U, rows V) in the scan's
// axis-aligned mm frame.
struct PlaneOrientation {
  std::array<double, 3> u = {1, 0, 0};
  std::array<double, 3> v = {0, 1, 0};
};
PlaneOrientation OrientationOf(PlaneKind kind);
// Uniformly random orientation (a random rotation of the axial plane).
PlaneOrientation RandomOrientation(RandomStream& rng);

struct PlaneSpec {
  std::array<double, 3> centre = {0, 0, 0};  // Continuous voxel index.
  PlaneOrientation orientation;
  // Pixel size in mm along U and V (for native planes: the spacing of those axes).
  double pixel_mm_u = 1.0, pixel_mm_v = 1.0;
  PlaneAugmentation augmentation;
  // > 0: samples farther than this (mm, per scan axis) from the centre -- outside the cube
  // of Method 2 -- read as kOutsideHu.
  double cube_half_mm = 0.0;
};

// Trilinear plane sampling (HU, size x size, row-major); outside the volume = kOutsideHu.
void SamplePlane(const Volume& volume, const PlaneSpec& spec, int size, float* out);

// HU -> [0, 1]: (clamp(hu, min, max) - min) / (max - min).
struct HuWindow {
  float min = -1000.0f, max = 1400.0f;
  float Apply(float hu) const {
    const float c = hu < min ? min : (hu > max ? max : hu);
    return (c - min) / (max - min);
  }
};
void ApplyWindow(const HuWindow& window, float* pixels, int64_t count);

// Writes a float32 C-order .npy file of `shape` (product = values.size()).
absl::Status WriteNpyFloat32(const std::string& path, const std::vector<int64_t>& shape,
                             const std::vector<float>& values);

}  // namespace luna16
}  // namespace genesis

#endif  // GENESIS_PLUGINS_TASK_LUNA16_PATCH_H_
