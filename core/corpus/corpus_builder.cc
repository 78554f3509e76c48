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

#include "absl/strings/numbers.h"
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

  GENESIS_ASSIGN_OR_RETURN(std::vector<NamedReader> readers, MakeReaders(options));
  std::vector<std::unique_ptr<Preprocessor>> preprocessors;
  for (const PluginSpec& spec : options.preprocessor()) {
    GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<Preprocessor> p,
                             Registry<Preprocessor>::Get().Create(spec));
    preprocessors.push_back(std::move(p));
  }
  auto skip = [&](const std::string& file, const std::string& reason) {
    LOG(WARNING) << "corpus: skipped " << file << ": " << reason;
    result->skipped.emplace_back(file, reason);
  };

  // Downstream test patients to keep out of pretraining (cross-stage leakage guard): only the
  // tasks' metadata is read.
  std::map<std::pair<std::string, std::string>, std::string> excluded;  // -> task
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
  std::string excluded_csv = "dataset,patient_id,task\n";

  // ---- Pass 1: scan, read every file once, plan. ----
  const auto pass1_start = std::chrono::steady_clock::now();
  std::deque<PatientRecord> patients;
  std::vector<SlicePlan> plans;
  std::vector<VolumeRef> refs;
  std::vector<ManifestRow> manifest;
  std::vector<size_t> dataset_begin;  // First plan of each dataset spec.
  // Pass-1 volumes kept for pass 2, keyed by (patient, file), within read_cache_mb.
  std::map<std::pair<size_t, size_t>, std::vector<Volume>> cache;
  const int64_t cache_budget = static_cast<int64_t>(options.read_cache_mb()) << 20;
  int64_t cache_bytes = 0;
  std::map<PatientKey, std::string> listed_by;  // -> the first dataset spec listing it.
  for (int d = 0; d < options.dataset_size(); ++d) {
    dataset_begin.push_back(plans.size());
    const DatasetSpec& spec = options.dataset(d);
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
      skip(where, std::string(records.status().message()));
      continue;
    }
    for (const auto& [input, reason] : (*source)->SkippedInputs()) skip(input, reason);
    LOG(INFO) << "corpus: " << where << ": " << records->size() << " patients";
    // A patient comes from one dataset spec: the same (dataset, patient_id) from two specs (one
    // dataset listed twice, or two datasets given one `name`) would be stored twice under one
    // identity, its volumes numbered twice from 0, its duplicated slices invisible to the
    // duplicate-content check (which only compares patients).
    for (const PatientRecord& record : *records) {
      auto [first, inserted] =
          listed_by.emplace(PatientKey{record.dataset, record.patient_id}, where);
      if (!inserted && first->second != where) {
        return absl::FailedPreconditionError(absl::StrCat(
            where, ": patient ", record.dataset, "/", record.patient_id, " is also listed by ",
            first->second, "; list each dataset once, or give the datasets distinct names "
            "(e.g. the source's `name` option)"));
      }
    }
    // Files are read `threads` at a time (readers are const and independent per call) and
    // handled in order, so the plans and reports do not depend on thread timing.
    const size_t first_patient = patients.size();
    std::vector<std::pair<size_t, size_t>> jobs;  // (patient index, file index)
    for (PatientRecord& record : *records) {
      auto hit = excluded.find(std::make_pair(record.dataset, record.patient_id));
      if (hit != excluded.end()) {
        absl::StrAppend(&excluded_csv, CsvLine({record.dataset, record.patient_id, hit->second}),
                        "\n");
        continue;
      }
      patients.push_back(std::move(record));
      for (size_t f = 0; f < patients.back().files.size(); ++f) {
        jobs.emplace_back(patients.size() - 1, f);
      }
    }
    std::vector<int64_t> patient_volumes(patients.size() - first_patient, 0);
    std::vector<int64_t> patient_slices(patients.size() - first_patient, 0);
    const size_t window = static_cast<size_t>(options.parallel_reads() ? threads : 1);
    for (size_t w = 0; w < jobs.size(); w += window) {
      const size_t n = std::min(window, jobs.size() - w);
      std::vector<int> reader_of(n, -1);
      std::vector<absl::StatusOr<std::vector<Volume>>> reads(n, absl::UnknownError("unread"));
      ParallelFor(static_cast<int64_t>(n), static_cast<int>(window), [&](int64_t k) {
        const std::string& file = patients[jobs[w + k].first].files[jobs[w + k].second];
        reader_of[k] = FindReader(readers, file);
        if (reader_of[k] >= 0) reads[k] = readers[reader_of[k]].reader->Read(file);
      });
      for (size_t j = 0; j < n; ++j) {
        const size_t patient_index = jobs[w + j].first;
        const size_t f = jobs[w + j].second;
        PatientRecord& patient = patients[patient_index];
        int64_t& patient_volume = patient_volumes[patient_index - first_patient];
        int64_t& slices = patient_slices[patient_index - first_patient];
        const std::string& file = patient.files[f];
        const int r = reader_of[j];
        if (r < 0) {
          std::vector<std::string> names;
          for (const auto& nr : readers) names.push_back(nr.name);
          skip(file, absl::StrCat("no image reader accepts this file (tried ",
                                  absl::StrJoin(names, ", "), ")"));
          continue;
        }
        absl::StatusOr<std::vector<Volume>>& volumes = reads[j];
        if (!volumes.ok()) {
          skip(file, absl::StrCat(readers[r].name, ": ", volumes.status().message()));
          continue;
        }
        // Files the reader left out while reading the rest (a corrupt slice of a series).
        for (const Volume& v : *volumes) {
          for (const auto& [excluded, reason] : v.excluded_files) {
            skip(excluded, absl::StrCat(readers[r].name, ": ", reason));
          }
        }
        // A multi-channel file (e.g. MSD Prostate T2 + ADC) keeps only the channel its source
        // names in labels["channel"]; the other channels are dropped on purpose, not skipped.
        int64_t keep_channel = -1;
        if (auto it = patient.labels.find("channel");
            it != patient.labels.end() && volumes->size() > 1) {
          if (!absl::SimpleAtoi(it->second, &keep_channel) || keep_channel < 0 ||
              keep_channel >= static_cast<int64_t>(volumes->size())) {
            skip(file, absl::StrCat("label channel='", it->second, "' but the file has ",
                                    volumes->size(), " channels"));
            continue;
          }
        }
        for (size_t k = 0; k < volumes->size(); ++k) {
          if (keep_channel >= 0 && static_cast<int64_t>(k) != keep_channel) continue;
          const Volume& v = (*volumes)[k];
          if (v.size[0] <= 0 || v.size[1] <= 0 || v.size[2] <= 0 ||
              static_cast<int64_t>(v.voxels.size()) != v.num_voxels()) {
            skip(file, absl::StrCat("volume ", k, ": empty or inconsistent size ", v.size[0], "x",
                                    v.size[1], "x", v.size[2]));
            continue;
          }
          if (const int64_t bad = NonFiniteCount(v.voxels.data(), v.voxels.size());
              bad == v.num_voxels()) {
            skip(file, absl::StrCat("volume ", k, ": every voxel (", bad,
                                    ") is non-finite (NaN/Inf); nothing to store"));
            continue;
          }
          if (patient.modality == Modality::kUnknown) patient.modality = v.modality;
          ManifestRow row;
          row.dataset = patient.dataset;
          row.patient_id = patient.patient_id;
          row.modality = v.modality != Modality::kUnknown ? v.modality : patient.modality;
          row.body_part = patient.body_part;
          row.file = file;
          row.volume_index = static_cast<int64_t>(k);
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
          plans.push_back(std::move(plan));
          refs.push_back({patient_index, f, static_cast<int64_t>(k), r, manifest.size()});
          manifest.push_back(std::move(row));
          ++patient_volume;
          slices += v.size[2];
        }
        int64_t bytes = 0;
        for (const Volume& v : *volumes) {
          bytes += static_cast<int64_t>(v.voxels.size() * sizeof(float));
        }
        if (cache_bytes + bytes <= cache_budget) {
          cache_bytes += bytes;
          cache.emplace(std::make_pair(patient_index, f), std::move(volumes).value());
        }
        volumes = absl::UnknownError("released");
      }
    }
    for (size_t i = first_patient; i < patients.size(); ++i) {
      patients[i].slice_count = patient_slices[i - first_patient];
    }
  }
  dataset_begin.push_back(plans.size());
  result->patients = static_cast<int64_t>(patients.size());
  result->volumes = static_cast<int64_t>(plans.size());

  // ---- Sampling: per dataset, then corpus-wide balancers. ----
  for (int d = 0; d < options.dataset_size(); ++d) {
    const DatasetSpec& spec = options.dataset(d);
    if (spec.sampler().type().empty()) continue;  // Keep all.
    GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<Sampler> sampler,
                             Registry<Sampler>::Get().Create(spec.sampler()));
    std::vector<SlicePlan> part(std::make_move_iterator(plans.begin() + dataset_begin[d]),
                                std::make_move_iterator(plans.begin() + dataset_begin[d + 1]));
    RandomStream rng(seed, RandomStream::kSampling, static_cast<uint64_t>(d));
    const std::string who = absl::StrCat("dataset[", d, "].sampler (", spec.sampler().type(), ")");
    GENESIS_RETURN_IF_ERROR(Annotate(sampler->Apply(part, rng), who));
    GENESIS_RETURN_IF_ERROR(CheckPlans(part, who));
    std::move(part.begin(), part.end(), plans.begin() + dataset_begin[d]);
  }
  for (int j = 0; j < options.balancer_size(); ++j) {
    GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<Sampler> balancer,
                             Registry<Sampler>::Get().Create(options.balancer(j)));
    RandomStream rng(seed, RandomStream::kSampling, 1000000u + static_cast<uint64_t>(j));
    const std::string who = absl::StrCat("balancer[", j, "] (", options.balancer(j).type(), ")");
    GENESIS_RETURN_IF_ERROR(Annotate(balancer->Apply(plans, rng), who));
    GENESIS_RETURN_IF_ERROR(CheckPlans(plans, who));
  }

  // ---- Split by patient. ----
  std::vector<PatientKey> keys;
  for (const SlicePlan& plan : plans)
    keys.push_back({plan.patient->dataset, plan.patient->patient_id});
  GENESIS_ASSIGN_OR_RETURN(PatientSplit split, PatientLevelSplit(keys, options.split(), seed));
  GENESIS_RETURN_IF_ERROR(WriteSplitCsv((out / "split.csv").string(), split));
  if (options.exclude_test_patients_of_size() > 0) {
    GENESIS_RETURN_IF_ERROR(
        WriteFileAtomically((out / "excluded_task_patients.csv").string(), excluded_csv));
  }
  result->read_seconds = SecondsSince(pass1_start);

  // ---- Pass 2: read again, preprocess, store. ----
  const auto pass2_start = std::chrono::steady_clock::now();
  GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<SliceStoreWriter> writer,
                           SliceStoreWriter::Create((out / "store").string(), options.store()));
  CorpusSummary summary;
  std::map<uint64_t, std::vector<StoredContent>> contents;  // Content hash -> stored slices.
  std::vector<int64_t> stored_per_plan(plans.size(), 0);
  size_t p = 0;
  while (p < plans.size()) {
    // Plans [p, q) share one file of one patient.
    size_t q = p + 1;
    while (q < plans.size() && refs[q].patient == refs[p].patient && refs[q].file == refs[p].file)
      ++q;
    const PatientRecord& patient = *plans[p].patient;
    const PatientKey key{patient.dataset, patient.patient_id};
    const Split patient_split = split.at(key);
    summary.AddPatient(patient.dataset, patient.patient_id, patient.modality, patient.body_part,
                       patient_split);
    bool any = false;
    for (size_t i = p; i < q; ++i) any |= !plans[i].selected.empty();
    absl::StatusOr<std::vector<Volume>> volumes = absl::UnknownError("not read");
    if (auto cached = cache.find({refs[p].patient, refs[p].file}); cached != cache.end()) {
      volumes = std::move(cached->second);
      cache.erase(cached);
    } else if (any) {
      volumes = readers[refs[p].reader].reader->Read(patient.files[refs[p].file]);
    }
    if (any) {
      const std::string& file = patient.files[refs[p].file];
      if (!volumes.ok()) {
        skip(file, absl::StrCat(readers[refs[p].reader].name,
                                " (second read): ", volumes.status().message()));
        p = q;
        continue;
      }
      const uint64_t patient_hash = Fnv1a64(absl::StrCat(patient.dataset, "/", patient.patient_id));
      // Sources whose files store shifted values (DeepLesion: HU = value - 32768) say so in
      // labels["value_offset"]; it is added before any preprocessor sees the slice.
      float value_offset = 0.0f;
      if (auto it = patient.labels.find("value_offset"); it != patient.labels.end()) {
        if (!absl::SimpleAtof(it->second, &value_offset)) {
          skip(file, absl::StrCat("label value_offset='", it->second, "' is not a number"));
          p = q;
          continue;
        }
      }
      for (size_t i = p; i < q; ++i) {
        const SlicePlan& plan = plans[i];
        if (plan.selected.empty()) continue;
        const Volume& volume = (*volumes)[refs[i].volume_in_file];
        const Modality modality = manifest[refs[i].manifest_row].modality;
        std::vector<absl::StatusOr<Slice>> slices(plan.selected.size(),
                                                  absl::UnknownError("not processed"));
        std::vector<uint64_t> content_hash(plan.selected.size(), 0);  // 0 = constant slice.
        ParallelFor(static_cast<int64_t>(plan.selected.size()), threads, [&](int64_t s) {
          const int64_t z = plan.selected[s];
          Slice slice = volume.AxialSlice(z);
          // The one NaN/Inf policy for every reader: a slice with a non-finite voxel is
          // skipped and reported, never stored with the voxel clamped or zeroed.
          if (const int64_t bad = NonFiniteCount(slice.pixels.data(), slice.pixels.size())) {
            slices[s] = absl::InvalidArgumentError(
                absl::StrCat(bad, " non-finite voxels (NaN/Inf); slice skipped"));
            return;
          }
          content_hash[s] = ContentHash(slice.pixels);
          slice.dataset = patient.dataset;
          slice.patient_id = patient.patient_id;
          slice.modality = modality;
          if (value_offset != 0.0f) {
            for (float& v : slice.pixels) v += value_offset;
          }
          RandomStream rng(
              seed, RandomStream::kPreprocess, patient_hash,
              (static_cast<uint64_t>(plan.volume_index) << 32) | static_cast<uint64_t>(z));
          for (const auto& pre : preprocessors) {
            absl::Status status = pre->Apply(slice, rng);
            if (!status.ok()) {
              slices[s] = status;
              return;
            }
          }
          slices[s] = std::move(slice);
        });
        for (size_t s = 0; s < slices.size(); ++s) {
          const std::string what =
              absl::StrCat("volume ", refs[i].volume_in_file, " slice ", plan.selected[s], ": ");
          if (!slices[s].ok()) {
            skip(file, absl::StrCat(what, slices[s].status().message()));
            continue;
          }
          absl::Status added = writer->Add(*slices[s], patient_split);
          if (absl::IsInvalidArgument(added)) {
            skip(file, absl::StrCat(what, added.message()));
            continue;
          }
          GENESIS_RETURN_IF_ERROR(added);
          summary.AddSlice(patient.dataset, patient.patient_id);
          if (content_hash[s] != 0) {
            contents[content_hash[s]].push_back(
                {key, patient_split, file, refs[i].volume_in_file, plan.selected[s]});
          }
          ++stored_per_plan[i];
          ++result->slices_stored;
        }
      }
    }
    p = q;
  }
  GENESIS_RETURN_IF_ERROR(writer->Finish());
  writer.reset();
  result->write_seconds = SecondsSince(pass2_start);

  // ---- Leakage check on what was actually stored. ----
  {
    GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<SliceStoreReader> reader,
                             SliceStoreReader::Open((out / "store").string()));
    std::vector<SplitAssignment> assignments;
    for (const auto& [k, s] : split) assignments.push_back({k, s, "split.csv"});
    // One assignment per (patient, split) pair found in the store keeps this O(patients).
    std::map<PatientKey, int> seen;  // Bit s set: the patient has slices in split s.
    for (int s = 0; s < kNumSplits; ++s) {
      const Split sp = static_cast<Split>(s);
      result->slices_per_split[std::string(SplitName(sp))] = reader->size(sp);
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
    GENESIS_RETURN_IF_ERROR(CheckNoLeakage(assignments));
  }

  GENESIS_RETURN_IF_ERROR(
      ReportDuplicates(contents, (out / "duplicates.csv").string(), options.duplicates()));

  // ---- Manifest, summary, skipped report. ----
  for (size_t i = 0; i < plans.size(); ++i)
    manifest[refs[i].manifest_row].selected_slices = stored_per_plan[i];
  GENESIS_RETURN_IF_ERROR(WriteManifest((out / "manifest.csv").string(), manifest));
  GENESIS_RETURN_IF_ERROR(summary.Write((out / "summary").string()));
  result->slices_per_modality = summary.SlicesPerModality();
  std::string skipped = CsvLine({"file", "reason"});
  for (const auto& [file, reason] : result->skipped) skipped += CsvLine({file, reason});
  GENESIS_RETURN_IF_ERROR(WriteFileAtomically((out / "skipped.csv").string(), skipped));
  if (result->slices_stored == 0) {
    std::string why = result->skipped.empty()
                          ? "no dataset listed a readable volume"
                          : absl::StrCat(result->skipped.size(), " inputs skipped, the first: ",
                                         result->skipped[0].first, ": ",
                                         result->skipped[0].second);
    return absl::FailedPreconditionError(absl::StrCat(
        "corpus: no slice was stored (", why, "); see ", (out / "skipped.csv").string()));
  }
  LOG(INFO) << "corpus: " << result->patients << " patients, " << result->volumes << " volumes, "
            << result->slices_stored << " slices stored (train "
            << result->slices_per_split["train"] << ", val " << result->slices_per_split["val"]
            << ", test " << result->slices_per_split["test"] << "), " << result->skipped.size()
            << " skipped; pass 1 (read, plan) " << result->read_seconds
            << " s, pass 2 (read, preprocess, store) " << result->write_seconds << " s";
  return absl::OkStatus();
}

}  // namespace genesis
