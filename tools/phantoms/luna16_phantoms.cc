#include "tools/phantoms/luna16_phantoms.h"

#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/random.h"
#include "core/status_macros.h"
#include "tools/phantoms/phantom_io.h"
#include "tools/phantoms/phantom_random.h"

namespace genesis {
namespace phantoms {
namespace {

constexpr char kUidPrefix[] = "1.3.6.1.4.1.14519.5.2.1.6279.6001.";

std::string Coordinates(const Vec3& w, const char* format) {
  return absl::StrCat(absl::StrFormat(format, w[0]), ",", absl::StrFormat(format, w[1]), ",",
                      absl::StrFormat(format, w[2]));
}

std::string JoinDoubles(const double* values, int n) {
  std::vector<std::string> parts;
  for (int i = 0; i < n; ++i) parts.push_back(ShortestDouble(values[i]));
  return absl::StrJoin(parts, " ");
}

// What one scan contributes to the CSV files, in scan order.
struct ScanRows {
  std::string candidates, annotations, excluded, truth_candidates, truth_nodules, truth_scan;
  int nodules = 0, excluded_count = 0;
  int64_t positives = 0, negatives = 0;
  bool oblique = false;
};

}  // namespace

std::string SeriesUid(uint64_t seed, uint64_t index) {
  RandomStream rng(seed, kPhantomStream, 0, index);
  std::string digits = absl::StrCat(rng.UniformInt(1, 3));
  while (digits.size() < 30) absl::StrAppend(&digits, rng.UniformInt(0, 9));
  return kUidPrefix + digits;
}

std::string MetaImageHeader(const CtGeometry& g, const std::string& raw_name) {
  // TransformMatrix lists the image axes one after another: the columns of D.
  const double columns[9] = {g.direction[0], g.direction[3], g.direction[6],
                             g.direction[1], g.direction[4], g.direction[7],
                             g.direction[2], g.direction[5], g.direction[8]};
  return absl::StrCat("ObjectType = Image\n", "NDims = 3\n", "BinaryData = True\n",
                      "BinaryDataByteOrderMSB = False\n", "CompressedData = False\n",
                      "TransformMatrix = ", JoinDoubles(columns, 9), "\n",
                      "Offset = ", JoinDoubles(g.origin.data(), 3), "\n",
                      "CenterOfRotation = 0 0 0\n", "AnatomicalOrientation = RAI\n",
                      "ElementSpacing = ", JoinDoubles(g.spacing.data(), 3), "\n",
                      "DimSize = ", absl::StrJoin(g.dims, " "), "\n", "ElementType = MET_SHORT\n",
                      "ElementDataFile = ", raw_name, "\n");
}

absl::StatusOr<Luna16PhantomSummary> WriteLuna16Phantoms(const std::string& root,
                                                         const std::string& truth_dir,
                                                         const Luna16PhantomOptions& options) {
  if (options.scans < 10) {
    return absl::InvalidArgumentError(
        absl::StrCat("luna_scans: must be >= 10 so that every subset0..subset9 holds a scan, got ",
                     options.scans));
  }
  for (int a = 0; a < 3; ++a) {
    if (options.spec.dims[a] < 32) {
      return absl::InvalidArgumentError(
          absl::StrCat("ct_size: every dimension must be >= 32 voxels, got ",
                       absl::StrJoin(options.spec.dims, "x")));
    }
  }
  for (int s = 0; s < 10; ++s)
    GENESIS_RETURN_IF_ERROR(MakeDirectories(absl::StrCat(root, "/subset", s)));
  GENESIS_RETURN_IF_ERROR(MakeDirectories(truth_dir));

  std::vector<std::string> uids(options.scans);
  std::set<std::string> seen;
  for (int i = 0; i < options.scans; ++i) {
    uids[i] = SeriesUid(options.seed, i);
    if (!seen.insert(uids[i]).second) {
      return absl::InternalError(absl::StrCat("duplicate generated seriesuid ", uids[i]));
    }
  }

  std::vector<ScanRows> rows(options.scans);
  GENESIS_RETURN_IF_ERROR(
      ParallelFor(options.scans, options.threads, [&](int64_t i) -> absl::Status {
        const CtScan scan = GenerateCtScan(options.seed, i, options.spec);
        const std::string& uid = uids[i];
        const std::string folder = absl::StrCat(root, "/subset", i % 10);
        GENESIS_RETURN_IF_ERROR(WriteBytes(absl::StrCat(folder, "/", uid, ".mhd"),
                                           MetaImageHeader(scan.geometry, uid + ".raw")));
        std::string raw(scan.hu.size() * 2, '\0');
        for (size_t v = 0; v < scan.hu.size(); ++v) {  // Little endian, whatever the host.
          const uint16_t bits = static_cast<uint16_t>(scan.hu[v]);
          raw[2 * v] = static_cast<char>(bits & 0xff);
          raw[2 * v + 1] = static_cast<char>(bits >> 8);
        }
        GENESIS_RETURN_IF_ERROR(WriteBytes(absl::StrCat(folder, "/", uid, ".raw"), raw));

        ScanRows& r = rows[i];
        r.oblique = scan.geometry.IsOblique();
        for (const Candidate& c : scan.candidates) {
          absl::StrAppend(&r.candidates, uid, ",", Coordinates(c.world, "%.2f"), ",", c.label,
                          "\n");
          absl::StrAppend(&r.truth_candidates, uid, ",", Coordinates(c.world, "%.2f"), ",", c.label,
                          ",", CandidateKindName(c.kind), ",", absl::StrFormat("%.3f", c.detail_mm),
                          "\n");
          (c.label == 1 ? r.positives : r.negatives) += 1;
        }
        for (const Nodule& n : scan.nodules) {
          const std::string line = absl::StrCat(uid, ",", Coordinates(n.centre, "%.7f"), ",",
                                                absl::StrFormat("%.7f", n.diameter_mm), "\n");
          absl::StrAppend(n.excluded ? &r.excluded : &r.annotations, line);
          absl::StrAppend(&r.truth_nodules, uid, ",", Coordinates(n.centre, "%.7f"), ",",
                          absl::StrFormat("%.7f,%.1f", n.diameter_mm, n.hu), ",",
                          NoduleSiteName(n.site), ",", n.excluded ? 1 : 0, "\n");
          (n.excluded ? r.excluded_count : r.nodules) += 1;
        }
        for (const Vec3& w : scan.excluded_non_nodules) {
          absl::StrAppend(&r.excluded, uid, ",", Coordinates(w, "%.7f"), ",-1\n");
          r.excluded_count += 1;
        }
        const CtGeometry& g = scan.geometry;
        absl::StrAppend(&r.truth_scan, uid, ",", i % 10, ",", absl::StrJoin(g.dims, "x"), ",",
                        JoinDoubles(g.spacing.data(), 3), ",", r.oblique ? 1 : 0, ",",
                        scan.fov_padding_hu, "\n");
        return absl::OkStatus();
      }));

  Luna16PhantomSummary summary;
  summary.scans = options.scans;
  std::string candidates = "seriesuid,coordX,coordY,coordZ,class\n";
  std::string annotations = "seriesuid,coordX,coordY,coordZ,diameter_mm\n";
  std::string excluded = annotations;
  std::string truth_candidates = "seriesuid,coordX,coordY,coordZ,class,kind,detail_mm\n";
  std::string truth_nodules = "seriesuid,coordX,coordY,coordZ,diameter_mm,hu,site,excluded\n";
  std::string truth_scans = "seriesuid,subset,dims,spacing,oblique,padding_hu\n";
  for (const ScanRows& r : rows) {
    candidates += r.candidates;
    annotations += r.annotations;
    excluded += r.excluded;
    truth_candidates += r.truth_candidates;
    truth_nodules += r.truth_nodules;
    truth_scans += r.truth_scan;
    summary.nodules += r.nodules;
    summary.excluded += r.excluded_count;
    summary.positives += r.positives;
    summary.negatives += r.negatives;
    summary.oblique_scans += r.oblique ? 1 : 0;
  }
  GENESIS_RETURN_IF_ERROR(WriteBytes(root + "/candidates_V2.csv", candidates));
  GENESIS_RETURN_IF_ERROR(WriteBytes(root + "/annotations.csv", annotations));
  GENESIS_RETURN_IF_ERROR(WriteBytes(root + "/annotations_excluded.csv", excluded));
  GENESIS_RETURN_IF_ERROR(WriteBytes(truth_dir + "/luna16_candidates.csv", truth_candidates));
  GENESIS_RETURN_IF_ERROR(WriteBytes(truth_dir + "/luna16_nodules.csv", truth_nodules));
  GENESIS_RETURN_IF_ERROR(WriteBytes(truth_dir + "/luna16_scans.csv", truth_scans));
  return summary;
}

}  // namespace phantoms
}  // namespace genesis
