#include "plugins/reader/opencv_util.h"

#include <exception>

#include "absl/strings/str_cat.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"

namespace genesis {
namespace reader_internal {

absl::StatusOr<Volume> ReadImage2d(const std::string& path, absl::string_view format_name,
                                   const Image2dSettings& settings) {
  cv::Mat image;
  try {
    image = cv::imread(path, cv::IMREAD_GRAYSCALE | cv::IMREAD_ANYDEPTH);
  } catch (const cv::Exception& e) {
    return absl::DataLossError(absl::StrCat(path, ": cannot decode ", format_name, ": ", e.what()));
  } catch (const std::exception& e) {
    return absl::DataLossError(absl::StrCat(path, ": cannot decode ", format_name, ": ", e.what()));
  }
  if (image.empty()) {
    return absl::DataLossError(absl::StrCat(path, ": cannot decode ", format_name,
                                            " (corrupt, truncated or unsupported variant)"));
  }
  int bits = 0;
  switch (image.depth()) {
    case CV_8U:
      bits = 8;
      break;
    case CV_16U:
      bits = 16;
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", format_name, " pixel depth ",
                                                     image.depth(), " unsupported (8/16-bit)"));
  }
  if (image.channels() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": decoded with ", image.channels(), " channels, expected gray"));
  }
  Volume volume;
  volume.size = {image.cols, image.rows, 1};
  volume.voxels.resize(static_cast<size_t>(image.cols) * image.rows);
  cv::Mat as_float(image.rows, image.cols, CV_32F, volume.voxels.data());
  image.convertTo(as_float, CV_32F, 1.0, settings.value_offset);
  volume.modality = settings.modality;
  volume.bits_stored = bits;
  volume.source = path;
  return volume;
}

}  // namespace reader_internal
}  // namespace genesis
