// `genesis bench mura_task [--size 224] [--iterations N] [--threads T]`: the "mura" task's data
// path on a synthetic MURA-v1.1 tree of N MURA-like radiographs (8-bit PNG, 300-512 px per side,
// written to a temporary folder first): List, Prepare (decode + pad + resize + store, cold), a
// second Prepare (cache reuse), then Load of every image without and with augmentation. Prints
// `key: value` lines:
//
//   ms_list, ms_per_image_prepare, ms_prepare_reuse, ms_per_load, ms_per_load_augmented,
//   cache_bytes_per_image
//
//   genesis bench mura_task --size 224 --iterations 512 --threads 2

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/bench.h"
#include "core/random.h"
#include "core/registry.h"
#include "core/task.h"
#include "plugins/task/mura.pb.h"

namespace genesis {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double Milliseconds(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// N images over N / 3 train and a few valid patients, two studies each.
void WriteTree(const std::string& root, int n) {
  std::ofstream paths[2] = {std::ofstream(root + "/train_image_paths.csv"),
                            std::ofstream(root + "/valid_image_paths.csv")};
  std::ofstream studies[2] = {std::ofstream(root + "/train_labeled_studies.csv"),
                              std::ofstream(root + "/valid_labeled_studies.csv")};
  RandomStream rng(1, RandomStream::kAugment);
  std::string last_study;
  for (int i = 0; i < n; ++i) {
    const int valid = i % 10 == 9 ? 1 : 0;
    const int patient = i / 3 + (valid ? 90000 : 1);
    const std::string study =
        absl::StrCat("study", 1 + (i / 6) % 2, (i / 6) % 2 ? "_positive" : "_negative");
    const std::string dir =
        absl::StrCat(valid ? "valid" : "train", "/XR_SHOULDER/patient", patient, "/", study);
    fs::create_directories(root + "/" + dir);
    cv::Mat image(static_cast<int>(rng.UniformInt(300, 512)),
                  static_cast<int>(rng.UniformInt(300, 512)), CV_8UC1);
    cv::randu(image, 0, 40);
    cv::circle(image, cv::Point(image.cols / 2, image.rows / 2), image.rows / 3, cv::Scalar(200),
               -1);
    const std::string file = absl::StrCat(dir, "/image", i % 3 + 1, ".png");
    cv::imwrite(root + "/" + file, image);
    paths[valid] << "MURA-v1.1/" << file << "\n";
    if (dir != last_study) studies[valid] << "MURA-v1.1/" << dir << "/," << ((i / 6) % 2) << "\n";
    last_study = dir;
  }
}

int BenchMuraTask(const BenchOptions& bench) {
  const int n = bench.iterations > 0 ? bench.iterations : 256;
  const std::string tmp =
      absl::StrCat(fs::temp_directory_path().string(), "/genesis_bench_mura_", ::getpid());
  const std::string root = tmp + "/MURA-v1.1";
  fs::create_directories(root);
  WriteTree(root, n);

  MuraTaskOptions options;
  options.set_root(root);
  options.set_image_size(bench.size);
  auto created = Registry<Task>::Get().Create("mura", options);
  if (!created.ok()) {
    std::fprintf(stderr, "%s\n", created.status().ToString().c_str());
    return 1;
  }
  Task& task = **created;
  TaskContext context;
  context.cache_dir = tmp + "/cache";
  context.num_threads = bench.threads > 0 ? bench.threads : 1;

  int rc = 0;
  auto check = [&](const absl::Status& status) {
    if (!status.ok()) {
      std::fprintf(stderr, "%s\n", status.ToString().c_str());
      rc = 1;
    }
    return status.ok();
  };
  const auto t0 = Clock::now();
  if (check(task.List())) {
    const auto t1 = Clock::now();
    if (check(task.Prepare(context))) {
      const auto t2 = Clock::now();
      check(task.Prepare(context));
      const auto t3 = Clock::now();
      const int64_t count = static_cast<int64_t>(task.samples().size());
      Slice image;
      double plain = 0, augmented = 0;
      for (int pass = 0; pass < 2 && rc == 0; ++pass) {
        const auto start = Clock::now();
        for (int64_t i = 0; i < count; ++i) {
          if (!check(task.Load(SampleRef{i, 0}, Augmentation{pass == 1, 1, 0}, &image))) break;
        }
        (pass == 0 ? plain : augmented) = Milliseconds(Clock::now() - start) / count;
      }
      uintmax_t bytes = 0;
      for (const auto& e : fs::recursive_directory_iterator(context.cache_dir + "/mura")) {
        if (e.is_regular_file()) bytes += e.file_size();
      }
      std::printf("images: %lld\nsize: %d\nthreads: %d\n", static_cast<long long>(count),
                  bench.size, context.num_threads);
      std::printf("ms_list: %.2f\n", Milliseconds(t1 - t0));
      std::printf("ms_per_image_prepare: %.3f\n", Milliseconds(t2 - t1) / count);
      std::printf("ms_prepare_reuse: %.2f\n", Milliseconds(t3 - t2));
      std::printf("ms_per_load: %.3f\n", plain);
      std::printf("ms_per_load_augmented: %.3f\n", augmented);
      std::printf("cache_bytes_per_image: %.0f\n", static_cast<double>(bytes) / count);
    }
  }
  fs::remove_all(tmp);
  return rc;
}

}  // namespace

GENESIS_REGISTER_BENCH("mura_task",
                       "the mura task's data path: list, cache build, cache reuse, load (+aug)",
                       &BenchMuraTask);

}  // namespace genesis
