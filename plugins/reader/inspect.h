// `genesis inspect PATH...`: reads each file or DICOM folder with the first registered image
// reader whose CanRead() accepts it and prints one JSON object per volume (one per line):
//
//   {"source":"scan.nii","reader":"nifti","volume":0,"dims":[33,41,25],"spacing":[2,2,2],
//    "origin":[-32,40,-16],"direction":[[1,0,0],[0,-1,0],[0,0,1]],"modality":"unknown",
//    "bits_stored":16,"min":-610,"max":30393,"mean":8401.0667258}
//
// Geometry is ITK LPS; `direction` lists the matrix rows (columns are the axis directions);
// min/max/mean are over the voxels as read (Hounsfield units for CT). No DICOM tag other than
// modality and bit depth is printed -- never names, IDs, dates or UIDs.
#ifndef GENESIS_PLUGINS_READER_INSPECT_H_
#define GENESIS_PLUGINS_READER_INSPECT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/image_reader.h"
#include "core/volume.h"

namespace genesis {

// The first registered reader (by name) that accepts `path`, with default options, and its
// name; NotFound naming the file and the known readers otherwise.
struct ChosenReader {
  std::string name;
  std::unique_ptr<ImageReader> reader;
};
absl::StatusOr<ChosenReader> ReaderForPath(const std::string& path);

// One JSON line for `volume` (index `index` of what `reader_name` read from its source).
std::string VolumeToJson(const Volume& volume, const std::string& reader_name, int index);

// The command's entry point: 0 when every path was read, 1 when any failed (each failure is
// reported on stderr, naming the path), 2 on usage errors.
int InspectMain(const std::vector<std::string>& args);

}  // namespace genesis

#endif  // GENESIS_PLUGINS_READER_INSPECT_H_
