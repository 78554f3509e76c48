// "cq500": CQ500 head CT -> one record per patient ("CQ500CT0"), files = that patient's DICOM
// series folders. A DICOM folder outside a "CQ500CTn CQ500CTn" patient folder is an error.
//
//   corpus { dataset { source { type: "cq500" options {
//     [type.googleapis.com/genesis.Cq500Options] { root: "/data/cq500" series_contains: "THIN" }
//   } } } }
//
// Record: modality CT, body_part "brain", labels: series (series folder names, comma-joined).

#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/dataset_source.h"
#include "core/status_macros.h"
#include "plugins/dataset/cq500.pb.h"
#include "plugins/dataset/dataset_util.h"

namespace genesis {
namespace {

// "CQ500CT12 CQ500CT12" -> "CQ500CT12".
std::string Cq500Patient(absl::string_view component) {
  std::vector<absl::string_view> parts = absl::StrSplit(component, ' ', absl::SkipEmpty());
  if (parts.empty() || !absl::StartsWith(parts[0], "CQ500CT")) return "";
  if (parts.size() == 2 && parts[1] != parts[0]) return "";
  if (parts.size() > 2) return "";
  return std::string(parts[0]);
}

class Cq500Source : public DatasetSource {
 public:
  explicit Cq500Source(const Cq500Options& options) : options_(options) {}

  static absl::Status Validate(const Cq500Options& o) {
    if (o.root().empty()) return absl::InvalidArgumentError("root: must be set");
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<PatientRecord>> Scan() const override {
    const std::string& root = options_.root();
    GENESIS_RETURN_IF_ERROR(dataset::CheckDirectory(root, "root"));
    GENESIS_ASSIGN_OR_RETURN(std::vector<std::string> dirs, dataset::FindDicomSeriesDirs(root));
    std::map<std::string, PatientRecord> by_patient;
    for (const std::string& dir : dirs) {
      const std::string patient = dataset::FindComponent(root, dir, Cq500Patient);
      if (patient.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(dir, ": DICOM series outside a 'CQ500CTn CQ500CTn' patient folder"));
      }
      const std::string series = dataset::BaseName(dir);
      if (!options_.series_contains().empty()) {
        const std::string lower = absl::AsciiStrToLower(series);
        bool keep = false;
        for (const std::string& want : options_.series_contains()) {
          keep = keep || absl::StrContains(lower, absl::AsciiStrToLower(want));
        }
        if (!keep) continue;
      }
      PatientRecord& r = by_patient[patient];
      if (r.files.empty()) {
        r.dataset = options_.name();
        r.patient_id = patient;
        r.modality = Modality::kCT;
        r.body_part = options_.body_part();
      }
      r.files.push_back(dir);
      auto& names = r.labels["series"];
      names = names.empty() ? series : absl::StrCat(names, ",", series);
    }
    if (dirs.empty()) {
      return absl::NotFoundError(absl::StrCat("root: no DICOM files under ", root));
    }
    return dataset::RecordsInNaturalOrder(std::move(by_patient));
  }

 private:
  Cq500Options options_;
};

}  // namespace

GENESIS_REGISTER_DATASET_SOURCE(Cq500Source, "cq500", Cq500Options,
                                "CQ500 head CT (DICOM series per patient)");

}  // namespace genesis
