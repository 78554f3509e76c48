#include "plugins/reporter/provenance.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "absl/base/config.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/stubs/common.h"
#include "itkConfigure.h"
#include "opencv2/core/version.hpp"

namespace genesis {

std::vector<std::pair<std::string, std::string>> LibraryVersions() {
  const int protobuf = GOOGLE_PROTOBUF_VERSION;
  return {
      {"Protocol Buffers",
       absl::StrCat(protobuf / 1000000, ".", protobuf / 1000 % 1000, ".", protobuf % 1000)},
      {"OpenCV", CV_VERSION},
      {"ITK", absl::StrCat(ITK_VERSION_MAJOR, ".", ITK_VERSION_MINOR, ".", ITK_VERSION_PATCH)},
      {"Abseil", absl::StrCat("LTS ", ABSL_LTS_RELEASE_VERSION)},
      {"C++ compiler", __VERSION__},
  };
}

std::string GitCommit() {
  if (const char* env = std::getenv("GENESIS_GIT_COMMIT"); env != nullptr && *env != '\0') {
    return env;
  }
  const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  if (workspace == nullptr || !std::filesystem::exists(std::filesystem::path(workspace) / ".git")) {
    return "unknown (set GENESIS_GIT_COMMIT)";
  }
  const std::string command = absl::StrCat("git -C '", workspace, "' rev-parse HEAD 2>/dev/null");
  std::string out;
  if (FILE* pipe = popen(command.c_str(), "r"); pipe != nullptr) {
    char buffer[128];
    while (fgets(buffer, sizeof(buffer), pipe) != nullptr) out += buffer;
    pclose(pipe);
  }
  out = std::string(absl::StripAsciiWhitespace(out));
  return out.size() == 40 ? out : "unknown (set GENESIS_GIT_COMMIT)";
}

}  // namespace genesis
