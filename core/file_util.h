// Small file helpers with Status errors that name the file.
//
//   GENESIS_RETURN_IF_ERROR(WriteFileAtomically(path, text));  // temp file + rename
//   GENESIS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
#ifndef GENESIS_CORE_FILE_UTIL_H_
#define GENESIS_CORE_FILE_UTIL_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace genesis {

absl::StatusOr<std::string> ReadFile(const std::string& path);
// Writes to "<path>.tmp.<pid>" then renames over `path`, so readers never see half a file.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents);

}  // namespace genesis

#endif  // GENESIS_CORE_FILE_UTIL_H_
