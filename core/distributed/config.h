// The torchrun-style process layout of a run: RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT.
// Torch-free, so the runner can tell rank 0 (which owns the run folder) from the others.
//
//   GENESIS_ASSIGN_OR_RETURN(DistributedConfig config, DistributedConfigFromEnv());
//   if (config.world_size > 1 && config.rank != 0) { ... }
#ifndef GENESIS_CORE_DISTRIBUTED_CONFIG_H_
#define GENESIS_CORE_DISTRIBUTED_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"

namespace genesis {

struct DistributedConfig {
  int rank = 0;
  int world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  int timeout_seconds = 300;
};

// Reads the torchrun variables. Without WORLD_SIZE (or WORLD_SIZE=1) the run is single-process.
// Malformed values are InvalidArgument naming the variable.
absl::StatusOr<DistributedConfig> DistributedConfigFromEnv();

}  // namespace genesis

#endif  // GENESIS_CORE_DISTRIBUTED_CONFIG_H_
