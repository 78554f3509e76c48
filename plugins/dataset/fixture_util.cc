#include "plugins/dataset/fixture_util.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace genesis {
namespace dataset {

namespace fs = std::filesystem;

namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

std::string ScriptPath() {
  const std::string workspace = Env("TEST_WORKSPACE").empty() ? "genesis" : Env("TEST_WORKSPACE");
  const std::string runfile =
      absl::StrCat(Env("TEST_SRCDIR"), "/", workspace, "/tools/testdata/make_fixtures.py");
  if (fs::exists(runfile)) return runfile;
  return "tools/testdata/make_fixtures.py";  // Run from the workspace root.
}

std::string TmpDir() {
  const std::string tmp = Env("TEST_TMPDIR");
  return tmp.empty() ? fs::temp_directory_path().string() : tmp;
}

}  // namespace

std::string MakeFixture(const std::string& name) {
  static std::set<std::string>* made = new std::set<std::string>();
  const std::string out = absl::StrCat(TmpDir(), "/fixtures");
  const std::string root = absl::StrCat(out, "/", name);
  if (made->count(name)) return root;
  const std::string command =
      absl::StrCat("/usr/bin/python3 '", ScriptPath(), "' '", out, "' --only ", name);
  const int rc = std::system(command.c_str());
  if (rc != 0) {
    ADD_FAILURE() << "fixture generator failed (" << rc << "): " << command;
    return "";
  }
  made->insert(name);
  return root;
}

std::string ScratchDir(const std::string& name) {
  const std::string dir = absl::StrCat(TmpDir(), "/scratch/", name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void WriteText(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

std::vector<std::string> Relative(const std::vector<std::string>& paths, const std::string& base) {
  std::vector<std::string> out;
  for (const std::string& p : paths) out.push_back(fs::path(p).lexically_relative(base).string());
  return out;
}

absl::StatusOr<std::vector<PatientRecord>> ScanWith(const std::string& name,
                                                    const google::protobuf::Message& options) {
  auto source = Registry<DatasetSource>::Get().Create(name, options);
  if (!source.ok()) return source.status();
  return (*source)->Scan();
}

}  // namespace dataset
}  // namespace genesis
