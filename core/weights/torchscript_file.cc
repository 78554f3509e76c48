// The TorchScript half of weight_file.h, kept apart: torch/script.h is the heaviest include.
#include <torch/script.h>

#include "absl/strings/str_cat.h"
#include "core/weights/weight_file.h"

namespace genesis {
namespace {

bool HasSubmodule(const torch::jit::Module& module, const std::string& name) {
  for (const auto& child : module.named_children()) {
    if (child.name == name) return true;
  }
  return false;
}

void Collect(const torch::jit::Module& module, std::vector<NamedTensor>* out) {
  for (const auto& p : module.named_parameters(/*recurse=*/true)) {
    out->push_back({p.name, p.value.detach().to(at::kCPU).contiguous().clone()});
  }
  for (const auto& b : module.named_buffers(/*recurse=*/true)) {
    out->push_back({b.name, b.value.detach().to(at::kCPU).contiguous().clone()});
  }
}

}  // namespace

absl::StatusOr<WeightFile> ReadTorchScriptWeights(const std::string& path) {
  WeightFile file;
  file.path = path;
  try {
    torch::jit::Module module = torch::jit::load(path, torch::kCPU);
    // A Genesis checkpoint (torch::serialize::OutputArchive) holds the model and the optimizer
    // state as submodules; only the model's tensors are weights.
    if (HasSubmodule(module, "model") && HasSubmodule(module, "optimizer")) {
      file.format = "genesis_checkpoint";
      Collect(module.attr("model").toModule(), &file.tensors);
    } else {
      file.format = "torchscript";
      Collect(module, &file.tensors);
    }
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": unreadable TorchScript file: ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": unreadable TorchScript file: ", e.what()));
  }
  return file;
}

}  // namespace genesis
