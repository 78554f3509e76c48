// Writes shoulder radiograph phantoms in the official MURA-v1.1 layout:
//
//   <mura>/MURA-v1.1/train_image_paths.csv      one image per line, no header:
//       MURA-v1.1/train/XR_SHOULDER/patient00001/study1_positive/image1.png
//   <mura>/MURA-v1.1/train_labeled_studies.csv  one study and its label per line, no header:
//       MURA-v1.1/train/XR_SHOULDER/patient00001/study1_positive/,1
//   <mura>/MURA-v1.1/valid_image_paths.csv, valid_labeled_studies.csv   (same, no header)
//   <mura>/MURA-v1.1/{train,valid}/XR_SHOULDER/patientNNNNN/studyN_{positive,negative}/imageN.png
//
// Images are 8-bit grey PNGs (default 256 wide x 320 high, widths vary by +-32): soft tissue,
// humerus (head, tuberosity, shaft), scapula with glenoid and scapular spine, clavicle and ribs,
// each bone with a cortical rim, at varied pose, scale, exposure and side (left/right); ~40% of
// studies are abnormal and show a fracture (a dark gap through the humerus or clavicle with a
// displaced fragment), hardware (plate and screws, or a shoulder prosthesis) or a lesion (lytic
// with a sclerotic rim, or sclerotic) in every image of the study. Valid patients are numbered
// from patient11185 as in MURA. Truth beside it: <truth>/mura_studies.csv
// (split,patient,study,label,abnormality,images). Same seed, same bytes.
#ifndef GENESIS_TOOLS_PHANTOMS_MURA_PHANTOMS_H_
#define GENESIS_TOOLS_PHANTOMS_MURA_PHANTOMS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace cv {
class Mat;
}

namespace genesis {
namespace phantoms {

enum class Abnormality { kNone, kFracture, kHardware, kLesion };
const char* AbnormalityName(Abnormality abnormality);

struct MuraPhantomOptions {
  uint64_t seed = 0;
  int patients = 60;
  int width = 256;  // Nominal; each image's width varies by -32, 0 or +32.
  int height = 320;
  double valid_fraction = 0.2;
  int threads = 0;  // 0: all cores.
};

struct MuraPhantomSummary {
  int train_patients = 0, valid_patients = 0, studies = 0, positive_studies = 0, images = 0;
};

// One radiograph (CV_8UC1). `patient` fixes the anatomy, `study` the abnormality's place and
// kind, `image` the pose and exposure.
cv::Mat RenderShoulderRadiograph(uint64_t seed, uint64_t patient, uint64_t study, uint64_t image,
                                 Abnormality abnormality, int width, int height);

absl::StatusOr<MuraPhantomSummary> WriteMuraPhantoms(const std::string& mura_dir,
                                                     const std::string& truth_dir,
                                                     const MuraPhantomOptions& options);

}  // namespace phantoms
}  // namespace genesis

#endif  // GENESIS_TOOLS_PHANTOMS_MURA_PHANTOMS_H_
