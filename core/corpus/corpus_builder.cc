#include "core/corpus/corpus_builder.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/corpus/manifest.h"
#include "core/corpus/split.h"
#include "core/corpus/summary.h"
#include "core/csv.h"
#include "core/dataset_source.h"
#include "core/file_util.h"
#include "core/image_reader.h"
#include "core/preprocessor.h"
#include "core/random.h"
#include "core/sampler.h"
#include "core/slice_store.h"
#include "core/status_macros.h"
#include "core/task.h"
#include "glog/logging.h"

namespace genesis {
namespace {

namespace fs = std::filesystem;

struct NamedReader {
  std::string name;
  std::unique_ptr<ImageReader> reader;
};

// Where a plan's volume lives.
struct VolumeRef {
  size_t patient = 0;  // Index into patients.
  size_t file = 0;     // Index into the patient's files.
  int64_t volume_in_file = 0;
  int reader = -1;  // Index into readers.
  size_t manifest_row = 0;
};

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

absl::StatusOr<std::vector<NamedReader>> MakeReaders(const CorpusStage& options) {
  std::vector<NamedReader> readers;
  std::vector<PluginSpec> specs(options.reader().begin(), options.reader().end());
  if (specs.empty()) {
    for (const std::string& name : Registry<ImageReader>::Get().Names()) {
      PluginSpec spec;
      spec.set_type(name);
      specs.push_back(spec);
    }
  }
  for (const PluginSpec& spec : specs) {
    GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<ImageReader> reader,
                             Registry<ImageReader>::Get().Create(spec));
    readers.push_back({spec.type(), std::move(reader)});
  }
  if (readers.empty()) {
    return absl::FailedPreconditionError(
        "corpus: no image readers linked or configured (depend on //plugins/reader:all)");
  }
  return readers;
}

int FindReader(const std::vector<NamedReader>& readers, const std::string& path) {
  for (size_t i = 0; i < readers.size(); ++i) {
    if (readers[i].reader->CanRead(path)) return static_cast<int>(i);
  }
  return -1;
}

// Runs `fn(i)` for i in [0, n) on up to `threads` threads.
void ParallelFor(int64_t n, int threads, const std::function<void(int64_t)>& fn) {
  threads = static_cast<int>(std::min<int64_t>(std::max(1, threads), n));
  if (threads <= 1) {
    for (int64_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<int64_t> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int64_t i = next++; i < n; i = next++) fn(i);
    });
  }
  for (auto& t : pool) t.join();
}

int64_t NonFiniteCount(const float* values, size_t n) {
  int64_t bad = 0;
  for (size_t i = 0; i < n; ++i) bad += std::isfinite(values[i]) ? 0 : 1;
  return bad;
}

// A stored slice, for the duplicate-content report.
struct StoredContent {
  PatientKey patient;
  Split split;
  std::string file;
  int64_t volume = 0;
  int64_t z = 0;
};

// 64-bit FNV-1a of the pixels' bytes; 0 for a constant slice (blank air, padding), which is
// the same in every patient and says nothing about duplicated images.
uint64_t ContentHash(const std::vector<float>& pixels) {
  if (pixels.empty() ||
      std::all_of(pixels.begin(), pixels.end(), [&](float v) { return v == pixels[0]; })) {
    return 0;
  }
  const uint64_t h = Fnv1a64(absl::string_view(reinterpret_cast<const char*>(pixels.data()),
                                               pixels.size() * sizeof(float)));
  return h == 0 ? 1 : h;
}

// Writes every group of identical slices that spans more than one patient to `csv` (always
// written, header only when clean) and warns, or fails when `policy` is "fail".
absl::Status ReportDuplicates(const std::map<uint64_t, std::vector<StoredContent>>& contents,
                              const std::string& csv, const std::string& policy) {
  std::string text = CsvLine({"group", "content_hash", "dataset", "patient_id", "split", "file",
                              "volume", "slice"});
  int64_t groups = 0, slices = 0;
  std::string example;
  for (const auto& [hash, stored] : contents) {
    bool several = false;
    for (const StoredContent& c : stored) several |= c.patient != stored[0].patient;
    if (!several) continue;
    ++groups;
    for (const StoredContent& c : stored) {
      ++slices;
      text += CsvLine({absl::StrCat(groups), absl::StrCat(absl::Hex(hash, absl::kZeroPad16)),
                       c.patient.first, c.patient.second, std::string(SplitName(c.split)),
                       c.file, absl::StrCat(c.volume), absl::StrCat(c.z)});
    }
    if (example.empty()) {
      std::vector<std::string> who;
      for (const StoredContent& c : stored) {
        who.push_back(absl::StrCat(c.patient.first, "/", c.patient.second, " (",
                                   SplitName(c.split), ")"));
      }
      example = absl::StrJoin(who, ", ");
    }
  }
  GENESIS_RETURN_IF_ERROR(WriteFileAtomically(csv, text));
  if (groups == 0) return absl::OkStatus();
  const std::string message = absl::StrCat(
      "corpus: ", groups, " group(s) of identical slices (", slices,
      " slices) span more than one patient -- possible leakage between splits; e.g. ", example,
      "; all listed in ", csv);
  if (policy == "fail") {
    return absl::FailedPreconditionError(
        absl::StrCat(message, " (duplicates: \"fail\"; set \"warn\" to go on)"));
  }
  LOG(WARNING) << message;
  return absl::OkStatus();
}

absl::Status CheckPlans(const std::vector<SlicePlan>& plans, absl::string_view who) {
  for (const SlicePlan& plan : plans) {
    for (size_t i = 0; i < plan.selected.size(); ++i) {
      const int64_t z = plan.selected[i];
      if (z < 0 || z >= plan.num_slices || (i > 0 && z <= plan.selected[i - 1])) {
        return absl::InternalError(
            absl::StrCat(who, " produced an invalid selection for ", plan.patient->dataset, "/",
                         plan.patient->patient_id, " volume ", plan.volume_index, ": z ", z, " of ",
                         plan.num_slices, " (must be ascending, in range)"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateCorpusStage(const CorpusStage& o) {
  GENESIS_RETURN_IF_ERROR(Annotate(SliceStoreWriter::Validate(o.store()), "store"));
  GENESIS_RETURN_IF_ERROR(ValidateSplitOptions(o.split()));
  if (o.duplicates() != "warn" && o.duplicates() != "fail") {
    return absl::InvalidArgumentError(
        absl::StrCat("duplicates: expected \"warn\" or \"fail\", got \"", o.duplicates(), "\""));
  }
  if (o.num_threads() < 0 || o.num_threads() > 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat("num_threads: must be in [0, 1024] (0 = the run's), got ", o.num_threads()));
  }
  if (o.read_cache_mb() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("read_cache_mb: must be >= 0, got ", o.read_cache_mb()));
  }
  if (o.preprocessor_size() == 0 && o.dataset_size() > 0 && o.store().pixel_type() == "uint16") {
    return absl::InvalidArgumentError(
        "preprocessor: none given, but a uint16 store needs intensities in [0,1]; add "
        "`preprocessor { type: \"modality_normalize\" }` (CT HU window, MR per-slice max, "
        "X-ray bit depth) or use `store { pixel_type: \"float32\" }` for raw values");
  }
  for (int i = 0; i < o.dataset_size(); ++i) {
    if (o.dataset(i).source().type().empty()) {
      return absl::InvalidArgumentError(absl::StrCat("dataset[", i, "].source: missing"));
    }
  }
  return absl::OkStatus();
}

namespace {

// Downstream test patients kept out of the corpus (cross-stage leakage guard):
// (dataset, patient_id) -> the task that tests on them.
using ExcludedPatients = std::map<std::pair<std::string, std::string>, std::string>;

// Lists the test patients of every `exclude_test_patients_of` task; only the tasks' metadata
// is read.
absl::StatusOr<ExcludedPatients> ListExcludedTestPatients(const CorpusStage& options,
                                                          uint64_t seed) {
  ExcludedPatients excluded;
  for (int t = 0; t < options.exclude_test_patients_of_size(); ++t) {
    const PluginSpec& spec = options.exclude_test_patients_of(t);
    const std::string where = absl::StrCat("exclude_test_patients_of[", t, "] (", spec.type(), ")");
    auto task = Registry<Task>::Get().Create(spec);
    if (!task.ok()) return Annotate(task.status(), where);
    GENESIS_RETURN_IF_ERROR(Annotate((*task)->List(), where));
    auto folds = (*task)->Folds(seed);
    if (!folds.ok()) return Annotate(folds.status(), where);
    const auto& samples = (*task)->samples();
    for (const TaskFold& fold : *folds) {
      for (int64_t i : fold.test) {
        const std::string& patient =
            samples[i].patient.empty() ? samples[i].group : samples[i].patient;
        excluded.emplace(std::make_pair((*task)->dataset_name(), patient), spec.type());
      }
    }
    LOG(INFO) << "corpus: " << where << ": " << excluded.size()
              << " downstream test patients kept out of the corpus so far";
  }
  return excluded;
}

// One file of one patient, read in pass 1.
struct FileJob {
  size_t patient = 0;  // Index into patients.
  size_t file = 0;     // Index into the patient's files.
};

// One BuildCorpus() call. Run() is the whole build; each step below it has one job and they
// run in the order they are declared, sharing the state at the bottom.
class CorpusBuild {
 public:
  CorpusBuild(const CorpusStage& options, const fs::path& out, uint64_t seed, int threads,
              CorpusBuildResult* result)
      : options_(options), out_(out), seed_(seed), threads_(threads), result_(result) {}

  absl::Status Run() {
    GENESIS_RETURN_IF_ERROR(MakePlugins());
    GENESIS_ASSIGN_OR_RETURN(excluded_, ListExcludedTestPatients(options_, seed_));

    const auto pass1_start = std::chrono::steady_clock::now();
    for (int d = 0; d < options_.dataset_size(); ++d) {
      dataset_begin_.push_back(plans_.size());
      GENESIS_RETURN_IF_ERROR(ListAndPlanDataset(d));
    }
    dataset_begin_.push_back(plans_.size());
    result_->patients = static_cast<int64_t>(patients_.size());
    result_->volumes = static_cast<int64_t>(plans_.size());
    GENESIS_RETURN_IF_ERROR(SampleSlices());
    GENESIS_RETURN_IF_ERROR(SplitPatients());
    result_->read_seconds = SecondsSince(pass1_start);

    const auto pass2_start = std::chrono::steady_clock::now();
    GENESIS_RETURN_IF_ERROR(StoreSlices());
    result_->write_seconds = SecondsSince(pass2_start);

    GENESIS_RETURN_IF_ERROR(CheckStoredSplits());
    GENESIS_RETURN_IF_ERROR(
        ReportDuplicates(contents_, (out_ / "duplicates.csv").string(), options_.duplicates()));
    GENESIS_RETURN_IF_ERROR(WriteReports());
    return FailIfNothingStored();
  }

 private:
  // ---- Setup ----

  // The configured readers (all linked ones when none is named) and preprocessors.
  absl::Status MakePlugins() {
    GENESIS_ASSIGN_OR_RETURN(readers_, MakeReaders(options_));
    for (const PluginSpec& spec : options_.preprocessor()) {
      GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<Preprocessor> p,
                               Registry<Preprocessor>::Get().Create(spec));
      preprocessors_.push_back(std::move(p));
    }
    return absl::OkStatus();
  }

  // Every file or slice that cannot be used becomes a skipped.csv row; the build goes on.
  void Skip(const std::string& file, const std::string& reason) {
    LOG(WARNING) << "corpus: skipped " << file << ": " << reason;
    result_->skipped.emplace_back(file, reason);
  }

  // ---- Pass 1: list, read every file once, plan every slice ----

  // Lists dataset `d` (a failed listing is an error unless the dataset is optional), drops
  // the excluded test patients, then reads and plans the rest's files.
  absl::Status ListAndPlanDataset(int d) {
    const DatasetSpec& spec = options_.dataset(d);
    const std::string where = absl::StrCat("dataset[", d, "] (", spec.source().type(), ")");
    auto source = Registry<DatasetSource>::Get().Create(spec.source());
    if (!source.ok()) return Annotate(source.status(), where);
    auto records = (*source)->Scan();
    if (!records.ok() && !spec.optional()) {
      return absl::FailedPreconditionError(
          absl::StrCat(where, ": cannot list the dataset: ", records.status().message(),
                       " (mark it `optional: true` to go on without it)"));
    }
    if (!records.ok()) {
      Skip(where, std::string(records.status().message()));
      return absl::OkStatus();
    }
    for (const auto& [input, reason] : (*source)->SkippedInputs()) Skip(input, reason);
    LOG(INFO) << "corpus: " << where << ": " << records->size() << " patients";
    // A patient comes from one dataset spec: the same (dataset, patient_id) from two specs (one
    // dataset listed twice, or two datasets given one `name`) would be stored twice under one
    // identity, its volumes numbered twice from 0, its duplicated slices invisible to the
    // duplicate-content check (which only compares patients).
    for (const PatientRecord& record : *records) {
      auto [first, inserted] =
          listed_by_.emplace(PatientKey{record.dataset, record.patient_id}, where);
      if (!inserted && first->second != where) {
        return absl::FailedPreconditionError(absl::StrCat(
            where, ": patient ", record.dataset, "/", record.patient_id, " is also listed by ",
            first->second, "; list each dataset once, or give the datasets distinct names "
            "(e.g. the source's `name` option)"));
      }
    }
    const size_t first_patient = patients_.size();
    std::vector<FileJob> jobs;
    for (PatientRecord& record : *records) {
      auto hit = excluded_.find(std::make_pair(record.dataset, record.patient_id));
      if (hit != excluded_.end()) {
        absl::StrAppend(&excluded_csv_,
                        CsvLine({record.dataset, record.patient_id, hit->second}), "\n");
        continue;
      }
      patients_.push_back(std::move(record));
      for (size_t f = 0; f < patients_.back().files.size(); ++f) {
        jobs.push_back({patients_.size() - 1, f});
      }
    }
    ReadAndPlanFiles(jobs, first_patient);
    return absl::OkStatus();
  }

  // Reads `jobs` `threads` files at a time (readers are const and independent per call) and
  // plans them in file order, so plans and reports do not depend on thread timing. Patients
  // from `first_patient` on learn their slice counts.
  void ReadAndPlanFiles(const std::vector<FileJob>& jobs, size_t first_patient) {
    std::vector<int64_t> patient_volumes(patients_.size() - first_patient, 0);
    std::vector<int64_t> patient_slices(patients_.size() - first_patient, 0);
    const size_t window = static_cast<size_t>(options_.parallel_reads() ? threads_ : 1);
    for (size_t w = 0; w < jobs.size(); w += window) {
      const size_t n = std::min(window, jobs.size() - w);
      std::vector<int> reader_of(n, -1);
      std::vector<absl::StatusOr<std::vector<Volume>>> reads(n, absl::UnknownError("unread"));
      ParallelFor(static_cast<int64_t>(n), static_cast<int>(window), [&](int64_t k) {
        const std::string& file = patients_[jobs[w + k].patient].files[jobs[w + k].file];
        reader_of[k] = FindReader(readers_, file);
        if (reader_of[k] >= 0) {
          reads[k] = readers_[reader_of[k]].reader->ReadWithHints(
              file, patients_[jobs[w + k].patient].hints);
        }
      });
      for (size_t j = 0; j < n; ++j) {
        const size_t i = jobs[w + j].patient - first_patient;
        PlanFile(jobs[w + j], reader_of[j], reads[j], &patient_volumes[i], &patient_slices[i]);
      }
    }
    for (size_t i = first_patient; i < patients_.size(); ++i) {
      patients_[i].slice_count = patient_slices[i - first_patient];
    }
  }

  // One read file -> a manifest row and a keep-all slice plan per usable volume (what cannot
  // be used is skipped); the volumes are then kept for pass 2 if the cache budget allows.
  void PlanFile(const FileJob& job, int r, absl::StatusOr<std::vector<Volume>>& volumes,
                int64_t* patient_volume, int64_t* slices) {
    PatientRecord& patient = patients_[job.patient];
    const std::string& file = patient.files[job.file];
    if (r < 0) {
      std::vector<std::string> names;
      for (const auto& nr : readers_) names.push_back(nr.name);
      Skip(file, absl::StrCat("no image reader accepts this file (tried ",
                              absl::StrJoin(names, ", "), ")"));
      return;
    }
    if (!volumes.ok()) {
      Skip(file, absl::StrCat(readers_[r].name, ": ", volumes.status().message()));
      return;
    }
    // Files the reader left out while reading the rest (a corrupt slice of a series).
    for (const Volume& v : *volumes) {
      for (const auto& [excluded, reason] : v.excluded_files) {
        Skip(excluded, absl::StrCat(readers_[r].name, ": ", reason));
      }
    }
    // A multi-channel file (e.g. MSD Prostate T2 + ADC) keeps only the channel its source
    // names in hints.channel; the other channels are dropped on purpose, not skipped.
    int64_t keep_channel = -1;
    if (patient.hints.channel && volumes->size() > 1) {
      keep_channel = *patient.hints.channel;
      if (keep_channel < 0 || keep_channel >= static_cast<int64_t>(volumes->size())) {
        Skip(file, absl::StrCat("read hint channel=", keep_channel, " but the file has ",
                                volumes->size(), " channels"));
        return;
      }
    }
    for (size_t k = 0; k < volumes->size(); ++k) {
      if (keep_channel >= 0 && static_cast<int64_t>(k) != keep_channel) continue;
      if (PlanVolume(job, r, static_cast<int64_t>(k), (*volumes)[k], *patient_volume)) {
        ++*patient_volume;
        *slices += (*volumes)[k].size[2];
      }
    }
    int64_t bytes = 0;
    for (const Volume& v : *volumes) bytes += static_cast<int64_t>(v.voxels.size() * sizeof(float));
    if (cache_bytes_ + bytes <= cache_budget()) {
      cache_bytes_ += bytes;
      cache_.emplace(std::make_pair(job.patient, job.file), std::move(volumes).value());
    }
    volumes = absl::UnknownError("released");
  }

  // Volume k of the job's file, the patient's `patient_volume`-th: false (and skipped) when
  // it is empty, inconsistent or entirely non-finite; otherwise planned with every slice.
  bool PlanVolume(const FileJob& job, int r, int64_t k, const Volume& v, int64_t patient_volume) {
    PatientRecord& patient = patients_[job.patient];
    const std::string& file = patient.files[job.file];
    if (v.size[0] <= 0 || v.size[1] <= 0 || v.size[2] <= 0 ||
        static_cast<int64_t>(v.voxels.size()) != v.num_voxels()) {
      Skip(file, absl::StrCat("volume ", k, ": empty or inconsistent size ", v.size[0], "x",
                              v.size[1], "x", v.size[2]));
      return false;
    }
    if (const int64_t bad = NonFiniteCount(v.voxels.data(), v.voxels.size());
        bad == v.num_voxels()) {
      Skip(file, absl::StrCat("volume ", k, ": every voxel (", bad,
                              ") is non-finite (NaN/Inf); nothing to store"));
      return false;
    }
    if (patient.modality == Modality::kUnknown) patient.modality = v.modality;
    ManifestRow row;
    row.dataset = patient.dataset;
    row.patient_id = patient.patient_id;
    row.modality = v.modality != Modality::kUnknown ? v.modality : patient.modality;
    row.body_part = patient.body_part;
    row.file = file;
    row.volume_index = k;
    row.patient_volume = patient_volume;
    row.slice_count = v.size[2];
    row.width = v.size[0];
    row.height = v.size[1];
    row.spacing = v.spacing;
    row.labels = patient.labels;
    SlicePlan plan;
    plan.patient = &patient;
    plan.volume_index = patient_volume;
    plan.num_slices = v.size[2];
    plan.selected.resize(v.size[2]);
    for (int64_t z = 0; z < v.size[2]; ++z) plan.selected[z] = z;
    plans_.push_back(std::move(plan));
    refs_.push_back({job.patient, job.file, k, r, manifest_.size()});
    manifest_.push_back(std::move(row));
    return true;
  }

  int64_t cache_budget() const { return static_cast<int64_t>(options_.read_cache_mb()) << 20; }

  // Per-dataset samplers on their datasets' plans, then corpus-wide balancers on all plans.
  absl::Status SampleSlices() {
    for (int d = 0; d < options_.dataset_size(); ++d) {
      const DatasetSpec& spec = options_.dataset(d);
      if (spec.sampler().type().empty()) continue;  // Keep all.
      GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<Sampler> sampler,
                               Registry<Sampler>::Get().Create(spec.sampler()));
      std::vector<SlicePlan> part(
          std::make_move_iterator(plans_.begin() + dataset_begin_[d]),
          std::make_move_iterator(plans_.begin() + dataset_begin_[d + 1]));
      RandomStream rng(seed_, RandomStream::kSampling, static_cast<uint64_t>(d));
      const std::string who =
          absl::StrCat("dataset[", d, "].sampler (", spec.sampler().type(), ")");
      GENESIS_RETURN_IF_ERROR(Annotate(sampler->Apply(part, rng), who));
      GENESIS_RETURN_IF_ERROR(CheckPlans(part, who));
      std::move(part.begin(), part.end(), plans_.begin() + dataset_begin_[d]);
    }
    for (int j = 0; j < options_.balancer_size(); ++j) {
      GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<Sampler> balancer,
                               Registry<Sampler>::Get().Create(options_.balancer(j)));
      RandomStream rng(seed_, RandomStream::kSampling, 1000000u + static_cast<uint64_t>(j));
      const std::string who =
          absl::StrCat("balancer[", j, "] (", options_.balancer(j).type(), ")");
      GENESIS_RETURN_IF_ERROR(Annotate(balancer->Apply(plans_, rng), who));
      GENESIS_RETURN_IF_ERROR(CheckPlans(plans_, who));
    }
    return absl::OkStatus();
  }

  // Patient-level split of every planned patient; writes split.csv (and the excluded task
  // patients when any task was named).
  absl::Status SplitPatients() {
    std::vector<PatientKey> keys;
    for (const SlicePlan& plan : plans_) {
      keys.push_back({plan.patient->dataset, plan.patient->patient_id});
    }
    GENESIS_ASSIGN_OR_RETURN(split_, PatientLevelSplit(keys, options_.split(), seed_));
    GENESIS_RETURN_IF_ERROR(WriteSplitCsv((out_ / "split.csv").string(), split_));
    if (options_.exclude_test_patients_of_size() > 0) {
      GENESIS_RETURN_IF_ERROR(
          WriteFileAtomically((out_ / "excluded_task_patients.csv").string(), excluded_csv_));
    }
    return absl::OkStatus();
  }

  // ---- Pass 2: read again, preprocess, hash, store ----

  // Streams every selected slice into store/, one file of one patient at a time.
  absl::Status StoreSlices() {
    GENESIS_ASSIGN_OR_RETURN(writer_,
                             SliceStoreWriter::Create((out_ / "store").string(), options_.store()));
    stored_per_plan_.assign(plans_.size(), 0);
    size_t p = 0;
    while (p < plans_.size()) {
      // Plans [p, q) share one file of one patient.
      size_t q = p + 1;
      while (q < plans_.size() && refs_[q].patient == refs_[p].patient &&
             refs_[q].file == refs_[p].file) {
        ++q;
      }
      GENESIS_RETURN_IF_ERROR(StoreFileSlices(p, q));
      p = q;
    }
    GENESIS_RETURN_IF_ERROR(writer_->Finish());
    writer_.reset();
    return absl::OkStatus();
  }

  // The selected slices of plans [p, q), which share one file: taken from the pass-1 cache or
  // read again (a failed second read skips the file).
  absl::Status StoreFileSlices(size_t p, size_t q) {
    const PatientRecord& patient = *plans_[p].patient;
    const Split patient_split = split_.at({patient.dataset, patient.patient_id});
    summary_.AddPatient(patient.dataset, patient.patient_id, patient.modality, patient.body_part,
                        patient_split);
    bool any = false;
    for (size_t i = p; i < q; ++i) any |= !plans_[i].selected.empty();
    absl::StatusOr<std::vector<Volume>> volumes = absl::UnknownError("not read");
    if (auto cached = cache_.find({refs_[p].patient, refs_[p].file}); cached != cache_.end()) {
      volumes = std::move(cached->second);
      cache_.erase(cached);
    } else if (any) {
      volumes = readers_[refs_[p].reader].reader->ReadWithHints(patient.files[refs_[p].file],
                                                                patient.hints);
    }
    if (!any) return absl::OkStatus();
    const std::string& file = patient.files[refs_[p].file];
    if (!volumes.ok()) {
      Skip(file, absl::StrCat(readers_[refs_[p].reader].name,
                              " (second read): ", volumes.status().message()));
      return absl::OkStatus();
    }
    // Sources whose files store shifted values (DeepLesion: HU = value - 32768) say so in
    // hints.value_offset; it is added before any preprocessor sees the slice.
    const float value_offset = patient.hints.value_offset.value_or(0.0f);
    for (size_t i = p; i < q; ++i) {
      if (plans_[i].selected.empty()) continue;
      GENESIS_RETURN_IF_ERROR(
          StorePlan(i, (*volumes)[refs_[i].volume_in_file], value_offset, patient_split));
    }
    return absl::OkStatus();
  }

  // Plan i's selected slices of `volume`: preprocessed on `threads` threads, then added to
  // the store in order. A slice with a non-finite voxel, or one a preprocessor or the store
  // rejects, is skipped.
  absl::Status StorePlan(size_t i, const Volume& volume, float value_offset, Split patient_split) {
    const SlicePlan& plan = plans_[i];
    const PatientRecord& patient = *plan.patient;
    const std::string& file = patient.files[refs_[i].file];
    std::vector<uint64_t> content_hash(plan.selected.size(), 0);  // 0 = constant slice.
    const std::vector<absl::StatusOr<Slice>> slices =
        PreprocessSlices(i, volume, value_offset, &content_hash);
    for (size_t s = 0; s < slices.size(); ++s) {
      const std::string what =
          absl::StrCat("volume ", refs_[i].volume_in_file, " slice ", plan.selected[s], ": ");
      if (!slices[s].ok()) {
        Skip(file, absl::StrCat(what, slices[s].status().message()));
        continue;
      }
      absl::Status added = writer_->Add(*slices[s], patient_split);
      if (absl::IsInvalidArgument(added)) {
        Skip(file, absl::StrCat(what, added.message()));
        continue;
      }
      GENESIS_RETURN_IF_ERROR(added);
      summary_.AddSlice(patient.dataset, patient.patient_id);
      if (content_hash[s] != 0) {
        contents_[content_hash[s]].push_back({{patient.dataset, patient.patient_id},
                                              patient_split,
                                              file,
                                              refs_[i].volume_in_file,
                                              plan.selected[s]});
      }
      ++stored_per_plan_[i];
      ++result_->slices_stored;
    }
    return absl::OkStatus();
  }

  // Plan i's selected slices, each checked for non-finite voxels, hashed (before any change,
  // for the duplicate report), shifted by `value_offset` and run through the preprocessors
  // with its own RandomStream, so the result does not depend on the thread count.
  std::vector<absl::StatusOr<Slice>> PreprocessSlices(size_t i, const Volume& volume,
                                                      float value_offset,
                                                      std::vector<uint64_t>* content_hash) const {
    const SlicePlan& plan = plans_[i];
    const PatientRecord& patient = *plan.patient;
    const Modality modality = manifest_[refs_[i].manifest_row].modality;
    const uint64_t patient_hash = Fnv1a64(absl::StrCat(patient.dataset, "/", patient.patient_id));
    std::vector<absl::StatusOr<Slice>> slices(plan.selected.size(),
                                              absl::UnknownError("not processed"));
    ParallelFor(static_cast<int64_t>(plan.selected.size()), threads_, [&](int64_t s) {
      const int64_t z = plan.selected[s];
      Slice slice = volume.AxialSlice(z);
      // The one NaN/Inf policy for every reader: a slice with a non-finite voxel is
      // skipped and reported, never stored with the voxel clamped or zeroed.
      if (const int64_t bad = NonFiniteCount(slice.pixels.data(), slice.pixels.size())) {
        slices[s] = absl::InvalidArgumentError(
            absl::StrCat(bad, " non-finite voxels (NaN/Inf); slice skipped"));
        return;
      }
      (*content_hash)[s] = ContentHash(slice.pixels);
      slice.dataset = patient.dataset;
      slice.patient_id = patient.patient_id;
      slice.modality = modality;
      if (value_offset != 0.0f) {
        for (float& v : slice.pixels) v += value_offset;
      }
      RandomStream rng(seed_, RandomStream::kPreprocess, patient_hash,
                       (static_cast<uint64_t>(plan.volume_index) << 32) | static_cast<uint64_t>(z));
      for (const auto& pre : preprocessors_) {
        absl::Status status = pre->Apply(slice, rng);
        if (!status.ok()) {
          slices[s] = status;
          return;
        }
      }
      slices[s] = std::move(slice);
    });
    return slices;
  }

  // ---- After the store is finished ----

  // Leakage check on what was actually stored: every stored slice's patient against one split.
  absl::Status CheckStoredSplits() {
    GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<SliceStoreReader> reader,
                             SliceStoreReader::Open((out_ / "store").string()));
    std::vector<SplitAssignment> assignments;
    for (const auto& [k, s] : split_) assignments.push_back({k, s, "split.csv"});
    // One assignment per (patient, split) pair found in the store keeps this O(patients).
    std::map<PatientKey, int> seen;  // Bit s set: the patient has slices in split s.
    for (int s = 0; s < kNumSplits; ++s) {
      const Split sp = static_cast<Split>(s);
      result_->slices_per_split[std::string(SplitName(sp))] = reader->size(sp);
      for (int64_t i = 0; i < reader->size(sp); ++i) {
        const StoredSliceInfo& info = reader->info(sp, i);
        int& bits = seen[{info.dataset, info.patient_id}];
        if (bits & (1 << s)) continue;
        bits |= 1 << s;
        assignments.push_back({{info.dataset, info.patient_id},
                               sp,
                               absl::StrCat("store ", SplitName(sp), " slice ", i)});
      }
    }
    return CheckNoLeakage(assignments);
  }

  // manifest.csv (with each volume's stored slice count), summary/ and skipped.csv.
  absl::Status WriteReports() {
    for (size_t i = 0; i < plans_.size(); ++i) {
      manifest_[refs_[i].manifest_row].selected_slices = stored_per_plan_[i];
    }
    GENESIS_RETURN_IF_ERROR(WriteManifest((out_ / "manifest.csv").string(), manifest_));
    GENESIS_RETURN_IF_ERROR(summary_.Write((out_ / "summary").string()));
    result_->slices_per_modality = summary_.SlicesPerModality();
    std::string skipped = CsvLine({"file", "reason"});
    for (const auto& [file, reason] : result_->skipped) skipped += CsvLine({file, reason});
    return WriteFileAtomically((out_ / "skipped.csv").string(), skipped);
  }

  // A corpus without a slice is an error naming the first skipped input; otherwise logs the
  // totals.
  absl::Status FailIfNothingStored() {
    if (result_->slices_stored == 0) {
      std::string why = result_->skipped.empty()
                            ? "no dataset listed a readable volume"
                            : absl::StrCat(result_->skipped.size(), " inputs skipped, the first: ",
                                           result_->skipped[0].first, ": ",
                                           result_->skipped[0].second);
      return absl::FailedPreconditionError(absl::StrCat(
          "corpus: no slice was stored (", why, "); see ", (out_ / "skipped.csv").string()));
    }
    LOG(INFO) << "corpus: " << result_->patients << " patients, " << result_->volumes
              << " volumes, " << result_->slices_stored << " slices stored (train "
              << result_->slices_per_split["train"] << ", val " << result_->slices_per_split["val"]
              << ", test " << result_->slices_per_split["test"] << "), "
              << result_->skipped.size() << " skipped; pass 1 (read, plan) "
              << result_->read_seconds << " s, pass 2 (read, preprocess, store) "
              << result_->write_seconds << " s";
    return absl::OkStatus();
  }

  // Inputs.
  const CorpusStage& options_;
  const fs::path out_;
  const uint64_t seed_;
  const int threads_;
  CorpusBuildResult* const result_;
  // Setup.
  std::vector<NamedReader> readers_;
  std::vector<std::unique_ptr<Preprocessor>> preprocessors_;
  ExcludedPatients excluded_;
  std::string excluded_csv_ = "dataset,patient_id,task\n";
  // Pass 1: patients (a deque, so plans can point at them), one plan, ref and manifest row
  // per usable volume, the first plan of each dataset spec, and pass-1 volumes kept for pass 2
  // keyed by (patient, file) within read_cache_mb.
  std::deque<PatientRecord> patients_;
  std::vector<SlicePlan> plans_;
  std::vector<VolumeRef> refs_;
  std::vector<ManifestRow> manifest_;
  std::vector<size_t> dataset_begin_;
  std::map<std::pair<size_t, size_t>, std::vector<Volume>> cache_;
  int64_t cache_bytes_ = 0;
  std::map<PatientKey, std::string> listed_by_;  // -> the first dataset spec listing it.
  PatientSplit split_;
  // Pass 2.
  std::unique_ptr<SliceStoreWriter> writer_;
  CorpusSummary summary_;
  std::map<uint64_t, std::vector<StoredContent>> contents_;  // Content hash -> stored slices.
  std::vector<int64_t> stored_per_plan_;
};

}  // namespace

absl::Status BuildCorpus(const CorpusStage& options, const std::string& out_dir, uint64_t seed,
                         int num_threads, CorpusBuildResult* result) {
  GENESIS_RETURN_IF_ERROR(ValidateCorpusStage(options));
  *result = CorpusBuildResult();
  const int threads = options.num_threads() > 0 ? options.num_threads() : std::max(1, num_threads);
  const fs::path out(out_dir);
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec)
    return absl::PermissionDeniedError(absl::StrCat(out_dir, ": cannot create: ", ec.message()));
  fs::remove_all(out / "store", ec);
  return CorpusBuild(options, out, seed, threads, result).Run();
}

}  // namespace genesis
