// "deeplesion": DeepLesion -> one record per patient (the first field of the series folder
// "000001_01_01"), files = every PNG slice of every study/series of the patient, in series then
// slice order. A folder under Images_png that is not <6 digits>_<2>_<2> is an error.
//
//   corpus { dataset { source { type: "deeplesion" options {
//     [type.googleapis.com/genesis.DeepLesionOptions] { root: "/data/DeepLesion" }
//   } } } }
//
// Record: patient_id "000001", modality CT, slice_count = number of PNGs, labels: value_offset
// ("-32768": HU = stored value - 32768; whoever reads the PNGs must add it, as
// PngReaderOptions.value_offset does), series (folder names, comma-joined), lesions (key slices
// in DL_info.csv, when present).

#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/dataset_source.h"
#include "core/status_macros.h"
#include "plugins/dataset/dataset_util.h"
#include "plugins/dataset/deeplesion.pb.h"

namespace genesis {
namespace {

bool AllDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// "000001_01_01" -> "000001"; "" when the name is not patient_study_series.
std::string SeriesPatient(absl::string_view folder) {
  std::vector<absl::string_view> parts = absl::StrSplit(folder, '_');
  if (parts.size() != 3) return "";
  for (absl::string_view p : parts) {
    if (!AllDigits(p)) return "";
  }
  return std::string(parts[0]);
}

class DeepLesionSource : public DatasetSource {
 public:
  explicit DeepLesionSource(const DeepLesionOptions& options) : options_(options) {}

  static absl::Status Validate(const DeepLesionOptions& o) {
    if (o.root().empty()) return absl::InvalidArgumentError("root: must be set");
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<PatientRecord>> Scan() const override {
    const std::string& root = options_.root();
    GENESIS_RETURN_IF_ERROR(dataset::CheckDirectory(root, "root"));
    std::string images = root + "/Images_png";
    if (!dataset::IsDirectory(images)) {
      if (dataset::BaseName(root) != "Images_png") {
        return absl::NotFoundError(absl::StrCat("root: no Images_png folder in ", root));
      }
      images = root;
    }

    std::map<std::string, int> lesions;
    bool have_info = false;
    const std::string info = dataset::ResolvePath(root, options_.info_csv());
    if (!options_.info_csv().empty() && (options_.has_info_csv() || dataset::IsFile(info))) {
      GENESIS_ASSIGN_OR_RETURN(CsvTable table,
                               dataset::ReadCsvWithColumns(info, {"File_name", "Patient_index"}));
      const int patient = table.Column("Patient_index");
      for (size_t i = 0; i < table.rows.size(); ++i) {
        int index = 0;
        if (!absl::SimpleAtoi(table.rows[i][patient], &index)) {
          return absl::InvalidArgumentError(absl::StrCat(info, ":", i + 2,
                                                         ": Patient_index is not an integer: '",
                                                         table.rows[i][patient], "'"));
        }
        ++lesions[absl::StrCat(index)];
      }
      have_info = true;
    }

    GENESIS_ASSIGN_OR_RETURN(std::vector<std::string> series_dirs,
                             dataset::ListDirectories(images));
    std::map<std::string, PatientRecord> by_patient;
    for (const std::string& dir : series_dirs) {
      const std::string folder = dataset::BaseName(dir);
      const std::string patient = SeriesPatient(folder);
      if (patient.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(dir,
                         ": not a DeepLesion series folder (<patient>_<study>_<series>, e.g. "
                         "000001_01_01)"));
      }
      GENESIS_ASSIGN_OR_RETURN(std::vector<std::string> files, dataset::ListFiles(dir));
      PatientRecord& r = by_patient[patient];
      if (r.patient_id.empty()) {
        r.dataset = options_.name();
        r.patient_id = patient;
        r.modality = Modality::kCT;
        r.body_part = options_.body_part();
        r.hints.value_offset = -32768.0f;
      }
      for (const std::string& f : files) {
        if (absl::EndsWithIgnoreCase(f, ".png")) r.files.push_back(f);
      }
      auto& series = r.labels["series"];
      series = series.empty() ? folder : absl::StrCat(series, ",", folder);
    }
    if (by_patient.empty()) {
      return absl::NotFoundError(absl::StrCat("root: no series folders in ", images));
    }

    std::vector<PatientRecord> records;
    for (auto& [patient, r] : by_patient) {  // Zero-padded ids: map order is numeric order.
      r.slice_count = static_cast<int64_t>(r.files.size());
      if (have_info) {
        int64_t index = 0;
        absl::SimpleAtoi(patient, &index);
        auto it = lesions.find(absl::StrCat(index));
        r.labels["lesions"] = absl::StrCat(it == lesions.end() ? 0 : it->second);
      }
      records.push_back(std::move(r));
    }
    return records;
  }

 private:
  DeepLesionOptions options_;
};

}  // namespace

GENESIS_REGISTER_DATASET_SOURCE(DeepLesionSource, "deeplesion", DeepLesionOptions,
                                "NIH DeepLesion CT slices (16-bit PNG, HU = value - 32768)");

}  // namespace genesis
