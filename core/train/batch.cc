#include "core/train/batch.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace genesis {

std::vector<std::vector<int64_t>> Batches(const std::vector<int64_t>& order, int64_t batch_size,
                                          int64_t max_batches) {
  std::vector<std::vector<int64_t>> batches;
  for (size_t i = 0; i < order.size(); i += batch_size) {
    if (max_batches > 0 && static_cast<int64_t>(batches.size()) >= max_batches) break;
    batches.emplace_back(
        order.begin() + i,
        order.begin() + std::min(order.size(), i + static_cast<size_t>(batch_size)));
  }
  return batches;
}

absl::StatusOr<Batch> BuildBatch(int64_t batch_index, std::vector<int64_t> indices, int64_t side,
                                 int64_t channels, const SampleFn& make_sample) {
  Batch batch;
  batch.batch_index = batch_index;
  batch.indices = std::move(indices);
  batch.side = side;
  batch.channels = channels;
  const int64_t plane = side * side;
  const int64_t n = static_cast<int64_t>(batch.indices.size());
  batch.input.resize(n * channels * plane);
  Slice input, target;
  for (int64_t i = 0; i < n; ++i) {
    absl::Status s = make_sample(batch.indices[i], input, target);
    if (!s.ok()) return s;
    if (input.width != side || input.height != side) {
      return absl::InternalError(absl::StrCat("sample ", batch.indices[i], " is ", input.width, "x",
                                              input.height, ", expected ", side, "x", side));
    }
    const int64_t target_numel = target.width * target.height;
    if (i == 0) {
      batch.target_numel = target_numel;
      batch.target.resize(n * target_numel);
    } else if (target_numel != batch.target_numel) {
      return absl::InternalError(absl::StrCat("sample ", batch.indices[i], ": target of ",
                                              target_numel, " values, the batch's first had ",
                                              batch.target_numel));
    }
    for (int64_t c = 0; c < channels; ++c) {
      std::memcpy(&batch.input[(i * channels + c) * plane], input.pixels.data(),
                  plane * sizeof(float));
    }
    std::memcpy(&batch.target[i * target_numel], target.pixels.data(),
                target_numel * sizeof(float));
  }
  return batch;
}

std::unique_ptr<OrderedLoader<Batch>> LoadBatches(std::vector<std::vector<int64_t>> batches,
                                                  int64_t first_batch, int threads, int prefetch,
                                                  int64_t side, int64_t channels,
                                                  SampleFn make_sample) {
  LoaderOptions options;
  options.num_threads = threads;
  options.prefetch = prefetch;
  options.start_position = first_batch;
  const int64_t size = static_cast<int64_t>(batches.size());
  return std::make_unique<OrderedLoader<Batch>>(
      size, options,
      [batches = std::move(batches), side, channels, make_sample = std::move(make_sample)](
          int64_t b) { return BuildBatch(b, batches[b], side, channels, make_sample); });
}

}  // namespace genesis
