// What keeps a run folder consistent while processes use it (called by RunExperiment,
// core/runner.cc):
//
//   GENESIS_ASSIGN_OR_RETURN(FileLock lock, LockRunFolder(run_dir, distributed, shard, shards));
//   ...connect the ranks (core/distributed/data_parallel.h)...
//   GENESIS_RETURN_IF_ERROR(CheckSharedRunFolder(*parallel, run_dir));
//
// The lock: every `genesis run` holds an flock on a lock file of its identity in the run
// folder for as long as it runs, with its pid, host and start time written in it. A second
// process of the same identity on the same folder fails at once, naming the holder. The
// identity is (rank, shard), since the ranks of one data-parallel run and the `--shard I/N`
// processes share a folder by design:
//   rank 0, shard 0 (a plain run)   .lock
//   rank r > 0                      .lock.rank<r>
//   shard k > 0                     .lock.shard<k>      (.lock.shard<k>.rank<r> for both)
// The kernel drops an flock when its process dies, so the file a killed run leaves behind
// blocks nobody.
//
// The shared-folder check: the ranks of a data-parallel run must all work in one folder
// (rank 0 writes, the others read its markers, checkpoints and caches). Rank 0 writes a random
// nonce to <run>/.rank0_nonce and broadcasts it; every other rank must find it in its own
// run folder. Any rank that does not fails the check on every rank, within seconds.
#ifndef GENESIS_CORE_RUN_FOLDER_H_
#define GENESIS_CORE_RUN_FOLDER_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/distributed/config.h"
#include "core/distributed/data_parallel.h"
#include "core/file_util.h"

namespace genesis {

// ".lock", ".lock.rank1", ".lock.shard2", ".lock.shard2.rank1" (see above).
std::string RunLockName(int rank, int shard_index);

// Locks `run_dir` (which exists) for this process's identity. FailedPrecondition naming the
// holder (pid, host, start time) when another process holds it.
absl::StatusOr<FileLock> LockRunFolder(const std::string& run_dir,
                                       const DistributedConfig& distributed, int shard_index,
                                       int shard_count);

// A collective (every rank calls it once, right after connecting): fails on every rank when any
// rank's `run_dir` is not rank 0's folder, naming the folders and saying that all ranks need
// the same output_dir on a shared filesystem.
absl::Status CheckSharedRunFolder(DataParallel& parallel, const std::string& run_dir);

}  // namespace genesis

#endif  // GENESIS_CORE_RUN_FOLDER_H_
