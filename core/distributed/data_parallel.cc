#include "core/distributed/data_parallel.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <cstdlib>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

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

// The process's current connection (DataParallel::MakeCurrent).
std::atomic<DataParallel*> current_connection{nullptr};

// Keys of Publish/WaitFor, apart from the Gloo group's own rendezvous keys in the same store.
std::string StoreKey(const std::string& key) { return "run/" + key; }
constexpr char kFailureKey[] = "failed";

}  // namespace

struct DataParallel::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};

DataParallel::DataParallel(const DistributedConfig& config, std::unique_ptr<Impl> impl)
    : config_(config), impl_(std::move(impl)) {}

DataParallel::~DataParallel() {
  DataParallel* self = this;
  current_connection.compare_exchange_strong(self, nullptr);
}

DataParallel* DataParallel::Current() { return current_connection.load(); }

void DataParallel::MakeCurrent() { current_connection.store(this); }

absl::StatusOr<DataParallel*> DataParallel::CurrentOrConnect(
    const DistributedConfig& config, std::unique_ptr<DataParallel>* owner) {
  if (DataParallel* current = Current(); current != nullptr) {
    if (current->rank() != config.rank || current->world_size() != config.world_size) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data parallel: this process is connected as rank ", current->rank(), " of ",
          current->world_size(), ", but RANK/WORLD_SIZE now say ", config.rank, " of ",
          config.world_size));
    }
    return current;
  }
  auto connected = Connect(config);
  if (!connected.ok()) return connected.status();
  *owner = std::move(connected).value();
  (*owner)->MakeCurrent();
  return owner->get();
}

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

absl::Status DataParallel::BroadcastValues(std::vector<double>& values) {
  return Collective("broadcast", [&] {
    std::vector<at::Tensor> one = {
        torch::tensor(values, torch::TensorOptions().dtype(torch::kFloat64))};
    c10d::BroadcastOptions options;
    options.rootRank = 0;
    impl_->group->broadcast(one, options)->wait();
    auto accessor = one[0].accessor<double, 1>();
    for (size_t i = 0; i < values.size(); ++i) values[i] = accessor[i];
  });
}

absl::Status DataParallel::BroadcastString(std::string& text) {
  return Collective("broadcast", [&] {
    c10d::BroadcastOptions options;
    options.rootRank = 0;
    // The size first, so every rank can make a buffer of rank 0's size.
    std::vector<at::Tensor> size = {torch::full({1}, static_cast<int64_t>(text.size()),
                                                torch::TensorOptions().dtype(torch::kInt64))};
    impl_->group->broadcast(size, options)->wait();
    const int64_t n = size[0].item<int64_t>();
    if (n == 0) {
      text.clear();
      return;
    }
    at::Tensor bytes = torch::zeros({n}, torch::TensorOptions().dtype(torch::kUInt8));
    if (config_.rank == 0) std::memcpy(bytes.data_ptr<uint8_t>(), text.data(), n);
    std::vector<at::Tensor> one = {bytes};
    impl_->group->broadcast(one, options)->wait();
    text.assign(reinterpret_cast<const char*>(bytes.data_ptr<uint8_t>()), n);
  });
}

absl::StatusOr<std::vector<int64_t>> DataParallel::AllGather(int64_t value) {
  // Every rank fills its own slot of a zero vector; the sum over ranks is the gathered vector.
  at::Tensor slots =
      torch::zeros({config_.world_size}, torch::TensorOptions().dtype(torch::kInt64));
  slots[config_.rank] = value;
  absl::Status status = Collective("all-gather", [&] {
    std::vector<at::Tensor> one = {slots};
    impl_->group->allreduce(one)->wait();
  });
  if (!status.ok()) return status;
  std::vector<int64_t> values(config_.world_size);
  for (int r = 0; r < config_.world_size; ++r) values[r] = slots[r].item<int64_t>();
  return values;
}

absl::Status DataParallel::Publish(const std::string& key, const std::string& value) {
  return Collective("store write", [&] {
    impl_->store->set(StoreKey(key), std::vector<uint8_t>(value.begin(), value.end()));
  });
}

absl::StatusOr<std::optional<std::string>> DataParallel::Lookup(const std::string& key) {
  std::optional<std::string> value;
  absl::Status status = Collective("store read", [&] {
    if (!impl_->store->check({StoreKey(key)})) return;
    const std::vector<uint8_t> bytes = impl_->store->get(StoreKey(key));
    value = std::string(bytes.begin(), bytes.end());
  });
  if (!status.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "lost the connection to rank 0's store at ", config_.master_addr, ":",
        config_.master_port, " (rank 0 exited or died): ", status.message()));
  }
  return value;
}

absl::StatusOr<std::string> DataParallel::WaitFor(const std::string& key) {
  // Polls instead of Store::wait, whose timeout would end waits that legitimately last hours.
  while (true) {
    absl::StatusOr<std::optional<std::string>> value = Lookup(key);
    if (!value.ok()) return value.status();
    if (value->has_value()) return **value;
    absl::StatusOr<std::optional<std::string>> failure = PublishedFailure();
    if (!failure.ok()) return failure.status();
    if (failure->has_value()) {
      return absl::AbortedError(absl::StrCat("another rank failed: ", **failure));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

absl::Status DataParallel::PublishFailure(const std::string& message) {
  GENESIS_RETURN_IF_ERROR(Publish(kFailureKey, absl::StrCat("rank ", config_.rank, ": ", message)));
  if (config_.rank != 0) return absl::OkStatus();
  // Rank 0's store goes down when it exits: give the waiting ranks a moment to read the
  // message (they acknowledge it), so they report it rather than a lost connection. Ranks busy
  // in a collective do not answer; they fail there once rank 0 is gone.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  std::vector<std::string> seen;
  for (int r = 1; r < config_.world_size; ++r) {
    seen.push_back(StoreKey(absl::StrCat("failure_seen/", r)));
  }
  while (std::chrono::steady_clock::now() < deadline) {
    bool all = false;
    GENESIS_RETURN_IF_ERROR(Collective("store read", [&] { all = impl_->store->check(seen); }));
    if (all) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> DataParallel::PublishedFailure() {
  absl::StatusOr<std::optional<std::string>> failure = Lookup(kFailureKey);
  if (failure.ok() && failure->has_value()) {
    Publish(absl::StrCat("failure_seen/", config_.rank), "").IgnoreError();
  }
  return failure;
}

}  // namespace genesis
