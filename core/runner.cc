#include "core/runner.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/config.h"
#include "core/distributed/config.h"
#include "core/distributed/data_parallel.h"
#include "core/file_util.h"
#include "core/fingerprint.h"
#include "core/run_folder.h"
#include "core/stage.h"
#include "core/status_macros.h"
#include "glog/logging.h"

namespace genesis {
namespace {

namespace fs = std::filesystem;

// Appends every log line to <run>/genesis.log while a run is active.
class RunLogSink : public google::LogSink {
 public:
  explicit RunLogSink(const std::string& path) : out_(path, std::ios::app) {}
  void send(google::LogSeverity severity, const char* full_filename,
            const char* base_filename, int line, const struct ::tm* tm_time,
            const char* message, size_t message_len) override {
    std::lock_guard<std::mutex> lock(mu_);
    out_ << google::GetLogSeverityName(severity)[0] << " "
         << absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::Now(), absl::LocalTimeZone()) << " "
         << base_filename << ":" << line << "] " << std::string(message, message_len) << "\n";
    out_.flush();
  }

 private:
  std::mutex mu_;
  std::ofstream out_;
};

// Removes everything inside `dir` (the folder itself stays).
absl::Status ClearFolder(const fs::path& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    fs::remove_all(entry.path(), ec);
    if (ec) {
      return absl::PermissionDeniedError(
          absl::StrCat(entry.path().string(), ": cannot remove stale output: ", ec.message()));
    }
  }
  return absl::OkStatus();
}

bool FolderHasOutputs(const fs::path& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name != ".started" && name != ".done") return true;
  }
  return false;
}

// The stage's fingerprint marker: options, seed and the fingerprints of what it reads.
absl::StatusOr<std::string> StageMarker(const Experiment& e, int index, const StageInputs& inputs,
                                        const std::vector<std::string>& earlier) {
  Fingerprint f;
  std::string bytes;
  e.stage(index).SerializeToString(&bytes);
  f.Add("options", bytes);
  f.Add("seed", absl::StrCat(e.seed()));
  for (int j : inputs.stages) {
    if (j < 0 || j >= index) {
      return absl::InternalError(absl::StrCat("stage ", index, " declares input stage ", j,
                                              ", which does not run before it"));
    }
    f.Add(absl::StrCat("stage ", j, " (", StageKindName(e.stage(j)), ")"), earlier[j]);
  }
  for (const std::string& path : inputs.paths) {
    absl::StatusOr<std::string> listing = PathFingerprint(path);
    // A missing input is part of the fingerprint too; the stage itself says what is missing.
    f.Add(absl::StrCat("path ", path), listing.ok() ? *listing : "(missing)");
  }
  return f.Serialize();
}

// Waits until rank 0 marked stage `index` complete with `fingerprint` (ranks > 0 only). Ends
// early when a rank published a failure or rank 0's store is gone (it exited).
absl::Status WaitForRankZero(const fs::path& marker, const std::string& fingerprint, int index,
                             const std::string& kind, DataParallel* parallel) {
  int wait_seconds = 24 * 3600;
  if (const char* text = std::getenv("GENESIS_RANK_WAIT_SECONDS"); text != nullptr) {
    wait_seconds = std::atoi(text);
  }
  const std::string what = absl::StrCat("stage ", index, " (", kind, ")");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_seconds);
  auto complete = [&] {
    auto done = ReadFile(marker.string());
    return done.ok() && MarkerFingerprint(*done) == fingerprint;
  };
  while (true) {
    if (complete()) return absl::OkStatus();
    if (parallel != nullptr) {
      absl::StatusOr<std::optional<std::string>> failure = parallel->PublishedFailure();
      if (!failure.ok() && !complete()) {
        return Annotate(failure.status(), absl::StrCat("waiting for rank 0 to finish ", what));
      }
      if (failure.ok() && failure->has_value()) {
        return absl::AbortedError(absl::StrCat("stopped waiting for rank 0 to finish ", what,
                                               ": another rank failed: ", **failure));
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "waited ", wait_seconds, " s for rank 0 to finish ", what, ": no matching ",
          marker.string(), " (GENESIS_RANK_WAIT_SECONDS sets the limit)"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

// Rank 0's preparation of stage `index`'s folder before it runs (rank 0 of a plain or
// data-parallel run, not shardable stages): a completed stage whose inputs changed is rerun in
// a clean folder; partial work of a killed run with other inputs is refused (for stages that
// resume it) unless --force_resume.
absl::Status PrepareStageFolder(const RunContext& context, const StageRunner& runner,
                                const std::string& label, const std::string& marker,
                                const absl::StatusOr<std::string>& previous) {
  const std::string fingerprint = MarkerFingerprint(marker);
  const fs::path done_marker = fs::path(context.stage_dir) / ".done";
  const fs::path started_marker = fs::path(context.stage_dir) / ".started";
  auto started = ReadFile(started_marker.string());
  if (previous.ok()) {
    LOG(WARNING) << label << ": rerunning, since it completed with other inputs (changed: "
                 << DescribeChanges(*previous, marker) << ")";
  }
  const bool stale_partial = !previous.ok() && FolderHasOutputs(context.stage_dir) &&
                             (!started.ok() || MarkerFingerprint(*started) != fingerprint);
  if (stale_partial && runner.Resumes() && !context.force_resume) {
    return absl::FailedPreconditionError(absl::StrCat(
        label, ": ", context.stage_dir,
        " holds partial work of a run with other inputs (changed: ",
        started.ok() ? DescribeChanges(*started, marker) : std::string("unknown"),
        "); it is not resumed. Delete that folder to start the stage afresh, or pass "
        "--force_resume to continue it anyway"));
  }
  if (context.force_resume && (previous.ok() || stale_partial)) {
    LOG(WARNING) << label << ": --force_resume: continuing the work in " << context.stage_dir
                 << " although it was made with other inputs";
  } else if (previous.ok() || stale_partial) {
    GENESIS_RETURN_IF_ERROR(ClearFolder(context.stage_dir));
  }
  std::error_code ec;
  fs::remove(done_marker, ec);  // Whatever it said no longer holds.
  return WriteFileAtomically(started_marker.string(), marker);
}

// Runs every stage in order (the body of RunExperiment, once the folder is locked and the
// ranks are connected).
absl::StatusOr<RunSummary> RunStages(const Experiment& resolved, const RunOptions& options,
                                     const fs::path& run_dir, int threads, int rank,
                                     DataParallel* parallel) {
  RunSummary summary;
  const bool owner = rank == 0;
  const PluginKindView* stages = PluginCatalog::Get().Find(StageRunner::kKind);
  if (stages == nullptr) return absl::FailedPreconditionError("no stage runners linked");
  const bool sharded = options.shard_count > 1;
  std::ofstream stage_log;
  if (owner) stage_log.open(run_dir / "stages.csv", std::ios::app);
  std::vector<std::string> fingerprints;  // Overall fingerprint of each stage so far.
  bool shardable_seen = false;
  std::error_code ec;
  for (int i = 0; i < resolved.stage_size(); ++i) {
    const std::string kind = StageKindName(resolved.stage(i));
    RunContext context;
    context.experiment = &resolved;
    context.run_dir = run_dir.string();
    context.stage_index = i;
    context.stage_dir = (run_dir / StageDirName(i, kind)).string();
    context.seed = resolved.seed();
    context.device = resolved.device();
    context.num_threads = threads;
    context.summary = &summary;
    context.shard_index = options.shard_index;
    context.shard_count = options.shard_count;
    context.force_resume = options.force_resume;
    fs::create_directories(context.stage_dir, ec);

    const auto& stage = resolved.stage(i);
    const auto* field = stage.GetReflection()->GetOneofFieldDescriptor(
        stage, Stage::descriptor()->FindOneofByName("kind"));
    PluginSpec spec;
    spec.set_type(kind);
    spec.mutable_options()->PackFrom(stage.GetReflection()->GetMessage(stage, field));
    GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<StageRunner> runner,
                             Registry<StageRunner>::Get().Create(spec));
    const std::string label = absl::StrCat("stage ", i, " (", kind, ")");
    absl::StatusOr<StageInputs> inputs = runner->Inputs(context);
    if (!inputs.ok()) return Annotate(inputs.status(), label);
    GENESIS_ASSIGN_OR_RETURN(const std::string marker,
                             StageMarker(resolved, i, *inputs, fingerprints));
    const std::string fingerprint = MarkerFingerprint(marker);
    fingerprints.push_back(fingerprint);
    context.fingerprint = marker;

    // A stage every rank runs starts on rank 0's word, given once its folder is ready: the
    // other ranks never judge markers that rank 0 may be rewriting at that very moment.
    const bool every_rank = parallel != nullptr && runner->RunsOnEveryRank();
    const std::string decision_key = absl::StrCat("stage", i, "/decision");
    auto announce = [&](const char* decision) {
      return owner && every_rank ? parallel->Publish(decision_key, decision) : absl::OkStatus();
    };
    if (every_rank && !owner) {
      LOG(INFO) << "waiting for rank 0 to start " << label;
      absl::StatusOr<std::string> decision = parallel->WaitFor(decision_key);
      if (!decision.ok()) return Annotate(decision.status(), label);
      if (runner->Shardable()) shardable_seen = true;
      if (*decision != "run") continue;
      LOG(INFO) << label << " (rank " << rank << ") -> " << context.stage_dir;
      GENESIS_RETURN_IF_ERROR(Annotate(runner->Run(context), label));
      continue;
    }

    const fs::path done_marker = fs::path(context.stage_dir) / ".done";
    auto previous = ReadFile(done_marker.string());
    if (previous.ok() && MarkerFingerprint(*previous) == fingerprint) {
      LOG(INFO) << label << " already complete with the same inputs; skipping";
      GENESIS_RETURN_IF_ERROR(announce("skip"));
      continue;
    }
    if (sharded && shardable_seen) {
      LOG(INFO) << "shard " << options.shard_index << "/" << options.shard_count << ": "
                << label << " is left to a plain `genesis run` once every shard is done";
      GENESIS_RETURN_IF_ERROR(announce("skip"));
      continue;
    }
    // Ranks > 0 of a data-parallel run, and shards > 0 before the first shardable stage, wait
    // for rank / shard 0 to complete stages that only one process runs.
    const bool waits_for_owner =
        (!owner && !runner->RunsOnEveryRank()) ||
        (sharded && options.shard_index > 0 && !runner->Shardable());
    if (waits_for_owner) {
      LOG(INFO) << "waiting for rank/shard 0 to finish " << label;
      GENESIS_RETURN_IF_ERROR(WaitForRankZero(done_marker, fingerprint, i, kind, parallel));
      GENESIS_RETURN_IF_ERROR(announce("skip"));
      continue;
    }
    if (owner && !runner->Shardable()) {
      GENESIS_RETURN_IF_ERROR(PrepareStageFolder(context, *runner, label, marker, previous));
    }
    if (runner->Shardable()) shardable_seen = true;
    // Temp files of writes a kill -9 interrupted (this host's dead processes only: a live
    // shard's writes in progress are kept).
    for (const std::string& stale : RemoveStaleTempFiles(context.stage_dir)) {
      LOG(INFO) << label << ": removed " << stale << ", left by an interrupted write";
    }
    GENESIS_RETURN_IF_ERROR(announce("run"));
    LOG(INFO) << label << " -> " << context.stage_dir;
    const auto start = std::chrono::steady_clock::now();
    absl::Status status = runner->Run(context);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (owner) {
      stage_log << i << "," << kind << "," << (status.ok() ? "ok" : "failed") << ","
                << absl::StrFormat("%.3f", seconds) << "\n";
      stage_log.flush();
    }
    if (!status.ok()) return Annotate(status, label);
    if (sharded && runner->Shardable()) {
      LOG(INFO) << label << ": shard " << options.shard_index << "/" << options.shard_count
                << " done in " << absl::StrFormat("%.1f", seconds) << " s";
      continue;
    }
    if (owner) GENESIS_RETURN_IF_ERROR(WriteFileAtomically(done_marker.string(), marker));
    LOG(INFO) << label << " done in " << absl::StrFormat("%.1f", seconds) << " s";
  }
  if (summary.skipped > 0) {
    LOG(WARNING) << "run completed with " << summary.skipped << " skipped input(s); see "
                 << absl::StrJoin(summary.skip_reports, ", ");
  }
  return summary;
}

}  // namespace

int DefaultNumThreads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

absl::StatusOr<RunSummary> RunExperiment(const Experiment& resolved, const RunOptions& options) {
  GENESIS_ASSIGN_OR_RETURN(const DistributedConfig distributed, DistributedConfigFromEnv());
  if (options.shard_count < 1 || options.shard_index < 0 ||
      options.shard_index >= options.shard_count) {
    return absl::InvalidArgumentError(absl::StrCat("--shard: want I/N with 0 <= I < N, got ",
                                                   options.shard_index, "/",
                                                   options.shard_count));
  }
  // In a data-parallel run rank 0 owns the run folder; the others log to their own file, run
  // only the stages that need every rank, and wait for rank 0 on the rest.
  const bool owner = distributed.rank == 0;
  std::error_code ec;
  const fs::path run_dir = fs::absolute(resolved.output_dir());
  fs::create_directories(run_dir, ec);
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat(run_dir.string(), ": cannot create output folder: ", ec.message()));
  }
  // Before anything is written: a folder another `genesis run` is using stays untouched.
  GENESIS_ASSIGN_OR_RETURN(
      FileLock lock,
      LockRunFolder(run_dir.string(), distributed, options.shard_index, options.shard_count));
  std::string log_name = "genesis.log";
  if (!owner) log_name = absl::StrCat("genesis.rank", distributed.rank, ".log");
  if (options.shard_count > 1 && options.shard_index > 0) {
    log_name = absl::StrCat("genesis.shard", options.shard_index, ".log");
  }
  RunLogSink sink((run_dir / log_name).string());
  google::AddLogSink(&sink);
  struct Detach {
    RunLogSink* sink;
    ~Detach() { google::RemoveLogSink(sink); }
  } detach{&sink};

  if (owner) {
    GENESIS_RETURN_IF_ERROR(WriteFileAtomically(
        (run_dir / "experiment.resolved.textproto").string(), ExperimentToText(resolved)));
  }
  const int threads = resolved.num_threads() > 0 ? resolved.num_threads() : DefaultNumThreads();
  LOG(INFO) << "run '" << resolved.name() << "' in " << run_dir.string() << " (" << threads
            << " threads, device " << resolved.device() << ", seed " << resolved.seed() << ")";

  // One connection for the whole run, shared by the stages and the training loop.
  std::unique_ptr<DataParallel> parallel;
  if (distributed.world_size > 1) {
    LOG(INFO) << "data parallel: rank " << distributed.rank << " of " << distributed.world_size
              << ", connecting to " << distributed.master_addr << ":" << distributed.master_port;
    GENESIS_ASSIGN_OR_RETURN(parallel, DataParallel::Connect(distributed));
    parallel->MakeCurrent();
    GENESIS_RETURN_IF_ERROR(CheckSharedRunFolder(*parallel, run_dir.string()));
  }
  absl::StatusOr<RunSummary> summary =
      RunStages(resolved, options, run_dir, threads, distributed.rank, parallel.get());
  if (parallel != nullptr) {
    if (!summary.ok()) {
      // Ends the other ranks' waits for this one at once, with this message.
      parallel->PublishFailure(std::string(summary.status().message())).IgnoreError();
    } else {
      // Rank 0's store must outlive the other ranks' last look at it.
      GENESIS_RETURN_IF_ERROR(parallel->Barrier());
    }
  }
  return summary;
}

}  // namespace genesis
