#include "plugins/task/luna16_test_util.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace genesis {
namespace luna16 {
namespace {

namespace fs = std::filesystem;

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

std::string ScriptPath() {
  const std::string workspace = Env("TEST_WORKSPACE").empty() ? "genesis" : Env("TEST_WORKSPACE");
  const std::string runfile = absl::StrCat(Env("TEST_SRCDIR"), "/", workspace,
                                           "/tools/testdata/make_luna16_task_fixture.py");
  if (fs::exists(runfile)) return runfile;
  return "tools/testdata/make_luna16_task_fixture.py";  // Run from the workspace root.
}

}  // namespace

std::string TestDir(const std::string& name) {
  const std::string tmp =
      Env("TEST_TMPDIR").empty() ? fs::temp_directory_path().string() : Env("TEST_TMPDIR");
  const std::string dir = absl::StrCat(tmp, "/luna16_test/", name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

int RunFixtureScript(const std::vector<std::string>& args, std::string* output) {
  std::string command = absl::StrCat("/usr/bin/python3 '", ScriptPath(), "'");
  for (const std::string& arg : args) absl::StrAppend(&command, " '", arg, "'");
  absl::StrAppend(&command, " 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  std::string text;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) text.append(buffer, n);
  const int status = pclose(pipe);
  if (output != nullptr) *output = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace luna16
}  // namespace genesis
