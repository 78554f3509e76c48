// LR schedules and the TensorBoard CRC against known values (the batch loader's tests are in
// batch_test.cc).
#include "core/train/lr_schedule.h"

#include <cmath>
#include <string>

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

TEST(TensorBoardTest, Crc32cKnownAnswer) {
  // RFC 3720 test vector: CRC-32C of "123456789" is 0xE3069283.
  EXPECT_EQ(Crc32c("123456789", 9), 0xE3069283u);
}

}  // namespace
}  // namespace genesis
