// A synthetic CT thorax in Hounsfield units, with the ground truth a LUNA16-style candidate
// list needs: nodule centres and diameters, and negative candidates of known kinds.
//
//   CtScanSpec spec;                       // dims; seed and index pick everything else
//   CtScan scan = GenerateCtScan(seed, index, spec);
//   scan.hu[(k * ny + j) * nx + i];        // int16 HU, x fastest (MetaImage order)
//   scan.geometry.IndexToWorld({i, j, k}); // world mm (LPS), the coordinates of candidates
//
// The anatomy is defined in world millimetres around a body centre and then sampled on the
// scan's voxel grid, so a non-identity direction (a few degrees of in-plane rotation and gantry
// tilt in some scans) rotates the grid, not the anatomy: every world coordinate of a nodule or
// candidate is right under world = origin + D * (spacing .* index).
//
// Contents: air (-1000) outside an elliptic body (fat layer ~-100 HU, soft tissue ~40 HU),
// ribs and spine (cortex ~900 HU, marrow ~300 HU), sternum, heart/mediastinum, two lungs
// (~-850 HU with a posterior density gradient and texture), vessel trees branching from each
// hilum (tapering tubes of blood ~40 HU), nodules (ellipsoids, 3-12 mm, -100..+100 HU; isolated,
// attached to a vessel, or on the pleura), micro-nodules < 3 mm (LUNA16's excluded findings),
// partial-volume sampling along z, blur, Gaussian noise (sigma 20 HU) and, in some scans, the
// scanner's padding value (-2000 or -3024) outside the circular field of view.
#ifndef GENESIS_TOOLS_PHANTOMS_CT_PHANTOM_H_
#define GENESIS_TOOLS_PHANTOMS_CT_PHANTOM_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace genesis {
namespace phantoms {

using Vec3 = std::array<double, 3>;

// Voxel grid -> world mm, ITK's convention: world = origin + direction * (spacing .* index),
// direction row-major with the image axes as its columns.
struct CtGeometry {
  std::array<int, 3> dims = {0, 0, 0};
  Vec3 spacing = {1, 1, 1};
  Vec3 origin = {0, 0, 0};
  std::array<double, 9> direction = {1, 0, 0, 0, 1, 0, 0, 0, 1};

  Vec3 IndexToWorld(const Vec3& index) const;
  // Continuous index of a world point (the direction is orthonormal: its inverse is D^T).
  Vec3 WorldToIndex(const Vec3& world) const;
  bool IsOblique() const;
};

// The body fills the field of view (0.625-0.78 mm x dims in-plane), so a larger grid means
// larger lungs around nodules of the same size in mm. 160 x 160 x 48 (a 100-125 mm field,
// 60-120 mm of z) leaves room for 64 x 64 axial patches of lung at the native grid, and 30 scans
// take ~6 s of CPU.
struct CtScanSpec {
  std::array<int, 3> dims = {160, 160, 48};
};

// What a candidate point lies on; the phantom's own truth, not part of LUNA16's files.
enum class CandidateKind {
  kNodule,          // Positive: a nodule centre plus a small jitter.
  kVessel,          // A vessel centreline point.
  kBifurcation,     // A vessel branching point.
  kTissue,          // Lung parenchyma away from vessels and nodules.
  kPleura,          // On the lung boundary.
  kNearMiss,        // Just outside a nodule.
  kExcludedNodule,  // Centre of a micro-nodule (< 3 mm): class 0, in annotations_excluded.
};
const char* CandidateKindName(CandidateKind kind);

struct Candidate {
  Vec3 world;  // mm.
  CandidateKind kind;
  int label = 0;           // LUNA16 class: 1 only for kNodule.
  double detail_mm = 0.0;  // Nodule diameter (kNodule, kExcludedNodule), vessel radius
                           // (kVessel, kBifurcation), distance to the nodule surface (kNearMiss).
};

enum class NoduleSite { kIsolated, kVascular, kPleural };
const char* NoduleSiteName(NoduleSite site);

struct Nodule {
  Vec3 centre;         // World mm.
  double diameter_mm;  // Equivalent diameter 2 * cbrt(a * b * c).
  double hu;           // Attenuation of its solid part.
  NoduleSite site;
  bool excluded = false;  // Micro-nodule (< 3 mm), listed in annotations_excluded.csv.
};

struct CtScan {
  CtGeometry geometry;
  std::vector<int16_t> hu;  // dims[0] * dims[1] * dims[2], x fastest.
  std::vector<Nodule> nodules;
  std::vector<Candidate> candidates;  // Shuffled, like candidates_V2.csv within a series.
  // Radiologist-marked non-nodule findings (annotations_excluded.csv rows with diameter -1).
  std::vector<Vec3> excluded_non_nodules;
  double fov_padding_hu = 0;  // 0 when there is no padding outside the field of view.
};

// Deterministic in (seed, index, spec): RandomStream(seed, kPhantomStream, 1, index) drives it.
CtScan GenerateCtScan(uint64_t seed, uint64_t index, const CtScanSpec& spec);

}  // namespace phantoms
}  // namespace genesis

#endif  // GENESIS_TOOLS_PHANTOMS_CT_PHANTOM_H_
