// "mura": MURA-v1.1 -> one record per patient and study type (body part). Images come from
// <split>_image_paths.csv, study labels from <split>_labeled_studies.csv; a label that
// contradicts the study folder's suffix (study1_positive / study1_negative) is an error.
//
//   corpus { dataset { source { type: "mura" options {
//     [type.googleapis.com/genesis.MuraOptions] { root: "/data/MURA-v1.1" }
//   } } } }
//
// A patient with studies of two body parts (e.g. XR_SHOULDER and XR_HUMERUS) gets two records
// with the same patient_id: a patient-level split must group by (dataset, patient_id).
// Record: patient_id "patient00001", modality XR, body_part "shoulder" (study type without
// "XR_", lower case), files = images in study then image order, slice_count = number of images
// (each PNG is one 2D slice), labels: split ("train"/"valid"), study_type ("XR_SHOULDER"),
// label ("1" when any study is positive), file_labels (per file "0"/"1", comma-joined),
// studies (study folder names, comma-joined).

#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/dataset_source.h"
#include "core/status_macros.h"
#include "plugins/dataset/dataset_util.h"
#include "plugins/dataset/mura.pb.h"

namespace genesis {
namespace {

// "MURA-v1.1/train/XR_SHOULDER/patient00001/study1_positive/image1.png" split into parts.
struct MuraPath {
  std::string split, study_type, patient, study, image;
};

absl::StatusOr<MuraPath> ParseMuraPath(absl::string_view path, bool has_image,
                                       absl::string_view where) {
  std::vector<std::string> parts = absl::StrSplit(path, '/', absl::SkipEmpty());
  const size_t need = has_image ? 6 : 5;
  if (parts.size() != need) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": expected MURA-v1.1/<split>/<XR_TYPE>/patientNNNNN/studyN_<label>",
                     has_image ? "/imageN.png" : "/", ", got '", path, "'"));
  }
  MuraPath p{parts[1], parts[2], parts[3], parts[4], has_image ? parts[5] : ""};
  return p;
}

class MuraSource : public DatasetSource {
 public:
  explicit MuraSource(const MuraOptions& options) : options_(options) {}

  static absl::Status Validate(const MuraOptions& o) {
    if (o.root().empty()) return absl::InvalidArgumentError("root: must be set");
    for (const std::string& s : o.splits()) {
      if (s != "train" && s != "valid") {
        return absl::InvalidArgumentError(
            absl::StrCat("splits: must be \"train\" or \"valid\", got \"", s, "\""));
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<PatientRecord>> Scan() const override {
    const std::string& root = options_.root();
    GENESIS_RETURN_IF_ERROR(dataset::CheckDirectory(root, "root"));
    std::vector<std::string> splits(options_.splits().begin(), options_.splits().end());
    if (splits.empty()) splits = {"train", "valid"};
    const std::set<std::string> types(options_.study_types().begin(), options_.study_types().end());

    struct Group {
      PatientRecord record;
      std::vector<std::string> file_labels;
      std::vector<std::string> studies;
    };
    // (patient, study type, split) -> record, in natural patient order.
    auto less = [](const std::tuple<std::string, std::string, std::string>& a,
                   const std::tuple<std::string, std::string, std::string>& b) {
      if (std::get<0>(a) != std::get<0>(b)) {
        return dataset::NaturalLess(std::get<0>(a), std::get<0>(b));
      }
      return std::tie(std::get<1>(a), std::get<2>(a)) < std::tie(std::get<1>(b), std::get<2>(b));
    };
    std::map<std::tuple<std::string, std::string, std::string>, Group, decltype(less)> groups(less);

    for (const std::string& split : splits) {
      const std::string studies_csv = absl::StrCat(root, "/", split, "_labeled_studies.csv");
      GENESIS_ASSIGN_OR_RETURN(CsvTable studies,
                               dataset::ReadHeaderlessCsv(studies_csv, {"study", "label"}));
      std::map<std::string, std::string> study_label;  // "XR_TYPE/patient/study" -> "0"/"1"
      for (size_t i = 0; i < studies.rows.size(); ++i) {
        const std::string where = absl::StrCat(studies_csv, ":", i + 1);
        GENESIS_ASSIGN_OR_RETURN(MuraPath p, ParseMuraPath(studies.rows[i][0], false, where));
        const std::string& label = studies.rows[i][1];
        if (label != "0" && label != "1") {
          return absl::InvalidArgumentError(
              absl::StrCat(where, ": label must be 0 or 1, got '", label, "'"));
        }
        const bool positive_folder = absl::EndsWith(p.study, "_positive");
        const bool negative_folder = absl::EndsWith(p.study, "_negative");
        if ((label == "1" && negative_folder) || (label == "0" && positive_folder)) {
          return absl::InvalidArgumentError(absl::StrCat(
              where, ": label ", label, " contradicts the study folder '", p.study, "'"));
        }
        study_label[absl::StrCat(p.study_type, "/", p.patient, "/", p.study)] = label;
      }

      const std::string images_csv = absl::StrCat(root, "/", split, "_image_paths.csv");
      GENESIS_ASSIGN_OR_RETURN(CsvTable images, dataset::ReadHeaderlessCsv(images_csv, {"path"}));
      for (size_t i = 0; i < images.rows.size(); ++i) {
        const std::string where = absl::StrCat(images_csv, ":", i + 1);
        GENESIS_ASSIGN_OR_RETURN(MuraPath p, ParseMuraPath(images.rows[i][0], true, where));
        if (p.split != split) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, ": path is in split '", p.split, "', not '", split, "'"));
        }
        if (!types.empty() && !types.count(p.study_type)) continue;
        const std::string file =
            absl::StrJoin({root, p.split, p.study_type, p.patient, p.study, p.image}, "/");
        if (options_.check_files() && !dataset::IsFile(file)) {
          return absl::NotFoundError(absl::StrCat(file, ": missing (listed in ", where, ")"));
        }
        std::string label;
        auto it = study_label.find(absl::StrCat(p.study_type, "/", p.patient, "/", p.study));
        if (it != study_label.end()) {
          label = it->second;
        } else if (absl::EndsWith(p.study, "_positive")) {
          label = "1";
        } else if (absl::EndsWith(p.study, "_negative")) {
          label = "0";
        } else {
          return absl::InvalidArgumentError(absl::StrCat(where, ": study '", p.study,
                                                         "' has no label in ", studies_csv,
                                                         " and no _positive/_negative suffix"));
        }
        Group& g = groups[{p.patient, p.study_type, split}];
        if (g.record.files.empty()) {
          g.record.dataset = options_.name();
          g.record.patient_id = p.patient;
          g.record.modality = Modality::kXRay;
          std::string part = p.study_type;
          if (absl::StartsWith(part, "XR_")) part = part.substr(3);
          g.record.body_part = absl::AsciiStrToLower(part);
          g.record.labels["split"] = split;
          g.record.labels["study_type"] = p.study_type;
        }
        g.record.files.push_back(file);
        g.file_labels.push_back(label);
        if (g.studies.empty() || g.studies.back() != p.study) g.studies.push_back(p.study);
      }
    }

    std::vector<PatientRecord> records;
    for (auto& [key, g] : groups) {
      g.record.slice_count = static_cast<int64_t>(g.record.files.size());
      bool positive = false;
      for (const std::string& l : g.file_labels) positive = positive || l == "1";
      g.record.labels["label"] = positive ? "1" : "0";
      g.record.labels["file_labels"] = absl::StrJoin(g.file_labels, ",");
      g.record.labels["studies"] = absl::StrJoin(g.studies, ",");
      records.push_back(std::move(g.record));
    }
    return records;
  }

 private:
  MuraOptions options_;
};

}  // namespace

GENESIS_REGISTER_DATASET_SOURCE(MuraSource, "mura", MuraOptions,
                                "MURA v1.1 musculoskeletal radiographs (PNG + official CSVs)");

}  // namespace genesis
