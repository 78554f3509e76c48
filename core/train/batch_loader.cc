#include "core/train/batch_loader.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace genesis {

BatchLoader::BatchLoader(std::vector<std::vector<int64_t>> batches, int64_t first_batch,
                         int threads, int prefetch, int64_t side, int64_t channels,
                         SampleFn make_sample)
    : batches_(std::move(batches)),
      side_(side),
      channels_(channels),
      make_sample_(std::move(make_sample)),
      prefetch_(std::max(1, prefetch)),
      next_claim_(first_batch),
      next_deliver_(first_batch),
      slots_(std::max(1, prefetch)) {
  for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { Worker(); });
}

BatchLoader::~BatchLoader() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

absl::Status BatchLoader::Build(int64_t b, Batch* batch) {
  batch->batch_index = b;
  batch->indices = batches_[b];
  batch->side = side_;
  batch->channels = channels_;
  const int64_t plane = side_ * side_;
  const int64_t n = static_cast<int64_t>(batch->indices.size());
  batch->input.resize(n * channels_ * plane);
  Slice input, target;
  for (int64_t i = 0; i < n; ++i) {
    absl::Status s = make_sample_(batch->indices[i], input, target);
    if (!s.ok()) return s;
    if (input.width != side_ || input.height != side_) {
      return absl::InternalError(absl::StrCat("sample ", batch->indices[i], " is ", input.width,
                                              "x", input.height, ", expected ", side_, "x",
                                              side_));
    }
    const int64_t target_numel = target.width * target.height;
    if (i == 0) {
      batch->target_numel = target_numel;
      batch->target.resize(n * target_numel);
    } else if (target_numel != batch->target_numel) {
      return absl::InternalError(absl::StrCat("sample ", batch->indices[i], ": target of ",
                                              target_numel, " values, the batch's first had ",
                                              batch->target_numel));
    }
    for (int64_t c = 0; c < channels_; ++c) {
      std::memcpy(&batch->input[(i * channels_ + c) * plane], input.pixels.data(),
                  plane * sizeof(float));
    }
    std::memcpy(&batch->target[i * target_numel], target.pixels.data(),
                target_numel * sizeof(float));
  }
  return absl::OkStatus();
}

void BatchLoader::Worker() {
  const int64_t end = static_cast<int64_t>(batches_.size());
  while (true) {
    int64_t b;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] {
        return stop_ || next_claim_ >= end || next_claim_ < next_deliver_ + prefetch_;
      });
      if (stop_ || next_claim_ >= end) return;
      b = next_claim_++;
    }
    Batch batch;
    absl::Status status = Build(b, &batch);
    {
      std::lock_guard<std::mutex> lock(mu_);
      Slot& slot = slots_[b % prefetch_];
      slot.batch = std::move(batch);
      slot.status = status;
      slot.ready = true;
    }
    ready_cv_.notify_all();
  }
}

absl::StatusOr<std::optional<Batch>> BatchLoader::Next() {
  const int64_t end = static_cast<int64_t>(batches_.size());
  std::unique_lock<std::mutex> lock(mu_);
  if (next_deliver_ >= end) return std::optional<Batch>();
  Slot& slot = slots_[next_deliver_ % prefetch_];
  ready_cv_.wait(lock, [&] { return slot.ready; });
  if (!slot.status.ok()) {
    stop_ = true;
    work_cv_.notify_all();
    return slot.status;
  }
  std::optional<Batch> out(std::move(slot.batch));
  slot.ready = false;
  ++next_deliver_;
  lock.unlock();
  work_cv_.notify_all();
  return out;
}

}  // namespace genesis
