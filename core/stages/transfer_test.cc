// The transfer stage's mechanics on a toy task: sub-runs per initializer x fold x seed x label
// fraction with predictions, skipping finished sub-runs, nested label fractions, shards, the
// cross-stage leakage report, and fine-tuning that resumes bit-identically after a crash.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/backbone.h"
#include "core/csv.h"
#include "core/distributed/rank_test_util.h"
#include "core/file_util.h"
#include "core/head.h"
#include "core/initializer.h"
#include "core/normalization.h"
#include "core/random.h"
#include "core/runner.h"
#include "core/stages/transfer_test.pb.h"
#include "core/status_macros.h"
#include "core/task.h"
#include "core/train/classifier_trainer.h"
#include "gtest/gtest.h"
#include "plugins/backbone/unet_vgg16.pb.h"
#include "plugins/head/gap_dense.pb.h"

namespace genesis {
namespace {

namespace fs = std::filesystem;

constexpr int kSide = 32;

class ToyTask : public Task {
 public:
  explicit ToyTask(const ToyTaskOptions& options) : options_(options) {}
  absl::Status List() override {
    samples_.clear();
    for (int g = 0; g < options_.groups(); ++g) {
      for (int i = 0; i < options_.images_per_group(); ++i) {
        TaskSample s;
        s.id = absl::StrCat("g", g, "_i", i);
        s.group = absl::StrCat("patient", g);
        s.label = (g + i) % 2;
        s.columns = {absl::StrCat("study", g)};
        samples_.push_back(s);
      }
    }
    return absl::OkStatus();
  }
  // Like a real task's cache: built by one process, only opened by the others (the ranks > 0
  // of a data-parallel run), which fail if it is not there yet.
  absl::Status Prepare(const TaskContext& context) override {
    ++prepared_;
    const std::string ready = context.cache_dir + "/toy_cache_ready";
    if (!context.build_cache) {
      return fs::exists(ready) ? absl::OkStatus()
                               : absl::FailedPreconditionError("toy: no cache at " + ready);
    }
    fs::create_directories(context.cache_dir);
    return WriteFileAtomically(ready, "ok\n");
  }
  const std::vector<TaskSample>& samples() const override { return samples_; }
  std::vector<std::string> PredictionColumns() const override { return {"study"}; }
  absl::StatusOr<std::vector<TaskFold>> Folds(uint64_t seed) const override {
    std::vector<TaskFold> folds(2);
    for (int k = 0; k < 2; ++k) {
      folds[k].name = absl::StrCat("parity ", k);
      for (size_t i = 0; i < samples_.size(); ++i) {
        const int g = static_cast<int>(i) / options_.images_per_group();
        if (g % 2 == k) {
          folds[k].test.push_back(i);
        } else if (g % 6 == (k == 0 ? 1 : 0)) {
          folds[k].val.push_back(i);
        } else {
          folds[k].train.push_back({static_cast<int64_t>(i), 0});
        }
      }
    }
    return folds;
  }
  int64_t image_size() const override { return kSide; }
  absl::Status Load(const SampleRef& ref, const Augmentation& augmentation,
                    Slice* image) const override {
    RandomStream rng(7, RandomStream::kPreprocess, ref.index);
    *image = Slice(kSide, kSide);
    for (float& p : image->pixels) p = 0.3f + 0.2f * rng.UniformFloat();
    if (samples_[ref.index].label == 1) {
      const int cx = 8 + rng.UniformInt(0, 15), cy = 8 + rng.UniformInt(0, 15);
      for (int y = 0; y < kSide; ++y) {
        for (int x = 0; x < kSide; ++x) {
          if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= 16) image->at(x, y) = 0.95f;
        }
      }
    }
    if (augmentation.enabled) {
      RandomStream aug(augmentation.seed, RandomStream::kAugment, augmentation.epoch, ref.index);
      if (aug.Bernoulli(0.5)) {
        for (int y = 0; y < kSide; ++y) {
          for (int x = 0; x < kSide / 2; ++x) std::swap(image->at(x, y), image->at(kSide - 1 - x, y));
        }
      }
    }
    return absl::OkStatus();
  }
  std::string dataset_name() const override { return options_.dataset(); }

 private:
  ToyTaskOptions options_;
  std::vector<TaskSample> samples_;
  int prepared_ = 0;
};

// Keeps the backbone's own initialisation; writes a coverage report where it is told to.
class ToyInit : public Initializer {
 public:
  explicit ToyInit(const ToyInitOptions&) {}
  absl::Status Initialize(EncoderDecoder& net, const InitContext& context) const override {
    return WriteFileAtomically(context.report_path, "{\"loaded\": []}\n");
  }
};

GENESIS_REGISTER_TASK(ToyTask, "toy", ToyTaskOptions, "test task");
GENESIS_REGISTER_INITIALIZER(ToyInit, "test_init_a", ToyInitOptions, "test initializer");
GENESIS_REGISTER_INITIALIZER(ToyInit, "test_init_b", ToyInitOptions, "test initializer");

TransferStage ToyStage() {
  TransferStage t;
  t.mutable_task()->set_type("toy");
  UNetVgg16Options vgg;
  vgg.set_width_multiplier(0.125);
  t.mutable_backbone()->set_type("unet_vgg16");
  t.mutable_backbone()->mutable_options()->PackFrom(vgg);
  t.mutable_normalization()->set_type("batch_norm");
  t.add_initializer()->set_type("test_init_a");
  t.add_initializer()->set_type("test_init_b");
  GapDenseOptions head;
  head.set_hidden_units(16);
  head.set_dropout(0.1);
  head.set_l2(0.0);
  t.mutable_head()->set_type("gap_dense");
  t.mutable_head()->mutable_options()->PackFrom(head);
  t.mutable_optimizer()->set_type("adam");
  t.mutable_optimizer()->set_learning_rate(0.003);
  t.mutable_schedule()->set_type("constant");
  t.set_batch_size(16);
  t.set_max_epochs(4);
  t.set_warmup_epochs(1);
  t.set_image_size(kSide);
  t.set_in_channels(1);
  t.set_loader_threads(1);
  t.set_tensorboard(false);
  t.add_label_fractions(0.5);
  t.add_label_fractions(1.0);
  return t;
}

class TransferStageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    experiment_.set_name("toy");
    experiment_.set_output_dir(dir_.string());
    experiment_.set_seed(5);
    experiment_.set_num_threads(1);
    *experiment_.add_stage()->mutable_transfer() = ToyStage();
  }
  std::string Sub(const std::string& name) const {
    return (dir_ / "00_transfer" / "subruns" / name).string();
  }
  fs::file_time_type DoneTime(const std::string& name) const {
    return fs::last_write_time(Sub(name) + "/.done");
  }

  fs::path dir_;
  Experiment experiment_;
};

TEST_F(TransferStageTest, SubRunsWritePredictionsAndLearn) {
  experiment_.mutable_stage(0)->mutable_transfer()->set_max_epochs(8);
  auto summary = RunExperiment(experiment_);
  ASSERT_TRUE(summary.ok()) << summary.status();
  auto index = ReadCsvFile((dir_ / "00_transfer" / "subruns.csv").string());
  ASSERT_TRUE(index.ok()) << index.status();
  ASSERT_EQ(index->rows.size(), 2u * 2 * 2);  // initializers x folds x fractions
  for (const auto& row : index->rows) EXPECT_EQ(row[index->Column("status")], "done");

  const std::string name = "test_init_a_fold0_seed5_frac1";
  for (const char* file : {"/predictions_val.csv", "/predictions_test.csv", "/subrun.json",
                           "/metrics.csv", "/weight_coverage.json", "/classifier_state_dict.pt",
                           "/checkpoint_best.pt"}) {
    EXPECT_TRUE(fs::exists(Sub(name) + file)) << file;
  }
  auto test = ReadCsvFile(Sub(name) + "/predictions_test.csv");
  ASSERT_TRUE(test.ok()) << test.status();
  EXPECT_EQ(test->header, (std::vector<std::string>{"id", "group", "label", "score", "study"}));
  ASSERT_EQ(test->rows.size(), 12u * 6);  // The even groups of 24.
  std::vector<float> scores;
  std::vector<int> labels;
  for (const auto& row : test->rows) {
    const float s = std::stof(row[3]);
    EXPECT_GE(s, 0.0f);
    EXPECT_LE(s, 1.0f);
    scores.push_back(s);
    labels.push_back(std::stoi(row[2]));
    // Ids, groups and task columns are the task's.
    const std::vector<std::string> parts = absl::StrSplit(row[0], '_');
    EXPECT_EQ(row[1], absl::StrCat("patient", parts[0].substr(1)));
    EXPECT_EQ(row[4], absl::StrCat("study", parts[0].substr(1)));
  }
  // The disk task is easy: the fine-tuned classifier separates the test set.
  EXPECT_GT(RocAuc(scores, labels), 0.85);

  // Metrics: one row per epoch, the warm-up epoch marked.
  auto metrics = ReadCsvFile(Sub(name) + "/metrics.csv");
  ASSERT_TRUE(metrics.ok());
  ASSERT_EQ(metrics->rows.size(), 8u);
  EXPECT_EQ(metrics->rows[0][metrics->Column("warmup")], "1");
  EXPECT_EQ(metrics->rows[1][metrics->Column("warmup")], "0");
  ASSERT_GE(metrics->Column("val_auc"), 0);

  // Label fractions are nested per fold and seed, at the group level.
  auto groups = [&](const std::string& run) {
    auto text = ReadFile(Sub(run) + "/train_groups.txt");
    EXPECT_TRUE(text.ok()) << run;
    std::vector<std::string> lines = absl::StrSplit(*text, '\n', absl::SkipEmpty());
    return std::set<std::string>(lines.begin(), lines.end());
  };
  const auto half = groups("test_init_a_fold0_seed5_frac0.5");
  const auto all = groups("test_init_a_fold0_seed5_frac1");
  EXPECT_LT(half.size(), all.size());
  EXPECT_EQ(half.size(), (all.size() + 1) / 2);
  for (const auto& g : half) EXPECT_EQ(all.count(g), 1u) << g;
  // Both initializers see the same subset for the same fold, seed and fraction.
  EXPECT_EQ(groups("test_init_b_fold0_seed5_frac0.5"), half);
}

TEST_F(TransferStageTest, FinishedSubRunsAreSkippedAndNewSeedsRunAlone) {
  experiment_.mutable_stage(0)->mutable_transfer()->clear_label_fractions();
  experiment_.mutable_stage(0)->mutable_transfer()->add_fold(1);
  experiment_.mutable_stage(0)->mutable_transfer()->set_max_epochs(2);
  ASSERT_TRUE(RunExperiment(experiment_).ok());
  const auto before = DoneTime("test_init_a_fold1_seed5_frac1");
  // The same run again: nothing to do.
  ASSERT_TRUE(RunExperiment(experiment_).ok());
  EXPECT_EQ(DoneTime("test_init_a_fold1_seed5_frac1"), before);
  // A second seed: only its sub-runs run; the first seed's stay as they were.
  experiment_.mutable_stage(0)->mutable_transfer()->add_seeds(5);
  experiment_.mutable_stage(0)->mutable_transfer()->add_seeds(6);
  ASSERT_TRUE(RunExperiment(experiment_).ok());
  EXPECT_EQ(DoneTime("test_init_a_fold1_seed5_frac1"), before);
  EXPECT_TRUE(fs::exists(Sub("test_init_a_fold1_seed6_frac1") + "/.done"));
  // Other fine-tuning options make every sub-run stale: rerun.
  experiment_.mutable_stage(0)->mutable_transfer()->set_max_epochs(3);
  ASSERT_TRUE(RunExperiment(experiment_).ok());
  EXPECT_NE(DoneTime("test_init_a_fold1_seed5_frac1"), before);
  auto metrics = ReadCsvFile(Sub("test_init_a_fold1_seed5_frac1") + "/metrics.csv");
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ(metrics->rows.size(), 3u);
}

TEST_F(TransferStageTest, ShardsSplitTheSubRunsAndAPlainRunFinishes) {
  experiment_.mutable_stage(0)->mutable_transfer()->clear_label_fractions();
  experiment_.mutable_stage(0)->mutable_transfer()->set_max_epochs(2);
  RunOptions shard;
  shard.shard_count = 2;
  shard.shard_index = 1;
  ASSERT_TRUE(RunExperiment(experiment_, shard).ok());
  // Sub-runs 1 and 3 of [a fold0, a fold1, b fold0, b fold1].
  EXPECT_FALSE(fs::exists(Sub("test_init_a_fold0_seed5_frac1") + "/.done"));
  EXPECT_TRUE(fs::exists(Sub("test_init_a_fold1_seed5_frac1") + "/.done"));
  EXPECT_TRUE(fs::exists(Sub("test_init_b_fold1_seed5_frac1") + "/.done"));
  EXPECT_FALSE(fs::exists(dir_ / "00_transfer" / ".done"));
  shard.shard_index = 0;
  ASSERT_TRUE(RunExperiment(experiment_, shard).ok());
  EXPECT_TRUE(fs::exists(Sub("test_init_a_fold0_seed5_frac1") + "/.done"));
  const auto shard_time = DoneTime("test_init_b_fold1_seed5_frac1");
  ASSERT_TRUE(RunExperiment(experiment_).ok());  // Completes the stage, reruns nothing.
  EXPECT_TRUE(fs::exists(dir_ / "00_transfer" / ".done"));
  EXPECT_EQ(DoneTime("test_init_b_fold1_seed5_frac1"), shard_time);
}

TEST_F(TransferStageTest, PerInitializerSettingsApplyToTheirSubRunsOnly) {
  auto* stage = experiment_.mutable_stage(0)->mutable_transfer();
  stage->clear_label_fractions();
  stage->add_fold(0);
  stage->set_max_epochs(3);
  auto* b = stage->add_per_initializer();
  b->set_initializer("test_init_b");
  b->set_max_epochs(2);
  b->set_warmup_epochs(0);
  ASSERT_TRUE(RunExperiment(experiment_).ok());
  auto a_metrics = ReadCsvFile(Sub("test_init_a_fold0_seed5_frac1") + "/metrics.csv");
  auto b_metrics = ReadCsvFile(Sub("test_init_b_fold0_seed5_frac1") + "/metrics.csv");
  ASSERT_TRUE(a_metrics.ok() && b_metrics.ok());
  EXPECT_EQ(a_metrics->rows.size(), 3u);
  EXPECT_EQ(a_metrics->rows[0][a_metrics->Column("warmup")], "1");
  EXPECT_EQ(b_metrics->rows.size(), 2u);
  EXPECT_EQ(b_metrics->rows[0][b_metrics->Column("warmup")], "0");
  // An entry for an initializer the stage does not run is a mistake.
  b->set_initializer("imagenet");
  auto refused = RunExperiment(experiment_);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find(
                "per_initializer[0].initializer: \"imagenet\" is not one of this stage's"),
            std::string::npos)
      << refused.status();
}

TEST_F(TransferStageTest, BadOptionsAreRefusedBeforeAnyWork) {
  TransferStage t = ToyStage();
  t.add_initializer()->set_type("test_init_a");
  auto* stage = experiment_.mutable_stage(0)->mutable_transfer();
  *stage = t;
  auto twice = RunExperiment(experiment_);
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("\"test_init_a\" appears twice"), std::string::npos)
      << twice.status();
  *stage = ToyStage();
  stage->add_fold(7);
  auto missing = RunExperiment(experiment_);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("fold: 7 does not exist"), std::string::npos)
      << missing.status();
}

// Data parallel: the same transfer stage on two ranks (children of this test binary, over
// loopback), then in one process. Group norm and no dropout, so that two ranks on 8 + 8 items
// compute what one process computes on the batch of 16, up to float rounding: batch-norm
// statistics would be per rank, and dropout masks are drawn per rank's shard.
Experiment DataParallelExperiment(const std::string& dir) {
  Experiment experiment;
  experiment.set_name("toy_parallel");
  experiment.set_output_dir(dir);
  experiment.set_seed(5);
  experiment.set_num_threads(1);
  TransferStage stage = ToyStage();
  stage.mutable_normalization()->set_type("group_norm");
  GapDenseOptions head;
  head.set_hidden_units(16);
  head.set_dropout(0.0);
  head.set_l2(0.0);
  stage.mutable_head()->mutable_options()->PackFrom(head);
  stage.clear_initializer();
  stage.add_initializer()->set_type("test_init_a");
  stage.clear_label_fractions();
  stage.add_fold(0);
  stage.add_fold(1);
  stage.set_max_epochs(3);
  *experiment.add_stage()->mutable_transfer() = stage;
  return experiment;
}

// Runs only inside the child processes of TwoRanksFineTuneLikeOneProcess.
TEST(TransferDataParallelWorker, Run) {
  const char* dir = std::getenv("GENESIS_TRANSFER_WORKER_DIR");
  if (dir == nullptr) GTEST_SKIP() << "helper for TwoRanksFineTuneLikeOneProcess";
  at::set_num_threads(1);
  auto summary = RunExperiment(DataParallelExperiment(dir));
  ASSERT_TRUE(summary.ok()) << summary.status();
}

std::vector<std::string> FilesUnder(const fs::path& dir) {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    files.push_back(fs::relative(entry.path(), dir).string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(TransferDataParallelTest, TwoRanksFineTuneLikeOneProcess) {
  const fs::path root = fs::path(::testing::TempDir()) / "transfer_parallel";
  fs::remove_all(root);
  const std::string parallel_dir = (root / "parallel").string();
  const int port = FreeLoopbackPort();
  std::vector<RankProcess> ranks;
  for (int rank = 0; rank < 2; ++rank) {
    RankOptions options;
    options.rank = rank;
    options.port = port;
    options.gtest_filter = "TransferDataParallelWorker.Run";
    options.env = {"GENESIS_TRANSFER_WORKER_DIR=" + parallel_dir};
    // Rank 1 cannot write a byte to any file: it completes only if it writes nothing.
    options.forbid_file_writes = rank == 1;
    ranks.push_back(SpawnRank(options));
    ASSERT_GT(ranks.back().pid, 0);
  }
  const int rank0 = WaitRank(ranks[0]);
  const int rank1 = WaitRank(ranks[1]);
  ASSERT_EQ(rank0, 0) << "rank 0 failed";
  ASSERT_EQ(rank1, 0) << "rank 1 failed:\n" << ranks[1].output;
  // Rank 1 did take part: it trained each sub-run with rank 0.
  EXPECT_NE(ranks[1].output.find("trained 2 sub-run(s) with rank 0"), std::string::npos)
      << ranks[1].output;

  const std::string single_dir = (root / "single").string();
  auto single = RunExperiment(DataParallelExperiment(single_dir));
  ASSERT_TRUE(single.ok()) << single.status();

  double max_diff = 0.0;
  for (const char* name : {"test_init_a_fold0_seed5_frac1", "test_init_a_fold1_seed5_frac1"}) {
    const fs::path parallel_sub = fs::path(parallel_dir) / "00_transfer" / "subruns" / name;
    const fs::path single_sub = fs::path(single_dir) / "00_transfer" / "subruns" / name;
    ASSERT_TRUE(fs::exists(parallel_sub / ".done")) << name;
    // The same files as one process writes: rank 1 left nothing (not even empty files).
    EXPECT_EQ(FilesUnder(parallel_sub), FilesUnder(single_sub)) << name;
    for (const char* split : {"val", "test"}) {
      const std::string file = absl::StrCat("predictions_", split, ".csv");
      auto parallel = ReadCsvFile((parallel_sub / file).string());
      auto one = ReadCsvFile((single_sub / file).string());
      ASSERT_TRUE(parallel.ok() && one.ok()) << file;
      ASSERT_EQ(parallel->rows.size(), one->rows.size());
      std::set<std::string> distinct;
      for (size_t i = 0; i < one->rows.size(); ++i) {
        EXPECT_EQ(parallel->rows[i][0], one->rows[i][0]);
        const double diff = std::abs(std::stod(parallel->rows[i][3]) - std::stod(one->rows[i][3]));
        max_diff = std::max(max_diff, diff);
        distinct.insert(one->rows[i][3]);
      }
      EXPECT_GT(distinct.size(), 10u) << "untrained scores?";
    }
    auto parallel_json = ReadFile((parallel_sub / "subrun.json").string());
    auto single_json = ReadFile((single_sub / "subrun.json").string());
    ASSERT_TRUE(parallel_json.ok() && single_json.ok());
    auto best_epoch = [](const std::string& json) {
      return json.substr(json.find("\"best_epoch\""), 20);
    };
    EXPECT_EQ(best_epoch(*parallel_json), best_epoch(*single_json)) << name;
  }
  // Float rounding only: summing two half-batch gradients differs from one full batch's in
  // the last bits, and 9 Adam steps keep that small.
  EXPECT_LT(max_diff, 1e-4);
  RecordProperty("max_abs_score_difference", std::to_string(max_diff));
  std::cout << "two ranks vs one process: max |score difference| " << max_diff << "\n";
}

// Kill -9 during fine-tuning, then resume: the same weights and predictions as a straight run.
TEST(FineTuningTest, ResumesBitIdenticallyAfterACrash) {
  at::set_num_threads(1);
  ToyTaskOptions options;
  options.set_groups(8);
  ToyTask task(options);
  ASSERT_TRUE(task.List().ok());
  auto folds = task.Folds(1);
  ASSERT_TRUE(folds.ok());
  auto make_job = [&](const std::string& dir) {
    PluginSpec norm_spec;
    norm_spec.set_type("batch_norm");
    static std::unique_ptr<NormalizationLayer> norm =
        *Registry<NormalizationLayer>::Get().Create(norm_spec);
    TransferStage stage = ToyStage();
    stage.set_max_epochs(3);
    stage.set_batch_size(8);
    PluginSpec backbone_spec = stage.backbone();
    auto backbone = *Registry<Backbone>::Get().Create(backbone_spec);
    BackboneConfig config;
    config.in_channels = 1;
    config.norm = norm.get();
    torch::manual_seed(3);
    ClassifierJob job;
    job.config = stage;
    job.net = *backbone->Build(config);
    auto head = *Registry<Head>::Get().Create(stage.head());
    job.head = *head->Make(job.net->encoder_channels());
    job.task = &task;
    job.train = (*folds)[0].train;
    job.val = (*folds)[0].val;
    job.test = (*folds)[0].test;
    job.output_dir = dir;
    job.seed = 11;
    return job;
  };
  const fs::path root = fs::path(::testing::TempDir()) / "finetune_resume";
  fs::remove_all(root);
  auto straight = RunFineTuning(make_job((root / "straight").string()));
  ASSERT_TRUE(straight.ok()) << straight.status();

  ClassifierJob crashing = make_job((root / "crashed").string());
  crashing.crash_after_step = [](int64_t step) { return step == 5; };  // Mid epoch 2.
  auto crashed = RunFineTuning(crashing);
  ASSERT_EQ(crashed.status().code(), absl::StatusCode::kAborted) << crashed.status();
  auto resumed = RunFineTuning(make_job((root / "crashed").string()));
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_TRUE(resumed->resumed);
  EXPECT_EQ(resumed->global_step, straight->global_step);
  EXPECT_EQ(resumed->test_scores, straight->test_scores);  // Bit-identical.
  EXPECT_EQ(*ReadFile((root / "straight" / "classifier_state_dict.pt").string()),
            *ReadFile((root / "crashed" / "classifier_state_dict.pt").string()));
}

// A ToyTask whose test samples (fold 0: even groups) have a second view, a half-white image. mode 0: scored on view 0; mode 1: scored on that second view
// only; mode 2: evaluation_views() = 2, scored on both.
class TwoViewTask : public ToyTask {
 public:
  TwoViewTask(const ToyTaskOptions& options, int mode) : ToyTask(options), mode_(mode) {}
  int32_t evaluation_views() const override { return mode_ == 2 ? 2 : 1; }
  absl::Status Load(const SampleRef& ref, const Augmentation& augmentation,
                    Slice* image) const override {
    GENESIS_RETURN_IF_ERROR(ToyTask::Load({ref.index, 0}, augmentation, image));
    const std::string& group = samples()[ref.index].group;
    const bool test = (group.back() - '0') % 2 == 0;  // "patient<g>", g < 10.
    if (test && (mode_ == 1 || (mode_ == 2 && ref.copy == 1))) {
      Slice other(kSide, kSide);
      for (int y = 0; y < kSide; ++y) {
        for (int x = 0; x < kSide; ++x) other.at(x, y) = x < kSide / 2 ? 1.0f : 0.0f;
      }
      *image = other;
    }
    return absl::OkStatus();
  }

 private:
  int mode_;
};

// Validation and test scores are the mean probability over Task::evaluation_views() views
// (LUNA16 averages a candidate's planes). Only test images differ between the three runs, so
// training and the checkpoint validation picks are identical, and the two-view score is the
// mean of the single-view scores.
TEST(FineTuningTest, ScoresAverageTheTasksEvaluationViews) {
  at::set_num_threads(1);
  ToyTaskOptions options;
  options.set_groups(8);
  PluginSpec norm_spec;
  norm_spec.set_type("batch_norm");
  auto norm = *Registry<NormalizationLayer>::Get().Create(norm_spec);  // Outlives the nets.
  std::vector<std::vector<float>> scores;
  for (int mode = 0; mode < 3; ++mode) {
    TwoViewTask task(options, mode);
    ASSERT_TRUE(task.List().ok());
    auto folds = task.Folds(1);
    ASSERT_TRUE(folds.ok());
    TransferStage stage = ToyStage();
    stage.set_max_epochs(4);
    stage.set_batch_size(8);
    auto backbone = *Registry<Backbone>::Get().Create(stage.backbone());
    BackboneConfig config;
    config.in_channels = 1;
    config.norm = norm.get();
    torch::manual_seed(3);
    ClassifierJob job;
    job.config = stage;
    job.net = *backbone->Build(config);
    job.head = *(*Registry<Head>::Get().Create(stage.head()))->Make(job.net->encoder_channels());
    job.task = &task;
    job.train = (*folds)[0].train;
    job.val = (*folds)[0].val;
    job.test = (*folds)[0].test;
    job.output_dir =
        (fs::path(::testing::TempDir()) / absl::StrCat("views_", mode)).string();
    fs::remove_all(job.output_dir);
    job.seed = 11;
    auto result = RunFineTuning(job);
    ASSERT_TRUE(result.ok()) << result.status();
    scores.push_back(result->test_scores);
  }
  ASSERT_EQ(scores[0].size(), scores[2].size());
  ASSERT_FALSE(scores[0].empty());
  double differs = 0.0;
  for (size_t i = 0; i < scores[0].size(); ++i) {
    // Float scores near 0.45: 1e-7 is a few ulp.
    EXPECT_NEAR(scores[2][i], 0.5 * (scores[0][i] + scores[1][i]), 1e-7) << i;
    differs = std::max(differs, std::abs(double{scores[0][i]} - scores[1][i]));
  }
  // The views must score apart by far more than the tolerance (the tiny net barely reacts:
  // ~1e-5 here), or the check above would hold for any averaging.
  EXPECT_GT(differs, 2e-6) << ::testing::PrintToString(scores[0]) << "\n"
                           << ::testing::PrintToString(scores[1]);
}

}  // namespace
}  // namespace genesis
