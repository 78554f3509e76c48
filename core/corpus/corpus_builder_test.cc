// The corpus builder end to end over test-only phantom source and reader plugins with known
// voxel values: sampling, normalisation, split, store contents, skipped report, determinism.
#include "core/corpus/corpus_builder.h"

#include <filesystem>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/corpus/manifest.h"
#include "core/corpus/phantom_test.pb.h"
#include "core/corpus/split.h"
#include "core/csv.h"
#include "core/dataset_source.h"
#include "core/file_util.h"
#include "core/image_reader.h"
#include "core/slice_store.h"
#include "core/stage.h"
#include "gtest/gtest.h"
#include "plugins/preprocess/hu_window.pb.h"
#include "plugins/preprocess/random_crop_resize.pb.h"
#include "plugins/sampler/even_budget.pb.h"
#include "plugins/sampler/modality_balance.pb.h"

namespace genesis {
namespace {

// Files are "phantom:<modality>:<slices>"; voxel (x, y, z) = Value(modality, x, y, z).
float Value(const std::string& modality, int64_t x, int64_t y, int64_t z) {
  if (modality == "CT") return -1000.0f + 100.0f * z + x + 10.0f * y;  // HU.
  if (modality == "MR") return 1.0f + z + x;
  return static_cast<float>((x + y + z) % 256);  // 8-bit X-ray.
}

class PhantomSource : public DatasetSource {
 public:
  explicit PhantomSource(const PhantomSourceTestOptions& o) : o_(o) {}
  absl::StatusOr<std::vector<PatientRecord>> Scan() const override {
    if (o_.fail_scan()) return absl::NotFoundError("/nowhere/meta.csv: cannot open");
    std::vector<PatientRecord> records;
    for (int i = 0; i < o_.num_patients(); ++i) {
      PatientRecord r;
      r.dataset = o_.dataset();
      r.patient_id = absl::StrCat("p", i);
      r.modality = *ParseModality(o_.modality());
      r.body_part = o_.body_part();
      r.files.push_back(absl::StrCat("phantom:", o_.modality(), ":", o_.slices(),
                                     o_.channels() > 1 ? absl::StrCat(":", o_.channels()) : ""));
      for (const auto& [key, value] : o_.labels()) r.labels[key] = value;
      if (o_.has_channel()) r.hints.channel = o_.channel();
      if (o_.has_value_offset()) r.hints.value_offset = o_.value_offset();
      if (o_.has_mat_variable()) r.hints.mat_variable = o_.mat_variable();
      if (i == 0) r.files.push_back(r.files.back());
      if (i == 1 && o_.broken_files()) {
        r.files.push_back("phantom:broken");
        r.files.push_back("/data/notes, v2.txt");
      }
      records.push_back(r);
    }
    return records;
  }

 private:
  PhantomSourceTestOptions o_;
};

class PhantomReader : public ImageReader {
 public:
  explicit PhantomReader(const PhantomReaderTestOptions&) {}
  bool CanRead(const std::string& path) const override {
    return absl::StartsWith(path, "phantom:");
  }
  absl::StatusOr<std::vector<Volume>> Read(const std::string& path) const override {
    std::vector<std::string> parts = absl::StrSplit(path, ':');
    if (parts.size() != 3 && parts.size() != 4) {
      return absl::DataLossError(absl::StrCat(path, ": truncated header"));
    }
    int64_t channels = 1;
    if (parts.size() == 4) absl::SimpleAtoi(parts[3], &channels);
    Volume v;
    int64_t slices = 0;
    absl::SimpleAtoi(parts[2], &slices);
    v.size = {6, 4, slices};
    v.bits_stored = parts[1] == "XR" ? 8 : 0;
    v.source = path;
    for (int64_t z = 0; z < slices; ++z) {
      for (int64_t y = 0; y < 4; ++y) {
        for (int64_t x = 0; x < 6; ++x) v.voxels.push_back(Value(parts[1], x, y, z));
      }
    }
    std::vector<Volume> volumes;
    for (int64_t c = 0; c < channels; ++c) {
      volumes.push_back(v);
      for (float& voxel : volumes.back().voxels) voxel += 1000.0f * c;
    }
    return volumes;
  }
};

GENESIS_REGISTER_DATASET_SOURCE(PhantomSource, "phantom_test", PhantomSourceTestOptions,
                                "test-only phantom dataset");
GENESIS_REGISTER_IMAGE_READER(PhantomReader, "phantom_test", PhantomReaderTestOptions,
                              "test-only phantom reader");

std::string Tmp(const std::string& name) {
  const std::string dir = std::string(getenv("TEST_TMPDIR")) + "/" + name;
  std::filesystem::remove_all(dir);
  return dir;
}

DatasetSpec Dataset(const std::string& name, const std::string& modality, int patients, int slices,
                    int budget, bool broken = false) {
  DatasetSpec spec;
  PhantomSourceTestOptions o;
  o.set_dataset(name);
  o.set_modality(modality);
  o.set_num_patients(patients);
  o.set_slices(slices);
  o.set_broken_files(broken);
  spec.mutable_source()->set_type("phantom_test");
  spec.mutable_source()->mutable_options()->PackFrom(o);
  if (budget > 0) {
    EvenBudgetOptions e;
    e.set_slices_per_patient(budget);
    spec.mutable_sampler()->set_type("even_budget");
    spec.mutable_sampler()->mutable_options()->PackFrom(e);
  }
  return spec;
}

CorpusStage BasicStage() {
  CorpusStage stage;
  *stage.add_dataset() = Dataset("CTset", "CT", 20, 10, 3, /*broken=*/true);
  *stage.add_dataset() = Dataset("MRset", "MR", 4, 8, 0);
  stage.add_reader()->set_type("phantom_test");
  stage.add_preprocessor()->set_type("modality_normalize");
  stage.mutable_store()->set_pixel_type("float32");
  stage.mutable_store()->set_slices_per_shard(16);
  return stage;
}

// Sources can ask for one channel of multi-channel files (MSD Prostate: T2, not ADC) and for an
// offset added to stored values (DeepLesion: HU = value - 32768).
TEST(CorpusBuilderTest, ChannelAndValueOffsetHints) {
  CorpusStage stage;
  DatasetSpec spec = Dataset("TwoChannel", "CT", 3, 4, 0);
  PhantomSourceTestOptions o;
  ASSERT_TRUE(spec.source().options().UnpackTo(&o));
  o.set_channels(2);
  o.set_channel(1);
  o.set_value_offset(-500);
  spec.mutable_source()->mutable_options()->PackFrom(o);
  *stage.add_dataset() = spec;
  stage.add_reader()->set_type("phantom_test");
  stage.add_preprocessor()->set_type("modality_normalize");
  stage.mutable_store()->set_pixel_type("float32");
  const std::string out = Tmp("channels");
  CorpusBuildResult result;
  ASSERT_TRUE(BuildCorpus(stage, out, 7, 2, &result).ok());
  EXPECT_EQ(result.volumes, 4);  // p0 has two files; one channel kept of each file.
  EXPECT_EQ(result.skipped.size(), 0u);
  auto reader = SliceStoreReader::Open(out + "/store");
  ASSERT_TRUE(reader.ok()) << reader.status();
  int64_t checked = 0;
  for (Split split : {Split::kTrain, Split::kVal, Split::kTest}) {
    for (int64_t i = 0; i < (*reader)->size(split); ++i) {
      auto s = (*reader)->Read(split, i);
      ASSERT_TRUE(s.ok());
      // Channel 1 (+1000 HU) with the -500 offset: HU = Value + 500, then the CT window.
      const float hu = -1000.0f + 100.0f * s->slice_index + 3 + 20 + 500.0f;
      EXPECT_NEAR(s->at(3, 2), (hu + 1000.0f) / 2400.0f, 1e-6);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 16);
  // A channel the file does not have is a skipped file, not a crash.
  o.set_channel(5);
  stage.mutable_dataset(0)->mutable_source()->mutable_options()->PackFrom(o);
  // Every file is skipped, so nothing is stored and the build fails saying so.
  EXPECT_EQ(BuildCorpus(stage, Tmp("channels_bad"), 7, 2, &result).code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_FALSE(result.skipped.empty());
  EXPECT_NE(result.skipped[0].second.find("read hint channel=5 but the file has 2 channels"),
            std::string::npos);
}

// File-level hints go to the reader (ReadWithHints) on every read; the phantom reader honours
// none, so it refuses the hinted files instead of reading them some other way.
TEST(CorpusBuilderTest, FileHintsReachTheReaderWhichRefusesOnesItDoesNotHonour) {
  CorpusStage stage;
  DatasetSpec spec = Dataset("Hinted", "CT", 2, 4, 0);
  PhantomSourceTestOptions o;
  ASSERT_TRUE(spec.source().options().UnpackTo(&o));
  o.set_mat_variable("cjdata.image");
  spec.mutable_source()->mutable_options()->PackFrom(o);
  *stage.add_dataset() = spec;
  stage.add_reader()->set_type("phantom_test");
  stage.mutable_store()->set_pixel_type("float32");
  CorpusBuildResult result;
  EXPECT_EQ(BuildCorpus(stage, Tmp("hinted"), 7, 2, &result).code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_EQ(result.skipped.size(), 3u);  // p0 has two files, p1 one.
  EXPECT_EQ(result.skipped[0].second,
            "phantom_test: phantom:CT:4: this reader does not honour the read hints its dataset "
            "source gives (mat_variable=cjdata.image)");
}

TEST(CorpusBuilderTest, BuildsStoreManifestSplitSummaryAndSkippedReport) {
  const std::string out = Tmp("basic");
  CorpusBuildResult result;
  ASSERT_TRUE(BuildCorpus(BasicStage(), out, 7, 2, &result).ok());
  // CT: 20 patients (p0 has two volumes = 20 slices), 3 slices each = 60; MR: 4 x 8 + 8 = 40.
  EXPECT_EQ(result.patients, 24);
  EXPECT_EQ(result.volumes, 26);
  EXPECT_EQ(result.slices_stored, 100);
  EXPECT_EQ(result.slices_per_modality, (std::map<std::string, int64_t>{{"CT", 60}, {"MR", 40}}));
  // Skipped: the broken file (reader error) and the file no reader accepts.
  ASSERT_EQ(result.skipped.size(), 2u);
  auto skipped = ReadCsvFile(out + "/skipped.csv");
  ASSERT_TRUE(skipped.ok()) << skipped.status();
  ASSERT_EQ(skipped->rows.size(), 2u);
  EXPECT_EQ(skipped->rows[0][0], "phantom:broken");
  EXPECT_EQ(skipped->rows[0][1], "phantom_test: phantom:broken: truncated header");
  EXPECT_EQ(skipped->rows[1][0], "/data/notes, v2.txt");
  EXPECT_EQ(skipped->rows[1][1], "no image reader accepts this file (tried phantom_test)");

  // Store: every slice normalised as configured, metadata kept, CT slices at z = 0, 5, 9.
  auto reader = SliceStoreReader::Open(out + "/store");
  ASSERT_TRUE(reader.ok()) << reader.status();
  int64_t total = 0;
  std::map<std::string, std::multiset<int64_t>> ct_z;
  for (Split split : {Split::kTrain, Split::kVal, Split::kTest}) {
    total += (*reader)->size(split);
    for (int64_t i = 0; i < (*reader)->size(split); ++i) {
      auto s = (*reader)->Read(split, i);
      ASSERT_TRUE(s.ok()) << s.status();
      const int64_t z = s->slice_index;
      if (s->dataset == "CTset") {
        EXPECT_EQ(s->modality, Modality::kCT);
        ct_z[s->patient_id].insert(z);
        // HU window [-1000, 1400]: (HU + 1000) / 2400.
        EXPECT_NEAR(s->at(3, 2), (100.0f * z + 3 + 20) / 2400.0f, 1e-6);
      } else {
        EXPECT_EQ(s->modality, Modality::kMR);
        // Slice max is 1 + z + 5.
        EXPECT_NEAR(s->at(2, 0), (1.0f + z + 2) / (6.0f + z), 1e-6);
      }
    }
  }
  EXPECT_EQ(total, 100);
  EXPECT_EQ(ct_z["p3"], (std::multiset<int64_t>{0, 5, 9}));
  EXPECT_EQ(ct_z["p0"], (std::multiset<int64_t>{0, 0, 9}));  // 20 slices over 2 volumes: 0, 10, 19.

  // Split: 90/5/5 per dataset; store agrees with split.csv.
  auto split = ReadSplitCsv(out + "/split.csv");
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_EQ(split->size(), 24u);
  std::map<std::string, std::array<int, 3>> counts;
  for (const auto& [key, s] : *split) ++counts[key.first][static_cast<int>(s)];
  EXPECT_EQ(counts["CTset"], (std::array<int, 3>{18, 1, 1}));
  for (Split sp : {Split::kTrain, Split::kVal, Split::kTest}) {
    for (int64_t i = 0; i < (*reader)->size(sp); ++i) {
      const auto& info = (*reader)->info(sp, i);
      EXPECT_EQ(split->at({info.dataset, info.patient_id}), sp);
    }
  }

  // Manifest: one row per volume, stored counts.
  auto manifest = ReadManifest(out + "/manifest.csv");
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  ASSERT_EQ(manifest->size(), 26u);
  EXPECT_EQ((*manifest)[0].dataset, "CTset");
  EXPECT_EQ((*manifest)[0].patient_id, "p0");
  EXPECT_EQ((*manifest)[0].slice_count, 10);
  EXPECT_EQ((*manifest)[0].selected_slices, 1);
  EXPECT_EQ((*manifest)[1].patient_volume, 1);
  EXPECT_EQ((*manifest)[1].selected_slices, 2);
  EXPECT_EQ((*manifest)[2].selected_slices, 3);
  EXPECT_EQ((*manifest)[0].body_part, "chest");

  for (const char* f : {"summary/slices_per_modality.csv", "summary/slices_per_dataset.png",
                        "summary/slices_per_patient.png", "summary/patients_per_dataset.csv"}) {
    EXPECT_TRUE(std::filesystem::exists(out + "/" + f)) << f;
  }
  auto modality = ReadCsvFile(out + "/summary/slices_per_modality.csv");
  EXPECT_EQ(modality->rows[0], (std::vector<std::string>{"CT", "20", "60"}));
}

TEST(CorpusBuilderTest, DeterministicAcrossThreadCountsAndWithRandomPreprocessing) {
  CorpusStage stage = BasicStage();
  RandomCropResizeOptions crop;  // A random 3x3 window of each 6x4 slice, no resize.
  crop.set_crop_size(3);
  crop.set_output_size(0);
  auto* spec = stage.add_preprocessor();
  spec->set_type("random_crop_resize");
  spec->mutable_options()->PackFrom(crop);
  const std::string a = Tmp("det_a"), b = Tmp("det_b");
  CorpusBuildResult ra, rb;
  ASSERT_TRUE(BuildCorpus(stage, a, 11, 1, &ra).ok());
  stage.set_read_cache_mb(0);  // Every file read twice: same result as the cached build.
  ASSERT_TRUE(BuildCorpus(stage, b, 11, 4, &rb).ok());
  EXPECT_EQ(*ReadFile(a + "/store/index.csv"), *ReadFile(b + "/store/index.csv"));
  EXPECT_EQ(*ReadFile(a + "/store/train-00000.bin"), *ReadFile(b + "/store/train-00000.bin"));
  EXPECT_EQ(*ReadFile(a + "/split.csv"), *ReadFile(b + "/split.csv"));
  // Rebuilding into the same folder replaces the store.
  ASSERT_TRUE(BuildCorpus(stage, a, 11, 2, &ra).ok());
  EXPECT_EQ(*ReadFile(a + "/store/index.csv"), *ReadFile(b + "/store/index.csv"));
}

TEST(CorpusBuilderTest, ModalityBalancerAndFailedScan) {
  CorpusStage stage = BasicStage();
  stage.add_balancer()->set_type("modality_balance");
  DatasetSpec failing = Dataset("Gone", "CT", 1, 1, 0);
  PhantomSourceTestOptions o;
  failing.source().options().UnpackTo(&o);
  o.set_fail_scan(true);
  failing.mutable_source()->mutable_options()->PackFrom(o);
  *stage.add_dataset() = failing;
  CorpusBuildResult result;
  // A dataset that cannot be listed fails the stage unless it is optional.
  absl::Status unlisted = BuildCorpus(stage, Tmp("balanced"), 7, 2, &result);
  EXPECT_EQ(unlisted.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(unlisted.message(),
            "dataset[2] (phantom_test): cannot list the dataset: /nowhere/meta.csv: cannot open "
            "(mark it `optional: true` to go on without it)");
  stage.mutable_dataset(2)->set_optional(true);
  ASSERT_TRUE(BuildCorpus(stage, Tmp("balanced"), 7, 2, &result).ok());
  // CT 60 capped to MR's 40.
  EXPECT_EQ(result.slices_per_modality, (std::map<std::string, int64_t>{{"CT", 40}, {"MR", 40}}));
  ASSERT_EQ(result.skipped.size(), 3u);
  EXPECT_EQ(result.skipped[2].first, "dataset[2] (phantom_test)");
  EXPECT_EQ(result.skipped[2].second, "/nowhere/meta.csv: cannot open");
}

// One patient id from two dataset specs under one dataset name (the same dataset listed twice)
// fails, naming both specs; the same id under distinct dataset names is two patients.
TEST(CorpusBuilderTest, PatientListedByTwoDatasetSpecsFailsNamingBoth) {
  CorpusStage stage = BasicStage();
  *stage.add_dataset() = Dataset("MRset", "MR", 2, 8, 0);
  CorpusBuildResult result;
  absl::Status status = BuildCorpus(stage, Tmp("twice"), 7, 2, &result);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(),
            "dataset[2] (phantom_test): patient MRset/p0 is also listed by dataset[1] "
            "(phantom_test); list each dataset once, or give the datasets distinct names (e.g. "
            "the source's `name` option)");
  stage.mutable_dataset(2)->CopyFrom(Dataset("MRother", "MR", 2, 8, 0));
  ASSERT_TRUE(BuildCorpus(stage, Tmp("twice"), 7, 2, &result).ok());
  EXPECT_EQ(result.patients, 20 + 4 + 2);
}

TEST(CorpusStageTest, ReportsSkippedFilesToTheRunOrFailsWhenAsked) {
  CorpusStage stage = BasicStage();
  auto runner = Registry<StageRunner>::Get().Create("corpus", stage);
  ASSERT_TRUE(runner.ok()) << runner.status();
  RunSummary summary;
  RunContext context;
  context.stage_dir = Tmp("stage");
  context.seed = 3;
  context.num_threads = 2;
  context.summary = &summary;
  ASSERT_TRUE((*runner)->Run(context).ok());
  EXPECT_EQ(summary.skipped, 2);
  EXPECT_EQ(summary.skip_reports, (std::vector<std::string>{context.stage_dir + "/skipped.csv"}));

  stage.set_fail_on_skipped(true);
  auto strict = Registry<StageRunner>::Get().Create("corpus", stage);
  ASSERT_TRUE(strict.ok());
  absl::Status status = (*strict)->Run(context);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("2 file(s) or slice(s) skipped"), std::string::npos) << status;
  EXPECT_TRUE(SliceStoreReader::Open(context.stage_dir + "/store").ok());

  CorpusStage bad = BasicStage();
  bad.mutable_split()->set_train(0.5);
  auto invalid = Registry<StageRunner>::Get().Create("corpus", bad);
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.status().message(), "split: train + val + test must be 1, got 0.6");
}

TEST(CorpusBuilderTest, Uint16StoreWithoutPreprocessorFailsValidationNamingTheFix) {
  CorpusStage stage = BasicStage();
  stage.clear_preprocessor();
  stage.mutable_store()->set_pixel_type("uint16");
  absl::Status status = ValidateCorpusStage(stage);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("add `preprocessor { type: \"modality_normalize\" }`"),
            std::string::npos)
      << status;
}

TEST(CorpusBuilderTest, CorpusThatStoresNothingFailsSayingWhy) {
  CorpusStage stage = BasicStage();
  stage.clear_preprocessor();
  stage.add_preprocessor()->set_type("random_crop_resize");  // Does not normalise.
  stage.mutable_store()->set_pixel_type("uint16");
  CorpusBuildResult result;
  absl::Status status = BuildCorpus(stage, Tmp("raw"), 7, 2, &result);
  // Raw MR values (1..14) and CT HU are outside [0,1]: every slice rejected and listed.
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("corpus: no slice was stored (102 inputs skipped"),
            std::string::npos)
      << status;
  EXPECT_NE(status.message().find("skipped.csv"), std::string::npos) << status;
  EXPECT_EQ(result.slices_stored, 0);
  EXPECT_EQ(result.skipped.size(), 2u + 100u);
  EXPECT_NE(result.skipped.back().second.find("a uint16 store needs values in [0,1]"),
            std::string::npos);
}

}  // namespace
}  // namespace genesis
