// Plugin kind "dataset_source": one public dataset's on-disk layout -> patient records.
//
//   corpus { dataset { source { type: "msd" options { [type.googleapis.com/genesis.MsdOptions]
//            { root: "/data/Task03_Liver" } } } } }
//
// A source only lists files; image readers load them. Records are per patient, so sampling and
// splitting never mix patients.
#ifndef GENESIS_CORE_DATASET_SOURCE_H_
#define GENESIS_CORE_DATASET_SOURCE_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/read_hints.h"
#include "core/registry.h"
#include "core/volume.h"

namespace genesis {

struct PatientRecord {
  std::string dataset;     // e.g. "MSD-Liver", "MURA".
  std::string patient_id;  // Dataset-scoped, never a patient name.
  Modality modality = Modality::kUnknown;
  std::string body_part;   // e.g. "abdomen", "head", "chest", "shoulder".
  // Files (or DICOM series folders) holding this patient's images.
  std::vector<std::string> files;
  int64_t slice_count = -1;  // -1 until known (read from the volumes).
  // How to read `files` (channel, value offset, MATLAB variable, axis order), honoured by the
  // corpus and the readers (core/read_hints.h). Never put such a hint into `labels`.
  ReadHints hints;
  // Free-form labels a downstream task may need (e.g. {"label": "1"}).
  std::map<std::string, std::string> labels;
};

class DatasetSource {
 public:
  static constexpr absl::string_view kKind = "dataset_source";
  static constexpr absl::string_view kTarget = "//plugins/dataset:all";
  static constexpr absl::string_view kKindDescription =
      "reads a dataset's on-disk layout into patient-level records";

  virtual ~DatasetSource() = default;
  // Lists the dataset's patients. Unreadable metadata is an error naming the file.
  virtual absl::StatusOr<std::vector<PatientRecord>> Scan() const = 0;
  // Single inputs the last Scan() left out while listing the rest (e.g. a malformed manifest
  // row), as (input, reason); the corpus reports them in skipped.csv.
  virtual std::vector<std::pair<std::string, std::string>> SkippedInputs() const { return {}; }
};

}  // namespace genesis

#define GENESIS_REGISTER_DATASET_SOURCE(Plugin, name, Options, description) \
  GENESIS_REGISTER_PLUGIN(::genesis::DatasetSource, Plugin, name, Options, description)

#endif  // GENESIS_CORE_DATASET_SOURCE_H_
