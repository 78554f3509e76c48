// How to read one dataset record's files: typed hints a dataset source declares beside the
// files it lists (PatientRecord::hints, core/dataset_source.h), each honoured by the code that
// needs it:
//
//   channel       corpus: of a file with several volumes, keep only this one (MSD Prostate:
//                 0 = T2, not ADC); the others are dropped on purpose, not reported as skipped.
//   value_offset  corpus: added to every voxel before any preprocessor (DeepLesion PNGs:
//                 HU = value - 32768).
//   mat_variable  "mat" reader: the variable holding the image, a dotted path into 1x1 structs
//                 ("cjdata.image" in Brain Tumor figshare files).
//   axes          "mat" reader: what each array dimension is, in the file's order
//                 (Cardiac MRI "sol_yxzt": rows y, columns x, slices z, frames t).
//
//   PatientRecord r;
//   r.hints.mat_variable = "sol_yxzt";
//   r.hints.axes = AxisOrder{ImageAxis::kY, ImageAxis::kX, ImageAxis::kZ, ImageAxis::kT};
//
// File-level hints (mat_variable, axes) reach the reader through ImageReader::ReadWithHints
// (core/image_reader.h); a reader that does not honour them refuses the file instead of
// reading it some other way.
#ifndef GENESIS_CORE_READ_HINTS_H_
#define GENESIS_CORE_READ_HINTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace genesis {

// An image axis: x = columns, y = rows, z = slices, t = frames (time).
enum class ImageAxis { kX, kY, kZ, kT };

// What each dimension of a stored array is, first dimension first (for a MATLAB array: the
// row index, then the column index, ...).
using AxisOrder = std::vector<ImageAxis>;

struct ReadHints {
  std::optional<int64_t> channel;
  std::optional<float> value_offset;
  std::optional<std::string> mat_variable;
  std::optional<AxisOrder> axes;

  // Whether a hint for the reader itself (not for the corpus) is set.
  bool HasFileHints() const { return mat_variable.has_value() || axes.has_value(); }
  bool operator==(const ReadHints& o) const {
    return channel == o.channel && value_offset == o.value_offset &&
           mat_variable == o.mat_variable && axes == o.axes;
  }
  bool operator!=(const ReadHints& o) const { return !(*this == o); }
};

// "yxzt" for {kY, kX, kZ, kT}.
std::string AxisOrderName(const AxisOrder& axes);
// The inverse of AxisOrderName; checked by ValidateAxisOrder.
absl::StatusOr<AxisOrder> ParseAxisOrder(absl::string_view name);
// x and y present, no axis twice: "axes 'yxy': axis y appears twice".
absl::Status ValidateAxisOrder(const AxisOrder& axes);
// The set hints, for messages: "channel=0, value_offset=-32768, mat_variable=cjdata.image,
// axes=yxzt" ("none" when none is set).
std::string DescribeReadHints(const ReadHints& hints);

}  // namespace genesis

#endif  // GENESIS_CORE_READ_HINTS_H_
