// A strict, dependency-free walk over a DICOM file's element structure, run before GDCM sees
// the file: Debian's GDCM is built with assertions, and some corrupt headers abort the whole
// process inside it. The walk checks the preamble, the file meta group, every element's VR
// and length against the file size (sequences and encapsulated pixel data included), and
// that native pixel data holds Rows x Columns x Samples x Frames x BitsAllocated / 8 bytes.
//
//   GENESIS_ASSIGN_OR_RETURN(DicomLayout layout, reader_internal::CheckDicomStructure(path));
#ifndef GENESIS_PLUGINS_READER_DICOM_STRUCTURE_H_
#define GENESIS_PLUGINS_READER_DICOM_STRUCTURE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace genesis {
namespace reader_internal {

// OK when the file's structure is sound; otherwise InvalidArgument / DataLoss naming `path`
// and what was wrong ("truncated: pixel data needs 32768 bytes, file holds 1024"), or
// NotFound for a sound DICOM object without pixel data (DICOMDIR, reports).
struct DicomLayout {
  int64_t file_size = 0;
  // Where the data set ends; less than file_size when zero padding follows it (GDCM then
  // parses the zeros element by element, seconds per megabyte: hand it a trimmed copy).
  int64_t data_end = 0;
};
absl::StatusOr<DicomLayout> CheckDicomStructure(const std::string& path);

}  // namespace reader_internal
}  // namespace genesis

#endif  // GENESIS_PLUGINS_READER_DICOM_STRUCTURE_H_
