// Learning-rate schedules of the pretraining stage, stepped once per epoch:
//   constant  lr = base
//   step      lr = base * factor^floor(epoch / step_epochs)
//   cosine    lr = min + (base - min) * (1 + cos(pi * epoch / max_epochs)) / 2
//   plateau   ReduceLROnPlateau(mode=min, threshold=1e-4 rel, cooldown 0): lr *= factor (not
//             below min_learning_rate) after more than `patience` epochs without improvement.
//
//   LrSchedule schedule(options, base_lr, max_epochs);
//   optimizer lr = schedule.lr();  ... after validation: schedule.EpochEnd(epoch, val_loss);
//
// The whole state is three numbers (State), saved in checkpoints for exact resume.
#ifndef GENESIS_CORE_TRAIN_LR_SCHEDULE_H_
#define GENESIS_CORE_TRAIN_LR_SCHEDULE_H_

#include <cstdint>
#include <limits>

#include "absl/status/status.h"
#include "core/proto/stages.pb.h"

namespace genesis {

class LrSchedule {
 public:
  struct State {
    double lr = 0.0;
    double best = std::numeric_limits<double>::infinity();
    int64_t bad_epochs = 0;
  };

  LrSchedule(const ScheduleOptions& options, double base_lr, int64_t max_epochs);
  static absl::Status Validate(const ScheduleOptions& options);

  double lr() const { return state_.lr; }
  // Call after epoch `epoch` (0-based) finished with validation loss `val_loss`; updates lr()
  // to the rate of epoch `epoch + 1`.
  void EpochEnd(int64_t epoch, double val_loss);

  const State& state() const { return state_; }
  void set_state(const State& state) { state_ = state; }

 private:
  ScheduleOptions options_;
  double base_lr_;
  int64_t max_epochs_;
  State state_;
};

}  // namespace genesis

#endif  // GENESIS_CORE_TRAIN_LR_SCHEDULE_H_
