#include "core/train/image_ops.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "absl/strings/str_cat.h"
#include "core/file_util.h"

namespace genesis {

absl::StatusOr<Slice> ResizeSquare(const Slice& image, int64_t side) {
  if (image.width == side && image.height == side) return image;
  if (image.width <= 0 || image.height <= 0) {
    return absl::InvalidArgumentError("cannot resize an empty slice");
  }
  try {
    cv::Mat src(static_cast<int>(image.height), static_cast<int>(image.width), CV_32F,
                const_cast<float*>(image.pixels.data()));
    Slice out(side, side);
    cv::Mat dst(static_cast<int>(side), static_cast<int>(side), CV_32F, out.pixels.data());
    const bool shrinking = side < image.width || side < image.height;
    cv::resize(src, dst, dst.size(), 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
    return out;
  } catch (const cv::Exception& e) {
    return absl::InternalError(absl::StrCat("resize to ", side, ": ", e.what()));
  }
}

absl::Status WriteSampleGrid(const std::string& path, int64_t n, int64_t side,
                             const float* corrupted, const float* restored,
                             const float* original) {
  constexpr int kGap = 2;
  const int s = static_cast<int>(side);
  const int rows = static_cast<int>(n) * s + (static_cast<int>(n) - 1) * kGap;
  const int cols = 3 * s + 2 * kGap;
  cv::Mat grid(rows, cols, CV_8U, cv::Scalar(255));
  const float* sources[3] = {corrupted, restored, original};
  for (int64_t i = 0; i < n; ++i) {
    for (int c = 0; c < 3; ++c) {
      const float* src = sources[c] + i * side * side;
      for (int y = 0; y < s; ++y) {
        unsigned char* row = grid.ptr<unsigned char>(static_cast<int>(i) * (s + kGap) + y) +
                             c * (s + kGap);
        for (int x = 0; x < s; ++x) {
          const float v = std::clamp(src[y * side + x], 0.0f, 1.0f);
          row[x] = static_cast<unsigned char>(v * 255.0f + 0.5f);
        }
      }
    }
  }
  try {
    std::vector<unsigned char> png;
    if (!cv::imencode(".png", grid, png)) {
      return absl::InternalError(absl::StrCat(path, ": cannot encode PNG"));
    }
    return WriteFileAtomically(
        path, absl::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
  } catch (const cv::Exception& e) {
    return absl::InternalError(absl::StrCat(path, ": ", e.what()));
  }
}

}  // namespace genesis
