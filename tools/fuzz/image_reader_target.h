// The body shared by the image-reader fuzz targets (npy_fuzzer.cc, mat_fuzzer.cc): writes the
// input to a file, reads it with the registered reader and checks what came back.
//
//   extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
//     return genesis::fuzz::FuzzImageReader("npy", "input.npy", fuzz::Bytes(data, size));
//   }
//
// Properties: an error names the file; every volume has at least one voxel, exactly
// size x * y * z of them, and names the file as its source.
#ifndef GENESIS_TOOLS_FUZZ_IMAGE_READER_TARGET_H_
#define GENESIS_TOOLS_FUZZ_IMAGE_READER_TARGET_H_

#include "absl/strings/string_view.h"

namespace genesis {
namespace fuzz {

// `reader` is a registered image_reader name (default options); `file_name` gives the
// extension the reader expects.
int FuzzImageReader(absl::string_view reader, absl::string_view file_name, absl::string_view bytes);

}  // namespace fuzz
}  // namespace genesis

#endif  // GENESIS_TOOLS_FUZZ_IMAGE_READER_TARGET_H_
