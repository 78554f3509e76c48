// "ibsr": IBSR -> one record per subject folder, files = its T1 volumes (.hdr with .img, .nii,
// .nii.gz) except excluded names (segmentations, skull-stripped copies). A subject folder with
// no image, or a .hdr without its .img, is an error naming it.
//
//   corpus { dataset { source { type: "ibsr" options {
//     [type.googleapis.com/genesis.IbsrOptions] { root: "/data/IBSR_V2.0" }
//   } } } }
//
// Record: patient_id = folder name ("IBSR_01"), modality MR, body_part "brain", slice_count =
// header z sizes summed (-1 when a file is gzipped NIfTI).

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/dataset_source.h"
#include "core/status_macros.h"
#include "plugins/dataset/dataset_util.h"
#include "plugins/dataset/ibsr.pb.h"

namespace genesis {
namespace {

class IbsrSource : public DatasetSource {
 public:
  explicit IbsrSource(const IbsrOptions& options) : options_(options) {}

  static absl::Status Validate(const IbsrOptions& o) {
    if (o.root().empty()) return absl::InvalidArgumentError("root: must be set");
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<PatientRecord>> Scan() const override {
    const std::string& root = options_.root();
    GENESIS_RETURN_IF_ERROR(dataset::CheckDirectory(root, "root"));
    std::vector<std::string> exclude;
    for (absl::string_view word : absl::StrSplit(options_.exclude(), '|', absl::SkipEmpty())) {
      exclude.push_back(absl::AsciiStrToLower(word));
    }
    GENESIS_ASSIGN_OR_RETURN(std::vector<std::string> subjects, dataset::ListDirectories(root));
    if (subjects.empty()) {
      return absl::NotFoundError(absl::StrCat("root: no subject folders in ", root));
    }
    std::vector<PatientRecord> records;
    for (const std::string& subject : subjects) {
      GENESIS_ASSIGN_OR_RETURN(std::vector<std::string> files,
                               dataset::ListFilesRecursive(subject));
      PatientRecord r;
      r.dataset = options_.name();
      r.patient_id = dataset::BaseName(subject);
      r.modality = Modality::kMR;
      r.body_part = options_.body_part();
      for (const std::string& f : files) {
        if (!dataset::IsVolumeFile(f)) continue;
        const std::string rel = absl::AsciiStrToLower(f.substr(subject.size()));
        bool skip = false;
        for (const std::string& word : exclude) skip = skip || absl::StrContains(rel, word);
        if (skip) continue;
        GENESIS_RETURN_IF_ERROR(dataset::CheckAnalyzePair(f));
        r.files.push_back(f);
      }
      if (r.files.empty()) {
        return absl::NotFoundError(
            absl::StrCat(subject, ": no T1 image (.hdr/.img, .nii, .nii.gz) besides excluded '",
                         options_.exclude(), "' files"));
      }
      GENESIS_ASSIGN_OR_RETURN(r.slice_count, dataset::TotalSliceCount(r.files));
      records.push_back(std::move(r));
    }
    return records;
  }

 private:
  IbsrOptions options_;
};

}  // namespace

GENESIS_REGISTER_DATASET_SOURCE(IbsrSource, "ibsr", IbsrOptions,
                                "IBSR brain T1 MRI (Analyze or NIfTI per subject folder)");

}  // namespace genesis
