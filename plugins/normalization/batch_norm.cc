// Batch normalisation (torch.nn.BatchNorm2d), optionally with Models Genesis' ContBatchNorm
// semantics (batch statistics also in eval mode).
//
//   normalization { type: "batch_norm" options {
//     [type.googleapis.com/genesis.BatchNormOptions] { always_batch_statistics: true } } }

#include <torch/nn.h>

#include "absl/strings/str_cat.h"
#include "core/normalization.h"
#include "plugins/normalization/batch_norm.pb.h"

namespace genesis {
namespace {

// BatchNorm2d whose forward always uses batch statistics (Models Genesis' ContBatchNorm).
// Parameter and buffer names are BatchNorm2d's, so torchvision weights still load.
class ContinuousBatchNorm2dImpl : public torch::nn::BatchNorm2dImpl {
 public:
  using torch::nn::BatchNorm2dImpl::BatchNorm2dImpl;
  torch::Tensor forward(const torch::Tensor& input) {
    _check_input_dim(input);
    if (options.track_running_stats()) num_batches_tracked += 1;
    return torch::nn::functional::detail::batch_norm(
        input, running_mean, running_var, weight, bias, /*training=*/true,
        options.momentum().value_or(0.1), options.eps());
  }
  void pretty_print(std::ostream& stream) const override {
    stream << "ContinuousBatchNorm2d(" << options.num_features() << ", eps=" << options.eps()
           << ")";
  }
};
TORCH_MODULE(ContinuousBatchNorm2d);

class BatchNorm : public NormalizationLayer {
 public:
  explicit BatchNorm(const BatchNormOptions& options) : options_(options) {}

  static absl::Status Validate(const BatchNormOptions& o) {
    if (!(o.eps() > 0)) return absl::InvalidArgumentError(absl::StrCat("eps: must be > 0, got ", o.eps()));
    if (o.momentum() < 0 || o.momentum() > 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("momentum: must be in [0, 1], got ", o.momentum()));
    }
    return absl::OkStatus();
  }

  torch::nn::AnyModule Make(int64_t channels) const override {
    auto bn_options = torch::nn::BatchNormOptions(channels)
                          .eps(options_.eps())
                          .momentum(options_.momentum())
                          .affine(options_.affine())
                          .track_running_stats(true);
    if (options_.always_batch_statistics()) {
      return torch::nn::AnyModule(ContinuousBatchNorm2d(bn_options));
    }
    return torch::nn::AnyModule(torch::nn::BatchNorm2d(bn_options));
  }

 private:
  BatchNormOptions options_;
};

}  // namespace

GENESIS_REGISTER_NORMALIZATION(BatchNorm, "batch_norm", BatchNormOptions,
                               "batch normalisation (BatchNorm2d; optional ContBatchNorm mode)");

}  // namespace genesis
