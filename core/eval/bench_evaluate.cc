// `genesis bench evaluate`: evaluation at the study's LUNA16 scale (754,575 candidates, 1,157
// positives, 888 scans) on synthetic float probabilities (ties included).
//
//   genesis bench evaluate [--iterations 5] [--threads 0] [replicates=2000] [csv=1]
//
// Prints
//   samples / positives / scans
//   auc_delong_s: T            AUC + DeLong CI of A (`genesis auc A`), median over iterations
//   auc_delong_paired_s: T     both AUCs, both DeLong CIs and the paired DeLong test of A vs B
//                              (`genesis auc A B`), median over iterations; target <= 0.5 s
//   *_cpu_s                    process CPU seconds of the same (all threads), for loaded
//                              machines
//   bootstrap_s: T             `replicates` stratified bootstrap replicates of A's AUC
//                              (positives / negatives resampled), --threads threads (0 = all
//                              cores); target <= 30 s for 2,000 on both cores
//   bootstrap_grouped_s: T     the same resampling whole scans (stratified by scans with a
//                              positive)
//   csv_read_s: T              reading the 754,575-row predictions CSV (csv=0 skips it)
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "core/bench.h"
#include "core/eval/metrics.h"
#include "core/eval/predictions_io.h"
#include "core/file_util.h"
#include "core/random.h"

namespace genesis {
namespace {

constexpr int kSamples = 754575;
constexpr int kPositives = 1157;
constexpr int kScans = 888;

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

int BenchEvaluate(const BenchOptions& options) {
  std::map<std::string, std::string> kv;
  for (const std::string& arg : options.args) {
    std::vector<std::string> parts = absl::StrSplit(arg, absl::MaxSplits('=', 1));
    if (parts.size() == 2) kv[parts[0]] = parts[1];
  }
  int replicates = 2000;
  if (kv.count("replicates") && !absl::SimpleAtoi(kv["replicates"], &replicates)) {
    std::fprintf(stderr, "bench evaluate: replicates=%s is not an integer\n",
                 kv["replicates"].c_str());
    return 2;
  }
  const int iterations = options.iterations > 0 ? options.iterations : 5;
  const int threads =
      options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());

  // Synthetic candidates: positives spread over scans; float probabilities of two correlated
  // models (A better than B), rounded to float as real predictions are (so ties occur).
  std::vector<int> labels(kSamples, 0);
  std::vector<double> a(kSamples), b(kSamples);
  std::vector<std::string> scans(kSamples);
  RandomStream rng(2020, RandomStream::kSampling);
  for (int i = 0; i < kPositives; ++i) labels[static_cast<size_t>(i) * kSamples / kPositives] = 1;
  for (int i = 0; i < kSamples; ++i) {
    const double u1 = std::max(rng.Uniform(), 1e-300), u2 = rng.Uniform();
    const double shared = std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
    const double own = std::sqrt(-2 * std::log(u1)) * std::sin(2 * M_PI * u2);
    a[i] = static_cast<float>(1 / (1 + std::exp(-(shared - 4 + 3.2 * labels[i]))));
    b[i] =
        static_cast<float>(1 / (1 + std::exp(-(0.7 * shared + 0.7 * own - 4 + 2.9 * labels[i]))));
    scans[i] = absl::StrCat("1.3.6.1.4.1.14519.5.2.1.6279.6001.", i * kScans / kSamples);
  }
  std::printf("samples: %d\npositives: %d\nscans: %d\nthreads: %d\n", kSamples, kPositives, kScans,
              threads);

  // PairedDeLong yields both AUCs, both DeLong CIs and the paired test: everything
  // `genesis auc A B` prints. DeLong alone: `genesis auc A`.
  std::vector<double> single_times, times, cpu_times;
  PairedDeLongResult paired;
  for (int it = 0; it < iterations; ++it) {
    auto start = std::chrono::steady_clock::now();
    absl::StatusOr<DeLongResult> one = DeLong(a, labels);
    single_times.push_back(Seconds(start));
    start = std::chrono::steady_clock::now();
    const std::clock_t cpu_start = std::clock();
    absl::StatusOr<PairedDeLongResult> two = PairedDeLong(a, b, labels);
    times.push_back(Seconds(start));
    cpu_times.push_back(static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC);
    if (!one.ok() || !two.ok()) {
      std::fprintf(stderr, "bench evaluate: %s\n", std::string(two.status().message()).c_str());
      return 1;
    }
    paired = *two;
  }
  std::printf("auc_a: %.6f\nauc_b: %.6f\np_value: %.3g\n", paired.a.auc, paired.b.auc,
              paired.p_value);
  std::printf("auc_delong_s: %.4f\n", Median(single_times));
  std::printf("auc_delong_paired_s: %.4f\n", Median(times));
  std::printf("auc_delong_paired_best_s: %.4f\n", *std::min_element(times.begin(), times.end()));
  std::printf("auc_delong_paired_cpu_s: %.4f\n", Median(cpu_times));

  BootstrapOptions bootstrap;
  bootstrap.replicates = replicates;
  bootstrap.seed = 1;
  bootstrap.threads = threads;
  auto start = std::chrono::steady_clock::now();
  std::clock_t cpu_start = std::clock();
  absl::StatusOr<BootstrapResult> r = BootstrapAuc(a, labels, {}, bootstrap);
  const double plain = Seconds(start);
  const double plain_cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  start = std::chrono::steady_clock::now();
  cpu_start = std::clock();
  absl::StatusOr<BootstrapResult> g = BootstrapAuc(a, labels, scans, bootstrap);
  const double grouped = Seconds(start);
  const double grouped_cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  if (!r.ok() || !g.ok()) {
    std::fprintf(stderr, "bench evaluate: bootstrap failed\n");
    return 1;
  }
  std::printf("bootstrap_replicates: %d\n", replicates);
  std::printf("bootstrap_s: %.3f\nbootstrap_cpu_s: %.3f\nbootstrap_ci95: [%.5f, %.5f]\n", plain,
              plain_cpu, r->ci_low, r->ci_high);
  std::printf("bootstrap_grouped_s: %.3f\nbootstrap_grouped_cpu_s: %.3f\n", grouped, grouped_cpu);
  std::printf("bootstrap_grouped_ci95: [%.5f, %.5f]\n", g->ci_low, g->ci_high);
  std::printf("delong_ci95: [%.5f, %.5f]\n", paired.a.ci_low, paired.a.ci_high);

  if (kv.count("csv") == 0 || kv["csv"] != "0") {
    const std::string path = (std::filesystem::temp_directory_path() /
                              absl::StrCat("genesis_bench_evaluate_", ::getpid(), ".csv"))
                                 .string();
    std::string text = "id,group,label,score\n";
    for (int i = 0; i < kSamples; ++i) {
      absl::StrAppend(&text, "cand_", i, ",", scans[i], ",", labels[i], ",",
                      absl::StrFormat("%.9g", a[i]), "\n");
    }
    if (!WriteFileAtomically(path, text).ok()) return 1;
    start = std::chrono::steady_clock::now();
    absl::StatusOr<Predictions> p = ReadPredictions(path);
    const double read = Seconds(start);
    const double rows = p.ok() ? static_cast<double>(p->size()) : 0;
    std::filesystem::remove(path);
    if (!p.ok()) return 1;
    std::printf("csv_read_s: %.3f\ncsv_rows: %.0f\n", read, rows);
  }
  return 0;
}

}  // namespace

GENESIS_REGISTER_BENCH("evaluate",
                       "AUC + DeLong + paired test and 2,000 bootstrap replicates at LUNA16 scale",
                       &BenchEvaluate);

}  // namespace genesis
