#include "core/fingerprint.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace genesis {
namespace {

namespace fs = std::filesystem;

fs::path TempDir(const std::string& name) {
  fs::path dir = fs::path(::testing::TempDir()) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void Write(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

TEST(FingerprintTest, ComponentsAndChanges) {
  Fingerprint a;
  a.Add("options", "x: 1");
  a.Add("seed", "42");
  Fingerprint b;
  b.Add("options", "x: 1");
  b.Add("seed", "7");
  EXPECT_NE(a.Hex(), b.Hex());
  EXPECT_EQ(MarkerFingerprint(a.Serialize()), a.Hex());
  EXPECT_EQ(DescribeChanges(a.Serialize(), b.Serialize()), "seed");
  EXPECT_EQ(DescribeChanges(a.Serialize(), a.Serialize()), "");
  Fingerprint c = a;
  c.Add("stage 0 (corpus)", "abc");
  EXPECT_EQ(DescribeChanges(a.Serialize(), c.Serialize()), "stage 0 (corpus) (new)");
  EXPECT_EQ(DescribeChanges(c.Serialize(), a.Serialize()), "stage 0 (corpus) (gone)");
  // An old-style marker (no components) differs, and says so.
  EXPECT_EQ(MarkerFingerprint("12345-42"), "");
  EXPECT_EQ(DescribeChanges("12345-42", a.Serialize()), "options (new), seed (new)");
}

TEST(FingerprintTest, PathListingFollowsNamesSizesAndTimes) {
  const fs::path dir = TempDir("listing");
  fs::create_directories(dir / "sub");
  Write(dir / "a.txt", "hello");
  Write(dir / "sub" / "b.txt", "world");
  auto first = PathFingerprint(dir.string());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*PathFingerprint(dir.string()), *first);  // Stable.

  Write(dir / "sub" / "b.txt", "world!");  // Size changes.
  const std::string resized = *PathFingerprint(dir.string());
  EXPECT_NE(resized, *first);

  // Same size, new modification time.
  fs::last_write_time(dir / "a.txt",
                      fs::last_write_time(dir / "a.txt") + std::chrono::seconds(5));
  const std::string touched = *PathFingerprint(dir.string());
  EXPECT_NE(touched, resized);

  Write(dir / "sub" / "c.txt", "");  // A new file.
  EXPECT_NE(*PathFingerprint(dir.string()), touched);

  // A single file, and a missing path (an error naming it).
  EXPECT_TRUE(PathFingerprint((dir / "a.txt").string()).ok());
  auto missing = PathFingerprint((dir / "nope").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nope"), std::string::npos);
}

}  // namespace
}  // namespace genesis
