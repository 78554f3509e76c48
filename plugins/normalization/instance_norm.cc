// Instance normalisation (torch.nn.InstanceNorm2d): each sample and channel normalised over
// its own H x W plane.
//
//   normalization { type: "instance_norm" }

#include <torch/nn.h>

#include "absl/strings/str_cat.h"
#include "core/normalization.h"
#include "plugins/normalization/instance_norm.pb.h"

namespace genesis {
namespace {

class InstanceNorm : public NormalizationLayer {
 public:
  explicit InstanceNorm(const InstanceNormOptions& options) : options_(options) {}

  static absl::Status Validate(const InstanceNormOptions& o) {
    if (!(o.eps() > 0)) return absl::InvalidArgumentError(absl::StrCat("eps: must be > 0, got ", o.eps()));
    return absl::OkStatus();
  }

  torch::nn::AnyModule Make(int64_t channels) const override {
    return torch::nn::AnyModule(torch::nn::InstanceNorm2d(
        torch::nn::InstanceNormOptions(channels)
            .eps(options_.eps())
            .momentum(options_.momentum())
            .affine(options_.affine())
            .track_running_stats(options_.track_running_stats())));
  }

 private:
  InstanceNormOptions options_;
};

}  // namespace

GENESIS_REGISTER_NORMALIZATION(InstanceNorm, "instance_norm", InstanceNormOptions,
                               "instance normalisation (InstanceNorm2d, affine by default)");

}  // namespace genesis
