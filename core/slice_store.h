// The slice store: sampled, normalised 2D slices written once into sharded files with an index,
// then read back by index from any thread (pretraining through store_dataset.h; the corpus bench
// streams it through OrderedLoader, core/ordered_loader.h).
//
//   GENESIS_ASSIGN_OR_RETURN(auto writer, SliceStoreWriter::Create(dir, options));
//   for (...) GENESIS_RETURN_IF_ERROR(writer->Add(slice, Split::kTrain));
//   GENESIS_RETURN_IF_ERROR(writer->Finish());            // the store exists only after this
//
//   GENESIS_ASSIGN_OR_RETURN(auto reader, SliceStoreReader::Open(dir));
//   GENESIS_ASSIGN_OR_RETURN(Slice s, reader->Read(Split::kVal, 17));
//
// On disk (`dir`):
//   <split>-NNNNN.bin  shards: each slice's pixels, row-major, little-endian, back to back;
//                      uint16 (value = round(x * 65535), x clamped to [0,1]) or float32.
//                      One split per shard, at most slices_per_shard slices each.
//   index.csv          one row per slice: split, position, dataset, patient_id, modality,
//                      slice_index, width, height, bits_stored, spacing_x, spacing_y, shard,
//                      offset (bytes), checksum (CRC-32 of the slice's stored bytes, zlib's
//                      polynomial). Written to index.csv.partial while adding and renamed at
//                      Finish(), so a store without index.csv is incomplete.
//   store_info.txt     "format genesis_slice_store 1", pixel type and the slice count per split.
//
// Memory: the writer streams pixels and index rows to disk (its footprint is one shard buffer
// per split, independent of the corpus size); the reader keeps only the index (~100 bytes a
// slice) in memory and reads pixels with pread(), so it is safe from many threads at once.
#ifndef GENESIS_CORE_SLICE_STORE_H_
#define GENESIS_CORE_SLICE_STORE_H_

#include <array>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/proto/stages.pb.h"
#include "core/volume.h"

namespace genesis {

enum class Split { kTrain = 0, kVal = 1, kTest = 2 };
inline constexpr int kNumSplits = 3;

// "train", "val", "test".
absl::string_view SplitName(Split split);
// Inverse of SplitName.
absl::StatusOr<Split> ParseSplit(absl::string_view name);

// CRC-32 (zlib polynomial) of `size` bytes.
uint32_t Crc32(const void* data, size_t size);

enum class StorePixelType { kUint16 = 0, kFloat32 = 1 };

// Everything the index knows about one stored slice (no pixels).
struct StoredSliceInfo {
  std::string dataset;
  std::string patient_id;
  Modality modality = Modality::kUnknown;
  int64_t slice_index = 0;
  int64_t width = 0;
  int64_t height = 0;
  int bits_stored = 0;
  std::array<double, 2> spacing = {1.0, 1.0};
  int32_t shard = 0;   // Index into the split's shard list.
  int64_t offset = 0;  // Byte offset inside the shard.
  uint32_t checksum = 0;
};

class SliceStoreWriter {
 public:
  // Creates `dir` (and parents). Fails if `dir` already holds a store (index.csv) or the
  // options are invalid.
  static absl::StatusOr<std::unique_ptr<SliceStoreWriter>> Create(const std::string& dir,
                                                                  const SliceStoreOptions& options);
  static absl::Status Validate(const SliceStoreOptions& options);
  ~SliceStoreWriter();

  // Appends `slice` to `split`. Pixels must be finite; for uint16 stores they must lie in
  // [0, 1] (values within 1e-3 outside are clamped, further out is InvalidArgument).
  absl::Status Add(const Slice& slice, Split split);
  // Flushes and closes shards, writes store_info.txt and publishes index.csv.
  absl::Status Finish();

  int64_t size(Split split) const { return counts_[static_cast<int>(split)]; }

 private:
  SliceStoreWriter() = default;
  absl::Status OpenShard(int split);
  absl::Status CloseShard(int split);

  std::string dir_;
  SliceStoreOptions options_;
  StorePixelType pixel_type_ = StorePixelType::kUint16;
  std::FILE* index_ = nullptr;
  std::array<std::FILE*, kNumSplits> shard_files_ = {nullptr, nullptr, nullptr};
  std::array<int32_t, kNumSplits> shard_numbers_ = {-1, -1, -1};
  std::array<int64_t, kNumSplits> shard_fill_ = {0, 0, 0};    // Slices in the open shard.
  std::array<int64_t, kNumSplits> shard_offset_ = {0, 0, 0};  // Bytes in the open shard.
  std::array<int64_t, kNumSplits> counts_ = {0, 0, 0};
  std::vector<unsigned char> buffer_;
  bool finished_ = false;
};

class SliceStoreReader {
 public:
  // Opens a finished store; checks that every indexed slice lies inside its shard file.
  static absl::StatusOr<std::unique_ptr<SliceStoreReader>> Open(const std::string& dir);
  ~SliceStoreReader();

  int64_t size(Split split) const;
  StorePixelType pixel_type() const { return pixel_type_; }
  const std::string& dir() const { return dir_; }
  // Metadata of slice `index` of `split` (0 <= index < size(split)), without reading pixels.
  const StoredSliceInfo& info(Split split, int64_t index) const;
  // Path of shard `shard` of `split`.
  std::string ShardPath(Split split, int32_t shard) const;

  // Reads one slice (pixels as float in [0,1] for uint16 stores). Thread-safe. Verifies the
  // CRC-32: a mismatch is DataLoss naming the shard file, split and index.
  absl::StatusOr<Slice> Read(Split split, int64_t index) const;

 private:
  SliceStoreReader() = default;

  std::string dir_;
  StorePixelType pixel_type_ = StorePixelType::kUint16;
  std::array<std::vector<StoredSliceInfo>, kNumSplits> entries_;
  std::array<std::vector<int>, kNumSplits> shard_fds_;
};

}  // namespace genesis

#endif  // GENESIS_CORE_SLICE_STORE_H_
