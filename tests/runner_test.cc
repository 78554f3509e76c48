// The run's stage fingerprints: a stage reruns exactly when its options, the seed, an earlier
// stage it reads or an input path's listing changed; partial work made with other inputs is
// refused unless forced. Stage runners here are test doubles registered under the real stage
// names, so the runner core is exercised without building corpora or training.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "core/proto/experiment.pb.h"
#include "core/run_folder.h"
#include "core/runner.h"
#include "core/stage.h"
#include "gtest/gtest.h"
#include "plugins/dataset/csv_manifest.pb.h"

namespace genesis {
namespace {

namespace fs = std::filesystem;

std::map<std::string, int>& Runs() {
  static auto* runs = new std::map<std::string, int>;
  return *runs;
}
bool& CrashPretrain() {
  static bool crash = false;
  return crash;
}

// Reads every earlier stage (the default Inputs: all earlier stages + its input paths).
class FakeCorpus : public StageRunner {
 public:
  explicit FakeCorpus(const CorpusStage&) {}
  absl::Status Run(const RunContext& context) override {
    ++Runs()["corpus"];
    return WriteFileAtomically(context.stage_dir + "/output.txt", "corpus");
  }
};

// Resumes partial work, like pretraining.
class FakePretrain : public StageRunner {
 public:
  explicit FakePretrain(const PretrainStage&) {}
  bool Resumes() const override { return true; }
  absl::Status Run(const RunContext& context) override {
    ++Runs()["pretrain"];
    const std::string checkpoint = context.stage_dir + "/checkpoint_last.pt";
    if (fs::exists(checkpoint)) ++Runs()["pretrain_resumed"];
    absl::Status status = WriteFileAtomically(checkpoint, "weights");
    if (!status.ok()) return status;
    if (CrashPretrain()) return absl::AbortedError("simulated crash");
    return absl::OkStatus();
  }
};

GENESIS_REGISTER_STAGE(FakeCorpus, "corpus", CorpusStage, "test double");
GENESIS_REGISTER_STAGE(FakePretrain, "pretrain", PretrainStage, "test double");

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Runs().clear();
    CrashPretrain() = false;
    root_ = fs::path(::testing::TempDir()) /
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(root_);
    fs::create_directories(root_ / "data");
    std::ofstream(root_ / "data" / "manifest.csv") << "dataset,patient_id,modality,body_part,file\n";
    experiment_.set_name("t");
    experiment_.set_output_dir((root_ / "run").string());
    experiment_.set_seed(1);
    experiment_.set_num_threads(1);
    CsvManifestOptions source;
    source.set_root((root_ / "data").string());
    auto* corpus = experiment_.add_stage()->mutable_corpus();
    corpus->add_dataset()->mutable_source()->set_type("csv_manifest");
    corpus->mutable_dataset(0)->mutable_source()->mutable_options()->PackFrom(source);
    corpus->mutable_split()->set_train(0.9);
    experiment_.add_stage()->mutable_pretrain()->set_max_epochs(3);
  }

  absl::StatusOr<RunSummary> Run(const RunOptions& options = RunOptions()) {
    Runs().clear();
    return RunExperiment(experiment_, options);
  }

  fs::path root_;
  Experiment experiment_;
};

TEST_F(RunnerTest, UnchangedStagesAreSkipped) {
  ASSERT_TRUE(Run().ok());
  EXPECT_EQ(Runs()["corpus"], 1);
  EXPECT_EQ(Runs()["pretrain"], 1);
  ASSERT_TRUE(Run().ok());
  EXPECT_EQ(Runs()["corpus"], 0);
  EXPECT_EQ(Runs()["pretrain"], 0);
}

TEST_F(RunnerTest, ChangingTheCorpusRerunsPretrainingInACleanFolder) {
  ASSERT_TRUE(Run().ok());
  experiment_.mutable_stage(0)->mutable_corpus()->mutable_split()->set_train(0.7);
  ASSERT_TRUE(Run().ok());
  EXPECT_EQ(Runs()["corpus"], 1);
  EXPECT_EQ(Runs()["pretrain"], 1);
  // The old checkpoint was removed, not resumed.
  EXPECT_EQ(Runs()["pretrain_resumed"], 0);
  auto log = ReadFile((root_ / "run" / "genesis.log").string());
  ASSERT_TRUE(log.ok());
  EXPECT_NE(log->find("stage 1 (pretrain): rerunning, since it completed with other inputs "
                      "(changed: stage 0 (corpus))"),
            std::string::npos)
      << *log;
}

TEST_F(RunnerTest, ChangingOnlyPretrainingKeepsTheCorpus) {
  ASSERT_TRUE(Run().ok());
  experiment_.mutable_stage(1)->mutable_pretrain()->set_max_epochs(4);
  ASSERT_TRUE(Run().ok());
  EXPECT_EQ(Runs()["corpus"], 0);
  EXPECT_EQ(Runs()["pretrain"], 1);
}

TEST_F(RunnerTest, ChangingTheSeedRerunsEverything) {
  ASSERT_TRUE(Run().ok());
  experiment_.set_seed(2);
  ASSERT_TRUE(Run().ok());
  EXPECT_EQ(Runs()["corpus"], 1);
  EXPECT_EQ(Runs()["pretrain"], 1);
  EXPECT_EQ(Runs()["pretrain_resumed"], 0);
}

TEST_F(RunnerTest, ChangingTheDataRootRerunsItsReaders) {
  ASSERT_TRUE(Run().ok());
  std::ofstream(root_ / "data" / "new_scan.dcm") << "x";
  ASSERT_TRUE(Run().ok());
  EXPECT_EQ(Runs()["corpus"], 1);
  EXPECT_EQ(Runs()["pretrain"], 1);
  auto done = ReadFile((root_ / "run" / "00_corpus" / ".done").string());
  ASSERT_TRUE(done.ok());
  EXPECT_NE(done->find(absl::StrCat("path ", (root_ / "data").string())), std::string::npos);
}

TEST_F(RunnerTest, PartialWorkWithOtherInputsIsRefusedUnlessForced) {
  CrashPretrain() = true;
  ASSERT_FALSE(Run().ok());
  // Resuming with the same inputs is fine.
  CrashPretrain() = false;
  experiment_.mutable_stage(1)->mutable_pretrain()->set_max_epochs(3);
  {
    auto summary = Run();
    ASSERT_TRUE(summary.ok()) << summary.status();
    EXPECT_EQ(Runs()["pretrain_resumed"], 1);
  }
  // Killed again, then restarted with other options: refused, saying what changed.
  experiment_.mutable_stage(1)->mutable_pretrain()->set_max_epochs(5);
  CrashPretrain() = true;
  ASSERT_FALSE(Run().ok());
  CrashPretrain() = false;
  experiment_.mutable_stage(1)->mutable_pretrain()->set_max_epochs(6);
  auto refused = Run();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("changed: options"), std::string::npos)
      << refused.status();
  EXPECT_NE(refused.status().message().find("--force_resume"), std::string::npos);
  EXPECT_EQ(Runs()["pretrain"], 0);

  RunOptions force;
  force.force_resume = true;
  ASSERT_TRUE(Run(force).ok());
  EXPECT_EQ(Runs()["pretrain_resumed"], 1);
}

TEST_F(RunnerTest, ShardsRunOnlyUpToTheShardableStage) {
  RunOptions shard;
  shard.shard_index = 0;
  shard.shard_count = 2;
  // No shardable stage here: shard 0 runs both stages like a plain run.
  ASSERT_TRUE(Run(shard).ok());
  EXPECT_EQ(Runs()["corpus"], 1);
  EXPECT_EQ(Runs()["pretrain"], 1);
  shard.shard_index = 2;
  EXPECT_FALSE(Run(shard).ok());
}

// flock conflicts between two holders of one file even inside one process, so the second
// RunExperiment here stands for a second `genesis run` (tests/run_folder_test.sh runs both).
TEST_F(RunnerTest, AFolderInUseIsRefusedNamingItsHolder) {
  const std::string run_dir = (root_ / "run").string();
  fs::create_directories(run_dir);
  {
    auto held = LockRunFolder(run_dir, DistributedConfig(), 0, 1);
    ASSERT_TRUE(held.ok()) << held.status();
    auto refused = Run();
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(refused.status().message().find(absl::StrCat(
                  run_dir, " is in use by another `genesis run` (pid ", getpid(), " on host ")),
              std::string::npos)
        << refused.status();
    EXPECT_NE(refused.status().message().find("rank 0 of 1, shard 0 of 1"), std::string::npos);
    EXPECT_EQ(Runs()["corpus"], 0);
    EXPECT_FALSE(fs::exists(run_dir + "/genesis.log"));  // Refused before writing anything.
  }
  // Another identity's lock (shard 1 of a sharded run) does not block a plain run.
  auto shard1 = LockRunFolder(run_dir, DistributedConfig(), 1, 2);
  ASSERT_TRUE(shard1.ok()) << shard1.status();
  EXPECT_EQ(shard1->path(), run_dir + "/.lock.shard1");
  ASSERT_TRUE(Run().ok());
  EXPECT_EQ(Runs()["corpus"], 1);
}

TEST(RunLockTest, NamesFollowTheIdentity) {
  EXPECT_EQ(RunLockName(0, 0), ".lock");
  EXPECT_EQ(RunLockName(1, 0), ".lock.rank1");
  EXPECT_EQ(RunLockName(0, 2), ".lock.shard2");
  EXPECT_EQ(RunLockName(1, 2), ".lock.shard2.rank1");
}

}  // namespace
}  // namespace genesis
