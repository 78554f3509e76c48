#include "core/slice_loader.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <thread>

#include "gtest/gtest.h"

namespace genesis {
namespace {

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

struct DrainResult {
  std::vector<int64_t> indexes;
  std::vector<int64_t> positions;
  int64_t max_in_flight = 0;
};

DrainResult Drain(const SliceStoreReader& reader, const SliceLoaderOptions& options,
                  SliceLoader::Transform transform = nullptr) {
  SliceLoader loader(&reader, Split::kTrain, options, std::move(transform));
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

TEST(SliceLoaderTest, UnshuffledIsStoreOrder) {
  auto reader = MakeStore("plain", 20);
  SliceLoaderOptions options;
  options.shuffle = false;
  const DrainResult run = Drain(*reader, options);
  std::vector<int64_t> expected(20);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(run.indexes, expected);
  EXPECT_EQ(run.positions, expected);
}

TEST(SliceLoaderTest, ShuffleIsAPermutationDeterministicPerSeedAndEpoch) {
  auto reader = MakeStore("shuffle", 50);
  SliceLoaderOptions options;
  options.seed = 7;
  options.epoch = 2;
  const DrainResult a = Drain(*reader, options);
  EXPECT_EQ(a.indexes, SliceLoader::Permutation(50, true, 7, 2));
  std::vector<int64_t> sorted = a.indexes;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> identity(50);
  std::iota(identity.begin(), identity.end(), 0);
  EXPECT_EQ(sorted, identity);
  EXPECT_NE(a.indexes, identity);
  options.epoch = 3;
  EXPECT_NE(Drain(*reader, options).indexes, a.indexes);
  options.epoch = 2;
  options.seed = 8;
  EXPECT_NE(Drain(*reader, options).indexes, a.indexes);
}

TEST(SliceLoaderTest, OrderIsIndependentOfThreadCountAndTiming) {
  auto reader = MakeStore("threads", 60);
  std::vector<int64_t> reference;
  for (int threads : {1, 2, 3, 8}) {
    SliceLoaderOptions options;
    options.seed = 11;
    options.num_threads = threads;
    options.prefetch = 5;
    // Uneven per-item delays make workers finish out of order.
    const DrainResult run = Drain(*reader, options, [](int64_t index, int64_t position, Slice& s) {
      std::this_thread::sleep_for(std::chrono::microseconds((index * 37) % 5 * 300));
      s.pixels[0] = static_cast<float>(position);
      return absl::OkStatus();
    });
    if (reference.empty()) {
      reference = run.indexes;
    } else {
      EXPECT_EQ(run.indexes, reference) << threads << " threads";
    }
    EXPECT_LE(run.max_in_flight, 5);
  }
  EXPECT_EQ(reference.size(), 60u);
}

TEST(SliceLoaderTest, StartPositionResumesTheSameSequence) {
  auto reader = MakeStore("resume", 30);
  SliceLoaderOptions options;
  options.seed = 3;
  const DrainResult full = Drain(*reader, options);
  options.start_position = 17;
  const DrainResult resumed = Drain(*reader, options);
  ASSERT_EQ(resumed.indexes.size(), 13u);
  EXPECT_TRUE(
      std::equal(resumed.indexes.begin(), resumed.indexes.end(), full.indexes.begin() + 17));
  EXPECT_EQ(resumed.positions.front(), 17);
  options.start_position = 5;
  options.limit = 4;
  const DrainResult limited = Drain(*reader, options);
  EXPECT_EQ(limited.indexes,
            std::vector<int64_t>(full.indexes.begin() + 5, full.indexes.begin() + 9));
}

TEST(SliceLoaderTest, MemoryIsBoundedByPrefetch) {
  auto reader = MakeStore("bounded", 40);
  SliceLoaderOptions options;
  options.num_threads = 4;
  options.prefetch = 3;
  std::atomic<int> live{0};
  std::atomic<int> peak{0};
  SliceLoader loader(reader.get(), Split::kTrain, options, [&](int64_t, int64_t, Slice&) {
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
    auto item = loader.Next();
    ASSERT_TRUE(item.ok());
    if (!item->has_value()) break;
    --live;  // The consumer released this item.
    ++delivered;
  }
  EXPECT_EQ(delivered, 40);
  // At most `prefetch` items inside the loader plus the one the consumer holds.
  EXPECT_LE(peak.load(), 3 + 1);
  EXPECT_EQ(loader.max_in_flight(), 3);
}

TEST(SliceLoaderTest, TransformErrorIsReturnedAtItsPosition) {
  auto reader = MakeStore("error", 20);
  SliceLoaderOptions options;
  options.shuffle = false;
  options.num_threads = 3;
  SliceLoader loader(reader.get(), Split::kTrain, options, [](int64_t index, int64_t, Slice&) {
    return index == 6 ? absl::InternalError("boom at 6") : absl::OkStatus();
  });
  for (int i = 0; i < 6; ++i) {
    auto item = loader.Next();
    ASSERT_TRUE(item.ok());
    EXPECT_EQ((*item)->dataset_index, i);
  }
  auto failed = loader.Next();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().message(), "boom at 6");
}

TEST(SliceLoaderTest, CorruptShardIsReportedAtItsPosition) {
  auto reader = MakeStore("corrupt", 20);  // Shards of 7: slice 9 is in train-00001.bin.
  const StoredSliceInfo info = reader->info(Split::kTrain, 9);
  {
    std::fstream f(reader->ShardPath(Split::kTrain, info.shard),
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(info.offset + 1);
    f.put('\x7f');
  }
  SliceLoaderOptions options;
  options.shuffle = false;
  options.num_threads = 3;
  SliceLoader loader(reader.get(), Split::kTrain, options);
  for (int i = 0; i < 9; ++i) {
    auto item = loader.Next();
    ASSERT_TRUE(item.ok()) << item.status();
    EXPECT_EQ((*item)->dataset_index, i);
  }
  auto failed = loader.Next();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(failed.status().message().find("train-00001.bin: train slice 9"), std::string::npos)
      << failed.status();
  EXPECT_FALSE(loader.Next().ok());  // The loader stays stopped.
}

TEST(SliceLoaderTest, EmptySplitEndsImmediately) {
  auto reader = MakeStore("empty", 3);
  SliceLoader loader(reader.get(), Split::kVal, SliceLoaderOptions());
  auto item = loader.Next();
  ASSERT_TRUE(item.ok());
  EXPECT_FALSE(item->has_value());
}

}  // namespace
}  // namespace genesis
