// SliceDataset over one split of a slice store (core/slice_store.h).
//
//   GENESIS_ASSIGN_OR_RETURN(auto reader, SliceStoreReader::Open(dir));
//   StoreSliceDataset train(reader.get(), Split::kTrain);
#ifndef GENESIS_CORE_TRAIN_STORE_DATASET_H_
#define GENESIS_CORE_TRAIN_STORE_DATASET_H_

#include <cstdint>

#include "core/slice_store.h"
#include "core/train/slice_dataset.h"

namespace genesis {

class StoreSliceDataset : public SliceDataset {
 public:
  // `reader` must outlive this dataset.
  StoreSliceDataset(const SliceStoreReader* reader, Split split)
      : reader_(reader), split_(split) {}
  int64_t size() const override { return reader_->size(split_); }
  absl::StatusOr<Slice> Get(int64_t index) const override {
    absl::StatusOr<Slice> slice = reader_->Read(split_, index);
    if (!slice.ok()) return slice.status();
    Slice image;
    image.width = slice->width;
    image.height = slice->height;
    image.pixels = std::move(slice->pixels);
    return image;
  }

 private:
  const SliceStoreReader* reader_;
  Split split_;
};

}  // namespace genesis

#endif  // GENESIS_CORE_TRAIN_STORE_DATASET_H_
