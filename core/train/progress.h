// Training progress on stderr: a redrawn bar with rate and ETA on a terminal, plain log lines
// every `log_every` steps otherwise.
//
//   ProgressReporter progress(isatty(2), log_every);
//   progress.StartEpoch(epoch, max_epochs, steps, first_step);
//   progress.Step(step + 1, images_in_step, loss);
//   progress.EndEpoch();
#ifndef GENESIS_CORE_TRAIN_PROGRESS_H_
#define GENESIS_CORE_TRAIN_PROGRESS_H_

#include <chrono>
#include <cstdint>

namespace genesis {

class ProgressReporter {
 public:
  ProgressReporter(bool terminal, int64_t log_every);
  void StartEpoch(int64_t epoch, int64_t max_epochs, int64_t steps, int64_t first_step);
  // `done` steps of this epoch are complete; the last one had `images` images and `loss`.
  void Step(int64_t done, int64_t images, double loss);
  void EndEpoch();
  // Images per second since StartEpoch.
  double rate() const;

 private:
  bool terminal_;
  int64_t log_every_;
  int64_t epoch_ = 0, max_epochs_ = 0, steps_ = 0, first_step_ = 0, images_ = 0;
  double loss_ema_ = 0.0;
  bool has_loss_ = false;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace genesis

#endif  // GENESIS_CORE_TRAIN_PROGRESS_H_
