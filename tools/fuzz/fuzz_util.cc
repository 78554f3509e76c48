#include "tools/fuzz/fuzz_util.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace genesis {
namespace fuzz {
namespace {

namespace fs = std::filesystem;

void RemoveScratchDir() {
  std::error_code ignored;
  fs::remove_all(ScratchDir(), ignored);
}

}  // namespace

const std::string& ScratchDir() {
  static const std::string* const dir = [] {
    // TEST_TMPDIR under `bazel test`, TMPDIR (or /tmp) under libFuzzer.
    const char* base = std::getenv("TEST_TMPDIR");
    if (base == nullptr || *base == '\0') base = std::getenv("TMPDIR");
    std::string pattern =
        absl::StrCat(base != nullptr && *base != '\0' ? base : "/tmp", "/genesis_fuzz_XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) Fail(absl::StrCat("cannot create ", pattern));
    auto* path = new std::string(pattern);
    std::atexit(RemoveScratchDir);
    return path;
  }();
  return *dir;
}

std::string WriteInput(absl::string_view relative_path, absl::string_view bytes) {
  const fs::path path = fs::path(ScratchDir()) / std::string(relative_path);
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) Fail(absl::StrCat("cannot write fuzz input to ", path.string()));
  return path.string();
}

bool Verbose() {
  static const bool verbose = std::getenv("GENESIS_FUZZ_VERBOSE") != nullptr;
  return verbose;
}

void Fail(absl::string_view what) {
  std::fprintf(stderr, "\n*** genesis fuzz property violated: %.*s\n",
               static_cast<int>(what.size()), what.data());
  std::fflush(stderr);
  std::abort();
}

void RequireNamesFile(const absl::Status& status, absl::string_view path) {
  if (status.ok()) Fail(absl::StrCat("expected an error naming ", path, ", got OK"));
  if (status.message().find(path) == absl::string_view::npos) {
    Fail(absl::StrCat("error does not name the file ", path, ": ", status.ToString()));
  }
}

}  // namespace fuzz
}  // namespace genesis
