// LR schedules, the ordered batch loader and the TensorBoard CRC against known values.
#include "core/train/lr_schedule.h"

#include <atomic>
#include <cmath>
#include <optional>
#include <string>

#include "core/train/batch_loader.h"
#include "core/train/tensorboard.h"
#include "gtest/gtest.h"

namespace genesis {
namespace {

TEST(LrScheduleTest, Step) {
  ScheduleOptions o;
  o.set_type("step");
  o.set_factor(0.1);
  o.set_step_epochs(2);
  LrSchedule s(o, 1.0, 10);
  std::vector<double> lrs;
  for (int e = 0; e < 5; ++e) {
    lrs.push_back(s.lr());
    s.EpochEnd(e, 1.0);
  }
  EXPECT_DOUBLE_EQ(lrs[0], 1.0);
  EXPECT_DOUBLE_EQ(lrs[1], 1.0);
  EXPECT_NEAR(lrs[2], 0.1, 1e-12);
  EXPECT_NEAR(lrs[3], 0.1, 1e-12);
  EXPECT_NEAR(lrs[4], 0.01, 1e-12);
}

TEST(LrScheduleTest, CosineReachesMinimumAtLastEpoch) {
  ScheduleOptions o;
  o.set_type("cosine");
  o.set_min_learning_rate(0.01);
  LrSchedule s(o, 1.0, 4);
  s.EpochEnd(0, 1.0);
  EXPECT_NEAR(s.lr(), 0.01 + 0.99 * 0.5 * (1 + std::cos(M_PI / 4)), 1e-12);
  s.EpochEnd(1, 1.0);
  EXPECT_NEAR(s.lr(), 0.505, 1e-12);
  s.EpochEnd(3, 1.0);
  EXPECT_NEAR(s.lr(), 0.01, 1e-12);
}

TEST(LrScheduleTest, PlateauLikePyTorch) {
  ScheduleOptions o;
  o.set_type("plateau");
  o.set_factor(0.5);
  o.set_patience(2);
  LrSchedule s(o, 1.0, 100);
  // Improves, then stalls: the lr halves after the third bad epoch (num_bad > patience).
  const double losses[] = {1.0, 0.9, 0.95, 0.95, 0.95, 0.95};
  std::vector<double> lrs;
  for (int e = 0; e < 6; ++e) {
    s.EpochEnd(e, losses[e]);
    lrs.push_back(s.lr());
  }
  EXPECT_EQ(lrs, (std::vector<double>{1.0, 1.0, 1.0, 1.0, 0.5, 0.5}));
}

TEST(LrScheduleTest, RejectsUnknownType) {
  ScheduleOptions o;
  o.set_type("linear");
  EXPECT_EQ(LrSchedule::Validate(o).message(),
            "schedule.type: must be \"plateau\", \"step\", \"cosine\" or \"constant\", got "
            "\"linear\"");
}

TEST(BatchLoaderTest, DeliversInOrderWhateverTheThreads) {
  std::vector<std::vector<int64_t>> batches;
  for (int64_t b = 0; b < 20; ++b) batches.push_back({2 * b, 2 * b + 1});
  for (int threads : {1, 3}) {
    BatchLoader loader(batches, /*first_batch=*/5, threads, /*prefetch=*/3, /*side=*/2,
                       /*channels=*/3, [](int64_t index, Slice& input, Slice& target) {
                         target = Slice(2, 2, static_cast<float>(index));
                         input = Slice(2, 2, static_cast<float>(-index));
                         return absl::OkStatus();
                       });
    int64_t expected = 5;
    while (true) {
      auto batch = loader.Next();
      ASSERT_TRUE(batch.ok());
      if (!*batch) break;
      EXPECT_EQ((*batch)->batch_index, expected);
      // Inputs are repeated on the channels; targets are one channel.
      ASSERT_EQ((*batch)->target_numel, 4);
      ASSERT_EQ((*batch)->target.size(), 2u * 4);
      EXPECT_EQ((*batch)->target[0], 2 * expected);
      EXPECT_EQ((*batch)->target[4], 2 * expected + 1);  // Sample 1.
      EXPECT_EQ((*batch)->input[23], -(2 * expected + 1));
      ++expected;
    }
    EXPECT_EQ(expected, 20);
  }
}

TEST(BatchLoaderTest, ReportsErrorAtItsBatch) {
  BatchLoader loader({{0}, {1}, {2}}, 0, 2, 2, 2, 1, [](int64_t index, Slice& in, Slice& t) {
    if (index == 1) return absl::DataLossError("bad slice 1");
    t = in = Slice(2, 2);
    return absl::OkStatus();
  });
  EXPECT_TRUE(loader.Next().ok());
  auto second = loader.Next();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().message(), "bad slice 1");
}

TEST(TensorBoardTest, Crc32cKnownAnswer) {
  // RFC 3720 test vector: CRC-32C of "123456789" is 0xE3069283.
  EXPECT_EQ(Crc32c("123456789", 9), 0xE3069283u);
}

}  // namespace
}  // namespace genesis
