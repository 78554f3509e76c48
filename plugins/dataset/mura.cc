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
#include "core/dataset_source.h"
#include "core/status_macros.h"
#include "plugins/dataset/dataset_util.h"
#include "plugins/dataset/mura.pb.h"
#include "plugins/dataset/mura_layout.h"

namespace genesis {
namespace {

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
      GENESIS_ASSIGN_OR_RETURN(std::vector<mura::MuraImage> images,
                               mura::ReadMuraSplit(root, split));
      for (const mura::MuraImage& p : images) {
        if (!types.empty() && !types.count(p.study_type)) continue;
        const std::string file = p.Path(root);
        if (options_.check_files() && !dataset::IsFile(file)) {
          return absl::NotFoundError(absl::StrCat(file, ": missing (listed in ", p.where, ")"));
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
        g.file_labels.push_back(p.label == 1 ? "1" : "0");
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
