// The bounded unpickler on hostile input (no LibTorch, so tools/sanitize.sh runs it under ASan
// and UBSan). Valid files are tested against PyTorch in weight_file_test.cc.
#include "core/weights/state_dict_pickle.h"

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace genesis {
namespace {

using std::string_literals::operator""s;

// Found by tools/fuzz/pickle_fuzzer (LeakSanitizer): a dict stored in itself through the memo
// ({}; memo[0] = it; d[memo[0]] = memo[0]) formed a reference cycle that leaked.
TEST(StateDictPickleTest, SelfReferencingDictIsAnErrorNotALeak) {
  const std::string pickle = "\x80\x02}q\x00h\x00h\x00s."s;
  auto parsed = ParseStateDictPickle(pickle, "cycle.pkl");
  ASSERT_FALSE(parsed.ok());
  EXPECT_TRUE(absl::StrContains(parsed.status().message(),
                                "cycle.pkl: state_dict key is a dict, expected str"))
      << parsed.status();
  // A list appended to itself, as the legacy format's storage-key list.
  auto legacy = ParseLegacyStateDict("\x80\x02]2a."s, "cycle.pth");
  EXPECT_FALSE(legacy.ok());
}

// A million nested 1-tuples: reference-counted objects were torn down recursively, one stack
// frame per level, and the process died of a stack overflow instead of returning an error.
TEST(StateDictPickleTest, DeepNestingIsAnErrorNotAStackOverflow) {
  const std::string pickle = "\x80\x02)"s + std::string(1000000, '\x85') + ".";
  auto parsed = ParseStateDictPickle(pickle, "deep.pkl");
  ASSERT_FALSE(parsed.ok());
  EXPECT_TRUE(absl::StrContains(parsed.status().message(),
                                "deep.pkl: the pickled object is a tuple, expected a state_dict"))
      << parsed.status();
}

// Found by tools/fuzz/pickle_fuzzer (property: every legacy storage holds what its views
// claim): two views of storage '0', as 4 and as 5 floats. The legacy reader sizes the
// storage's bytes from the first view; the second would read past them.
TEST(StateDictPickleTest, ViewsOfOneStorageMustAgreeOnItsSize) {
  auto tensor = [](const std::string& name, char numel) {
    return "X\x01\x00\x00\x00"s + name + "ctorch._utils\n_rebuild_tensor_v2\n(" +
           "(X\x07\x00\x00\x00storage"s + "ctorch\nFloatStorage\n" + "X\x01\x00\x00\x00"s + "0" +
           "X\x03\x00\x00\x00"s + "cpu" + "K"s + numel + "tQK\x00K\x04\x85K\x01\x85\x89NtR"s;
  };
  auto parsed =
      ParseStateDictPickle("\x80\x02}("s + tensor("a", 4) + tensor("b", 5) + "u.", "mixed.pkl");
  ASSERT_FALSE(parsed.ok());
  EXPECT_TRUE(absl::StrContains(parsed.status().message(),
                                "mixed.pkl: storage '0' is pickled as 4 x float32 and, for "
                                "tensor 'b', as 5 x float32"))
      << parsed.status();
  auto same = ParseStateDictPickle("\x80\x02}("s + tensor("a", 4) + tensor("b", 4) + "u.", "ok");
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->size(), 2u);
}

}  // namespace
}  // namespace genesis
