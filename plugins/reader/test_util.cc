#include "plugins/reader/test_util.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <limits>

#include "absl/strings/str_cat.h"
#include "core/proto/plugin_spec.pb.h"
#include "core/registry.h"

namespace genesis {
namespace reader_testing {

std::string TestDataDir() {
  const char* dir = std::getenv("GENESIS_TEST_DATA");
  if (dir != nullptr && *dir != '\0') return dir;
  // Plain `bazel test`: the @genesis_test_data repository (third_party/test_data.bzl).
  const char* runfiles = std::getenv("TEST_SRCDIR");
  if (runfiles == nullptr) return "";
  const std::string fetched = absl::StrCat(runfiles, "/genesis_test_data");
  return std::filesystem::exists(fetched + "/pydicom/CT_small.dcm") ? fetched : "";
}

std::string FixtureDir() {
  static const std::string* const dir = [] {
    const char* tmp = std::getenv("TEST_TMPDIR");
    const std::string out = absl::StrCat(tmp ? tmp : "/tmp", "/reader_fixtures");
    const std::string command = absl::StrCat(
        "/usr/bin/python3 tools/testdata/make_reader_fixtures.py '", out, "' >/dev/null");
    const int rc = std::system(command.c_str());
    return new std::string(rc == 0 ? out : "");
  }();
  return *dir;
}

std::unique_ptr<ImageReader> MakeReader(const std::string& name) {
  PluginSpec spec;
  spec.set_type(name);
  auto reader = Registry<ImageReader>::Get().Create(spec);
  if (!reader.ok()) {
    ADD_FAILURE() << reader.status();
    return nullptr;
  }
  return std::move(reader).value();
}

Stats VoxelStats(const Volume& volume) {
  Stats stats;
  if (volume.voxels.empty()) return stats;
  stats.min = std::numeric_limits<double>::infinity();
  stats.max = -stats.min;
  double sum = 0;
  for (float v : volume.voxels) {
    stats.min = std::min<double>(stats.min, v);
    stats.max = std::max<double>(stats.max, v);
    sum += v;
  }
  stats.mean = sum / static_cast<double>(volume.voxels.size());
  return stats;
}

}  // namespace reader_testing
}  // namespace genesis
