#include "core/distributed/data_parallel.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/torch.h>

#include <chrono>
#include <cstdlib>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace genesis {
namespace {

// Runs a c10d call, turning its exceptions into a Status naming the operation.
template <typename F>
absl::Status Collective(const char* what, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("data-parallel ", what, " failed: ", e.what()));
  }
  return absl::OkStatus();
}

}  // namespace

struct DataParallel::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};

DataParallel::DataParallel(const DistributedConfig& config, std::unique_ptr<Impl> impl)
    : config_(config), impl_(std::move(impl)) {}

DataParallel::~DataParallel() = default;

absl::StatusOr<std::unique_ptr<DataParallel>> DataParallel::Connect(
    const DistributedConfig& config) {
  auto impl = std::make_unique<Impl>();
  absl::Status status = Collective("rendezvous", [&] {
    c10d::TCPStoreOptions options;
    options.port = static_cast<uint16_t>(config.master_port);
    options.isServer = config.rank == 0;
    options.numWorkers = config.world_size;
    options.waitWorkers = true;
    options.timeout = std::chrono::seconds(config.timeout_seconds);
    auto tcp = c10::make_intrusive<c10d::TCPStore>(config.master_addr, options);
    impl->store = c10::make_intrusive<c10d::PrefixStore>("genesis", tcp);
    auto group_options =
        c10d::ProcessGroupGloo::Options::create(std::chrono::seconds(config.timeout_seconds));
    group_options->devices.push_back(
        c10d::ProcessGroupGloo::createDeviceForHostname(config.master_addr));
    group_options->threads = 2;
    impl->group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl->store, config.rank,
                                                              config.world_size, group_options);
  });
  if (!status.ok()) {
    return absl::UnavailableError(absl::StrCat(status.message(), " (rank ", config.rank, " of ",
                                               config.world_size, ", master ",
                                               config.master_addr, ":", config.master_port, ")"));
  }
  return std::unique_ptr<DataParallel>(new DataParallel(config, std::move(impl)));
}

absl::Status DataParallel::BroadcastParameters(torch::nn::Module& module) {
  return Collective("broadcast", [&] {
    torch::NoGradGuard no_grad;
    std::vector<at::Tensor> tensors;
    for (auto& p : module.parameters()) tensors.push_back(p);
    for (auto& b : module.buffers()) tensors.push_back(b);
    for (auto& t : tensors) {
      std::vector<at::Tensor> one = {t};
      c10d::BroadcastOptions options;
      options.rootRank = 0;
      impl_->group->broadcast(one, options)->wait();
    }
  });
}

absl::Status DataParallel::AverageGradients(torch::nn::Module& module) {
  return Collective("all-reduce of gradients", [&] {
    std::vector<at::Tensor> grads;
    for (auto& p : module.parameters()) {
      if (!p.requires_grad()) continue;
      if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
      grads.push_back(p.grad());
    }
    if (grads.empty()) return;
    // One flattened buffer: a single collective instead of one per tensor.
    std::vector<at::Tensor> flat = {torch::cat(
        [&] {
          std::vector<at::Tensor> views;
          for (auto& g : grads) views.push_back(g.reshape({-1}));
          return views;
        }())};
    impl_->group->allreduce(flat)->wait();
    flat[0].div_(config_.world_size);
    int64_t offset = 0;
    for (auto& g : grads) {
      const int64_t n = g.numel();
      g.copy_(flat[0].narrow(0, offset, n).view_as(g));
      offset += n;
    }
  });
}

absl::Status DataParallel::AverageTensor(at::Tensor& tensor) {
  return Collective("all-reduce", [&] {
    std::vector<at::Tensor> one = {tensor};
    impl_->group->allreduce(one)->wait();
    tensor.div_(config_.world_size);
  });
}

absl::Status DataParallel::Barrier() {
  return Collective("barrier", [&] { impl_->group->barrier()->wait(); });
}

}  // namespace genesis
