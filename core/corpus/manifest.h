// The corpus manifest: one uniform CSV row per volume of every dataset, written by the corpus
// stage (<stage>/manifest.csv) and read back by `genesis` (e.g. to rebuild or inspect a corpus).
//
//   GENESIS_ASSIGN_OR_RETURN(auto writer, ManifestWriter::Open(path));   // streams rows
//   GENESIS_RETURN_IF_ERROR(writer->Add(row));
//   GENESIS_RETURN_IF_ERROR(writer->Close());
//   GENESIS_ASSIGN_OR_RETURN(std::vector<ManifestRow> rows, ReadManifest(path));
//
// Columns (header line, in this order): dataset, patient_id, modality (CT/MR/XR/unknown),
// body_part, file, volume_index (index of the volume within `file`), patient_volume (index
// among all the patient's volumes), slice_count, width, height, spacing_x, spacing_y,
// spacing_z, selected_slices (how many the samplers kept), labels ("key=value;key=value", with
// '%', ';' and '=' inside keys and values escaped as %25, %3B, %3D).
// Fields are RFC 4180 quoted, so paths with commas or quotes survive.
#ifndef GENESIS_CORE_CORPUS_MANIFEST_H_
#define GENESIS_CORE_CORPUS_MANIFEST_H_

#include <array>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/volume.h"

namespace genesis {

struct ManifestRow {
  std::string dataset;
  std::string patient_id;
  Modality modality = Modality::kUnknown;
  std::string body_part;
  std::string file;
  int64_t volume_index = 0;
  int64_t patient_volume = 0;
  int64_t slice_count = 0;
  int64_t width = 0;
  int64_t height = 0;
  std::array<double, 3> spacing = {1.0, 1.0, 1.0};
  int64_t selected_slices = 0;
  std::map<std::string, std::string> labels;

  bool operator==(const ManifestRow& o) const;
};

const std::vector<std::string>& ManifestHeader();
std::string ManifestLine(const ManifestRow& row);

// Writes a manifest row by row (temp file, renamed at Close()).
class ManifestWriter {
 public:
  static absl::StatusOr<std::unique_ptr<ManifestWriter>> Open(const std::string& path);
  ~ManifestWriter();
  absl::Status Add(const ManifestRow& row);
  absl::Status Close();

 private:
  ManifestWriter() = default;
  std::string path_;
  std::string tmp_;
  std::FILE* file_ = nullptr;
};

absl::Status WriteManifest(const std::string& path, const std::vector<ManifestRow>& rows);
// Reads a manifest; errors name the file and line.
absl::StatusOr<std::vector<ManifestRow>> ReadManifest(const std::string& path);

}  // namespace genesis

#endif  // GENESIS_CORE_CORPUS_MANIFEST_H_
