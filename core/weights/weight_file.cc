#include "core/weights/weight_file.h"

#include <ATen/ATen.h>
#include <caffe2/serialize/inline_container.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <new>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/file_util.h"
#include "core/status_macros.h"
#include "core/weights/state_dict_pickle.h"

namespace genesis {
namespace {

at::ScalarType ScalarTypeOf(StorageDtype dtype) {
  switch (dtype) {
    case StorageDtype::kFloat32:
      return at::kFloat;
    case StorageDtype::kFloat64:
      return at::kDouble;
    case StorageDtype::kFloat16:
      return at::kHalf;
    case StorageDtype::kBFloat16:
      return at::kBFloat16;
    case StorageDtype::kInt64:
      return at::kLong;
    case StorageDtype::kInt32:
      return at::kInt;
    case StorageDtype::kInt16:
      return at::kShort;
    case StorageDtype::kInt8:
      return at::kChar;
    case StorageDtype::kUInt8:
      return at::kByte;
    case StorageDtype::kBool:
      return at::kBool;
  }
  return at::kFloat;
}

constexpr char kResave[] =
    "re-save it in the zip format: python3 -c \"import torch; "
    "torch.save(torch.load('OLD', map_location='cpu'), 'NEW', "
    "_use_new_zipfile_serialization=True)\"";

absl::StatusOr<std::string> ReadPrefix(const std::string& path, size_t n) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open weight file"));
  std::string bytes(n, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(n));
  bytes.resize(static_cast<size_t>(in.gcount()));
  return bytes;
}

// The storage record `data/<key>` as a flat tensor of `numel` elements of `dtype`.
absl::StatusOr<at::Tensor> ReadStorage(caffe2::serialize::PyTorchStreamReader& reader,
                                       const std::string& path, const PickledTensor& t,
                                       uint64_t file_size) {
  const std::string record = absl::StrCat("data/", t.storage_key);
  const uint64_t bytes = static_cast<uint64_t>(t.storage_numel) * StorageDtypeSize(t.dtype);
  if (bytes > file_size) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": storage '", t.storage_key, "' of tensor '", t.name, "' claims ",
                     bytes, " bytes but the file has ", file_size, " (corrupt file?)"));
  }
  if (!reader.hasRecord(record)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": tensor '", t.name, "' refers to missing record ", record));
  }
  at::DataPtr data;
  size_t size = 0;
  std::tie(data, size) = reader.getRecord(record);
  if (size != bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": record ", record, " holds ", size, " bytes, tensor '", t.name, "' expects ",
        t.storage_numel, " x ", StorageDtypeName(t.dtype), " = ", bytes, " bytes (corrupt file?)"));
  }
  at::Tensor storage =
      at::empty({t.storage_numel}, at::TensorOptions().dtype(ScalarTypeOf(t.dtype)));
  if (bytes > 0) std::memcpy(storage.data_ptr(), data.get(), bytes);
  return storage;
}

// The tensors of `pickled`, each a compact copy of its view of the storage `read_storage`
// returns (read once per storage key).
absl::StatusOr<std::vector<NamedTensor>> BuildTensors(
    const std::string& path, const std::vector<PickledTensor>& pickled,
    const std::function<absl::StatusOr<at::Tensor>(const PickledTensor&)>& read_storage,
    const TensorFilter& wanted) {
  std::map<std::string, at::Tensor> storages;  // Views of one storage share it.
  std::vector<NamedTensor> tensors;
  for (const PickledTensor& t : pickled) {
    if (wanted && !wanted(t.name)) {
      // Shape and dtype only: a 0-d zero broadcast to the file's sizes, nothing read.
      at::Tensor stand_in =
          at::zeros({}, at::TensorOptions().dtype(ScalarTypeOf(t.dtype)))
              .expand(std::vector<int64_t>(t.sizes.begin(), t.sizes.end()));
      tensors.push_back({t.name, stand_in, /*has_data=*/false});
      continue;
    }
    auto it = storages.find(t.storage_key);
    if (it == storages.end()) {
      GENESIS_ASSIGN_OR_RETURN(at::Tensor storage, read_storage(t));
      it = storages.emplace(t.storage_key, storage).first;
    } else if (it->second.numel() != t.storage_numel ||
               it->second.scalar_type() != ScalarTypeOf(t.dtype)) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": storage '", t.storage_key, "' is pickled with two different types/sizes"));
    }
    at::Tensor view = it->second.as_strided(t.sizes, t.strides, t.storage_offset);
    tensors.push_back({t.name, view.clone(at::MemoryFormat::Contiguous)});
  }
  return tensors;
}

absl::StatusOr<std::vector<NamedTensor>> ReadLegacyStateDict(const std::string& path,
                                                              const TensorFilter& wanted) {
  GENESIS_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  GENESIS_ASSIGN_OR_RETURN(LegacyStateDict legacy, ParseLegacyStateDict(bytes, path));
  try {
    return BuildTensors(
        path, legacy.tensors, [&](const PickledTensor& t) -> absl::StatusOr<at::Tensor> {
          const auto [offset, size] = legacy.storages.at(t.storage_key);
          at::Tensor storage =
              at::empty({t.storage_numel}, at::TensorOptions().dtype(ScalarTypeOf(t.dtype)));
          if (size > 0) std::memcpy(storage.data_ptr(), bytes.data() + offset, size);
          return storage;
        },
        wanted);
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", e.what_without_backtrace()));
  }
}

}  // namespace

absl::StatusOr<std::vector<NamedTensor>> ReadStateDictZip(const std::string& path,
                                                          const TensorFilter& wanted) {
  std::error_code ec;
  const uint64_t file_size = std::filesystem::file_size(path, ec);
  if (ec) return absl::NotFoundError(absl::StrCat(path, ": ", ec.message()));
  try {
    caffe2::serialize::PyTorchStreamReader reader(path);
    if (!reader.hasRecord("data.pkl")) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": zip archive without data.pkl: not a torch.save file"));
    }
    at::DataPtr pickle;
    size_t pickle_size = 0;
    std::tie(pickle, pickle_size) = reader.getRecord("data.pkl");
    GENESIS_ASSIGN_OR_RETURN(
        std::vector<PickledTensor> pickled,
        ParseStateDictPickle(absl::string_view(static_cast<const char*>(pickle.get()), pickle_size),
                             path));
    return BuildTensors(
        path, pickled,
        [&](const PickledTensor& t) { return ReadStorage(reader, path, t, file_size); }, wanted);
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": unreadable zip archive: ", e.what_without_backtrace()));
  } catch (const std::bad_alloc&) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": a record claims more memory than available (corrupt file?)"));
  }
}

absl::StatusOr<WeightFile> ReadWeightFile(const std::string& path, const TensorFilter& wanted) {
  GENESIS_ASSIGN_OR_RETURN(std::string head, ReadPrefix(path, 4));
  if (head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0x80) {
    WeightFile file;
    file.path = path;
    file.format = "legacy_state_dict";
    auto tensors = ReadLegacyStateDict(path, wanted);
    if (!tensors.ok()) {
      return absl::Status(
          tensors.status().code(),
          absl::StrCat(tensors.status().message(), "; if the file is intact, ", kResave));
    }
    file.tensors = std::move(tensors).value();
    return file;
  }
  if (head != std::string("PK\x03\x04", 4)) {
    return absl::InvalidArgumentError(absl::StrCat(
        path,
        ": not a PyTorch weight file (expected a zip archive: a torch.save state_dict, "
        "a TorchScript module or a Genesis export)"));
  }
  bool torchscript = false;
  try {
    caffe2::serialize::PyTorchStreamReader reader(path);
    torchscript = reader.hasRecord("constants.pkl");
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": unreadable zip archive: ", e.what_without_backtrace()));
  }
  if (torchscript) return ReadTorchScriptWeights(path);
  WeightFile file;
  file.path = path;
  file.format = "state_dict";
  GENESIS_ASSIGN_OR_RETURN(file.tensors, ReadStateDictZip(path, wanted));
  return file;
}

}  // namespace genesis
