// `genesis bench luna16_patch FILE.mhd CANDIDATES.txt [--size 64] [--iterations I]`: the
// "luna16" task's extraction path, timed end to end on one core -- read the scan (ITK
// MetaImage), then per candidate world -> voxel, the three native planes, and one augmented
// copy of each plane (random zoom, rotation, translation, flips; trilinear) windowed to
// [0, 1]. CANDIDATES.txt holds one "X,Y,Z" world point (mm) per line. Prints `ms_read`,
// `ms_per_candidate` and `ms_total` in CPU milliseconds (best of I runs, default 3); tools/bench/
// luna16_patch_bench.sh compares them with tools/bench/luna16_patch_reference.py (numpy/scipy).
// --size keeps its bench default (224) unless given: pass --size 64 for the study's patches.

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "core/bench.h"
#include "core/image_reader.h"
#include "core/random.h"
#include "core/registry.h"
#include "plugins/reader/metaimage.pb.h"
#include "plugins/task/luna16_patch.h"

namespace genesis {
namespace {

// CPU time of the process (the bench is single-threaded): fair "per core" figures on a
// shared, loaded machine where wall time depends on the neighbours.
double CpuMs() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

int BenchLuna16Patch(const BenchOptions& options) {
  if (options.args.size() != 2) {
    std::fprintf(stderr, "usage: genesis bench luna16_patch FILE.mhd CANDIDATES.txt [--size 64]\n");
    return 2;
  }
  std::vector<luna16::Vec3> points;
  std::ifstream in(options.args[1]);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f = absl::StrSplit(line, ',');
    if (f.size() != 3) continue;
    luna16::Vec3 p;
    if (absl::SimpleAtod(f[0], &p[0]) && absl::SimpleAtod(f[1], &p[1]) &&
        absl::SimpleAtod(f[2], &p[2])) {
      points.push_back(p);
    }
  }
  if (points.empty()) {
    std::fprintf(stderr, "%s: no X,Y,Z lines\n", options.args[1].c_str());
    return 1;
  }
  const int size = options.size;
  const int iterations = options.iterations > 0 ? options.iterations : 3;
  MetaImageReaderOptions reader_options;
  reader_options.set_modality("CT");
  auto reader = Registry<ImageReader>::Get().Create("metaimage", reader_options);
  if (!reader.ok()) {
    std::fprintf(stderr, "%s\n", std::string(reader.status().message()).c_str());
    return 1;
  }
  luna16::AugmentationRanges ranges;
  luna16::HuWindow window;
  const int64_t area = static_cast<int64_t>(size) * size;
  double best_read = 1e30, best_total = 1e30;
  double checksum = 0;
  for (int it = 0; it < iterations; ++it) {
    const double start = CpuMs();
    auto volumes = (*reader)->Read(options.args[0]);
    if (!volumes.ok()) {
      std::fprintf(stderr, "%s\n", std::string(volumes.status().message()).c_str());
      return 1;
    }
    const Volume& volume = volumes->front();
    const double read = CpuMs();
    std::vector<float> patches(6 * area);
    for (size_t c = 0; c < points.size(); ++c) {
      auto index = luna16::ContinuousIndex(volume, points[c]);
      if (!index.ok()) return 1;
      const std::array<int64_t, 3> centre = luna16::RoundIndex(*index);
      for (int p = 0; p < 3; ++p) {
        const auto kind = static_cast<luna16::PlaneKind>(p);
        luna16::NativePlane(volume, centre, kind, size, patches.data() + p * area);
        luna16::PlaneSpec spec;
        spec.centre = {double(centre[0]), double(centre[1]), double(centre[2])};
        spec.orientation = luna16::OrientationOf(kind);
        spec.pixel_mm_u = volume.spacing[kind == luna16::PlaneKind::kSagittal ? 1 : 0];
        spec.pixel_mm_v = volume.spacing[kind == luna16::PlaneKind::kAxial ? 1 : 2];
        RandomStream rng(0, RandomStream::kAugment, c, p);
        spec.augmentation = luna16::DrawAugmentation(ranges, rng);
        luna16::SamplePlane(volume, spec, size, patches.data() + (3 + p) * area);
      }
      luna16::ApplyWindow(window, patches.data(), 6 * area);
      checksum += patches[area / 2] + patches[4 * area + area / 2];
    }
    const double end = CpuMs();
    best_read = std::min(best_read, read - start);
    best_total = std::min(best_total, end - start);
  }
  std::printf("candidates: %zu\nsize: %d\nms_read: %.3f\nms_total: %.3f\nms_per_candidate: %.4f\n"
              "checksum: %.6g\n",
              points.size(), size, best_read, best_total, best_total / points.size(), checksum);
  return 0;
}

}  // namespace

GENESIS_REGISTER_BENCH("luna16_patch",
                       "FILE.mhd CANDIDATES.txt: read + world->voxel + 3 planes + augmentation "
                       "per candidate (luna16 task extraction), one core",
                       &BenchLuna16Patch);

}  // namespace genesis
