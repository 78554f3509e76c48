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

}  // namespace
}  // namespace genesis
