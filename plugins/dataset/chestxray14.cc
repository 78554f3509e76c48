// "chestxray14": NIH ChestX-ray14 -> one record per patient ("Patient ID" column), holding all
// that patient's PNGs ordered by "Follow-up #". PNGs are found anywhere under root (images/ or
// images_NNN/images/); PNGs the CSV does not list are ignored.
//
//   corpus { dataset { source { type: "chestxray14" options {
//     [type.googleapis.com/genesis.ChestXray14Options] { root: "/data/chestxray14" }
//   } } } }
//
// Record: patient_id = "Patient ID" as written in the CSV ("1"), modality XR, body_part
// "chest", slice_count = number of images, labels: file_labels (each file's "Finding Labels",
// e.g. "Cardiomegaly|Effusion", comma-joined in file order), view_positions (PA/AP, same order).

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/dataset_source.h"
#include "core/status_macros.h"
#include "glog/logging.h"
#include "plugins/dataset/chestxray14.pb.h"
#include "plugins/dataset/dataset_util.h"

namespace genesis {
namespace {

class ChestXray14Source : public DatasetSource {
 public:
  explicit ChestXray14Source(const ChestXray14Options& options) : options_(options) {}

  static absl::Status Validate(const ChestXray14Options& o) {
    if (o.root().empty()) return absl::InvalidArgumentError("root: must be set");
    if (o.data_entry().empty()) return absl::InvalidArgumentError("data_entry: must be set");
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<PatientRecord>> Scan() const override {
    const std::string& root = options_.root();
    GENESIS_RETURN_IF_ERROR(dataset::CheckDirectory(root, "root"));
    const std::string csv = dataset::ResolvePath(root, options_.data_entry());
    GENESIS_ASSIGN_OR_RETURN(
        CsvTable table,
        dataset::ReadCsvWithColumns(csv, {"Image Index", "Finding Labels", "Patient ID"}));
    const int image_col = table.Column("Image Index");
    const int finding_col = table.Column("Finding Labels");
    const int patient_col = table.Column("Patient ID");
    const int follow_col = table.Column("Follow-up #");  // Optional.
    const int view_col = table.Column("View Position");  // Optional.

    std::map<std::string, std::string> png_by_name;
    GENESIS_ASSIGN_OR_RETURN(std::vector<std::string> files, dataset::ListFilesRecursive(root));
    for (const std::string& file : files) {
      png_by_name.emplace(dataset::BaseName(file), file);  // First in natural order wins.
    }

    struct Image {
      int64_t follow_up;
      std::string path, finding, view;
    };
    std::map<std::string, std::vector<Image>> by_patient;
    int64_t missing = 0;
    for (size_t i = 0; i < table.rows.size(); ++i) {
      const auto& row = table.rows[i];
      const std::string where = absl::StrCat(csv, ":", i + 2);
      const std::string& patient = row[patient_col];
      if (patient.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": empty 'Patient ID'"));
      }
      auto png = png_by_name.find(row[image_col]);
      if (png == png_by_name.end()) {
        if (options_.skip_missing_images()) {
          ++missing;
          continue;
        }
        return absl::NotFoundError(
            absl::StrCat(where, ": image '", row[image_col], "' not found under ", root));
      }
      int64_t follow_up = 0;
      if (follow_col >= 0 && !absl::SimpleAtoi(row[follow_col], &follow_up)) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": 'Follow-up #' is not an integer: '", row[follow_col], "'"));
      }
      by_patient[patient].push_back(
          {follow_up, png->second, row[finding_col], view_col >= 0 ? row[view_col] : ""});
    }
    if (missing > 0) {
      LOG(WARNING) << csv << ": skipped " << missing << " rows whose image is not under " << root
                   << " (skip_missing_images)";
    }

    std::vector<std::string> patients;
    for (const auto& [patient, images] : by_patient) patients.push_back(patient);
    dataset::NaturalSort(&patients);
    std::vector<PatientRecord> records;
    for (const std::string& patient : patients) {
      std::vector<Image> images = by_patient[patient];
      std::stable_sort(images.begin(), images.end(), [](const Image& a, const Image& b) {
        if (a.follow_up != b.follow_up) return a.follow_up < b.follow_up;
        return dataset::NaturalLess(a.path, b.path);
      });
      PatientRecord record;
      record.dataset = options_.name();
      record.patient_id = patient;
      record.modality = Modality::kXRay;
      record.body_part = options_.body_part();
      std::vector<std::string> findings, views;
      for (const Image& image : images) {
        record.files.push_back(image.path);
        findings.push_back(image.finding);
        views.push_back(image.view);
      }
      record.slice_count = static_cast<int64_t>(record.files.size());
      record.labels["file_labels"] = absl::StrJoin(findings, ",");
      if (view_col >= 0) record.labels["view_positions"] = absl::StrJoin(views, ",");
      records.push_back(std::move(record));
    }
    return records;
  }

 private:
  ChestXray14Options options_;
};

}  // namespace

GENESIS_REGISTER_DATASET_SOURCE(ChestXray14Source, "chestxray14", ChestXray14Options,
                                "NIH ChestX-ray14 (PNG + Data_Entry_2017.csv, per patient)");

}  // namespace genesis
