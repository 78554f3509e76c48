// NumPy .npy reader (format versions 1.0, 2.0 and 3.0), written here: no Python, no cnpy.
//
//   corpus {
//     reader {
//       type: "npy"
//       options { [type.googleapis.com/genesis.NpyReaderOptions] { modality: "MR" } }
//     }
//   }
//
// dtypes: bool, int8/uint8, int16/uint16, int32/uint32, int64/uint64, float32, float64, little
// or big endian, C or Fortran order. Axes: the LAST array axis is x (columns), then y (rows),
// then z (slices), so MRNet's uint8 (slices, 256, 256) exams are z = first axis:
//   1D (x) | 2D (y, x) -> one slice | 3D (z, y, x) | 4D (t, z, y, x) -> one volume per t.
// Spacing 1, origin 0, identity direction (.npy has no geometry).

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "core/file_util.h"
#include "core/image_reader.h"
#include "core/status_macros.h"
#include "plugins/reader/npy.pb.h"
#include "plugins/reader/reader_util.h"

namespace genesis {
namespace {

constexpr absl::string_view kMagic = "\x93NUMPY";

struct NpyHeader {
  bool big_endian = false;
  char kind = 0;  // 'b', 'i', 'u', 'f'
  int item_size = 0;
  bool fortran_order = false;
  std::vector<int64_t> shape;
  size_t data_offset = 0;
};

// The text after `'key':` in the header dict, up to the next top-level comma or '}'.
absl::StatusOr<std::string> DictValue(absl::string_view dict, absl::string_view key) {
  for (const char quote : {'\'', '"'}) {
    const std::string needle = absl::StrCat(std::string(1, quote), key, std::string(1, quote));
    const size_t at = dict.find(needle);
    if (at == absl::string_view::npos) continue;
    size_t pos = dict.find(':', at + needle.size());
    if (pos == absl::string_view::npos) break;
    ++pos;
    int depth = 0;
    size_t end = pos;
    for (; end < dict.size(); ++end) {
      const char c = dict[end];
      if (c == '(' || c == '[') ++depth;
      if (c == ')' || c == ']') --depth;
      if (depth == 0 && (c == ',' || c == '}')) break;
    }
    return std::string(absl::StripAsciiWhitespace(dict.substr(pos, end - pos)));
  }
  return absl::InvalidArgumentError(absl::StrCat("header has no '", key, "' entry"));
}

absl::StatusOr<NpyHeader> ParseHeader(absl::string_view bytes) {
  if (bytes.size() < 10 || bytes.substr(0, kMagic.size()) != kMagic) {
    return absl::InvalidArgumentError("not a .npy file (no \\x93NUMPY magic)");
  }
  const int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len = 0;
  size_t prefix = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) |
                 (static_cast<size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    prefix = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return absl::InvalidArgumentError("truncated .npy preamble");
    for (int i = 0; i < 4; ++i) {
      header_len |= static_cast<size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    }
    prefix = 12;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported .npy format version ", major, ".",
                     static_cast<int>(static_cast<unsigned char>(bytes[7]))));
  }
  if (prefix + header_len > bytes.size()) {
    return absl::DataLossError(absl::StrCat("truncated: header claims ", header_len,
                                            " bytes, file has ", bytes.size() - prefix));
  }
  const absl::string_view dict = bytes.substr(prefix, header_len);
  NpyHeader header;
  header.data_offset = prefix + header_len;

  GENESIS_ASSIGN_OR_RETURN(std::string descr, DictValue(dict, "descr"));
  if (descr.size() < 4 || (descr.front() != '\'' && descr.front() != '"')) {
    return absl::InvalidArgumentError(
        absl::StrCat("descr ", descr, " is not a simple dtype (structured arrays unsupported)"));
  }
  descr = descr.substr(1, descr.size() - 2);
  const char order = descr[0];
  if (order != '<' && order != '>' && order != '|' && order != '=') {
    return absl::InvalidArgumentError(absl::StrCat("descr '", descr, "': bad byte order"));
  }
  header.big_endian = order == '>';
  header.kind = descr[1];
  if (!absl::SimpleAtoi(descr.substr(2), &header.item_size)) {
    return absl::InvalidArgumentError(absl::StrCat("descr '", descr, "': bad item size"));
  }
  const bool ok_kind = (header.kind == 'b' && header.item_size == 1) ||
                       ((header.kind == 'i' || header.kind == 'u') &&
                        (header.item_size == 1 || header.item_size == 2 || header.item_size == 4 ||
                         header.item_size == 8)) ||
                       (header.kind == 'f' && (header.item_size == 4 || header.item_size == 8));
  if (!ok_kind) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dtype '", descr, "' unsupported (bool, int8..64, uint8..64, float32, float64)"));
  }

  GENESIS_ASSIGN_OR_RETURN(std::string fortran, DictValue(dict, "fortran_order"));
  if (fortran != "True" && fortran != "False") {
    return absl::InvalidArgumentError(absl::StrCat("fortran_order: bad value ", fortran));
  }
  header.fortran_order = fortran == "True";

  GENESIS_ASSIGN_OR_RETURN(std::string shape, DictValue(dict, "shape"));
  if (shape.size() < 2 || shape.front() != '(' || shape.back() != ')') {
    return absl::InvalidArgumentError(absl::StrCat("shape: bad value ", shape));
  }
  for (absl::string_view part :
       absl::StrSplit(shape.substr(1, shape.size() - 2), ',', absl::SkipWhitespace())) {
    int64_t n = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(part), &n) || n < 0) {
      return absl::InvalidArgumentError(absl::StrCat("shape: bad value ", shape));
    }
    header.shape.push_back(n);
  }
  if (header.shape.empty() || header.shape.size() > 4) {
    return absl::InvalidArgumentError(absl::StrCat(
        "shape ", shape, ": only 1 to 4 dimensions are supported (x | y,x | z,y,x | t,z,y,x)"));
  }
  return header;
}

float DecodeElement(const unsigned char* p, const NpyHeader& h) {
  unsigned char b[8];
  for (int i = 0; i < h.item_size; ++i) b[i] = p[h.big_endian ? h.item_size - 1 - i : i];
  switch (h.kind) {
    case 'b':
      return b[0] != 0 ? 1.0f : 0.0f;
    case 'u': {
      uint64_t v = 0;
      for (int i = 0; i < h.item_size; ++i) v |= static_cast<uint64_t>(b[i]) << (8 * i);
      return static_cast<float>(v);
    }
    case 'i': {
      uint64_t v = 0;
      for (int i = 0; i < h.item_size; ++i) v |= static_cast<uint64_t>(b[i]) << (8 * i);
      const int shift = 64 - 8 * h.item_size;
      return static_cast<float>(static_cast<int64_t>(v << shift) >> shift);
    }
    case 'f':
      if (h.item_size == 4) {
        float f;
        std::memcpy(&f, b, 4);
        return f;
      } else {
        double d;
        std::memcpy(&d, b, 8);
        return static_cast<float>(d);
      }
  }
  return 0.0f;
}

class NpyReader : public ImageReader {
 public:
  static absl::Status Validate(const NpyReaderOptions& options) {
    return reader_internal::ModalityOption(options.modality()).status();
  }
  explicit NpyReader(const NpyReaderOptions& options)
      : modality_(reader_internal::ModalityOption(options.modality()).value()) {}

  bool CanRead(const std::string& path) const override {
    return reader_internal::HasExtension(path, {".npy"});
  }

  absl::StatusOr<std::vector<Volume>> Read(const std::string& path) const override {
    GENESIS_RETURN_IF_ERROR(reader_internal::CheckRegularFile(path));
    GENESIS_ASSIGN_OR_RETURN(const std::string bytes, ReadFile(path));
    auto parsed = ParseHeader(bytes);
    if (!parsed.ok()) return Annotate(parsed.status(), path);
    const NpyHeader& h = *parsed;

    // Dims as (t, z, y, x), padded with leading 1s.
    int64_t dims[4] = {1, 1, 1, 1};
    const size_t nd = h.shape.size();
    for (size_t i = 0; i < nd; ++i) dims[4 - nd + i] = h.shape[i];
    // The header's shape is untrusted: its product (and byte count) must not overflow before
    // it is compared with the file's size.
    int64_t count = 1;
    int64_t need = 0;
    for (const int64_t d : dims) {
      if (__builtin_mul_overflow(count, d, &count)) {
        return reader_internal::FileError(
            path, absl::StrCat("shape (", absl::StrJoin(h.shape, ", "),
                               ") has more elements than fit in 64 bits"));
      }
    }
    if (count == 0) return reader_internal::FileError(path, "array has no elements");
    if (__builtin_mul_overflow(count, static_cast<int64_t>(h.item_size), &need)) {
      return reader_internal::FileError(
          path, absl::StrCat("shape (", absl::StrJoin(h.shape, ", "),
                             ") needs more bytes than fit in 64 bits"));
    }
    const uint64_t have = bytes.size() - h.data_offset;
    if (have < static_cast<uint64_t>(need)) {
      return absl::DataLossError(
          absl::StrCat(path, ": truncated: expected ", need, " bytes of array data, found ", have));
    }
    // Memory strides (in elements) of each of (t, z, y, x) for the array's order.
    int64_t stride[4];
    if (!h.fortran_order) {
      stride[3] = 1;
      for (int i = 2; i >= 0; --i) stride[i] = stride[i + 1] * dims[i + 1];
    } else {
      // Fortran order: the first array axis is fastest. Padding axes have size 1, so their
      // stride does not matter.
      int64_t s = 1;
      for (size_t i = 0; i < nd; ++i) {
        stride[4 - nd + i] = s;
        s *= h.shape[i];
      }
      for (size_t i = 0; i < 4 - nd; ++i) stride[i] = 0;
    }
    const auto* data = reinterpret_cast<const unsigned char*>(bytes.data()) + h.data_offset;
    const int bits = h.kind == 'f' ? 0 : h.kind == 'b' ? 1 : 8 * h.item_size;
    std::vector<Volume> volumes;
    for (int64_t t = 0; t < dims[0]; ++t) {
      Volume volume;
      volume.size = {dims[3], dims[2], dims[1]};
      volume.voxels.resize(dims[1] * dims[2] * dims[3]);
      int64_t out = 0;
      for (int64_t z = 0; z < dims[1]; ++z) {
        for (int64_t y = 0; y < dims[2]; ++y) {
          for (int64_t x = 0; x < dims[3]; ++x) {
            const int64_t at = t * stride[0] + z * stride[1] + y * stride[2] + x * stride[3];
            volume.voxels[out++] = DecodeElement(data + at * h.item_size, h);
          }
        }
      }
      volume.modality = modality_;
      volume.bits_stored = bits;
      volume.source = path;
      volumes.push_back(std::move(volume));
    }
    return volumes;
  }

 private:
  Modality modality_;
};

}  // namespace

GENESIS_REGISTER_IMAGE_READER(NpyReader, "npy", NpyReaderOptions,
                              "NumPy .npy (v1-v3; (z, y, x) axes; own parser)");

}  // namespace genesis
