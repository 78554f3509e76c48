// Keeps the ranks of a data-parallel run in one run folder (called by RunExperiment,
// core/runner.cc):
//
//   ...connect the ranks (core/distributed/data_parallel.h)...
//   GENESIS_RETURN_IF_ERROR(CheckSharedRunFolder(*parallel, run_dir));
//
// The ranks of a data-parallel run must all work in one folder (rank 0 writes, the others
// read its markers, checkpoints and caches). Rank 0 writes a random nonce to
// <run>/.rank0_nonce and broadcasts it; every other rank must find it in its own run folder.
// Any rank that does not fails the check on every rank, within seconds.
#ifndef GENESIS_CORE_RUN_FOLDER_H_
#define GENESIS_CORE_RUN_FOLDER_H_

#include <string>

#include "absl/status/status.h"
#include "core/distributed/data_parallel.h"

namespace genesis {

// A collective (every rank calls it once, right after connecting): fails on every rank when any
// rank's `run_dir` is not rank 0's folder, naming the folders and saying that all ranks need
// the same output_dir on a shared filesystem.
absl::Status CheckSharedRunFolder(DataParallel& parallel, const std::string& run_dir);

}  // namespace genesis

#endif  // GENESIS_CORE_RUN_FOLDER_H_
