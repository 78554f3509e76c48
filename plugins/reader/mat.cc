// MATLAB .mat reader (v5/v7, compressed or not, and v7.3 = HDF5) through Debian's libmatio.
//
//   corpus {
//     reader {
//       type: "mat"
//       options {
//         [type.googleapis.com/genesis.MatReaderOptions] {
//           variable: "cjdata.image"  time_mode: FRAMES_AS_SLICES  modality: "MR"
//         }
//       }
//     }
//   }
//
// Axes: MATLAB arrays are column-major (rows, cols, slices, frames) = (y, x, z, t), so by
// default x = column index, y = row index, z = third index, t = fourth (see time_mode); a 2D
// array is one slice. Cardiac MRI `sol_yxzt` (y, x, z, t) therefore maps directly.
//
// Read hints (core/read_hints.h), which the corpus passes per dataset record: `mat_variable`
// names the variable for that file (over `variable`), `axes` says what each array dimension
// is in MATLAB's order (e.g. "xyzt" for an array indexed (x, y, z, t)); dimensions it does not
// name, and trailing ones MATLAB dropped as singletons, have size 1. Integer, single
// and double arrays are read (logical as 0/1); complex, sparse, char and cell arrays are
// refused. Spacing 1, origin 0, identity direction (.mat has no geometry). MATLAB v4 files
// are refused. matio/HDF5 calls are serialised by one process-wide lock (serial HDF5).

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/file_util.h"
#include "core/image_reader.h"
#include "core/read_hints.h"
#include "core/status_macros.h"
#include "hdf5/serial/H5Epublic.h"
#include "matio.h"
#include "plugins/reader/mat.pb.h"
#include "plugins/reader/reader_util.h"

namespace genesis {
namespace {

constexpr uint64_t kMaxElements = uint64_t{1} << 32;

// matio reports problems through a global log function; keep the last message per thread.
thread_local std::string last_matio_message;

void MatioLog(int /*level*/, char* message) {
  if (message != nullptr) last_matio_message = message;
}

void InstallMatioLogger() {
  static std::once_flag once;
  std::call_once(once, [] {
    Mat_LogInitFunc("genesis", &MatioLog);
    // HDF5 would print its error stack for every broken v7.3 file; matio's message suffices.
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  });
}

// Debian's HDF5 is the serial (not thread-safe) build and matio keeps global state: every
// matio call in the process goes through this lock (the corpus reads files on many threads).
std::mutex& MatioMutex() {
  static std::mutex* const mutex = new std::mutex();
  return *mutex;
}

std::string MatioDetail() {
  if (last_matio_message.empty()) return "";
  return absl::StrCat(" (matio: ", last_matio_message, ")");
}

// Owns a mat_t / matvar_t.
struct MatCloser {
  void operator()(mat_t* mat) const { Mat_Close(mat); }
};
struct VarFreer {
  void operator()(matvar_t* var) const { Mat_VarFree(var); }
};
using MatFile = std::unique_ptr<mat_t, MatCloser>;
using MatVar = std::unique_ptr<matvar_t, VarFreer>;

bool IsNumericClass(matio_classes c) {
  switch (c) {
    case MAT_C_DOUBLE:
    case MAT_C_SINGLE:
    case MAT_C_INT8:
    case MAT_C_UINT8:
    case MAT_C_INT16:
    case MAT_C_UINT16:
    case MAT_C_INT32:
    case MAT_C_UINT32:
    case MAT_C_INT64:
    case MAT_C_UINT64:
      return true;
    default:
      return false;
  }
}

// The product of the header's dims; UINT64_MAX when it overflows (a corrupt header), so the
// kMaxElements check below rejects it instead of a wrapped small count indexing past the data.
uint64_t NumElements(const matvar_t& var) {
  uint64_t n = 1;
  for (int i = 0; i < var.rank; ++i) {
    if (__builtin_mul_overflow(n, static_cast<uint64_t>(var.dims[i]), &n)) return UINT64_MAX;
  }
  return n;
}

struct Candidate {
  std::string path;
  uint64_t elements = 0;
};

// Depth-first over 1x1 structs, collecting real non-logical numeric arrays.
void CollectCandidates(matvar_t* var, const std::string& path, std::vector<Candidate>* out) {
  if (var == nullptr) return;
  if (var->class_type == MAT_C_STRUCT) {
    const unsigned n = Mat_VarGetNumberOfFields(var);
    char* const* names = Mat_VarGetStructFieldnames(var);
    for (unsigned i = 0; i < n && names != nullptr; ++i) {
      matvar_t* field = Mat_VarGetStructFieldByName(var, names[i], 0);
      CollectCandidates(field, absl::StrCat(path, ".", names[i]), out);
    }
    return;
  }
  if (IsNumericClass(var->class_type) && !var->isLogical && !var->isComplex && var->rank >= 2) {
    out->push_back({path, NumElements(*var)});
  }
}

// Bytes the variable's header says its data occupies in memory, summed over struct fields
// and cell elements (saturating, as double). A corrupt header can claim terabytes.
double ClaimedBytes(const matvar_t* var, int depth = 0) {
  if (var == nullptr || depth > 16) return 0;
  double elements = 1;
  for (int i = 0; i < var->rank; ++i) elements *= static_cast<double>(var->dims[i]);
  double bytes = static_cast<double>(var->nbytes);
  if (var->class_type == MAT_C_STRUCT || var->class_type == MAT_C_CELL) {
    const double fields =
        var->class_type == MAT_C_STRUCT ? Mat_VarGetNumberOfFields(const_cast<matvar_t*>(var)) : 1;
    const double children = elements * fields;
    double sum = 0;
    if (var->data != nullptr && children < 1e6) {
      auto* const* items = static_cast<matvar_t* const*>(var->data);
      for (int64_t i = 0; i < static_cast<int64_t>(children); ++i) {
        sum += ClaimedBytes(items[i], depth + 1);
      }
    } else if (children >= 1e6) {
      sum = children * 64;  // Pointer arrays alone.
    }
    return std::max(bytes, sum);
  }
  return std::max(bytes, elements * static_cast<double>(Mat_SizeOfClass(var->class_type)));
}

float ElementAsFloat(const matvar_t& var, uint64_t i) {
  switch (var.class_type) {
    case MAT_C_DOUBLE:
      return static_cast<float>(static_cast<const double*>(var.data)[i]);
    case MAT_C_SINGLE:
      return static_cast<const float*>(var.data)[i];
    case MAT_C_INT8:
      return static_cast<const int8_t*>(var.data)[i];
    case MAT_C_UINT8:
      return static_cast<const uint8_t*>(var.data)[i];
    case MAT_C_INT16:
      return static_cast<const int16_t*>(var.data)[i];
    case MAT_C_UINT16:
      return static_cast<const uint16_t*>(var.data)[i];
    case MAT_C_INT32:
      return static_cast<float>(static_cast<const int32_t*>(var.data)[i]);
    case MAT_C_UINT32:
      return static_cast<float>(static_cast<const uint32_t*>(var.data)[i]);
    case MAT_C_INT64:
      return static_cast<float>(static_cast<const int64_t*>(var.data)[i]);
    case MAT_C_UINT64:
      return static_cast<float>(static_cast<const uint64_t*>(var.data)[i]);
    default:
      return 0.0f;
  }
}

int BitsOf(const matvar_t& var) {
  if (var.isLogical) return 1;
  switch (var.class_type) {
    case MAT_C_INT8:
    case MAT_C_UINT8:
      return 8;
    case MAT_C_INT16:
    case MAT_C_UINT16:
      return 16;
    case MAT_C_INT32:
    case MAT_C_UINT32:
      return 32;
    case MAT_C_INT64:
    case MAT_C_UINT64:
      return 64;
    default:
      return 0;
  }
}

// Checks a v5 file's structure before libmatio reads it: every top-level element fits in the
// file (libmatio returns partial data from a file cut short), compressed elements inflate
// cleanly, and every array's header is backed by bytes -- a corrupt dimension or field count
// would otherwise make libmatio allocate without bound.
class Mat5Checker {
 public:
  Mat5Checker(const std::string& path, bool swap) : path_(path), swap_(swap) {}

  absl::Status Check(const std::string& file) {
    size_t offset = 128;
    while (offset < file.size()) {
      Tag tag;
      if (!ReadTag(file, offset, file.size(), /*pad=*/true, &tag)) {
        return absl::DataLossError(absl::StrCat(path_, ": truncated: variable at byte ", offset,
                                                " does not fit in the file"));
      }
      constexpr uint32_t kCompressed = 15, kMatrix = 14;
      if (tag.type == kCompressed) {
        std::string inflated;
        GENESIS_RETURN_IF_ERROR(Inflate(file.substr(tag.data, tag.bytes), offset, &inflated));
        Tag inner;
        if (!ReadTag(inflated, 0, inflated.size(), true, &inner) || inner.type != kMatrix) {
          return Corrupt("compressed variable is not an array", offset);
        }
        GENESIS_RETURN_IF_ERROR(Matrix(inflated, inner.data, inner.data + inner.bytes, 0));
      } else if (tag.type == kMatrix) {
        GENESIS_RETURN_IF_ERROR(Matrix(file, tag.data, tag.data + tag.bytes, 0));
      }
      offset = tag.next;
    }
    return absl::OkStatus();
  }

 private:
  struct Tag {
    uint32_t type = 0, bytes = 0;
    size_t data = 0, next = 0;
  };

  absl::Status Corrupt(absl::string_view what, size_t at) const {
    return absl::DataLossError(
        absl::StrCat(path_, ": corrupt MAT-file: ", what, " (near byte ", at, ")"));
  }

  uint32_t U32(const std::string& b, size_t at) const {
    const auto* p = reinterpret_cast<const unsigned char*>(b.data()) + at;
    return swap_ ? (uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3])
                 : (uint32_t{p[3]} << 24 | uint32_t{p[2]} << 16 | uint32_t{p[1]} << 8 | p[0]);
  }

  // A data element tag at `at` (small or normal format) whose data lies within `end`.
  bool ReadTag(const std::string& b, size_t at, size_t end, bool pad, Tag* tag) const {
    if (at + 8 > end) return false;
    const uint32_t first = U32(b, at);
    if ((first >> 16) != 0) {  // Small data element: 2-byte size, 2-byte type, 4 bytes data.
      tag->type = first & 0xFFFF;
      tag->bytes = first >> 16;
      tag->data = at + 4;
      tag->next = at + 8;
      return tag->bytes <= 4;
    }
    tag->type = first;
    tag->bytes = U32(b, at + 4);
    tag->data = at + 8;
    if (tag->data + tag->bytes > end) return false;
    tag->next = tag->data + tag->bytes;
    if (pad && tag->type != 15) tag->next = std::min(end, (tag->next + 7) / 8 * 8);
    return true;
  }

  absl::Status Inflate(const std::string& in, size_t at, std::string* out) const {
    const size_t limit = std::max<size_t>(in.size() * 1100, 1 << 20);
    z_stream z{};
    if (inflateInit(&z) != Z_OK) return absl::InternalError("zlib inflateInit failed");
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    std::string buffer(1 << 16, '\0');
    int rc = Z_OK;
    while (rc == Z_OK) {
      z.next_out = reinterpret_cast<Bytef*>(buffer.data());
      z.avail_out = static_cast<uInt>(buffer.size());
      rc = inflate(&z, Z_NO_FLUSH);
      out->append(buffer.data(), buffer.size() - z.avail_out);
      if (out->size() > limit) rc = Z_MEM_ERROR;
      if (rc == Z_BUF_ERROR && z.avail_in == 0) break;
    }
    inflateEnd(&z);
    if (rc != Z_STREAM_END) {
      return Corrupt(absl::StrCat("compressed variable does not inflate (zlib ", rc, ")"), at);
    }
    return absl::OkStatus();
  }

  // The contents of one miMATRIX element, [begin, end) of `b`.
  absl::Status Matrix(const std::string& b, size_t begin, size_t end, int depth) const {
    if (begin == end) return absl::OkStatus();  // Empty array.
    if (depth > 16) return Corrupt("arrays nested too deeply", begin);
    Tag flags, dims, name;
    if (!ReadTag(b, begin, end, true, &flags) || flags.bytes != 8) {
      return Corrupt("bad array flags", begin);
    }
    const uint32_t matlab_class = U32(b, flags.data) & 0xFF;
    if (!ReadTag(b, flags.next, end, true, &dims) || dims.bytes < 8 || dims.bytes % 4 != 0) {
      return Corrupt("bad array dimensions", flags.next);
    }
    double elements = 1;
    for (size_t i = 0; i < dims.bytes / 4; ++i) {
      elements *= static_cast<double>(U32(b, dims.data + 4 * i));
    }
    if (!ReadTag(b, dims.next, end, true, &name)) return Corrupt("bad array name", dims.next);
    const double available = static_cast<double>(end - name.next);
    size_t pos = name.next;
    if (matlab_class == MAT_C_STRUCT || matlab_class == MAT_C_CELL) {
      double fields = 1;
      if (matlab_class == MAT_C_STRUCT) {
        Tag length, names;
        if (!ReadTag(b, pos, end, true, &length) || length.bytes != 4) {
          return Corrupt("bad struct field name length", pos);
        }
        const uint32_t name_length = U32(b, length.data);
        if (!ReadTag(b, length.next, end, true, &names) || name_length == 0 ||
            names.bytes % name_length != 0) {
          return Corrupt("bad struct field names", length.next);
        }
        fields = names.bytes / name_length;
        pos = names.next;
      }
      const double children = elements * fields;
      if (children * 8 > static_cast<double>(end - pos)) {
        return Corrupt(absl::StrCat("array claims ", children, " members in ", end - pos, " bytes"),
                       begin);
      }
      for (int64_t i = 0; i < static_cast<int64_t>(children); ++i) {
        Tag child;
        if (!ReadTag(b, pos, end, true, &child) || child.type != 14) {
          return Corrupt("bad struct field / cell element", pos);
        }
        GENESIS_RETURN_IF_ERROR(Matrix(b, child.data, child.data + child.bytes, depth + 1));
        pos = child.next;
      }
      return absl::OkStatus();
    }
    if (matlab_class >= MAT_C_CHAR && matlab_class <= MAT_C_UINT64 &&
        matlab_class != MAT_C_SPARSE && elements > available) {
      return Corrupt(absl::StrCat("array claims ", elements, " elements in ", available, " bytes"),
                     begin);
    }
    return absl::OkStatus();
  }

  const std::string& path_;
  bool swap_;
};

enum class MatLevel { kUnsupported, kV5, kV73 };

// The MAT-file level its 128-byte header declares: version 0x0100 (v5 / v7) or 0x0200 (v7.3,
// HDF5) at byte 124, in the byte order of the "IM" / "MI" indicator at byte 126. Checked
// before libmatio opens the file: for anything else Mat_Open tries the v4 format, whose
// header fields then come from arbitrary bytes -- it allocated and cleared gigabytes for one
// 500-byte file (tools/fuzz/mat_fuzzer) -- and Genesis refuses v4 files anyway.
absl::StatusOr<MatLevel> HeaderLevel(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char header[128];
  in.read(reinterpret_cast<char*>(header), sizeof(header));
  if (in.gcount() < static_cast<std::streamsize>(sizeof(header))) {
    return absl::DataLossError(absl::StrCat(path, ": truncated header (", in.gcount(),
                                            " bytes; a MAT-file header has 128)"));
  }
  uint16_t version = 0;
  if (header[126] == 'I' && header[127] == 'M') {
    version = static_cast<uint16_t>(header[124] | header[125] << 8);
  } else if (header[126] == 'M' && header[127] == 'I') {
    version = static_cast<uint16_t>(header[124] << 8 | header[125]);
  }
  if (version == 0x0100) return MatLevel::kV5;
  if (version == 0x0200) return MatLevel::kV73;
  return MatLevel::kUnsupported;
}

// MATLAB 7.3 files are HDF5 behind the 512-byte MATLAB userblock. libmatio opens any file whose
// MAT header says 7.3 and then lists no variables when HDF5 cannot read it, so a truncated
// download read as "no numeric array in the file". The HDF5 superblock is checked here: present
// (HDF5 looks for it at byte 512, 1024, 2048, ...; byte 0 holds the MAT header), and the file at
// least as long as its end-of-file address.
absl::Status CheckHdf5Complete(const std::string& path) {
  GENESIS_ASSIGN_OR_RETURN(const int64_t size, reader_internal::FileSize(path));
  std::ifstream in(path, std::ios::binary);
  static constexpr unsigned char kSignature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  for (int64_t at = 512; at + 8 <= size; at *= 2) {
    unsigned char block[64] = {0};
    in.clear();
    in.seekg(at);
    in.read(reinterpret_cast<char*>(block), sizeof(block));
    const int64_t got = in.gcount();
    if (got < 8 || !std::equal(kSignature, kSignature + 8, block)) continue;
    // Superblock versions 0/1: offsets size at byte 13, then base, free-space and end-of-file
    // addresses from byte 24 (28 in version 1); versions 2/3: offsets size at byte 9, then base,
    // extension and end-of-file addresses from byte 12.
    const int version = block[8];
    if (version > 3) {
      return reader_internal::FileError(
          path, absl::StrCat("HDF5 superblock version ", version, " at byte ", at, " is unknown"));
    }
    const int offset_size = version <= 1 ? block[13] : block[9];
    const int eof_at = (version <= 1 ? (version == 1 ? 28 : 24) : 12) + 2 * offset_size;
    if (offset_size != 4 && offset_size != 8) return absl::OkStatus();  // Left to HDF5.
    if (got < eof_at + offset_size) {
      return absl::DataLossError(
          absl::StrCat(path, ": truncated: the file ends inside its HDF5 superblock"));
    }
    uint64_t eof = 0;
    for (int i = offset_size - 1; i >= 0; --i) eof = eof << 8 | block[eof_at + i];
    const uint64_t undefined = offset_size == 8 ? ~uint64_t{0} : 0xffffffffu;
    if (eof != undefined && static_cast<uint64_t>(size) < eof) {
      return absl::DataLossError(absl::StrCat(path, ": truncated: its HDF5 data (MATLAB 7.3) ends "
                                              "at byte ", eof, ", the file has ", size, " bytes"));
    }
    return absl::OkStatus();
  }
  return absl::DataLossError(absl::StrCat(
      path, ": a MATLAB 7.3 header but no HDF5 superblock after it (no \\x89HDF signature at "
            "byte 512, 1024, ...): corrupt or truncated"));
}

absl::Status CheckMat5Complete(const std::string& path) {
  GENESIS_ASSIGN_OR_RETURN(const std::string file, ReadFile(path));
  if (file.size() < 128) return absl::DataLossError(absl::StrCat(path, ": truncated header"));
  const bool swap = file[126] == 'M' && file[127] == 'I';
  return Mat5Checker(path, swap).Check(file);
}

class MatReader : public ImageReader {
 public:
  static absl::Status Validate(const MatReaderOptions& options) {
    for (absl::string_view part : absl::StrSplit(options.variable(), '.')) {
      if (part.empty() && !options.variable().empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("variable: empty name in dotted path '", options.variable(), "'"));
      }
    }
    return reader_internal::ModalityOption(options.modality()).status();
  }

  explicit MatReader(const MatReaderOptions& options)
      : options_(options), modality_(reader_internal::ModalityOption(options.modality()).value()) {}

  bool CanRead(const std::string& path) const override {
    return reader_internal::HasExtension(path, {".mat"});
  }

  absl::StatusOr<std::vector<Volume>> Read(const std::string& path) const override {
    return ReadWithHints(path, ReadHints());
  }

  absl::StatusOr<std::vector<Volume>> ReadWithHints(const std::string& path,
                                                    const ReadHints& hints) const override {
    if (hints.mat_variable) {
      for (absl::string_view part : absl::StrSplit(*hints.mat_variable, '.')) {
        if (part.empty()) {
          return absl::InvalidArgumentError(
              absl::StrCat(path, ": read hint mat_variable: empty name in dotted path '",
                           *hints.mat_variable, "'"));
        }
      }
    }
    if (hints.axes) GENESIS_RETURN_IF_ERROR(Annotate(ValidateAxisOrder(*hints.axes), path));
    GENESIS_RETURN_IF_ERROR(reader_internal::CheckRegularFile(path));
    std::lock_guard<std::mutex> lock(MatioMutex());
    return ReadLocked(path, hints);
  }

 private:
  absl::StatusOr<std::vector<Volume>> ReadLocked(const std::string& path,
                                                 const ReadHints& hints) const {
    InstallMatioLogger();
    last_matio_message.clear();
    GENESIS_ASSIGN_OR_RETURN(const MatLevel level, HeaderLevel(path));
    if (level == MatLevel::kUnsupported) {
      return reader_internal::FileError(
          path,
          "not a MATLAB v5, v7 or v7.3 MAT-file (its 128-byte header does not declare version "
          "0x0100 or 0x0200; MATLAB v4 files are unsupported)");
    }
    // Genesis' own structure check first, so libmatio only parses v5 files it has vetted.
    if (level == MatLevel::kV5) GENESIS_RETURN_IF_ERROR(CheckMat5Complete(path));
    if (level == MatLevel::kV73) GENESIS_RETURN_IF_ERROR(CheckHdf5Complete(path));
    MatFile mat(Mat_Open(path.c_str(), MAT_ACC_RDONLY));
    if (mat == nullptr) {
      return reader_internal::FileError(
          path, absl::StrCat("not a MATLAB .mat file libmatio can open", MatioDetail()));
    }
    const mat_ft version = Mat_GetVersion(mat.get());
    if (version != (level == MatLevel::kV5 ? MAT_FT_MAT5 : MAT_FT_MAT73)) {
      return reader_internal::FileError(
          path, "libmatio reads another MAT-file version than its header declares");
    }

    std::string variable = hints.mat_variable.value_or(options_.variable());
    if (variable.empty()) {
      GENESIS_ASSIGN_OR_RETURN(variable, PickLargestArray(mat.get(), path));
    }
    std::vector<std::string> parts = absl::StrSplit(variable, '.');
    {
      // zlib / HDF5 deflate expand at most ~1032x: a header claiming more than that is corrupt,
      // and reading it could exhaust memory.
      MatVar info(Mat_VarReadInfo(mat.get(), parts[0].c_str()));
      GENESIS_ASSIGN_OR_RETURN(const int64_t file_size, reader_internal::FileSize(path));
      const double limit = 1100.0 * static_cast<double>(file_size) + (1 << 20);
      if (info != nullptr && ClaimedBytes(info.get()) > limit) {
        return absl::DataLossError(absl::StrCat(
            path, ": variable '", parts[0], "' claims ", ClaimedBytes(info.get()),
            " bytes of data, more than a ", file_size, "-byte file can hold (corrupt header)"));
      }
    }
    MatVar top(Mat_VarRead(mat.get(), parts[0].c_str()));
    if (top == nullptr) {
      return absl::NotFoundError(absl::StrCat(path, ": variable '", parts[0],
                                              "' not found or unreadable", MatioDetail(),
                                              "; variables: ", ListVariables(mat.get())));
    }
    matvar_t* var = top.get();
    for (size_t i = 1; i < parts.size(); ++i) {
      if (var->class_type != MAT_C_STRUCT) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": '", absl::StrJoin(parts.begin(), parts.begin() + i, "."),
                         "' is not a struct, cannot take field '", parts[i], "'"));
      }
      matvar_t* field = Mat_VarGetStructFieldByName(var, parts[i].c_str(), 0);
      if (field == nullptr) {
        return absl::NotFoundError(
            absl::StrCat(path, ": struct '", absl::StrJoin(parts.begin(), parts.begin() + i, "."),
                         "' has no field '", parts[i], "'"));
      }
      var = field;
    }
    return ToVolumes(
        *var, variable, path,
        hints.axes.value_or(AxisOrder{ImageAxis::kY, ImageAxis::kX, ImageAxis::kZ, ImageAxis::kT}));
  }

  static std::string ListVariables(mat_t* mat) {
    Mat_Rewind(mat);
    std::vector<std::string> names;
    while (true) {
      MatVar info(Mat_VarReadNextInfo(mat));
      if (info == nullptr) break;
      if (info->name != nullptr) names.push_back(info->name);
    }
    return names.empty() ? "(none)" : absl::StrJoin(names, ", ");
  }

  static absl::StatusOr<std::string> PickLargestArray(mat_t* mat, const std::string& path) {
    Mat_Rewind(mat);
    std::vector<Candidate> candidates;
    while (true) {
      MatVar info(Mat_VarReadNextInfo(mat));
      if (info == nullptr) break;
      if (info->name == nullptr) continue;
      CollectCandidates(info.get(), info->name, &candidates);
    }
    const Candidate* best = nullptr;
    for (const Candidate& c : candidates) {
      if (best == nullptr || c.elements > best->elements) best = &c;
    }
    if (best == nullptr) {
      return absl::NotFoundError(absl::StrCat(path, ": no numeric array in the file", MatioDetail(),
                                              "; variables: ", ListVariables(mat)));
    }
    return best->path;
  }

  // `axes`: what each of the array's dimensions is (only the first `rank` are used when no
  // hint is given: the MATLAB default (y, x, z, t)).
  absl::StatusOr<std::vector<Volume>> ToVolumes(const matvar_t& var, const std::string& name,
                                                const std::string& path, AxisOrder axes) const {
    const std::string what = absl::StrCat(path, ": variable '", name, "'");
    if (!IsNumericClass(var.class_type)) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " is not a numeric array (MATLAB class ", var.class_type, ")"));
    }
    if (var.isComplex) return absl::InvalidArgumentError(absl::StrCat(what, " is complex"));
    if (var.rank < 2 || var.rank > 4) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " has rank ", var.rank, "; expected 2 to 4 (y, x[, z[, t]])"));
    }
    const uint64_t n = NumElements(var);
    if (n == 0) return absl::InvalidArgumentError(absl::StrCat(what, " is empty"));
    if (n > kMaxElements) {
      return absl::DataLossError(
          absl::StrCat(what, " claims more than ", kMaxElements, " elements (corrupt header)"));
    }
    if (var.data == nullptr) {
      return absl::DataLossError(absl::StrCat(what, ": no data read", MatioDetail()));
    }
    if (axes.size() == 4 &&
        axes == AxisOrder{ImageAxis::kY, ImageAxis::kX, ImageAxis::kZ, ImageAxis::kT}) {
      axes.resize(var.rank);  // The default names as many dimensions as the array has.
    }
    if (var.rank > static_cast<int>(axes.size())) {
      return absl::InvalidArgumentError(absl::StrCat(what, " has rank ", var.rank,
                                                     " but the axes hint '", AxisOrderName(axes),
                                                     "' names ", axes.size(), " dimensions"));
    }
    // Size and element stride of each image axis (x, y, z, t) in the column-major array.
    int64_t size[4] = {1, 1, 1, 1};
    uint64_t stride[4] = {0, 0, 0, 0};
    uint64_t step = 1;
    for (size_t d = 0; d < axes.size(); ++d) {
      const int a = static_cast<int>(axes[d]);
      size[a] = d < static_cast<size_t>(var.rank) ? static_cast<int64_t>(var.dims[d]) : 1;
      stride[a] = step;
      step *= static_cast<uint64_t>(size[a]);
    }
    const int64_t cols = size[0], rows = size[1], slices = size[2], frames = size[3];
    const uint64_t sx = stride[0], sy = stride[1], sz = stride[2], st = stride[3];
    const int64_t plane = rows * cols;

    // Frames -> volumes according to time_mode.
    int64_t volumes_out = frames, slices_out = slices;
    if (options_.time_mode() == MatReaderOptions::FRAMES_AS_SLICES) {
      volumes_out = 1;
      slices_out = slices * frames;
    } else if (options_.time_mode() == MatReaderOptions::FIRST_FRAME) {
      volumes_out = 1;
    }
    std::vector<Volume> volumes;
    for (int64_t v = 0; v < volumes_out; ++v) {
      Volume volume;
      volume.size = {cols, rows, slices_out};
      volume.voxels.resize(plane * slices_out);
      // Volume slice s of output v is (z, t) number v * slices_out + s of the Z*T slices,
      // z running faster than t.
      for (int64_t s = 0; s < slices_out; ++s) {
        const int64_t zt = v * slices_out + s;
        const uint64_t slab =
            static_cast<uint64_t>(zt % slices) * sz + static_cast<uint64_t>(zt / slices) * st;
        float* out = volume.voxels.data() + s * plane;
        for (int64_t y = 0; y < rows; ++y) {
          for (int64_t x = 0; x < cols; ++x) {
            out[y * cols + x] = ElementAsFloat(var, slab + y * sy + x * sx);
          }
        }
      }
      volume.modality = modality_;
      volume.bits_stored = BitsOf(var);
      volume.source = path;
      volumes.push_back(std::move(volume));
    }
    return volumes;
  }

  MatReaderOptions options_;
  Modality modality_;
};

}  // namespace

GENESIS_REGISTER_IMAGE_READER(MatReader, "mat", MatReaderOptions,
                              "MATLAB .mat v5/v7.3 through libmatio ((y, x, z, t) arrays)");

}  // namespace genesis
