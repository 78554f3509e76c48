// JPEG reader (baseline/progressive 8-bit; colour converted to gray) through OpenCV.
//
//   corpus {
//     reader {
//       type: "jpeg"
//       options { [type.googleapis.com/genesis.JpegReaderOptions] { modality: "XR" } }
//     }
//   }
//
// One volume of size (width, height, 1), bits_stored 8. libjpeg silently fills a truncated
// file with gray, so a file whose EOI marker (FF D9) is missing from its last bytes is
// rejected as truncated before decoding.

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/image_reader.h"
#include "core/status_macros.h"
#include "plugins/reader/jpeg.pb.h"
#include "plugins/reader/opencv_util.h"
#include "plugins/reader/reader_util.h"

namespace genesis {
namespace {

constexpr absl::string_view kSoi = "\xFF\xD8\xFF";
// EOI may be followed by a few padding bytes; look for it in this many trailing bytes.
constexpr int64_t kEoiWindow = 64;

bool HasEndOfImage(const std::string& path, int64_t size) {
  std::ifstream in(path, std::ios::binary);
  const int64_t n = std::min(size, kEoiWindow);
  in.seekg(size - n);
  std::string tail(n, '\0');
  in.read(tail.data(), n);
  return in.gcount() == n && tail.find("\xFF\xD9") != std::string::npos;
}

class JpegReader : public ImageReader {
 public:
  static absl::Status Validate(const JpegReaderOptions& options) {
    return reader_internal::ModalityOption(options.modality()).status();
  }
  explicit JpegReader(const JpegReaderOptions& options) {
    settings_.modality = reader_internal::ModalityOption(options.modality()).value();
  }

  bool CanRead(const std::string& path) const override {
    return reader_internal::HasExtension(path, {".jpg", ".jpeg"}) ||
           reader_internal::HasMagic(path, 0, kSoi);
  }

  absl::StatusOr<std::vector<Volume>> Read(const std::string& path) const override {
    GENESIS_RETURN_IF_ERROR(reader_internal::CheckRegularFile(path));
    if (!reader_internal::HasMagic(path, 0, kSoi)) {
      return reader_internal::FileError(path, "not a JPEG file (no FF D8 FF start marker)");
    }
    GENESIS_ASSIGN_OR_RETURN(const int64_t size, reader_internal::FileSize(path));
    if (!HasEndOfImage(path, size)) {
      return absl::DataLossError(
          absl::StrCat(path, ": truncated JPEG (no end-of-image marker FF D9)"));
    }
    GENESIS_ASSIGN_OR_RETURN(Volume volume, reader_internal::ReadImage2d(path, "JPEG", settings_));
    std::vector<Volume> volumes;
    volumes.push_back(std::move(volume));
    return volumes;
  }

 private:
  reader_internal::Image2dSettings settings_;
};

}  // namespace

GENESIS_REGISTER_IMAGE_READER(JpegReader, "jpeg", JpegReaderOptions,
                              "JPEG through OpenCV (colour -> gray; size[2] = 1)");

}  // namespace genesis
