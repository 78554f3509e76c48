// BatchLoader: builds training batches (load + corrupt each slice) in worker threads and hands
// them out strictly in batch order, with bounded prefetch -- so training is reproducible whatever
// the thread count or timing.
//
//   BatchLoader loader(batches /* dataset indexes per batch */, /*first_batch=*/resumed_step,
//                      /*threads=*/2, /*prefetch=*/4, image_size, channels, make_sample);
//   while (true) {
//     GENESIS_ASSIGN_OR_RETURN(std::optional<Batch> batch, loader.Next());
//     if (!batch) break;
//     ... batch->input / batch->target: size x channels x image_size x image_size floats
//   }
//
// `make_sample(index, input, target)` runs in a worker: it fills `input` (image_size x
// image_size, repeated on `channels` channels in the batch) and `target` (any size, the same for
// every sample of a batch; one channel): for pretraining the slice and its corrupted copy, for
// classification the image and a 1x1 label.
#ifndef GENESIS_CORE_TRAIN_BATCH_LOADER_H_
#define GENESIS_CORE_TRAIN_BATCH_LOADER_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/pretext_task.h"

namespace genesis {

struct Batch {
  int64_t batch_index = 0;          // Position in the epoch's batch list.
  std::vector<int64_t> indices;     // Dataset index of each sample.
  int64_t side = 0;                 // Height = width.
  int64_t channels = 1;             // Grey slices repeated on this many channels.
  std::vector<float> input;         // indices.size() x channels x side x side.
  int64_t target_numel = 0;         // Floats per sample in `target`.
  std::vector<float> target;        // indices.size() x target_numel.
};

class BatchLoader {
 public:
  using SampleFn = std::function<absl::Status(int64_t index, Slice& input, Slice& target)>;

  BatchLoader(std::vector<std::vector<int64_t>> batches, int64_t first_batch, int threads,
              int prefetch, int64_t side, int64_t channels, SampleFn make_sample);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  // The next batch in order, nullopt after the last, or the error met building it.
  absl::StatusOr<std::optional<Batch>> Next();

 private:
  struct Slot {
    bool ready = false;
    absl::Status status;
    Batch batch;
  };
  void Worker();
  absl::Status Build(int64_t b, Batch* batch);

  std::vector<std::vector<int64_t>> batches_;
  int64_t side_;
  int64_t channels_;
  SampleFn make_sample_;
  int64_t prefetch_;

  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable ready_cv_;
  int64_t next_claim_;
  int64_t next_deliver_;
  bool stop_ = false;
  std::vector<Slot> slots_;
  std::vector<std::thread> threads_;
};

}  // namespace genesis

#endif  // GENESIS_CORE_TRAIN_BATCH_LOADER_H_
