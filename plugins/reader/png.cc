// PNG reader (8- and 16-bit; gray, gray+alpha, RGB(A) converted to gray) through OpenCV.
//
//   corpus {
//     reader {
//       type: "png"
//       options {
//         [type.googleapis.com/genesis.PngReaderOptions] { modality: "CT" value_offset: -32768 }
//       }
//     }
//   }
//
// One volume of size (width, height, 1); bits_stored is the decoded depth (8 or 16), so
// 16-bit X-rays and DeepLesion slices keep their full range. A file that lacks the PNG
// signature or its final IEND chunk (truncated) is rejected before decoding.

#include <fstream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/image_reader.h"
#include "core/status_macros.h"
#include "plugins/reader/opencv_util.h"
#include "plugins/reader/png.pb.h"
#include "plugins/reader/reader_util.h"

namespace genesis {
namespace {

constexpr char kSignature[] = "\x89PNG\r\n\x1a\n";

class PngReader : public ImageReader {
 public:
  static absl::Status Validate(const PngReaderOptions& options) {
    return reader_internal::ModalityOption(options.modality()).status();
  }
  explicit PngReader(const PngReaderOptions& options) {
    settings_.modality = reader_internal::ModalityOption(options.modality()).value();
    settings_.value_offset = options.value_offset();
  }

  bool CanRead(const std::string& path) const override {
    return reader_internal::HasExtension(path, {".png"}) ||
           reader_internal::HasMagic(path, 0, absl::string_view(kSignature, 8));
  }

  absl::StatusOr<std::vector<Volume>> Read(const std::string& path) const override {
    GENESIS_RETURN_IF_ERROR(reader_internal::CheckRegularFile(path));
    if (!reader_internal::HasMagic(path, 0, absl::string_view(kSignature, 8))) {
      return reader_internal::FileError(path, "not a PNG file (bad signature)");
    }
    GENESIS_ASSIGN_OR_RETURN(const int64_t size, reader_internal::FileSize(path));
    // The IEND chunk: length 0, "IEND", CRC -- the last 12 bytes of a complete file.
    if (size < 8 + 12 || !reader_internal::HasMagic(path, size - 8, "IEND")) {
      return absl::DataLossError(
          absl::StrCat(path, ": truncated PNG (no IEND chunk at the end of the file)"));
    }
    GENESIS_ASSIGN_OR_RETURN(Volume volume, reader_internal::ReadImage2d(path, "PNG", settings_));
    std::vector<Volume> volumes;
    volumes.push_back(std::move(volume));
    return volumes;
  }

 private:
  reader_internal::Image2dSettings settings_;
};

}  // namespace

GENESIS_REGISTER_IMAGE_READER(PngReader, "png", PngReaderOptions,
                              "PNG 8/16-bit through OpenCV (colour -> gray; size[2] = 1)");

}  // namespace genesis
