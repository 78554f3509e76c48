// Initialiser "self_supervised": the encoder of a pretraining run.
//
//   transfer { initializer { type: "self_supervised" } }   # this run's pretrain stage
//   transfer { initializer { type: "self_supervised" options {
//     [type.googleapis.com/genesis.SelfSupervisedOptions] {
//       weights: "runs/pretrain_vgg16/pretrain/encoder_state_dict.pt" } } } }
//
// Strict: the coverage report (core/weights/weight_loader.h) is logged and written to
// InitContext::report_path, and any missing, unexpected or mismatched tensor not allowed by
// the options fails the sub-run.

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "core/initializer.h"
#include "core/status_macros.h"
#include "core/weights/weight_loader.h"
#include "plugins/initializer/self_supervised.pb.h"
#include "plugins/initializer/weight_options.h"

namespace genesis {
namespace {

class SelfSupervised : public Initializer {
 public:
  explicit SelfSupervised(const SelfSupervisedOptions& options) : options_(options) {}

  static absl::Status Validate(const SelfSupervisedOptions& o) {
    return ToWeightLoadOptions(o).status();
  }

  absl::Status Initialize(EncoderDecoder& net, const InitContext& context) const override {
    const std::string path = WeightPath(context);
    if (path.empty()) {
      return absl::FailedPreconditionError(
          "self_supervised: no weights to load: this run has no pretrain stage before the "
          "transfer stage and options.weights is empty; add a pretrain stage or set weights: "
          "\"PATH/encoder_state_dict.pt\"");
    }
    if (!std::filesystem::exists(path)) {
      return absl::NotFoundError(absl::StrCat(
          "self_supervised: weight file ", path, " does not exist",
          options_.weights().empty()
              ? " (the pretrain stage has not exported its encoder: did it finish?); set "
                "weights to another pretraining run's encoder_state_dict.pt if intended"
              : ""));
    }
    GENESIS_ASSIGN_OR_RETURN(WeightLoadOptions load, ToWeightLoadOptions(options_));
    return Annotate(LoadWeightsIntoModule(*net.encoder(), path, load, context.report_path),
                    "self_supervised");
  }

  std::vector<std::string> InputFiles(const InitContext& context) const override {
    const std::string path = WeightPath(context);
    if (path.empty()) return {};
    return {path};
  }

 private:
  std::string WeightPath(const InitContext& context) const {
    if (!options_.weights().empty()) return options_.weights();
    if (context.pretrain_dir.empty()) return "";
    return absl::StrCat(context.pretrain_dir, "/encoder_state_dict.pt");
  }

  SelfSupervisedOptions options_;
};

}  // namespace

GENESIS_REGISTER_INITIALIZER(SelfSupervised, "self_supervised", SelfSupervisedOptions,
                             "the encoder of a pretraining run (strict, coverage report)");

}  // namespace genesis
