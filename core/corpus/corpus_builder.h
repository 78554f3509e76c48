// Builds a pretraining corpus: dataset sources -> readers -> per-patient plans -> samplers ->
// balancers -> patient-level split -> preprocessors -> slice store, plus manifest, split list,
// summary and skipped-files report. The "corpus" stage runner (core/stages/corpus.cc) is a thin
// wrapper around BuildCorpus().
//
//   CorpusBuildResult result;
//   GENESIS_RETURN_IF_ERROR(BuildCorpus(options, out_dir, seed, threads, &result));
//
// Outputs in `out_dir`:
//   manifest.csv   one row per readable volume (core/corpus/manifest.h), with the number of
//                  its slices stored
//   split.csv      dataset, patient_id, split
//   store/         the slice store (core/slice_store.h)
//   summary/       CSV + PNG corpus summary (core/corpus/summary.h)
//   skipped.csv    file, reason -- every file (or single slice) that could not be used
//
// Two passes over the files, one patient at a time, so memory does not grow with the corpus
// (only per-volume metadata is kept): pass 1 reads each file to learn its volumes' slice counts
// (and finds unreadable files); samplers, balancers and the split run on these plans; pass 2
// streams the preprocessed selected slices to the store. Pass-1 volumes are kept, in reading
// order, up to CorpusStage.read_cache_mb (default 2 GiB) and handed to pass 2; files beyond
// the budget are read again. Pass 1 reads num_threads files at once (parallel_reads) and uses
// them in file order. Peak memory: the cache budget plus num_threads files' volumes.
//
// Determinism: per-dataset sampler d draws from RandomStream(seed, kSampling, d), balancer j
// from RandomStream(seed, kSampling, 1000000 + j), the split from (seed, kSplit, dataset), and
// slice z of the patient's volume v is preprocessed with
// RandomStream(seed, kPreprocess, Fnv1a64("<dataset>/<patient_id>"), (v << 32) | z),
// so the store is identical whatever the thread count.
//
// Bad input: a file no reader accepts, a reader error, an empty volume, a slice a preprocessor
// rejects -- each becomes a skipped.csv row naming the file and the reason, and the build goes
// on; a dataset whose Scan() fails is skipped as a whole (file = "dataset[i] (<source>)").
// Leakage: after the store is finished, every stored slice's patient is checked against one
// split; a patient in two splits fails the build.
#ifndef GENESIS_CORE_CORPUS_CORPUS_BUILDER_H_
#define GENESIS_CORE_CORPUS_CORPUS_BUILDER_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "core/proto/stages.pb.h"

namespace genesis {

struct CorpusBuildResult {
  int64_t patients = 0;
  int64_t volumes = 0;
  int64_t slices_stored = 0;
  std::map<std::string, int64_t> slices_per_split;           // "train" -> n.
  std::map<std::string, int64_t> slices_per_modality;        // "CT" -> n.
  std::vector<std::pair<std::string, std::string>> skipped;  // (file, reason)
  double read_seconds = 0;                                   // Pass 1 (reading + planning).
  double write_seconds = 0;  // Pass 2 (reading again, preprocessing, storing).
};

absl::Status ValidateCorpusStage(const CorpusStage& options);

// Builds everything into `out_dir` (created; an earlier store/ in it is replaced). Returns OK
// even when files were skipped (see result->skipped); errors are configuration, I/O on the
// outputs, or leakage.
absl::Status BuildCorpus(const CorpusStage& options, const std::string& out_dir, uint64_t seed,
                         int num_threads, CorpusBuildResult* result);

}  // namespace genesis

#endif  // GENESIS_CORE_CORPUS_CORPUS_BUILDER_H_
