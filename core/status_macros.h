// Status propagation macros used across Genesis.
//
//   GENESIS_RETURN_IF_ERROR(ReadHeader(path));
//   GENESIS_ASSIGN_OR_RETURN(Volume volume, reader.Read(path));
//
// Every boundary that touches config, files or data returns absl::Status / absl::StatusOr;
// CHECK is kept for programmer errors.
#ifndef GENESIS_CORE_STATUS_MACROS_H_
#define GENESIS_CORE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

#define GENESIS_STATUS_CONCAT_INNER_(a, b) a##b
#define GENESIS_STATUS_CONCAT_(a, b) GENESIS_STATUS_CONCAT_INNER_(a, b)

#define GENESIS_RETURN_IF_ERROR(expr)                \
  do {                                               \
    ::absl::Status genesis_status_ = (expr);         \
    if (!genesis_status_.ok()) return genesis_status_; \
  } while (0)

#define GENESIS_ASSIGN_OR_RETURN(lhs, expr) \
  GENESIS_ASSIGN_OR_RETURN_IMPL_(GENESIS_STATUS_CONCAT_(genesis_statusor_, __LINE__), lhs, expr)

#define GENESIS_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                   \
  if (!statusor.ok()) return std::move(statusor).status();  \
  lhs = std::move(statusor).value()

namespace genesis {

// Returns `status` with `context` prepended to its message ("context: message"); OK stays OK.
inline absl::Status Annotate(const absl::Status& status, absl::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(context, ": ", status.message()));
}

}  // namespace genesis

#endif  // GENESIS_CORE_STATUS_MACROS_H_
