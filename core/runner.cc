#include "core/runner.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <cstdlib>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/config.h"
#include "core/distributed/config.h"
#include "core/file_util.h"
#include "core/fingerprint.h"
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

}  // namespace

int DefaultNumThreads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

// Waits until rank 0 marked stage `index` complete with `fingerprint` (ranks > 0 only).
absl::Status WaitForRankZero(const fs::path& marker, const std::string& fingerprint, int index,
                             const std::string& kind) {
  int wait_seconds = 24 * 3600;
  if (const char* text = std::getenv("GENESIS_RANK_WAIT_SECONDS"); text != nullptr) {
    wait_seconds = std::atoi(text);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_seconds);
  while (true) {
    auto done = ReadFile(marker.string());
    if (done.ok() && MarkerFingerprint(*done) == fingerprint) return absl::OkStatus();
    if (std::chrono::steady_clock::now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "waited ", wait_seconds, " s for rank 0 to finish stage ", index, " (", kind,
          "): no matching ", marker.string(), " (GENESIS_RANK_WAIT_SECONDS sets the limit)"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

absl::StatusOr<RunSummary> RunExperiment(const Experiment& resolved, const RunOptions& options) {
  RunSummary summary;
  GENESIS_ASSIGN_OR_RETURN(const DistributedConfig distributed, DistributedConfigFromEnv());
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

  const PluginKindView* stages = PluginCatalog::Get().Find(StageRunner::kKind);
  if (stages == nullptr) return absl::FailedPreconditionError("no stage runners linked");
  if (options.shard_count < 1 || options.shard_index < 0 ||
      options.shard_index >= options.shard_count) {
    return absl::InvalidArgumentError(absl::StrCat("--shard: want I/N with 0 <= I < N, got ",
                                                   options.shard_index, "/",
                                                   options.shard_count));
  }
  const bool sharded = options.shard_count > 1;
  std::ofstream stage_log;
  if (owner) stage_log.open(run_dir / "stages.csv", std::ios::app);
  std::vector<std::string> fingerprints;  // Overall fingerprint of each stage so far.
  bool shardable_seen = false;
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

    const fs::path done_marker = fs::path(context.stage_dir) / ".done";
    const fs::path started_marker = fs::path(context.stage_dir) / ".started";
    auto previous = ReadFile(done_marker.string());
    if (previous.ok() && MarkerFingerprint(*previous) == fingerprint) {
      LOG(INFO) << label << " already complete with the same inputs; skipping";
      continue;
    }
    if (sharded && shardable_seen) {
      LOG(INFO) << "shard " << options.shard_index << "/" << options.shard_count << ": "
                << label << " is left to a plain `genesis run` once every shard is done";
      continue;
    }
    // Ranks > 0 of a data-parallel run, and shards > 0 before the first shardable stage, wait
    // for rank / shard 0 to complete stages that only one process runs.
    const bool waits_for_owner =
        (!owner && !runner->RunsOnEveryRank()) ||
        (sharded && options.shard_index > 0 && !runner->Shardable());
    if (waits_for_owner) {
      LOG(INFO) << "waiting for rank/shard 0 to finish " << label;
      GENESIS_RETURN_IF_ERROR(WaitForRankZero(done_marker, fingerprint, i, kind));
      continue;
    }
    // Never build on results made from other inputs: a completed stage whose inputs changed is
    // rerun in a clean folder; partial work of a killed run with other inputs is refused (for
    // stages that resume it) unless --force_resume.
    if (owner && !runner->Shardable()) {
      auto started = ReadFile(started_marker.string());
      if (previous.ok()) {
        LOG(WARNING) << label << ": rerunning, since it completed with other inputs (changed: "
                     << DescribeChanges(*previous, marker) << ")";
      }
      const bool stale_partial =
          !previous.ok() && FolderHasOutputs(context.stage_dir) &&
          (!started.ok() || MarkerFingerprint(*started) != fingerprint);
      if (stale_partial && runner->Resumes() && !options.force_resume) {
        return absl::FailedPreconditionError(absl::StrCat(
            label, ": ", context.stage_dir,
            " holds partial work of a run with other inputs (changed: ",
            started.ok() ? DescribeChanges(*started, marker) : std::string("unknown"),
            "); it is not resumed. Delete that folder to start the stage afresh, or pass "
            "--force_resume to continue it anyway"));
      }
      if (options.force_resume && (previous.ok() || stale_partial)) {
        LOG(WARNING) << label << ": --force_resume: continuing the work in " << context.stage_dir
                     << " although it was made with other inputs";
      } else if (previous.ok() || stale_partial) {
        GENESIS_RETURN_IF_ERROR(ClearFolder(context.stage_dir));
      }
      fs::remove(done_marker, ec);  // Whatever it said no longer holds.
      GENESIS_RETURN_IF_ERROR(WriteFileAtomically(started_marker.string(), marker));
    }
    if (runner->Shardable()) shardable_seen = true;
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

}  // namespace genesis
