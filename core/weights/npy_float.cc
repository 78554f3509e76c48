#include "core/weights/npy_float.h"

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "core/file_util.h"
#include "core/status_macros.h"

namespace genesis {
namespace {

// The text after 'key': in the header dict, up to the next top-level ',' or '}'.
std::string DictValue(absl::string_view dict, absl::string_view key) {
  const size_t at = dict.find(absl::StrCat("'", key, "'"));
  if (at == absl::string_view::npos) return "";
  size_t pos = dict.find(':', at);
  if (pos == absl::string_view::npos) return "";
  int depth = 0;
  size_t end = ++pos;
  for (; end < dict.size(); ++end) {
    const char c = dict[end];
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (depth == 0 && (c == ',' || c == '}')) break;
  }
  return std::string(absl::StripAsciiWhitespace(dict.substr(pos, end - pos)));
}

}  // namespace

absl::StatusOr<NpyArray> ReadNpyFloat32(const std::string& path) {
  GENESIS_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  auto error = [&](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
  };
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) {
    return error("not a .npy file (no \\x93NUMPY magic)");
  }
  const int major = static_cast<unsigned char>(bytes[6]);
  if (major < 1 || major > 3) return error(absl::StrCat("unsupported .npy version ", major));
  const size_t prefix = major == 1 ? 10 : 12;
  if (bytes.size() < prefix) return error("truncated .npy preamble");
  size_t header_len = 0;
  for (size_t i = 8; i < prefix; ++i) {
    header_len |= static_cast<size_t>(static_cast<unsigned char>(bytes[i])) << (8 * (i - 8));
  }
  if (header_len > bytes.size() - prefix) return error("truncated .npy header");
  const absl::string_view dict = absl::string_view(bytes).substr(prefix, header_len);
  const std::string descr = DictValue(dict, "descr");
  int item_size = 0;
  if (descr == "'<f4'") {
    item_size = 4;
  } else if (descr == "'<f8'") {
    item_size = 8;
  } else {
    return error(absl::StrCat("dtype ", descr,
                              " unsupported; expected float32 ('<f4') or "
                              "float64 ('<f8'), e.g. x.astype(numpy.float32)"));
  }
  if (DictValue(dict, "fortran_order") != "False") {
    return error("Fortran-order arrays unsupported; save numpy.ascontiguousarray(x)");
  }
  const std::string shape = DictValue(dict, "shape");
  if (shape.size() < 2 || shape.front() != '(' || shape.back() != ')') {
    return error(absl::StrCat("bad shape ", shape));
  }
  NpyArray array;
  uint64_t count = 1;
  for (absl::string_view part : absl::StrSplit(absl::string_view(shape).substr(1, shape.size() - 2),
                                               ',', absl::SkipWhitespace())) {
    int64_t n = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(part), &n) || n < 0 ||
        (n > 0 && count > (uint64_t{1} << 40) / static_cast<uint64_t>(n))) {
      return error(absl::StrCat("bad shape ", shape));
    }
    array.shape.push_back(n);
    count *= static_cast<uint64_t>(n);
  }
  const size_t offset = prefix + header_len;
  if (bytes.size() - offset != count * item_size) {
    return error(absl::StrCat("shape ", shape, " needs ", count * item_size,
                              " data bytes, the file has ", bytes.size() - offset));
  }
  array.data.resize(count);
  if (item_size == 4) {
    std::memcpy(array.data.data(), bytes.data() + offset, count * 4);
  } else {
    for (uint64_t i = 0; i < count; ++i) {
      double v;
      std::memcpy(&v, bytes.data() + offset + 8 * i, 8);
      array.data[i] = static_cast<float>(v);
    }
  }
  return array;
}

absl::Status WriteNpyFloat32(const std::string& path, const NpyArray& array) {
  std::string shape = absl::StrJoin(array.shape, ", ");
  if (array.shape.size() == 1) shape += ",";
  std::string header =
      absl::StrCat("{'descr': '<f4', 'fortran_order': False, 'shape': (", shape, "), }");
  const size_t unpadded = 10 + header.size() + 1;  // + '\n'
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::string bytes = "\x93NUMPY";
  bytes += '\x01';
  bytes += '\x00';
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>((header.size() >> 8) & 0xff);
  bytes += header;
  bytes.append(reinterpret_cast<const char*>(array.data.data()), array.data.size() * 4);
  return WriteFileAtomically(path, bytes);
}

}  // namespace genesis
