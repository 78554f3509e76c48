// Test helper: runs tools/testdata/make_fixtures.py (from the test's runfiles, with the system
// /usr/bin/python3) to write one dataset's fixture under TEST_TMPDIR.
//
//   const std::string root = MakeFixture("msd");        // TEST_TMPDIR/fixtures/msd
//   EXPECT_EQ(Relative(record.files, root), (std::vector<std::string>{"Task03_Liver/..."}));
//
// Tests using it need `data = ["//tools/testdata:make_fixtures"]`.
#ifndef GENESIS_PLUGINS_DATASET_FIXTURE_UTIL_H_
#define GENESIS_PLUGINS_DATASET_FIXTURE_UTIL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/dataset_source.h"
#include "google/protobuf/message.h"

namespace genesis {
namespace dataset {

// Generates the fixture `name` (once per test process) and returns its folder. Fails the
// calling test (ADD_FAILURE) and returns "" when the generator fails.
std::string MakeFixture(const std::string& name);
// A fresh empty folder under TEST_TMPDIR for tests that build broken layouts by hand.
std::string ScratchDir(const std::string& name);
// Writes `text` to `path`, creating parent folders.
void WriteText(const std::string& path, const std::string& text);
// `paths` relative to `base` (for readable expectations).
std::vector<std::string> Relative(const std::vector<std::string>& paths, const std::string& base);
// Creates the source `name` from typed options and scans it.
absl::StatusOr<std::vector<PatientRecord>> ScanWith(const std::string& name,
                                                    const google::protobuf::Message& options);

}  // namespace dataset
}  // namespace genesis

#endif  // GENESIS_PLUGINS_DATASET_FIXTURE_UTIL_H_
