// MURA-v1.1's official listing, shared by the "mura" dataset source (pretraining corpus) and the
// "mura" task (downstream classification), so both read the CSVs -- and name patients -- the
// same way.
//
//   GENESIS_ASSIGN_OR_RETURN(std::vector<MuraImage> images, ReadMuraSplit(root, "train"));
//   for (const MuraImage& image : images) { ... image.patient, image.label, image.Path(root) }
//
// Layout: <root>/<split>_image_paths.csv (one "MURA-v1.1/<split>/XR_<TYPE>/patientNNNNN/
// studyN_<positive|negative>/imageN.png" per line, no header) and
// <root>/<split>_labeled_studies.csv
// ("MURA-v1.1/<split>/XR_<TYPE>/patientNNNNN/studyN_<label>/,<0|1>" per line, no header).
#ifndef GENESIS_PLUGINS_DATASET_MURA_LAYOUT_H_
#define GENESIS_PLUGINS_DATASET_MURA_LAYOUT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace genesis {
namespace mura {

// One row of <split>_image_paths.csv with its study's label.
struct MuraImage {
  std::string split;       // "train" or "valid".
  std::string study_type;  // "XR_SHOULDER".
  std::string patient;     // "patient00001": the patient id the corpus uses.
  std::string study;       // "study1_positive".
  std::string image;       // "image1.png".
  // The study's label: from <split>_labeled_studies.csv, else from the folder's suffix. The two
  // never disagree (that is an error).
  int label = 0;
  std::string where;  // "<csv path>:<line>" of the row, for messages.

  // "train/XR_SHOULDER/patient00001/study1_positive/image1.png" (relative to the root).
  std::string RelativePath() const;
  // "<root>/" + RelativePath().
  std::string Path(const std::string& root) const;
  // "XR_SHOULDER/patient00001/study1_positive": unique within MURA (patients are per split).
  std::string StudyKey() const;
};

// Reads both CSVs of `split` ("train" or "valid") in file order. Errors (InvalidArgument unless
// said otherwise) name the CSV and line: a missing CSV (NotFound), a row with the wrong number
// of fields, a path not of the expected shape or in another split, a label not 0/1, a label that
// contradicts the study folder's suffix, an image whose study has neither a label nor a suffix.
// Files are not checked for existence here.
absl::StatusOr<std::vector<MuraImage>> ReadMuraSplit(const std::string& root,
                                                     const std::string& split);

}  // namespace mura
}  // namespace genesis

#endif  // GENESIS_PLUGINS_DATASET_MURA_LAYOUT_H_
