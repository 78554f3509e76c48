// OpenCV glue for the 2D readers (png, jpeg): decode to one grayscale Volume with size[2] == 1,
// 8- or 16-bit depth preserved, colour converted to gray. Errors name the file.
#ifndef GENESIS_PLUGINS_READER_OPENCV_UTIL_H_
#define GENESIS_PLUGINS_READER_OPENCV_UTIL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/volume.h"

namespace genesis {
namespace reader_internal {

struct Image2dSettings {
  Modality modality = Modality::kUnknown;
  float value_offset = 0.0f;  // Added to every pixel after decoding.
};

// Decodes `path` (already checked to be a file of `format_name`) with cv::imread
// (IMREAD_GRAYSCALE | IMREAD_ANYDEPTH).
absl::StatusOr<Volume> ReadImage2d(const std::string& path, absl::string_view format_name,
                                   const Image2dSettings& settings);

}  // namespace reader_internal
}  // namespace genesis

#endif  // GENESIS_PLUGINS_READER_OPENCV_UTIL_H_
