// Stage "transfer": fine-tune encoders on a downstream task and write the predictions that the
// evaluate stage scores.
//
//   stage { transfer {
//     task { type: "luna16" options { [type.googleapis.com/genesis.Luna16TaskOptions] {
//       root: "/data/LUNA16" } } }
//     backbone { type: "unet_vgg16" }
//     normalization { type: "batch_norm" }
//     initializer { type: "scratch" }
//     initializer { type: "self_supervised" }     // this run's pretrain stage
//     initializer { type: "imagenet" options { [type.googleapis.com/genesis.ImageNetOptions] {
//       weights: "vgg16_bn.pth" } } }
//     head { type: "gap_dense" }
//     optimizer { type: "sgd" learning_rate: 0.001 momentum: 0.9 }
//     schedule { type: "plateau" factor: 0.01 patience: 3 }
//     batch_size: 32  max_epochs: 18  image_size: 64
//     seeds: 1  seeds: 2  label_fractions: 0.1  label_fractions: 1
//   } }
//
// Every (initializer x fold x seed x label fraction) is a sub-run with its own folder:
//
//   <stage>/task.json          task name, corpus dataset name, prediction columns, Task::Info()
//   <stage>/subruns.csv        subrun,initializer,fold,fold_name,seed,label_fraction,status
//   <stage>/leakage.csv        downstream test patients found in this run's pretraining corpus
//   <stage>/cache/             the task's input cache (shared by every sub-run)
//   <stage>/subruns/<initializer>_fold<k>_seed<s>_frac<f>/
//     subrun.json              what the sub-run is and how it ended (sizes, best epoch/AUC)
//     weight_coverage.json     the initializer's loaded / missing / unexpected tensors
//     metrics.csv, tensorboard/, checkpoint_{last,best}.pt    (core/train/training_loop.h)
//     predictions_val.csv, predictions_test.csv   id,group,label,score[,task columns]
//     + the task's own files (LUNA16 submission_test.csv, MURA per-study scores)
//     classifier_state_dict.pt
//     .started / .done         the sub-run's fingerprint
//
// A sub-run whose .done matches its fingerprint is skipped, so adding a seed or a label
// fraction runs only the new sub-runs; one made with other inputs is rerun in a clean folder;
// one killed midway resumes from its checkpoint (refused if its inputs changed, unless
// --force_resume). `genesis run --shard I/N` runs the sub-runs k with k % N == I; a plain
// `genesis run` then completes whatever is missing and the later stages.
//
// Data parallel (WORLD_SIZE > 1, core/distributed/data_parallel.h): every rank runs the stage
// and walks the same sub-runs in the same order; each sub-run trains on every rank together
// (each on its shard of every batch), and rank 0 alone writes files. Rank 0 decides: it
// prepares the task cache before the others open it, and for each sub-run it judges the
// markers, prepares the folder and initialises the encoder, then tells the others to run or
// skip it -- so no rank ever reads a half-written .done. The other ranks get rank 0's weights
// through the training loop's first broadcast (they run no initializer) and write nothing.
//
// Label fractions are drawn per fold and seed at the group level (scans, patients, studies):
// the fold's training groups in a seeded random order, the first ceil(f * groups) of them, so
// a smaller fraction is a subset of a larger one. Validation and test sets are never reduced.
#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/backbone.h"
#include "core/csv.h"
#include "core/distributed/config.h"
#include "core/distributed/data_parallel.h"
#include "core/eval/json.h"
#include "core/file_util.h"
#include "core/fingerprint.h"
#include "core/head.h"
#include "core/initializer.h"
#include "core/normalization.h"
#include "core/proto/stages.pb.h"
#include "core/random.h"
#include "core/stage.h"
#include "core/status_macros.h"
#include "core/task.h"
#include "core/train/classifier_trainer.h"
#include "glog/logging.h"

namespace genesis {
namespace {

namespace fs = std::filesystem;

PluginSpec WithDefaultType(const PluginSpec& spec, absl::string_view type) {
  PluginSpec out = spec;
  if (out.type().empty()) out.set_type(std::string(type));
  return out;
}

// The stage's options as the sub-runs of `initializer` use them: its per_initializer entry
// replaces the fields it sets.
TransferStage ForInitializer(const TransferStage& stage, const std::string& initializer) {
  TransferStage out = stage;
  out.clear_per_initializer();
  for (const InitializerSettings& p : stage.per_initializer()) {
    if (p.initializer() != initializer) continue;
    if (p.has_max_epochs()) out.set_max_epochs(p.max_epochs());
    if (p.has_warmup_epochs()) out.set_warmup_epochs(p.warmup_epochs());
    if (p.has_optimizer()) out.mutable_optimizer()->MergeFrom(p.optimizer());
    if (p.has_schedule()) out.mutable_schedule()->MergeFrom(p.schedule());
  }
  return out;
}

struct SubRun {
  int index = 0;  // Position in the stage's list (sharding).
  PluginSpec initializer;
  int fold = 0;
  std::string fold_name;
  uint64_t seed = 0;
  double fraction = 1.0;
  std::string name;
};

// A sub-run's network and head, with the plugins that made them (kept alive beside them).
struct SubRunModel {
  std::unique_ptr<NormalizationLayer> norm;
  std::unique_ptr<Backbone> backbone;
  std::unique_ptr<Head> head_plugin;
  std::shared_ptr<EncoderDecoder> net;
  std::shared_ptr<HeadModule> head;
};

// The fold's training items restricted to the first ceil(fraction * groups) groups in a seeded
// order (nested across fractions for one seed).
std::vector<SampleRef> LabelFraction(const std::vector<TaskSample>& samples,
                                     const std::vector<SampleRef>& train, double fraction,
                                     uint64_t seed, int fold) {
  if (fraction >= 1.0) return train;
  std::vector<std::string> groups;
  {
    std::set<std::string> seen;
    for (const SampleRef& ref : train) {
      const std::string& g = samples[ref.index].group;
      if (seen.insert(g).second) groups.push_back(g);
    }
  }
  std::sort(groups.begin(), groups.end());
  RandomStream rng(seed, RandomStream::kSampling, 0x1abe1f, static_cast<uint64_t>(fold));
  for (int64_t i = static_cast<int64_t>(groups.size()) - 1; i > 0; --i) {
    std::swap(groups[i], groups[rng.UniformInt(0, i)]);
  }
  const size_t keep = std::max<size_t>(
      1, static_cast<size_t>(std::ceil(fraction * static_cast<double>(groups.size()) - 1e-9)));
  const std::set<std::string> kept(groups.begin(), groups.begin() + std::min(keep, groups.size()));
  std::vector<SampleRef> out;
  for (const SampleRef& ref : train) {
    if (kept.count(samples[ref.index].group) > 0) out.push_back(ref);
  }
  return out;
}

class TransferStageRunner : public StageRunner {
 public:
  explicit TransferStageRunner(const TransferStage& options) : options_(options) {}

  static absl::Status Validate(const TransferStage& options) {
    GENESIS_RETURN_IF_ERROR(ValidateFineTuningOptions(options));
    if (!options.has_task() || options.task().type().empty()) {
      return absl::InvalidArgumentError("task: required (e.g. \"luna16\", \"mura\")");
    }
    if (options.initializer_size() == 0) {
      return absl::InvalidArgumentError(
          "initializer: give at least one (\"scratch\", \"self_supervised\", \"imagenet\")");
    }
    std::set<std::string> types;
    for (const PluginSpec& init : options.initializer()) {
      if (!types.insert(init.type()).second) {
        return absl::InvalidArgumentError(absl::StrCat(
            "initializer: \"", init.type(), "\" appears twice; each type may appear once"));
      }
    }
    for (double f : options.label_fractions()) {
      if (!(f > 0 && f <= 1)) {
        return absl::InvalidArgumentError(
            absl::StrCat("label_fractions: each must be in (0, 1], got ", f));
      }
    }
    for (int f : options.fold()) {
      if (f < 0 || f > 1000) {
        return absl::InvalidArgumentError(absl::StrCat("fold: must be in [0, 1000], got ", f));
      }
    }
    for (int i = 0; i < options.per_initializer_size(); ++i) {
      const InitializerSettings& p = options.per_initializer(i);
      if (types.count(p.initializer()) == 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "per_initializer[", i, "].initializer: \"", p.initializer(),
            "\" is not one of this stage's initializers"));
      }
      absl::Status status = ValidateFineTuningOptions(ForInitializer(options, p.initializer()));
      if (!status.ok()) {
        return Annotate(status, absl::StrCat("per_initializer[", i, "] (", p.initializer(), ")"));
      }
    }
    if (options.leakage() != "warn" && options.leakage() != "fail") {
      return absl::InvalidArgumentError(
          absl::StrCat("leakage: must be \"warn\" or \"fail\", got \"", options.leakage(), "\""));
    }
    return absl::OkStatus();
  }

  bool Shardable() const override { return true; }
  // Data parallel: every rank fine-tunes each sub-run on its shard of every batch.
  bool RunsOnEveryRank() const override { return true; }

  absl::Status Run(const RunContext& context) override;

 private:
  absl::Status CheckLeakage(const RunContext& context, const Task& task,
                            const std::vector<TaskFold>& folds) const;
  absl::Status WriteTaskJson(const RunContext& context, const Task& task) const;
  absl::StatusOr<std::map<std::string, std::string>> NotRunInitializers(bool log) const;
  std::vector<SubRun> SubRuns(const std::vector<TaskFold>& folds, uint64_t run_seed) const;
  std::string SubRunMarker(const RunContext& context, const SubRun& run) const;
  absl::StatusOr<bool> PrepareSubRunFolder(const RunContext& context, const SubRun& run,
                                           const std::string& dir,
                                           const std::string& marker) const;
  absl::StatusOr<SubRunModel> BuildModel(const RunContext& context, const SubRun& run,
                                         const std::string& dir, bool initialize) const;
  absl::Status WriteSubRunResults(const RunContext& context, const Task& task,
                                  const TaskFold& fold, const SubRun& run,
                                  const std::vector<SampleRef>& train, const std::string& dir,
                                  const ClassifierResult& result,
                                  const std::string& marker) const;
  absl::StatusOr<bool> RunSubRun(const RunContext& context, const Task& task,
                                 const TaskFold& fold, const SubRun& run,
                                 const std::string& marker, const std::string& not_run_reason,
                                 DataParallel* parallel) const;

  TransferStage options_;
};

std::vector<SubRun> TransferStageRunner::SubRuns(const std::vector<TaskFold>& folds,
                                                 uint64_t run_seed) const {
  std::vector<int> fold_ids(options_.fold().begin(), options_.fold().end());
  if (fold_ids.empty()) {
    for (int k = 0; k < static_cast<int>(folds.size()); ++k) fold_ids.push_back(k);
  }
  std::vector<uint64_t> seeds(options_.seeds().begin(), options_.seeds().end());
  if (seeds.empty()) seeds.push_back(run_seed);
  std::vector<double> fractions(options_.label_fractions().begin(),
                                options_.label_fractions().end());
  if (fractions.empty()) fractions.push_back(1.0);
  std::vector<SubRun> runs;
  for (const PluginSpec& init : options_.initializer()) {
    for (int fold : fold_ids) {
      for (uint64_t seed : seeds) {
        for (double fraction : fractions) {
          SubRun run;
          run.index = static_cast<int>(runs.size());
          run.initializer = init;
          run.fold = fold;
          run.fold_name = fold < static_cast<int>(folds.size()) ? folds[fold].name : "";
          run.seed = seed;
          run.fraction = fraction;
          run.name = absl::StrFormat("%s_fold%d_seed%d_frac%g", init.type(), fold, seed, fraction);
          runs.push_back(run);
        }
      }
    }
  }
  return runs;
}

// A sub-run's fingerprint: the stage's inputs (earlier stages, paths) and options without the
// lists that enumerate sub-runs, plus this sub-run's initializer, fold, seed and fraction -- so
// adding a seed leaves finished sub-runs valid.
std::string TransferStageRunner::SubRunMarker(const RunContext& context,
                                              const SubRun& run) const {
  Fingerprint f;
  for (absl::string_view line : absl::StrSplit(context.fingerprint, '\n', absl::SkipEmpty())) {
    const size_t space = line.rfind(' ');
    if (space == absl::string_view::npos) continue;
    const absl::string_view name = line.substr(0, space);
    if (name == "fingerprint" || name == "options") continue;
    f.Add(name, line.substr(space + 1));
  }
  TransferStage shared = ForInitializer(options_, run.initializer.type());
  shared.clear_initializer();
  shared.clear_fold();
  shared.clear_seeds();
  shared.clear_label_fractions();
  std::string bytes;
  shared.SerializeToString(&bytes);
  f.Add("options", bytes);
  run.initializer.SerializeToString(&bytes);
  f.Add("initializer", bytes);
  f.Add("fold", absl::StrCat(run.fold));
  f.Add("seed", absl::StrCat(run.seed));
  f.Add("label_fraction", absl::StrFormat("%.17g", run.fraction));
  return f.Serialize();
}

absl::Status TransferStageRunner::CheckLeakage(const RunContext& context, const Task& task,
                                               const std::vector<TaskFold>& folds) const {
  absl::StatusOr<std::string> corpus = context.EarlierStageDir("corpus");
  const std::string leakage_path = context.stage_dir + "/leakage.csv";
  std::error_code ec;
  fs::remove(leakage_path, ec);
  if (!corpus.ok()) return absl::OkStatus();
  const std::string split_path = *corpus + "/split.csv";
  GENESIS_ASSIGN_OR_RETURN(CsvTable split, ReadCsvFile(split_path));
  std::map<std::string, std::string> corpus_split;  // patient -> split, of the task's dataset.
  const int dataset_col = split.Column("dataset");
  const int patient_col = split.Column("patient_id");
  const int split_col = split.Column("split");
  if (dataset_col < 0 || patient_col < 0 || split_col < 0) {
    return absl::DataLossError(
        absl::StrCat(split_path, ": expected columns dataset, patient_id, split"));
  }
  for (const auto& row : split.rows) {
    if (row[dataset_col] == task.dataset_name()) corpus_split[row[patient_col]] = row[split_col];
  }
  std::string csv = "dataset,patient_id,fold,corpus_split\n";
  int64_t found = 0;
  std::set<std::string> reported;
  const auto& samples = task.samples();
  for (size_t k = 0; k < folds.size(); ++k) {
    for (int64_t i : folds[k].test) {
      const std::string& patient =
          samples[i].patient.empty() ? samples[i].group : samples[i].patient;
      auto it = corpus_split.find(patient);
      if (it == corpus_split.end()) continue;
      if (!reported.insert(absl::StrCat(k, "/", patient)).second) continue;
      absl::StrAppend(&csv, CsvField(task.dataset_name()), ",", CsvField(patient), ",", k, ",",
                      it->second, "\n");
      ++found;
    }
  }
  if (found == 0) return absl::OkStatus();
  GENESIS_RETURN_IF_ERROR(WriteFileAtomically(leakage_path, csv));
  const std::string message = absl::StrCat(
      "LEAKAGE: ", found, " (fold, patient) pairs of the downstream test sets are in this run's "
      "pretraining corpus (dataset \"", task.dataset_name(), "\"), listed in ", leakage_path,
      ". Self-supervised results on those folds are optimistic. Exclude them from pretraining "
      "with corpus { exclude_test_patients_of { <this task> } }");
  if (options_.leakage() == "fail") return absl::FailedPreconditionError(message);
  LOG(WARNING) << message;
  return absl::OkStatus();
}

// task.json: what the evaluate stage needs to know about the task.
absl::Status TransferStageRunner::WriteTaskJson(const RunContext& context,
                                                const Task& task) const {
  std::string json = absl::StrCat("{\n  \"task\": ", JsonQuote(options_.task().type()),
                                  ",\n  \"dataset\": ", JsonQuote(task.dataset_name()),
                                  ",\n  \"prediction_columns\": [");
  const auto columns = task.PredictionColumns();
  for (size_t i = 0; i < columns.size(); ++i) {
    absl::StrAppend(&json, i ? ", " : "", JsonQuote(columns[i]));
  }
  absl::StrAppend(&json, "]");
  for (const auto& [key, value] : task.Info()) {
    absl::StrAppend(&json, ",\n  ", JsonQuote(key), ": ", JsonQuote(value));
  }
  absl::StrAppend(&json, "\n}\n");
  return WriteFileAtomically(context.stage_dir + "/task.json", json);
}

// Initialisations that cannot run as configured (e.g. no ImageNet weights given), by type.
absl::StatusOr<std::map<std::string, std::string>> TransferStageRunner::NotRunInitializers(
    bool log) const {
  std::map<std::string, std::string> not_run;
  for (const PluginSpec& spec : options_.initializer()) {
    GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<Initializer> init,
                             Registry<Initializer>::Get().Create(spec));
    const std::string reason = init->NotRunReason();
    if (reason.empty()) continue;
    not_run[spec.type()] = reason;
    if (log) LOG(WARNING) << "transfer: initializer " << spec.type() << " not run: " << reason;
  }
  return not_run;
}

absl::Status TransferStageRunner::Run(const RunContext& context) {
  GENESIS_ASSIGN_OR_RETURN(const DistributedConfig distributed, DistributedConfigFromEnv());
  DataParallel* parallel = nullptr;
  std::unique_ptr<DataParallel> own_connection;  // Only when run outside `genesis run`.
  if (distributed.world_size > 1) {
    GENESIS_ASSIGN_OR_RETURN(parallel,
                             DataParallel::CurrentOrConnect(distributed, &own_connection));
  }
  const bool main_rank = distributed.rank == 0;
  const std::string task_ready_key = absl::StrCat("stage", context.stage_index, "/task_ready");
  GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<Task> task,
                           Registry<Task>::Get().Create(options_.task()));
  GENESIS_RETURN_IF_ERROR(Annotate(task->List(), "task"));
  TaskContext task_context;
  task_context.cache_dir = context.stage_dir + "/cache";
  task_context.seed = context.seed;
  task_context.num_threads = context.num_threads;
  task_context.build_cache = main_rank;
  if (!main_rank) {
    // Rank 0 builds the cache (maybe for hours) before the others open it.
    LOG(INFO) << "transfer: waiting for rank 0 to prepare the task's cache";
    GENESIS_RETURN_IF_ERROR(Annotate(parallel->WaitFor(task_ready_key).status(), "task"));
  }
  GENESIS_RETURN_IF_ERROR(Annotate(task->Prepare(task_context), "task"));
  GENESIS_ASSIGN_OR_RETURN(const std::vector<TaskFold> folds, task->Folds(context.seed));
  LOG(INFO) << "transfer: task " << options_.task().type() << ": " << task->samples().size()
            << " samples, " << folds.size() << " fold(s)";

  if (main_rank) {
    GENESIS_RETURN_IF_ERROR(WriteTaskJson(context, *task));
    GENESIS_RETURN_IF_ERROR(CheckLeakage(context, *task, folds));
  }

  const std::vector<SubRun> runs = SubRuns(folds, context.seed);
  for (const SubRun& run : runs) {
    if (run.fold >= static_cast<int>(folds.size())) {
      return absl::InvalidArgumentError(absl::StrCat("fold: ", run.fold, " does not exist; the ",
                                                     options_.task().type(), " task has ",
                                                     folds.size(), " fold(s)"));
    }
  }
  GENESIS_ASSIGN_OR_RETURN(const auto not_run, NotRunInitializers(main_rank));
  if (main_rank && parallel != nullptr) {
    GENESIS_RETURN_IF_ERROR(parallel->Publish(task_ready_key, "ready"));
  }
  int ran = 0;      // Sub-runs of this shard whose initializer runs.
  int trained = 0;  // Of those, the ones trained now (not complete before).
  for (const SubRun& run : runs) {
    if (run.index % context.shard_count != context.shard_index) continue;
    auto reason = not_run.find(run.initializer.type());
    const std::string marker = SubRunMarker(context, run);
    absl::StatusOr<bool> did = RunSubRun(context, *task, folds[run.fold], run, marker,
                                         reason == not_run.end() ? "" : reason->second, parallel);
    if (!did.ok()) return Annotate(did.status(), absl::StrCat("sub-run ", run.name));
    if (reason == not_run.end()) ++ran;
    if (*did) ++trained;
  }
  if (!main_rank) {
    LOG(INFO) << "transfer: rank " << distributed.rank << " trained " << trained
              << " sub-run(s) with rank 0, which wrote their results";
    return absl::OkStatus();
  }
  // The index of sub-runs and their status, for people and for the evaluate stage.
  std::string csv = "subrun,initializer,fold,fold_name,seed,label_fraction,status\n";
  int done = 0;
  int skipped = 0;
  for (const SubRun& run : runs) {
    const std::string dir = absl::StrCat(context.stage_dir, "/subruns/", run.name);
    std::string status = "pending";
    if (auto reason = not_run.find(run.initializer.type()); reason != not_run.end()) {
      status = absl::StrCat("not run: ", reason->second);
      ++skipped;
    } else if (auto marker = ReadFile(dir + "/.done");
               marker.ok() && MarkerFingerprint(*marker) ==
                                  MarkerFingerprint(SubRunMarker(context, run))) {
      status = "done";
      ++done;
    }
    absl::StrAppend(&csv, run.name, ",", run.initializer.type(), ",", run.fold, ",",
                    CsvField(run.fold_name), ",", run.seed, ",", absl::StrFormat("%g", run.fraction),
                    ",", CsvField(status), "\n");
  }
  if (context.shard_index == 0 || context.shard_count == 1) {
    GENESIS_RETURN_IF_ERROR(WriteFileAtomically(context.stage_dir + "/subruns.csv", csv));
  }
  LOG(INFO) << "transfer: " << done << " of " << runs.size() << " sub-runs done, " << skipped
            << " not run (" << ran << " handled by this process)";
  if (context.shard_count == 1 && done + skipped != static_cast<int>(runs.size())) {
    return absl::InternalError(
        absl::StrCat(runs.size() - done - skipped, " sub-run(s) did not finish"));
  }
  return absl::OkStatus();
}

// Rank 0's side of a sub-run's start: false when it is complete already; otherwise its folder
// is ready for training (the same freshness rules as whole stages, core/runner.h).
absl::StatusOr<bool> TransferStageRunner::PrepareSubRunFolder(const RunContext& context,
                                                              const SubRun& run,
                                                              const std::string& dir,
                                                              const std::string& marker) const {
  const std::string fingerprint = MarkerFingerprint(marker);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat(dir, ": ", ec.message()));
  auto done = ReadFile(dir + "/.done");
  if (done.ok() && MarkerFingerprint(*done) == fingerprint) {
    LOG(INFO) << "transfer: " << run.name << " already complete; skipping";
    return false;
  }
  auto started = ReadFile(dir + "/.started");
  const bool has_outputs = fs::exists(dir + "/checkpoint_last.pt");
  if (done.ok()) {
    LOG(WARNING) << "transfer: " << run.name << ": rerunning, since it completed with other "
                 << "inputs (changed: " << DescribeChanges(*done, marker) << ")";
  }
  const bool stale_partial =
      !done.ok() && has_outputs && (!started.ok() || MarkerFingerprint(*started) != fingerprint);
  if (stale_partial && !context.force_resume) {
    return absl::FailedPreconditionError(absl::StrCat(
        dir, " holds partial work of a run with other inputs (changed: ",
        started.ok() ? DescribeChanges(*started, marker) : std::string("unknown"),
        "); it is not resumed. Delete that folder to start it afresh, or pass --force_resume"));
  }
  if ((done.ok() || stale_partial) && !context.force_resume) {
    for (const auto& entry : fs::directory_iterator(dir, ec)) fs::remove_all(entry.path(), ec);
  }
  fs::remove(dir + "/.done", ec);
  GENESIS_RETURN_IF_ERROR(WriteFileAtomically(dir + "/.started", marker));
  return true;
}

// The sub-run's network and head, the same on every rank (seeded by the sub-run); with
// `initialize`, the encoder is initialised by the sub-run's initializer, which writes its
// coverage report into `dir`.
absl::StatusOr<SubRunModel> TransferStageRunner::BuildModel(const RunContext& context,
                                                            const SubRun& run,
                                                            const std::string& dir,
                                                            bool initialize) const {
  SubRunModel model;
  GENESIS_ASSIGN_OR_RETURN(model.norm,
                           Registry<NormalizationLayer>::Get().Create(
                               WithDefaultType(options_.normalization(), "batch_norm")));
  GENESIS_ASSIGN_OR_RETURN(model.backbone,
                           Registry<Backbone>::Get().Create(
                               WithDefaultType(options_.backbone(), "unet_vgg16")));
  GENESIS_ASSIGN_OR_RETURN(model.head_plugin, Registry<Head>::Get().Create(WithDefaultType(
                                                  options_.head(), "gap_dense")));
  BackboneConfig config;
  config.in_channels = options_.in_channels();
  config.out_channels = 1;
  config.norm = model.norm.get();
  torch::manual_seed(run.seed);
  GENESIS_ASSIGN_OR_RETURN(model.net, model.backbone->Build(config));
  if (initialize) {
    GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<Initializer> initializer,
                             Registry<Initializer>::Get().Create(run.initializer));
    InitContext init;
    init.run_dir = context.run_dir;
    if (auto pretrain = context.EarlierStageDir("pretrain"); pretrain.ok()) {
      init.pretrain_dir = *pretrain;
    }
    init.seed = run.seed;
    init.report_path = dir + "/weight_coverage.json";
    GENESIS_RETURN_IF_ERROR(Annotate(initializer->Initialize(*model.net, init),
                                     absl::StrCat("initializer ", run.initializer.type())));
  }
  torch::manual_seed(run.seed ^ 0x6865616455ull);  // The head's own draw.
  GENESIS_ASSIGN_OR_RETURN(model.head, model.head_plugin->Make(model.net->encoder_channels()));
  return model;
}

// Whether it trained (false: complete already, or its initializer does not run).
absl::StatusOr<bool> TransferStageRunner::RunSubRun(const RunContext& context, const Task& task,
                                                    const TaskFold& fold, const SubRun& run,
                                                    const std::string& marker,
                                                    const std::string& not_run_reason,
                                                    DataParallel* parallel) const {
  const bool main_rank = parallel == nullptr || parallel->rank() == 0;
  const std::string dir = absl::StrCat(context.stage_dir, "/subruns/", run.name);
  const auto& samples = task.samples();
  const std::vector<SampleRef> train =
      LabelFraction(samples, fold.train, run.fraction, run.seed, run.fold);
  // Rank 0 decides and prepares; the others follow its word.
  bool runs = false;
  SubRunModel model;
  if (main_rank && not_run_reason.empty()) {
    GENESIS_ASSIGN_OR_RETURN(runs, PrepareSubRunFolder(context, run, dir, marker));
  }
  if (runs) {
    std::set<std::string> groups;
    for (const SampleRef& ref : train) groups.insert(samples[ref.index].group);
    GENESIS_RETURN_IF_ERROR(WriteFileAtomically(
        dir + "/train_groups.txt", absl::StrCat(absl::StrJoin(groups, "\n"), "\n")));
    LOG(INFO) << absl::StrFormat(
        "transfer: %s -- fold \"%s\", %d training items (fraction %g), %d val, %d test",
        run.name, run.fold_name, train.size(), run.fraction, fold.val.size(), fold.test.size());
    GENESIS_ASSIGN_OR_RETURN(model, BuildModel(context, run, dir, /*initialize=*/true));
  }
  if (parallel != nullptr) {
    const std::string key = absl::StrCat("stage", context.stage_index, "/subrun/", run.name);
    if (main_rank) {
      GENESIS_RETURN_IF_ERROR(parallel->Publish(key, runs ? "run" : "skip"));
    } else {
      GENESIS_ASSIGN_OR_RETURN(const std::string decision, parallel->WaitFor(key));
      runs = decision == "run";
      // Rank 0's initialised weights reach this rank with the loop's first broadcast.
      if (runs) {
        GENESIS_ASSIGN_OR_RETURN(model, BuildModel(context, run, dir, /*initialize=*/false));
      }
    }
  }
  if (!runs) return false;

  ClassifierJob job;
  job.config = ForInitializer(options_, run.initializer.type());
  job.net = model.net;
  job.head = model.head;
  job.task = &task;
  job.train = train;
  job.val = fold.val;
  job.test = fold.test;
  job.output_dir = dir;
  job.seed = run.seed;
  job.device = context.device;
  job.num_threads = context.num_threads;
  GENESIS_ASSIGN_OR_RETURN(ClassifierResult result, RunFineTuning(job));
  if (!main_rank) return true;  // Rank 0 scores val and test and writes.
  GENESIS_RETURN_IF_ERROR(WriteSubRunResults(context, task, fold, run, train, dir, result, marker));
  return true;
}

// Predictions, subrun.json and .done of a finished sub-run (rank 0).
absl::Status TransferStageRunner::WriteSubRunResults(const RunContext& context,
                                                     const Task& task, const TaskFold& fold,
                                                     const SubRun& run,
                                                     const std::vector<SampleRef>& train,
                                                     const std::string& dir,
                                                     const ClassifierResult& result,
                                                     const std::string& marker) const {
  const auto& samples = task.samples();
  // Predictions: generic columns first, then the task's own.
  const std::vector<std::string> columns = task.PredictionColumns();
  auto write = [&](absl::string_view split, const std::vector<int64_t>& indices,
                   const std::vector<float>& scores) -> absl::Status {
    std::string csv = "id,group,label,score";
    for (const std::string& c : columns) absl::StrAppend(&csv, ",", CsvField(c));
    csv += "\n";
    for (size_t i = 0; i < indices.size(); ++i) {
      const TaskSample& s = samples[indices[i]];
      absl::StrAppend(&csv, CsvField(s.id), ",", CsvField(s.group), ",", s.label, ",",
                      absl::StrFormat("%.9g", scores[i]));
      for (const std::string& v : s.columns) absl::StrAppend(&csv, ",", CsvField(v));
      csv += "\n";
    }
    GENESIS_RETURN_IF_ERROR(
        WriteFileAtomically(absl::StrCat(dir, "/predictions_", split, ".csv"), csv));
    return task.WriteTaskPredictions(split, indices, scores, dir);
  };
  GENESIS_RETURN_IF_ERROR(write("val", fold.val, result.val_scores));
  GENESIS_RETURN_IF_ERROR(write("test", fold.test, result.test_scores));

  int64_t positives = 0;
  for (const SampleRef& ref : train) positives += samples[ref.index].label;
  std::string json = absl::StrCat(
      "{\n  \"subrun\": ", JsonQuote(run.name),
      ",\n  \"initializer\": ", JsonQuote(run.initializer.type()),
      ",\n  \"fold\": ", run.fold, ",\n  \"fold_name\": ", JsonQuote(run.fold_name),
      ",\n  \"seed\": ", run.seed, ",\n  \"label_fraction\": ", JsonNumber(run.fraction),
      ",\n  \"task\": ", JsonQuote(options_.task().type()),
      ",\n  \"dataset\": ", JsonQuote(task.dataset_name()),
      ",\n  \"backbone\": ", JsonQuote(WithDefaultType(options_.backbone(), "unet_vgg16").type()),
      ",\n  \"normalization\": ",
      JsonQuote(WithDefaultType(options_.normalization(), "batch_norm").type()),
      ",\n  \"n_train\": ", train.size(), ",\n  \"n_train_positive\": ", positives,
      ",\n  \"n_val\": ", fold.val.size(), ",\n  \"n_test\": ", fold.test.size(),
      ",\n  \"positive_weight\": ", JsonNumber(result.positive_weight),
      ",\n  \"epochs\": ", result.epochs_completed, ",\n  \"best_epoch\": ", result.best_epoch,
      ",\n  \"best_val_auc\": ", JsonNumber(result.best_val_auc),
      ",\n  \"early_stopped\": ", result.early_stopped ? "true" : "false",
      ",\n  \"images_per_s\": ", JsonNumber(result.last_epoch_images_per_s),
      ",\n  \"device\": ", JsonQuote(context.device),
      ",\n  \"libtorch_version\": ", JsonQuote(TORCH_VERSION), "\n}\n");
  GENESIS_RETURN_IF_ERROR(WriteFileAtomically(dir + "/subrun.json", json));
  GENESIS_RETURN_IF_ERROR(WriteFileAtomically(dir + "/.done", marker));
  LOG(INFO) << absl::StrFormat("transfer: %s done: best epoch %d, val AUC %.4f", run.name,
                               result.best_epoch, result.best_val_auc);
  return absl::OkStatus();
}

}  // namespace

GENESIS_REGISTER_STAGE(TransferStageRunner, "transfer", TransferStage,
                       "fine-tunes encoders on a downstream task (every initializer x fold x "
                       "seed x label fraction) and writes predictions");

}  // namespace genesis
