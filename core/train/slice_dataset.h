// SliceDataset: what the pretraining trainer reads -- a random-access list of single-channel
// slices in [0, 1]. Implementations: InMemorySliceDataset (tests, benches) and the slice-store
// adapter (core/train/store_dataset.h).
//
//   InMemorySliceDataset train(std::move(images));
//   GENESIS_ASSIGN_OR_RETURN(Slice slice, train.Get(17));   // thread-safe
#ifndef GENESIS_CORE_TRAIN_SLICE_DATASET_H_
#define GENESIS_CORE_TRAIN_SLICE_DATASET_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/pretext_task.h"

namespace genesis {

class SliceDataset {
 public:
  virtual ~SliceDataset() = default;
  virtual int64_t size() const = 0;
  // Slice `index` (0 <= index < size()). Must be safe to call from several threads at once.
  virtual absl::StatusOr<Slice> Get(int64_t index) const = 0;
};

class InMemorySliceDataset : public SliceDataset {
 public:
  explicit InMemorySliceDataset(std::vector<Slice> images) : images_(std::move(images)) {}
  int64_t size() const override { return static_cast<int64_t>(images_.size()); }
  absl::StatusOr<Slice> Get(int64_t index) const override {
    if (index < 0 || index >= size()) {
      return absl::OutOfRangeError(
          absl::StrCat("slice ", index, " out of range [0, ", size(), ")"));
    }
    return images_[index];
  }

 private:
  std::vector<Slice> images_;
};

}  // namespace genesis

#endif  // GENESIS_CORE_TRAIN_SLICE_DATASET_H_
