// Group normalisation (torch.nn.GroupNorm): channels split into groups, each normalised over
// its channels and H x W; independent of the batch size.
//
//   normalization { type: "group_norm" options {
//     [type.googleapis.com/genesis.GroupNormOptions] { num_groups: 16 } } }

#include <torch/nn.h>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "core/normalization.h"
#include "plugins/normalization/group_norm.pb.h"

namespace genesis {
namespace {

class GroupNorm : public NormalizationLayer {
 public:
  explicit GroupNorm(const GroupNormOptions& options) : options_(options) {}

  static absl::Status Validate(const GroupNormOptions& o) {
    if (o.num_groups() < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("num_groups: must be >= 1, got ", o.num_groups()));
    }
    if (!(o.eps() > 0)) return absl::InvalidArgumentError(absl::StrCat("eps: must be > 0, got ", o.eps()));
    return absl::OkStatus();
  }

  // Largest divisor of `channels` that is <= the configured group count; a change is logged
  // (the layer's channel count, the asked and the used group count), never silent.
  int64_t GroupsFor(int64_t channels) const {
    int64_t groups = std::min<int64_t>(options_.num_groups(), channels);
    while (channels % groups != 0) --groups;
    if (groups != options_.num_groups()) {
      LOG(WARNING) << "group_norm: layer with " << channels << " channels: num_groups "
                   << options_.num_groups() << " does not divide it; using " << groups
                   << " groups";
    }
    return groups;
  }

  torch::nn::AnyModule Make(int64_t channels) const override {
    return torch::nn::AnyModule(torch::nn::GroupNorm(
        torch::nn::GroupNormOptions(GroupsFor(channels), channels)
            .eps(options_.eps())
            .affine(options_.affine())));
  }

 private:
  GroupNormOptions options_;
};

}  // namespace

GENESIS_REGISTER_NORMALIZATION(GroupNorm, "group_norm", GroupNormOptions,
                               "group normalisation (GroupNorm; batch-size independent)");

}  // namespace genesis
