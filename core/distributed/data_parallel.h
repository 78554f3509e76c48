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
#ifndef GENESIS_CORE_DISTRIBUTED_DATA_PARALLEL_H_
#define GENESIS_CORE_DISTRIBUTED_DATA_PARALLEL_H_

#include <memory>
#include <string>

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
  ~DataParallel();

  int rank() const { return config_.rank; }
  int world_size() const { return config_.world_size; }

  // Copies rank 0's parameters and buffers to every rank.
  absl::Status BroadcastParameters(torch::nn::Module& module);
  // Replaces every parameter's gradient by its mean over ranks (one flattened all-reduce).
  absl::Status AverageGradients(torch::nn::Module& module);
  // In-place mean over ranks of a tensor (e.g. a loss, for logging).
  absl::Status AverageTensor(at::Tensor& tensor);
  absl::Status Barrier();

 private:
  struct Impl;
  DataParallel(const DistributedConfig& config, std::unique_ptr<Impl> impl);
  DistributedConfig config_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace genesis

#endif  // GENESIS_CORE_DISTRIBUTED_DATA_PARALLEL_H_
