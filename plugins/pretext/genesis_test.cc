// The "genesis" composite: identity with all probabilities 0, official step frequencies,
// target flipped with the input, replay from (seed, epoch, index), every registered pretext
// task builds from defaults, Validate paths.
#include "plugins/pretext/genesis.h"

#include <thread>

#include "gtest/gtest.h"
#include "plugins/pretext/flip.h"
#include "plugins/pretext/genesis.pb.h"
#include "plugins/pretext/phantom.h"
#include "plugins/pretext/test_util.h"

namespace genesis {
namespace {

using testing_util::ExpectFrequency;
using testing_util::MakeTask;
using testing_util::RandomImage;

GenesisOptions AllOff() {
  GenesisOptions o;
  o.mutable_flip()->set_prob(0);
  o.mutable_local_shuffle()->set_prob(0);
  o.mutable_nonlinear()->set_prob(0);
  o.mutable_painting()->set_prob(0);
  return o;
}

TEST(GenesisTest, AllProbabilitiesZeroIsIdentity) {
  auto task = MakeTask("genesis", AllOff());
  const Slice original = SheppLoganPhantom(64);
  for (uint64_t i = 0; i < 20; ++i) {
    Slice input = original, target = original;
    RandomStream rng(1, RandomStream::kPretext, 0, i);
    task->Apply(input, target, rng);
    EXPECT_EQ(input.pixels, original.pixels);
    EXPECT_EQ(target.pixels, original.pixels);
  }
}

TEST(GenesisTest, StepFrequenciesMatchOfficialProbabilities) {
  const GenesisOptions o;  // Official defaults.
  const Slice original = RandomImage(32, 32, 3);
  const int n = 6000;
  int flips[4] = {0, 0, 0, 0}, shuffled = 0, nonlinear = 0, inverted = 0, in = 0, out = 0;
  for (int i = 0; i < n; ++i) {
    Slice input = original, target = original;
    RandomStream rng(2024 + i, RandomStream::kPretext, 1, i);  // Many seeds and indices.
    GenesisTrace trace;
    ApplyGenesis(o, input, target, rng, &trace);
    ++flips[trace.flips];
    shuffled += trace.shuffled;
    nonlinear += trace.nonlinear != NonlinearOutcome::kNone;
    inverted += trace.nonlinear == NonlinearOutcome::kInverted;
    in += trace.painting == PaintingOutcome::kInPainting;
    out += trace.painting == PaintingOutcome::kOutPainting;
    // Output stays in [0, 1].
    for (float v : input.pixels) ASSERT_TRUE(v >= 0.0f && v <= 1.0f) << v;
    // The target is the original flipped exactly like the input was: with no flip it is the
    // original; the trace and the target agree.
    if (trace.flips == 0) ASSERT_EQ(target.pixels, original.pixels);
    // Nothing fired -> input == target; a shuffle, Bezier map or out-painting always changes
    // the input (in-painting may draw 0 boxes, with p 0.05).
    if (!trace.shuffled && trace.nonlinear == NonlinearOutcome::kNone &&
        trace.painting == PaintingOutcome::kNone) {
      ASSERT_EQ(input.pixels, target.pixels);
    }
    if (trace.shuffled || trace.nonlinear != NonlinearOutcome::kNone ||
        trace.painting == PaintingOutcome::kOutPainting) {
      ASSERT_NE(input.pixels, target.pixels);
    }
  }
  ExpectFrequency(flips[0], n, 0.6, "no flip");
  ExpectFrequency(flips[1], n, 0.24, "1 flip");
  ExpectFrequency(shuffled, n, 0.5, "local shuffle");
  ExpectFrequency(nonlinear, n, 0.9, "nonlinear");
  ExpectFrequency(inverted, n, 0.45, "inverted");
  ExpectFrequency(in, n, 0.9 * 0.2, "in-painting");
  ExpectFrequency(out, n, 0.9 * 0.8, "out-painting");
}

TEST(GenesisTest, FlipOnlyFlipsInputAndTargetAlike) {
  GenesisOptions o = AllOff();
  o.mutable_flip()->set_prob(1.0);
  const Slice original = RandomImage(16, 12, 5);
  Slice input = original, target = original;
  RandomStream rng(1, RandomStream::kPretext, 0, 0);
  GenesisTrace trace;
  ApplyGenesis(o, input, target, rng, &trace);
  EXPECT_EQ(trace.flips, 3);
  EXPECT_EQ(input.pixels, target.pixels);
  // Three flips of two axes: the result is one of the four flip states (never something else).
  Slice r = original, c = original, rc = original;
  FlipImage(r, 0);
  FlipImage(c, 1);
  FlipImage(rc, 0);
  FlipImage(rc, 1);
  EXPECT_TRUE(target.pixels == original.pixels || target.pixels == r.pixels ||
              target.pixels == c.pixels || target.pixels == rc.pixels);
  EXPECT_NE(target.pixels, original.pixels);  // An odd number of flips changes the image.
}

TEST(GenesisTest, ReplayFromSeedEpochIndex) {
  auto task = MakeTask("genesis", GenesisOptions());
  const Slice original = SheppLoganPhantom(96);
  auto run = [&](uint64_t seed, uint64_t epoch, uint64_t index) {
    Slice input = original, target = original;
    RandomStream rng(seed, RandomStream::kPretext, epoch, index);
    task->Apply(input, target, rng);
    std::vector<float> both = input.pixels;
    both.insert(both.end(), target.pixels.begin(), target.pixels.end());
    return both;
  };
  for (uint64_t index = 0; index < 10; ++index) {
    EXPECT_EQ(run(7, 2, index), run(7, 2, index)) << index;
    EXPECT_NE(run(7, 2, index), run(7, 2, index + 100)) << index;
    EXPECT_NE(run(7, 2, index), run(7, 3, index)) << index;
    EXPECT_NE(run(7, 2, index), run(8, 2, index)) << index;
  }
}

// Loaders call one task object from several threads (scratch buffers are thread-local): the
// results equal a serial run.
TEST(GenesisTest, ConcurrentCallsMatchSerialResults) {
  auto task = MakeTask("genesis", GenesisOptions());
  const Slice original = SheppLoganPhantom(80);
  const int n = 64;
  auto corrupt = [&](int i) {
    Slice input = original, target = original;
    RandomStream rng(3, RandomStream::kPretext, 0, i);
    task->Apply(input, target, rng);
    return input.pixels;
  };
  std::vector<std::vector<float>> serial(n), parallel(n);
  for (int i = 0; i < n; ++i) serial[i] = corrupt(i);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < n; i += 4) parallel[i] = corrupt(i);
    });
  }
  for (auto& thread : threads) thread.join();
  for (int i = 0; i < n; ++i) EXPECT_EQ(serial[i], parallel[i]) << i;
}

TEST(GenesisTest, ValidatePathsNameNestedFields) {
  GenesisOptions o;
  o.mutable_painting()->mutable_in_painting()->set_max_boxes(0);
  EXPECT_EQ(ValidateGenesisOptions(o).message(),
            "painting.in_painting.max_boxes: must be >= 1, got 0");
  o = GenesisOptions();
  o.mutable_local_shuffle()->set_num_blocks(-5);
  EXPECT_EQ(ValidateGenesisOptions(o).message(), "local_shuffle.num_blocks: must be >= 0, got -5");
  auto created = Registry<PretextTask>::Get().Create("genesis", o);
  ASSERT_FALSE(created.ok());
  EXPECT_NE(created.status().message().find("local_shuffle.num_blocks"), std::string::npos);
}

// Conformance: every registered pretext task builds from default options and keeps sizes,
// finiteness and (all of ours) the [0, 1] range, on odd and tiny sizes too.
TEST(PretextConformanceTest, EveryTaskBuildsFromDefaultsAndKeepsRange) {
  const std::vector<std::string> names = Registry<PretextTask>::Get().Names();
  for (const char* expected :
       {"flip", "local_shuffle", "nonlinear", "in_painting", "out_painting", "painting", "genesis",
        "context_restoration", "gaussian_noise", "gaussian_blur"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
  }
  for (const std::string& name : names) {
    PluginSpec spec;
    spec.set_type(name);
    auto task = Registry<PretextTask>::Get().Create(spec);
    ASSERT_TRUE(task.ok()) << name << ": " << task.status();
    for (int64_t size : {7, 33, 224}) {
      for (uint64_t i = 0; i < 5; ++i) {
        Slice input = RandomImage(size, size + 3, i), target = input;
        RandomStream rng(1, RandomStream::kPretext, 0, i);
        (*task)->Apply(input, target, rng);
        ASSERT_EQ(input.pixels.size(), static_cast<size_t>(size * (size + 3))) << name;
        ASSERT_EQ(target.pixels.size(), input.pixels.size()) << name;
        for (float v : input.pixels) ASSERT_TRUE(v >= 0.0f && v <= 1.0f) << name << " " << v;
      }
    }
  }
}

}  // namespace
}  // namespace genesis
