// Two processes on loopback training with averaged gradients end with the same parameters as
// one process training on the combined batch.
#include "core/distributed/data_parallel.h"

#include <torch/torch.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <thread>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/distributed/rank_test_util.h"
#include "gtest/gtest.h"

namespace genesis {
namespace {

constexpr int kSteps = 5;
constexpr int kBatch = 8;

struct NetImpl : torch::nn::Module {
  NetImpl() {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 4, 3).padding(1)));
    norm = register_module("norm", torch::nn::GroupNorm(2, 4));
    fc = register_module("fc", torch::nn::Linear(4 * 8 * 8, 1));
  }
  torch::Tensor forward(torch::Tensor x) {
    return fc(torch::relu(norm(conv(x))).flatten(1));
  }
  torch::nn::Conv2d conv{nullptr};
  torch::nn::GroupNorm norm{nullptr};
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(Net);

std::pair<torch::Tensor, torch::Tensor> Data() {
  torch::manual_seed(123);
  auto x = torch::rand({kBatch, 1, 8, 8});
  auto y = torch::rand({kBatch, 1});
  return {x, y};
}

// Trains on rows [begin, end) of the batch; `parallel` averages gradients when set.
std::vector<torch::Tensor> Train(int begin, int end, DataParallel* parallel, bool perturb) {
  torch::manual_seed(7);
  Net net;
  if (perturb) {
    torch::NoGradGuard no_grad;
    for (auto& p : net->parameters()) p.add_(1.0);  // Broadcast must undo this.
  }
  if (parallel != nullptr) EXPECT_TRUE(parallel->BroadcastParameters(*net).ok());
  torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
  auto [x, y] = Data();
  auto xs = x.slice(0, begin, end), ys = y.slice(0, begin, end);
  for (int step = 0; step < kSteps; ++step) {
    sgd.zero_grad();
    auto loss = torch::mse_loss(net->forward(xs), ys);
    loss.backward();
    if (parallel != nullptr) EXPECT_TRUE(parallel->AverageGradients(*net).ok());
    sgd.step();
  }
  std::vector<torch::Tensor> params;
  for (auto& p : net->parameters()) params.push_back(p.detach().clone());
  return params;
}

// Runs only inside the child processes the main test spawns.
TEST(DataParallelWorker, Train) {
  const char* out = std::getenv("GENESIS_DP_WORKER_OUT");
  if (out == nullptr) GTEST_SKIP() << "helper for TwoProcessesMatchOneProcess";
  auto config = DistributedConfigFromEnv();
  ASSERT_TRUE(config.ok()) << config.status();
  auto parallel = DataParallel::Connect(*config);
  ASSERT_TRUE(parallel.ok()) << parallel.status();
  const int shard = kBatch / config->world_size;
  auto params = Train(config->rank * shard, (config->rank + 1) * shard, parallel->get(),
                      /*perturb=*/config->rank != 0);
  ASSERT_TRUE((*parallel)->Barrier().ok());
  if (config->rank == 0) torch::save(params, out);

  // Small exchanges besides gradients.
  std::string text = config->rank == 0 ? "rank 0's run folder" : "";
  ASSERT_TRUE((*parallel)->BroadcastString(text).ok());
  EXPECT_EQ(text, "rank 0's run folder");
  std::vector<double> values = {config->rank + 0.5, -1.0};
  ASSERT_TRUE((*parallel)->BroadcastValues(values).ok());
  EXPECT_EQ(values, (std::vector<double>{0.5, -1.0}));
  auto gathered = (*parallel)->AllGather(10 * config->rank + 1);
  ASSERT_TRUE(gathered.ok()) << gathered.status();
  EXPECT_EQ(*gathered, (std::vector<int64_t>{1, 11}));
  // Store keys: a wait longer than nothing, then a published failure ends the other's wait.
  if (config->rank == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    ASSERT_TRUE((*parallel)->Publish("decision", "run").ok());
    auto wait = (*parallel)->WaitFor("never published");
    ASSERT_EQ(wait.status().code(), absl::StatusCode::kAborted) << wait.status();
    EXPECT_NE(wait.status().message().find("rank 1: cannot read the cache"), std::string::npos)
        << wait.status();
    ASSERT_TRUE((*parallel)->Barrier().ok());
  } else {
    auto decision = (*parallel)->WaitFor("decision");
    ASSERT_TRUE(decision.ok()) << decision.status();
    EXPECT_EQ(*decision, "run");
    ASSERT_TRUE((*parallel)->PublishFailure("cannot read the cache").ok());
    ASSERT_TRUE((*parallel)->Barrier().ok());
    // Rank 0 leaves (its store goes down): reads fail instead of hanging.
    absl::StatusOr<std::optional<std::string>> lookup;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    do {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      lookup = (*parallel)->Lookup("after rank 0 left");
    } while (lookup.ok() && std::chrono::steady_clock::now() < deadline);
    EXPECT_EQ(lookup.status().code(), absl::StatusCode::kUnavailable) << lookup.status();
    auto orphan = (*parallel)->WaitFor("after rank 0 left");
    EXPECT_EQ(orphan.status().code(), absl::StatusCode::kUnavailable) << orphan.status();
  }
}

TEST(DataParallelTest, TwoProcessesMatchOneProcess) {
  const std::string out = absl::StrCat(std::getenv("TEST_TMPDIR"), "/rank0_params.pt");
  const int port = FreeLoopbackPort();
  std::vector<RankProcess> children;
  for (int rank = 0; rank < 2; ++rank) {
    RankOptions options;
    options.rank = rank;
    options.port = port;
    options.gtest_filter = "DataParallelWorker.Train";
    options.env = {"GENESIS_DP_WORKER_OUT=" + out};
    children.push_back(SpawnRank(options));
    ASSERT_GT(children.back().pid, 0);
  }
  for (RankProcess& child : children) ASSERT_EQ(WaitRank(child), 0) << "worker failed";
  std::vector<torch::Tensor> distributed;
  torch::load(distributed, out);
  auto single = Train(0, kBatch, nullptr, false);
  ASSERT_EQ(distributed.size(), single.size());
  for (size_t i = 0; i < single.size(); ++i) {
    EXPECT_TRUE(torch::allclose(distributed[i], single[i], 1e-5, 1e-6))
        << "parameter " << i << " differs by "
        << (distributed[i] - single[i]).abs().max().item<float>();
  }
  // Sanity: training moved the parameters (the comparison is not vacuous).
  torch::manual_seed(7);
  Net fresh;
  EXPECT_FALSE(torch::allclose(fresh->parameters()[0], single[0]));
}

// Why a process shares one connection (DataParallel::Current): rank 0's store owns MASTER_PORT,
// so connecting again while the first connection lives fails.
TEST(DataParallelTest, ASecondConnectionOnTheSamePortFails) {
  DistributedConfig config;
  config.master_port = FreeLoopbackPort();
  config.timeout_seconds = 5;
  auto first = DataParallel::Connect(config);
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = DataParallel::Connect(config);
  EXPECT_FALSE(second.ok());
  // The one connection is shared instead.
  EXPECT_EQ(DataParallel::Current(), nullptr);
  (*first)->MakeCurrent();
  std::unique_ptr<DataParallel> owner;
  auto shared = DataParallel::CurrentOrConnect(config, &owner);
  ASSERT_TRUE(shared.ok()) << shared.status();
  EXPECT_EQ(*shared, first->get());
  EXPECT_EQ(owner, nullptr);
  first->reset();
  EXPECT_EQ(DataParallel::Current(), nullptr);
}

TEST(DataParallelTest, ConfigFromEnvironment) {
  unsetenv("WORLD_SIZE");
  unsetenv("RANK");
  auto single = DistributedConfigFromEnv();
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->world_size, 1);
  setenv("WORLD_SIZE", "2", 1);
  setenv("RANK", "two", 1);
  auto bad = DistributedConfigFromEnv();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("RANK: expected an integer, got 'two'"),
            absl::string_view::npos);
  setenv("RANK", "2", 1);
  bad = DistributedConfigFromEnv();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("RANK: must be in [0, WORLD_SIZE=2), got 2"),
            absl::string_view::npos);
  unsetenv("WORLD_SIZE");
  unsetenv("RANK");
}

}  // namespace
}  // namespace genesis
