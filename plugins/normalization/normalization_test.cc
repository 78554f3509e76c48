// Numerics of the normalization plugins against hand-computed statistics.
#include <torch/torch.h>

#include "core/normalization.h"
#include "gtest/gtest.h"
#include "plugins/normalization/batch_norm.pb.h"
#include "plugins/normalization/group_norm.pb.h"
#include "plugins/normalization/instance_norm.pb.h"
#include "plugins/normalization/no_norm.pb.h"

namespace genesis {
namespace {

torch::nn::AnyModule MakeLayer(const std::string& name, const google::protobuf::Message& options,
                               int64_t channels) {
  auto layer = Registry<NormalizationLayer>::Get().Create(name, options);
  EXPECT_TRUE(layer.ok()) << layer.status();
  return (*layer)->Make(channels);
}

torch::Tensor Input() {
  torch::manual_seed(1);
  return torch::randn({4, 6, 5, 7}) * 3.0 + 2.0;
}

std::vector<std::string> ParameterNames(torch::nn::Module& m) {
  std::vector<std::string> names;
  for (const auto& p : m.named_parameters()) names.push_back(p.key());
  for (const auto& b : m.named_buffers()) names.push_back(b.key());
  return names;
}

TEST(BatchNormTest, TrainingUsesBatchStatisticsAndUpdatesRunningMean) {
  auto layer = MakeLayer("batch_norm", BatchNormOptions(), 6);
  auto x = Input();
  auto y = layer.forward(x);
  auto mean = y.mean({0, 2, 3});
  auto var = y.var({0, 2, 3}, /*unbiased=*/false);
  EXPECT_TRUE(torch::allclose(mean, torch::zeros(6), 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(var, torch::ones(6), 1e-3, 1e-3));
  auto running_mean = layer.ptr()->named_buffers()["running_mean"];
  EXPECT_TRUE(torch::allclose(running_mean, 0.1 * x.mean({0, 2, 3}), 1e-5, 1e-5));
  EXPECT_EQ(ParameterNames(*layer.ptr()),
            (std::vector<std::string>{"weight", "bias", "running_mean", "running_var",
                                      "num_batches_tracked"}));
}

TEST(BatchNormTest, EvalUsesRunningStatistics) {
  auto layer = MakeLayer("batch_norm", BatchNormOptions(), 6);
  layer.ptr()->eval();
  auto x = Input();
  auto y = layer.forward(x);
  // Fresh running stats are mean 0, var 1: eval output is x / sqrt(1 + eps).
  EXPECT_TRUE(torch::allclose(y, x / std::sqrt(1.0 + 1e-5), 1e-5, 1e-5));
}

TEST(BatchNormTest, ContinuousModeUsesBatchStatisticsInEval) {
  BatchNormOptions options;
  options.set_always_batch_statistics(true);
  auto layer = MakeLayer("batch_norm", options, 6);
  layer.ptr()->eval();
  auto y = layer.forward(Input());
  EXPECT_TRUE(torch::allclose(y.mean({0, 2, 3}), torch::zeros(6), 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(y.var({0, 2, 3}, false), torch::ones(6), 1e-3, 1e-3));
}

TEST(InstanceNormTest, NormalisesEachSampleAndChannel) {
  auto layer = MakeLayer("instance_norm", InstanceNormOptions(), 6);
  auto x = Input();
  x[0] += 100.0;  // A shifted sample must not affect the others.
  auto y = layer.forward(x);
  EXPECT_TRUE(torch::allclose(y.mean({2, 3}), torch::zeros({4, 6}), 1e-4, 1e-4));
  EXPECT_TRUE(torch::allclose(y.var({2, 3}, false), torch::ones({4, 6}), 1e-3, 1e-3));
  EXPECT_EQ(ParameterNames(*layer.ptr()), (std::vector<std::string>{"weight", "bias"}));
}

TEST(GroupNormTest, MatchesHandComputedGroups) {
  GroupNormOptions options;
  options.set_num_groups(3);
  auto layer = MakeLayer("group_norm", options, 6);
  auto x = Input();
  auto y = layer.forward(x);
  auto grouped = x.reshape({4, 3, -1});
  auto expected = ((grouped - grouped.mean(-1, true)) /
                   torch::sqrt(grouped.var(-1, false, true) + 1e-5))
                      .reshape(x.sizes());
  EXPECT_TRUE(torch::allclose(y, expected, 1e-4, 1e-4));
}

TEST(GroupNormTest, FallsBackToLargestDivisor) {
  GroupNormOptions options;
  options.set_num_groups(4);  // 6 channels: 4 does not divide, 3 does.
  testing::internal::CaptureStderr();
  auto layer = MakeLayer("group_norm", options, 6);
  const std::string log = testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("group_norm: layer with 6 channels: num_groups 4 does not divide it; "
                     "using 3 groups"),
            std::string::npos)
      << log;
  auto x = Input();
  auto y = layer.forward(x);
  auto grouped = x.reshape({4, 3, -1});
  auto expected = ((grouped - grouped.mean(-1, true)) /
                   torch::sqrt(grouped.var(-1, false, true) + 1e-5))
                      .reshape(x.sizes());
  EXPECT_TRUE(torch::allclose(y, expected, 1e-4, 1e-4));
}

TEST(NoNormTest, IsIdentity) {
  auto layer = MakeLayer("none", NoNormOptions(), 6);
  auto x = Input();
  EXPECT_TRUE(torch::equal(layer.forward(x), x));
}

TEST(NormalizationValidateTest, RejectsBadOptions) {
  GroupNormOptions options;
  options.set_num_groups(0);
  auto layer = Registry<NormalizationLayer>::Get().Create("group_norm", options);
  ASSERT_FALSE(layer.ok());
  EXPECT_NE(layer.status().message().find("num_groups: must be >= 1, got 0"), std::string::npos)
      << layer.status();
}

}  // namespace
}  // namespace genesis
