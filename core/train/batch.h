// Training batches over the one loader (core/ordered_loader.h): pretraining and fine-tuning cut
// the epoch order into batches (Batches) and stream them with LoadBatches, whose workers build
// each batch (load + corrupt or augment each sample) and hand them out strictly in batch order,
// with bounded prefetch -- so training is reproducible whatever the thread count or timing, and
// a run resumed at batch k sees the batches an uninterrupted one saw.
//
//   auto loader = LoadBatches(Batches(Permutation(n, true, seed, epoch), batch_size),
//                             /*first_batch=*/resumed_step, /*threads=*/2, /*prefetch=*/4,
//                             image_size, channels, make_sample);
//   while (true) {
//     GENESIS_ASSIGN_OR_RETURN(std::optional<Batch> batch, loader->Next());
//     if (!batch) break;
//     ... batch->input / batch->target: size x channels x image_size x image_size floats
//   }
//
// `make_sample(index, input, target)` runs in a worker: it fills `input` (image_size x
// image_size, repeated on `channels` channels in the batch) and `target` (any size, the same for
// every sample of a batch; one channel): for pretraining the slice and its corrupted copy, for
// classification the image and a 1x1 label.
#ifndef GENESIS_CORE_TRAIN_BATCH_H_
#define GENESIS_CORE_TRAIN_BATCH_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/ordered_loader.h"
#include "core/pretext_task.h"

namespace genesis {

struct Batch {
  int64_t batch_index = 0;       // Position in the epoch's batch list.
  std::vector<int64_t> indices;  // Dataset index of each sample.
  int64_t side = 0;              // Height = width.
  int64_t channels = 1;          // Grey slices repeated on this many channels.
  std::vector<float> input;      // indices.size() x channels x side x side.
  int64_t target_numel = 0;      // Floats per sample in `target`.
  std::vector<float> target;     // indices.size() x target_numel.
};

// Fills the sample of dataset index `index`; called from loader threads, concurrently.
using SampleFn = std::function<absl::Status(int64_t index, Slice& input, Slice& target)>;

// `order` cut into batches of `batch_size` (the last may be smaller); at most `max_batches`
// batches when > 0.
std::vector<std::vector<int64_t>> Batches(const std::vector<int64_t>& order, int64_t batch_size,
                                          int64_t max_batches = 0);

// Batch `batch_index` of the samples `indices`, made in order by `make_sample`; an error names
// the sample whose input is not side x side or whose target size differs from the first's.
absl::StatusOr<Batch> BuildBatch(int64_t batch_index, std::vector<int64_t> indices, int64_t side,
                                 int64_t channels, const SampleFn& make_sample);

// Streams batches[first_batch..] built by BuildBatch in `threads` workers, at most `prefetch`
// batches ahead of the consumer.
std::unique_ptr<OrderedLoader<Batch>> LoadBatches(std::vector<std::vector<int64_t>> batches,
                                                  int64_t first_batch, int threads, int prefetch,
                                                  int64_t side, int64_t channels,
                                                  SampleFn make_sample);

}  // namespace genesis

#endif  // GENESIS_CORE_TRAIN_BATCH_H_
