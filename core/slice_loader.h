// SliceLoader: streams one split of a slice store through worker threads, in a deterministic
// order, with bounded prefetch.
//
//   SliceLoaderOptions options;
//   options.num_threads = 2; options.prefetch = 16;
//   options.shuffle = true; options.seed = run_seed; options.epoch = epoch;
//   options.start_position = resumed_position;          // 0 for a fresh epoch
//   SliceLoader loader(reader, Split::kTrain, options,
//       [&](int64_t dataset_index, int64_t position, Slice& s) {   // runs in a worker thread
//         RandomStream rng(seed, RandomStream::kPretext, epoch, position);
//         return Corrupt(s, rng);
//       });
//   while (true) {
//     GENESIS_ASSIGN_OR_RETURN(std::optional<LoadedSlice> item, loader.Next());
//     if (!item) break;                                   // end of the epoch
//     ... item->slice, item->position, item->dataset_index ...
//   }
//
// Order: position p (0 <= p < size) holds store index permutation[p], where the permutation is
// the identity without shuffling, else a Fisher-Yates shuffle drawn from
// RandomStream(seed, kShuffle, epoch). Items come out of Next() in position order whatever the
// thread count or timing, so training is reproducible; start_position skips the first positions
// of the same permutation (resume mid-epoch).
//
// Memory: workers only start position p when p < next-to-deliver + prefetch, so at most
// `prefetch` slices are in flight or waiting at any time.
//
// Errors (a corrupt shard, a failing transform) are returned by Next() at the position where
// they occurred; the loader stops there.
#ifndef GENESIS_CORE_SLICE_LOADER_H_
#define GENESIS_CORE_SLICE_LOADER_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/slice_store.h"
#include "core/volume.h"

namespace genesis {

struct SliceLoaderOptions {
  int num_threads = 2;  // Worker threads (>= 1).
  int prefetch = 8;     // Max slices in flight or buffered (>= 1).
  bool shuffle = true;  // Permute per (seed, epoch); false = store order.
  uint64_t seed = 0;
  uint64_t epoch = 0;
  int64_t start_position = 0;  // First position delivered (0 <= start_position <= size).
  int64_t limit = -1;          // Deliver at most this many items (-1 = to the end).
};

struct LoadedSlice {
  int64_t position = 0;       // Position in this epoch's order.
  int64_t dataset_index = 0;  // Index of the slice in the store's split.
  Slice slice;
};

class SliceLoader {
 public:
  // Per-item work run in worker threads after reading (e.g. pretext corruption). A non-OK
  // status stops the loader and is returned by Next() at that position.
  using Transform =
      std::function<absl::Status(int64_t dataset_index, int64_t position, Slice& slice)>;

  // `reader` must outlive the loader. Workers start immediately.
  SliceLoader(const SliceStoreReader* reader, Split split, const SliceLoaderOptions& options,
              Transform transform = nullptr);
  // Stops and joins the workers (items not yet delivered are dropped).
  ~SliceLoader();
  SliceLoader(const SliceLoader&) = delete;
  SliceLoader& operator=(const SliceLoader&) = delete;

  // The next item in position order, nullopt at the end, or the error met at that position.
  absl::StatusOr<std::optional<LoadedSlice>> Next();

  // Store indexes in position order for (size, seed, epoch, shuffle) -- the loader's order.
  static std::vector<int64_t> Permutation(int64_t size, bool shuffle, uint64_t seed,
                                          uint64_t epoch);

  int64_t end_position() const { return end_; }
  // Largest number of items simultaneously in flight or buffered (<= prefetch).
  int64_t max_in_flight() const;

 private:
  struct SlotItem {
    bool ready = false;
    absl::Status status;
    LoadedSlice item;
  };
  void Worker();

  const SliceStoreReader* reader_;
  Split split_;
  SliceLoaderOptions options_;
  Transform transform_;
  std::vector<int64_t> order_;
  int64_t end_ = 0;

  mutable std::mutex mu_;
  std::condition_variable work_cv_;   // Workers wait for window space.
  std::condition_variable ready_cv_;  // Consumer waits for its next slot.
  int64_t next_claim_ = 0;
  int64_t next_deliver_ = 0;
  int64_t max_in_flight_ = 0;
  bool stop_ = false;
  bool failed_ = false;
  std::vector<SlotItem> slots_;  // Ring of `prefetch` slots indexed by position % prefetch.
  std::vector<std::thread> threads_;
};

}  // namespace genesis

#endif  // GENESIS_CORE_SLICE_LOADER_H_
