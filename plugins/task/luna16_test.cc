// The "luna16" task over a LUNA16-layout fixture (tools/testdata/make_luna16_task_fixture.py:
// 10 subsets x 1-2 small scans, anisotropic, some oblique, candidates near the border): folds,
// copies, negative down-sampling, patches equal to an independent numpy reference, cache
// reuse and rebuild, determinism, bad input.
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/image_reader.h"
#include "core/registry.h"
#include "core/task.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "plugins/task/luna16.pb.h"
#include "plugins/task/luna16_patch.h"
#include "plugins/task/luna16_test_util.h"

namespace genesis {
namespace {

namespace fs = std::filesystem;

const std::string& Fixture() {
  static const std::string* root = [] {
    auto* dir = new std::string(luna16::TestDir("fixture"));
    std::string log;
    EXPECT_EQ(luna16::RunFixtureScript({"luna", *dir}, &log), 0) << log;
    return dir;
  }();
  return *root;
}

Luna16TaskOptions Options() {
  Luna16TaskOptions o;
  o.set_root(Fixture());
  o.set_size(16);
  return o;
}

std::unique_ptr<Task> Listed(const Luna16TaskOptions& options) {
  auto task = Registry<Task>::Get().Create("luna16", options);
  EXPECT_TRUE(task.ok()) << task.status();
  if (!task.ok()) return nullptr;
  absl::Status listed = (*task)->List();
  EXPECT_TRUE(listed.ok()) << listed;
  return std::move(task).value();
}

TaskContext Context(const std::string& name) {
  TaskContext context;
  context.cache_dir = luna16::TestDir(name);
  context.seed = 1;
  context.num_threads = 2;
  return context;
}

// seriesuid -> subset, from the folders.
std::map<std::string, int> SubsetOf() {
  std::map<std::string, int> subset;
  for (int s = 0; s < 10; ++s) {
    for (const auto& e : fs::directory_iterator(absl::StrCat(Fixture(), "/subset", s))) {
      if (e.path().extension() == ".mhd") subset[e.path().stem().string()] = s;
    }
  }
  return subset;
}

// The candidate CSV's data rows.
std::vector<std::vector<std::string>> CandidateRows() {
  std::ifstream in(Fixture() + "/candidates_V2/candidates_V2.csv");
  std::vector<std::vector<std::string>> rows;
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) rows.push_back(absl::StrSplit(line, ','));
  return rows;
}

int64_t Row(const TaskSample& s) {
  int64_t row = -1;
  EXPECT_TRUE(absl::SimpleAtoi(s.id.substr(5), &row)) << s.id;
  return row;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Luna16TaskTest, ListsKeptCandidatesWithTheirScan) {
  auto task = Listed(Options());
  ASSERT_NE(task, nullptr);
  const auto rows = CandidateRows();
  const auto subset = SubsetOf();
  EXPECT_EQ(task->dataset_name(), "LUNA16");
  EXPECT_EQ(task->PredictionColumns(),
            (std::vector<std::string>{"seriesuid", "coordX", "coordY", "coordZ"}));
  int positives = 0;
  std::map<int, int> negatives_per_subset;
  std::set<std::string> ids;
  for (const TaskSample& s : task->samples()) {
    const int64_t row = Row(s);
    ASSERT_GE(row, 0);
    ASSERT_LT(row, static_cast<int64_t>(rows.size()));
    EXPECT_TRUE(ids.insert(s.id).second);
    EXPECT_EQ(s.id.size(), 12u) << s.id;  // cand_NNNNNNN
    EXPECT_EQ(s.group, rows[row][0]);
    EXPECT_EQ(s.patient, rows[row][0]);
    EXPECT_EQ(s.columns, (std::vector<std::string>(rows[row].begin(), rows[row].begin() + 4)));
    EXPECT_EQ(s.label, rows[row][4] == "1");
    ASSERT_TRUE(subset.count(s.group)) << s.group;  // Never the series without a .mhd.
    if (s.label) {
      ++positives;
    } else {
      ++negatives_per_subset[subset.at(s.group)];
    }
  }
  EXPECT_EQ(positives, 30);  // Every positive of the 15 scans.
  // 8 negatives per scan; 10% per subset: 2 scans -> round(1.6) = 2, 1 scan -> round(0.8) = 1.
  for (int s = 0; s < 10; ++s) {
    const bool two = s == 0 || s == 3 || s == 5 || s == 6 || s == 9;
    EXPECT_EQ(negatives_per_subset[s], two ? 2 : 1) << "subset " << s;
  }
}

TEST(Luna16TaskTest, FoldsAreSubsetPairsWithValidationFromTrainingScans) {
  auto task = Listed(Options());
  ASSERT_NE(task, nullptr);
  const auto subset = SubsetOf();
  auto folds = task->Folds(42);
  ASSERT_TRUE(folds.ok()) << folds.status();
  ASSERT_EQ(folds->size(), 5u);
  std::map<std::string, int> tested;
  for (size_t f = 0; f < folds->size(); ++f) {
    const TaskFold& fold = (*folds)[f];
    EXPECT_EQ(fold.name, absl::StrCat("subsets ", 2 * f, "-", 2 * f + 1));
    std::set<std::string> test_groups, train_groups, val_groups;
    for (int64_t i : fold.test) {
      const std::string& g = task->samples()[i].group;
      test_groups.insert(g);
      const int s = subset.at(g);
      EXPECT_TRUE(s == int(2 * f) || s == int(2 * f + 1)) << g;
    }
    for (const std::string& g : test_groups) ++tested[g];
    std::map<int64_t, std::set<int32_t>> copies;
    for (const SampleRef& ref : fold.train) {
      train_groups.insert(task->samples()[ref.index].group);
      EXPECT_TRUE(copies[ref.index].insert(ref.copy).second) << "duplicate item";
    }
    for (int64_t i : fold.val) val_groups.insert(task->samples()[i].group);
    for (const std::string& g : train_groups) {
      EXPECT_FALSE(test_groups.count(g)) << g;
      EXPECT_FALSE(val_groups.count(g)) << g;
    }
    for (const std::string& g : val_groups) EXPECT_FALSE(test_groups.count(g)) << g;
    EXPECT_EQ(val_groups.size(), 1u);  // round(0.1 * 12 or 13 training scans) = 1.
    EXPECT_EQ(train_groups.size() + val_groups.size() + test_groups.size(), 15u);
    // Positives x 8 augmentation copies x 3 planes, negatives x 3 planes.
    for (const auto& [index, set] : copies) {
      const int expected = task->samples()[index].label ? 24 : 3;
      EXPECT_EQ(set.size(), size_t(expected));
      EXPECT_EQ(*set.rbegin(), expected - 1);
    }
  }
  EXPECT_EQ(tested.size(), 15u);  // Every scan tested exactly once.
  for (const auto& [g, n] : tested) EXPECT_EQ(n, 1) << g;
  // Validation scans follow the seed.
  auto again = task->Folds(42);
  auto other = task->Folds(7);
  ASSERT_TRUE(again.ok() && other.ok());
  bool differs = false;
  for (size_t f = 0; f < 5; ++f) {
    EXPECT_EQ((*again)[f].val, (*folds)[f].val);
    differs |= (*other)[f].val != (*folds)[f].val;
  }
  EXPECT_TRUE(differs);
}

TEST(Luna16TaskTest, NegativeDownsamplingFollowsItsSeed) {
  auto kept = [](uint64_t seed, double fraction) {
    Luna16TaskOptions o = Options();
    o.set_negative_seed(seed);
    o.set_negative_fraction(fraction);
    auto task = Listed(o);
    std::set<std::string> ids;
    if (task == nullptr) return ids;
    for (const TaskSample& s : task->samples()) {
      if (!s.label) ids.insert(s.id);
    }
    return ids;
  };
  EXPECT_EQ(kept(1, 0.5), kept(1, 0.5));
  EXPECT_NE(kept(1, 0.5), kept(2, 0.5));
  EXPECT_EQ(kept(1, 0.5).size(), 60u);  // Half of 120 negatives, per subset.
  EXPECT_EQ(kept(3, 1.0).size(), 120u);
}

TEST(Luna16TaskTest, DownsampleTestFalseTestsEveryCandidate) {
  std::set<std::string> kept;
  // The task must outlive the loop: `for (... : Listed(...)->samples())` would iterate over
  // the samples of a task destroyed before the first iteration (ASan: heap-use-after-free).
  const std::unique_ptr<Task> downsampled = Listed(Options());
  ASSERT_NE(downsampled, nullptr);
  for (const TaskSample& s : downsampled->samples()) kept.insert(s.id);
  Luna16TaskOptions o = Options();
  o.set_downsample_test(false);
  auto task = Listed(o);
  ASSERT_NE(task, nullptr);
  EXPECT_EQ(task->samples().size(), 150u);  // 152 rows minus the 2 of the missing series.
  auto folds = task->Folds(1);
  ASSERT_TRUE(folds.ok());
  size_t tested = 0;
  for (const TaskFold& fold : *folds) {
    tested += fold.test.size();
    // Training and validation hold only the kept (down-sampled) candidates.
    for (const SampleRef& r : fold.train) EXPECT_TRUE(kept.count(task->samples()[r.index].id));
    for (int64_t i : fold.val) EXPECT_TRUE(kept.count(task->samples()[i].id));
  }
  EXPECT_EQ(tested, 150u);
  // Test-only negatives are cached with the views they are scored on: all three planes
  // (evaluation "average_views", the default), or the axial one ("first_view").
  EXPECT_EQ(task->evaluation_views(), 3);
  const TaskContext context = Context("cache_all_test");
  ASSERT_TRUE(task->Prepare(context).ok());
  Slice image;
  for (int64_t i = 0; i < 150; ++i) {
    for (int32_t view = 0; view < 3; ++view) {
      ASSERT_TRUE(task->Load({i, view}, {}, &image).ok()) << i << " view " << view;
    }
  }
  o.set_evaluation("first_view");
  auto first = Listed(o);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->evaluation_views(), 1);
  ASSERT_TRUE(first->Prepare(Context("cache_first_view")).ok());
  const TaskSample& negative = *std::find_if(
      first->samples().begin(), first->samples().end(),
      [&](const TaskSample& s) { return s.label == 0 && kept.count(s.id) == 0; });
  const int64_t index = &negative - first->samples().data();
  EXPECT_TRUE(first->Load({index, 0}, {}, &image).ok());
  EXPECT_FALSE(first->Load({index, 1}, {}, &image).ok());  // Only its scored view is cached.
  o.set_evaluation("mean");
  const absl::Status refused = Registry<Task>::Get().Create("luna16", o).status();
  EXPECT_TRUE(absl::StrContains(refused.message(),
                                "evaluation: expected \"average_views\" or \"first_view\""))
      << refused;
}

// Windowed reference planes (numpy) of a sample.
std::vector<float> ReferenceView(const Task& task, int64_t index, int view) {
  const std::string path =
      absl::StrCat(Fixture(), "/reference/", Row(task.samples()[index]), ".npy");
  PluginSpec spec;
  spec.set_type("npy");
  auto reader = Registry<ImageReader>::Get().Create(spec);
  std::vector<float> out;
  if (!reader.ok()) {
    ADD_FAILURE() << reader.status();
    return out;
  }
  auto volumes = (*reader)->Read(path);
  if (!volumes.ok()) {
    ADD_FAILURE() << volumes.status();
    return out;
  }
  const Volume& v = volumes->front();  // (3, 16, 16): z = view.
  luna16::HuWindow window;
  for (int64_t k = 0; k < 16 * 16; ++k) out.push_back(window.Apply(v.voxels[view * 256 + k]));
  return out;
}

TEST(Luna16TaskTest, NativePlanesEqualTheNumpyReferenceAndCopiesAreDeterministic) {
  auto task = Listed(Options());
  ASSERT_NE(task, nullptr);
  const TaskContext context = Context("cache_native");
  ASSERT_TRUE(task->Prepare(context).ok());
  EXPECT_EQ(task->image_size(), 16);
  Slice image;
  int checked = 0;
  for (int64_t i = 0; i < static_cast<int64_t>(task->samples().size()); ++i) {
    for (int view = 0; view < 3; ++view) {
      ASSERT_TRUE(task->Load({i, view}, {}, &image).ok());
      ASSERT_EQ(image.width, 16);
      ASSERT_EQ(image.height, 16);
      ASSERT_EQ(image.pixels, ReferenceView(*task, i, view)) << task->samples()[i].id << " view "
                                                             << view;
      ++checked;
    }
  }
  EXPECT_GT(checked, 100);
  // Augmented copies of a positive: in [0, 1], not the original, reproducible by a fresh
  // task in another cache; another augment_seed gives other copies.
  int64_t positive = 0;
  while (!task->samples()[positive].label) ++positive;
  Slice original, copy;
  ASSERT_TRUE(task->Load({positive, 0}, {}, &original).ok());
  ASSERT_TRUE(task->Load({positive, 3}, {}, &copy).ok());  // Axial, first augmented copy.
  EXPECT_NE(copy.pixels, original.pixels);
  for (float p : copy.pixels) ASSERT_TRUE(p >= 0 && p <= 1) << p;
  EXPECT_FALSE(task->Load({positive, 24}, {}, &copy).ok());  // Copies 0..23 only.
  auto fresh = Listed(Options());
  ASSERT_TRUE(fresh->Prepare(Context("cache_native_again")).ok());
  Slice again;
  for (int32_t c = 0; c < 24; ++c) {
    ASSERT_TRUE(task->Load({positive, c}, {}, &copy).ok());
    ASSERT_TRUE(fresh->Load({positive, c}, {}, &again).ok());
    EXPECT_EQ(copy.pixels, again.pixels) << c;
  }
  Luna16TaskOptions other = Options();
  other.set_augment_seed(9);
  auto reseeded = Listed(other);
  ASSERT_TRUE(reseeded->Prepare(Context("cache_reseeded")).ok());
  ASSERT_TRUE(reseeded->Load({positive, 0}, {}, &again).ok());
  EXPECT_EQ(again.pixels, original.pixels);
  ASSERT_TRUE(task->Load({positive, 3}, {}, &copy).ok());
  ASSERT_TRUE(reseeded->Load({positive, 3}, {}, &again).ok());
  EXPECT_NE(again.pixels, copy.pixels);
}

fs::file_time_type StoreTime(const std::string& cache) {
  return fs::last_write_time(cache + "/luna16/index.csv");
}

TEST(Luna16TaskTest, CacheIsReusedAndRebuiltWhenInputsOrPixelOptionsChange) {
  const TaskContext context = Context("cache_reuse");
  auto first = Listed(Options());
  ASSERT_TRUE(first->Prepare(context).ok());
  const auto built = StoreTime(context.cache_dir);
  Slice a, b;
  ASSERT_TRUE(first->Load({0, 0}, {}, &a).ok());

  Luna16TaskOptions same_pixels = Options();
  same_pixels.set_val_fraction(0.3);  // Folds only: the cache stays.
  auto second = Listed(same_pixels);
  ASSERT_TRUE(second->Prepare(context).ok());
  EXPECT_EQ(StoreTime(context.cache_dir), built);
  ASSERT_TRUE(second->Load({0, 0}, {}, &b).ok());
  EXPECT_EQ(a.pixels, b.pixels);

  Luna16TaskOptions window = Options();
  window.set_hu_max(400);
  auto third = Listed(window);
  ASSERT_TRUE(third->Prepare(context).ok());
  EXPECT_NE(StoreTime(context.cache_dir), built);
  const auto rebuilt = StoreTime(context.cache_dir);
  ASSERT_TRUE(third->Load({0, 0}, {}, &b).ok());
  EXPECT_NE(a.pixels, b.pixels);

  // A uint16 cache: half the bytes, values within 1/65535 of the float32 ones.
  Luna16TaskOptions compact = Options();
  compact.set_cache_pixel_type("uint16");
  auto fifth = Listed(compact);
  ASSERT_TRUE(fifth->Prepare(Context("cache_uint16")).ok());
  ASSERT_TRUE(fifth->Load({0, 0}, {}, &b).ok());
  ASSERT_EQ(a.pixels.size(), b.pixels.size());
  for (size_t k = 0; k < a.pixels.size(); ++k) EXPECT_NEAR(a.pixels[k], b.pixels[k], 0.6 / 65535);

  // An input file that changes (mtime) invalidates it too.
  const std::string mhd = fs::directory_iterator(Fixture() + "/subset4")->path().string();
  const std::string raw = mhd.substr(0, mhd.size() - 4) + ".raw";
  fs::last_write_time(raw, fs::last_write_time(raw) + std::chrono::seconds(5));
  auto fourth = Listed(window);
  ASSERT_TRUE(fourth->Prepare(context).ok());
  EXPECT_NE(StoreTime(context.cache_dir), rebuilt);
}

// Ranks > 0 of a data-parallel run open the cache rank 0 built and write nothing; without a
// cache they fail instead of building one of their own.
TEST(Luna16TaskTest, ReadOnlyPrepareOpensTheCacheAndNeverBuildsIt) {
  TaskContext reader = Context("cache_read_only");
  reader.build_cache = false;
  auto early = Listed(Options());
  absl::Status refused = early->Prepare(reader);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_TRUE(absl::StrContains(refused.message(), "only reads it")) << refused;
  EXPECT_FALSE(fs::exists(reader.cache_dir + "/luna16/index.csv"));

  TaskContext writer = reader;  // The same folder (Context() would empty it).
  writer.build_cache = true;
  auto builder = Listed(Options());
  ASSERT_TRUE(builder->Prepare(writer).ok());
  const auto built = StoreTime(reader.cache_dir);
  const auto report = fs::last_write_time(reader.cache_dir + "/missing_series.csv");
  auto follower = Listed(Options());
  ASSERT_TRUE(follower->Prepare(reader).ok());
  EXPECT_EQ(StoreTime(reader.cache_dir), built);
  EXPECT_EQ(fs::last_write_time(reader.cache_dir + "/missing_series.csv"), report);
  Slice a, b;
  ASSERT_TRUE(builder->Load({0, 0}, {}, &a).ok());
  ASSERT_TRUE(follower->Load({0, 0}, {}, &b).ok());
  EXPECT_EQ(a.pixels, b.pixels);
}

TEST(Luna16TaskTest, CubeAndResampledPlanes) {
  Luna16TaskOptions planes = Options();
  planes.set_spacing_mm(0.9);
  Luna16TaskOptions cube = planes;
  cube.set_method("cube");
  auto p = Listed(planes), c = Listed(cube);
  ASSERT_TRUE(p->Prepare(Context("cache_planes_resampled")).ok());
  ASSERT_TRUE(c->Prepare(Context("cache_cube")).ok());
  Slice a, b;
  for (int64_t i = 0; i < 10; ++i) {
    // View 0 of the cube is its axial plane: the resampled axial plane, inside the cube.
    ASSERT_TRUE(p->Load({i, 0}, {}, &a).ok());
    ASSERT_TRUE(c->Load({i, 0}, {}, &b).ok());
    EXPECT_EQ(a.pixels, b.pixels);
    ASSERT_TRUE(c->Load({i, 1}, {}, &b).ok());  // A random plane through the cube.
    EXPECT_NE(a.pixels, b.pixels);
  }
}

TEST(Luna16TaskTest, SubmissionAndInfo) {
  auto task = Listed(Options());
  ASSERT_NE(task, nullptr);
  const std::string dir = luna16::TestDir("submission");
  ASSERT_TRUE(task->WriteTaskPredictions("test", {2, 0}, {0.25f, 0.875f}, dir).ok());
  const auto& s = task->samples();
  EXPECT_EQ(ReadText(dir + "/submission_test.csv"),
            absl::StrCat("seriesuid,coordX,coordY,coordZ,probability,label\n", s[2].columns[0],
                         ",", s[2].columns[1], ",", s[2].columns[2], ",", s[2].columns[3],
                         ",0.25,", s[2].label, "\n", s[0].columns[0], ",", s[0].columns[1], ",",
                         s[0].columns[2], ",", s[0].columns[3], ",0.875,", s[0].label, "\n"));
  const auto info = task->Info();
  EXPECT_EQ(info.at("annotations"), Fixture() + "/annotations.csv");
  EXPECT_EQ(info.at("annotations_excluded"), Fixture() + "/annotations_excluded.csv");
}

TEST(Luna16TaskTest, MissingSeriesAreReportedOrRefused) {
  const TaskContext context = Context("cache_missing");
  auto task = Listed(Options());
  ASSERT_TRUE(task->Prepare(context).ok());
  EXPECT_EQ(ReadText(context.cache_dir + "/missing_series.csv"),
            "seriesuid,candidates\n1.3.6.1.4.1.14519.5.2.1.6279.6001.999999999,2\n");
  Luna16TaskOptions strict = Options();
  strict.set_missing_series("error");
  auto refused = Registry<Task>::Get().Create("luna16", strict);
  ASSERT_TRUE(refused.ok());
  absl::Status status = (*refused)->List();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(status.message(), "999999999")) << status;
}

TEST(Luna16TaskTest, MalformedRowsFailNamingFileLineAndColumn) {
  for (const auto& [kind, expected] : std::vector<std::pair<std::string, std::string>>{
           {"coord", "candidates_V2.csv:10: column 'coordY': expected a number (mm), got 'oops'"},
           {"class", "candidates_V2.csv:10: column 'class': expected 0 or 1, got '2'"},
           {"fields", "candidates_V2.csv:10: expected 5 fields, found 3"}}) {
    SCOPED_TRACE(kind);
    const std::string root = luna16::TestDir("bad_" + kind);
    std::string log;
    ASSERT_EQ(luna16::RunFixtureScript({"luna", root, "--bad", kind}, &log), 0) << log;
    Luna16TaskOptions o;
    o.set_root(root);
    o.set_size(8);
    auto task = Registry<Task>::Get().Create("luna16", o);
    ASSERT_TRUE(task.ok());
    absl::Status status = (*task)->List();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(status.message(), expected)) << status;
    // bad_rows: skip leaves the row out and reports it.
    o.set_bad_rows("skip");
    auto skipping = Registry<Task>::Get().Create("luna16", o);
    ASSERT_TRUE((*skipping)->List().ok());
    const TaskContext context = Context("cache_bad_" + kind);
    ASSERT_TRUE((*skipping)->Prepare(context).ok());
    EXPECT_TRUE(absl::StrContains(ReadText(context.cache_dir + "/bad_rows.csv"), expected));
    for (const TaskSample& s : (*skipping)->samples()) EXPECT_NE(s.id, "cand_0000008");
  }
}

// Found by tools/fuzz/luna16_candidates_fuzzer: a candidate list whose only usable rows are a
// few negatives listed successfully with zero samples (negative_fraction 0.1 of 1 rounds to
// 0), and the task failed later in Folds() with "Folds() before List()".
TEST(Luna16TaskTest, NothingLeftAfterDownsamplingIsAnErrorNamingTheFile) {
  std::ifstream in(Fixture() + "/candidates_V2/candidates_V2.csv");
  std::string header, row;
  ASSERT_TRUE(std::getline(in, header) && std::getline(in, row));
  const std::string uid = row.substr(0, row.find(','));
  const std::string dir = luna16::TestDir("only_negatives");
  const std::string csv = dir + "/one_negative.csv";
  std::ofstream(csv) << "seriesuid,coordX,coordY,coordZ,class\n" << uid << ",1,2,3,0\n";
  Luna16TaskOptions o = Options();
  o.set_candidates(csv);
  auto task = Registry<Task>::Get().Create("luna16", o);
  ASSERT_TRUE(task.ok()) << task.status();
  const absl::Status status = (*task)->List();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_TRUE(absl::StrContains(status.message(),
                                csv + ": no candidate left after down-sampling: 1 negative(s)"))
      << status;
  // Without down-sampling the test set, the same list is one sample.
  o.set_downsample_test(false);
  auto all = Registry<Task>::Get().Create("luna16", o);
  ASSERT_TRUE(all.ok());
  ASSERT_TRUE((*all)->List().ok());
  EXPECT_EQ((*all)->samples().size(), 1u);
}

TEST(Luna16TaskTest, OptionsAreValidated) {
  for (const std::string& text : {"method: \"slab\"", "size: 4", "planes: \"oblique\"",
                                  "hu_max: -2000", "negative_fraction: 0",
                                  "val_fraction: 1", "fold_subsets: \"0-1\" fold_subsets: \"1-2\"",
                                  "missing_series: \"ignore\"", "zoom_min: 1.2",
                                  "cache_pixel_type: \"int8\""}) {
    Luna16TaskOptions o;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &o)) << text;
    EXPECT_FALSE(Registry<Task>::Get().Create("luna16", o).ok()) << text;
  }
  // Defaults build (root is needed only by List).
  auto task = Registry<Task>::Get().Create("luna16", Luna16TaskOptions());
  ASSERT_TRUE(task.ok());
  EXPECT_TRUE(absl::StrContains((*task)->List().message(), "root"));
}

TEST(Luna16TaskTest, LoadIsThreadSafe) {
  auto task = Listed(Options());
  const TaskContext context = Context("cache_threads");
  ASSERT_TRUE(task->Prepare(context).ok());
  const int64_t n = task->samples().size();
  std::vector<std::vector<float>> expected(n);
  for (int64_t i = 0; i < n; ++i) {
    Slice image;
    ASSERT_TRUE(task->Load({i, 0}, {}, &image).ok());
    expected[i] = image.pixels;
  }
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int64_t k = 0; k < 4 * n; ++k) {
        const int64_t i = (k * 7 + t) % n;
        Slice image;
        if (!task->Load({i, 0}, {}, &image).ok() || image.pixels != expected[i]) ++mismatches;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}


TEST(Luna16TaskTest, ConcurrentPreparesShareOneCache) {
  // Sharded sub-runs in several processes prepare the same cache: one extracts, the others
  // wait for it and reuse it (flock on <cache>/luna16.lock).
  const TaskContext context = Context("cache_concurrent");
  std::vector<std::unique_ptr<Task>> tasks;
  for (int k = 0; k < 3; ++k) tasks.push_back(Listed(Options()));
  std::vector<absl::Status> status(3);
  std::vector<std::thread> threads;
  for (int k = 0; k < 3; ++k) {
    threads.emplace_back([&, k] { status[k] = tasks[k]->Prepare(context); });
  }
  for (auto& t : threads) t.join();
  for (const absl::Status& s : status) ASSERT_TRUE(s.ok()) << s;
  Slice a, b;
  for (int64_t i = 0; i < static_cast<int64_t>(tasks[0]->samples().size()); i += 7) {
    ASSERT_TRUE(tasks[0]->Load({i, 0}, {}, &a).ok());
    for (int k = 1; k < 3; ++k) {
      ASSERT_TRUE(tasks[k]->Load({i, 0}, {}, &b).ok());
      EXPECT_EQ(a.pixels, b.pixels);
    }
  }
}

}  // namespace
}  // namespace genesis
