// "mura" task: MURA-v1.1 abnormality at image level (DESIGN §3), shoulder by default.
//
//   transfer { task { type: "mura" options { [type.googleapis.com/genesis.MuraTaskOptions] {
//     root: "/data/MURA-v1.1" body_part: "XR_SHOULDER" image_size: 224 } } } }
//
// Samples: one per image listed in {train,valid}_image_paths.csv of the body part, in CSV order
// (train first). id = the image's path relative to the root
// ("train/XR_SHOULDER/patient00001/study1_positive/image1.png"), label = its study's (from
// *_labeled_studies.csv, checked against the folder suffix -- read by plugins/dataset/
// mura_layout, the same code as the "mura" dataset source, so `patient` is the corpus' patient
// id), group = the study ("XR_SHOULDER/patient00001/study1_positive"). Prediction columns:
// study, patient, body_part. A listed image that is not on disk is left out and reported (log,
// <cache_dir>/mura_missing_images.csv, task.json), or an error with missing_images: "error".
//
// Folds (the study's protocol, folds: 1): one, "official valid": test = the official valid split;
// val = a patient-level seeded fraction of the train patients (core/corpus/split.h's
// PatientLevelSplit, the corpus' own patient split); train = the other train patients. With
// folds: k > 1, k-fold cross-validation by patient over both official splits instead: fold i
// ("patients i/k") tests on a fixed, seed-independent i-th part of the patients, and val/train
// are drawn from the others as above. A patient in both official splits is an error (MURA's
// splits are patient-disjoint).
//
// Pixels: PNG (core reader "png", 8/16-bit, colour -> grey) / (2^bits - 1), zero-padded to a
// centred square and resized to image_size (preprocessors "xray_bit_depth" and
// "random_crop_resize" with crop 0 -- the corpus' code path) or stretched. Prepare() stores these
// un-augmented images once, as uint16 in a slice store under
// <cache_dir>/mura/<fingerprint>/, where the fingerprint covers the pixel options and every
// input file's path, size and modification time; folds, seeds and initialisations read it with
// pread, and a change of inputs or options builds a new store (a stale one is never read).
// Training augmentation is applied on the cached image_size image at Load() time, as Keras'
// ImageDataGenerator does after loading at target_size: rotation, zoom (about the centre), then
// flips, all drawn from RandomStream(augmentation.seed, kAugment, epoch, sample index).
//
// WriteTaskPredictions writes predictions_<split>_study.csv: study,label,score with score = the
// mean probability over the study's images (MURA's study-level evaluation).

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/corpus/split.h"
#include "core/csv.h"
#include "core/file_util.h"
#include "core/image_reader.h"
#include "core/preprocessor.h"
#include "core/slice_store.h"
#include "core/status_macros.h"
#include "core/task.h"
#include "glog/logging.h"
#include "plugins/dataset/dataset_util.h"
#include "plugins/dataset/mura_layout.h"
#include "plugins/preprocess/random_crop_resize.pb.h"
#include "plugins/preprocess/xray_bit_depth.pb.h"
#include "plugins/reader/png.pb.h"
#include "plugins/task/mura.pb.h"

namespace genesis {
namespace {

namespace fs = std::filesystem;

// Bumped whenever the cached pixels would change for the same options and files.
constexpr char kCacheFormat[] = "genesis mura task cache 1";

absl::Status MustBeOneOf(absl::string_view field, const std::string& value,
                         const std::vector<std::string>& allowed) {
  if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      field, ": must be \"", absl::StrJoin(allowed, "\" or \""), "\", got \"", value, "\""));
}

// A listed image that is not on disk.
struct MissingImage {
  std::string path;
  std::string listed_in;  // "<csv>:<line>"
};

class MuraTask : public Task {
 public:
  explicit MuraTask(const MuraTaskOptions& options) : options_(options) {}

  static absl::Status Validate(const MuraTaskOptions& o) {
    if (o.body_part().empty()) {
      return absl::InvalidArgumentError(
          "body_part: must be a MURA study type such as \"XR_SHOULDER\", or \"all\"");
    }
    if (o.image_size() < 8) {
      return absl::InvalidArgumentError(
          absl::StrCat("image_size: must be >= 8, got ", o.image_size()));
    }
    GENESIS_RETURN_IF_ERROR(MustBeOneOf("resize", o.resize(), {"pad", "stretch"}));
    GENESIS_RETURN_IF_ERROR(MustBeOneOf("interpolation", o.interpolation(), {"area", "linear"}));
    if (o.bits_stored() < 0 || o.bits_stored() > 16) {
      return absl::InvalidArgumentError(
          absl::StrCat("bits_stored: must be in [0, 16] (0 = the file's), got ", o.bits_stored()));
    }
    if (!(o.val_fraction() > 0.0 && o.val_fraction() < 1.0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("val_fraction: must be in (0, 1), got ", o.val_fraction()));
    }
    if (o.folds() < 1) {
      return absl::InvalidArgumentError(absl::StrCat("folds: must be >= 1, got ", o.folds()));
    }
    GENESIS_RETURN_IF_ERROR(MustBeOneOf("missing_images", o.missing_images(), {"report", "error"}));
    if (!(o.rotation_degrees() >= 0.0f && o.rotation_degrees() <= 180.0f)) {
      return absl::InvalidArgumentError(
          absl::StrCat("rotation_degrees: must be in [0, 180], got ", o.rotation_degrees()));
    }
    if (!(o.zoom_min() > 0.0f && o.zoom_min() <= o.zoom_max())) {
      return absl::InvalidArgumentError(
          absl::StrCat("zoom_min, zoom_max: need 0 < zoom_min <= ", "zoom_max, got ", o.zoom_min(),
                       ", ", o.zoom_max()));
    }
    for (const auto& [field, p] : {std::pair<const char*, float>{"horizontal_flip_probability",
                                                                 o.horizontal_flip_probability()},
                                   {"vertical_flip_probability", o.vertical_flip_probability()}}) {
      if (!(p >= 0.0f && p <= 1.0f)) {
        return absl::InvalidArgumentError(absl::StrCat(field, ": must be in [0, 1], got ", p));
      }
    }
    return MustBeOneOf("fill", o.fill(), {"nearest", "constant"});
  }

  absl::Status List() override {
    samples_.clear();
    images_.clear();
    missing_.clear();
    const std::string& root = options_.root();
    if (root.empty()) return absl::InvalidArgumentError("root: must be set (the MURA-v1.1 folder)");
    GENESIS_RETURN_IF_ERROR(dataset::CheckDirectory(root, "root"));
    const bool all = options_.body_part() == "all";
    std::set<std::string> parts_seen;
    std::map<std::string, std::string> patient_split;  // patient -> first split seen
    std::set<std::string> ids;
    for (const std::string split : {"train", "valid"}) {
      GENESIS_ASSIGN_OR_RETURN(std::vector<mura::MuraImage> images,
                               mura::ReadMuraSplit(root, split));
      for (mura::MuraImage& image : images) {
        parts_seen.insert(image.study_type);
        if (!all && image.study_type != options_.body_part()) continue;
        const std::string path = image.Path(root);
        if (!dataset::IsFile(path)) {
          if (options_.missing_images() == "error") {
            return absl::NotFoundError(
                absl::StrCat(path, ": missing (listed in ", image.where, ")"));
          }
          missing_.push_back({path, image.where});
          continue;
        }
        auto [it, inserted] = patient_split.emplace(image.patient, split);
        if (it->second != split) {
          return absl::InvalidArgumentError(absl::StrCat(
              image.where, ": patient ", image.patient, " is in both the train and the valid ",
              "split; MURA's official splits are patient-disjoint (the test set would leak)"));
        }
        TaskSample sample;
        sample.id = image.RelativePath();
        if (!ids.insert(sample.id).second) {
          return absl::InvalidArgumentError(
              absl::StrCat(image.where, ": image '", sample.id, "' is listed twice"));
        }
        sample.label = image.label;
        sample.group = image.StudyKey();
        sample.patient = image.patient;
        sample.columns = {sample.group, image.patient, image.study_type};
        samples_.push_back(std::move(sample));
        images_.push_back(std::move(image));
      }
    }
    if (samples_.empty()) {
      return absl::NotFoundError(
          absl::StrCat(root, ": no images of body_part \"", options_.body_part(),
                       "\" on disk (listed study types: ", absl::StrJoin(parts_seen, ", "),
                       "; missing files: ", missing_.size(), ")"));
    }
    if (!missing_.empty()) {
      LOG(WARNING) << "mura: " << missing_.size() << " listed image(s) missing on disk, left out"
                   << " (listed in " << MissingListPath("<cache_dir>")
                   << " after Prepare); first: " << missing_.front().path << " (listed in "
                   << missing_.front().listed_in << ")";
    }
    return absl::OkStatus();
  }

  const std::vector<TaskSample>& samples() const override { return samples_; }

  std::vector<std::string> PredictionColumns() const override {
    return {"study", "patient", "body_part"};
  }

  absl::StatusOr<std::vector<TaskFold>> Folds(uint64_t seed) const override {
    if (samples_.empty()) return absl::FailedPreconditionError("mura: Folds() before List()");
    // Test patients of each fold: the official valid split, or a fixed patient partition.
    std::vector<std::set<std::string>> test_patients;
    std::vector<std::string> names;
    if (options_.folds() == 1) {
      test_patients.emplace_back();
      for (const mura::MuraImage& image : images_) {
        if (image.split == "valid") test_patients[0].insert(image.patient);
      }
      names.push_back("official valid");
    } else {
      GENESIS_ASSIGN_OR_RETURN(test_patients, PatientPartition(options_.folds()));
      for (int k = 0; k < options_.folds(); ++k) {
        names.push_back(absl::StrCat("patients ", k + 1, "/", options_.folds()));
      }
    }
    std::vector<TaskFold> folds;
    for (size_t k = 0; k < test_patients.size(); ++k) {
      GENESIS_ASSIGN_OR_RETURN(TaskFold fold, MakeFold(names[k], test_patients[k], seed));
      folds.push_back(std::move(fold));
    }
    return folds;
  }

  int64_t image_size() const override { return options_.image_size(); }

  std::string dataset_name() const override { return options_.dataset_name(); }

  std::map<std::string, std::string> Info() const override {
    std::map<std::string, std::string> info = {
        {"root", options_.root()},
        {"body_part", options_.body_part()},
        {"missing_image_count", absl::StrCat(missing_.size())},
        {"study_predictions", "predictions_<split>_study.csv"},
    };
    if (!missing_list_.empty()) info["missing_images"] = missing_list_;
    if (!cache_store_.empty()) info["image_cache"] = cache_store_;
    return info;
  }

  absl::Status Prepare(const TaskContext& context) override;

  absl::Status Load(const SampleRef& ref, const Augmentation& augmentation,
                    Slice* image) const override;

  absl::Status WriteTaskPredictions(absl::string_view split, const std::vector<int64_t>& indices,
                                    const std::vector<float>& scores,
                                    const std::string& dir) const override;

 private:
  static std::string MissingListPath(const std::string& cache_dir) {
    return absl::StrCat(cache_dir, "/mura_missing_images.csv");
  }
  // `folds` disjoint sets of patients (round-robin over the sorted patients shuffled with a
  // fixed stream, so every seed and sub-run sees the same folds).
  absl::StatusOr<std::vector<std::set<std::string>>> PatientPartition(int folds) const {
    const std::set<std::string> unique = [&] {
      std::set<std::string> s;
      for (const mura::MuraImage& image : images_) s.insert(image.patient);
      return s;
    }();
    if (static_cast<int>(unique.size()) < folds) {
      return absl::FailedPreconditionError(absl::StrCat(
          "folds: ", folds, " folds need at least as many patients, got ", unique.size()));
    }
    std::vector<std::string> patients(unique.begin(), unique.end());
    RandomStream rng(0, RandomStream::kSplit, Fnv1a64(options_.dataset_name() + " task folds"));
    for (int64_t i = static_cast<int64_t>(patients.size()) - 1; i > 0; --i) {
      std::swap(patients[i], patients[rng.UniformInt(0, i)]);
    }
    std::vector<std::set<std::string>> parts(folds);
    for (size_t i = 0; i < patients.size(); ++i) parts[i % folds].insert(patients[i]);
    return parts;
  }

  // Test = the images of `test_patients`; val = a val_fraction of the other patients drawn with
  // `seed` (core/corpus/split.h's patient-level split); train = the rest.
  absl::StatusOr<TaskFold> MakeFold(const std::string& name,
                                    const std::set<std::string>& test_patients,
                                    uint64_t seed) const {
    std::vector<PatientKey> rest;
    for (const mura::MuraImage& image : images_) {
      if (!test_patients.count(image.patient)) {
        rest.push_back({options_.dataset_name(), image.patient});
      }
    }
    SplitOptions fractions;
    fractions.set_train(1.0 - options_.val_fraction());
    fractions.set_val(options_.val_fraction());
    fractions.set_test(0.0);
    GENESIS_ASSIGN_OR_RETURN(PatientSplit split, PatientLevelSplit(rest, fractions, seed));
    TaskFold fold;
    fold.name = name;
    for (int64_t i = 0; i < static_cast<int64_t>(images_.size()); ++i) {
      if (test_patients.count(images_[i].patient)) {
        fold.test.push_back(i);
      } else if (split.at({options_.dataset_name(), images_[i].patient}) == Split::kVal) {
        fold.val.push_back(i);
      } else {
        fold.train.push_back(SampleRef{i, 0});
      }
    }
    if (fold.train.empty() || fold.val.empty() || fold.test.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "mura: fold \"", name, "\" needs train, val and test images; got ", fold.train.size(),
          " / ", fold.val.size(), " / ", fold.test.size(), " (val_fraction ",
          options_.val_fraction(), " of ", split.size(), " patients)"));
    }
    return fold;
  }

  // The text the cache is keyed by: format, pixel options, every input file's stat.
  absl::StatusOr<std::string> CacheKey() const;
  absl::Status BuildStore(const std::string& dir, int num_threads) const;
  // Lists the missing images in <cache_dir>/mura_missing_images.csv (header only when none).
  absl::Status WriteMissingReport(const std::string& cache_dir);
  // Builds the store in a temporary folder and renames it to `dir`, then opens it.
  absl::Status BuildAndPublish(const std::string& dir, const std::string& key,
                               const TaskContext& context);
  // The un-augmented image of sample `index` as stored in the cache.
  absl::StatusOr<Slice> DecodeImage(int64_t index, const ImageReader& reader,
                                    const Preprocessor& bit_depth,
                                    const Preprocessor* pad_resize) const;
  absl::Status OpenStore(const std::string& dir);
  void Augment(const Augmentation& augmentation, int64_t index, cv::Mat& pixels) const;

  MuraTaskOptions options_;
  std::vector<TaskSample> samples_;
  std::vector<mura::MuraImage> images_;  // Parallel to samples_.
  std::vector<MissingImage> missing_;
  std::string missing_list_;  // Written by Prepare.
  std::string cache_store_;
  std::unique_ptr<SliceStoreReader> store_;
};

absl::StatusOr<std::string> MuraTask::CacheKey() const {
  std::string key = absl::StrCat(kCacheFormat, "\nimage_size ", options_.image_size(), "\nresize ",
                                 options_.resize(), "\ninterpolation ", options_.interpolation(),
                                 "\nbits_stored ", options_.bits_stored(), "\ndataset ",
                                 options_.dataset_name(), "\nimages ", images_.size(), "\n");
  for (const mura::MuraImage& image : images_) {
    const std::string path = image.Path(options_.root());
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      return absl::NotFoundError(absl::StrCat(path, ": cannot stat (listed in ", image.where,
                                              "); was it removed after listing?"));
    }
    absl::StrAppend(&key, image.RelativePath(), "\t", static_cast<int64_t>(st.st_size), "\t",
                    static_cast<int64_t>(st.st_mtim.tv_sec), ".",
                    absl::StrFormat("%09d", static_cast<int>(st.st_mtim.tv_nsec)), "\n");
  }
  return key;
}

absl::StatusOr<Slice> MuraTask::DecodeImage(int64_t index, const ImageReader& reader,
                                            const Preprocessor& bit_depth,
                                            const Preprocessor* pad_resize) const {
  const mura::MuraImage& image = images_[index];
  const std::string path = image.Path(options_.root());
  auto volumes = reader.Read(path);
  if (!volumes.ok()) return volumes.status();
  if (volumes->size() != 1 || (*volumes)[0].size[2] != 1) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": expected one 2D image"));
  }
  Slice slice = (*volumes)[0].AxialSlice(0);
  slice.dataset = options_.dataset_name();
  slice.patient_id = image.patient;
  slice.slice_index = index;
  RandomStream unused(0, RandomStream::kPreprocess);  // Neither step draws (centred padding).
  absl::Status status = bit_depth.Apply(slice, unused);
  if (status.ok()) {
    if (pad_resize != nullptr) {
      status = pad_resize->Apply(slice, unused);
    } else {
      const int side = options_.image_size();
      cv::Mat in(static_cast<int>(slice.height), static_cast<int>(slice.width), CV_32FC1,
                 slice.pixels.data());
      cv::Mat out;
      try {
        cv::resize(in, out, cv::Size(side, side), 0, 0,
                   options_.interpolation() == "area" ? cv::INTER_AREA : cv::INTER_LINEAR);
      } catch (const cv::Exception& e) {
        return absl::InternalError(absl::StrCat(path, ": cv::resize: ", e.what()));
      }
      slice.pixels.assign(out.ptr<float>(0), out.ptr<float>(0) + side * side);
      slice.width = side;
      slice.height = side;
    }
  }
  if (!status.ok()) {
    return absl::Status(status.code(), absl::StrCat(path, ": ", status.message()));
  }
  return slice;
}

absl::Status MuraTask::BuildStore(const std::string& dir, int num_threads) const {
  PngReaderOptions png_options;
  png_options.set_modality("XR");
  GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<ImageReader> reader,
                           Registry<ImageReader>::Get().Create("png", png_options));
  XrayBitDepthOptions bit_options;
  bit_options.set_bits_stored(options_.bits_stored());
  GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<Preprocessor> bit_depth,
                           Registry<Preprocessor>::Get().Create("xray_bit_depth", bit_options));
  std::unique_ptr<Preprocessor> pad_resize;
  if (options_.resize() == "pad") {
    RandomCropResizeOptions resize_options;
    resize_options.set_crop_size(0);  // Pad to a square of the longer side, no crop.
    resize_options.set_output_size(options_.image_size());
    resize_options.set_interpolation(options_.interpolation());
    resize_options.set_pad_value(0.0f);
    resize_options.set_pad_position("center");
    GENESIS_ASSIGN_OR_RETURN(
        pad_resize, Registry<Preprocessor>::Get().Create("random_crop_resize", resize_options));
  }

  SliceStoreOptions store_options;
  store_options.set_pixel_type("uint16");
  GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<SliceStoreWriter> writer,
                           SliceStoreWriter::Create(dir, store_options));
  // Decode a batch in parallel, store it in sample order; memory = one batch of images.
  const int64_t n = static_cast<int64_t>(images_.size());
  const int threads = std::max(1, num_threads);
  const int64_t batch = 32 * threads;
  for (int64_t begin = 0; begin < n; begin += batch) {
    const int64_t end = std::min(n, begin + batch);
    std::vector<absl::StatusOr<Slice>> decoded(end - begin, absl::UnknownError("not decoded"));
    std::atomic<int64_t> next{begin};
    auto work = [&] {
      for (int64_t i = next++; i < end; i = next++) {
        decoded[i - begin] = DecodeImage(i, *reader, *bit_depth, pad_resize.get());
      }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (std::thread& t : pool) t.join();
    for (auto& slice : decoded) {
      if (!slice.ok()) return slice.status();
      GENESIS_RETURN_IF_ERROR(writer->Add(*slice, Split::kTrain));
    }
    if (end == n || (begin / batch) % 20 == 0) {
      LOG(INFO) << "mura: cached " << end << " / " << n << " images";
    }
  }
  return writer->Finish();
}

absl::Status MuraTask::OpenStore(const std::string& dir) {
  GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<SliceStoreReader> store, SliceStoreReader::Open(dir));
  const int64_t n = static_cast<int64_t>(samples_.size());
  if (store->size(Split::kTrain) != n) {
    return absl::DataLossError(absl::StrCat(dir, ": image cache holds ", store->size(Split::kTrain),
                                            " images, expected ", n));
  }
  for (int64_t i = 0; i < n; ++i) {
    const StoredSliceInfo& info = store->info(Split::kTrain, i);
    if (info.patient_id != images_[i].patient || info.slice_index != i ||
        info.width != options_.image_size() || info.height != options_.image_size()) {
      return absl::DataLossError(
          absl::StrCat(dir, ": image cache entry ", i, " does not match sample ", samples_[i].id));
    }
  }
  store_ = std::move(store);
  cache_store_ = dir;
  return absl::OkStatus();
}

// True when `dir` holds a published store (index.csv exists only after Finish) made from
// exactly the inputs `key` describes.
bool IsPublished(const std::string& dir, const std::string& key) {
  if (!dataset::IsFile(dir + "/index.csv")) return false;
  auto stored_key = ReadFile(dir + "/inputs.txt");
  return stored_key.ok() && *stored_key == key;
}

absl::Status MuraTask::WriteMissingReport(const std::string& cache_dir) {
  missing_list_ = MissingListPath(cache_dir);
  std::string report = CsvLine({"path", "listed_in"});
  for (const MissingImage& m : missing_) absl::StrAppend(&report, CsvLine({m.path, m.listed_in}));
  GENESIS_RETURN_IF_ERROR(WriteFileAtomically(missing_list_, report));
  if (!missing_.empty()) {
    LOG(WARNING) << "mura: " << missing_.size()
                 << " listed image(s) missing on disk, left out: " << missing_list_;
  }
  return absl::OkStatus();
}

absl::Status MuraTask::Prepare(const TaskContext& context) {
  if (samples_.empty()) return absl::FailedPreconditionError("mura: Prepare() before List()");
  if (context.cache_dir.empty()) return absl::InvalidArgumentError("mura: no cache_dir given");
  if (context.build_cache) {
    std::error_code error;
    fs::create_directories(context.cache_dir + "/mura", error);
    if (error) {
      return absl::PermissionDeniedError(
          absl::StrCat(context.cache_dir, "/mura: cannot create: ", error.message()));
    }
    GENESIS_RETURN_IF_ERROR(WriteMissingReport(context.cache_dir));
  }

  GENESIS_ASSIGN_OR_RETURN(const std::string key, CacheKey());
  const std::string dir = absl::StrFormat("%s/mura/%016x", context.cache_dir, Fnv1a64(key));
  if (IsPublished(dir, key)) {
    absl::Status opened = OpenStore(dir);
    if (opened.ok()) {
      LOG(INFO) << "mura: reusing the image cache " << dir;
      return absl::OkStatus();
    }
    if (!context.build_cache) {
      return absl::FailedPreconditionError(absl::StrCat(
          "mura: image cache ", dir, " is damaged (", opened.message(),
          ") and this process only reads it (rank 0 of a data-parallel run builds it)"));
    }
    LOG(WARNING) << "mura: image cache " << dir << " is damaged (" << opened << "); rebuilding it";
  } else if (!context.build_cache) {
    return absl::FailedPreconditionError(absl::StrCat(
        "mura: no image cache for these inputs at ", dir,
        "; this process only reads it (rank 0 of a data-parallel run builds it)"));
  } else if (fs::exists(dir)) {
    LOG(WARNING) << "mura: image cache " << dir << " does not match its inputs; rebuilding it";
  }
  return BuildAndPublish(dir, key, context);
}

absl::Status MuraTask::BuildAndPublish(const std::string& dir, const std::string& key,
                                       const TaskContext& context) {
  // Build beside the final folder, then rename: concurrent processes (--shard) and a killed
  // build never leave a half-written store under the final name.
  for (const std::string& stale : RemoveStaleTempFiles(context.cache_dir + "/mura")) {
    LOG(INFO) << "mura: removed the abandoned cache build " << stale;
  }
  const std::string building = TempPathFor(dir);
  std::error_code error;
  fs::remove_all(building, error);
  LOG(INFO) << "mura: caching " << images_.size() << " images at " << options_.image_size()
            << " px in " << dir;
  absl::Status built = BuildStore(building, context.num_threads);
  if (built.ok()) built = WriteFileAtomically(building + "/inputs.txt", key);
  if (!built.ok()) {
    fs::remove_all(building, error);
    return built;
  }
  if (IsPublished(dir, key) && OpenStore(dir).ok()) {  // Another process published it meanwhile.
    fs::remove_all(building, error);
    return absl::OkStatus();
  }
  fs::remove_all(dir, error);  // A stale or damaged store of the same name.
  fs::rename(building, dir, error);
  if (error) {
    const std::string reason = error.message();
    fs::remove_all(building, error);
    if (!IsPublished(dir, key)) {
      return absl::InternalError(absl::StrCat(dir, ": cannot publish the image cache: ", reason));
    }
  }
  return OpenStore(dir);
}

void MuraTask::Augment(const Augmentation& augmentation, int64_t index, cv::Mat& pixels) const {
  RandomStream rng(augmentation.seed, RandomStream::kAugment, augmentation.epoch,
                   static_cast<uint64_t>(index));
  // Always draw the same numbers in the same order, whatever the options.
  const double angle = (2.0 * rng.Uniform() - 1.0) * options_.rotation_degrees();
  const double zoom_span = options_.zoom_max() - options_.zoom_min();
  const double zoom_x = options_.zoom_min() + zoom_span * rng.Uniform();
  const double zoom_y_draw = options_.zoom_min() + zoom_span * rng.Uniform();
  const double zoom_y = options_.independent_axis_zoom() ? zoom_y_draw : zoom_x;
  const bool flip_horizontal = rng.Bernoulli(options_.horizontal_flip_probability());
  const bool flip_vertical = rng.Bernoulli(options_.vertical_flip_probability());

  if (angle != 0.0 || zoom_x != 1.0 || zoom_y != 1.0) {
    // Output pixel p samples the input at c + R(angle) * diag(zoom_x, zoom_y) * (p - c).
    const double radians = angle * M_PI / 180.0;
    const double cos_a = std::cos(radians), sin_a = std::sin(radians);
    const double cx = (pixels.cols - 1) / 2.0, cy = (pixels.rows - 1) / 2.0;
    const double a00 = cos_a * zoom_x, a01 = -sin_a * zoom_y;
    const double a10 = sin_a * zoom_x, a11 = cos_a * zoom_y;
    cv::Mat map = (cv::Mat_<double>(2, 3) << a00, a01, cx - a00 * cx - a01 * cy,  //
                   a10, a11, cy - a10 * cx - a11 * cy);
    cv::Mat warped;
    cv::warpAffine(pixels, warped, map, pixels.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                   options_.fill() == "nearest" ? cv::BORDER_REPLICATE : cv::BORDER_CONSTANT,
                   cv::Scalar(0));
    pixels = warped;
  }
  for (const auto& [flip, code] : {std::pair<bool, int>{flip_horizontal, 1}, {flip_vertical, 0}}) {
    if (!flip) continue;
    cv::Mat flipped;
    cv::flip(pixels, flipped, code);  // 1: mirror left-right, 0: top-bottom.
    pixels = flipped;
  }
}

absl::Status MuraTask::Load(const SampleRef& ref, const Augmentation& augmentation,
                            Slice* image) const {
  if (store_ == nullptr) return absl::FailedPreconditionError("mura: Load() before Prepare()");
  if (ref.index < 0 || ref.index >= static_cast<int64_t>(samples_.size())) {
    return absl::OutOfRangeError(
        absl::StrCat("mura: sample index ", ref.index, " not in [0, ", samples_.size(), ")"));
  }
  GENESIS_ASSIGN_OR_RETURN(Slice slice, store_->Read(Split::kTrain, ref.index));
  const int side = options_.image_size();
  image->width = side;
  image->height = side;
  if (!augmentation.enabled) {
    image->pixels = std::move(slice.pixels);
    return absl::OkStatus();
  }
  cv::Mat pixels(side, side, CV_32FC1, slice.pixels.data());
  try {
    Augment(augmentation, ref.index, pixels);
  } catch (const cv::Exception& e) {
    return absl::InternalError(
        absl::StrCat("mura: augmenting ", samples_[ref.index].id, ": ", e.what()));
  }
  if (!pixels.isContinuous()) pixels = pixels.clone();
  image->pixels.assign(pixels.ptr<float>(0), pixels.ptr<float>(0) + side * side);
  for (float& v : image->pixels) v = std::clamp(v, 0.0f, 1.0f);
  return absl::OkStatus();
}

absl::Status MuraTask::WriteTaskPredictions(absl::string_view split,
                                            const std::vector<int64_t>& indices,
                                            const std::vector<float>& scores,
                                            const std::string& dir) const {
  if (indices.size() != scores.size()) {
    return absl::InvalidArgumentError(absl::StrCat("mura: ", indices.size(), " indices but ",
                                                   scores.size(), " scores for split ", split));
  }
  struct Study {
    int label = 0;
    double sum = 0.0;
    int64_t count = 0;
  };
  std::vector<std::string> order;  // Studies in order of first appearance.
  std::map<std::string, Study> studies;
  for (size_t k = 0; k < indices.size(); ++k) {
    const int64_t i = indices[k];
    if (i < 0 || i >= static_cast<int64_t>(samples_.size())) {
      return absl::OutOfRangeError(
          absl::StrCat("mura: sample index ", i, " not in [0, ", samples_.size(), ")"));
    }
    if (!std::isfinite(scores[k])) {
      return absl::InvalidArgumentError(
          absl::StrCat("mura: score of ", samples_[i].id, " is not finite: ", scores[k]));
    }
    auto [it, inserted] = studies.try_emplace(samples_[i].group);
    if (inserted) {
      order.push_back(samples_[i].group);
      it->second.label = samples_[i].label;
    }
    it->second.sum += scores[k];
    ++it->second.count;
  }
  std::string text = CsvLine({"study", "label", "score"});
  for (const std::string& name : order) {
    const Study& s = studies.at(name);
    absl::StrAppend(
        &text, CsvLine({name, absl::StrCat(s.label), absl::StrFormat("%.9g", s.sum / s.count)}));
  }
  return WriteFileAtomically(absl::StrCat(dir, "/predictions_", split, "_study.csv"), text);
}

}  // namespace

GENESIS_REGISTER_TASK(MuraTask, "mura", MuraTaskOptions,
                      "MURA v1.1 radiograph abnormality, image level (official valid = test)");

}  // namespace genesis
