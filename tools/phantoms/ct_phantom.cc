#include "tools/phantoms/ct_phantom.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/random.h"
#include "tools/phantoms/phantom_random.h"

namespace genesis {
namespace phantoms {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kAirHu = -1000, kFatHu = -100, kSoftHu = 40, kBloodHu = 40, kLiverHu = 60;
constexpr double kCortexHu = 900, kMarrowHu = 300, kLungHu = -850;
constexpr double kNoiseHu = 20;
constexpr double kRibInner = 0.865;  // Elliptic body radius where the ribs begin.

Vec3 Add(const Vec3& a, const Vec3& b) { return {a[0] + b[0], a[1] + b[1], a[2] + b[2]}; }
Vec3 Sub(const Vec3& a, const Vec3& b) { return {a[0] - b[0], a[1] - b[1], a[2] - b[2]}; }
Vec3 Scale(const Vec3& a, double s) { return {a[0] * s, a[1] * s, a[2] * s}; }
double Dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
double Norm(const Vec3& a) { return std::sqrt(Dot(a, a)); }
Vec3 Normalize(const Vec3& a) { return Scale(a, 1.0 / Norm(a)); }
Vec3 Cross(const Vec3& a, const Vec3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
double Sq(double x) { return x * x; }
double Clamp01(double x) { return std::min(1.0, std::max(0.0, x)); }

// A unit vector perpendicular to `d`.
Vec3 Perpendicular(const Vec3& d) {
  const Vec3 helper = std::fabs(d[0]) < 0.9 ? Vec3{1, 0, 0} : Vec3{0, 1, 0};
  return Normalize(Cross(d, helper));
}

// `d` tilted by `angle` towards the perpendicular at azimuth `azimuth`.
Vec3 Tilt(const Vec3& d, double angle, double azimuth) {
  const Vec3 u = Perpendicular(d), v = Cross(d, u);
  const Vec3 side = Add(Scale(u, std::cos(azimuth)), Scale(v, std::sin(azimuth)));
  return Normalize(Add(Scale(d, std::cos(angle)), Scale(side, std::sin(angle))));
}

// ------------------------------------------------------------------------------------------
// Anatomy in body-local millimetres q = world - body centre (x: patient's left, y: posterior,
// z: superior -- LPS).
// ------------------------------------------------------------------------------------------
struct Wave {
  Vec3 k;  // rad/mm
  double phase, amplitude;
};

class Anatomy {
 public:
  Anatomy(const CtGeometry& g, PhantomRandom& rng) {
    const double fx = g.dims[0] * g.spacing[0], fy = g.dims[1] * g.spacing[1];
    const double fz = g.dims[2] * g.spacing[2];
    const double fov = std::min(fx, fy);
    a_ = 0.42 * fov * rng.Uniform(0.95, 1.04);
    b_ = 0.33 * fov * rng.Uniform(0.93, 1.05);
    mean_ = std::sqrt(a_ * b_);
    fat_ = rng.Uniform(0.06, 0.09);  // In elliptic-radius units.
    lung_cx_ = 0.47 * a_;
    lung_ax_ = 0.38 * a_ * rng.Uniform(0.97, 1.02);
    lung_cy_ = rng.Uniform(-0.03, 0.03) * b_;
    lung_by_ = 0.76 * b_ * rng.Uniform(0.95, 1.02);
    heart_c_ = {rng.Uniform(0.04, 0.12) * a_, -0.22 * b_};
    heart_ax_ = 0.27 * a_ * rng.Uniform(0.9, 1.1);
    heart_by_ = 0.42 * b_ * rng.Uniform(0.9, 1.05);
    spine_cy_ = 0.70 * b_;
    spine_r_ = 0.15 * b_;
    lung_zlo_ = -0.44 * fz;
    lung_zhi_ = 0.44 * fz;
    rib_pitch_ = rng.Uniform(9.0, 12.0);
    rib_phase_ = rng.Uniform(0, 1);
    for (Wave& w : waves_) {
      const double wavelength = rng.Uniform(5.0, 14.0);
      w.k = Scale(rng.UnitVector(), 2 * kPi / wavelength);
      w.phase = rng.Uniform(0, 2 * kPi);
      w.amplitude = rng.Uniform(5.0, 12.0);
    }
  }

  double lung_zlo() const { return lung_zlo_; }
  double lung_zhi() const { return lung_zhi_; }
  double lung_cx() const { return lung_cx_; }
  double lung_cy() const { return lung_cy_; }
  double lung_ax() const { return lung_ax_; }
  double b() const { return b_; }

  // 0 outside the lungs, -1 right lung (x < 0), +1 left lung.
  int LungSide(const Vec3& q) const {
    const double z = q[2];
    if (z > lung_zhi_) return 0;
    const double side = q[0] < 0 ? -1 : 1;
    if (Sq(q[0] / a_) + Sq(q[1] / b_) > Sq(kRibInner - 0.01)) return 0;  // Inside the ribs.
    // Apex: the lung cross-section shrinks towards the top.
    const double t = Clamp01((z - lung_zlo_) / (lung_zhi_ - lung_zlo_));
    const double s = 1.0 - 0.35 * t * t;
    const double e =
        Sq((q[0] - side * lung_cx_) / (lung_ax_ * s)) + Sq((q[1] - lung_cy_) / (lung_by_ * s));
    if (e >= 1.0) return 0;
    // Diaphragm: a dome rising towards each lung's centre.
    if (z < lung_zlo_ + 10.0 * (1.0 - e)) return 0;
    if (Sq((q[0] - heart_c_[0]) / (heart_ax_ + 1.5)) +
            Sq((q[1] - heart_c_[1]) / (heart_by_ + 1.5)) <
        1.0) {
      return 0;
    }
    if (Sq(q[0]) + Sq(q[1] - spine_cy_) < Sq(spine_r_ + 3.0)) return 0;
    return static_cast<int>(side);
  }

  // HU of the anatomy without vessels and nodules, before blur and noise.
  double BaseHu(const Vec3& q) const {
    const double e = Sq(q[0] / a_) + Sq(q[1] / b_);
    if (e >= 1.0) return kAirHu;
    const double rho = std::sqrt(e);
    if (rho > 1.0 - fat_) return kFatHu + 15.0 * std::sin(0.9 * q[2] + 3 * q[0] / a_);
    if (const double bone = BoneHu(q, rho); bone != 0) return bone;
    if (const int side = LungSide(q); side != 0) {
      double hu = kLungHu + 35.0 * q[1] / b_;  // Denser posteriorly (gravity).
      for (const Wave& w : waves_) hu += w.amplitude * std::sin(Dot(w.k, q) + w.phase);
      return hu;
    }
    if (q[2] < lung_zlo_ + 6.0 && q[0] < 0.2 * a_) return kLiverHu;  // Liver dome below.
    return kSoftHu;
  }

 private:
  // Cortical rim / marrow of a bone whose surface lies `depth_mm` away (inside).
  static double Bone(double depth_mm) { return depth_mm < 0.9 ? kCortexHu : kMarrowHu; }

  // Non-zero inside a bone.
  double BoneHu(const Vec3& q, double rho) const {
    // Vertebral body and the arch around the spinal canal.
    const double dv = std::sqrt(Sq(q[0]) + Sq(q[1] - spine_cy_));
    if (dv < spine_r_) return Bone(spine_r_ - dv);
    const double canal_y = spine_cy_ + 1.55 * spine_r_;
    const double dc = std::sqrt(Sq(q[0]) + Sq(q[1] - canal_y));
    if (dc < 0.5 * spine_r_) return 20.0;  // Spinal canal.
    if (dc < 0.85 * spine_r_ && q[1] < b_ * (1.0 - fat_) - 1.0) {
      return Bone(std::min(dc - 0.5 * spine_r_, 0.85 * spine_r_ - dc));
    }
    // Sternum.
    const double se = Sq(q[0] / (0.12 * a_)) + Sq((q[1] + b_ * (0.93 - fat_)) / (0.06 * b_));
    if (se < 1.0) return Bone((1.0 - std::sqrt(se)) * 0.06 * b_);
    // Ribs: bands in the chest wall, sloping down anteriorly, with a cartilage gap at the front.
    const double lo = kRibInner, hi = kRibInner + 0.05;
    if (rho > lo && rho < hi && !(q[1] < -0.55 * b_ && std::fabs(q[0]) < 0.38 * a_)) {
      const double w = (q[2] + 10.0 * q[1] / b_) / rib_pitch_ + rib_phase_;
      const double frac = w - std::floor(w);
      const double width = 0.42;
      if (frac < width) {
        const double depth = std::min(rho - lo, hi - rho) * mean_;
        const double along = std::min(frac, width - frac) * rib_pitch_;
        return Bone(std::min(depth, along));
      }
    }
    return 0.0;
  }

  double a_, b_, mean_, fat_;
  double lung_cx_, lung_ax_, lung_cy_, lung_by_, lung_zlo_, lung_zhi_;
  std::array<double, 2> heart_c_;
  double heart_ax_, heart_by_, spine_cy_, spine_r_;
  double rib_pitch_, rib_phase_;
  std::array<Wave, 4> waves_;
};

// ------------------------------------------------------------------------------------------
// Vessel trees.
// ------------------------------------------------------------------------------------------
struct Segment {
  Vec3 p0, p1;  // Body-local mm.
  double r0, r1;
  bool branches_at_end = false;
};

struct VesselTree {
  std::vector<Segment> segments;
};

void GrowVessel(const Anatomy& anatomy, int side, const Vec3& start, const Vec3& dir, double r,
                double length, int depth, PhantomRandom& rng, VesselTree* tree) {
  Vec3 end = Add(start, Scale(dir, length));
  // Keep inside this lung: shorten once, then give up.
  if (anatomy.LungSide(end) != side ||
      anatomy.LungSide(Add(start, Scale(dir, 0.5 * length))) != side) {
    length *= 0.5;
    end = Add(start, Scale(dir, length));
    if (anatomy.LungSide(end) != side) return;
  }
  const double r_end = r * rng.Uniform(0.86, 0.95);
  tree->segments.push_back({start, end, r, r_end, false});
  const size_t me = tree->segments.size() - 1;
  if (depth >= 7 || r_end * 0.8 < 0.35) return;
  const int children = rng.Bernoulli(0.15) ? 3 : 2;
  const double azimuth = rng.Uniform(0, 2 * kPi);
  tree->segments[me].branches_at_end = true;
  for (int c = 0; c < children; ++c) {
    const double angle = rng.Uniform(20, 48) * kPi / 180;
    const double az = azimuth + c * 2 * kPi / children + rng.Uniform(-0.4, 0.4);
    const Vec3 child_dir = Tilt(dir, angle, az);
    GrowVessel(anatomy, side, end, child_dir, r_end * rng.Uniform(0.72, 0.86),
               length * rng.Uniform(0.72, 0.92), depth + 1, rng, tree);
  }
}

VesselTree GrowVesselTrees(const Anatomy& anatomy, PhantomRandom& rng) {
  VesselTree tree;
  for (int side : {-1, 1}) {
    // Hilum: the most medial lung point at mid-height, found by walking laterally.
    const double z = 0.5 * (anatomy.lung_zlo() + anatomy.lung_zhi()) + rng.Uniform(-4, 4);
    Vec3 hilum = {side * (anatomy.lung_cx() - 0.9 * anatomy.lung_ax()),
                  anatomy.lung_cy() + rng.Uniform(-0.05, 0.1) * anatomy.b(), z};
    for (int step = 0; step < 200 && anatomy.LungSide(hilum) != side; ++step)
      hilum[0] += side * 0.5;
    hilum[0] += side * 1.0;
    if (anatomy.LungSide(hilum) != side) continue;
    const std::array<Vec3, 4> roots = {Vec3{1.0 * side, 0.0, 1.0}, Vec3{1.0 * side, 0.45, 0.1},
                                       Vec3{1.0 * side, -0.5, -0.1}, Vec3{0.8 * side, 0.2, -1.0}};
    for (const Vec3& root : roots) {
      const Vec3 dir = Normalize(Add(Normalize(root), Scale(rng.UnitVector(), 0.25)));
      GrowVessel(anatomy, side, hilum, dir, rng.Uniform(1.8, 2.5), rng.Uniform(9, 13), 0, rng,
                 &tree);
    }
  }
  return tree;
}

// Distance from q to the segment's axis, and the radius there.
std::pair<double, double> SegmentDistance(const Segment& s, const Vec3& q) {
  const Vec3 d = Sub(s.p1, s.p0);
  const double t = Clamp01(Dot(Sub(q, s.p0), d) / std::max(1e-12, Dot(d, d)));
  const Vec3 closest = Add(s.p0, Scale(d, t));
  return {Norm(Sub(q, closest)), s.r0 + (s.r1 - s.r0) * t};
}

// Distance from q to the nearest vessel wall (negative inside a vessel).
double VesselClearance(const VesselTree& tree, const Vec3& q) {
  double best = 1e9;
  for (const Segment& s : tree.segments) {
    const auto [dist, r] = SegmentDistance(s, q);
    best = std::min(best, dist - r);
  }
  return best;
}

// ------------------------------------------------------------------------------------------
// Rasterising: occupancy of a shape on the voxel grid with z sub-samples (partial volume).
// ------------------------------------------------------------------------------------------
class Raster {
 public:
  Raster(const CtGeometry& g, const Vec3& centre) : g_(g), centre_(centre) {
    n_ = static_cast<size_t>(g.dims[0]) * g.dims[1] * g.dims[2];
    edge_ = std::min(g.spacing[0], g.spacing[1]);
  }
  size_t size() const { return n_; }

  // Body-local position of a continuous index.
  Vec3 Local(double i, double j, double k) const {
    return Sub(g_.IndexToWorld({i, j, k}), centre_);
  }

  // Calls fn(voxel, occupancy) for voxels whose box around body-local [lo, hi] may be touched;
  // `signed_distance(q)` is negative inside the shape (mm).
  template <typename SignedDistance, typename Fn>
  void Rasterise(const Vec3& lo, const Vec3& hi, SignedDistance signed_distance, Fn fn) const {
    std::array<double, 3> imin = {1e18, 1e18, 1e18}, imax = {-1e18, -1e18, -1e18};
    for (int c = 0; c < 8; ++c) {
      const Vec3 corner = {(c & 1) ? hi[0] : lo[0], (c & 2) ? hi[1] : lo[1],
                           (c & 4) ? hi[2] : lo[2]};
      const Vec3 index = g_.WorldToIndex(Add(corner, centre_));
      for (int a = 0; a < 3; ++a) {
        imin[a] = std::min(imin[a], index[a]);
        imax[a] = std::max(imax[a], index[a]);
      }
    }
    std::array<int, 3> from, to;
    for (int a = 0; a < 3; ++a) {
      from[a] = std::max(0, static_cast<int>(std::floor(imin[a])) - 1);
      to[a] = std::min(g_.dims[a] - 1, static_cast<int>(std::ceil(imax[a])) + 1);
      if (from[a] > to[a]) return;
    }
    constexpr double kSub[3] = {-1.0 / 3, 0.0, 1.0 / 3};
    for (int k = from[2]; k <= to[2]; ++k) {
      for (int j = from[1]; j <= to[1]; ++j) {
        for (int i = from[0]; i <= to[0]; ++i) {
          double occupancy = 0;
          for (double dk : kSub) {
            occupancy += Clamp01(0.5 - signed_distance(Local(i, j, k + dk)) / edge_);
          }
          occupancy /= 3;
          if (occupancy > 0) {
            fn((static_cast<size_t>(k) * g_.dims[1] + j) * g_.dims[0] + i, occupancy);
          }
        }
      }
    }
  }

 private:
  const CtGeometry& g_;
  Vec3 centre_;
  size_t n_;
  double edge_;
};

struct Ellipsoid {
  Vec3 centre;
  std::array<Vec3, 3> axes;  // Orthonormal.
  Vec3 radii;
  double mean_radius;
  double SignedDistance(const Vec3& q) const {
    const Vec3 d = Sub(q, centre);
    const double rho = std::sqrt(Sq(Dot(d, axes[0]) / radii[0]) + Sq(Dot(d, axes[1]) / radii[1]) +
                                 Sq(Dot(d, axes[2]) / radii[2]));
    return (rho - 1.0) * mean_radius;
  }
};

Ellipsoid MakeEllipsoid(const Vec3& centre, double diameter, double elongation,
                        PhantomRandom& rng) {
  Ellipsoid e;
  e.centre = centre;
  const Vec3 a0 = rng.UnitVector();
  const Vec3 a1 = Perpendicular(a0);
  e.axes = {a0, a1, Cross(a0, a1)};
  const double r = 0.5 * diameter;
  const double s0 = rng.Uniform(1.0, 1.0 + elongation), s1 = rng.Uniform(1.0 - elongation, 1.0);
  const double s2 = 1.0 / (s0 * s1);  // Equivalent diameter stays `diameter`.
  e.radii = {r * s0, r * s1, r * s2};
  e.mean_radius = r;
  return e;
}

// Separable Gaussian blur in place; sigma in voxels per axis.
void Blur(std::vector<float>* volume, const std::array<int, 3>& dims, const Vec3& sigma) {
  std::vector<float> line;
  std::array<int64_t, 3> stride = {1, dims[0], static_cast<int64_t>(dims[0]) * dims[1]};
  for (int axis = 0; axis < 3; ++axis) {
    if (sigma[axis] < 0.05) continue;
    const int radius = static_cast<int>(std::ceil(3 * sigma[axis]));
    std::vector<float> kernel(2 * radius + 1);
    double total = 0;
    for (int t = -radius; t <= radius; ++t) {
      total += kernel[t + radius] = std::exp(-0.5 * Sq(t / sigma[axis]));
    }
    for (float& w : kernel) w /= total;
    const int n = dims[axis];
    line.resize(n);
    const int a1 = (axis + 1) % 3, a2 = (axis + 2) % 3;
    for (int u = 0; u < dims[a1]; ++u) {
      for (int v = 0; v < dims[a2]; ++v) {
        const int64_t base = u * stride[a1] + v * stride[a2];
        for (int t = 0; t < n; ++t) line[t] = (*volume)[base + t * stride[axis]];
        for (int t = 0; t < n; ++t) {
          float acc = 0;
          for (int o = -radius; o <= radius; ++o) {
            const int s = std::min(n - 1, std::max(0, t + o));  // Edge replicate.
            acc += kernel[o + radius] * line[s];
          }
          (*volume)[base + t * stride[axis]] = acc;
        }
      }
    }
  }
}

// ------------------------------------------------------------------------------------------
// Scan set-up, nodules and candidates.
// ------------------------------------------------------------------------------------------
CtGeometry MakeGeometry(uint64_t index, const CtScanSpec& spec, PhantomRandom& rng,
                        Vec3* body_centre) {
  CtGeometry g;
  g.dims = spec.dims;
  static constexpr double kInPlane[] = {0.625, 0.664062, 0.703125, 0.742188, 0.78125};
  static constexpr double kSlice[] = {1.25, 1.5, 2.0, 2.5};
  const double in_plane = kInPlane[rng.Int(0, 4)];
  g.spacing = {in_plane, in_plane, kSlice[rng.Int(0, 3)]};
  if (index % 3 == 1) {  // Oblique: in-plane rotation and gantry tilt of a few degrees.
    const double yaw = rng.Sign() * rng.Uniform(3, 8) * kPi / 180;
    const double tilt = rng.Sign() * rng.Uniform(2, 6) * kPi / 180;
    const double cy = std::cos(yaw), sy = std::sin(yaw), ct = std::cos(tilt), st = std::sin(tilt);
    // D = Rz(yaw) * Rx(tilt), row-major.
    g.direction = {cy, -sy * ct, sy * st, sy, cy * ct, -cy * st, 0, st, ct};
  }
  *body_centre = {rng.Uniform(-25, 25), rng.Uniform(-30, 10), rng.Uniform(-260, -90)};
  // Origin so the body centre sits at the volume's centre (plus a small offset), rounded to
  // micrometres as scanners print it.
  const Vec3 mid = {0.5 * (g.dims[0] - 1) + rng.Uniform(-2, 2),
                    0.5 * (g.dims[1] - 1) + rng.Uniform(-2, 2), 0.5 * (g.dims[2] - 1)};
  CtGeometry at_zero = g;
  const Vec3 offset = at_zero.IndexToWorld(mid);  // origin is 0 here.
  for (int a = 0; a < 3; ++a) {
    g.origin[a] = std::round(((*body_centre)[a] - offset[a]) * 1e6) / 1e6;
  }
  return g;
}

// A point on the pleura: walk from the lung's centre along a random in-plane direction to the
// last point inside the lung. Returns false when the start is not in the lung.
bool PleuraPoint(const Anatomy& anatomy, PhantomRandom& rng, Vec3* point, Vec3* outward) {
  const int side = rng.Bernoulli(0.5) ? 1 : -1;
  const double z = rng.Uniform(anatomy.lung_zlo() + 12, anatomy.lung_zhi() - 4);
  Vec3 p = {side * anatomy.lung_cx(), anatomy.lung_cy(), z};
  if (anatomy.LungSide(p) != side) return false;
  const double phi = rng.Uniform(0, 2 * kPi);
  const Vec3 dir = {std::cos(phi), std::sin(phi), 0};
  for (int step = 0; step < 1000; ++step) {
    const Vec3 next = Add(p, Scale(dir, 0.2));
    if (anatomy.LungSide(next) != side) break;
    p = next;
  }
  *point = p;
  *outward = dir;
  return true;
}

// True when q and the six points `margin` mm away along the axes are all in the same lung.
bool InsideLung(const Anatomy& anatomy, const Vec3& q, double margin) {
  const int side = anatomy.LungSide(q);
  if (side == 0) return false;
  for (int a = 0; a < 3; ++a) {
    for (double s : {-1.0, 1.0}) {
      Vec3 probe = q;
      probe[a] += s * margin;
      if (anatomy.LungSide(probe) != side) return false;
    }
  }
  return true;
}

struct NoduleShape {
  Nodule nodule;
  Ellipsoid ellipsoid;
};

bool FarFromNodules(const std::vector<NoduleShape>& nodules, const Vec3& q, double margin) {
  for (const NoduleShape& n : nodules) {
    if (Norm(Sub(q, n.ellipsoid.centre)) < 0.5 * n.nodule.diameter_mm * 1.25 + margin) return false;
  }
  return true;
}

std::vector<NoduleShape> PlaceNodules(const Anatomy& anatomy, const VesselTree& tree,
                                      uint64_t index, PhantomRandom& rng) {
  std::vector<NoduleShape> placed;
  static constexpr double kCountCdf[] = {0.08, 0.33, 0.65, 0.90, 1.0};
  const double u = rng.Uniform(0, 1);
  int count = 0;
  while (count < 4 && u > kCountCdf[count]) ++count;
  const bool micro = index % 3 == 0;
  for (int n = 0; n < count + (micro ? 1 : 0); ++n) {
    const bool is_micro = n == count;
    const double diameter =
        is_micro ? rng.Uniform(2.0, 2.9) : 3.0 + 9.0 * std::pow(rng.Uniform(0, 1), 1.3);
    const double r = 0.5 * diameter;
    const double hu = is_micro ? rng.Uniform(-50, 150) : rng.Uniform(-100, 100);
    const double site_u = rng.Uniform(0, 1);
    NoduleSite site = is_micro || site_u < 0.5 ? NoduleSite::kIsolated
                      : site_u < 0.75          ? NoduleSite::kVascular
                                               : NoduleSite::kPleural;
    for (int attempt = 0; attempt < 300; ++attempt) {
      // A large nodule may find no vessel-free room: let it touch the pleura instead.
      if (attempt == 150 && site == NoduleSite::kIsolated && !is_micro) site = NoduleSite::kPleural;
      Vec3 c;
      if (site == NoduleSite::kIsolated) {
        c = {rng.Uniform(-1, 1) * 0.9 * (anatomy.lung_cx() + anatomy.lung_ax()),
             anatomy.lung_cy() + rng.Uniform(-0.75, 0.75) * anatomy.b(),
             rng.Uniform(anatomy.lung_zlo() + 10, anatomy.lung_zhi() - 4)};
        if (VesselClearance(tree, c) < r + 1.0 || !InsideLung(anatomy, c, r + 1.5)) continue;
      } else if (site == NoduleSite::kVascular) {
        if (tree.segments.empty()) break;
        const Segment& s = tree.segments[rng.Int(0, tree.segments.size() - 1)];
        if (s.r1 < 0.6) continue;
        const double t = rng.Uniform(0.2, 0.8);
        const Vec3 axis = Sub(s.p1, s.p0);
        const Vec3 on_axis = Add(s.p0, Scale(axis, t));
        const Vec3 side = Tilt(Normalize(axis), kPi / 2, rng.Uniform(0, 2 * kPi));
        c = Add(on_axis, Scale(side, s.r0 + 0.55 * r));  // Overlapping the vessel wall.
        if (anatomy.LungSide(c) == 0) continue;
      } else {
        Vec3 wall, outward;
        if (!PleuraPoint(anatomy, rng, &wall, &outward)) continue;
        c = Sub(wall, Scale(outward, 0.55 * r));  // Touching and bulging into the chest wall.
        if (anatomy.LungSide(c) == 0) continue;
      }
      if (!FarFromNodules(placed, c, r + 3.0)) continue;
      NoduleShape shape;
      shape.ellipsoid = MakeEllipsoid(c, diameter, 0.25, rng);
      shape.nodule = {c, diameter, hu, site, is_micro};
      placed.push_back(shape);
      break;
    }
  }
  return placed;
}

enum class NegativeKind { kVessel, kBifurcation, kTissue, kPleura, kNearMiss };

std::vector<Candidate> MakeCandidates(const Anatomy& anatomy, const VesselTree& tree,
                                      const std::vector<NoduleShape>& nodules, PhantomRandom& rng) {
  std::vector<Candidate> out;
  int positives = 0;
  for (const NoduleShape& n : nodules) {
    if (n.nodule.excluded) {
      out.push_back({n.nodule.centre, CandidateKind::kExcludedNodule, 0, n.nodule.diameter_mm});
      continue;
    }
    const int copies = rng.Bernoulli(0.35) ? 2 : 1;  // CAD systems often hit a nodule twice.
    for (int c = 0; c < copies; ++c) {
      const double jitter = rng.Uniform(0, std::min(0.15 * n.nodule.diameter_mm, 0.9));
      out.push_back({Add(n.nodule.centre, Scale(rng.UnitVector(), jitter)), CandidateKind::kNodule,
                     1, n.nodule.diameter_mm});
      ++positives;
    }
  }
  // Vessels big enough to be as bright as a nodule at their centre.
  std::vector<const Segment*> big, branching;
  double big_length = 0;
  for (const Segment& s : tree.segments) {
    if (s.r1 >= 1.0) big.push_back(&s), big_length += Norm(Sub(s.p1, s.p0));
    if (s.branches_at_end && s.r1 >= 1.0) branching.push_back(&s);
  }
  std::vector<const NoduleShape*> real;
  for (const NoduleShape& n : nodules) {
    if (!n.nodule.excluded) real.push_back(&n);
  }
  const int negatives = positives > 0
                            ? static_cast<int>(std::lround(positives * rng.Uniform(10, 20)))
                            : static_cast<int>(rng.Int(10, 16));
  int made = 0;
  for (int attempt = 0; made < negatives && attempt < negatives * 50; ++attempt) {
    const double u = rng.Uniform(0, 1);
    NegativeKind kind = u < 0.36   ? NegativeKind::kVessel
                        : u < 0.52 ? NegativeKind::kBifurcation
                        : u < 0.72 ? NegativeKind::kTissue
                        : u < 0.86 ? NegativeKind::kPleura
                                   : NegativeKind::kNearMiss;
    if (kind == NegativeKind::kNearMiss && real.empty()) kind = NegativeKind::kTissue;
    if (kind == NegativeKind::kVessel && big.empty()) kind = NegativeKind::kTissue;
    if (kind == NegativeKind::kBifurcation && branching.empty()) kind = NegativeKind::kTissue;
    Candidate c;
    c.label = 0;
    switch (kind) {
      case NegativeKind::kVessel: {
        // A segment chosen with probability proportional to its length.
        double pick = rng.Uniform(0, big_length);
        const Segment* s = big.back();
        for (const Segment* seg : big) {
          pick -= Norm(Sub(seg->p1, seg->p0));
          if (pick <= 0) {
            s = seg;
            break;
          }
        }
        const double t = rng.Uniform(0.15, 0.85);
        c = {Add(s->p0, Scale(Sub(s->p1, s->p0), t)), CandidateKind::kVessel, 0,
             s->r0 + (s->r1 - s->r0) * t};
        break;
      }
      case NegativeKind::kBifurcation: {
        const Segment* s = branching[rng.Int(0, branching.size() - 1)];
        c = {s->p1, CandidateKind::kBifurcation, 0, s->r1};
        break;
      }
      case NegativeKind::kTissue: {
        const Vec3 q = {rng.Uniform(-1, 1) * (anatomy.lung_cx() + anatomy.lung_ax()),
                        anatomy.lung_cy() + rng.Uniform(-0.8, 0.8) * anatomy.b(),
                        rng.Uniform(anatomy.lung_zlo(), anatomy.lung_zhi())};
        if (!InsideLung(anatomy, q, 2.5) || VesselClearance(tree, q) < 2.0) continue;
        c = {q, CandidateKind::kTissue, 0, 0};
        break;
      }
      case NegativeKind::kPleura: {
        Vec3 wall, outward;
        if (!PleuraPoint(anatomy, rng, &wall, &outward)) continue;
        c = {wall, CandidateKind::kPleura, 0, 0};
        break;
      }
      case NegativeKind::kNearMiss: {
        const NoduleShape* n = real[rng.Int(0, real.size() - 1)];
        const double gap = rng.Uniform(1.5, 3.5);
        const double reach = 0.5 * n->nodule.diameter_mm * 1.25 + gap;
        const Vec3 q = Add(n->nodule.centre, Scale(rng.UnitVector(), reach));
        if (anatomy.LungSide(q) == 0) continue;
        c = {q, CandidateKind::kNearMiss, 0, gap};
        break;
      }
    }
    if (kind != NegativeKind::kNearMiss && !FarFromNodules(nodules, c.world, 2.0)) continue;
    if (kind == NegativeKind::kNearMiss) {
      bool clear = true;  // Outside every nodule, not only the one it misses.
      for (const NoduleShape& n : nodules)
        clear = clear && n.ellipsoid.SignedDistance(c.world) > 1.0;
      if (!clear) continue;
    }
    out.push_back(c);
    ++made;
  }
  return out;
}

}  // namespace

const char* CandidateKindName(CandidateKind kind) {
  switch (kind) {
    case CandidateKind::kNodule:
      return "nodule";
    case CandidateKind::kVessel:
      return "vessel";
    case CandidateKind::kBifurcation:
      return "bifurcation";
    case CandidateKind::kTissue:
      return "tissue";
    case CandidateKind::kPleura:
      return "pleura";
    case CandidateKind::kNearMiss:
      return "near_miss";
    case CandidateKind::kExcludedNodule:
      return "excluded_nodule";
  }
  return "?";
}

const char* NoduleSiteName(NoduleSite site) {
  switch (site) {
    case NoduleSite::kIsolated:
      return "isolated";
    case NoduleSite::kVascular:
      return "vascular";
    case NoduleSite::kPleural:
      return "pleural";
  }
  return "?";
}

Vec3 CtGeometry::IndexToWorld(const Vec3& index) const {
  const Vec3 s = {index[0] * spacing[0], index[1] * spacing[1], index[2] * spacing[2]};
  Vec3 w;
  for (int r = 0; r < 3; ++r) {
    w[r] = origin[r] + direction[3 * r] * s[0] + direction[3 * r + 1] * s[1] +
           direction[3 * r + 2] * s[2];
  }
  return w;
}

Vec3 CtGeometry::WorldToIndex(const Vec3& world) const {
  const Vec3 d = Sub(world, origin);
  Vec3 index;
  for (int c = 0; c < 3; ++c) {
    index[c] =
        (direction[c] * d[0] + direction[3 + c] * d[1] + direction[6 + c] * d[2]) / spacing[c];
  }
  return index;
}

bool CtGeometry::IsOblique() const {
  static constexpr std::array<double, 9> kIdentity = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  return direction != kIdentity;
}

CtScan GenerateCtScan(uint64_t seed, uint64_t index, const CtScanSpec& spec) {
  PhantomRandom rng(RandomStream(seed, kPhantomStream, 1, index));
  CtScan scan;
  Vec3 body_centre;
  scan.geometry = MakeGeometry(index, spec, rng, &body_centre);
  const CtGeometry& g = scan.geometry;
  const Anatomy anatomy(g, rng);
  const VesselTree tree = GrowVesselTrees(anatomy, rng);
  const std::vector<NoduleShape> nodules = PlaceNodules(anatomy, tree, index, rng);

  // Anatomy at voxel centres.
  const Raster raster(g, body_centre);
  std::vector<float> hu(raster.size());
  for (int k = 0; k < g.dims[2]; ++k) {
    for (int j = 0; j < g.dims[1]; ++j) {
      for (int i = 0; i < g.dims[0]; ++i) {
        hu[(static_cast<size_t>(k) * g.dims[1] + j) * g.dims[0] + i] =
            static_cast<float>(anatomy.BaseHu(raster.Local(i, j, k)));
      }
    }
  }
  // Vessels: the union of tapering tubes, then blood attenuation mixed in by occupancy.
  std::vector<float> vessel(raster.size(), 0.0f);
  for (const Segment& s : tree.segments) {
    const double pad = std::max(s.r0, s.r1) + 1.0;
    Vec3 lo, hi;
    for (int a = 0; a < 3; ++a) {
      lo[a] = std::min(s.p0[a], s.p1[a]) - pad;
      hi[a] = std::max(s.p0[a], s.p1[a]) + pad;
    }
    raster.Rasterise(
        lo, hi,
        [&s](const Vec3& q) {
          const auto [dist, r] = SegmentDistance(s, q);
          return dist - r;
        },
        [&vessel](size_t v, double occ) {
          vessel[v] = std::max(vessel[v], static_cast<float>(occ));
        });
  }
  for (size_t v = 0; v < hu.size(); ++v) {
    if (vessel[v] > 0 && hu[v] < kBloodHu) hu[v] += vessel[v] * (kBloodHu - hu[v]);
  }
  // Nodules over everything.
  for (const NoduleShape& n : nodules) {
    const Ellipsoid& e = n.ellipsoid;
    const double pad = std::max({e.radii[0], e.radii[1], e.radii[2]}) * 1.3 + 1.0;
    const Vec3 lo = Sub(e.centre, {pad, pad, pad}), hi = Add(e.centre, {pad, pad, pad});
    const float value = static_cast<float>(n.nodule.hu);
    raster.Rasterise(
        lo, hi, [&e](const Vec3& q) { return e.SignedDistance(q); },
        [&hu, value](size_t v, double occ) { hu[v] += static_cast<float>(occ) * (value - hu[v]); });
  }
  // The scanner's point-spread (~0.5 mm in-plane) and noise.
  Blur(&hu, g.dims, {0.5 / g.spacing[0], 0.5 / g.spacing[1], 0.3});
  FastNormal noise(rng.Fork());
  for (float& v : hu) v += static_cast<float>(kNoiseHu * noise.Next());
  // Padding outside the reconstructed circle, as many LUNA16 scans have.
  scan.fov_padding_hu = index % 4 == 0 ? -2000 : index % 4 == 2 ? -3024 : 0;
  scan.hu.resize(hu.size());
  const double cx = 0.5 * (g.dims[0] - 1), cy = 0.5 * (g.dims[1] - 1);
  const double radius2 = Sq(0.5 * std::min(g.dims[0], g.dims[1]));
  for (int k = 0; k < g.dims[2]; ++k) {
    for (int j = 0; j < g.dims[1]; ++j) {
      for (int i = 0; i < g.dims[0]; ++i) {
        const size_t v = (static_cast<size_t>(k) * g.dims[1] + j) * g.dims[0] + i;
        double value = std::lround(hu[v]);
        if (scan.fov_padding_hu != 0 && Sq(i - cx) + Sq(j - cy) > radius2)
          value = scan.fov_padding_hu;
        scan.hu[v] = static_cast<int16_t>(std::min(3071.0, std::max(-3024.0, value)));
      }
    }
  }

  // Truth in world coordinates.
  for (const NoduleShape& n : nodules) {
    Nodule nodule = n.nodule;
    nodule.centre = Add(nodule.centre, body_centre);
    scan.nodules.push_back(nodule);
  }
  std::vector<Candidate> candidates = MakeCandidates(anatomy, tree, nodules, rng);
  for (Candidate& c : candidates) c.world = Add(c.world, body_centre);
  // Shuffle (Fisher-Yates), so positives are not first.
  for (size_t i = candidates.size(); i > 1; --i)
    std::swap(candidates[i - 1], candidates[rng.Int(0, i - 1)]);
  scan.candidates = std::move(candidates);
  if (index % 4 == 1) {  // A radiologist-marked non-nodule finding (diameter -1).
    for (const Candidate& c : scan.candidates) {
      if (c.kind == CandidateKind::kTissue || c.kind == CandidateKind::kPleura) {
        scan.excluded_non_nodules.push_back(c.world);
        break;
      }
    }
  }
  return scan;
}

}  // namespace phantoms
}  // namespace genesis
