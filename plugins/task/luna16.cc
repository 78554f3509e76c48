// "luna16": LUNA16 nodule false-positive reduction as a downstream task -- candidates_V2.csv
// candidates classified as nodule / not nodule from 2D patches through them.
//
//   transfer { task { type: "luna16" options { [type.googleapis.com/genesis.Luna16TaskOptions] {
//     root: "/data/LUNA16" method: "planes" size: 64 negative_fraction: 0.1
//   } } } }
//
// Samples are candidates: id "cand_NNNNNNN" (0-based data row of the candidate CSV), label =
// class, group = patient = seriesuid (the patient id of the "luna16" dataset source, whose
// listing this task reuses), columns = seriesuid, coordX, coordY, coordZ as written in the CSV.
//
// Views and copies. A candidate has V views: Method 1 ("planes") the listed orthogonal planes
// (default axial, coronal, sagittal), Method 2 ("cube") the axial plane plus V-1 planes of
// random orientation through the centre of its size^3 cube. Training items are (candidate,
// copy) with copy = a * V + view: negatives a = 0 only (V items), positives a = 0 ..
// positive_copies-1 (default 8 x V items), where a = 0 is the original view and a >= 1 an
// augmented one (zoom, rotation, translation, flips; luna16_patch.h). Validation and test
// samples are scored on their unaugmented views, copies 0..V-1, averaged by the fine-tuning
// (evaluation "average_views", Task::evaluation_views() = V), or on view 0 alone ("first_view").
//
// Negatives are down-sampled per subset (negative_fraction, negative_seed); train and val use
// the kept ones, test too unless downsample_test is false (then every candidate of the test
// pair is a sample, the extra negatives with their unaugmented views only).
//
// Folds: one per test-subset group (default the pairs 0-1 ... 8-9); train = the other
// subsets' scans minus a seeded val_fraction of them (validation).
//
// Cache: Prepare extracts every needed (candidate, copy) once -- one scan in memory at a time,
// its candidates in parallel -- into a slice store in <cache_dir>/luna16 (float32 by default,
// windowed to [0, 1]; augmented copies are stored, so sub-runs, folds and seeds never re-extract and Load
// is a read). The store is keyed by the options that affect pixels plus the size and mtime of
// every input file; any difference rebuilds it.

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/corpus/split.h"
#include "core/csv.h"
#include "core/dataset_source.h"
#include "core/file_util.h"
#include "core/image_reader.h"
#include "core/random.h"
#include "core/registry.h"
#include "core/slice_store.h"
#include "core/status_macros.h"
#include "core/task.h"
#include "glog/logging.h"
#include "plugins/dataset/dataset_util.h"
#include "plugins/dataset/luna16.pb.h"
#include "plugins/reader/metaimage.pb.h"
#include "plugins/task/luna16.pb.h"
#include "plugins/task/luna16_patch.h"

namespace genesis {
namespace {

namespace fs = std::filesystem;

constexpr char kCacheFormat[] = "genesis luna16 task cache 1";
// slice_index of a cached patch = candidate row * kCopyStride + copy.
constexpr int64_t kCopyStride = 1 << 16;
constexpr int kMaxReported = 5;

absl::StatusOr<std::vector<std::vector<int>>> ParseFoldSubsets(const Luna16TaskOptions& o) {
  std::vector<std::vector<int>> folds;
  if (o.fold_subsets().empty()) {
    for (int k = 0; k < 5; ++k) folds.push_back({2 * k, 2 * k + 1});
    return folds;
  }
  std::set<int> seen;
  for (int f = 0; f < o.fold_subsets_size(); ++f) {
    const std::string& text = o.fold_subsets(f);
    std::vector<int> subsets;
    for (absl::string_view part : absl::StrSplit(text, absl::ByAnyChar(",-"), absl::SkipEmpty())) {
      int s = -1;
      if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(part), &s) || s < 0 || s > 9) {
        return absl::InvalidArgumentError(absl::StrCat(
            "fold_subsets[", f, "]: expected subsets 0..9 as \"a-b\" or \"a,b,c\", got '", text,
            "'"));
      }
      if (!seen.insert(s).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("fold_subsets[", f, "]: subset ", s, " is already tested in another fold"));
      }
      subsets.push_back(s);
    }
    if (subsets.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("fold_subsets[", f, "]: empty"));
    }
    folds.push_back(subsets);
  }
  return folds;
}

std::string FoldName(const std::vector<int>& subsets) {
  return absl::StrCat("subsets ", absl::StrJoin(subsets, subsets.size() == 2 ? "-" : ","));
}

absl::StatusOr<std::vector<luna16::PlaneKind>> ParsePlanes(const Luna16TaskOptions& o) {
  std::vector<luna16::PlaneKind> planes;
  if (o.planes().empty()) {
    return std::vector<luna16::PlaneKind>{luna16::PlaneKind::kAxial, luna16::PlaneKind::kCoronal,
                                          luna16::PlaneKind::kSagittal};
  }
  for (int i = 0; i < o.planes_size(); ++i) {
    absl::StatusOr<luna16::PlaneKind> kind = luna16::ParsePlaneKind(o.planes(i));
    if (!kind.ok()) return Annotate(kind.status(), absl::StrCat("planes[", i, "]"));
    planes.push_back(*kind);
  }
  return planes;
}

// "<size> <mtime ns>" of a file, for the cache key.
std::string FileStamp(const std::string& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) return absl::StrCat(path, " missing");
  const auto mtime = fs::last_write_time(path, ec);
  return absl::StrCat(path, " ", size, " ",
                      std::chrono::duration_cast<std::chrono::nanoseconds>(
                          mtime.time_since_epoch())
                          .count());
}

// The ElementDataFile of a MetaImage header (for the cache key), or "".
std::string MetaImageDataFile(const std::string& mhd) {
  absl::StatusOr<std::string> header = dataset::ReadPrefix(mhd, 1 << 16);
  if (!header.ok()) return "";
  for (absl::string_view line : absl::StrSplit(*header, '\n')) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(line, absl::MaxSplits('=', 1));
    if (absl::StripAsciiWhitespace(kv.first) != "ElementDataFile") continue;
    const std::string data(absl::StripAsciiWhitespace(kv.second));
    if (data == "LOCAL") return "";
    return dataset::ResolvePath(dataset::ParentPath(mhd), data);
  }
  return "";
}

class Luna16Task : public Task {
 public:
  static absl::Status Validate(const Luna16TaskOptions& o) {
    if (o.method() != "planes" && o.method() != "cube") {
      return absl::InvalidArgumentError(
          absl::StrCat("method: expected \"planes\" or \"cube\", got \"", o.method(), "\""));
    }
    if (o.size() < 8 || o.size() > 1024) {
      return absl::InvalidArgumentError(absl::StrCat("size: must be in 8..1024, got ", o.size()));
    }
    GENESIS_RETURN_IF_ERROR(ParsePlanes(o).status());
    if (o.cube_views() < 1) {
      return absl::InvalidArgumentError(absl::StrCat("cube_views: must be >= 1, got ", o.cube_views()));
    }
    if (!(o.spacing_mm() >= 0) || o.spacing_mm() > 100) {
      return absl::InvalidArgumentError(
          absl::StrCat("spacing_mm: must be 0 (native) or a size in mm, got ", o.spacing_mm()));
    }
    if (!(o.hu_max() > o.hu_min())) {
      return absl::InvalidArgumentError(absl::StrCat("hu_max (", o.hu_max(),
                                                     ") must exceed hu_min (", o.hu_min(), ")"));
    }
    const int views = o.method() == "cube" ? o.cube_views() : std::max(1, o.planes_size());
    if (o.positive_copies() < 1 || int64_t{o.positive_copies()} * views >= kCopyStride) {
      return absl::InvalidArgumentError(absl::StrCat(
          "positive_copies: must be >= 1 and < ", kCopyStride / views, ", got ", o.positive_copies()));
    }
    if (!(o.zoom_min() > 0) || !(o.zoom_max() >= o.zoom_min())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "zoom_min/zoom_max: need 0 < zoom_min <= zoom_max, got ", o.zoom_min(), ", ", o.zoom_max()));
    }
    if (!(o.max_rotation_deg() >= 0) || !(o.max_translation_mm() >= 0)) {
      return absl::InvalidArgumentError("max_rotation_deg, max_translation_mm: must be >= 0");
    }
    if (!(o.flip_probability() >= 0 && o.flip_probability() <= 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("flip_probability: must be in [0, 1], got ", o.flip_probability()));
    }
    if (!(o.negative_fraction() > 0 && o.negative_fraction() <= 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("negative_fraction: must be in (0, 1], got ", o.negative_fraction()));
    }
    if (!(o.val_fraction() >= 0 && o.val_fraction() < 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("val_fraction: must be in [0, 1), got ", o.val_fraction()));
    }
    GENESIS_RETURN_IF_ERROR(ParseFoldSubsets(o).status());
    if (o.evaluation() != "average_views" && o.evaluation() != "first_view") {
      return absl::InvalidArgumentError(absl::StrCat(
          "evaluation: expected \"average_views\" or \"first_view\", got \"", o.evaluation(),
          "\""));
    }
    if (o.cache_pixel_type() != "float32" && o.cache_pixel_type() != "uint16") {
      return absl::InvalidArgumentError(absl::StrCat(
          "cache_pixel_type: expected \"float32\" or \"uint16\", got \"", o.cache_pixel_type(),
          "\""));
    }
    if (o.missing_series() != "warn" && o.missing_series() != "error") {
      return absl::InvalidArgumentError(absl::StrCat(
          "missing_series: expected \"warn\" or \"error\", got \"", o.missing_series(), "\""));
    }
    if (o.bad_rows() != "error" && o.bad_rows() != "skip") {
      return absl::InvalidArgumentError(
          absl::StrCat("bad_rows: expected \"error\" or \"skip\", got \"", o.bad_rows(), "\""));
    }
    return absl::OkStatus();
  }

  explicit Luna16Task(const Luna16TaskOptions& options) : options_(options) {
    planes_ = ParsePlanes(options).value();  // Validated.
    folds_ = ParseFoldSubsets(options).value();
    views_ = options.method() == "cube" ? options.cube_views() : static_cast<int>(planes_.size());
    window_.min = options.hu_min();
    window_.max = options.hu_max();
    ranges_.zoom_min = options.zoom_min();
    ranges_.zoom_max = options.zoom_max();
    ranges_.max_rotation_deg = options.max_rotation_deg();
    ranges_.max_translation_mm = options.max_translation_mm();
    ranges_.flip_probability = options.flip_probability();
  }

  absl::Status List() override;
  absl::Status Prepare(const TaskContext& context) override;
  const std::vector<TaskSample>& samples() const override { return samples_; }
  std::vector<std::string> PredictionColumns() const override {
    return {"seriesuid", "coordX", "coordY", "coordZ"};
  }
  absl::StatusOr<std::vector<TaskFold>> Folds(uint64_t seed) const override;
  int64_t image_size() const override { return options_.size(); }
  int32_t evaluation_views() const override {
    return options_.evaluation() == "average_views" ? views_ : 1;
  }
  absl::Status Load(const SampleRef& ref, const Augmentation& augmentation,
                    Slice* image) const override;
  std::string dataset_name() const override { return options_.dataset_name(); }
  std::map<std::string, std::string> Info() const override;
  absl::Status WriteTaskPredictions(absl::string_view split, const std::vector<int64_t>& indices,
                                    const std::vector<float>& scores,
                                    const std::string& dir) const override;

 private:
  struct Candidate {
    int64_t row = 0;                  // 0-based data row in the candidate CSV.
    std::array<double, 3> world{};    // mm.
    int series = -1;                  // Into series_.
    bool kept = false;                // Positive, or a negative kept by down-sampling.
  };
  struct Series {
    std::string uid, mhd;
    int subset = 0;
    std::vector<int64_t> samples;  // Into samples_.
  };
  struct BadRow {
    int64_t line;
    std::string problem;
  };

  absl::Status ListSeries();
  absl::Status ReadCandidates(std::map<std::string, int64_t>* missing);
  void DownsampleNegatives();
  // Copies cached for sample i (kept: its training copies; test-only negatives: the views
  // they are scored on).
  int32_t CachedCopies(int64_t i) const {
    if (!candidates_[i].kept) return evaluation_views();
    return views_ * (samples_[i].label == 1 ? options_.positive_copies() : 1);
  }
  std::string CacheKey() const;
  absl::Status OpenCache(const std::string& dir);
  absl::Status BuildCache(const std::string& dir, int threads);
  absl::Status ExtractSeries(const Series& series, int threads, SliceStoreWriter* writer) const;
  absl::Status ExtractCopy(const Volume& volume, int64_t sample, int32_t copy,
                           std::vector<float>* pixels, std::array<double, 2>* spacing) const;
  absl::Status WriteReports(const std::string& cache_dir) const;

  Luna16TaskOptions options_;
  std::vector<luna16::PlaneKind> planes_;
  std::vector<std::vector<int>> folds_;
  int views_ = 3;
  luna16::HuWindow window_;
  luna16::AugmentationRanges ranges_;

  std::string root_, candidates_path_;
  std::vector<Series> series_;
  std::map<std::string, int> series_by_uid_;
  std::vector<TaskSample> samples_;
  std::vector<Candidate> candidates_;  // Parallel to samples_.
  std::vector<BadRow> bad_rows_;
  std::vector<std::pair<std::string, int64_t>> missing_series_;  // (uid, candidates)

  std::unique_ptr<SliceStoreReader> store_;
  std::unordered_map<int64_t, int64_t> position_;  // row * kCopyStride + copy -> store index.
};

absl::Status Luna16Task::ListSeries() {
  // The "luna16" dataset source's own listing: its patient ids are the corpus' for this data.
  Luna16Options source_options;
  source_options.set_root(root_);
  source_options.set_name(options_.dataset_name());
  if (!options_.annotations().empty()) source_options.set_annotations(options_.annotations());
  GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<DatasetSource> source,
                           Registry<DatasetSource>::Get().Create("luna16", source_options));
  GENESIS_ASSIGN_OR_RETURN(std::vector<PatientRecord> records, source->Scan());
  for (const PatientRecord& record : records) {
    Series series;
    series.uid = record.patient_id;
    series.mhd = record.files.front();
    auto subset = record.labels.find("subset");
    if (subset == record.labels.end() || !absl::SimpleAtoi(subset->second, &series.subset)) {
      return absl::InternalError(absl::StrCat(series.mhd, ": luna16 source gave no subset"));
    }
    if (!series_by_uid_.emplace(series.uid, static_cast<int>(series_.size())).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "root: series ", series.uid, " appears twice (", series_[series_by_uid_[series.uid]].mhd,
          " and ", series.mhd, ")"));
    }
    series_.push_back(std::move(series));
  }
  return absl::OkStatus();
}

absl::Status Luna16Task::ReadCandidates(std::map<std::string, int64_t>* missing) {
  GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<CsvReader> csv, CsvReader::Open(candidates_path_));
  std::vector<std::string> header = csv->header();
  if (!header.empty() && absl::StartsWith(header[0], "\xEF\xBB\xBF")) header[0].erase(0, 3);
  const std::vector<std::string> names = {"seriesuid", "coordX", "coordY", "coordZ", "class"};
  std::vector<int> column;
  for (const std::string& name : names) {
    auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) {
      return absl::InvalidArgumentError(absl::StrCat(candidates_path_, ": missing column '", name,
                                                     "' (columns: ", absl::StrJoin(header, ", "),
                                                     ")"));
    }
    column.push_back(static_cast<int>(it - header.begin()));
  }
  const bool skip_bad = options_.bad_rows() == "skip";
  std::vector<std::string> row;
  for (int64_t index = 0;; ++index) {
    absl::StatusOr<bool> more = csv->Next(&row);
    std::string problem;
    if (!more.ok()) {
      problem = std::string(more.status().message());
    } else if (!*more) {
      break;
    }
    Candidate candidate;
    candidate.row = index;
    TaskSample sample;
    for (int k = 0; problem.empty() && k < 3; ++k) {
      const std::string& text = row[column[k + 1]];
      if (!absl::SimpleAtod(text, &candidate.world[k]) || !std::isfinite(candidate.world[k])) {
        problem = absl::StrCat(candidates_path_, ":", csv->line(), ": column '", names[k + 1],
                               "': expected a number (mm), got '", text, "'");
      }
    }
    if (problem.empty()) {
      const std::string& label = row[column[4]];
      if (label == "0" || label == "1") {
        sample.label = label == "1";
      } else {
        problem = absl::StrCat(candidates_path_, ":", csv->line(),
                               ": column 'class': expected 0 or 1, got '", label, "'");
      }
    }
    if (problem.empty() && row[column[0]].empty()) {
      problem = absl::StrCat(candidates_path_, ":", csv->line(), ": column 'seriesuid': empty");
    }
    if (!problem.empty()) {
      if (!skip_bad) {
        return absl::InvalidArgumentError(
            absl::StrCat(problem, " (set bad_rows: \"skip\" to leave such rows out)"));
      }
      bad_rows_.push_back({csv->line(), problem});
      continue;
    }
    auto series = series_by_uid_.find(row[column[0]]);
    if (series == series_by_uid_.end()) {
      ++(*missing)[row[column[0]]];
      continue;
    }
    candidate.series = series->second;
    sample.id = absl::StrFormat("cand_%07d", index);
    sample.group = sample.patient = row[column[0]];
    sample.columns = {row[column[0]], row[column[1]], row[column[2]], row[column[3]]};
    samples_.push_back(std::move(sample));
    candidates_.push_back(candidate);
  }
  return absl::OkStatus();
}

void Luna16Task::DownsampleNegatives() {
  // Per subset: exactly round(fraction * n) negatives, the smallest seeded keys.
  std::map<int, std::vector<std::pair<uint64_t, int64_t>>> negatives;
  for (size_t i = 0; i < samples_.size(); ++i) {
    Candidate& c = candidates_[i];
    if (samples_[i].label == 1) {
      c.kept = true;
      continue;
    }
    const int subset = series_[c.series].subset;
    RandomStream rng(options_.negative_seed(), RandomStream::kSampling, subset, c.row);
    negatives[subset].emplace_back(rng.NextU64(), static_cast<int64_t>(i));
  }
  for (auto& [subset, keyed] : negatives) {
    std::sort(keyed.begin(), keyed.end());
    const size_t keep = static_cast<size_t>(
        std::llround(options_.negative_fraction() * static_cast<double>(keyed.size())));
    for (size_t k = 0; k < keep && k < keyed.size(); ++k) candidates_[keyed[k].second].kept = true;
  }
}

absl::Status Luna16Task::List() {
  if (options_.root().empty()) return absl::InvalidArgumentError("root: must be set");
  root_ = fs::absolute(options_.root()).lexically_normal().string();
  if (!root_.empty() && root_.back() == '/') root_.pop_back();
  series_.clear();
  series_by_uid_.clear();
  samples_.clear();
  candidates_.clear();
  bad_rows_.clear();
  missing_series_.clear();
  store_.reset();
  position_.clear();
  GENESIS_RETURN_IF_ERROR(ListSeries());

  if (!options_.candidates().empty()) {
    candidates_path_ = dataset::ResolvePath(root_, options_.candidates());
  } else {
    candidates_path_ = root_ + "/candidates_V2.csv";
    if (!dataset::IsFile(candidates_path_)) {
      candidates_path_ = root_ + "/candidates_V2/candidates_V2.csv";
    }
  }
  GENESIS_RETURN_IF_ERROR(dataset::CheckFile(
      candidates_path_, "candidates: the candidate list (seriesuid,coordX,coordY,coordZ,class)"));
  std::map<std::string, int64_t> missing;
  GENESIS_RETURN_IF_ERROR(ReadCandidates(&missing));
  if (!bad_rows_.empty()) {
    LOG(WARNING) << candidates_path_ << ": skipped " << bad_rows_.size()
                 << " malformed row(s) (bad_rows: skip); first: " << bad_rows_.front().problem;
  }
  if (!missing.empty()) {
    int64_t count = 0;
    std::vector<std::string> first;
    for (const auto& [uid, n] : missing) {
      count += n;
      missing_series_.emplace_back(uid, n);
      if (first.size() < kMaxReported) first.push_back(uid);
    }
    const std::string message = absl::StrCat(
        candidates_path_, ": ", count, " candidate(s) of ", missing.size(),
        " series without a .mhd under ", root_, "/subset*/ (first: ", absl::StrJoin(first, ", "),
        missing.size() > first.size() ? ", ..." : "", ")");
    if (options_.missing_series() == "error") {
      return absl::NotFoundError(
          absl::StrCat(message, "; set missing_series: \"warn\" to leave them out"));
    }
    LOG(WARNING) << message << "; left out (listed in <cache>/missing_series.csv)";
  }
  if (samples_.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(candidates_path_, ": no candidate of a listed series"));
  }
  DownsampleNegatives();
  if (options_.downsample_test()) {
    // Samples are the kept candidates only.
    const size_t listed = samples_.size();
    size_t out = 0;
    for (size_t i = 0; i < samples_.size(); ++i) {
      if (!candidates_[i].kept) continue;
      if (out != i) {
        samples_[out] = std::move(samples_[i]);
        candidates_[out] = candidates_[i];
      }
      ++out;
    }
    samples_.resize(out);
    candidates_.resize(out);
    if (samples_.empty()) {
      // Only negatives, and too few for negative_fraction to keep one: an empty task would
      // only fail later, in Folds(), with a message about the call order.
      return absl::InvalidArgumentError(absl::StrCat(
          candidates_path_, ": no candidate left after down-sampling: ", listed,
          " negative(s), no positive, and negative_fraction ", options_.negative_fraction(),
          " keeps none of them; list more candidates or set downsample_test: false"));
    }
  }
  for (size_t i = 0; i < samples_.size(); ++i) {
    series_[candidates_[i].series].samples.push_back(static_cast<int64_t>(i));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<TaskFold>> Luna16Task::Folds(uint64_t seed) const {
  if (samples_.empty()) return absl::FailedPreconditionError("luna16: Folds() before List()");
  std::vector<TaskFold> folds;
  for (size_t f = 0; f < folds_.size(); ++f) {
    const std::set<int> test(folds_[f].begin(), folds_[f].end());
    TaskFold fold;
    fold.name = FoldName(folds_[f]);
    // Training scans (with candidates), ordered by a seeded key; the first n_val validate.
    std::vector<std::pair<uint64_t, int>> train_scans;
    for (size_t s = 0; s < series_.size(); ++s) {
      if (series_[s].samples.empty()) continue;
      if (test.count(series_[s].subset)) {
        for (int64_t i : series_[s].samples) fold.test.push_back(i);
        continue;
      }
      RandomStream rng(seed, RandomStream::kSplit, Fnv1a64(series_[s].uid), f);
      train_scans.emplace_back(rng.NextU64(), static_cast<int>(s));
    }
    std::sort(train_scans.begin(), train_scans.end());
    size_t n_val = 0;
    if (options_.val_fraction() > 0 && train_scans.size() >= 2) {
      n_val = std::max<size_t>(
          1, std::llround(options_.val_fraction() * static_cast<double>(train_scans.size())));
      n_val = std::min(n_val, train_scans.size() - 1);
    }
    std::vector<int> val_scans, fit_scans;
    for (size_t k = 0; k < train_scans.size(); ++k) {
      (k < n_val ? val_scans : fit_scans).push_back(train_scans[k].second);
    }
    std::sort(val_scans.begin(), val_scans.end());
    std::sort(fit_scans.begin(), fit_scans.end());
    for (int s : val_scans) {
      for (int64_t i : series_[s].samples) {
        if (candidates_[i].kept) fold.val.push_back(i);
      }
    }
    for (int s : fit_scans) {
      for (int64_t i : series_[s].samples) {
        if (!candidates_[i].kept) continue;
        for (int32_t copy = 0; copy < CachedCopies(i); ++copy) fold.train.push_back({i, copy});
      }
    }
    std::sort(fold.test.begin(), fold.test.end());
    std::sort(fold.val.begin(), fold.val.end());
    folds.push_back(std::move(fold));
  }
  return folds;
}

std::string Luna16Task::CacheKey() const {
  // Options that change pixels or which copies exist; not folds, validation or reporting.
  Luna16TaskOptions pixel_options = options_;
  pixel_options.clear_root();
  pixel_options.clear_candidates();
  pixel_options.clear_annotations();
  pixel_options.clear_annotations_excluded();
  pixel_options.clear_val_fraction();
  pixel_options.clear_fold_subsets();
  pixel_options.clear_missing_series();
  pixel_options.clear_bad_rows();
  pixel_options.clear_dataset_name();
  std::string key = absl::StrCat(kCacheFormat, "\noptions ", pixel_options.ShortDebugString(),
                                 "\nviews ", views_, "\ncandidates ", FileStamp(candidates_path_),
                                 "\nsamples ", samples_.size(), "\n");
  for (const Series& series : series_) {
    if (series.samples.empty()) continue;
    absl::StrAppend(&key, "scan ", FileStamp(series.mhd));
    const std::string data = MetaImageDataFile(series.mhd);
    if (!data.empty()) absl::StrAppend(&key, " data ", FileStamp(data));
    absl::StrAppend(&key, "\n");
  }
  return key;
}

absl::Status Luna16Task::OpenCache(const std::string& dir) {
  GENESIS_ASSIGN_OR_RETURN(store_, SliceStoreReader::Open(dir));
  position_.clear();
  const int64_t n = store_->size(Split::kTrain);
  position_.reserve(n);
  for (int64_t k = 0; k < n; ++k) {
    const StoredSliceInfo& info = store_->info(Split::kTrain, k);
    if (info.width != options_.size() || info.height != options_.size()) {
      return absl::DataLossError(absl::StrCat(dir, ": patch ", k, " is ", info.width, "x",
                                              info.height, ", expected size ", options_.size()));
    }
    position_[info.slice_index] = k;
  }
  for (size_t i = 0; i < samples_.size(); ++i) {
    for (int32_t copy = 0; copy < CachedCopies(i); ++copy) {
      if (!position_.count(candidates_[i].row * kCopyStride + copy)) {
        return absl::DataLossError(absl::StrCat(dir, ": no patch of ", samples_[i].id, " copy ",
                                                copy, " (incomplete cache)"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Luna16Task::ExtractCopy(const Volume& volume, int64_t sample, int32_t copy,
                                     std::vector<float>* pixels,
                                     std::array<double, 2>* spacing) const {
  const Candidate& c = candidates_[sample];
  const int size = options_.size();
  pixels->assign(static_cast<size_t>(size) * size, luna16::kOutsideHu);
  GENESIS_ASSIGN_OR_RETURN(const luna16::Vec3 index,
                           luna16::ContinuousIndex(volume, c.world));
  const int view = copy % views_;
  const int augmented = copy / views_;
  luna16::PlaneSpec spec;
  if (augmented > 0) {
    RandomStream rng(options_.augment_seed(), RandomStream::kAugment, c.row, copy);
    spec.augmentation = luna16::DrawAugmentation(ranges_, rng);
  }
  const double native_min =
      std::min({volume.spacing[0], volume.spacing[1], volume.spacing[2]});
  if (options_.method() == "planes") {
    const luna16::PlaneKind kind = planes_[view];
    spec.orientation = luna16::OrientationOf(kind);
    if (options_.spacing_mm() == 0) {
      const std::array<int64_t, 3> centre = luna16::RoundIndex(index);
      // The plane's column and row axes, at their own native spacing.
      const int a = kind == luna16::PlaneKind::kSagittal ? 1 : 0;
      const int b = kind == luna16::PlaneKind::kAxial ? 1 : 2;
      *spacing = {volume.spacing[a], volume.spacing[b]};
      if (augmented == 0) {
        luna16::NativePlane(volume, centre, kind, size, pixels->data());
      } else {
        spec.centre = {static_cast<double>(centre[0]), static_cast<double>(centre[1]),
                       static_cast<double>(centre[2])};
        spec.pixel_mm_u = volume.spacing[a];
        spec.pixel_mm_v = volume.spacing[b];
        luna16::SamplePlane(volume, spec, size, pixels->data());
      }
    } else {
      spec.centre = index;
      spec.pixel_mm_u = spec.pixel_mm_v = options_.spacing_mm();
      luna16::SamplePlane(volume, spec, size, pixels->data());
      *spacing = {options_.spacing_mm(), options_.spacing_mm()};
    }
  } else {  // cube
    const double pixel = options_.spacing_mm() > 0 ? options_.spacing_mm() : native_min;
    if (view > 0) {
      RandomStream rng(options_.augment_seed(), RandomStream::kAugment, c.row,
                       (uint64_t{1} << 32) | static_cast<uint64_t>(view));
      spec.orientation = luna16::RandomOrientation(rng);
    }
    spec.centre = index;
    spec.pixel_mm_u = spec.pixel_mm_v = pixel;
    spec.cube_half_mm = size * pixel / 2;
    luna16::SamplePlane(volume, spec, size, pixels->data());
    *spacing = {pixel, pixel};
  }
  luna16::ApplyWindow(window_, pixels->data(), static_cast<int64_t>(pixels->size()));
  return absl::OkStatus();
}


absl::Status Luna16Task::ExtractSeries(const Series& series, int threads,
                                       SliceStoreWriter* writer) const {
  MetaImageReaderOptions reader_options;
  reader_options.set_modality("CT");
  reader_options.set_max_time_points(1);
  GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<ImageReader> reader,
                           Registry<ImageReader>::Get().Create("metaimage", reader_options));
  GENESIS_ASSIGN_OR_RETURN(std::vector<Volume> volumes, reader->Read(series.mhd));
  if (volumes.empty()) return absl::DataLossError(absl::StrCat(series.mhd, ": no volume"));
  const Volume& volume = volumes.front();

  std::vector<std::pair<int64_t, int32_t>> jobs;
  for (int64_t i : series.samples) {
    for (int32_t copy = 0; copy < CachedCopies(i); ++copy) jobs.emplace_back(i, copy);
  }
  std::vector<std::vector<float>> pixels(jobs.size());
  std::vector<std::array<double, 2>> spacing(jobs.size());
  std::vector<absl::Status> status(jobs.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t j = next++; j < jobs.size(); j = next++) {
      status[j] = ExtractCopy(volume, jobs[j].first, jobs[j].second, &pixels[j], &spacing[j]);
    }
  };
  const int n = std::max(1, std::min<int>(threads, static_cast<int>(jobs.size())));
  std::vector<std::thread> pool;
  for (int t = 1; t < n; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();

  Slice slice;
  slice.width = slice.height = options_.size();
  slice.modality = Modality::kCT;
  slice.dataset = options_.dataset_name();
  slice.patient_id = series.uid;
  for (size_t j = 0; j < jobs.size(); ++j) {
    if (!status[j].ok()) return Annotate(status[j], samples_[jobs[j].first].id);
    slice.pixels = std::move(pixels[j]);
    slice.spacing = spacing[j];
    slice.slice_index = candidates_[jobs[j].first].row * kCopyStride + jobs[j].second;
    GENESIS_RETURN_IF_ERROR(writer->Add(slice, Split::kTrain));
  }
  return absl::OkStatus();
}

absl::Status Luna16Task::BuildCache(const std::string& dir, int threads) {
  const std::string partial = TempPathFor(dir);
  std::error_code ec;
  fs::remove_all(partial, ec);
  SliceStoreOptions store_options;
  store_options.set_pixel_type(options_.cache_pixel_type());
  store_options.set_slices_per_shard(4096);
  GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<SliceStoreWriter> writer,
                           SliceStoreWriter::Create(partial, store_options));
  int64_t done = 0, scans = 0;
  for (const Series& series : series_) scans += !series.samples.empty();
  for (const Series& series : series_) {
    if (series.samples.empty()) continue;
    GENESIS_RETURN_IF_ERROR(ExtractSeries(series, threads, writer.get()));
    if (++done % 50 == 0 || done == scans) {
      LOG(INFO) << "luna16: extracted patches of " << done << "/" << scans << " scans";
    }
  }
  GENESIS_RETURN_IF_ERROR(writer->Finish());
  GENESIS_RETURN_IF_ERROR(WriteFileAtomically(partial + "/cache_key.txt", CacheKey()));
  fs::remove_all(dir, ec);
  fs::rename(partial, dir, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("cannot rename ", partial, " to ", dir, ": ", ec.message()));
  }
  return absl::OkStatus();
}

absl::Status Luna16Task::WriteReports(const std::string& cache_dir) const {
  std::string missing = CsvLine({"seriesuid", "candidates"});
  for (const auto& [uid, n] : missing_series_) missing += CsvLine({uid, absl::StrCat(n)});
  GENESIS_RETURN_IF_ERROR(WriteFileAtomically(cache_dir + "/missing_series.csv", missing));
  std::string bad = CsvLine({"line", "problem"});
  for (const BadRow& row : bad_rows_) bad += CsvLine({absl::StrCat(row.line), row.problem});
  return WriteFileAtomically(cache_dir + "/bad_rows.csv", bad);
}

absl::Status Luna16Task::Prepare(const TaskContext& context) {
  if (samples_.empty()) return absl::FailedPreconditionError("luna16: Prepare() before List()");
  if (context.cache_dir.empty()) return absl::InvalidArgumentError("luna16: no cache_dir");
  std::error_code ec;
  if (context.build_cache) fs::create_directories(context.cache_dir, ec);
  const std::string dir = context.cache_dir + "/luna16";
  // Sub-runs sharded over processes share the cache: one builds, the others wait and reuse.
  GENESIS_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(dir + ".lock"));
  const std::string key = CacheKey();
  std::string why = "no cache yet";
  if (absl::StatusOr<std::string> stored = ReadFile(dir + "/cache_key.txt"); stored.ok()) {
    if (*stored != key) {
      why = "inputs or pixel options changed";
    } else if (absl::Status open = OpenCache(dir); !open.ok()) {
      why = std::string(open.message());
    } else {
      LOG(INFO) << "luna16: reusing the patch cache " << dir << " (" << store_->size(Split::kTrain)
                << " patches)";
      return context.build_cache ? WriteReports(context.cache_dir) : absl::OkStatus();
    }
  }
  store_.reset();
  if (!context.build_cache) {
    return absl::FailedPreconditionError(absl::StrCat(
        "luna16: the patch cache ", dir, " cannot be used (", why,
        ") and this process only reads it (rank 0 of a data-parallel run builds it)"));
  }
  LOG(INFO) << "luna16: extracting patches into " << dir << " (" << why << ")";
  GENESIS_RETURN_IF_ERROR(BuildCache(dir, std::max(1, context.num_threads)));
  GENESIS_RETURN_IF_ERROR(OpenCache(dir));
  return WriteReports(context.cache_dir);
}

absl::Status Luna16Task::Load(const SampleRef& ref, const Augmentation& augmentation,
                              Slice* image) const {
  // Augmented copies are cached data (fixed by augment_seed); `augmentation` adds nothing.
  if (store_ == nullptr) return absl::FailedPreconditionError("luna16: Load() before Prepare()");
  if (ref.index < 0 || ref.index >= static_cast<int64_t>(samples_.size())) {
    return absl::OutOfRangeError(
        absl::StrCat("luna16: sample ", ref.index, " of ", samples_.size()));
  }
  if (ref.copy < 0 || ref.copy >= CachedCopies(ref.index)) {
    return absl::OutOfRangeError(absl::StrCat("luna16: ", samples_[ref.index].id, " has copies 0..",
                                              CachedCopies(ref.index) - 1, ", asked for ",
                                              ref.copy));
  }
  auto it = position_.find(candidates_[ref.index].row * kCopyStride + ref.copy);
  if (it == position_.end()) {
    return absl::InternalError(absl::StrCat("luna16: ", samples_[ref.index].id, " copy ",
                                            ref.copy, " is not in the cache"));
  }
  GENESIS_ASSIGN_OR_RETURN(Slice slice, store_->Read(Split::kTrain, it->second));
  image->width = slice.width;
  image->height = slice.height;
  image->pixels = std::move(slice.pixels);
  return absl::OkStatus();
}

std::map<std::string, std::string> Luna16Task::Info() const {
  std::map<std::string, std::string> info;
  if (options_.root().empty()) return info;
  const std::string root = fs::absolute(options_.root()).lexically_normal().string();
  auto add = [&](const std::string& key, const std::string& option,
                 const std::vector<std::string>& defaults) {
    std::vector<std::string> paths = defaults;
    if (!option.empty()) paths = {option};
    for (const std::string& rel : paths) {
      const std::string path = dataset::ResolvePath(root, rel);
      if (dataset::IsFile(path)) {
        info[key] = path;
        return;
      }
    }
  };
  add("annotations", options_.annotations(), {"annotations.csv"});
  add("annotations_excluded", options_.annotations_excluded(),
      {"annotations_excluded.csv", "evaluationScript/annotations/annotations_excluded.csv"});
  return info;
}

absl::Status Luna16Task::WriteTaskPredictions(absl::string_view split,
                                              const std::vector<int64_t>& indices,
                                              const std::vector<float>& scores,
                                              const std::string& dir) const {
  if (indices.size() != scores.size()) {
    return absl::InvalidArgumentError(absl::StrCat("luna16: ", indices.size(), " indices but ",
                                                   scores.size(), " scores"));
  }
  std::string text = CsvLine({"seriesuid", "coordX", "coordY", "coordZ", "probability", "label"});
  for (size_t k = 0; k < indices.size(); ++k) {
    const int64_t i = indices[k];
    if (i < 0 || i >= static_cast<int64_t>(samples_.size())) {
      return absl::OutOfRangeError(absl::StrCat("luna16: sample ", i, " of ", samples_.size()));
    }
    const TaskSample& s = samples_[i];
    text += CsvLine({s.columns[0], s.columns[1], s.columns[2], s.columns[3],
                     absl::StrFormat("%.9g", scores[k]), absl::StrCat(s.label)});
  }
  return WriteFileAtomically(absl::StrCat(dir, "/submission_", split, ".csv"), text);
}

}  // namespace

GENESIS_REGISTER_TASK(Luna16Task, "luna16", Luna16TaskOptions,
                      "LUNA16 nodule false-positive reduction (candidates_V2.csv, 5 folds by "
                      "subset pairs, 2D patches through each candidate)");

}  // namespace genesis
