// The "gap_dense" head: GAP -> flatten -> dropout -> dense (+L2) -> activation -> dropout ->
// dense(1). Parameter names: hidden.{weight,bias}, output.{weight,bias}; in PyTorch terms
//
//   nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(p), nn.Linear(C, H),
//                 nn.ReLU(), nn.Dropout(p), nn.Linear(H, 1))
//
// with Linear layers initialised like PyTorch's (Kaiming-uniform weights).
#include <torch/nn/functional/dropout.h>
#include <torch/nn/modules/linear.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/head.h"
#include "plugins/head/gap_dense.pb.h"

namespace genesis {
namespace {

class GapDenseModule : public HeadModule {
 public:
  GapDenseModule(int64_t in_channels, const GapDenseOptions& options)
      : options_(options),
        hidden_(register_module("hidden",
                                torch::nn::Linear(in_channels, options.hidden_units()))),
        output_(register_module("output", torch::nn::Linear(options.hidden_units(), 1))) {}

  at::Tensor forward(const at::Tensor& features) override {
    namespace F = torch::nn::functional;
    const auto dropout = F::DropoutFuncOptions().p(options_.dropout()).training(is_training());
    at::Tensor x = features.mean({2, 3});  // Global average pooling + flatten.
    x = F::dropout(x, dropout);
    x = hidden_->forward(x);
    if (options_.activation() == "relu") x = x.relu();
    x = F::dropout(x, dropout);
    return output_->forward(x);
  }

  at::Tensor Penalty() override {
    if (options_.l2() <= 0) return at::Tensor();
    return hidden_->weight.pow(2).sum() * options_.l2();
  }

 private:
  GapDenseOptions options_;
  torch::nn::Linear hidden_;
  torch::nn::Linear output_;
};

class GapDense : public Head {
 public:
  explicit GapDense(const GapDenseOptions& options) : options_(options) {}

  static absl::Status Validate(const GapDenseOptions& o) {
    if (o.hidden_units() < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("hidden_units: must be >= 1, got ", o.hidden_units()));
    }
    if (o.hidden_units() > 65536) {
      return absl::InvalidArgumentError(
          absl::StrCat("hidden_units: must be <= 65536, got ", o.hidden_units()));
    }
    if (!(o.dropout() >= 0 && o.dropout() < 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("dropout: must be in [0, 1), got ", o.dropout()));
    }
    if (!(o.l2() >= 0)) {
      return absl::InvalidArgumentError(absl::StrCat("l2: must be >= 0, got ", o.l2()));
    }
    if (o.activation() != "relu" && o.activation() != "linear") {
      return absl::InvalidArgumentError(absl::StrCat(
          "activation: must be \"relu\" or \"linear\", got \"", o.activation(), "\""));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::shared_ptr<HeadModule>> Make(int64_t in_channels) const override {
    if (in_channels < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("gap_dense: encoder has ", in_channels, " channels"));
    }
    return std::shared_ptr<HeadModule>(std::make_shared<GapDenseModule>(in_channels, options_));
  }

 private:
  GapDenseOptions options_;
};

}  // namespace

GENESIS_REGISTER_HEAD(GapDense, "gap_dense", GapDenseOptions,
                      "GAP -> dropout -> dense (L2) -> dropout -> logit (the study's head)");

}  // namespace genesis
