// `genesis bench pretext --size N [--iterations I]`: milliseconds per slice of the "genesis"
// composite with its official defaults, on one core, for the same workload as
// shared/reference/mg_reference_2d.py (uniform-noise slices of N x N, input and target copied
// per slice, every slice its own RandomStream(0, kPretext, 0, i)). Prints `ms_per_slice: X`
// and a per-step breakdown; tools/bench/pretext_bench.sh turns it into a ratio. Names of
// other registered pretext tasks after `pretext` are timed too (default options).
//
//   genesis bench pretext --size 224
//   genesis bench pretext --size 64 --iterations 20000
//   genesis bench pretext --size 224 context_restoration gaussian_blur gaussian_noise

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "core/bench.h"
#include "core/pretext_task.h"
#include "core/random.h"
#include "core/registry.h"
#include "plugins/pretext/flip.h"
#include "plugins/pretext/genesis.h"
#include "plugins/pretext/local_shuffle.h"
#include "plugins/pretext/nonlinear.h"
#include "plugins/pretext/painting.h"

namespace genesis {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::vector<Slice> NoiseSlices(int size, int count) {
  std::vector<Slice> slices;
  for (int k = 0; k < count; ++k) {
    Slice image(size, size);
    RandomStream rng(k, RandomStream::kAugment);
    for (float& p : image.pixels) p = rng.UniformFloat();
    slices.push_back(std::move(image));
  }
  return slices;
}

// Times `step` on copies of the pool's slices; returns ms per call.
template <typename Step>
double TimeStep(const std::vector<Slice>& pool, int iterations, Step step) {
  Slice input, target;
  const auto start = Clock::now();
  for (int i = 0; i < iterations; ++i) {
    input = pool[i % pool.size()];
    target = input;
    RandomStream rng(0, RandomStream::kPretext, 0, i);
    step(input, target, rng);
  }
  return 1e3 * Seconds(Clock::now() - start) / iterations;
}

int BenchPretext(const BenchOptions& options) {
  const int size = options.size;
  if (size < 8) {
    std::fprintf(stderr, "bench pretext: --size must be >= 8, got %d\n", size);
    return 2;
  }
  // Enough slices for ~1-2 s of work at either size.
  const int iterations = options.iterations > 0
                             ? options.iterations
                             : std::max(200, static_cast<int>(4000LL * 224 * 224 / (size * size)));
  const std::vector<Slice> pool = NoiseSlices(size, 16);
  const GenesisOptions defaults;

  // Warm up (thread-local scratch buffers, page faults), then the composite.
  TimeStep(pool, std::min(iterations, 50),
           [&](Slice& in, Slice& tg, RandomStream& rng) { ApplyGenesis(defaults, in, tg, rng); });
  const double composite = TimeStep(pool, iterations, [&](Slice& in, Slice& tg, RandomStream& rng) {
    ApplyGenesis(defaults, in, tg, rng);
  });

  // Each step forced on (prob 1), for the breakdown.
  const int step_iterations = std::max(50, iterations / 4);
  FlipOptions flip = defaults.flip();
  flip.set_prob(1.0);
  LocalShuffleOptions shuffle = defaults.local_shuffle();
  shuffle.set_prob(1.0);
  NonlinearOptions nonlinear = defaults.nonlinear();
  nonlinear.set_prob(1.0);
  PaintingOptions in_painting = defaults.painting(), out_painting = defaults.painting();
  in_painting.set_prob(1.0);
  in_painting.set_in_painting_share(1.0);
  out_painting.set_prob(1.0);
  out_painting.set_in_painting_share(0.0);
  const double copy_only = TimeStep(pool, step_iterations, [](Slice&, Slice&, RandomStream&) {});
  const double flip_ms =
      TimeStep(pool, step_iterations,
               [&](Slice& in, Slice& tg, RandomStream& rng) { ApplyFlip(flip, in, tg, rng); });
  const double shuffle_ms =
      TimeStep(pool, step_iterations,
               [&](Slice& in, Slice&, RandomStream& rng) { ApplyLocalShuffle(shuffle, in, rng); });
  const double nonlinear_ms =
      TimeStep(pool, step_iterations,
               [&](Slice& in, Slice&, RandomStream& rng) { ApplyNonlinear(nonlinear, in, rng); });
  const double in_ms = TimeStep(pool, step_iterations, [&](Slice& in, Slice&, RandomStream& rng) {
    ApplyPainting(in_painting, in, rng);
  });
  const double out_ms = TimeStep(pool, step_iterations, [&](Slice& in, Slice&, RandomStream& rng) {
    ApplyPainting(out_painting, in, rng);
  });

  std::printf("size: %d\nslices: %d\n", size, iterations);
  std::printf("copy_ms: %.4f\n", copy_only);
  std::printf("flip_ms_when_applied: %.4f\n", flip_ms - copy_only);
  std::printf("local_shuffle_ms_when_applied: %.4f\n", shuffle_ms - copy_only);
  std::printf("nonlinear_ms_when_applied: %.4f\n", nonlinear_ms - copy_only);
  std::printf("in_painting_ms_when_applied: %.4f\n", in_ms - copy_only);
  std::printf("out_painting_ms_when_applied: %.4f\n", out_ms - copy_only);
  // Further registered tasks named on the command line, with their default options.
  for (const std::string& name : options.args) {
    PluginSpec spec;
    spec.set_type(name);
    auto task = Registry<PretextTask>::Get().Create(spec);
    if (!task.ok()) {
      std::fprintf(stderr, "bench pretext: %s\n", std::string(task.status().message()).c_str());
      return 2;
    }
    const double ms = TimeStep(pool, step_iterations, [&](Slice& in, Slice& tg, RandomStream& rng) {
      (*task)->Apply(in, tg, rng);
    });
    std::printf("%s_ms_per_slice: %.4f\n", name.c_str(), ms);
  }
  std::printf("ms_per_slice: %.4f\n", composite);
  return 0;
}

}  // namespace
}  // namespace genesis

GENESIS_REGISTER_BENCH("pretext",
                       "ms per slice of the Models Genesis composite (--size N, --iterations I)",
                       &genesis::BenchPretext);
