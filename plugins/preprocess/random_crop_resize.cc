// "random_crop_resize" preprocessor: zero-pad a slice to at least crop_size on each side, take a
// random crop_size x crop_size window (offsets uniform, from the preprocessing stream), resize
// it to output_size x output_size with OpenCV (the study: crop 448, resize 224).
//
//   preprocessor { type: "random_crop_resize" options {
//     [type.googleapis.com/genesis.RandomCropResizeOptions] {
//       crop_size: 448 output_size: 224 interpolation: "area" } } }
//
// With crop_size 0 the slice is padded to a square (its longer side) and resized. Spacing is
// updated to the output pixel size (spacing * crop / output).

#include <algorithm>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "absl/strings/str_cat.h"
#include "core/preprocessor.h"
#include "plugins/preprocess/random_crop_resize.pb.h"

namespace genesis {
namespace {

class RandomCropResize : public Preprocessor {
 public:
  explicit RandomCropResize(const RandomCropResizeOptions& options) : options_(options) {
    const std::string& name = options.interpolation();
    interpolation_ = name == "linear"    ? cv::INTER_LINEAR
                     : name == "nearest" ? cv::INTER_NEAREST
                                         : cv::INTER_AREA;
  }

  static absl::Status Validate(const RandomCropResizeOptions& o) {
    // Upper bounds keep a typo from becoming a multi-gigabyte allocation mid-run.
    constexpr int kMaxSide = 16384;
    if (o.crop_size() < 0 || o.crop_size() > kMaxSide) {
      return absl::InvalidArgumentError(
          absl::StrCat("crop_size: must be in [0, ", kMaxSide, "], got ", o.crop_size()));
    }
    if (o.output_size() < 0 || o.output_size() > kMaxSide) {
      return absl::InvalidArgumentError(
          absl::StrCat("output_size: must be in [0, ", kMaxSide, "], got ", o.output_size()));
    }
    const std::string& i = o.interpolation();
    if (i != "area" && i != "linear" && i != "nearest") {
      return absl::InvalidArgumentError(absl::StrCat(
          "interpolation: must be \"area\", \"linear\" or \"nearest\", got \"", i, "\""));
    }
    if (o.pad_position() != "center" && o.pad_position() != "random") {
      return absl::InvalidArgumentError(absl::StrCat(
          "pad_position: must be \"center\" or \"random\", got \"", o.pad_position(), "\""));
    }
    return absl::OkStatus();
  }

  absl::Status Apply(Slice& slice, RandomStream& rng) const override {
    if (slice.width <= 0 || slice.height <= 0 ||
        static_cast<int64_t>(slice.pixels.size()) != slice.width * slice.height) {
      return absl::InvalidArgumentError(absl::StrCat(slice.dataset, "/", slice.patient_id,
                                                     " slice ", slice.slice_index, ": bad shape ",
                                                     slice.width, "x", slice.height));
    }
    const int64_t crop =
        options_.crop_size() > 0 ? options_.crop_size() : std::max(slice.width, slice.height);
    // 1. Pad to at least crop x crop.
    const int64_t padded_w = std::max(slice.width, crop);
    const int64_t padded_h = std::max(slice.height, crop);
    if (padded_w != slice.width || padded_h != slice.height) {
      int64_t x0 = (padded_w - slice.width) / 2;
      int64_t y0 = (padded_h - slice.height) / 2;
      if (options_.pad_position() == "random") {
        x0 = rng.UniformInt(0, padded_w - slice.width);
        y0 = rng.UniformInt(0, padded_h - slice.height);
      }
      std::vector<float> canvas(padded_w * padded_h, options_.pad_value());
      for (int64_t y = 0; y < slice.height; ++y) {
        std::copy_n(slice.pixels.begin() + y * slice.width, slice.width,
                    canvas.begin() + (y + y0) * padded_w + x0);
      }
      slice.pixels = std::move(canvas);
      slice.width = padded_w;
      slice.height = padded_h;
    }
    // 2. Random crop (offsets drawn x then y).
    const int64_t cx = rng.UniformInt(0, slice.width - crop);
    const int64_t cy = rng.UniformInt(0, slice.height - crop);
    cv::Mat whole(static_cast<int>(slice.height), static_cast<int>(slice.width), CV_32FC1,
                  slice.pixels.data());
    cv::Mat window = whole(cv::Rect(static_cast<int>(cx), static_cast<int>(cy),
                                    static_cast<int>(crop), static_cast<int>(crop)));
    // 3. Resize.
    const int out = options_.output_size() > 0 ? options_.output_size() : static_cast<int>(crop);
    cv::Mat result;
    try {
      if (out == crop) {
        result = window.clone();
      } else {
        cv::resize(window, result, cv::Size(out, out), 0, 0, interpolation_);
      }
    } catch (const cv::Exception& e) {
      return absl::InternalError(absl::StrCat(slice.dataset, "/", slice.patient_id, " slice ",
                                              slice.slice_index, ": cv::resize: ", e.what()));
    }
    const double factor = static_cast<double>(crop) / out;
    slice.spacing = {slice.spacing[0] * factor, slice.spacing[1] * factor};
    slice.width = out;
    slice.height = out;
    slice.pixels.assign(result.ptr<float>(0), result.ptr<float>(0) + out * out);
    return absl::OkStatus();
  }

 private:
  RandomCropResizeOptions options_;
  int interpolation_;
};

}  // namespace

GENESIS_REGISTER_PREPROCESSOR(RandomCropResize, "random_crop_resize", RandomCropResizeOptions,
                              "zero-pad to crop size, random square crop, resize (448 -> 224)");

}  // namespace genesis
