// No normalisation: an identity layer where the backbone would put its norm.
//
//   normalization { type: "none" }

#include <torch/nn.h>

#include "core/normalization.h"
#include "plugins/normalization/no_norm.pb.h"

namespace genesis {
namespace {

class NoNorm : public NormalizationLayer {
 public:
  explicit NoNorm(const NoNormOptions&) {}
  torch::nn::AnyModule Make(int64_t) const override {
    return torch::nn::AnyModule(torch::nn::Identity());
  }
};

}  // namespace

GENESIS_REGISTER_NORMALIZATION(NoNorm, "none", NoNormOptions,
                               "no normalisation (identity)");

}  // namespace genesis
