// Analyze 7.5 reader (.hdr + .img pair, either name) through ITK's NiftiImageIO in its ITK 4
// Analyze mode; OASIS and IBSR ship this format. Analyze has no reliable geometry: spacing is
// pixdim, but origin and direction are ITK's reading (origin 0 and identity for a header
// without orientation), not nibabel's (which centres the volume and flips x).
//
//   corpus {
//     reader {
//       type: "analyze"
//       options { [type.googleapis.com/genesis.AnalyzeReaderOptions] { modality: "MR" } }
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
#include "plugins/reader/analyze.pb.h"
#include "plugins/reader/itk_util.h"
#include "plugins/reader/reader_util.h"

namespace genesis {
namespace {

class AnalyzeReader : public ImageReader {
 public:
  static absl::Status Validate(const AnalyzeReaderOptions& options) {
    if (options.max_time_points() < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("max_time_points: must be >= 0 (0 = all), got ", options.max_time_points()));
    }
    return reader_internal::ModalityOption(options.modality()).status();
  }

  explicit AnalyzeReader(const AnalyzeReaderOptions& options) {
    settings_.max_time_points = options.max_time_points();
    settings_.modality = reader_internal::ModalityOption(options.modality()).value();
  }

  bool CanRead(const std::string& path) const override {
    return reader_internal::HasExtension(path, {".hdr", ".img"});
  }

  absl::StatusOr<std::vector<Volume>> Read(const std::string& path) const override {
    return reader_internal::ReadItkFile(path, reader_internal::ItkFormat::kAnalyze, settings_);
  }

 private:
  reader_internal::ItkReadSettings settings_;
};

}  // namespace

GENESIS_REGISTER_IMAGE_READER(AnalyzeReader, "analyze", AnalyzeReaderOptions,
                              "Analyze 7.5 .hdr/.img through ITK");

}  // namespace genesis
