// `genesis corrupt`: same (seed, epoch, index) -> byte-identical PNGs, different index ->
// different corruption, argument errors.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/command.h"
#include "gtest/gtest.h"

namespace genesis {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream data;
  data << in.rdbuf();
  return data.str();
}

std::string TempPrefix(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

int Corrupt(std::vector<std::string> args) {
  const Command* command = FindCommand("corrupt");
  EXPECT_NE(command, nullptr);
  return command == nullptr ? -1 : command->main(args);
}

TEST(CorruptCommandTest, ReplaysToIdenticalFiles) {
  const std::string a = TempPrefix("a"), b = TempPrefix("b"), c = TempPrefix("c");
  ASSERT_EQ(Corrupt({"seed=5", "epoch=1", "index=7", "size=96", "out=" + a}), 0);
  ASSERT_EQ(Corrupt({"seed=5", "epoch=1", "index=7", "size=96", "out=" + b}), 0);
  ASSERT_EQ(Corrupt({"seed=5", "epoch=1", "index=8", "size=96", "out=" + c}), 0);
  const std::string a_corrupted = ReadFile(a + "_corrupted.png");
  ASSERT_GT(a_corrupted.size(), 100u);
  EXPECT_EQ(a_corrupted.substr(1, 3), "PNG");
  EXPECT_EQ(a_corrupted, ReadFile(b + "_corrupted.png"));
  EXPECT_EQ(ReadFile(a + "_original.png"), ReadFile(b + "_original.png"));
  EXPECT_NE(a_corrupted, ReadFile(c + "_corrupted.png"));
}

TEST(CorruptCommandTest, ReadsAnImageAndTakesOptions) {
  const std::string src = TempPrefix("src"), out = TempPrefix("out");
  ASSERT_EQ(Corrupt({"size=64", "out=" + src}), 0);
  // Identity pretext (all steps off): the corrupted image equals the original.
  ASSERT_EQ(Corrupt({src + "_original.png", "pretext=genesis",
                     "options=flip { prob: 0 } local_shuffle { prob: 0 } nonlinear { prob: 0 } "
                     "painting { prob: 0 }",
                     "out=" + out}),
            0);
  EXPECT_EQ(ReadFile(out + "_corrupted.png"), ReadFile(out + "_original.png"));
  EXPECT_EQ(ReadFile(out + "_original.png"), ReadFile(src + "_original.png"));
}

TEST(CorruptCommandTest, RejectsBadArguments) {
  EXPECT_EQ(Corrupt({"bogus=1"}), 2);
  EXPECT_EQ(Corrupt({"seed=x"}), 2);
  EXPECT_EQ(Corrupt({"pretext=no_such_task", "out=" + TempPrefix("x")}), 1);
  EXPECT_EQ(Corrupt({"options=flip { prob: 7 }", "out=" + TempPrefix("x")}), 1);
  EXPECT_EQ(Corrupt({"/no/such/image.png", "out=" + TempPrefix("x")}), 1);
}

}  // namespace
}  // namespace genesis
