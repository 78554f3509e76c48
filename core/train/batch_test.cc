// The batching layer of pretraining and fine-tuning over the one loader: batches come in order
// whatever the threads (resuming at a batch), samples are laid out as the loop reads them,
// errors come at their batch, and the epoch's batches are the ones training always drew.
#include "core/train/batch.h"

#include <optional>
#include <vector>

#include "gtest/gtest.h"

namespace genesis {
namespace {

TEST(LoadBatchesTest, DeliversInOrderWhateverTheThreads) {
  std::vector<std::vector<int64_t>> batches;
  for (int64_t b = 0; b < 20; ++b) batches.push_back({2 * b, 2 * b + 1});
  for (int threads : {1, 3}) {
    auto loader = LoadBatches(batches, /*first_batch=*/5, threads, /*prefetch=*/3, /*side=*/2,
                              /*channels=*/3, [](int64_t index, Slice& input, Slice& target) {
                                target = Slice(2, 2, static_cast<float>(index));
                                input = Slice(2, 2, static_cast<float>(-index));
                                return absl::OkStatus();
                              });
    int64_t expected = 5;
    while (true) {
      auto batch = loader->Next();
      ASSERT_TRUE(batch.ok());
      if (!*batch) break;
      EXPECT_EQ((*batch)->batch_index, expected);
      EXPECT_EQ((*batch)->indices, (std::vector<int64_t>{2 * expected, 2 * expected + 1}));
      // Inputs are repeated on the channels; targets are one channel.
      ASSERT_EQ((*batch)->input.size(), 2u * 3 * 4);
      ASSERT_EQ((*batch)->target_numel, 4);
      ASSERT_EQ((*batch)->target.size(), 2u * 4);
      EXPECT_EQ((*batch)->target[0], 2 * expected);
      EXPECT_EQ((*batch)->target[4], 2 * expected + 1);  // Sample 1.
      EXPECT_EQ((*batch)->input[11], -(2 * expected));   // Sample 0, channel 2.
      EXPECT_EQ((*batch)->input[12], -(2 * expected + 1));
      EXPECT_EQ((*batch)->input[23], -(2 * expected + 1));
      ++expected;
    }
    EXPECT_EQ(expected, 20);
    EXPECT_LE(loader->max_in_flight(), 3);
  }
}

TEST(LoadBatchesTest, ReportsErrorAtItsBatch) {
  auto loader = LoadBatches({{0}, {1}, {2}}, 0, 2, 2, 2, 1, [](int64_t index, Slice& in, Slice& t) {
    if (index == 1) return absl::DataLossError("bad slice 1");
    t = in = Slice(2, 2);
    return absl::OkStatus();
  });
  EXPECT_TRUE(loader->Next().ok());
  auto second = loader->Next();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().message(), "bad slice 1");
  EXPECT_FALSE(loader->Next().ok());  // Stopped: no batch after the failed one.
}

TEST(LoadBatchesTest, SamplesOfTheWrongSizeAreErrorsNamingThem) {
  auto wrong_input = BuildBatch(0, {4, 5}, 2, 1, [](int64_t index, Slice& in, Slice& t) {
    in = Slice(index == 5 ? 3 : 2, 2);
    t = Slice(1, 1);
    return absl::OkStatus();
  });
  EXPECT_EQ(wrong_input.status().message(), "sample 5 is 3x2, expected 2x2");
  auto wrong_target = BuildBatch(0, {4, 5}, 2, 1, [](int64_t index, Slice& in, Slice& t) {
    in = Slice(2, 2);
    t = Slice(index == 5 ? 2 : 1, 1);
    return absl::OkStatus();
  });
  EXPECT_EQ(wrong_target.status().message(),
            "sample 5: target of 2 values, the batch's first had 1");
}

TEST(BatchesTest, CutsTheOrderAndCapsTheCount) {
  const std::vector<int64_t> order = {7, 3, 9, 1, 0, 4, 2};
  EXPECT_EQ(Batches(order, 3), (std::vector<std::vector<int64_t>>{{7, 3, 9}, {1, 0, 4}, {2}}));
  EXPECT_EQ(Batches(order, 3, /*max_batches=*/2),
            (std::vector<std::vector<int64_t>>{{7, 3, 9}, {1, 0, 4}}));
  EXPECT_TRUE(Batches({}, 3).empty());
}

// The training loop's epoch: Batches(Permutation(n, shuffle, seed, epoch), batch_size),
// streamed from the resumed step. Resuming at any step gives the tail of the same sequence.
TEST(LoadBatchesTest, ResumedEpochIsTheTailOfTheSameBatches) {
  auto indices_from = [](int64_t first_batch, int threads) {
    auto loader = LoadBatches(Batches(Permutation(23, true, 5, 1), 4), first_batch, threads, 2, 1,
                              1, [](int64_t index, Slice& in, Slice& t) {
                                in = Slice(1, 1, static_cast<float>(index));
                                t = in;
                                return absl::OkStatus();
                              });
    std::vector<std::vector<int64_t>> out;
    while (true) {
      auto batch = loader->Next();
      EXPECT_TRUE(batch.ok());
      if (!batch.ok() || !*batch) break;
      EXPECT_EQ((*batch)->target[0], (*batch)->indices[0]);
      out.push_back((*batch)->indices);
    }
    return out;
  };
  const auto full = indices_from(0, 1);
  EXPECT_EQ(full, Batches(Permutation(23, true, 5, 1), 4));
  ASSERT_EQ(full.size(), 6u);
  for (int64_t first : {1, 4, 5, 6}) {
    EXPECT_EQ(indices_from(first, 3),
              std::vector<std::vector<int64_t>>(full.begin() + first, full.end()));
  }
}

}  // namespace
}  // namespace genesis
