// Test helpers for data-parallel tests: run ranks as child processes of the test binary itself
// (each child runs one "worker" test case, picked by --gtest_filter), over loopback.
//
//   RankOptions options;
//   options.rank = 1; options.world_size = 2; options.port = FreeLoopbackPort();
//   options.gtest_filter = "MyWorker.Run";
//   options.env = {"MY_WORKER_DIR=" + dir};     // how the worker finds its job
//   options.forbid_file_writes = true;          // rank 1 must write nothing
//   RankProcess child = SpawnRank(options);
//   int code = WaitRank(child);                 // exit code; child.output holds its stderr
#ifndef GENESIS_CORE_DISTRIBUTED_RANK_TEST_UTIL_H_
#define GENESIS_CORE_DISTRIBUTED_RANK_TEST_UTIL_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace genesis {

// A TCP port on 127.0.0.1 that was free a moment ago (MASTER_PORT of a test).
int FreeLoopbackPort();

struct RankOptions {
  int rank = 0;
  int world_size = 2;
  int port = 0;
  std::string gtest_filter;      // The worker test the child runs.
  std::vector<std::string> env;  // Extra NAME=value entries.
  // RLIMIT_FSIZE = 0 in the child (SIGXFSZ ignored): every write of data to a regular file
  // fails with EFBIG, so a child that completes wrote nothing (it may still create empty files
  // and folders). Its stderr then goes through a pipe into RankProcess::output.
  bool forbid_file_writes = false;
};

struct RankProcess {
  pid_t pid = -1;
  std::string output;  // The child's stderr (forbid_file_writes only), set by WaitRank.
  std::shared_ptr<std::string> buffer;  // Filled by `drain` while the child runs.
  std::unique_ptr<std::thread> drain;
};

// Starts the child; pid -1 when that failed.
RankProcess SpawnRank(const RankOptions& options);
// Waits for the child: its exit code, or 128 + the signal that ended it.
int WaitRank(RankProcess& process);

}  // namespace genesis

#endif  // GENESIS_CORE_DISTRIBUTED_RANK_TEST_UTIL_H_
