// Fuzzes the DICOM structure walk (plugins/reader/dicom_structure.cc) that runs before GDCM
// sees a file: preamble, file meta group, explicit / implicit VR elements, nested sequences,
// encapsulated pixel data, the native pixel data size. Properties: an error names the file;
// an accepted file's data set ends inside it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "plugins/reader/dicom_structure.h"
#include "tools/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace genesis;  // NOLINT: a fuzz entry point outside the namespace.
  const std::string path = fuzz::WriteInput("input.dcm", fuzz::Bytes(data, size));
  absl::StatusOr<reader_internal::DicomLayout> layout = reader_internal::CheckDicomStructure(path);
  if (!layout.ok()) {
    fuzz::RequireNamesFile(layout.status(), path);
    return 0;
  }
  if (layout->file_size != static_cast<int64_t>(size) || layout->data_end < 0 ||
      layout->data_end > layout->file_size) {
    fuzz::Fail(absl::StrCat("layout file_size ", layout->file_size, " data_end ", layout->data_end,
                            " for a ", size, "-byte file"));
  }
  return 0;
}
