// MetaImage reader (.mhd + .raw/.zraw, .mha) through ITK's MetaImageIO (LUNA16's format).
//
//   corpus {
//     reader {
//       type: "metaimage"
//       options { [type.googleapis.com/genesis.MetaImageReaderOptions] { modality: "MR" } }
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
#include "plugins/reader/metaimage.pb.h"
#include "plugins/reader/reader_util.h"

namespace genesis {
namespace {

class MetaImageReader : public ImageReader {
 public:
  static absl::Status Validate(const MetaImageReaderOptions& options) {
    if (options.max_time_points() < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("max_time_points: must be >= 0 (0 = all), got ", options.max_time_points()));
    }
    return reader_internal::ModalityOption(options.modality()).status();
  }

  explicit MetaImageReader(const MetaImageReaderOptions& options) {
    settings_.max_time_points = options.max_time_points();
    settings_.modality = reader_internal::ModalityOption(options.modality()).value();
  }

  bool CanRead(const std::string& path) const override {
    return reader_internal::HasExtension(path, {".mhd", ".mha"});
  }

  absl::StatusOr<std::vector<Volume>> Read(const std::string& path) const override {
    return reader_internal::ReadItkFile(path, reader_internal::ItkFormat::kMetaImage, settings_);
  }

 private:
  reader_internal::ItkReadSettings settings_;
};

}  // namespace

GENESIS_REGISTER_IMAGE_READER(MetaImageReader, "metaimage", MetaImageReaderOptions,
                              "MetaImage .mhd/.mha through ITK");

}  // namespace genesis
