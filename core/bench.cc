#include "core/bench.h"

#include <iostream>
#include <map>
#include <mutex>

#include "absl/flags/flag.h"
#include "core/command.h"
#include "glog/logging.h"

ABSL_FLAG(int, size, 224, "genesis bench: image side in pixels");
ABSL_FLAG(int, batch, 16, "genesis bench: images per step");
ABSL_FLAG(std::string, backbone, "unet_vgg16", "genesis bench: backbone plugin name");
ABSL_FLAG(int, iterations, 0, "genesis bench: timed iterations (0 = the bench's default)");
ABSL_FLAG(int, threads, 0, "genesis bench: threads (0 = all cores)");

namespace genesis {
namespace {

std::map<std::string, Bench>& Benches() {
  static auto* const benches = new std::map<std::string, Bench>();
  return *benches;
}

std::mutex& BenchesMutex() {
  static auto* const mu = new std::mutex();
  return *mu;
}

int BenchMain(const std::vector<std::string>& args) {
  std::lock_guard<std::mutex> lock(BenchesMutex());
  if (args.empty() || Benches().count(args[0]) == 0) {
    std::cerr << "usage: genesis bench NAME [--size N] [--batch K] [--backbone B] "
                 "[--iterations I] [--threads T]\nbenches:\n";
    for (const auto& [name, bench] : Benches()) {
      std::cerr << "  " << name << "  " << bench.help << "\n";
    }
    return 2;
  }
  // Bounds, so a typo is a message and not an abort deep inside LibTorch.
  struct Bound {
    const char* flag;
    int64_t value, lo, hi;
  };
  for (const Bound& b : {Bound{"size", absl::GetFlag(FLAGS_size), 8, 8192},
                         Bound{"batch", absl::GetFlag(FLAGS_batch), 1, 4096},
                         Bound{"iterations", absl::GetFlag(FLAGS_iterations), 0, 10000000},
                         Bound{"threads", absl::GetFlag(FLAGS_threads), 0, 4096}}) {
    if (b.value < b.lo || b.value > b.hi) {
      std::cerr << "--" << b.flag << ": must be in [" << b.lo << ", " << b.hi << "], got "
                << b.value << "\n";
      return 1;
    }
  }
  BenchOptions options;
  options.size = absl::GetFlag(FLAGS_size);
  options.batch = absl::GetFlag(FLAGS_batch);
  options.backbone = absl::GetFlag(FLAGS_backbone);
  options.iterations = absl::GetFlag(FLAGS_iterations);
  options.threads = absl::GetFlag(FLAGS_threads);
  options.args.assign(args.begin() + 1, args.end());
  return Benches().at(args[0]).main(options);
}

}  // namespace

bool RegisterBench(Bench bench) {
  std::lock_guard<std::mutex> lock(BenchesMutex());
  const std::string name = bench.name;
  CHECK(Benches().emplace(name, std::move(bench)).second) << "duplicate bench '" << name << "'";
  return true;
}

GENESIS_REGISTER_COMMAND("bench", "NAME [--size N] [--batch K] [--backbone B]  run a benchmark",
                         &BenchMain);

}  // namespace genesis
