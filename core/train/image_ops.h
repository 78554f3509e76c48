// Image helpers of the trainer (OpenCV, no LibTorch): resizing slices to the network's input
// size and writing corrupted / restored / original sample grids as PNG.
//
//   GENESIS_ASSIGN_OR_RETURN(Slice small, ResizeSquare(slice, 64));
//   GENESIS_RETURN_IF_ERROR(WriteSampleGrid(path, n, side, corrupted, restored, original));
#ifndef GENESIS_CORE_TRAIN_IMAGE_OPS_H_
#define GENESIS_CORE_TRAIN_IMAGE_OPS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/pretext_task.h"

namespace genesis {

// `image` resized to side x side (area interpolation when shrinking, linear when enlarging);
// returned unchanged when it already has that size.
absl::StatusOr<Slice> ResizeSquare(const Slice& image, int64_t side);

// A PNG with one row per sample and three columns -- corrupted, restored, original -- separated
// by 2-pixel white lines. Each array holds n x side x side floats in [0, 1] (clamped).
absl::Status WriteSampleGrid(const std::string& path, int64_t n, int64_t side,
                             const float* corrupted, const float* restored,
                             const float* original);

}  // namespace genesis

#endif  // GENESIS_CORE_TRAIN_IMAGE_OPS_H_
