// Initialiser "scratch": He/Kaiming normal convolutions, unit norm layers, from the seed.
//
//   transfer { initializer { type: "scratch" } }
//   transfer { initializer { type: "scratch" options {
//     [type.googleapis.com/genesis.ScratchOptions] { mode: "fan_in" } } } }
//
// Deterministic: the weights come from a private generator seeded with InitContext::seed (the
// global torch seed is neither read nor changed), so the same seed gives bit-identical weights
// and different seeds differ. Every encoder parameter must belong to a layer this initialiser
// knows (Conv2d, BatchNorm2d, GroupNorm, InstanceNorm2d); anything else is an error rather
// than a silently untouched tensor.

#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/functional/instancenorm.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/instancenorm.h>
#include <torch/nn/modules/normalization.h>
#include <torch/utils.h>

#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/initializer.h"
#include "plugins/initializer/scratch.pb.h"

namespace genesis {
namespace {

void ResetNorm(torch::Tensor weight, torch::Tensor bias, std::set<const void*>* done) {
  if (weight.defined()) {
    weight.fill_(1.0);
    done->insert(weight.unsafeGetTensorImpl());
  }
  if (bias.defined()) {
    bias.zero_();
    done->insert(bias.unsafeGetTensorImpl());
  }
}

class Scratch : public Initializer {
 public:
  explicit Scratch(const ScratchOptions& options) : options_(options) {}

  static absl::Status Validate(const ScratchOptions& o) {
    if (o.mode() != "fan_out" && o.mode() != "fan_in") {
      return absl::InvalidArgumentError(
          absl::StrCat("mode: expected \"fan_out\" or \"fan_in\", got \"", o.mode(), "\""));
    }
    return absl::OkStatus();
  }

  absl::Status Initialize(EncoderDecoder& net, const InitContext& context) const override {
    std::shared_ptr<torch::nn::Module> encoder = net.encoder();
    at::Generator generator = at::detail::createCPUGenerator(context.seed);
    std::set<const void*> done;
    try {
      torch::NoGradGuard no_grad;
      for (const auto& module : encoder->modules(/*include_self=*/true)) {
        if (auto* conv = module->as<torch::nn::Conv2dImpl>()) {
          InitConv(conv->weight, conv->bias, generator, &done);
        } else if (auto* bn = module->as<torch::nn::BatchNorm2dImpl>()) {
          ResetNorm(bn->weight, bn->bias, &done);
          if (bn->running_mean.defined()) bn->running_mean.zero_();
          if (bn->running_var.defined()) bn->running_var.fill_(1.0);
          if (bn->num_batches_tracked.defined()) bn->num_batches_tracked.zero_();
        } else if (auto* gn = module->as<torch::nn::GroupNormImpl>()) {
          ResetNorm(gn->weight, gn->bias, &done);
        } else if (auto* in = module->as<torch::nn::InstanceNorm2dImpl>()) {
          ResetNorm(in->weight, in->bias, &done);
          if (in->running_mean.defined()) in->running_mean.zero_();
          if (in->running_var.defined()) in->running_var.fill_(1.0);
        }
      }
    } catch (const c10::Error& e) {
      return absl::InternalError(absl::StrCat("scratch: ", e.what_without_backtrace()));
    }
    std::vector<std::string> untouched;
    for (const auto& p : encoder->named_parameters(/*recurse=*/true)) {
      if (done.count(p.value().unsafeGetTensorImpl()) == 0) untouched.push_back(p.key());
    }
    if (!untouched.empty()) {
      return absl::UnimplementedError(
          absl::StrCat("scratch: no initialisation rule for the encoder parameters ",
                       absl::StrJoin(untouched, ", "),
                       " (known layers: Conv2d, BatchNorm2d, GroupNorm, InstanceNorm2d)"));
    }
    return absl::OkStatus();
  }

 private:
  // He normal: std = sqrt(2 / fan) for ReLU; zero bias.
  void InitConv(torch::Tensor weight, torch::Tensor bias, at::Generator& generator,
                std::set<const void*>* done) const {
    const int64_t receptive = weight[0][0].numel();
    const int64_t fan = (options_.mode() == "fan_in" ? weight.size(1) : weight.size(0)) * receptive;
    weight.normal_(0.0, std::sqrt(2.0 / static_cast<double>(fan)), generator);
    done->insert(weight.unsafeGetTensorImpl());
    if (bias.defined()) {
      bias.zero_();
      done->insert(bias.unsafeGetTensorImpl());
    }
  }

  ScratchOptions options_;
};

}  // namespace

GENESIS_REGISTER_INITIALIZER(Scratch, "scratch", ScratchOptions,
                             "random He/Kaiming weights from the sub-run's seed");

}  // namespace genesis
