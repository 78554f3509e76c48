// Every experiment in experiments/ parses and validates against the full plugin set.
#include <filesystem>

#include "core/config.h"
#include "gtest/gtest.h"

namespace genesis {
namespace {

TEST(ExperimentsTest, EveryExperimentValidates) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  ASSERT_NE(srcdir, nullptr);
  ASSERT_NE(workspace, nullptr);
  const std::filesystem::path dir =
      std::filesystem::path(srcdir) / workspace / "experiments";
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".textproto") continue;
    SCOPED_TRACE(entry.path().string());
    ++count;
    ParsedExperiment parsed;
    absl::Status status = ParseExperimentFile(entry.path().string(), &parsed);
    if (status.ok()) status = ValidateExperiment(parsed);
    EXPECT_TRUE(status.ok()) << status.message();
    if (status.ok()) EXPECT_TRUE(ResolveExperiment(parsed.experiment).ok());
  }
  EXPECT_GE(count, 1) << "no experiments found in " << dir;
}

}  // namespace
}  // namespace genesis
