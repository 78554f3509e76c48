// `genesis bench corpus`: slice-store throughput, both numbers from one run.
//
//   genesis bench corpus [--iterations SLICES] [--size OUT] [--threads T] [in=512] [prefetch=16]
//                        [pixel_type=uint16] [dir=/tmp/...]
//
// Build: synthetic CT volumes (in x in voxels, HU) are cut into axial slices, preprocessed like
// the study (hu_window, then random_crop_resize 448 -> OUT with INTER_AREA) on T threads and
// written to a slice store (the corpus builder's pass 2 without file reading). Stream: the
// store's train split is read back through OrderedLoader, the loader training uses (T threads,
// prefetch, in the epoch order Permutation(size, shuffle, seed 1, epoch 0), CRC-checked).
//
// Prints
//   build_slices_per_s: X     preprocess + store (volume synthesis not timed)
//   stream_slices_per_s: Y    OrderedLoader over the store (pread + CRC + decode)
//   store_mb: Z               size of the shards on disk
//   peak_rss_mb: M            peak resident memory of the process (flat in the slice count:
//                             one 64-slice volume + prefetch, not the store)
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/bench.h"
#include "core/ordered_loader.h"
#include "core/preprocessor.h"
#include "core/random.h"
#include "core/slice_store.h"
#include "core/volume.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/text_format.h"

namespace genesis {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Peak resident memory of this process (VmHWM), in MB; -1 when unknown.
double PeakRssMb() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return -1;
  char line[256];
  double mb = -1;
  while (std::fgets(line, sizeof(line), f) != nullptr) {
    long kb = 0;
    if (std::sscanf(line, "VmHWM: %ld kB", &kb) == 1) mb = kb / 1024.0;
  }
  std::fclose(f);
  return mb;
}

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int BenchCorpus(const BenchOptions& options) {
  std::map<std::string, std::string> kv;
  for (const std::string& arg : options.args) {
    std::vector<std::string> parts = absl::StrSplit(arg, absl::MaxSplits('=', 1));
    if (parts.size() == 2) kv[parts[0]] = parts[1];
  }
  auto int_arg = [&](const std::string& key, int fallback) {
    int value = fallback;
    if (kv.count(key) && !absl::SimpleAtoi(kv[key], &value)) value = fallback;
    return value;
  };
  const int64_t total = options.iterations > 0 ? options.iterations : 1000;
  const int out_size = options.size > 0 ? options.size : 224;
  const int in = int_arg("in", 512);
  const int prefetch = int_arg("prefetch", 16);
  const int threads =
      options.threads > 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  const std::string pixel_type = kv.count("pixel_type") ? kv["pixel_type"] : "uint16";
  const std::string dir =
      kv.count("dir")
          ? kv["dir"]
          : (fs::temp_directory_path() / absl::StrCat("genesis_bench_corpus_", getpid())).string();
  fs::remove_all(dir);

  auto hu = Registry<Preprocessor>::Get().Create([] {
    PluginSpec s;
    s.set_type("hu_window");
    return s;
  }());
  // random_crop_resize with output_size = --size, built through the options' descriptor (the
  // core does not depend on plugin protos).
  PluginSpec crop_spec;
  crop_spec.set_type("random_crop_resize");
  if (const auto* descriptor =
          google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(
              "genesis.RandomCropResizeOptions")) {
    std::unique_ptr<google::protobuf::Message> crop_options(
        google::protobuf::MessageFactory::generated_factory()->GetPrototype(descriptor)->New());
    google::protobuf::TextFormat::ParseFromString(absl::StrCat("output_size: ", out_size),
                                                  crop_options.get());
    crop_spec.mutable_options()->PackFrom(*crop_options);
  }
  auto crop = Registry<Preprocessor>::Get().Create(crop_spec);
  if (!hu.ok() || !crop.ok()) {
    std::fprintf(stderr, "bench corpus: preprocessors not linked: %s %s\n",
                 std::string(hu.status().message()).c_str(),
                 std::string(crop.status().message()).c_str());
    return 1;
  }
  SliceStoreOptions store_options;
  store_options.set_pixel_type(pixel_type);
  auto writer = SliceStoreWriter::Create(dir, store_options);
  if (!writer.ok()) {
    std::fprintf(stderr, "%s\n", std::string(writer.status().message()).c_str());
    return 1;
  }

  constexpr int64_t kDepth = 64;
  double build_seconds = 0;
  int64_t done = 0;
  for (int64_t v = 0; done < total; ++v) {
    Volume volume;
    const int64_t depth = std::min<int64_t>(kDepth, total - done);
    volume.size = {in, in, depth};
    volume.modality = Modality::kCT;
    volume.voxels.resize(static_cast<size_t>(in) * in * depth);
    FastRandom noise(RandomStream(1, RandomStream::kSampling, v).Fork());
    for (float& x : volume.voxels) x = -1000.0f + static_cast<float>(noise.Below(2400));
    const auto start = Clock::now();
    std::vector<absl::StatusOr<Slice>> slices(depth, absl::UnknownError("unset"));
    std::atomic<int64_t> next{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        for (int64_t z = next++; z < depth; z = next++) {
          Slice s = volume.AxialSlice(z);
          s.dataset = "bench";
          s.patient_id = absl::StrCat(v);
          RandomStream rng(1, RandomStream::kPreprocess, v, z);
          absl::Status status = (*hu)->Apply(s, rng);
          if (status.ok()) status = (*crop)->Apply(s, rng);
          slices[z] = status.ok() ? absl::StatusOr<Slice>(std::move(s)) : status;
        }
      });
    }
    for (auto& t : pool) t.join();
    for (auto& s : slices) {
      absl::Status status = s.ok() ? (*writer)->Add(*s, Split::kTrain) : s.status();
      if (!status.ok()) {
        std::fprintf(stderr, "%s\n", std::string(status.message()).c_str());
        return 1;
      }
    }
    build_seconds += Seconds(start);
    done += depth;
  }
  const auto finish_start = Clock::now();
  if (absl::Status s = (*writer)->Finish(); !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 1;
  }
  build_seconds += Seconds(finish_start);

  auto reader = SliceStoreReader::Open(dir);
  if (!reader.ok()) {
    std::fprintf(stderr, "%s\n", std::string(reader.status().message()).c_str());
    return 1;
  }
  LoaderOptions loader_options;
  loader_options.num_threads = threads;
  loader_options.prefetch = prefetch;
  const auto stream_start = Clock::now();
  const SliceStoreReader& store = **reader;
  const std::vector<int64_t> order =
      Permutation(store.size(Split::kTrain), /*shuffle=*/true, /*seed=*/1, /*epoch=*/0);
  OrderedLoader<Slice> loader(
      static_cast<int64_t>(order.size()), loader_options,
      [&](int64_t position) { return store.Read(Split::kTrain, order[position]); });
  int64_t streamed = 0;
  double checksum = 0;
  while (true) {
    auto slice = loader.Next();
    if (!slice.ok()) {
      std::fprintf(stderr, "%s\n", std::string(slice.status().message()).c_str());
      return 1;
    }
    if (!slice->has_value()) break;
    checksum += (*slice)->pixels[0];
    ++streamed;
  }
  const double stream_seconds = Seconds(stream_start);
  uint64_t bytes = 0;
  for (const auto& entry : fs::directory_iterator(dir)) bytes += entry.file_size();
  std::printf("slices: %lld\nslice_in: %d\nslice_out: %d\nthreads: %d\npixel_type: %s\n",
              static_cast<long long>(streamed), in, out_size, threads, pixel_type.c_str());
  std::printf("build_slices_per_s: %.1f\n", done / build_seconds);
  std::printf("stream_slices_per_s: %.1f\n", streamed / stream_seconds);
  std::printf("store_mb: %.1f\n", bytes / 1e6);
  std::printf("peak_rss_mb: %.1f\n", PeakRssMb());
  std::printf("checksum: %.3f\n", checksum);
  if (!kv.count("dir")) fs::remove_all(dir);
  return streamed == done ? 0 : 1;
}

}  // namespace

GENESIS_REGISTER_BENCH("corpus",
                       "slice store: slices/s building (preprocess + write) and streaming "
                       "(OrderedLoader)",
                       &BenchCorpus);

}  // namespace genesis
