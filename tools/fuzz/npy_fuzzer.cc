// Fuzzes the "npy" image reader (plugins/reader/npy.cc, Genesis' own .npy parser): header
// preamble and dict, dtype, shape, byte orders, Fortran order, data size. Properties:
// image_reader_target.h.
#include <cstddef>
#include <cstdint>

#include "tools/fuzz/fuzz_util.h"
#include "tools/fuzz/image_reader_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return genesis::fuzz::FuzzImageReader("npy", "input.npy", genesis::fuzz::Bytes(data, size));
}
