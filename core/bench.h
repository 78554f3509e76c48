// Benchmarks reachable as `genesis bench NAME [--size N] [--batch K] [--backbone B]
// [--iterations I] [--threads T]`. A bench registers once beside the code it measures and
// prints `key: value` lines (e.g. `ms_per_slice: 0.84`) that bench scripts turn into ratios:
//
//   GENESIS_REGISTER_BENCH("pretext", "ms per slice of the Models Genesis composite",
//                          &BenchPretext);
//
// Benchmarks are never timed assertions in unit tests.
#ifndef GENESIS_CORE_BENCH_H_
#define GENESIS_CORE_BENCH_H_

#include <functional>
#include <string>
#include <vector>

namespace genesis {

struct BenchOptions {
  int size = 224;          // Image side in pixels.
  int batch = 16;          // Images per step.
  std::string backbone = "unet_vgg16";
  int iterations = 0;      // 0 = the bench's own default.
  int threads = 0;         // 0 = all cores.
  std::vector<std::string> args;  // Positional arguments after NAME.
};

struct Bench {
  std::string name;
  std::string help;
  std::function<int(const BenchOptions&)> main;
};

bool RegisterBench(Bench bench);

}  // namespace genesis

#define GENESIS_BENCH_CONCAT_INNER_(a, b) a##b
#define GENESIS_BENCH_CONCAT_(a, b) GENESIS_BENCH_CONCAT_INNER_(a, b)
#define GENESIS_REGISTER_BENCH(name, help, main)                                       \
  [[maybe_unused]] static const bool GENESIS_BENCH_CONCAT_(genesis_bench_, __LINE__) = \
      ::genesis::RegisterBench({name, help, main})

#endif  // GENESIS_CORE_BENCH_H_
