// "chaos": CHAOS abdominal CT and MR -> one record per patient. CT and MR ids name different
// people (the challenge says the two sets are unrelated), so patient ids are "CT_<id>" and
// "MR_<id>".
//
//   corpus { dataset { source { type: "chaos" options {
//     [type.googleapis.com/genesis.ChaosOptions] { root: "/data/CHAOS_Train_Sets/Train_Sets"
//                                                  include_ct: false } } } } }
//
// Record: CT: files = [CT/<id>/DICOM_anon]; MR: files = T1DUAL/DICOM_anon/InPhase,
// T1DUAL/DICOM_anon/OutPhase, T2SPIR/DICOM_anon (as present), labels["series"] = those paths
// relative to the patient folder, comma-joined.

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/dataset_source.h"
#include "core/status_macros.h"
#include "plugins/dataset/chaos.pb.h"
#include "plugins/dataset/dataset_util.h"

namespace genesis {
namespace {

class ChaosSource : public DatasetSource {
 public:
  explicit ChaosSource(const ChaosOptions& options) : options_(options) {}

  static absl::Status Validate(const ChaosOptions& o) {
    if (o.root().empty()) return absl::InvalidArgumentError("root: must be set");
    if (!o.include_ct() && !o.include_mr()) {
      return absl::InvalidArgumentError("include_ct: false with include_mr: false lists nothing");
    }
    for (const std::string& s : o.mr_sequences()) {
      if (s != "T1DUAL" && s != "T2SPIR") {
        return absl::InvalidArgumentError(
            absl::StrCat("mr_sequences: must be T1DUAL or T2SPIR, got \"", s, "\""));
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<PatientRecord>> Scan() const override {
    std::string root = options_.root();
    GENESIS_RETURN_IF_ERROR(dataset::CheckDirectory(root, "root"));
    auto has_sets = [](const std::string& dir) {
      return dataset::IsDirectory(dir + "/CT") || dataset::IsDirectory(dir + "/MR");
    };
    if (!has_sets(root)) {
      for (const char* sub : {"/Train_Sets", "/Test_Sets"}) {
        if (has_sets(root + sub)) {
          root += sub;
          break;
        }
      }
    }
    if (!has_sets(root)) {
      return absl::NotFoundError(absl::StrCat("root: no CT/ or MR/ folder in ", options_.root(),
                                              " (expected CHAOS Train_Sets or Test_Sets)"));
    }
    std::vector<PatientRecord> records;
    if (options_.include_ct() && dataset::IsDirectory(root + "/CT")) {
      GENESIS_RETURN_IF_ERROR(AddPatients(root + "/CT", Modality::kCT, {""}, &records));
    }
    if (options_.include_mr() && dataset::IsDirectory(root + "/MR")) {
      std::vector<std::string> sequences(options_.mr_sequences().begin(),
                                         options_.mr_sequences().end());
      if (sequences.empty()) sequences = {"T1DUAL", "T2SPIR"};
      GENESIS_RETURN_IF_ERROR(AddPatients(root + "/MR", Modality::kMR, sequences, &records));
    }
    return records;
  }

 private:
  // Each <dir>/<id> is a patient; its DICOM series below <id>/<sequence>/DICOM_anon (CT: below
  // <id>/DICOM_anon).
  absl::Status AddPatients(const std::string& dir, Modality modality,
                           const std::vector<std::string>& sequences,
                           std::vector<PatientRecord>* records) const {
    GENESIS_ASSIGN_OR_RETURN(std::vector<std::string> patients, dataset::ListDirectories(dir));
    for (const std::string& patient_dir : patients) {
      PatientRecord r;
      r.dataset = options_.name();
      r.patient_id = absl::StrCat(ModalityName(modality), "_", dataset::BaseName(patient_dir));
      r.modality = modality;
      r.body_part = options_.body_part();
      std::vector<std::string> series;
      for (const std::string& sequence : sequences) {
        const std::string base =
            sequence.empty() ? patient_dir : absl::StrCat(patient_dir, "/", sequence);
        if (!dataset::IsDirectory(base)) continue;
        GENESIS_ASSIGN_OR_RETURN(std::vector<std::string> dirs, dataset::FindDicomSeriesDirs(base));
        for (const std::string& d : dirs) {
          r.files.push_back(d);
          series.push_back(d.substr(patient_dir.size() + 1));
        }
      }
      if (r.files.empty()) {
        return absl::NotFoundError(absl::StrCat(
            patient_dir, ": no DICOM series (expected ",
            modality == Modality::kCT ? "DICOM_anon/*.dcm" : "T1DUAL/ or T2SPIR/DICOM_anon", ")"));
      }
      r.labels["series"] = absl::StrJoin(series, ",");
      records->push_back(std::move(r));
    }
    return absl::OkStatus();
  }

  ChaosOptions options_;
};

}  // namespace

GENESIS_REGISTER_DATASET_SOURCE(ChaosSource, "chaos", ChaosOptions,
                                "CHAOS abdominal CT and MR (T1DUAL, T2SPIR) DICOM series");

}  // namespace genesis
