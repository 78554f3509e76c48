// Test helper for the luna16 task and `genesis patch`: runs
// tools/testdata/make_luna16_task_fixture.py (from the runfiles, with /usr/bin/python3).
//
//   const std::string root = RunFixtureScript({"luna", TestDir("luna")});
//
// Tests using it need `data = ["//tools/testdata:make_luna16_task_fixture.py"]` (the
// luna16_test_util library carries it).
#ifndef GENESIS_PLUGINS_TASK_LUNA16_TEST_UTIL_H_
#define GENESIS_PLUGINS_TASK_LUNA16_TEST_UTIL_H_

#include <string>
#include <vector>

namespace genesis {
namespace luna16 {

// A fresh empty folder under TEST_TMPDIR.
std::string TestDir(const std::string& name);
// Runs the script with `args` (each single-quoted); returns its exit code, stdout+stderr in
// *output when given.
int RunFixtureScript(const std::vector<std::string>& args, std::string* output = nullptr);

}  // namespace luna16
}  // namespace genesis

#endif  // GENESIS_PLUGINS_TASK_LUNA16_TEST_UTIL_H_
