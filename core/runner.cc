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

// A stage's fingerprint: its config plus everything global that changes its outputs.
std::string StageFingerprint(const Experiment& e, int index) {
  std::string bytes;
  e.stage(index).SerializeToString(&bytes);
  return absl::StrCat(std::hash<std::string>{}(bytes), "-", e.seed());
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
    if (done.ok() && *done == fingerprint) return absl::OkStatus();
    if (std::chrono::steady_clock::now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "waited ", wait_seconds, " s for rank 0 to finish stage ", index, " (", kind,
          "): no matching ", marker.string(), " (GENESIS_RANK_WAIT_SECONDS sets the limit)"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

absl::StatusOr<RunSummary> RunExperiment(const Experiment& resolved) {
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
  RunLogSink sink((run_dir / (owner ? std::string("genesis.log")
                                      : absl::StrCat("genesis.rank", distributed.rank, ".log")))
                       .string());
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
  std::ofstream stage_log;
  if (owner) stage_log.open(run_dir / "stages.csv", std::ios::app);
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
    fs::create_directories(context.stage_dir, ec);

    const fs::path done_marker = fs::path(context.stage_dir) / ".done";
    const std::string fingerprint = StageFingerprint(resolved, i);
    auto previous = ReadFile(done_marker.string());
    if (previous.ok() && *previous == fingerprint) {
      LOG(INFO) << "stage " << i << " (" << kind << ") already complete; skipping";
      continue;
    }
    const auto& stage = resolved.stage(i);
    const auto* field = stage.GetReflection()->GetOneofFieldDescriptor(
        stage, Stage::descriptor()->FindOneofByName("kind"));
    PluginSpec spec;
    spec.set_type(kind);
    spec.mutable_options()->PackFrom(stage.GetReflection()->GetMessage(stage, field));
    GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<StageRunner> runner,
                             Registry<StageRunner>::Get().Create(spec));
    if (!owner && !runner->RunsOnEveryRank()) {
      LOG(INFO) << "rank " << distributed.rank << ": waiting for rank 0 to finish stage " << i
                << " (" << kind << ")";
      GENESIS_RETURN_IF_ERROR(WaitForRankZero(done_marker, fingerprint, i, kind));
      continue;
    }
    LOG(INFO) << "stage " << i << " (" << kind << ") -> " << context.stage_dir;
    const auto start = std::chrono::steady_clock::now();
    absl::Status status = runner->Run(context);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (owner) {
      stage_log << i << "," << kind << "," << (status.ok() ? "ok" : "failed") << ","
                << absl::StrFormat("%.3f", seconds) << "\n";
      stage_log.flush();
    }
    if (!status.ok()) {
      return Annotate(status, absl::StrCat("stage ", i, " (", kind, ")"));
    }
    if (owner) GENESIS_RETURN_IF_ERROR(WriteFileAtomically(done_marker.string(), fingerprint));
    LOG(INFO) << "stage " << i << " (" << kind << ") done in "
              << absl::StrFormat("%.1f", seconds) << " s";
  }
  if (summary.skipped > 0) {
    LOG(WARNING) << "run completed with " << summary.skipped << " skipped input(s); see "
                 << absl::StrJoin(summary.skip_reports, ", ");
  }
  return summary;
}

}  // namespace genesis
