#include "core/weights/state_dict_export.h"

#include <torch/nn/module.h>
#include <torch/serialize.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/file_util.h"

namespace genesis {

absl::Status ExportStateDict(torch::nn::Module& module, const std::string& path) {
  try {
    c10::Dict<std::string, at::Tensor> dict;
    for (const auto& p : module.named_parameters(/*recurse=*/true)) {
      dict.insert(p.key(), p.value().detach().to(at::kCPU).contiguous());
    }
    for (const auto& b : module.named_buffers(/*recurse=*/true)) {
      dict.insert(b.key(), b.value().detach().to(at::kCPU).contiguous());
    }
    const std::vector<char> bytes = torch::pickle_save(c10::IValue(dict));
    return WriteFileAtomically(path, absl::string_view(bytes.data(), bytes.size()));
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat(path, ": ", e.what_without_backtrace()));
  }
}

}  // namespace genesis
