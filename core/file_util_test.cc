// Atomic writes and their temp files: WriteFileAtomically leaves only the final file, temp
// names carry host and pid, and RemoveStaleTempFiles removes exactly those of dead processes of
// this host (what a kill -9 mid-write leaves), never a live writer's or another host's.
#include "core/file_util.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace genesis {
namespace {

namespace fs = std::filesystem;

std::string FreshDir(const std::string& name) {
  const char* root = std::getenv("TEST_TMPDIR");
  const fs::path dir = fs::path(root != nullptr ? root : "/tmp") / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

void Touch(const std::string& path) { std::ofstream(path) << "x"; }

std::string Host() {
  char name[256] = "localhost";
  gethostname(name, sizeof(name) - 1);
  return name;
}

// The pid of a process that has exited (and was reaped), so kill(pid, 0) fails with ESRCH.
pid_t DeadPid() {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  int status = 0;
  waitpid(child, &status, 0);
  return child;
}

TEST(FileUtilTest, WriteFileAtomicallyLeavesOnlyTheFile) {
  const std::string dir = FreshDir("atomic");
  const std::string path = dir + "/a.txt";
  ASSERT_TRUE(WriteFileAtomically(path, "one").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "two").ok());
  EXPECT_EQ(*ReadFile(path), "two");
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) files += entry.is_regular_file();
  EXPECT_EQ(files, 1);
  // A folder that does not exist: the error names the file, and no temp file is left.
  absl::Status missing = WriteFileAtomically(dir + "/no/such/b.txt", "x");
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find(dir + "/no/such/b.txt"), std::string::npos) << missing;
}

TEST(FileUtilTest, TempPathNamesHostAndPid) {
  EXPECT_EQ(TempPathFor("/x/y.pt"), absl::StrCat("/x/y.pt.tmp.", Host(), ".", getpid()));
}

TEST(FileUtilTest, SyncFileNamesAMissingFile) {
  const std::string dir = FreshDir("sync");
  Touch(dir + "/f");
  EXPECT_TRUE(SyncFile(dir + "/f").ok());
  absl::Status missing = SyncFile(dir + "/g");
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find(dir + "/g"), std::string::npos) << missing;
}

TEST(FileUtilTest, RemovesOnlyTheTempFilesOfDeadProcessesOfThisHost) {
  const std::string dir = FreshDir("stale");
  fs::create_directories(dir + "/sub");
  const pid_t dead = DeadPid();
  const std::string dead_file = absl::StrCat(dir, "/sub/checkpoint_last.pt.tmp.", Host(), ".", dead);
  const std::string dead_folder = absl::StrCat(dir, "/cache.tmp.", Host(), ".", dead);
  const std::string live_file = TempPathFor(dir + "/metrics.csv");  // This process: alive.
  const std::string other_host = absl::StrCat(dir, "/x.csv.tmp.some-other-host.", dead);
  const std::string not_temp = dir + "/sub/notes.tmp.txt";
  const std::string final_file = dir + "/sub/checkpoint_last.pt";
  Touch(dead_file);
  fs::create_directories(dead_folder + "/inner");
  Touch(dead_folder + "/inner/shard.bin");
  Touch(live_file);
  Touch(other_host);
  Touch(not_temp);
  Touch(final_file);

  std::vector<std::string> removed = RemoveStaleTempFiles(dir);
  std::sort(removed.begin(), removed.end());
  std::vector<std::string> expected = {dead_folder, dead_file};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(removed, expected);
  EXPECT_FALSE(fs::exists(dead_file));
  EXPECT_FALSE(fs::exists(dead_folder));
  EXPECT_TRUE(fs::exists(live_file));
  EXPECT_TRUE(fs::exists(other_host));
  EXPECT_TRUE(fs::exists(not_temp));
  EXPECT_TRUE(fs::exists(final_file));
  // A folder that does not exist is nothing to clean.
  EXPECT_TRUE(RemoveStaleTempFiles(dir + "/missing").empty());
}

}  // namespace
}  // namespace genesis
