// The one loader: epoch order, order whatever the threads, resume, limit, bounded prefetch,
// errors at their position -- over a real slice store as the corpus bench streams it, and over
// plain positions. The batching layer on top is tested in core/train/batch_test.cc.
#include "core/ordered_loader.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <numeric>
#include <string>
#include <thread>

#include "core/slice_store.h"
#include "gtest/gtest.h"

namespace genesis {
namespace {

std::vector<int64_t> Identity(int64_t n) {
  std::vector<int64_t> v(n);
  std::iota(v.begin(), v.end(), 0);
  return v;
}

// A store of `n` 4x3 train slices; slice k has every pixel = k / 1000 (float32, exact).
std::unique_ptr<SliceStoreReader> MakeStore(const std::string& name, int n) {
  const std::string dir = std::string(getenv("TEST_TMPDIR")) + "/" + name;
  std::filesystem::remove_all(dir);
  SliceStoreOptions options;
  options.set_pixel_type("float32");
  options.set_slices_per_shard(7);
  auto writer = SliceStoreWriter::Create(dir, options);
  EXPECT_TRUE(writer.ok());
  for (int k = 0; k < n; ++k) {
    Slice s;
    s.width = 4;
    s.height = 3;
    s.pixels.assign(12, k / 1000.0f);
    s.dataset = "d";
    s.patient_id = std::to_string(k);
    s.slice_index = k;
    EXPECT_TRUE((*writer)->Add(s, Split::kTrain).ok());
  }
  EXPECT_TRUE((*writer)->Finish().ok());
  auto reader = SliceStoreReader::Open(dir);
  EXPECT_TRUE(reader.ok()) << reader.status();
  return std::move(reader).value();
}

struct LoadedSlice {
  int64_t position = 0;
  int64_t dataset_index = 0;
  Slice slice;
};
using Transform = std::function<absl::Status(int64_t index, int64_t position, Slice& slice)>;

// The train split in `order` (position p holds slice order[p]), as the corpus bench reads it,
// with an optional per-item transform run in the workers.
std::unique_ptr<OrderedLoader<LoadedSlice>> StoreLoader(const SliceStoreReader& reader,
                                                        std::vector<int64_t> order,
                                                        const LoaderOptions& options,
                                                        Transform transform = nullptr) {
  const int64_t size = static_cast<int64_t>(order.size());
  return std::make_unique<OrderedLoader<LoadedSlice>>(
      size, options,
      [&reader, order = std::move(order),
       transform = std::move(transform)](int64_t position) -> absl::StatusOr<LoadedSlice> {
        LoadedSlice item;
        item.position = position;
        item.dataset_index = order[position];
        auto slice = reader.Read(Split::kTrain, item.dataset_index);
        if (!slice.ok()) return slice.status();
        item.slice = std::move(slice).value();
        if (transform) {
          absl::Status s = transform(item.dataset_index, position, item.slice);
          if (!s.ok()) return s;
        }
        return item;
      });
}

struct DrainResult {
  std::vector<int64_t> indexes;
  std::vector<int64_t> positions;
  int64_t max_in_flight = 0;
};

DrainResult Drain(OrderedLoader<LoadedSlice>& loader) {
  DrainResult run;
  while (true) {
    auto item = loader.Next();
    EXPECT_TRUE(item.ok()) << item.status();
    if (!item.ok() || !item->has_value()) break;
    const LoadedSlice& s = **item;
    // The slice delivered is the one the index says.
    EXPECT_EQ(s.slice.slice_index, s.dataset_index);
    EXPECT_FLOAT_EQ(s.slice.pixels[5], s.dataset_index / 1000.0f);
    run.indexes.push_back(s.dataset_index);
    run.positions.push_back(s.position);
  }
  run.max_in_flight = loader.max_in_flight();
  return run;
}

DrainResult Drain(const SliceStoreReader& reader, std::vector<int64_t> order,
                  const LoaderOptions& options, Transform transform = nullptr) {
  auto loader = StoreLoader(reader, std::move(order), options, std::move(transform));
  return Drain(*loader);
}

TEST(PermutationTest, UnshuffledIsTheIdentity) {
  EXPECT_EQ(Permutation(20, false, 7, 2), Identity(20));
  EXPECT_TRUE(Permutation(0, true, 7, 2).empty());
  EXPECT_EQ(Permutation(1, true, 7, 2), Identity(1));
}

TEST(PermutationTest, ShuffleIsAPermutationDeterministicPerSeedAndEpoch) {
  const std::vector<int64_t> a = Permutation(50, true, 7, 2);
  EXPECT_EQ(Permutation(50, true, 7, 2), a);
  std::vector<int64_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, Identity(50));
  EXPECT_NE(a, Identity(50));
  EXPECT_NE(Permutation(50, true, 7, 3), a);
  EXPECT_NE(Permutation(50, true, 8, 2), a);
}

// Pretraining's and fine-tuning's checkpoints depend on this order: these are the values the
// project has always drawn (Fisher-Yates from the end, UniformInt(0, i) of
// RandomStream(seed, kShuffle, epoch)). A change here breaks resuming every earlier run.
TEST(PermutationTest, ValuesArePinned) {
  EXPECT_EQ(Permutation(12, true, 1, 0),
            (std::vector<int64_t>{0, 5, 9, 6, 2, 1, 11, 3, 4, 10, 8, 7}));
  EXPECT_EQ(Permutation(12, true, 42, 3),
            (std::vector<int64_t>{5, 11, 4, 10, 0, 8, 6, 9, 3, 1, 2, 7}));
}

TEST(OrderedLoaderTest, UnshuffledIsStoreOrder) {
  auto reader = MakeStore("plain", 20);
  const DrainResult run = Drain(*reader, Permutation(20, false, 0, 0), LoaderOptions());
  EXPECT_EQ(run.indexes, Identity(20));
  EXPECT_EQ(run.positions, Identity(20));
}

TEST(OrderedLoaderTest, ShuffledStoreComesOutInThePermutationsOrder) {
  auto reader = MakeStore("shuffle", 50);
  const DrainResult run = Drain(*reader, Permutation(50, true, 7, 2), LoaderOptions());
  EXPECT_EQ(run.indexes, Permutation(50, true, 7, 2));
  EXPECT_EQ(run.positions, Identity(50));
}

TEST(OrderedLoaderTest, OrderIsIndependentOfThreadCountAndTiming) {
  auto reader = MakeStore("threads", 60);
  std::vector<int64_t> reference;
  for (int threads : {1, 2, 3, 8}) {
    LoaderOptions options;
    options.num_threads = threads;
    options.prefetch = 5;
    // Uneven per-item delays make workers finish out of order.
    const DrainResult run =
        Drain(*reader, Permutation(60, true, 11, 0), options,
              [](int64_t index, int64_t position, Slice& s) {
                std::this_thread::sleep_for(std::chrono::microseconds((index * 37) % 5 * 300));
                s.pixels[0] = static_cast<float>(position);
                return absl::OkStatus();
              });
    if (reference.empty()) {
      reference = run.indexes;
    } else {
      EXPECT_EQ(run.indexes, reference) << threads << " threads";
    }
    EXPECT_EQ(run.positions, Identity(60));
    EXPECT_LE(run.max_in_flight, 5);
  }
  EXPECT_EQ(reference, Permutation(60, true, 11, 0));
}

TEST(OrderedLoaderTest, StartPositionResumesTheSameSequence) {
  auto reader = MakeStore("resume", 30);
  const std::vector<int64_t> order = Permutation(30, true, 3, 0);
  const DrainResult full = Drain(*reader, order, LoaderOptions());
  LoaderOptions options;
  options.start_position = 17;
  const DrainResult resumed = Drain(*reader, order, options);
  ASSERT_EQ(resumed.indexes.size(), 13u);
  EXPECT_TRUE(
      std::equal(resumed.indexes.begin(), resumed.indexes.end(), full.indexes.begin() + 17));
  EXPECT_EQ(resumed.positions.front(), 17);
  EXPECT_EQ(resumed.positions.back(), 29);
}

TEST(OrderedLoaderTest, LimitStopsAfterThatManyItems) {
  auto reader = MakeStore("limit", 30);
  const std::vector<int64_t> order = Permutation(30, true, 3, 0);
  LoaderOptions options;
  options.start_position = 5;
  options.limit = 4;
  auto loader = StoreLoader(*reader, order, options);
  EXPECT_EQ(loader->start_position(), 5);
  EXPECT_EQ(loader->end_position(), 9);
  EXPECT_EQ(Drain(*loader).indexes, std::vector<int64_t>(order.begin() + 5, order.begin() + 9));
  options.limit = 100;  // Past the end: to the end.
  EXPECT_EQ(Drain(*reader, order, options).indexes.size(), 25u);
}

TEST(OrderedLoaderTest, StartAtOrPastTheEndDeliversNothing) {
  for (int64_t start : {10, 11, 1000}) {
    LoaderOptions options;
    options.start_position = start;
    OrderedLoader<int64_t> loader(10, options, [](int64_t p) { return p; });
    auto item = loader.Next();
    ASSERT_TRUE(item.ok());
    EXPECT_FALSE(item->has_value()) << start;
  }
}

TEST(OrderedLoaderTest, MemoryIsBoundedByPrefetch) {
  auto reader = MakeStore("bounded", 40);
  LoaderOptions options;
  options.num_threads = 4;
  options.prefetch = 3;
  std::atomic<int> live{0};
  std::atomic<int> peak{0};
  auto loader = StoreLoader(*reader, Identity(40), options, [&](int64_t, int64_t, Slice&) {
    const int now = ++live;
    int p = peak.load();
    while (now > p && !peak.compare_exchange_weak(p, now)) {
    }
    return absl::OkStatus();
  });
  int delivered = 0;
  while (true) {
    // A slow consumer: workers must wait instead of reading ahead.
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    auto item = loader->Next();
    ASSERT_TRUE(item.ok());
    if (!item->has_value()) break;
    --live;  // The consumer released this item.
    ++delivered;
  }
  EXPECT_EQ(delivered, 40);
  // At most `prefetch` items inside the loader plus the one the consumer holds.
  EXPECT_LE(peak.load(), 3 + 1);
  EXPECT_EQ(loader->max_in_flight(), 3);
}

TEST(OrderedLoaderTest, LoadErrorIsReturnedAtItsPositionAndTheLoaderStaysStopped) {
  for (int threads : {1, 3}) {
    LoaderOptions options;
    options.num_threads = threads;
    OrderedLoader<int64_t> loader(20, options, [](int64_t p) -> absl::StatusOr<int64_t> {
      // A later position fails faster: the error must still wait for positions 0..5.
      if (p == 9) return absl::InternalError("boom at 9");
      if (p == 6) return absl::InternalError("boom at 6");
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      return 10 * p;
    });
    for (int64_t i = 0; i < 6; ++i) {
      auto item = loader.Next();
      ASSERT_TRUE(item.ok()) << item.status();
      EXPECT_EQ(**item, 10 * i);
    }
    auto failed = loader.Next();
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.status().message(), "boom at 6");
    EXPECT_EQ(loader.Next().status().code(), absl::StatusCode::kFailedPrecondition);
  }
}

TEST(OrderedLoaderTest, CorruptShardIsReportedAtItsPosition) {
  auto reader = MakeStore("corrupt", 20);  // Shards of 7: slice 9 is in train-00001.bin.
  const StoredSliceInfo info = reader->info(Split::kTrain, 9);
  {
    std::fstream f(reader->ShardPath(Split::kTrain, info.shard),
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(info.offset + 1);
    f.put('\x7f');
  }
  LoaderOptions options;
  options.num_threads = 3;
  auto loader = StoreLoader(*reader, Identity(20), options);
  for (int i = 0; i < 9; ++i) {
    auto item = loader->Next();
    ASSERT_TRUE(item.ok()) << item.status();
    EXPECT_EQ((*item)->dataset_index, i);
  }
  auto failed = loader->Next();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(failed.status().message().find("train-00001.bin: train slice 9"), std::string::npos)
      << failed.status();
  EXPECT_FALSE(loader->Next().ok());  // The loader stays stopped.
}

TEST(OrderedLoaderTest, EmptySplitEndsImmediately) {
  auto reader = MakeStore("empty", 3);
  OrderedLoader<Slice> loader(reader->size(Split::kVal), LoaderOptions(),
                              [&](int64_t p) { return reader->Read(Split::kVal, p); });
  auto item = loader.Next();
  ASSERT_TRUE(item.ok());
  EXPECT_FALSE(item->has_value());
}

TEST(OrderedLoaderTest, DestroyedMidStreamWithoutHanging) {
  std::atomic<int64_t> loaded{0};
  {
    LoaderOptions options;
    options.num_threads = 4;
    options.prefetch = 4;
    OrderedLoader<int64_t> loader(1000, options, [&](int64_t p) {
      ++loaded;
      return p;
    });
    auto first = loader.Next();
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(**first, 0);
  }  // Workers are blocked on a full window; the destructor must release and join them.
  EXPECT_LE(loaded.load(), 1 + 4);
}

}  // namespace
}  // namespace genesis
