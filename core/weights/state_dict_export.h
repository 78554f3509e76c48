// Exporting a module's weights as a state_dict file PyTorch reads.
//
//   GENESIS_RETURN_IF_ERROR(ExportStateDict(classifier, run_dir + "/classifier_state_dict.pt"));
//
// In Python:  model.load_state_dict(torch.load("classifier_state_dict.pt"))
#ifndef GENESIS_CORE_WEIGHTS_STATE_DICT_EXPORT_H_
#define GENESIS_CORE_WEIGHTS_STATE_DICT_EXPORT_H_

#include <string>

#include "absl/status/status.h"

namespace torch {
namespace nn {
class Module;
}  // namespace nn
}  // namespace torch

namespace genesis {

// Writes `module`'s parameters and buffers under their state_dict names (CPU, contiguous) as a
// zip-format torch.save-compatible dict (torch::pickle_save), atomically. Python's torch.load
// gives a dict that load_state_dict accepts; ReadWeightFile reads it back ("state_dict").
absl::Status ExportStateDict(torch::nn::Module& module, const std::string& path);

}  // namespace genesis

#endif  // GENESIS_CORE_WEIGHTS_STATE_DICT_EXPORT_H_
