// "mura" task over testdata/make_mura_fixture.py's MURA-v1.1 tree (see that script for the
// layout: 14 train shoulder patients, 4 valid ones, other body parts, one missing image).
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/dataset_source.h"
#include "core/file_util.h"
#include "core/task.h"
#include "gtest/gtest.h"
#include "plugins/dataset/mura.pb.h"
#include "plugins/task/mura.pb.h"

namespace genesis {
namespace {

namespace fs = std::filesystem;

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

std::string TmpDir() {
  return Env("TEST_TMPDIR").empty() ? fs::temp_directory_path().string() : Env("TEST_TMPDIR");
}

// A fresh fixture under TEST_TMPDIR/<name>; returns its MURA-v1.1 folder.
std::string MakeFixture(const std::string& name) {
  std::string script = absl::StrCat(
      Env("TEST_SRCDIR"), "/", Env("TEST_WORKSPACE").empty() ? "genesis" : Env("TEST_WORKSPACE"),
      "/plugins/task/testdata/make_mura_fixture.py");
  if (!fs::exists(script)) script = "plugins/task/testdata/make_mura_fixture.py";
  const std::string out = absl::StrCat(TmpDir(), "/", name);
  fs::remove_all(out);
  const std::string command = absl::StrCat("/usr/bin/python3 '", script, "' '", out, "'");
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  return out + "/MURA-v1.1";
}

std::string FreshDir(const std::string& name) {
  const std::string dir = absl::StrCat(TmpDir(), "/", name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

MuraTaskOptions Options(const std::string& root, int image_size = 40) {
  MuraTaskOptions options;
  options.set_root(root);
  options.set_image_size(image_size);
  return options;
}

std::unique_ptr<Task> MakeTask(const MuraTaskOptions& options) {
  auto task = Registry<Task>::Get().Create("mura", options);
  EXPECT_TRUE(task.ok()) << task.status();
  return task.ok() ? std::move(task).value() : nullptr;
}

// List + Prepare in `cache` (one thread unless said otherwise).
std::unique_ptr<Task> Ready(const MuraTaskOptions& options, const std::string& cache,
                            int threads = 1) {
  auto task = MakeTask(options);
  absl::Status listed = task->List();
  EXPECT_TRUE(listed.ok()) << listed;
  TaskContext context;
  context.cache_dir = cache;
  context.num_threads = threads;
  absl::Status prepared = task->Prepare(context);
  EXPECT_TRUE(prepared.ok()) << prepared;
  return task;
}

int64_t IndexOf(const Task& task, const std::string& id) {
  for (size_t i = 0; i < task.samples().size(); ++i) {
    if (task.samples()[i].id == id) return static_cast<int64_t>(i);
  }
  ADD_FAILURE() << "no sample " << id;
  return 0;
}

Slice LoadImage(const Task& task, int64_t index, Augmentation augmentation = {}) {
  Slice image;
  absl::Status status = task.Load(SampleRef{index, 0}, augmentation, &image);
  EXPECT_TRUE(status.ok()) << status;
  return image;
}

class MuraTaskTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { root_ = new std::string(MakeFixture("fixture")); }
  // A private copy of the fixture, for tests that edit it.
  static std::string CopyFixture(const std::string& name) {
    const std::string out = absl::StrCat(TmpDir(), "/", name);
    fs::remove_all(out);
    fs::create_directories(out);
    fs::copy(*root_, out + "/MURA-v1.1", fs::copy_options::recursive);
    return out + "/MURA-v1.1";
  }
  static std::string* root_;
};
std::string* MuraTaskTest::root_ = nullptr;

TEST_F(MuraTaskTest, ListsShoulderImagesWithLabelsGroupsAndPatients) {
  auto task = MakeTask(Options(*root_));
  ASSERT_TRUE(task->List().ok());
  const std::vector<TaskSample>& s = task->samples();
  // 25 listed train shoulder images (one missing on disk) + 6 valid ones.
  ASSERT_EQ(s.size(), 30u);
  EXPECT_EQ(s[0].id, "train/XR_SHOULDER/patient00001/study1_positive/image1.png");
  EXPECT_EQ(s[0].label, 1);
  EXPECT_EQ(s[0].group, "XR_SHOULDER/patient00001/study1_positive");
  EXPECT_EQ(s[0].patient, "patient00001");
  EXPECT_EQ(task->PredictionColumns(), (std::vector<std::string>{"study", "patient", "body_part"}));
  EXPECT_EQ(s[0].columns, (std::vector<std::string>{"XR_SHOULDER/patient00001/study1_positive",
                                                    "patient00001", "XR_SHOULDER"}));
  EXPECT_EQ(s[3].id, "train/XR_SHOULDER/patient00001/study2_negative/image1.png");
  EXPECT_EQ(s[3].label, 0);
  EXPECT_EQ(s[3].group, "XR_SHOULDER/patient00001/study2_negative");
  EXPECT_EQ(s.back().id, "valid/XR_SHOULDER/patient11187/study2_negative/image1.png");
  EXPECT_EQ(s.back().label, 0);

  std::set<std::string> ids;
  int positives = 0;
  for (const TaskSample& sample : s) {
    ids.insert(sample.id);
    positives += sample.label;
    EXPECT_EQ(sample.columns[2], "XR_SHOULDER") << sample.id;
    // The label is the study folder's.
    EXPECT_EQ(sample.label, sample.group.find("_positive") != std::string::npos ? 1 : 0);
    EXPECT_EQ(sample.id.find(sample.group), sample.id.find('/') + 1) << sample.id;
  }
  EXPECT_EQ(ids.size(), s.size());
  EXPECT_EQ(positives, 18);
  // The missing image is left out, and counted.
  EXPECT_EQ(ids.count("train/XR_SHOULDER/patient00004/study1_negative/image2.png"), 0u);
  EXPECT_EQ(ids.count("train/XR_SHOULDER/patient00004/study1_negative/image1.png"), 1u);
  EXPECT_EQ(task->Info().at("missing_image_count"), "1");
  EXPECT_EQ(task->dataset_name(), "MURA");
  EXPECT_EQ(task->image_size(), 40);
}

TEST_F(MuraTaskTest, PatientsAreTheCorpusSourcesPatientIds) {
  auto task = MakeTask(Options(*root_));
  ASSERT_TRUE(task->List().ok());
  MuraOptions source_options;
  source_options.set_root(*root_);
  source_options.add_study_types("XR_SHOULDER");
  source_options.set_check_files(false);
  auto source = Registry<DatasetSource>::Get().Create("mura", source_options);
  ASSERT_TRUE(source.ok()) << source.status();
  auto records = (*source)->Scan();
  ASSERT_TRUE(records.ok()) << records.status();
  std::set<std::pair<std::string, std::string>> corpus, downstream;
  for (const PatientRecord& r : *records) corpus.insert({r.dataset, r.patient_id});
  for (const TaskSample& s : task->samples()) downstream.insert({task->dataset_name(), s.patient});
  EXPECT_EQ(downstream, corpus);
  EXPECT_EQ(downstream.size(), 17u);
}

TEST_F(MuraTaskTest, AllBodyParts) {
  MuraTaskOptions options = Options(*root_);
  options.set_body_part("all");
  auto task = MakeTask(options);
  ASSERT_TRUE(task->List().ok());
  std::map<std::string, int> per_part;
  for (const TaskSample& s : task->samples()) ++per_part[s.columns[2]];
  EXPECT_EQ(per_part,
            (std::map<std::string, int>{
                {"XR_ELBOW", 1}, {"XR_HUMERUS", 1}, {"XR_SHOULDER", 30}, {"XR_WRIST", 1}}));

  options.set_body_part("XR_ELBOW");
  task = MakeTask(options);
  ASSERT_TRUE(task->List().ok());
  ASSERT_EQ(task->samples().size(), 1u);
  EXPECT_EQ(task->samples()[0].id, "train/XR_ELBOW/patient00015/study1_negative/image1.png");
}

std::set<std::string> Patients(const Task& task, const std::vector<int64_t>& indices) {
  std::set<std::string> out;
  for (int64_t i : indices) out.insert(task.samples()[i].patient);
  return out;
}

std::vector<int64_t> Indices(const std::vector<SampleRef>& refs) {
  std::vector<int64_t> out;
  for (const SampleRef& r : refs) out.push_back(r.index);
  return out;
}

TEST_F(MuraTaskTest, OneFoldOfficialValidAsTestPatientLevelValidation) {
  auto task = MakeTask(Options(*root_));
  ASSERT_TRUE(task->List().ok());
  auto folds = task->Folds(42);
  ASSERT_TRUE(folds.ok()) << folds.status();
  ASSERT_EQ(folds->size(), 1u);
  const TaskFold& fold = (*folds)[0];
  EXPECT_EQ(fold.name, "official valid");

  // Test = exactly the official valid split.
  std::vector<int64_t> valid_split;
  for (size_t i = 0; i < task->samples().size(); ++i) {
    if (task->samples()[i].id.rfind("valid/", 0) == 0) valid_split.push_back(i);
  }
  EXPECT_EQ(fold.test, valid_split);
  EXPECT_EQ(valid_split.size(), 6u);

  // Train and val partition the official train split, by patient; val ~10% of 14 patients.
  const std::vector<int64_t> train = Indices(fold.train);
  for (const SampleRef& r : fold.train) EXPECT_EQ(r.copy, 0);
  EXPECT_EQ(train.size() + fold.val.size() + fold.test.size(), task->samples().size());
  const std::set<std::string> train_patients = Patients(*task, train);
  const std::set<std::string> val_patients = Patients(*task, fold.val);
  EXPECT_EQ(val_patients.size(), 1u);
  EXPECT_EQ(train_patients.size(), 13u);
  for (const std::string& p : val_patients) {
    EXPECT_EQ(train_patients.count(p), 0u) << p;
    EXPECT_EQ(Patients(*task, fold.test).count(p), 0u) << p;
    EXPECT_EQ(p.substr(0, 9), "patient00") << p;  // A train-split patient.
  }
  for (int64_t i : fold.val) EXPECT_EQ(task->samples()[i].id.rfind("train/", 0), 0u);

  // Deterministic by seed; other seeds draw other patients.
  auto again = task->Folds(42);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[0].val, fold.val);
  EXPECT_EQ(Indices((*again)[0].train), train);
  std::set<std::set<std::string>> draws;
  for (uint64_t seed = 0; seed < 10; ++seed) {
    auto other = task->Folds(seed);
    ASSERT_TRUE(other.ok());
    draws.insert(Patients(*task, (*other)[0].val));
  }
  EXPECT_GE(draws.size(), 4u);

  // A larger fraction: more validation patients, still disjoint.
  MuraTaskOptions half = Options(*root_);
  half.set_val_fraction(0.5);
  auto task_half = MakeTask(half);
  ASSERT_TRUE(task_half->List().ok());
  auto half_folds = task_half->Folds(42);
  ASSERT_TRUE(half_folds.ok());
  EXPECT_EQ(Patients(*task_half, (*half_folds)[0].val).size(), 7u);
}

TEST_F(MuraTaskTest, KFoldCrossValidationByPatient) {
  MuraTaskOptions options = Options(*root_);
  options.set_folds(3);
  options.set_val_fraction(0.2);
  auto task = MakeTask(options);
  ASSERT_TRUE(task->List().ok());
  auto folds = task->Folds(42);
  ASSERT_TRUE(folds.ok()) << folds.status();
  ASSERT_EQ(folds->size(), 3u);
  std::set<std::string> all_test_patients;
  size_t test_images = 0;
  for (size_t k = 0; k < 3; ++k) {
    const TaskFold& fold = (*folds)[k];
    EXPECT_EQ(fold.name, absl::StrCat("patients ", k + 1, "/3"));
    const std::set<std::string> test = Patients(*task, fold.test);
    const std::set<std::string> val = Patients(*task, fold.val);
    const std::set<std::string> train = Patients(*task, Indices(fold.train));
    EXPECT_GE(test.size(), 5u);
    EXPECT_LE(test.size(), 6u);
    EXPECT_FALSE(val.empty());
    for (const std::string& p : test) {
      EXPECT_EQ(val.count(p) + train.count(p), 0u) << p;
      EXPECT_TRUE(all_test_patients.insert(p).second) << p << " tested in two folds";
    }
    for (const std::string& p : val) EXPECT_EQ(train.count(p), 0u) << p;
    EXPECT_EQ(fold.train.size() + fold.val.size() + fold.test.size(), task->samples().size());
    test_images += fold.test.size();
  }
  EXPECT_EQ(all_test_patients.size(), 17u);  // Every patient is tested exactly once.
  EXPECT_EQ(test_images, task->samples().size());

  // The folds' test sets do not depend on the seed; validation draws do.
  bool val_differs = false;
  for (uint64_t seed : {1, 2, 3, 4}) {
    auto other = task->Folds(seed);
    ASSERT_TRUE(other.ok());
    for (size_t k = 0; k < 3; ++k) {
      EXPECT_EQ((*other)[k].test, (*folds)[k].test);
      val_differs = val_differs || (*other)[k].val != (*folds)[k].val;
    }
  }
  EXPECT_TRUE(val_differs);

  options.set_folds(18);
  task = MakeTask(options);
  ASSERT_TRUE(task->List().ok());
  EXPECT_EQ(task->Folds(1).status().message(),
            "folds: 18 folds need at least as many patients, got 17");
}

TEST_F(MuraTaskTest, PixelsArePaddedToASquareResizedAndScaledByBitDepth) {
  auto task = Ready(Options(*root_, 40), FreshDir("cache_pixels"));
  // 20 x 40 constant 200 (8-bit): centred in a 40 x 40 square, rows 10..29.
  Slice padded =
      LoadImage(*task, IndexOf(*task, "train/XR_SHOULDER/patient00003/study1_positive/image1.png"));
  ASSERT_EQ(padded.width, 40);
  ASSERT_EQ(padded.height, 40);
  ASSERT_EQ(padded.pixels.size(), 1600u);
  for (int y = 0; y < 40; ++y) {
    for (int x = 0; x < 40; x += 13) {
      EXPECT_NEAR(padded.at(x, y), y >= 10 && y < 30 ? 200.0 / 255 : 0.0, 1e-4) << x << "," << y;
    }
  }
  // 16-bit constant 32768: / 65535.
  Slice deep =
      LoadImage(*task, IndexOf(*task, "train/XR_SHOULDER/patient00005/study1_positive/image1.png"));
  EXPECT_NEAR(deep.at(5, 7), 32768.0 / 65535, 1e-4);
  // bits_stored 8 forces / 255 (clipped to 1).
  MuraTaskOptions eight = Options(*root_, 40);
  eight.set_bits_stored(8);
  auto task8 = Ready(eight, FreshDir("cache_pixels8"));
  EXPECT_EQ(LoadImage(*task8,
                      IndexOf(*task8, "train/XR_SHOULDER/patient00005/study1_positive/image1.png"))
                .at(5, 7),
            1.0f);

  // Shrinking 20 x 40 -> pad 40 x 40 -> 20 x 20: rows 5..14 bright.
  auto small = Ready(Options(*root_, 20), FreshDir("cache_pixels20"));
  Slice shrunk = LoadImage(
      *small, IndexOf(*small, "train/XR_SHOULDER/patient00003/study1_positive/image1.png"));
  ASSERT_EQ(shrunk.pixels.size(), 400u);
  EXPECT_NEAR(shrunk.at(3, 4), 0.0, 1e-4);
  EXPECT_NEAR(shrunk.at(3, 5), 200.0 / 255, 1e-4);
  EXPECT_NEAR(shrunk.at(3, 14), 200.0 / 255, 1e-4);
  EXPECT_NEAR(shrunk.at(3, 15), 0.0, 1e-4);
  // "stretch" fills the whole square instead.
  MuraTaskOptions stretch = Options(*root_, 20);
  stretch.set_resize("stretch");
  auto stretched = Ready(stretch, FreshDir("cache_stretch"));
  EXPECT_NEAR(
      LoadImage(*stretched,
                IndexOf(*stretched, "train/XR_SHOULDER/patient00003/study1_positive/image1.png"))
          .at(3, 0),
      200.0 / 255, 1e-4);
  // Every image (RGB ones too) is in [0, 1] and not blank.
  for (size_t i = 0; i < task->samples().size(); ++i) {
    Slice image = LoadImage(*task, i);
    float lo = 1, hi = 0;
    for (float v : image.pixels) lo = std::min(lo, v), hi = std::max(hi, v);
    EXPECT_GE(lo, 0.0f);
    EXPECT_LE(hi, 1.0f);
    EXPECT_GT(hi, 0.1f) << task->samples()[i].id;
  }
}

TEST_F(MuraTaskTest, DefaultsAreTheStudys224PixelImages) {
  MuraTaskOptions options;
  options.set_root(*root_);
  auto task = Ready(options, FreshDir("cache_default"));
  EXPECT_EQ(task->image_size(), 224);
  const Slice image =
      LoadImage(*task, IndexOf(*task, "train/XR_SHOULDER/patient00003/study1_positive/image1.png"));
  ASSERT_EQ(image.width, 224);
  ASSERT_EQ(image.pixels.size(), 224u * 224u);
  // 20 x 40 padded to 40 x 40 (rows 10..29) then scaled by 5.6: rows 56..167.
  EXPECT_NEAR(image.at(100, 112), 200.0 / 255, 1e-4);
  EXPECT_NEAR(image.at(100, 60), 200.0 / 255, 1e-4);
  EXPECT_NEAR(image.at(100, 50), 0.0, 1e-4);
  EXPECT_NEAR(image.at(100, 175), 0.0, 1e-4);
  // Default augmentation (rotation 20, zoom 0.9-1.1, flips 0.5) keeps the size and the range.
  const Slice augmented = LoadImage(*task, 0, Augmentation{true, 42, 0});
  ASSERT_EQ(augmented.pixels.size(), 224u * 224u);
  EXPECT_NE(augmented.pixels, LoadImage(*task, 0).pixels);
}

TEST_F(MuraTaskTest, AugmentationIsDeterministicPerEpochAndOnlyWhenEnabled) {
  auto task = Ready(Options(*root_, 40), FreshDir("cache_aug"));
  const int64_t index = 0;
  const Slice base = LoadImage(*task, index);
  // Disabled: the cached image, whatever seed/epoch say.
  EXPECT_EQ(LoadImage(*task, index, Augmentation{false, 7, 3}).pixels, base.pixels);

  const Slice a = LoadImage(*task, index, Augmentation{true, 7, 3});
  EXPECT_EQ(LoadImage(*task, index, Augmentation{true, 7, 3}).pixels, a.pixels);
  EXPECT_NE(a.pixels, base.pixels);
  EXPECT_NE(LoadImage(*task, index, Augmentation{true, 7, 4}).pixels, a.pixels);  // New epoch.
  EXPECT_NE(LoadImage(*task, index, Augmentation{true, 8, 3}).pixels, a.pixels);  // New seed.
  for (float v : a.pixels) {
    EXPECT_GE(v, 0.0f);
    EXPECT_LE(v, 1.0f);
  }

  // Every transform off: enabled augmentation is the identity.
  MuraTaskOptions off = Options(*root_, 40);
  off.set_rotation_degrees(0);
  off.set_zoom_min(1);
  off.set_zoom_max(1);
  off.set_horizontal_flip_probability(0);
  off.set_vertical_flip_probability(0);
  auto identity = Ready(off, FreshDir("cache_aug"));
  for (uint64_t epoch = 0; epoch < 5; ++epoch) {
    EXPECT_EQ(LoadImage(*identity, index, Augmentation{true, 7, epoch}).pixels, base.pixels);
  }

  // Horizontal flip only (p = 1): exactly the mirror image.
  MuraTaskOptions mirror = off;
  mirror.set_horizontal_flip_probability(1);
  auto flipped = Ready(mirror, FreshDir("cache_aug"));
  const Slice m = LoadImage(*flipped, index, Augmentation{true, 7, 0});
  for (int y = 0; y < 40; ++y) {
    for (int x = 0; x < 40; ++x) ASSERT_EQ(m.at(x, y), base.at(39 - x, y)) << x << "," << y;
  }

  // Zoom 1.25 on both axes (Keras' convention: > 1 zooms out): output row y samples input row
  // 19.5 + 1.25 (y - 19.5), so the padded image's bright rows 10..29 shrink to rows 12..27.
  MuraTaskOptions zoom = off;
  zoom.set_zoom_min(1.25);
  zoom.set_zoom_max(1.25);
  zoom.set_fill("constant");
  auto zoomed = Ready(zoom, FreshDir("cache_aug"));
  const Slice band = LoadImage(
      *zoomed, IndexOf(*zoomed, "train/XR_SHOULDER/patient00003/study1_positive/image1.png"),
      Augmentation{true, 3, 0});
  EXPECT_NEAR(band.at(20, 11), 0.0, 1e-4);
  EXPECT_NEAR(band.at(20, 12), 200.0 / 255, 1e-3);
  EXPECT_NEAR(band.at(20, 27), 200.0 / 255, 1e-3);
  EXPECT_NEAR(band.at(20, 28), 0.0, 1e-4);
  EXPECT_NEAR(band.at(0, 20), 0.0, 1e-4);  // Columns 0..4 come from outside: constant fill.

  // Rotation only keeps the centre pixel and moves the rest; mean intensity about the same.
  MuraTaskOptions rotate = off;
  rotate.set_rotation_degrees(20);
  auto rotated = Ready(rotate, FreshDir("cache_aug"));
  int changed_epochs = 0;
  for (uint64_t epoch = 0; epoch < 4; ++epoch) {
    const Slice r = LoadImage(*rotated, index, Augmentation{true, 1, epoch});
    changed_epochs += r.pixels != base.pixels;
  }
  EXPECT_EQ(changed_epochs, 4);
}

TEST_F(MuraTaskTest, LoadIsThreadSafe) {
  auto task = Ready(Options(*root_, 40), FreshDir("cache_threads"), 3);
  const int64_t n = static_cast<int64_t>(task->samples().size());
  std::vector<std::vector<float>> expected(n);
  for (int64_t i = 0; i < n; ++i)
    expected[i] = LoadImage(*task, i, Augmentation{true, 5, 1}).pixels;
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round) {
        for (int64_t i = (t + round) % n; i < n; i += 2) {
          Slice image;
          if (!task->Load(SampleRef{i, 0}, Augmentation{true, 5, 1}, &image).ok() ||
              image.pixels != expected[i]) {
            ++mismatches[t];
          }
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

// The one store folder under <cache>/mura (fingerprint-named).
std::vector<std::string> StoreDirs(const std::string& cache) {
  std::vector<std::string> dirs;
  for (const auto& entry : fs::directory_iterator(cache + "/mura")) {
    dirs.push_back(entry.path().filename().string());
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

TEST_F(MuraTaskTest, CacheIsReusedAndRebuiltWhenInputsOrOptionsChange) {
  const std::string root = CopyFixture("fixture_cache");
  const std::string cache = FreshDir("cache_reuse");
  auto first = Ready(Options(root, 40), cache);
  const std::string store = first->Info().at("image_cache");
  ASSERT_EQ(StoreDirs(cache).size(), 1u);
  EXPECT_EQ(store, cache + "/mura/" + StoreDirs(cache)[0]);
  // A marker inside the store survives a second Prepare: the store was reused, not rebuilt.
  WriteText(store + "/marker", "x");
  auto second = Ready(Options(root, 40), cache);
  EXPECT_EQ(second->Info().at("image_cache"), store);
  EXPECT_TRUE(fs::exists(store + "/marker"));
  EXPECT_EQ(LoadImage(*second, 3).pixels, LoadImage(*first, 3).pixels);

  // Another image size: another store.
  auto bigger = Ready(Options(root, 48), cache);
  EXPECT_NE(bigger->Info().at("image_cache"), store);
  EXPECT_EQ(LoadImage(*bigger, 3).pixels.size(), 48u * 48u);
  EXPECT_EQ(StoreDirs(cache).size(), 2u);

  // An input file changes (content and time): a new store with the new pixels.
  const int64_t index =
      IndexOf(*first, "train/XR_SHOULDER/patient00003/study1_positive/image1.png");
  const std::string png = root + "/train/XR_SHOULDER/patient00003/study1_positive/image1.png";
  const std::string other = root + "/train/XR_SHOULDER/patient00005/study1_positive/image1.png";
  fs::copy_file(other, png, fs::copy_options::overwrite_existing);
  fs::last_write_time(png, fs::last_write_time(png) + std::chrono::seconds(5));
  auto changed = Ready(Options(root, 40), cache);
  EXPECT_NE(changed->Info().at("image_cache"), store);
  EXPECT_NEAR(LoadImage(*changed, index).at(0, 0), 32768.0 / 65535, 1e-4);

  // A store whose recorded inputs do not match its name (tampered / stale) is rebuilt.
  const std::string changed_store = changed->Info().at("image_cache");
  WriteText(changed_store + "/inputs.txt", "something else");
  WriteText(changed_store + "/marker", "x");
  auto rebuilt = Ready(Options(root, 40), cache);
  EXPECT_EQ(rebuilt->Info().at("image_cache"), changed_store);
  EXPECT_FALSE(fs::exists(changed_store + "/marker"));
  EXPECT_NEAR(LoadImage(*rebuilt, index).at(0, 0), 32768.0 / 65535, 1e-4);
  // No half-built folders left behind.
  for (const std::string& d : StoreDirs(cache)) EXPECT_EQ(d.find(".tmp."), std::string::npos);
}

// Ranks > 0 of a data-parallel run open the cache rank 0 built and write nothing; without a
// cache they fail instead of building one of their own.
TEST_F(MuraTaskTest, ReadOnlyPrepareOpensTheCacheAndNeverBuildsIt) {
  const std::string cache = FreshDir("cache_read_only");
  TaskContext reader;
  reader.cache_dir = cache;
  reader.build_cache = false;
  auto early = MakeTask(Options(*root_, 40));
  ASSERT_TRUE(early->List().ok());
  absl::Status refused = early->Prepare(reader);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_NE(refused.message().find("only reads it"), std::string::npos) << refused;
  EXPECT_FALSE(fs::exists(cache + "/mura"));

  auto builder = Ready(Options(*root_, 40), cache);
  const auto report = fs::last_write_time(cache + "/mura_missing_images.csv");
  auto follower = MakeTask(Options(*root_, 40));
  ASSERT_TRUE(follower->List().ok());
  ASSERT_TRUE(follower->Prepare(reader).ok());
  EXPECT_EQ(StoreDirs(cache).size(), 1u);
  EXPECT_EQ(fs::last_write_time(cache + "/mura_missing_images.csv"), report);
  EXPECT_EQ(LoadImage(*follower, 3).pixels, LoadImage(*builder, 3).pixels);
}

TEST_F(MuraTaskTest, DamagedStoresAndAbandonedBuildsAreReplaced) {
  const std::string cache = FreshDir("cache_damaged");
  const std::string store = Ready(Options(*root_, 40), cache)->Info().at("image_cache");
  const Slice before = LoadImage(*Ready(Options(*root_, 40), cache), 5);
  // A shard cut short: the store no longer opens, so it is rebuilt under the same name.
  std::string shard;
  for (const auto& entry : fs::directory_iterator(store)) {
    if (entry.path().extension() == ".bin") shard = entry.path().string();
  }
  ASSERT_FALSE(shard.empty());
  fs::resize_file(shard, fs::file_size(shard) / 2);
  // Folders of killed builds: this host's dead process (removed), another host's (kept).
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  const std::string dead = absl::StrCat(store, ".tmp.", host, ".999999999");
  const std::string remote = store + ".tmp.some-other-host.1";
  fs::create_directories(dead);
  fs::create_directories(remote);

  auto again = Ready(Options(*root_, 40), cache);
  EXPECT_EQ(again->Info().at("image_cache"), store);
  EXPECT_EQ(LoadImage(*again, 5).pixels, before.pixels);
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_TRUE(fs::exists(remote));
}

TEST_F(MuraTaskTest, MissingImagesAreListedInAReport) {
  const std::string cache = FreshDir("cache_missing");
  auto task = Ready(Options(*root_, 40), cache);
  const std::string list = task->Info().at("missing_images");
  EXPECT_EQ(list, cache + "/mura_missing_images.csv");
  auto text = ReadFile(list);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, absl::StrCat("path,listed_in\n", *root_,
                                "/train/XR_SHOULDER/patient00004/study1_negative/image2.png,",
                                *root_, "/train_image_paths.csv:11\n"));

  MuraTaskOptions strict = Options(*root_);
  strict.set_missing_images("error");
  auto failing = MakeTask(strict);
  absl::Status status = failing->List();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(),
            absl::StrCat(*root_, "/train/XR_SHOULDER/patient00004/study1_negative/image2.png: ",
                         "missing (listed in ", *root_, "/train_image_paths.csv:11)"));
}

TEST_F(MuraTaskTest, StudyPredictionsAreTheMeanProbabilityPerStudy) {
  auto task = MakeTask(Options(*root_));
  ASSERT_TRUE(task->List().ok());
  auto folds = task->Folds(1);
  ASSERT_TRUE(folds.ok());
  const std::vector<int64_t>& test = (*folds)[0].test;
  ASSERT_EQ(test.size(), 6u);
  // Test images in order: 11185 x2 (positive), 11186 x2 (negative), 11187 study1, study2.
  const std::vector<float> scores = {0.9f, 0.5f, 0.25f, 0.75f, 0.125f, 0.0f};
  const std::string dir = FreshDir("predictions");
  ASSERT_TRUE(task->WriteTaskPredictions("test", test, scores, dir).ok());
  auto text = ReadFile(dir + "/predictions_test_study.csv");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text,
            "study,label,score\n"
            "XR_SHOULDER/patient11185/study1_positive,1,0.699999988\n"
            "XR_SHOULDER/patient11186/study1_negative,0,0.5\n"
            "XR_SHOULDER/patient11187/study1_positive,1,0.125\n"
            "XR_SHOULDER/patient11187/study2_negative,0,0\n");

  EXPECT_EQ(task->WriteTaskPredictions("test", test, {0.5f}, dir).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(task->WriteTaskPredictions("test", {999}, {0.5f}, dir).code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(task->WriteTaskPredictions("val", {0}, {NAN}, dir).code(),
            absl::StatusCode::kInvalidArgument);
}

// Each broken layout: a fresh fixture, one edit, the expected error.
TEST_F(MuraTaskTest, BadInputsGiveClearErrors) {
  auto list_error = [](const MuraTaskOptions& options) {
    auto task = MakeTask(options);
    return task->List();
  };
  EXPECT_EQ(list_error(MuraTaskOptions()).message(), "root: must be set (the MURA-v1.1 folder)");
  EXPECT_EQ(list_error(Options("/nonexistent/MURA")).code(), absl::StatusCode::kNotFound);

  // A malformed row (two fields in the one-column image list).
  std::string root = CopyFixture("broken_row");
  {
    std::ofstream(root + "/train_image_paths.csv", std::ios::app) << "a,b\n";
    absl::Status status = list_error(Options(root));
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find(root + "/train_image_paths.csv"), std::string::npos) << status;
  }
  // A path of the wrong shape.
  root = CopyFixture("broken_path");
  {
    std::ofstream(root + "/valid_image_paths.csv", std::ios::app) << "MURA-v1.1/valid/oops.png\n";
    EXPECT_EQ(
        list_error(Options(root)).message(),
        absl::StrCat(root, "/valid_image_paths.csv:8: expected MURA-v1.1/<split>/<XR_TYPE>/",
                     "patientNNNNN/studyN_<label>/imageN.png, got 'MURA-v1.1/valid/oops.png'"));
  }
  // A label that contradicts the study folder.
  root = CopyFixture("broken_label");
  {
    auto text = ReadFile(root + "/valid_labeled_studies.csv");
    ASSERT_TRUE(text.ok());
    std::string edited = *text;
    edited.replace(edited.find("study1_negative/,0"), 18, "study1_negative/,1");
    WriteText(root + "/valid_labeled_studies.csv", edited);
    EXPECT_EQ(list_error(Options(root)).message(),
              absl::StrCat(root, "/valid_labeled_studies.csv:2: label 1 contradicts the study ",
                           "folder 'study1_negative'"));
  }
  // A patient in both official splits.
  root = CopyFixture("broken_leak");
  {
    fs::create_directories(root + "/valid/XR_SHOULDER/patient00001/study3_positive");
    fs::copy_file(root + "/train/XR_SHOULDER/patient00001/study1_positive/image1.png",
                  root + "/valid/XR_SHOULDER/patient00001/study3_positive/image1.png");
    std::ofstream(root + "/valid_image_paths.csv", std::ios::app)
        << "MURA-v1.1/valid/XR_SHOULDER/patient00001/study3_positive/image1.png\n";
    absl::Status status = list_error(Options(root));
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(status.message(),
              absl::StrCat(root, "/valid_image_paths.csv:8: patient patient00001 is in both the ",
                           "train and the valid split; MURA's official splits are ",
                           "patient-disjoint (the test set would leak)"));
  }
  // A body part with no images.
  MuraTaskOptions nothing = Options(*root_);
  nothing.set_body_part("XR_KNEE");
  EXPECT_EQ(list_error(nothing).message(),
            absl::StrCat(*root_, ": no images of body_part \"XR_KNEE\" on disk (listed study ",
                         "types: XR_ELBOW, XR_HUMERUS, XR_SHOULDER, XR_WRIST; missing files: 0)"));
  // A missing CSV.
  root = CopyFixture("broken_csv");
  fs::remove(root + "/valid_image_paths.csv");
  EXPECT_EQ(list_error(Options(root)).code(), absl::StatusCode::kNotFound);

  // A PNG that does not decode: Prepare names it.
  root = CopyFixture("broken_png");
  WriteText(root + "/valid/XR_SHOULDER/patient11186/study1_negative/image1.png", "not a png");
  {
    auto task = MakeTask(Options(root));
    ASSERT_TRUE(task->List().ok());
    TaskContext context;
    context.cache_dir = FreshDir("cache_broken_png");
    absl::Status status = task->Prepare(context);
    EXPECT_FALSE(status.ok());
    EXPECT_NE(
        status.message().find(root + "/valid/XR_SHOULDER/patient11186/study1_negative/image1.png"),
        std::string::npos)
        << status;
    // Nothing half-built is published.
    EXPECT_TRUE(fs::is_empty(context.cache_dir + "/mura"));
    Slice image;
    EXPECT_EQ(task->Load(SampleRef{0, 0}, {}, &image).code(),
              absl::StatusCode::kFailedPrecondition);
  }
}

TEST(MuraTaskOptionsTest, InvalidOptionsAreRefusedByName) {
  auto refuse = [](auto edit) {
    MuraTaskOptions options;
    edit(options);
    auto task = Registry<Task>::Get().Create("mura", options);
    EXPECT_FALSE(task.ok());
    return std::string(task.status().message());
  };
  EXPECT_EQ(refuse([](MuraTaskOptions& o) { o.set_val_fraction(1.0); }),
            "val_fraction: must be in (0, 1), got 1");
  EXPECT_EQ(refuse([](MuraTaskOptions& o) { o.set_image_size(0); }),
            "image_size: must be >= 8, got 0");
  EXPECT_EQ(refuse([](MuraTaskOptions& o) { o.set_resize("crop"); }),
            "resize: must be \"pad\" or \"stretch\", got \"crop\"");
  EXPECT_EQ(refuse([](MuraTaskOptions& o) { o.set_zoom_min(1.2); }),
            "zoom_min, zoom_max: need 0 < zoom_min <= zoom_max, got 1.2, 1.1");
  EXPECT_EQ(refuse([](MuraTaskOptions& o) { o.set_vertical_flip_probability(2); }),
            "vertical_flip_probability: must be in [0, 1], got 2");
  EXPECT_EQ(refuse([](MuraTaskOptions& o) { o.set_fill("reflect"); }),
            "fill: must be \"nearest\" or \"constant\", got \"reflect\"");
  EXPECT_EQ(refuse([](MuraTaskOptions& o) { o.set_folds(0); }), "folds: must be >= 1, got 0");
  EXPECT_EQ(refuse([](MuraTaskOptions& o) { o.set_missing_images("skip"); }),
            "missing_images: must be \"report\" or \"error\", got \"skip\"");
  // Defaults build (root is checked by List, so the conformance test can build every plugin).
  EXPECT_TRUE(Registry<Task>::Get().Create("mura", MuraTaskOptions()).ok());
}

}  // namespace
}  // namespace genesis
