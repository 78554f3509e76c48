// OrderedLoader: the one streaming loader of Genesis. Worker threads produce the items of
// positions start..end-1 (a position is whatever the caller streams: a training batch, a stored
// slice), and Next() hands them out strictly in position order, with bounded prefetch.
// Pretraining and fine-tuning stream their batches through it (core/train/batch.h, LoadBatches);
// the corpus bench streams a slice store through it (core/corpus/bench_corpus.cc).
//
//   LoaderOptions options;
//   options.num_threads = 2; options.prefetch = 8;
//   options.start_position = resumed_position;          // 0 for a fresh epoch
//   const std::vector<int64_t> order = Permutation(reader.size(split), /*shuffle=*/true, seed,
//                                                  epoch);
//   OrderedLoader<Slice> loader(order.size(), options,
//       [&](int64_t position) {                          // runs in a worker thread
//         return reader.Read(split, order[position]);
//       });
//   while (true) {
//     GENESIS_ASSIGN_OR_RETURN(std::optional<Slice> slice, loader.Next());
//     if (!slice) break;                                 // end of the epoch
//     ...
//   }
//
// Design: the loader knows positions, not what is loaded: `load(position)` does all the work
// of one item (read, corrupt, assemble a batch) in a worker and returns it or an error. The
// order of an epoch is decided by the caller, normally Permutation() below, the one epoch order
// of the project (training cuts its batches from it). Because an item is a function of its
// position only, what Next() returns never depends on the thread count or on timing, and a run
// resumed at start_position sees exactly the items an uninterrupted one saw. Batching is a layer
// on top (core/train/batch.h), not a second loader.
//
// Memory: workers only start position p when p < next-to-deliver + prefetch, so at most
// `prefetch` items are in flight or waiting at any time (max_in_flight() reports the peak).
//
// Errors: an error returned by `load` is returned by Next() at the position where it occurred,
// after every earlier item; the loader then stops (later Next() calls fail too).
#ifndef GENESIS_CORE_ORDERED_LOADER_H_
#define GENESIS_CORE_ORDERED_LOADER_H_

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace genesis {

struct LoaderOptions {
  int num_threads = 2;         // Worker threads (values below 1 mean 1).
  int prefetch = 8;            // Max items in flight or buffered (values below 1 mean 1).
  int64_t start_position = 0;  // First position delivered (clamped to [0, size]).
  int64_t limit = -1;          // Deliver at most this many items (-1 = to the end).
};

// The epoch order: indexes 0..size-1 in the identity order without shuffling, else a
// Fisher-Yates shuffle drawn from RandomStream(seed, kShuffle, epoch). Checkpoints of
// pretraining and fine-tuning depend on it; core/ordered_loader_test.cc pins its values.
std::vector<int64_t> Permutation(int64_t size, bool shuffle, uint64_t seed, uint64_t epoch);

template <typename Item>
class OrderedLoader {
 public:
  // Produces the item of `position`; runs in worker threads, concurrently. A non-OK status
  // stops the loader and is returned by Next() at that position.
  using LoadFn = std::function<absl::StatusOr<Item>(int64_t position)>;

  // Streams positions [start_position, min(size, start_position + limit)). Workers start
  // immediately; `load` and what it refers to must outlive the loader.
  OrderedLoader(int64_t size, const LoaderOptions& options, LoadFn load);
  // Stops and joins the workers (items not yet delivered are dropped).
  ~OrderedLoader();
  OrderedLoader(const OrderedLoader&) = delete;
  OrderedLoader& operator=(const OrderedLoader&) = delete;

  // The next item in position order, nullopt at the end, or the error met at that position.
  absl::StatusOr<std::optional<Item>> Next();

  int64_t start_position() const { return start_; }
  int64_t end_position() const { return end_; }
  // Largest number of items simultaneously in flight or buffered so far (<= prefetch).
  int64_t max_in_flight() const {
    std::lock_guard<std::mutex> lock(mu_);
    return max_in_flight_;
  }

 private:
  struct Slot {
    bool ready = false;
    absl::StatusOr<Item> item = absl::UnknownError("unset");
  };
  void Worker();

  LoadFn load_;
  int64_t prefetch_;
  int64_t start_ = 0;
  int64_t end_ = 0;

  mutable std::mutex mu_;
  std::condition_variable work_cv_;   // Workers wait for window space.
  std::condition_variable ready_cv_;  // The consumer waits for its next slot.
  int64_t next_claim_ = 0;
  int64_t next_deliver_ = 0;
  int64_t max_in_flight_ = 0;
  bool stop_ = false;
  bool failed_ = false;
  std::vector<Slot> slots_;  // Ring of `prefetch` slots indexed by position % prefetch.
  std::vector<std::thread> threads_;
};

// Implementation.

template <typename Item>
OrderedLoader<Item>::OrderedLoader(int64_t size, const LoaderOptions& options, LoadFn load)
    : load_(std::move(load)), prefetch_(std::max(1, options.prefetch)) {
  size = std::max<int64_t>(size, 0);
  start_ = std::clamp<int64_t>(options.start_position, 0, size);
  end_ = options.limit < 0 ? size : std::min(size, start_ + options.limit);
  next_claim_ = start_;
  next_deliver_ = start_;
  slots_.resize(prefetch_);
  for (int i = 0; i < std::max(1, options.num_threads); ++i) {
    threads_.emplace_back([this] { Worker(); });
  }
}

template <typename Item>
OrderedLoader<Item>::~OrderedLoader() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  ready_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

template <typename Item>
void OrderedLoader<Item>::Worker() {
  while (true) {
    int64_t position;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [this] {
        return stop_ || failed_ || next_claim_ >= end_ || next_claim_ < next_deliver_ + prefetch_;
      });
      if (stop_ || failed_ || next_claim_ >= end_) return;
      position = next_claim_++;
      max_in_flight_ = std::max(max_in_flight_, next_claim_ - next_deliver_);
    }
    absl::StatusOr<Item> item = load_(position);
    {
      std::lock_guard<std::mutex> lock(mu_);
      Slot& slot = slots_[position % prefetch_];
      slot.item = std::move(item);
      slot.ready = true;
    }
    ready_cv_.notify_all();
  }
}

template <typename Item>
absl::StatusOr<std::optional<Item>> OrderedLoader<Item>::Next() {
  std::unique_lock<std::mutex> lock(mu_);
  if (next_deliver_ >= end_) return std::optional<Item>();
  if (failed_) return absl::FailedPreconditionError("loader stopped after an error");
  Slot& slot = slots_[next_deliver_ % prefetch_];
  ready_cv_.wait(lock, [&] { return slot.ready || stop_; });
  if (!slot.ready) return absl::CancelledError("loader stopped");
  slot.ready = false;
  if (!slot.item.ok()) {
    failed_ = true;
    work_cv_.notify_all();
    return slot.item.status();
  }
  std::optional<Item> item(std::move(slot.item).value());
  slot.item = absl::UnknownError("unset");  // Release the moved-from item's state.
  ++next_deliver_;
  lock.unlock();
  work_cv_.notify_all();
  return item;
}

}  // namespace genesis

#endif  // GENESIS_CORE_ORDERED_LOADER_H_
