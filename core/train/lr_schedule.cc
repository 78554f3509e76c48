#include "core/train/lr_schedule.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace genesis {

LrSchedule::LrSchedule(const ScheduleOptions& options, double base_lr, int64_t max_epochs)
    : options_(options), base_lr_(base_lr), max_epochs_(std::max<int64_t>(1, max_epochs)) {
  state_.lr = base_lr;
}

absl::Status LrSchedule::Validate(const ScheduleOptions& o) {
  const std::string& t = o.type();
  if (t != "plateau" && t != "step" && t != "cosine" && t != "constant") {
    return absl::InvalidArgumentError(absl::StrCat(
        "schedule.type: must be \"plateau\", \"step\", \"cosine\" or \"constant\", got \"", t,
        "\""));
  }
  if (!(o.factor() > 0.0 && o.factor() <= 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("schedule.factor: must be in (0, 1], got ", o.factor()));
  }
  if (o.patience() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("schedule.patience: must be >= 0, got ", o.patience()));
  }
  if (o.step_epochs() < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("schedule.step_epochs: must be >= 1, got ", o.step_epochs()));
  }
  if (o.min_learning_rate() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "schedule.min_learning_rate: must be >= 0, got ", o.min_learning_rate()));
  }
  return absl::OkStatus();
}

void LrSchedule::EpochEnd(int64_t epoch, double val_loss) {
  const std::string& type = options_.type();
  const int64_t next = epoch + 1;
  if (type == "step") {
    state_.lr = base_lr_ * std::pow(options_.factor(), next / options_.step_epochs());
  } else if (type == "cosine") {
    const double t = std::min<double>(1.0, static_cast<double>(next) / max_epochs_);
    state_.lr = options_.min_learning_rate() +
                (base_lr_ - options_.min_learning_rate()) * 0.5 * (1.0 + std::cos(M_PI * t));
  } else if (type == "plateau") {
    if (val_loss < state_.best * (1.0 - 1e-4)) {
      state_.best = val_loss;
      state_.bad_epochs = 0;
    } else {
      ++state_.bad_epochs;
    }
    if (state_.bad_epochs > options_.patience()) {
      state_.lr = std::max(state_.lr * options_.factor(), options_.min_learning_rate());
      state_.bad_epochs = 0;
    }
  }
}

}  // namespace genesis
