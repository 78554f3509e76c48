// "mrnet": MRNet knee MRI -> one record per exam (the exam id is the patient id: MRNet has one
// exam per patient), files = the exam's plane arrays (.npy) in plane order. An exam missing one
// of the requested planes is an error naming the file.
//
//   corpus { dataset { source { type: "mrnet" options {
//     [type.googleapis.com/genesis.MrnetOptions] { root: "/data/MRNet-v1.0" planes: "sagittal" }
//   } } } }
//
// Record: patient_id "0000", modality MR, body_part "knee", slice_count = sum of the planes'
// slice counts (from the .npy headers), labels: split, planes (comma-joined), file_slices
// (per-plane slice counts), abnormal / acl / meniscus ("0"/"1") from the label CSVs.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/dataset_source.h"
#include "core/status_macros.h"
#include "plugins/dataset/dataset_util.h"
#include "plugins/dataset/mrnet.pb.h"

namespace genesis {
namespace {

class MrnetSource : public DatasetSource {
 public:
  explicit MrnetSource(const MrnetOptions& options) : options_(options) {}

  static absl::Status Validate(const MrnetOptions& o) {
    if (o.root().empty()) return absl::InvalidArgumentError("root: must be set");
    for (const std::string& s : o.splits()) {
      if (s != "train" && s != "valid") {
        return absl::InvalidArgumentError(
            absl::StrCat("splits: must be \"train\" or \"valid\", got \"", s, "\""));
      }
    }
    for (const std::string& p : o.planes()) {
      if (p != "axial" && p != "coronal" && p != "sagittal") {
        return absl::InvalidArgumentError(absl::StrCat(
            "planes: must be \"axial\", \"coronal\" or \"sagittal\", got \"", p, "\""));
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<PatientRecord>> Scan() const override {
    const std::string& root = options_.root();
    GENESIS_RETURN_IF_ERROR(dataset::CheckDirectory(root, "root"));
    std::vector<std::string> splits(options_.splits().begin(), options_.splits().end());
    if (splits.empty()) splits = {"train", "valid"};
    std::vector<std::string> planes(options_.planes().begin(), options_.planes().end());
    if (planes.empty()) planes = {"axial", "coronal", "sagittal"};

    std::vector<PatientRecord> records;
    for (const std::string& split : splits) {
      const std::string split_dir = absl::StrCat(root, "/", split);
      GENESIS_RETURN_IF_ERROR(dataset::CheckDirectory(split_dir, "root"));
      // Labels: exam -> task -> "0"/"1".
      std::map<std::string, std::map<std::string, std::string>> labels;
      if (options_.read_labels()) {
        for (const char* task : {"abnormal", "acl", "meniscus"}) {
          const std::string csv = absl::StrCat(root, "/", split, "-", task, ".csv");
          GENESIS_ASSIGN_OR_RETURN(CsvTable table,
                                   dataset::ReadHeaderlessCsv(csv, {"exam", "label"}));
          for (size_t i = 0; i < table.rows.size(); ++i) {
            const std::string& label = table.rows[i][1];
            if (label != "0" && label != "1") {
              return absl::InvalidArgumentError(
                  absl::StrCat(csv, ":", i + 1, ": label must be 0 or 1, got '", label, "'"));
            }
            labels[table.rows[i][0]][task] = label;
          }
        }
      }
      // Exams: every .npy stem in any requested plane.
      std::set<std::string> exam_set;
      for (const std::string& plane : planes) {
        const std::string dir = absl::StrCat(split_dir, "/", plane);
        GENESIS_RETURN_IF_ERROR(dataset::CheckDirectory(dir, "planes"));
        GENESIS_ASSIGN_OR_RETURN(std::vector<std::string> files, dataset::ListFiles(dir));
        for (const std::string& f : files) {
          if (absl::EndsWith(f, ".npy")) exam_set.insert(dataset::StripExtension(f));
        }
      }
      std::vector<std::string> exams(exam_set.begin(), exam_set.end());
      dataset::NaturalSort(&exams);
      for (const std::string& exam : exams) {
        PatientRecord r;
        r.dataset = options_.name();
        r.patient_id = exam;
        r.modality = Modality::kMR;
        r.body_part = options_.body_part();
        r.slice_count = 0;
        std::vector<std::string> counts;
        for (const std::string& plane : planes) {
          const std::string file = absl::StrCat(split_dir, "/", plane, "/", exam, ".npy");
          if (!dataset::IsFile(file)) {
            return absl::NotFoundError(
                absl::StrCat(file, ": missing (exam ", exam, " has other planes)"));
          }
          GENESIS_ASSIGN_OR_RETURN(int64_t slices, dataset::HeaderSliceCount(file));
          r.files.push_back(file);
          r.slice_count += slices;
          counts.push_back(absl::StrCat(slices));
        }
        r.labels["split"] = split;
        r.labels["planes"] = absl::StrJoin(planes, ",");
        r.labels["file_slices"] = absl::StrJoin(counts, ",");
        if (options_.read_labels()) {
          auto it = labels.find(exam);
          if (it == labels.end() || it->second.size() != 3) {
            return absl::InvalidArgumentError(
                absl::StrCat(root, "/", split,
                             "-{abnormal,acl,meniscus}.csv: no complete labels for exam ", exam));
          }
          for (const auto& [task, label] : it->second) r.labels[task] = label;
        }
        records.push_back(std::move(r));
      }
    }
    return records;
  }

 private:
  MrnetOptions options_;
};

}  // namespace

GENESIS_REGISTER_DATASET_SOURCE(MrnetSource, "mrnet", MrnetOptions,
                                "Stanford MRNet knee MRI (one .npy per exam and plane)");

}  // namespace genesis
