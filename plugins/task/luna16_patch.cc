#include "plugins/task/luna16_patch.h"

#include <cmath>
#include <cstdio>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/file_util.h"

namespace genesis {
namespace luna16 {

absl::StatusOr<PlaneKind> ParsePlaneKind(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == "axial") return PlaneKind::kAxial;
  if (lower == "coronal") return PlaneKind::kCoronal;
  if (lower == "sagittal") return PlaneKind::kSagittal;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown plane '", name, "'; expected axial, coronal or sagittal"));
}

absl::string_view PlaneKindName(PlaneKind kind) {
  switch (kind) {
    case PlaneKind::kAxial:
      return "axial";
    case PlaneKind::kCoronal:
      return "coronal";
    case PlaneKind::kSagittal:
      return "sagittal";
  }
  return "?";
}

absl::StatusOr<std::array<double, 3>> ContinuousIndex(const Volume& volume,
                                                      const std::array<double, 3>& world) {
  // A = D * diag(spacing); solve A * index = world - origin by Cramer's rule.
  double a[3][3];
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) a[r][c] = volume.direction[r * 3 + c] * volume.spacing[c];
  }
  const double det = a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) -
                     a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
                     a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
  if (!(std::fabs(det) > 1e-12) || !std::isfinite(det)) {
    return absl::InvalidArgumentError(
        absl::StrCat(volume.source, ": direction * spacing is singular (det ", det,
                     "); cannot map world coordinates to voxels"));
  }
  const double b[3] = {world[0] - volume.origin[0], world[1] - volume.origin[1],
                       world[2] - volume.origin[2]};
  std::array<double, 3> index;
  for (int k = 0; k < 3; ++k) {
    double m[3][3];
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 3; ++c) m[r][c] = c == k ? b[r] : a[r][c];
    }
    const double dk = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                      m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                      m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    index[k] = dk / det;
  }
  return index;
}

std::array<int64_t, 3> RoundIndex(const std::array<double, 3>& index) {
  return {static_cast<int64_t>(std::floor(index[0] + 0.5)),
          static_cast<int64_t>(std::floor(index[1] + 0.5)),
          static_cast<int64_t>(std::floor(index[2] + 0.5))};
}

void NativePlane(const Volume& volume, const std::array<int64_t, 3>& centre, PlaneKind kind,
                 int size, float* out) {
  // Column axis a, row axis b; the third axis is fixed at the centre.
  int a = 0, b = 1, fixed = 2;
  if (kind == PlaneKind::kCoronal) b = 2, fixed = 1;
  if (kind == PlaneKind::kSagittal) a = 1, b = 2, fixed = 0;
  const int64_t half = size / 2;
  const int64_t nx = volume.size[0], ny = volume.size[1];
  std::fill(out, out + static_cast<int64_t>(size) * size, kOutsideHu);
  if (centre[fixed] < 0 || centre[fixed] >= volume.size[fixed]) return;
  const int64_t stride[3] = {1, nx, nx * ny};
  // Valid column and row ranges (inside the volume).
  const int64_t c0 = std::max<int64_t>(0, half - centre[a]);
  const int64_t c1 = std::min<int64_t>(size, volume.size[a] - centre[a] + half);
  const int64_t r0 = std::max<int64_t>(0, half - centre[b]);
  const int64_t r1 = std::min<int64_t>(size, volume.size[b] - centre[b] + half);
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t ib = centre[b] - half + r;
    const float* src = volume.voxels.data() + centre[fixed] * stride[fixed] + ib * stride[b] +
                       (centre[a] - half) * stride[a];
    float* dst = out + r * size;
    if (stride[a] == 1) {
      std::memcpy(dst + c0, src + c0, sizeof(float) * (c1 - c0));
    } else {
      for (int64_t c = c0; c < c1; ++c) dst[c] = src[c * stride[a]];
    }
  }
}

std::vector<float> NativePlanes(const Volume& volume, const std::array<int64_t, 3>& centre,
                                int size) {
  const int64_t area = static_cast<int64_t>(size) * size;
  std::vector<float> planes(3 * area);
  for (int p = 0; p < 3; ++p) {
    NativePlane(volume, centre, static_cast<PlaneKind>(p), size, planes.data() + p * area);
  }
  return planes;
}

PlaneAugmentation DrawAugmentation(const AugmentationRanges& ranges, RandomStream& rng) {
  PlaneAugmentation aug;
  aug.rotation_rad = (2.0 * rng.Uniform() - 1.0) * ranges.max_rotation_deg * M_PI / 180.0;
  aug.zoom = ranges.zoom_min + rng.Uniform() * (ranges.zoom_max - ranges.zoom_min);
  aug.flip_columns = rng.Bernoulli(ranges.flip_probability);
  aug.flip_rows = rng.Bernoulli(ranges.flip_probability);
  for (double& s : aug.shift_mm) s = (2.0 * rng.Uniform() - 1.0) * ranges.max_translation_mm;
  return aug;
}

PlaneOrientation OrientationOf(PlaneKind kind) {
  switch (kind) {
    case PlaneKind::kAxial:
      return {{1, 0, 0}, {0, 1, 0}};
    case PlaneKind::kCoronal:
      return {{1, 0, 0}, {0, 0, 1}};
    case PlaneKind::kSagittal:
      return {{0, 1, 0}, {0, 0, 1}};
  }
  return {};
}

PlaneOrientation RandomOrientation(RandomStream& rng) {
  // Uniform random rotation from a uniform unit quaternion (Shoemake 1992).
  const double u1 = rng.Uniform(), u2 = rng.Uniform(), u3 = rng.Uniform();
  const double w = std::sqrt(1 - u1) * std::sin(2 * M_PI * u2);
  const double x = std::sqrt(1 - u1) * std::cos(2 * M_PI * u2);
  const double y = std::sqrt(u1) * std::sin(2 * M_PI * u3);
  const double z = std::sqrt(u1) * std::cos(2 * M_PI * u3);
  PlaneOrientation o;
  o.u = {1 - 2 * (y * y + z * z), 2 * (x * y + w * z), 2 * (x * z - w * y)};
  o.v = {2 * (x * y - w * z), 1 - 2 * (x * x + z * z), 2 * (y * z + w * x)};
  return o;
}

namespace {

inline float Voxel(const Volume& v, int64_t x, int64_t y, int64_t z) {
  if (x < 0 || y < 0 || z < 0 || x >= v.size[0] || y >= v.size[1] || z >= v.size[2]) {
    return kOutsideHu;
  }
  return v.voxels[(z * v.size[1] + y) * v.size[0] + x];
}

inline int64_t FastFloor(double v) {
  const int64_t i = static_cast<int64_t>(v);
  return i - (v < static_cast<double>(i));
}

inline float Trilinear(const Volume& v, double x, double y, double z) {
  const int64_t ix = FastFloor(x), iy = FastFloor(y), iz = FastFloor(z);
  const float tx = static_cast<float>(x - static_cast<double>(ix)),
              ty = static_cast<float>(y - static_cast<double>(iy)),
              tz = static_cast<float>(z - static_cast<double>(iz));
  float c[2][2][2];
  if (static_cast<uint64_t>(ix) < static_cast<uint64_t>(v.size[0] - 1) &&
      static_cast<uint64_t>(iy) < static_cast<uint64_t>(v.size[1] - 1) &&
      static_cast<uint64_t>(iz) < static_cast<uint64_t>(v.size[2] - 1)) {
    const int64_t sy = v.size[0], sz = v.size[0] * v.size[1];
    const float* p = v.voxels.data() + iz * sz + iy * sy + ix;
    c[0][0][0] = p[0], c[0][0][1] = p[1], c[0][1][0] = p[sy], c[0][1][1] = p[sy + 1];
    c[1][0][0] = p[sz], c[1][0][1] = p[sz + 1], c[1][1][0] = p[sz + sy],
    c[1][1][1] = p[sz + sy + 1];
  } else {
    for (int dz = 0; dz < 2; ++dz) {
      for (int dy = 0; dy < 2; ++dy) {
        for (int dx = 0; dx < 2; ++dx) c[dz][dy][dx] = Voxel(v, ix + dx, iy + dy, iz + dz);
      }
    }
  }
  // Exact at integer positions: weights 1 and 0 (0 * finite = 0).
  const float c00 = c[0][0][0] * (1 - tx) + c[0][0][1] * tx;
  const float c01 = c[0][1][0] * (1 - tx) + c[0][1][1] * tx;
  const float c10 = c[1][0][0] * (1 - tx) + c[1][0][1] * tx;
  const float c11 = c[1][1][0] * (1 - tx) + c[1][1][1] * tx;
  const float c0 = c00 * (1 - ty) + c01 * ty;
  const float c1 = c10 * (1 - ty) + c11 * ty;
  return c0 * (1 - tz) + c1 * tz;
}

}  // namespace

void SamplePlane(const Volume& volume, const PlaneSpec& spec, int size, float* out) {
  const PlaneAugmentation& aug = spec.augmentation;
  // M = R(theta) * F / zoom maps pixel offsets (mm, before augmentation) to plane mm offsets.
  const double cs = std::cos(aug.rotation_rad) / aug.zoom;
  const double sn = std::sin(aug.rotation_rad) / aug.zoom;
  const double fc = aug.flip_columns ? -1.0 : 1.0, fr = aug.flip_rows ? -1.0 : 1.0;
  const double m00 = cs * fc, m01 = -sn * fr, m10 = sn * fc, m11 = cs * fr;
  const auto& u = spec.orientation.u;
  const auto& v = spec.orientation.v;
  // Per-pixel steps in mm (scan frame) and in voxels.
  std::array<double, 3> du_mm, dv_mm, du, dv, c0;
  for (int k = 0; k < 3; ++k) {
    du_mm[k] = spec.pixel_mm_u * (m00 * u[k] + m10 * v[k]);
    dv_mm[k] = spec.pixel_mm_v * (m01 * u[k] + m11 * v[k]);
    du[k] = du_mm[k] / volume.spacing[k];
    dv[k] = dv_mm[k] / volume.spacing[k];
    c0[k] = spec.centre[k] + aug.shift_mm[k] / volume.spacing[k];
  }
  const double half = size / 2;
  const double limit = spec.cube_half_mm;
  for (int r = 0; r < size; ++r) {
    const double dr = r - half;
    float* row = out + static_cast<int64_t>(r) * size;
    if (limit > 0) {
      for (int c = 0; c < size; ++c) {
        const double dc = c - half;
        bool outside = false;
        for (int k = 0; k < 3; ++k) {
          const double mm = aug.shift_mm[k] + dc * du_mm[k] + dr * dv_mm[k];
          outside |= std::fabs(mm) > limit;
        }
        row[c] = outside ? kOutsideHu
                         : Trilinear(volume, c0[0] + dc * du[0] + dr * dv[0],
                                     c0[1] + dc * du[1] + dr * dv[1],
                                     c0[2] + dc * du[2] + dr * dv[2]);
      }
      continue;
    }
    // Row start, then one step of du per pixel (exact for integer steps).
    double x = c0[0] - half * du[0] + dr * dv[0];
    double y = c0[1] - half * du[1] + dr * dv[1];
    double z = c0[2] - half * du[2] + dr * dv[2];
    for (int c = 0; c < size; ++c, x += du[0], y += du[1], z += du[2]) {
      row[c] = Trilinear(volume, x, y, z);
    }
  }
}

void ApplyWindow(const HuWindow& window, float* pixels, int64_t count) {
  for (int64_t i = 0; i < count; ++i) pixels[i] = window.Apply(pixels[i]);
}

absl::Status WriteNpyFloat32(const std::string& path, const std::vector<int64_t>& shape,
                             const std::vector<float>& values) {
  int64_t count = 1;
  for (int64_t n : shape) count *= n;
  if (count != static_cast<int64_t>(values.size())) {
    return absl::InternalError(absl::StrCat(path, ": shape holds ", count, " values, got ",
                                            values.size()));
  }
  std::string dict = absl::StrCat("{'descr': '<f4', 'fortran_order': False, 'shape': (",
                                  absl::StrJoin(shape, ", "), shape.size() == 1 ? ",), }" : "), }");
  // Magic (6) + version (2) + header length (2) + dict + padding + '\n' is a multiple of 64.
  const size_t unpadded = 10 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict.push_back('\n');
  std::string bytes("\x93NUMPY\x01\x00", 8);
  bytes.push_back(static_cast<char>(dict.size() & 0xff));
  bytes.push_back(static_cast<char>(dict.size() >> 8));
  bytes += dict;
  static_assert(sizeof(float) == 4, "float32");
  bytes.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
  return WriteFileAtomically(path, bytes);
}

}  // namespace luna16
}  // namespace genesis
