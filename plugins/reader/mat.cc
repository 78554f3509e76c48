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
// Axes: MATLAB arrays are column-major (rows, cols, slices, frames) = (y, x, z, t), so
// x = column index, y = row index, z = third index, t = fourth (see time_mode); a 2D array
// is one slice. Cardiac MRI `sol_yxzt` (y, x, z, t) therefore maps directly. Integer, single
// and double arrays are read (logical as 0/1); complex, sparse, char and cell arrays are
// refused. Spacing 1, origin 0, identity direction (.mat has no geometry). MATLAB v4 files
// are refused. matio/HDF5 calls are serialised by one process-wide lock (serial HDF5).

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
#include "core/image_reader.h"
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

uint64_t NumElements(const matvar_t& var) {
  uint64_t n = 1;
  for (int i = 0; i < var.rank; ++i) n *= var.dims[i];
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

// Walks the top-level data elements of a v5 file (8-byte tag: type, byte count); libmatio
// happily returns partial data from a file cut short, so check every element fits.
absl::Status CheckMat5Complete(const std::string& path) {
  GENESIS_ASSIGN_OR_RETURN(const int64_t size, reader_internal::FileSize(path));
  std::ifstream in(path, std::ios::binary);
  char endian[2] = {0, 0};
  in.seekg(126);
  in.read(endian, 2);
  const bool swap = endian[0] == 'M' && endian[1] == 'I';
  int64_t offset = 128;
  while (offset < size) {
    if (offset + 8 > size) {
      return absl::DataLossError(
          absl::StrCat(path, ": truncated: partial element tag at byte ", offset));
    }
    unsigned char tag[8];
    in.seekg(offset);
    in.read(reinterpret_cast<char*>(tag), 8);
    auto u32 = [&](int at) {
      return swap ? (uint32_t{tag[at]} << 24 | uint32_t{tag[at + 1]} << 16 |
                     uint32_t{tag[at + 2]} << 8 | tag[at + 3])
                  : (uint32_t{tag[at + 3]} << 24 | uint32_t{tag[at + 2]} << 16 |
                     uint32_t{tag[at + 1]} << 8 | tag[at]);
    };
    const uint32_t type = u32(0);
    const uint32_t bytes = u32(4);
    constexpr uint32_t kCompressed = 15;
    int64_t next = offset + 8 + bytes;
    if (type != kCompressed) next = (next + 7) / 8 * 8;
    if (offset + 8 + static_cast<int64_t>(bytes) > size) {
      return absl::DataLossError(absl::StrCat(path, ": truncated: variable at byte ", offset,
                                              " needs ", bytes, " bytes, file has ",
                                              size - offset - 8));
    }
    offset = next;
  }
  return absl::OkStatus();
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
    GENESIS_RETURN_IF_ERROR(reader_internal::CheckRegularFile(path));
    std::lock_guard<std::mutex> lock(MatioMutex());
    return ReadLocked(path);
  }

 private:
  absl::StatusOr<std::vector<Volume>> ReadLocked(const std::string& path) const {
    InstallMatioLogger();
    last_matio_message.clear();
    MatFile mat(Mat_Open(path.c_str(), MAT_ACC_RDONLY));
    if (mat == nullptr) {
      return reader_internal::FileError(
          path, absl::StrCat("not a MATLAB .mat file libmatio can open", MatioDetail()));
    }
    const mat_ft version = Mat_GetVersion(mat.get());
    if (version != MAT_FT_MAT5 && version != MAT_FT_MAT73) {
      return reader_internal::FileError(path, "MATLAB v4 (or unknown) .mat files are unsupported");
    }
    if (version == MAT_FT_MAT5) GENESIS_RETURN_IF_ERROR(CheckMat5Complete(path));

    std::string variable = options_.variable();
    if (variable.empty()) {
      GENESIS_ASSIGN_OR_RETURN(variable, PickLargestArray(mat.get(), path));
    }
    std::vector<std::string> parts = absl::StrSplit(variable, '.');
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
    return ToVolumes(*var, variable, path);
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

  absl::StatusOr<std::vector<Volume>> ToVolumes(const matvar_t& var, const std::string& name,
                                                const std::string& path) const {
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
    if (n > kMaxElements || var.data == nullptr) {
      return absl::DataLossError(absl::StrCat(what, ": no data read", MatioDetail()));
    }
    const int64_t rows = var.dims[0], cols = var.dims[1];
    const int64_t slices = var.rank >= 3 ? var.dims[2] : 1;
    const int64_t frames = var.rank >= 4 ? var.dims[3] : 1;
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
      // Volume slice s of output v is MATLAB slab (v * slices_out + s) of Z*T slabs, because
      // z runs faster than t in column-major order.
      for (int64_t s = 0; s < slices_out; ++s) {
        const uint64_t slab = static_cast<uint64_t>(v * slices_out + s) * plane;
        float* out = volume.voxels.data() + s * plane;
        for (int64_t y = 0; y < rows; ++y) {
          for (int64_t x = 0; x < cols; ++x) {
            out[y * cols + x] = ElementAsFloat(var, slab + y + rows * x);
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
