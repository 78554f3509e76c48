// NIfTI-1 reader (.nii, .nii.gz) through ITK's NiftiImageIO; sform/qform as ITK resolves them.
//
//   corpus {
//     reader {
//       type: "nifti"
//       options { [type.googleapis.com/genesis.NiftiReaderOptions] { modality: "MR" } }
//     }
//   }
//
// 4D files give one volume per time point (all of them unless max_time_points is set); 2D
// files give one volume with size[2] == 1. Geometry is ITK's (LPS).

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/image_reader.h"
#include "core/status_macros.h"
#include "plugins/reader/itk_util.h"
#include "plugins/reader/nifti.pb.h"
#include "plugins/reader/reader_util.h"

namespace genesis {
namespace {

class NiftiReader : public ImageReader {
 public:
  static absl::Status Validate(const NiftiReaderOptions& options) {
    if (options.max_time_points() < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("max_time_points: must be >= 0 (0 = all), got ", options.max_time_points()));
    }
    return reader_internal::ModalityOption(options.modality()).status();
  }

  explicit NiftiReader(const NiftiReaderOptions& options) {
    settings_.max_time_points = options.max_time_points();
    settings_.modality = reader_internal::ModalityOption(options.modality()).value();
  }

  bool CanRead(const std::string& path) const override {
    return reader_internal::HasExtension(path, {".nii", ".nii.gz"});
  }

  absl::StatusOr<std::vector<Volume>> Read(const std::string& path) const override {
    return reader_internal::ReadItkFile(path, reader_internal::ItkFormat::kNifti, settings_);
  }

 private:
  reader_internal::ItkReadSettings settings_;
};

}  // namespace

GENESIS_REGISTER_IMAGE_READER(NiftiReader, "nifti", NiftiReaderOptions,
                              "NIfTI-1 .nii/.nii.gz through ITK (4D: one volume per time point)");

}  // namespace genesis
