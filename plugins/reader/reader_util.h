// Helpers shared by the image reader plugins (no third-party headers): file checks whose
// errors name the file, extension and magic-byte tests, modality options.
//
//   GENESIS_RETURN_IF_ERROR(reader_internal::CheckRegularFile(path));
//   if (reader_internal::HasExtension(path, {".nii", ".nii.gz"})) ...
#ifndef GENESIS_PLUGINS_READER_READER_UTIL_H_
#define GENESIS_PLUGINS_READER_READER_UTIL_H_

#include <cstdint>
#include <initializer_list>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/volume.h"

namespace genesis {
namespace reader_internal {

// True when `path` ends (case-insensitively) with one of `extensions` (".nii.gz" works).
bool HasExtension(const std::string& path, std::initializer_list<absl::string_view> extensions);

// True when `path` is a readable file holding `magic` at byte `offset`.
bool HasMagic(const std::string& path, int64_t offset, absl::string_view magic);

// OK for an existing, non-empty regular file; otherwise NotFound / InvalidArgument naming it.
absl::Status CheckRegularFile(const std::string& path);

// Size of a regular file in bytes, or an error naming it.
absl::StatusOr<int64_t> FileSize(const std::string& path);

// Parses a reader's `modality` option ("" = unknown); errors name the option.
absl::StatusOr<Modality> ModalityOption(absl::string_view text);

// "<path>: <what>" as an InvalidArgument / DataLoss status.
absl::Status FileError(const std::string& path, absl::string_view what);

}  // namespace reader_internal
}  // namespace genesis

#endif  // GENESIS_PLUGINS_READER_READER_UTIL_H_
