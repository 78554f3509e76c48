// Reading weight files into name -> tensor lists, without Python.
//
//   GENESIS_ASSIGN_OR_RETURN(WeightFile file, ReadWeightFile("vgg16_bn.pth"));
//   for (const NamedTensor& t : file.tensors) ...
//
// Formats, told apart by content (not by file name):
//   - "state_dict": a zip-format torch.save of a state_dict (torchvision's .pth files) or a
//     Genesis export (encoder_state_dict.pt / classifier_state_dict.pt, torch::pickle_save of a
//     dict). data.pkl is read by the bounded unpickler of state_dict_pickle.h, storages from
//     data/<key>; strided views and storage offsets are honoured.
//   - "torchscript": torch.jit.script / torch.jit.trace output (a full torchvision model, its
//     `.features`, ...): the module's named parameters and buffers.
//   - "genesis_checkpoint": a Genesis training checkpoint (checkpoint_best.pt /
//     checkpoint_last.pt): the checkpointed model's parameters and buffers, named as in the
//     model ("encoder.features.0.weight", "decoder...."); load its encoder with
//     strip_prefix "encoder." and allow_unexpected "decoder." (weight_loader.h).
//   - "legacy_state_dict": a pre-1.6 (non-zip) torch.save state_dict, such as torchvision's
//     older download files (vgg16_bn-6c64b313.pth); read by the same unpickler.
#ifndef GENESIS_CORE_WEIGHTS_WEIGHT_FILE_H_
#define GENESIS_CORE_WEIGHTS_WEIGHT_FILE_H_

#include <ATen/core/Tensor.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace genesis {

struct NamedTensor {
  std::string name;
  // CPU, owning its memory -- or, for a tensor a TensorFilter declined, a zero-strided stand-in
  // with the file's shape and dtype whose values were never read (has_data false).
  at::Tensor tensor;
  bool has_data = true;
};

// Which file tensors (by their name in the file) a reader must read the values of; the others
// keep only name, shape and dtype. Empty = all. Used to skip the 480 MB classifier of a
// torchvision vgg16_bn.pth when only its 58 MB of features are loaded.
using TensorFilter = std::function<bool(const std::string& name)>;

struct WeightFile {
  std::string path;
  // "state_dict", "legacy_state_dict", "torchscript" or "genesis_checkpoint".
  std::string format;
  std::vector<NamedTensor> tensors;  // In file order.
};

// Detects the format of `path` and reads every tensor (the values of those `wanted` accepts;
// TorchScript files are always read whole).
absl::StatusOr<WeightFile> ReadWeightFile(const std::string& path,
                                          const TensorFilter& wanted = {});

// The zip-format state_dict reader alone.
absl::StatusOr<std::vector<NamedTensor>> ReadStateDictZip(const std::string& path,
                                                          const TensorFilter& wanted = {});

// The TorchScript reader alone (torchscript_file.cc, the only user of torch/script.h): a
// TorchScript module's parameters and buffers, or a Genesis checkpoint's model.
absl::StatusOr<WeightFile> ReadTorchScriptWeights(const std::string& path);

}  // namespace genesis

#endif  // GENESIS_CORE_WEIGHTS_WEIGHT_FILE_H_
