#include "plugins/dataset/mura_layout.h"

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/csv.h"
#include "core/status_macros.h"
#include "plugins/dataset/dataset_util.h"

namespace genesis {
namespace mura {
namespace {

// "MURA-v1.1/train/XR_SHOULDER/patient00001/study1_positive[/image1.png]" split into parts.
absl::StatusOr<MuraImage> ParseMuraPath(absl::string_view path, bool has_image,
                                        absl::string_view where) {
  std::vector<std::string> parts = absl::StrSplit(path, '/', absl::SkipEmpty());
  const size_t need = has_image ? 6 : 5;
  if (parts.size() != need) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": expected MURA-v1.1/<split>/<XR_TYPE>/patientNNNNN/studyN_<label>",
                     has_image ? "/imageN.png" : "/", ", got '", path, "'"));
  }
  MuraImage p;
  p.split = parts[1];
  p.study_type = parts[2];
  p.patient = parts[3];
  p.study = parts[4];
  if (has_image) p.image = parts[5];
  p.where = std::string(where);
  return p;
}

}  // namespace

std::string MuraImage::RelativePath() const {
  return absl::StrJoin({split, study_type, patient, study, image}, "/");
}

std::string MuraImage::Path(const std::string& root) const {
  return absl::StrCat(root, "/", RelativePath());
}

std::string MuraImage::StudyKey() const { return absl::StrJoin({study_type, patient, study}, "/"); }

absl::StatusOr<std::vector<MuraImage>> ReadMuraSplit(const std::string& root,
                                                     const std::string& split) {
  const std::string studies_csv = absl::StrCat(root, "/", split, "_labeled_studies.csv");
  GENESIS_ASSIGN_OR_RETURN(CsvTable studies,
                           dataset::ReadHeaderlessCsv(studies_csv, {"study", "label"}));
  std::map<std::string, int> study_label;  // StudyKey() -> 0/1
  for (size_t i = 0; i < studies.rows.size(); ++i) {
    const std::string where = absl::StrCat(studies_csv, ":", i + 1);
    GENESIS_ASSIGN_OR_RETURN(MuraImage p, ParseMuraPath(studies.rows[i][0], false, where));
    const std::string& label = studies.rows[i][1];
    if (label != "0" && label != "1") {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": label must be 0 or 1, got '", label, "'"));
    }
    const bool positive_folder = absl::EndsWith(p.study, "_positive");
    const bool negative_folder = absl::EndsWith(p.study, "_negative");
    if ((label == "1" && negative_folder) || (label == "0" && positive_folder)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": label ", label, " contradicts the study folder '", p.study, "'"));
    }
    study_label[p.StudyKey()] = label == "1" ? 1 : 0;
  }

  const std::string images_csv = absl::StrCat(root, "/", split, "_image_paths.csv");
  GENESIS_ASSIGN_OR_RETURN(CsvTable rows, dataset::ReadHeaderlessCsv(images_csv, {"path"}));
  std::vector<MuraImage> images;
  images.reserve(rows.rows.size());
  for (size_t i = 0; i < rows.rows.size(); ++i) {
    const std::string where = absl::StrCat(images_csv, ":", i + 1);
    GENESIS_ASSIGN_OR_RETURN(MuraImage p, ParseMuraPath(rows.rows[i][0], true, where));
    if (p.split != split) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": path is in split '", p.split, "', not '", split, "'"));
    }
    auto it = study_label.find(p.StudyKey());
    if (it != study_label.end()) {
      p.label = it->second;
    } else if (absl::EndsWith(p.study, "_positive")) {
      p.label = 1;
    } else if (absl::EndsWith(p.study, "_negative")) {
      p.label = 0;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(where, ": study '", p.study,
                                                     "' has no label in ", studies_csv,
                                                     " and no _positive/_negative suffix"));
    }
    images.push_back(std::move(p));
  }
  return images;
}

}  // namespace mura
}  // namespace genesis
