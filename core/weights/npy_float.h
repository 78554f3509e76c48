// Float32 .npy arrays for `genesis forward` (NCHW batches in, features out), no LibTorch.
//
//   GENESIS_ASSIGN_OR_RETURN(NpyArray x, ReadNpyFloat32("batch.npy"));   // '<f4' or '<f8'
//   GENESIS_RETURN_IF_ERROR(WriteNpyFloat32("features.npy", y));         // '<f4', C order
//
// Reads format versions 1-3, little-endian float32 or float64 (converted), C order; other
// dtypes, Fortran order and truncated data are InvalidArgument errors naming the file.
#ifndef GENESIS_CORE_WEIGHTS_NPY_FLOAT_H_
#define GENESIS_CORE_WEIGHTS_NPY_FLOAT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace genesis {

struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> data;  // C order, product(shape) values.
};

absl::StatusOr<NpyArray> ReadNpyFloat32(const std::string& path);
absl::Status WriteNpyFloat32(const std::string& path, const NpyArray& array);

}  // namespace genesis

#endif  // GENESIS_CORE_WEIGHTS_NPY_FLOAT_H_
