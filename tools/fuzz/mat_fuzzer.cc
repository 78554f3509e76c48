// Fuzzes the "mat" image reader (plugins/reader/mat.cc): Genesis' v5 structure check
// (Mat5Checker: tags, compressed elements, struct / cell nesting, claimed sizes) and its
// wrapping of libmatio (variable choice, dims, conversion to volumes). libmatio and HDF5
// themselves are Debian's uninstrumented builds: the fuzzer exercises them but only sees
// crashes there, not their coverage. Properties: image_reader_target.h.
#include <cstddef>
#include <cstdint>

#include "tools/fuzz/fuzz_util.h"
#include "tools/fuzz/image_reader_target.h"

// As in plugins/reader/corrupt_header_test.cc: HDF5 (v7.3 files) asks malloc for absurd sizes
// read from damaged metadata and handles the NULL glibc returns; ASan should return NULL too.
// C++ `new` still reports. HDF5 1.10's own leak inside H5C_protect is not Genesis' to fix.
extern "C" const char* __asan_default_options() {
  return "allocator_may_return_null=1:fast_unwind_on_malloc=0";
}
extern "C" const char* __lsan_default_suppressions() { return "leak:H5C_protect\n"; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return genesis::fuzz::FuzzImageReader("mat", "input.mat", genesis::fuzz::Bytes(data, size));
}
