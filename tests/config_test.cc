// Config parsing, validation (errors with file:line:col and paths), overrides, resolution and
// the runner's run-folder layout. Uses the real normalization plugins and a test-only stage
// runner registered as "pretrain" (the real one is not linked into this test).
#include "core/config.h"

#include <atomic>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "core/runner.h"
#include "core/stage.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace genesis {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::atomic<int> g_stage_runs{0};

class RecordingPretrain : public StageRunner {
 public:
  explicit RecordingPretrain(const PretrainStage& options) : options_(options) {}
  static absl::Status Validate(const PretrainStage& o) {
    if (o.batch_size() < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("batch_size: must be >= 1, got ", o.batch_size()));
    }
    return absl::OkStatus();
  }
  absl::Status Run(const RunContext& context) override {
    ++g_stage_runs;
    // A batch size of 5 plays "some inputs were skipped" for the summary test.
    if (options_.batch_size() == 5) context.summary->AddSkipped(2, context.stage_dir + "/skipped.csv");
    return WriteFileAtomically(context.stage_dir + "/ran.txt",
                               absl::StrCat("batch ", options_.batch_size()));
  }

 private:
  PretrainStage options_;
};

}  // namespace

GENESIS_REGISTER_STAGE(RecordingPretrain, "pretrain", PretrainStage, "test-only pretrain stage");

namespace {

absl::Status Validate(const std::string& text, ParsedExperiment* parsed) {
  absl::Status status = ParseExperimentText(text, "exp.textproto", parsed);
  if (!status.ok()) return status;
  return ValidateExperiment(*parsed);
}

constexpr char kGood[] = R"pb(name: "good"
stage {
  pretrain {
    batch_size: 4
    normalization {
      type: "group_norm"
      options { [type.googleapis.com/genesis.GroupNormOptions] { num_groups: 8 } }
    }
  }
}
)pb";

TEST(ConfigTest, GoodConfigValidatesAndResolvesDefaults) {
  ParsedExperiment parsed;
  ASSERT_TRUE(Validate(kGood, &parsed).ok()) << Validate(kGood, &parsed);
  auto resolved = ResolveExperiment(parsed.experiment);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  const std::string text = ExperimentToText(*resolved);
  EXPECT_THAT(text, HasSubstr("seed: 42"));
  EXPECT_THAT(text, HasSubstr("output_dir: \"runs/good\""));
  EXPECT_THAT(text, HasSubstr("num_groups: 8"));
  EXPECT_THAT(text, HasSubstr("eps: 1e-05"));       // Plugin default written out.
  EXPECT_THAT(text, HasSubstr("learning_rate: 1"));  // Stage default written out.
  // The resolved text parses back to the same message.
  ParsedExperiment again;
  ASSERT_TRUE(ParseExperimentText(text, "resolved", &again).ok());
  EXPECT_EQ(again.experiment.SerializeAsString(), resolved->SerializeAsString());
}

TEST(ConfigTest, SyntaxErrorCarriesLineAndColumn) {
  ParsedExperiment parsed;
  absl::Status status = Validate("name: \"x\"\nstage {\n  pretrain { batch_size: \"four\" }\n}\n",
                                 &parsed);
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("exp.textproto:3:26: Expected integer"));
}

TEST(ConfigTest, UnknownFieldIsASyntaxError) {
  ParsedExperiment parsed;
  absl::Status status = Validate("name: \"x\"\nsead: 4\n", &parsed);
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("exp.textproto:2:5:"));
  EXPECT_THAT(status.message(), HasSubstr("no field named \"sead\""));
}

TEST(ConfigTest, UnknownPluginNamesFileLineAndKnownNames) {
  ParsedExperiment parsed;
  absl::Status status = Validate(R"pb(name: "x"
stage {
  pretrain {
    normalization { type: "layer_norm" }
  }
}
)pb", &parsed);
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.message(),
              HasSubstr("exp.textproto:4:21: stage[0].pretrain.normalization (layer_norm): "
                        "no normalization named 'layer_norm'; known normalization plugins: "
                        "[batch_norm, group_norm, instance_norm, none]"));
  EXPECT_THAT(status.message(), HasSubstr("depend on //plugins/normalization:all"));
}

TEST(ConfigTest, WrongOptionsTypeNamesTheOptionsLine) {
  ParsedExperiment parsed;
  absl::Status status = Validate(R"pb(name: "x"
stage {
  pretrain {
    normalization {
      type: "batch_norm"
      options { [type.googleapis.com/genesis.GroupNormOptions] { num_groups: 4 } }
    }
  }
}
)pb", &parsed);
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("exp.textproto:6:7: stage[0].pretrain.normalization "
                                          "(batch_norm): options of normalization 'batch_norm' "
                                          "must be [type.googleapis.com/genesis.BatchNormOptions]"));
}

TEST(ConfigTest, AllErrorsAreReportedTogetherWithFieldPaths) {
  ParsedExperiment parsed;
  absl::Status status = Validate(R"pb(name: "x"
device: "gpu"
stage {
  pretrain {
    batch_size: 0
    normalization {
      type: "group_norm"
      options { [type.googleapis.com/genesis.GroupNormOptions] { num_groups: 0 } }
    }
  }
}
stage { transfer {} }
stage {}
)pb", &parsed);
  ASSERT_FALSE(status.ok());
  const std::string message(status.message());
  EXPECT_THAT(message, HasSubstr("exp.textproto:2:1: device: expected \"cpu\""));
  EXPECT_THAT(message, HasSubstr("stage[0].pretrain.batch_size: must be >= 1, got 0"));
  EXPECT_THAT(message, HasSubstr("exp.textproto:8:7: stage[0].pretrain.normalization "
                                 "(group_norm).num_groups: must be >= 1, got 0"));
  EXPECT_THAT(message, HasSubstr("exp.textproto:12:9: stage[1].transfer: stage 'transfer' has "
                                 "no runner in this binary"));
  EXPECT_THAT(message, HasSubstr("stage[2]: empty stage"));
}

TEST(ConfigTest, OverridesReachScalarsAndPluginOptions) {
  ParsedExperiment parsed;
  ASSERT_TRUE(ParseExperimentText(kGood, "exp.textproto", &parsed).ok());
  ASSERT_TRUE(ApplyOverride("seed=7", &parsed.experiment).ok());
  ASSERT_TRUE(ApplyOverride("stage[0].pretrain.batch_size=9", &parsed.experiment).ok());
  ASSERT_TRUE(
      ApplyOverride("stage[0].pretrain.normalization.options.num_groups=2", &parsed.experiment)
          .ok());
  ASSERT_TRUE(ValidateExperiment(parsed).ok());
  EXPECT_EQ(parsed.experiment.seed(), 7u);
  EXPECT_EQ(parsed.experiment.stage(0).pretrain().batch_size(), 9);
  EXPECT_THAT(ExperimentToText(parsed.experiment), HasSubstr("num_groups: 2"));

  absl::Status bad = ApplyOverride("stage[3].pretrain.batch_size=1", &parsed.experiment);
  EXPECT_THAT(bad.message(), HasSubstr("only 1 element"));
  bad = ApplyOverride("stage[0].pretrain.batchsize=1", &parsed.experiment);
  EXPECT_THAT(bad.message(), HasSubstr("no field 'batchsize'"));
  bad = ApplyOverride("seed=many", &parsed.experiment);
  EXPECT_THAT(bad.message(),
              HasSubstr("override 'seed=many': 'many' is not a valid value for seed: expected "
                        "an integer, e.g. seed=3"));
  bad = ApplyOverride("seed", &parsed.experiment);
  EXPECT_THAT(bad.message(), HasSubstr("expected path=value"));
}

TEST(ConfigTest, OverridesAcceptBareStringsAndNameTheExpectedForm) {
  ParsedExperiment parsed;
  ASSERT_TRUE(ParseExperimentText(kGood, "exp.textproto", &parsed).ok());
  ASSERT_TRUE(ApplyOverride("output_dir=/tmp/x y", &parsed.experiment).ok());
  EXPECT_EQ(parsed.experiment.output_dir(), "/tmp/x y");
  ASSERT_TRUE(ApplyOverride("output_dir=\"/tmp/q\\tz\"", &parsed.experiment).ok());
  EXPECT_EQ(parsed.experiment.output_dir(), "/tmp/q\tz");
  absl::Status bad = ApplyOverride("stage[0].pretrain.batch_size=big", &parsed.experiment);
  EXPECT_THAT(bad.message(), HasSubstr("override 'stage[0].pretrain.batch_size=big': 'big' is "
                                       "not a valid value for batch_size: expected an integer"));
}

// Repeated fields: a whole scalar list, one element, and [size] appending (scalars and
// messages), so a cut-down run (fewer label fractions, one fold, an added initializer) needs no
// copy of the experiment file.
TEST(ConfigTest, OverridesSetListsElementsAndAppend) {
  ParsedExperiment parsed;
  ASSERT_TRUE(ParseExperimentText(kGood, "exp.textproto", &parsed).ok());
  Experiment& e = parsed.experiment;
  ASSERT_EQ(e.stage_size(), 1);
  ASSERT_TRUE(ApplyOverride("stage[1].transfer.max_epochs=2", &e).ok());  // Appends a stage.
  ASSERT_EQ(e.stage_size(), 2);
  ASSERT_TRUE(ApplyOverride("stage[1].transfer.label_fractions=[0.25, 1]", &e).ok());
  ASSERT_TRUE(ApplyOverride("stage[1].transfer.label_fractions[2]=0.5", &e).ok());
  ASSERT_TRUE(ApplyOverride("stage[1].transfer.label_fractions[0]=0.1", &e).ok());
  ASSERT_TRUE(ApplyOverride("stage[1].transfer.fold=[3]", &e).ok());
  ASSERT_TRUE(ApplyOverride("stage[1].transfer.initializer[0].type=scratch", &e).ok());
  ASSERT_TRUE(ApplyOverride("stage[1].transfer.initializer[1].type=\"imagenet\"", &e).ok());
  const TransferStage& t = e.stage(1).transfer();
  EXPECT_EQ(t.max_epochs(), 2);
  EXPECT_THAT(std::vector<double>(t.label_fractions().begin(), t.label_fractions().end()),
              ::testing::ElementsAre(0.1, 1.0, 0.5));
  EXPECT_THAT(std::vector<int>(t.fold().begin(), t.fold().end()), ::testing::ElementsAre(3));
  ASSERT_EQ(t.initializer_size(), 2);
  EXPECT_EQ(t.initializer(0).type(), "scratch");
  EXPECT_EQ(t.initializer(1).type(), "imagenet");
  ASSERT_TRUE(ApplyOverride("stage[1].transfer.fold=[]", &e).ok());
  EXPECT_EQ(e.stage(1).transfer().fold_size(), 0);

  absl::Status bad = ApplyOverride("stage[1].transfer.label_fractions[5]=1", &e);
  EXPECT_THAT(bad.message(), HasSubstr("only 3 element(s); [3] appends one"));
  bad = ApplyOverride("stage[1].transfer.label_fractions=0.5", &e);
  EXPECT_THAT(bad.message(), HasSubstr("is not a list for label_fractions: expected [v1, v2, "));
  bad = ApplyOverride("stage[1].transfer.fold=[a]", &e);
  EXPECT_THAT(bad.message(), HasSubstr("'[a]' is not a list for fold"));
  bad = ApplyOverride("stage[1].transfer.seeds[0]=x", &e);
  EXPECT_THAT(bad.message(), HasSubstr("'x' is not a valid value for seeds"));
  bad = ApplyOverride("stage[1].transfer.initializer.type=x", &e);
  EXPECT_THAT(bad.message(), HasSubstr("'initializer' is repeated: give an index"));
}

TEST(ConfigTest, NameCannotEscapeTheRunsFolder) {
  for (const char* name : {"../../escaped", "a/b", "..", "x\\y"}) {
    ParsedExperiment parsed;
    ASSERT_TRUE(ParseExperimentText(kGood, "exp.textproto", &parsed).ok());
    parsed.experiment.set_name(name);
    absl::Status status = ValidateExperiment(parsed);
    EXPECT_THAT(status.message(), HasSubstr("name: must be a plain folder name")) << name;
  }
}

TEST(RunnerTest, WritesRunFolderAndSkipsCompletedStages) {
  const std::string dir = absl::StrCat(std::getenv("TEST_TMPDIR"), "/run1");
  const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/good.textproto");
  ASSERT_TRUE(WriteFileAtomically(path, kGood).ok());
  auto experiment = LoadExperiment(path, {absl::StrCat("output_dir=\"", dir, "\"")});
  ASSERT_TRUE(experiment.ok()) << experiment.status();
  g_stage_runs = 0;
  ASSERT_TRUE(RunExperiment(*experiment).ok());
  EXPECT_EQ(g_stage_runs, 1);
  EXPECT_TRUE(std::filesystem::exists(dir + "/experiment.resolved.textproto"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/genesis.log"));
  auto ran = ReadFile(dir + "/00_pretrain/ran.txt");
  ASSERT_TRUE(ran.ok());
  EXPECT_EQ(*ran, "batch 4");
  auto stages = ReadFile(dir + "/stages.csv");
  ASSERT_TRUE(stages.ok());
  EXPECT_THAT(*stages, HasSubstr("0,pretrain,ok,"));
  // Same folder, same config: the completed stage is skipped.
  ASSERT_TRUE(RunExperiment(*experiment).ok());
  EXPECT_EQ(g_stage_runs, 1);
  // A changed stage config runs again.
  auto changed = LoadExperiment(path, {absl::StrCat("output_dir=\"", dir, "\""),
                                       "stage[0].pretrain.batch_size=5"});
  ASSERT_TRUE(changed.ok());
  auto summary = RunExperiment(*changed);
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(g_stage_runs, 2);
  EXPECT_EQ(summary->skipped, 2);
  ASSERT_EQ(summary->skip_reports.size(), 1u);
  EXPECT_THAT(summary->skip_reports[0], HasSubstr("00_pretrain/skipped.csv"));
}

// Ranks > 0 waiting for rank 0 (and failing with it) need two connected processes:
// tests/run_folder_test.sh runs them with the genesis binary.

}  // namespace
}  // namespace genesis
