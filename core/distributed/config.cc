#include "core/distributed/config.h"

#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace genesis {
namespace {

absl::Status IntFromEnv(const char* name, int* value) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return absl::OkStatus();
  if (!absl::SimpleAtoi(text, value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("environment variable ", name, ": expected an integer, got '", text, "'"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<DistributedConfig> DistributedConfigFromEnv() {
  DistributedConfig config;
  if (auto s = IntFromEnv("WORLD_SIZE", &config.world_size); !s.ok()) return s;
  if (auto s = IntFromEnv("RANK", &config.rank); !s.ok()) return s;
  if (auto s = IntFromEnv("MASTER_PORT", &config.master_port); !s.ok()) return s;
  if (const char* addr = std::getenv("MASTER_ADDR"); addr != nullptr && *addr != '\0') {
    config.master_addr = addr;
  }
  if (config.world_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("WORLD_SIZE: must be >= 1, got ", config.world_size));
  }
  if (config.rank < 0 || config.rank >= config.world_size) {
    return absl::InvalidArgumentError(absl::StrCat("RANK: must be in [0, WORLD_SIZE=",
                                                   config.world_size, "), got ", config.rank));
  }
  if (config.master_port < 1 || config.master_port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("MASTER_PORT: must be in [1, 65535], got ", config.master_port));
  }
  return config;
}

}  // namespace genesis
