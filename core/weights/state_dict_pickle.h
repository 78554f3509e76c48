// A minimal, bounded unpickler for the `data.pkl` of a zip-format torch.save file holding a
// state_dict (a dict / collections.OrderedDict of name -> tensor), written here because
// LibTorch 1.13's torch::pickle_load returns None for an OrderedDict (pytorch issue 100741).
// No LibTorch: it only describes each tensor (storage key, dtype, offset, sizes, strides); the
// loader in tensor_file.cc reads the storages from the zip.
//
//   GENESIS_ASSIGN_OR_RETURN(std::vector<PickledTensor> tensors,
//                            ParseStateDictPickle(pickle_bytes, "vgg16_bn.pth"));
//
// Understood: protocol 2-4 opcodes torch.save and torch::pickle_save emit (PROTO, FRAME, GLOBAL,
// STACK_GLOBAL, memo PUT/GET, MARK, tuples, lists, dicts, ints, floats, strings, bools, None,
// REDUCE, BUILD, BINPERSID, STOP), the globals collections.OrderedDict,
// torch._utils._rebuild_tensor_v2 / _rebuild_parameter, torch.jit._pickle.restore_type_tag
// (torch::pickle_save's typed dicts) and torch.<Dtype>Storage. Anything else
// is an InvalidArgument naming the source, the byte offset and the opcode or global -- never a
// crash. Every length and count read from the file is bounded by the bytes actually present.
#ifndef GENESIS_CORE_WEIGHTS_STATE_DICT_PICKLE_H_
#define GENESIS_CORE_WEIGHTS_STATE_DICT_PICKLE_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace genesis {

// Element type of a pickled storage (torch.FloatStorage -> kFloat32, ...).
enum class StorageDtype {
  kFloat32,
  kFloat64,
  kFloat16,
  kBFloat16,
  kInt64,
  kInt32,
  kInt16,
  kInt8,
  kUInt8,
  kBool
};

// Bytes per element of `dtype`.
int64_t StorageDtypeSize(StorageDtype dtype);
// "float32", "int64", ...
const char* StorageDtypeName(StorageDtype dtype);

// One tensor of the state_dict: a strided view of the storage record `data/<storage_key>`.
struct PickledTensor {
  std::string name;
  StorageDtype dtype = StorageDtype::kFloat32;
  std::string storage_key;
  int64_t storage_numel = 0;  // Elements the storage holds, as pickled.
  int64_t storage_offset = 0;
  std::vector<int64_t> sizes;
  std::vector<int64_t> strides;
};

// Interprets `pickle` (the bytes of data.pkl) whose top-level object must be a dict of
// string -> tensor; `source` names the file in errors. Checks each view stays inside its
// storage (offset + extent <= storage_numel, no negative strides, no overflow).
absl::StatusOr<std::vector<PickledTensor>> ParseStateDictPickle(absl::string_view pickle,
                                                                absl::string_view source);

// A legacy (pre-1.6, non-zip) torch.save file of a state_dict, e.g. torchvision's older
// download files: the tensors, and where each storage's raw data sits in the file.
struct LegacyStateDict {
  std::vector<PickledTensor> tensors;
  std::map<std::string, std::pair<uint64_t, uint64_t>> storages;  // key -> (offset, bytes).
};

// Interprets the whole legacy file `file`; every storage's bytes are checked to lie inside it.
absl::StatusOr<LegacyStateDict> ParseLegacyStateDict(absl::string_view file,
                                                     absl::string_view source);

}  // namespace genesis

#endif  // GENESIS_CORE_WEIGHTS_STATE_DICT_PICKLE_H_
