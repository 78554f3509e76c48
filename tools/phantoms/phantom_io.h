// File and thread helpers shared by the phantom writers.
//
//   GENESIS_RETURN_IF_ERROR(MakeDirectories(dir));
//   GENESIS_RETURN_IF_ERROR(WriteBytes(path, bytes));
//   std::string text = ShortestDouble(0.703125);   // "0.703125", reads back bit-exactly
//   GENESIS_RETURN_IF_ERROR(ParallelFor(n, threads, [&](int64_t i) -> absl::Status {...}));
#ifndef GENESIS_TOOLS_PHANTOMS_PHANTOM_IO_H_
#define GENESIS_TOOLS_PHANTOMS_PHANTOM_IO_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace genesis {
namespace phantoms {

// mkdir -p, with an error naming the folder.
absl::Status MakeDirectories(const std::string& dir);

// Writes a whole file. Unlike core/file_util's WriteFileAtomically it does not fsync: a
// generator writes thousands of files that are worthless if it is interrupted (rerun it).
absl::Status WriteBytes(const std::string& path, absl::string_view bytes);

// The shortest decimal that parses back to exactly `value` (so a header and the generator
// agree on geometry to the last bit).
std::string ShortestDouble(double value);

// Runs fn(0..n-1) on `threads` threads (<= 0: the machine's cores); the first error (by
// index) is returned after all work stops. Work items must not depend on each other.
absl::Status ParallelFor(int64_t n, int threads, const std::function<absl::Status(int64_t)>& fn);

}  // namespace phantoms
}  // namespace genesis

#endif  // GENESIS_TOOLS_PHANTOMS_PHANTOM_IO_H_
