#include "core/run_folder.h"

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/file_util.h"
#include "core/status_macros.h"
#include "glog/logging.h"

namespace genesis {
namespace {

constexpr char kNonceFile[] = ".rank0_nonce";
// How long a rank keeps looking for rank 0's nonce before it concludes the folders differ: a
// network filesystem may show a file another node just wrote a moment late.
constexpr auto kNonceVisibility = std::chrono::seconds(10);
constexpr char kDistributedAdvice[] =
    "All ranks must be given the same output_dir on a shared filesystem (one folder that every "
    "node sees; rank 0 writes it, the other ranks read its markers and checkpoints)";

std::string HostName() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) return "unknown-host";
  return host;
}

// "pid 1234 on host node7, started 2026-01-02 03:04:05 +0000, rank 0 of 2, shard 0 of 1"
// from the lock file's "key: value" lines.
std::string DescribeHolder(const std::string& text) {
  std::string pid, host, started, role;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(line, absl::MaxSplits(": ", 1));
    if (kv.first == "pid") pid = std::string(kv.second);
    if (kv.first == "host") host = std::string(kv.second);
    if (kv.first == "started") started = std::string(kv.second);
    if (kv.first == "role") role = std::string(kv.second);
  }
  if (pid.empty()) return "holder unknown: its lock file is empty";
  return absl::StrCat("pid ", pid, " on host ", host, ", started ", started, ", ", role);
}

std::string RandomNonce() {
  std::random_device device;
  std::string nonce;
  for (int i = 0; i < 4; ++i) absl::StrAppend(&nonce, absl::Hex(device(), absl::kZeroPad8));
  return nonce;
}

// This rank's own verdict: OK, or why its folder is not rank 0's.
absl::Status CompareWithRankZero(const std::string& run_dir, const std::string& nonce,
                                 const std::string& rank0_host, const std::string& rank0_dir,
                                 int rank) {
  const std::string path = absl::StrCat(run_dir, "/", kNonceFile);
  const auto deadline = std::chrono::steady_clock::now() + kNonceVisibility;
  absl::StatusOr<std::string> found;
  while (true) {
    found = ReadFile(path);
    if (found.ok() && absl::StripTrailingAsciiWhitespace(*found) == nonce) {
      return absl::OkStatus();
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "rank ", rank, " (host ", HostName(), ") works in ", run_dir,
      ", which is not rank 0's run "
      "folder ",
      rank0_dir, " (host ", rank0_host, "): ", path,
      found.ok() ? " holds another run's nonce" : " does not exist", ". ", kDistributedAdvice));
}

}  // namespace

std::string RunLockName(int rank, int shard_index) {
  std::string name = ".lock";
  if (shard_index > 0) absl::StrAppend(&name, ".shard", shard_index);
  if (rank > 0) absl::StrAppend(&name, ".rank", rank);
  return name;
}

absl::StatusOr<FileLock> LockRunFolder(const std::string& run_dir,
                                       const DistributedConfig& distributed, int shard_index,
                                       int shard_count) {
  const std::string path = absl::StrCat(run_dir, "/", RunLockName(distributed.rank, shard_index));
  absl::StatusOr<FileLock> lock = FileLock::TryAcquire(path);
  if (lock.ok()) {
    const std::string holder = absl::StrCat(
        "pid: ", getpid(), "\nhost: ", HostName(),
        "\nstarted: ", absl::FormatTime("%Y-%m-%d %H:%M:%S %z", absl::Now(), absl::LocalTimeZone()),
        "\nrole: rank ", distributed.rank, " of ", distributed.world_size, ", shard ", shard_index,
        " of ", shard_count, "\n");
    // The lock works without it; the holder's details only make a refusal more helpful.
    if (absl::Status wrote = lock->Write(holder); !wrote.ok()) {
      LOG(WARNING) << "cannot record this run as the holder of " << path << ": " << wrote;
    }
    return lock;
  }
  if (lock.status().code() != absl::StatusCode::kUnavailable) return lock.status();
  // The holder writes its details right after locking: give it a moment.
  std::string holder;
  for (int attempt = 0; attempt < 10 && holder.empty(); ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    holder = ReadFile(path).value_or("");
  }
  return absl::FailedPreconditionError(absl::StrCat(
      run_dir, " is in use by another `genesis run` (", DescribeHolder(holder), "; lock ", path,
      "). Two runs on one folder would overwrite each other's outputs: wait for it to end, stop "
      "it, or give this run another output_dir"));
}

absl::Status CheckSharedRunFolder(DataParallel& parallel, const std::string& run_dir) {
  const int rank = parallel.rank();
  // Rank 0: a fresh nonce in its folder; everyone learns it, rank 0's host and folder.
  absl::Status mine = absl::OkStatus();
  std::string announcement;
  if (rank == 0) {
    const std::string nonce = RandomNonce();
    mine = WriteFileAtomically(absl::StrCat(run_dir, "/", kNonceFile), nonce + "\n");
    announcement = absl::StrCat(mine.ok() ? nonce : "", "\n", HostName(), "\n", run_dir);
  }
  GENESIS_RETURN_IF_ERROR(parallel.BroadcastString(announcement));
  const std::vector<std::string> parts = absl::StrSplit(announcement, absl::MaxSplits('\n', 2));
  if (parts.size() != 3) return absl::InternalError("run folder check: garbled broadcast");
  const std::string& nonce = parts[0];
  if (rank != 0 && !nonce.empty()) {
    mine = CompareWithRankZero(run_dir, nonce, parts[1], parts[2], rank);
  }
  // Every rank's verdict, so that a rank in the wrong folder stops all of them.
  if (!mine.ok())
    GENESIS_RETURN_IF_ERROR(
        parallel.Publish(absl::StrCat("run_folder/", rank), std::string(mine.message())));
  GENESIS_ASSIGN_OR_RETURN(std::vector<int64_t> failed, parallel.AllGather(mine.ok() ? 0 : 1));
  if (!mine.ok()) return Annotate(mine, "run folder check");
  std::vector<std::string> reasons;
  for (int r = 0; r < static_cast<int>(failed.size()); ++r) {
    if (failed[r] == 0) continue;
    absl::StatusOr<std::optional<std::string>> reason =
        parallel.Lookup(absl::StrCat("run_folder/", r));
    reasons.push_back(reason.ok() && reason->has_value() ? **reason
                                                         : absl::StrCat("rank ", r, " failed"));
  }
  if (reasons.empty()) {
    if (rank == 0) LOG(INFO) << "all " << parallel.world_size() << " ranks share " << run_dir;
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      absl::StrCat("run folder check failed on another rank: ", absl::StrJoin(reasons, "; ")));
}

}  // namespace genesis
