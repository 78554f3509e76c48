#include "core/slice_loader.h"

#include <algorithm>
#include <numeric>

#include "core/random.h"

namespace genesis {

std::vector<int64_t> SliceLoader::Permutation(int64_t size, bool shuffle, uint64_t seed,
                                              uint64_t epoch) {
  std::vector<int64_t> order(static_cast<size_t>(std::max<int64_t>(size, 0)));
  std::iota(order.begin(), order.end(), 0);
  if (shuffle && size > 1) {
    RandomStream rng(seed, RandomStream::kShuffle, epoch);
    for (int64_t i = size - 1; i > 0; --i) {
      std::swap(order[i], order[rng.UniformInt(0, i)]);
    }
  }
  return order;
}

SliceLoader::SliceLoader(const SliceStoreReader* reader, Split split,
                         const SliceLoaderOptions& options, Transform transform)
    : reader_(reader), split_(split), options_(options), transform_(std::move(transform)) {
  options_.num_threads = std::max(1, options_.num_threads);
  options_.prefetch = std::max(1, options_.prefetch);
  order_ = Permutation(reader_->size(split_), options_.shuffle, options_.seed, options_.epoch);
  const int64_t size = static_cast<int64_t>(order_.size());
  const int64_t start = std::clamp<int64_t>(options_.start_position, 0, size);
  end_ = options_.limit < 0 ? size : std::min(size, start + options_.limit);
  next_claim_ = start;
  next_deliver_ = start;
  slots_.resize(options_.prefetch);
  for (int i = 0; i < options_.num_threads; ++i) threads_.emplace_back([this] { Worker(); });
}

SliceLoader::~SliceLoader() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  ready_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

int64_t SliceLoader::max_in_flight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return max_in_flight_;
}

void SliceLoader::Worker() {
  while (true) {
    int64_t position;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [this] {
        return stop_ || failed_ || next_claim_ >= end_ ||
               next_claim_ < next_deliver_ + options_.prefetch;
      });
      if (stop_ || failed_ || next_claim_ >= end_) return;
      position = next_claim_++;
      max_in_flight_ = std::max(max_in_flight_, next_claim_ - next_deliver_);
    }
    const int64_t index = order_[position];
    SlotItem result;
    result.item.position = position;
    result.item.dataset_index = index;
    auto slice = reader_->Read(split_, index);
    if (!slice.ok()) {
      result.status = slice.status();
    } else {
      result.item.slice = std::move(slice).value();
      if (transform_) result.status = transform_(index, position, result.item.slice);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      SlotItem& slot = slots_[position % options_.prefetch];
      slot = std::move(result);
      slot.ready = true;
    }
    ready_cv_.notify_all();
  }
}

absl::StatusOr<std::optional<LoadedSlice>> SliceLoader::Next() {
  std::unique_lock<std::mutex> lock(mu_);
  if (next_deliver_ >= end_) return std::optional<LoadedSlice>();
  if (failed_) return absl::FailedPreconditionError("slice loader stopped after an error");
  SlotItem& slot = slots_[next_deliver_ % options_.prefetch];
  ready_cv_.wait(lock, [&] { return slot.ready || stop_; });
  if (!slot.ready) return absl::CancelledError("slice loader stopped");
  slot.ready = false;
  if (!slot.status.ok()) {
    failed_ = true;
    work_cv_.notify_all();
    return slot.status;
  }
  std::optional<LoadedSlice> item(std::move(slot.item));
  ++next_deliver_;
  lock.unlock();
  work_cv_.notify_all();
  return item;
}

}  // namespace genesis
