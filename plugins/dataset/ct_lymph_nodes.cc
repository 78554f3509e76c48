// "ct_lymph_nodes": TCIA CT Lymph Nodes -> one record per patient folder (ABD_LYMPH_001,
// MED_LYMPH_001, ...), files = its DICOM series folders. A DICOM folder outside such a patient
// folder is an error.
//
//   corpus { dataset { source { type: "ct_lymph_nodes" options {
//     [type.googleapis.com/genesis.CtLymphNodesOptions] { root: "/data/CT Lymph Nodes" }
//   } } } }
//
// Record: modality CT, body_part "abdomen" (ABD_) or "mediastinum" (MED_).

#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/dataset_source.h"
#include "core/status_macros.h"
#include "plugins/dataset/ct_lymph_nodes.pb.h"
#include "plugins/dataset/dataset_util.h"

namespace genesis {
namespace {

// "ABD_LYMPH_001" / "MED_LYMPH_012" (case-insensitive prefix); "" otherwise.
std::string LymphPatient(absl::string_view component) {
  const std::string upper = absl::AsciiStrToUpper(component);
  if ((absl::StartsWith(upper, "ABD_LYMPH_") || absl::StartsWith(upper, "MED_LYMPH_")) &&
      upper.size() > 10) {
    return std::string(component);
  }
  return "";
}

class CtLymphNodesSource : public DatasetSource {
 public:
  explicit CtLymphNodesSource(const CtLymphNodesOptions& options) : options_(options) {}

  static absl::Status Validate(const CtLymphNodesOptions& o) {
    if (o.root().empty()) return absl::InvalidArgumentError("root: must be set");
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<PatientRecord>> Scan() const override {
    const std::string& root = options_.root();
    GENESIS_RETURN_IF_ERROR(dataset::CheckDirectory(root, "root"));
    GENESIS_ASSIGN_OR_RETURN(std::vector<std::string> dirs, dataset::FindDicomSeriesDirs(root));
    if (dirs.empty()) return absl::NotFoundError(absl::StrCat("root: no DICOM files under ", root));
    std::map<std::string, PatientRecord> by_patient;
    for (const std::string& dir : dirs) {
      const std::string patient = dataset::FindComponent(root, dir, LymphPatient);
      if (patient.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            dir, ": DICOM series outside an ABD_LYMPH_NNN / MED_LYMPH_NNN patient folder"));
      }
      PatientRecord& r = by_patient[patient];
      if (r.files.empty()) {
        r.dataset = options_.name();
        r.patient_id = patient;
        r.modality = Modality::kCT;
        r.body_part = absl::StartsWithIgnoreCase(patient, "ABD") ? options_.abdomen_body_part()
                                                                 : options_.mediastinum_body_part();
      }
      r.files.push_back(dir);
    }
    return dataset::RecordsInNaturalOrder(std::move(by_patient));
  }

 private:
  CtLymphNodesOptions options_;
};

}  // namespace

GENESIS_REGISTER_DATASET_SOURCE(CtLymphNodesSource, "ct_lymph_nodes", CtLymphNodesOptions,
                                "TCIA CT Lymph Nodes (DICOM series per ABD_/MED_LYMPH patient)");

}  // namespace genesis
