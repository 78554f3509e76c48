// Writes CT thorax phantoms (ct_phantom.h) in the official LUNA16 layout:
//
//   <root>/subset0..subset9/<seriesuid>.mhd + .raw   MetaImage, int16 HU, LUNA16's header keys
//   <root>/candidates_V2.csv        seriesuid,coordX,coordY,coordZ,class      (world mm)
//   <root>/annotations.csv          seriesuid,coordX,coordY,coordZ,diameter_mm
//   <root>/annotations_excluded.csv same columns; micro-nodules and non-nodules (diameter -1)
//
// and the phantom's own truth beside it (not part of LUNA16):
//
//   <truth>/luna16_candidates.csv   seriesuid,coordX,coordY,coordZ,class,kind,detail_mm
//   <truth>/luna16_nodules.csv      seriesuid,coordX,coordY,coordZ,diameter_mm,hu,site,excluded
//   <truth>/luna16_scans.csv        seriesuid,subset,dims,spacing,oblique,padding_hu
//
// Scan i goes to subset i % 10 (so >= 10 scans fill every subset). Same seed, same bytes.
#ifndef GENESIS_TOOLS_PHANTOMS_LUNA16_PHANTOMS_H_
#define GENESIS_TOOLS_PHANTOMS_LUNA16_PHANTOMS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "tools/phantoms/ct_phantom.h"

namespace genesis {
namespace phantoms {

struct Luna16PhantomOptions {
  uint64_t seed = 0;
  int scans = 30;
  CtScanSpec spec;
  int threads = 0;  // 0: all cores.
};

struct Luna16PhantomSummary {
  int scans = 0, oblique_scans = 0, nodules = 0, excluded = 0;
  int64_t positives = 0, negatives = 0;
};

// "1.3.6.1.4.1.14519.5.2.1.6279.6001." + 30 digits, deterministic in (seed, index).
std::string SeriesUid(uint64_t seed, uint64_t index);

// The MetaImage header LUNA16 ships (keys in its order), for `raw_name` beside it.
std::string MetaImageHeader(const CtGeometry& geometry, const std::string& raw_name);

absl::StatusOr<Luna16PhantomSummary> WriteLuna16Phantoms(const std::string& root,
                                                         const std::string& truth_dir,
                                                         const Luna16PhantomOptions& options);

}  // namespace phantoms
}  // namespace genesis

#endif  // GENESIS_TOOLS_PHANTOMS_LUNA16_PHANTOMS_H_
