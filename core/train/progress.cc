#include "core/train/progress.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "absl/strings/str_format.h"
#include "glog/logging.h"

namespace genesis {
namespace {

std::string Duration(double seconds) {
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  if (s >= 3600) return absl::StrFormat("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
  return absl::StrFormat("%02d:%02d", s / 60, s % 60);
}

}  // namespace

ProgressReporter::ProgressReporter(bool terminal, int64_t log_every)
    : terminal_(terminal), log_every_(log_every) {}

void ProgressReporter::StartEpoch(int64_t epoch, int64_t max_epochs, int64_t steps,
                                  int64_t first_step) {
  epoch_ = epoch;
  max_epochs_ = max_epochs;
  steps_ = steps;
  first_step_ = first_step;
  images_ = 0;
  has_loss_ = false;
  start_ = std::chrono::steady_clock::now();
}

double ProgressReporter::rate() const {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return elapsed > 0 ? images_ / elapsed : 0.0;
}

void ProgressReporter::Step(int64_t done, int64_t images, double loss) {
  images_ += images;
  loss_ema_ = has_loss_ ? 0.9 * loss_ema_ + 0.1 * loss : loss;
  has_loss_ = true;
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const int64_t run = done - first_step_;
  const double eta = run > 0 ? elapsed / run * (steps_ - done) : 0.0;
  if (terminal_) {
    constexpr int kWidth = 30;
    const int filled = steps_ > 0 ? static_cast<int>(kWidth * done / steps_) : kWidth;
    std::string bar(filled, '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "\repoch %lld/%lld [%s] %lld/%lld  loss %.5f  %.1f img/s  ETA %s   ",
                 static_cast<long long>(epoch_ + 1), static_cast<long long>(max_epochs_),
                 bar.c_str(), static_cast<long long>(done), static_cast<long long>(steps_),
                 loss_ema_, rate(), Duration(eta).c_str());
    std::fflush(stderr);
    return;
  }
  const int64_t every = log_every_ > 0 ? log_every_ : std::max<int64_t>(1, steps_ / 10);
  if (done % every == 0 || done == steps_) {
    LOG(INFO) << absl::StrFormat("epoch %d/%d step %d/%d loss %.5f %.1f img/s ETA %s",
                                 epoch_ + 1, max_epochs_, done, steps_, loss_ema_, rate(),
                                 Duration(eta));
  }
}

void ProgressReporter::EndEpoch() {
  if (terminal_) std::fprintf(stderr, "\n");
}

}  // namespace genesis
