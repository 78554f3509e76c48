// Helpers shared by the libFuzzer targets in tools/fuzz/ (see README.md there).
//
// A target is `extern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t)` around one
// Genesis parser. It is linked twice: with libFuzzer (`--config=fuzz`, tools/fuzz/run_all.sh)
// and, without libFuzzer, into a `<target>_regression_test` that replays the committed seeds
// and crash inputs in the normal `bazel test //...` suite (replay_main.cc).
//
//   const std::string path = fuzz::WriteInput("input.npy", fuzz::Bytes(data, size));
//   auto volumes = reader->Read(path);
//   if (!volumes.ok()) fuzz::RequireNamesFile(volumes.status(), path);
//
// Besides crashes, leaks and timeouts (which the sanitizers report), targets check properties
// the rest of Genesis relies on; a violated property prints what and aborts, which libFuzzer
// records as a crash input like any other.
#ifndef GENESIS_TOOLS_FUZZ_FUZZ_UTIL_H_
#define GENESIS_TOOLS_FUZZ_FUZZ_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace genesis {
namespace fuzz {

inline absl::string_view Bytes(const uint8_t* data, size_t size) {
  return absl::string_view(reinterpret_cast<const char*>(data), size);
}

// A folder private to this process (created on first use, removed at exit).
const std::string& ScratchDir();

// Writes `bytes` to ScratchDir()/`relative_path` (creating parent folders) and returns the
// path; for APIs that take a file name. Aborts if the file cannot be written.
std::string WriteInput(absl::string_view relative_path, absl::string_view bytes);

// True when GENESIS_FUZZ_VERBOSE is set: targets then print why an input was rejected
// (e.g. `GENESIS_FUZZ_VERBOSE=1 config_fuzzer seed.textproto` to see whether a seed validates).
bool Verbose();

// A violated property: prints `what` and aborts.
[[noreturn]] void Fail(absl::string_view what);

// Genesis' contract for bad input: a non-OK status whose message names the file. Fails when
// `status` is OK or its message does not contain `path`.
void RequireNamesFile(const absl::Status& status, absl::string_view path);

}  // namespace fuzz
}  // namespace genesis

#endif  // GENESIS_TOOLS_FUZZ_FUZZ_UTIL_H_
