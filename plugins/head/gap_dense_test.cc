#include <torch/torch.h>

#include "core/head.h"
#include "core/registry.h"
#include "gtest/gtest.h"
#include "plugins/head/gap_dense.pb.h"

namespace genesis {
namespace {

std::shared_ptr<HeadModule> MakeHead(const GapDenseOptions& options, int64_t channels) {
  PluginSpec spec;
  spec.set_type("gap_dense");
  spec.mutable_options()->PackFrom(options);
  auto head = Registry<Head>::Get().Create(spec);
  EXPECT_TRUE(head.ok()) << head.status();
  auto module = (*head)->Make(channels);
  EXPECT_TRUE(module.ok()) << module.status();
  return *module;
}

TEST(GapDenseTest, ComputesTheStudysHeadInEvalMode) {
  GapDenseOptions options;
  options.set_hidden_units(5);
  torch::manual_seed(3);
  auto head = MakeHead(options, 4);
  head->eval();
  torch::Tensor x = torch::randn({2, 4, 3, 3});
  // By hand: mean over h, w; hidden linear; relu; output linear. Dropout is off in eval.
  auto params = head->named_parameters();
  torch::Tensor pooled = x.mean({2, 3});
  torch::Tensor hidden = (pooled.matmul(params["hidden.weight"].t()) + params["hidden.bias"]).relu();
  torch::Tensor expected = hidden.matmul(params["output.weight"].t()) + params["output.bias"];
  torch::Tensor got = head->forward(x);
  ASSERT_EQ(got.sizes(), (std::vector<int64_t>{2, 1}));
  EXPECT_TRUE(torch::allclose(got, expected, 1e-6, 1e-6));
  // Eval mode is deterministic; training mode applies dropout (p = 0.5) and differs.
  EXPECT_TRUE(torch::equal(head->forward(x), got));
  head->train();
  torch::manual_seed(1);
  EXPECT_FALSE(torch::equal(head->forward(x), got));
}

TEST(GapDenseTest, L2PenaltyIsOnTheHiddenWeights) {
  GapDenseOptions options;
  options.set_hidden_units(3);
  options.set_l2(0.1);
  auto head = MakeHead(options, 2);
  const torch::Tensor w = head->named_parameters()["hidden.weight"];
  EXPECT_NEAR(head->Penalty().item<double>(), 0.1 * w.pow(2).sum().item<double>(), 1e-7);
  options.set_l2(0.0);
  EXPECT_FALSE(MakeHead(options, 2)->Penalty().defined());
}

TEST(GapDenseTest, RejectsBadOptions) {
  GapDenseOptions options;
  options.set_dropout(1.0);
  PluginSpec spec;
  spec.set_type("gap_dense");
  spec.mutable_options()->PackFrom(options);
  auto head = Registry<Head>::Get().Create(spec);
  ASSERT_FALSE(head.ok());
  EXPECT_NE(head.status().message().find("dropout: must be in [0, 1)"), std::string::npos);
}

}  // namespace
}  // namespace genesis
