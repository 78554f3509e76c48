// Test helpers for the reader tests: the real-scan cache ($GENESIS_TEST_DATA), generated
// fixtures (tools/testdata/make_reader_fixtures.py), readers with default options, stats.
#ifndef GENESIS_PLUGINS_READER_TEST_UTIL_H_
#define GENESIS_PLUGINS_READER_TEST_UTIL_H_

#include <memory>
#include <string>

#include "core/image_reader.h"
#include "core/volume.h"
#include "gtest/gtest.h"

namespace genesis {
namespace reader_testing {

// The real-scan cache: $GENESIS_TEST_DATA when set (tools/test.sh), else the
// @genesis_test_data repository in the test's runfiles (plain `bazel test`; tests list
// "@genesis_test_data//:files" in data, which :test_util does); "" when neither exists.
std::string TestDataDir();
// Runs make_reader_fixtures.py once per process into $TEST_TMPDIR; "" on failure.
std::string FixtureDir();
// A registered reader with default options (nullptr if not registered).
std::unique_ptr<ImageReader> MakeReader(const std::string& name);

struct Stats {
  double min = 0, max = 0, mean = 0;
};
Stats VoxelStats(const Volume& volume);

}  // namespace reader_testing
}  // namespace genesis

// Declares `std::string var` = the real-scan cache, failing the test (never skipping) when
// there is none.
#define GENESIS_REQUIRE_TEST_DATA(var)                                                          \
  const std::string var = ::genesis::reader_testing::TestDataDir();                             \
  ASSERT_FALSE(var.empty())                                                                     \
      << "no real test scans: GENESIS_TEST_DATA is unset and @genesis_test_data is not in the " \
         "runfiles (add it to the test's data, or export GENESIS_TEST_DATA=$(tools/"         \
         "fetch_test_data.sh | tail -1))"

// Declares `std::string var` = the generated fixture folder, failing the test if generation
// failed.
#define GENESIS_REQUIRE_FIXTURES(var)                              \
  const std::string var = ::genesis::reader_testing::FixtureDir(); \
  ASSERT_FALSE(var.empty()) << "tools/testdata/make_reader_fixtures.py failed (see log)"

#endif  // GENESIS_PLUGINS_READER_TEST_UTIL_H_
