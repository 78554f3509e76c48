// Fuzzes the .pth unpickler (core/weights/state_dict_pickle.cc): data.pkl of zip-format
// torch.save files (ParseStateDictPickle) and whole legacy torch.save files
// (ParseLegacyStateDict), both on the same bytes. The zip container itself is LibTorch's
// (caffe2::serialize), not Genesis' parser, and is not fuzzed here.
// Properties: errors name the file; every accepted tensor view lies inside its storage; every
// legacy storage lies inside the file.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/weights/state_dict_pickle.h"
#include "tools/fuzz/fuzz_util.h"

namespace genesis {
namespace {

constexpr absl::string_view kSource = "fuzz.pth";

// Highest element index the view reads, recomputed in 128 bits (no overflow to miss).
void RequireViewInside(const PickledTensor& t) {
  if (t.sizes.size() != t.strides.size()) fuzz::Fail(absl::StrCat(t.name, ": sizes vs strides"));
  __int128 last = t.storage_offset;
  bool empty = false;
  for (size_t d = 0; d < t.sizes.size(); ++d) {
    if (t.sizes[d] < 0 || t.strides[d] < 0) fuzz::Fail(absl::StrCat(t.name, ": negative dim"));
    if (t.sizes[d] == 0) empty = true;
    if (t.sizes[d] > 0) last += static_cast<__int128>(t.sizes[d] - 1) * t.strides[d];
  }
  if (t.storage_offset < 0) fuzz::Fail(absl::StrCat(t.name, ": negative storage offset"));
  if (!empty && last >= t.storage_numel) {
    fuzz::Fail(absl::StrCat(t.name, ": view reads past its storage of ", t.storage_numel));
  }
}

}  // namespace
}  // namespace genesis

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace genesis;  // NOLINT: a fuzz entry point outside the namespace.
  const absl::string_view bytes = fuzz::Bytes(data, size);

  absl::StatusOr<std::vector<PickledTensor>> tensors = ParseStateDictPickle(bytes, kSource);
  if (tensors.ok()) {
    for (const PickledTensor& t : *tensors) RequireViewInside(t);
  } else {
    fuzz::RequireNamesFile(tensors.status(), kSource);
  }

  absl::StatusOr<LegacyStateDict> legacy = ParseLegacyStateDict(bytes, kSource);
  if (!legacy.ok()) {
    fuzz::RequireNamesFile(legacy.status(), kSource);
    return 0;
  }
  for (const PickledTensor& t : legacy->tensors) {
    RequireViewInside(t);
    auto storage = legacy->storages.find(t.storage_key);
    if (storage == legacy->storages.end()) fuzz::Fail(absl::StrCat(t.name, ": no storage"));
    const auto [offset, length] = storage->second;
    if (offset > size || length > size - offset ||
        length != static_cast<uint64_t>(t.storage_numel) * StorageDtypeSize(t.dtype)) {
      fuzz::Fail(absl::StrCat(t.name, ": storage bytes [", offset, ", +", length, ") do not fit a ",
                              size, "-byte file"));
    }
  }
  return 0;
}
