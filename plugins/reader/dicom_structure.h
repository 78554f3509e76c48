// A strict, dependency-free walk over a DICOM file's element structure, run before GDCM sees
// the file: Debian's GDCM is built with assertions, and some corrupt headers abort the whole
// process inside it. The walk checks the preamble, the file meta group, every element's VR
// and length against the file size (sequences and encapsulated pixel data included), and
// that native pixel data holds Rows x Columns x Samples x Frames x BitsAllocated / 8 bytes.
//
//   GENESIS_RETURN_IF_ERROR(reader_internal::CheckDicomStructure(path));
#ifndef GENESIS_PLUGINS_READER_DICOM_STRUCTURE_H_
#define GENESIS_PLUGINS_READER_DICOM_STRUCTURE_H_

#include <string>

#include "absl/status/status.h"

namespace genesis {
namespace reader_internal {

// OK when the file's structure is sound; otherwise InvalidArgument / DataLoss naming `path`
// and what was wrong ("truncated: pixel data needs 32768 bytes, file holds 1024"), or
// NotFound for a sound DICOM object without pixel data (DICOMDIR, reports).
absl::Status CheckDicomStructure(const std::string& path);

}  // namespace reader_internal
}  // namespace genesis

#endif  // GENESIS_PLUGINS_READER_DICOM_STRUCTURE_H_
