// Data-parallel training on LibTorch's c10d: Gloo on CPU (NCCL needs a CUDA LibTorch built
// with it). Configured the torchrun way, from RANK / WORLD_SIZE / MASTER_ADDR / MASTER_PORT:
//
//   GENESIS_ASSIGN_OR_RETURN(DistributedConfig config, DistributedConfigFromEnv());
//   GENESIS_ASSIGN_OR_RETURN(auto parallel, DataParallel::Connect(config));
//   GENESIS_RETURN_IF_ERROR(parallel->BroadcastParameters(model));   // once, from rank 0
//   for (...) {                                                      // each step
//     loss.backward();
//     GENESIS_RETURN_IF_ERROR(parallel->AverageGradients(model));    // before optimizer.step()
//     optimizer.step();
//   }
//
// Each rank feeds its own shard of every global batch; averaging gradients over equal shards
// equals one process training on the combined batch (up to float rounding, and except for
// batch-statistics norms, whose statistics stay per rank).
//
// One connection per process: rank 0's TCPStore listens on MASTER_PORT, so a second Connect in
// the same process cannot bind it (and a second Gloo group on the same store would read the
// first one's rendezvous keys). `genesis run` connects once (core/runner.cc) and makes that
// connection Current(); the training loop and the stages use it. Code called outside a run
// (tests, benches) gets one of its own from CurrentOrConnect.
//
// Besides collectives (which every rank calls, in the same order, and which fail after
// timeout_seconds), ranks exchange small values through the store: rank 0 Publish()es a key,
// the others WaitFor() it without a deadline -- for the waits that outlast a collective's
// timeout, while rank 0 alone prepares a cache or scores a test set. A failing rank
// PublishFailure()s, which ends every WaitFor of the other ranks with its message.
#ifndef GENESIS_CORE_DISTRIBUTED_DATA_PARALLEL_H_
#define GENESIS_CORE_DISTRIBUTED_DATA_PARALLEL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/distributed/config.h"

namespace torch {
namespace nn {
class Module;
}  // namespace nn
}  // namespace torch

namespace at {
class Tensor;
}  // namespace at

namespace genesis {

class DataParallel {
 public:
  // Rendezvous through a TCPStore on master_addr:master_port (rank 0 hosts it) and a Gloo
  // process group. Blocks until all world_size ranks joined or the timeout passed.
  static absl::StatusOr<std::unique_ptr<DataParallel>> Connect(const DistributedConfig& config);
  // The process's current connection (see MakeCurrent), or null.
  static DataParallel* Current();
  // Current() when there is one; otherwise Connect()s, makes the new connection current and
  // hands it to `*owner` (which keeps it alive; current until destroyed).
  static absl::StatusOr<DataParallel*> CurrentOrConnect(const DistributedConfig& config,
                                                        std::unique_ptr<DataParallel>* owner);
  ~DataParallel();

  // Makes this connection the process's Current() until it is destroyed.
  void MakeCurrent();

  int rank() const { return config_.rank; }
  int world_size() const { return config_.world_size; }

  // Copies rank 0's parameters and buffers to every rank.
  absl::Status BroadcastParameters(torch::nn::Module& module);
  // Replaces every parameter's gradient by its mean over ranks (one flattened all-reduce).
  absl::Status AverageGradients(torch::nn::Module& module);
  // In-place mean over ranks of a tensor (e.g. a loss, for logging).
  absl::Status AverageTensor(at::Tensor& tensor);
  absl::Status Barrier();
  // Replaces `values` on every rank by rank 0's (same size on every rank).
  absl::Status BroadcastValues(std::vector<double>& values);
  // Replaces `text` on every rank by rank 0's (any size).
  absl::Status BroadcastString(std::string& text);
  // Every rank's `value`, indexed by rank.
  absl::StatusOr<std::vector<int64_t>> AllGather(int64_t value);

  // Store exchange (not collectives; keys live as long as rank 0's store, i.e. the run).
  absl::Status Publish(const std::string& key, const std::string& value);
  // The value of `key`, or nullopt when nobody published it yet. Unavailable when the store
  // cannot be reached (rank 0 exited or died).
  absl::StatusOr<std::optional<std::string>> Lookup(const std::string& key);
  // Waits until `key` is published and returns its value. No deadline: it ends early with
  // Aborted when a rank published a failure, and Unavailable when the store is gone.
  absl::StatusOr<std::string> WaitFor(const std::string& key);
  // Tells the other ranks that this one failed: their WaitFor calls return it. On rank 0 it
  // waits up to 3 s for the waiting ranks to read it (its store ends with the process).
  absl::Status PublishFailure(const std::string& message);
  // The failure a rank published ("rank N: message"), or nullopt.
  absl::StatusOr<std::optional<std::string>> PublishedFailure();

 private:
  struct Impl;
  DataParallel(const DistributedConfig& config, std::unique_ptr<Impl> impl);
  DistributedConfig config_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace genesis

#endif  // GENESIS_CORE_DISTRIBUTED_DATA_PARALLEL_H_
