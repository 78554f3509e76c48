#include "plugins/reader/itk_reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <limits>
#include <new>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "itkImageFileReader.h"
#include "itkMetaImageIO.h"
#include "metaImage.h"
#include "plugins/reader/itk_util.h"
#include "plugins/reader/reader_util.h"

namespace genesis {
namespace reader_internal {
namespace {

using Image4 = itk::Image<float, 4>;

// Refuses headers that promise absurd amounts of memory (corrupt files).
constexpr int64_t kMaxVoxels = int64_t{1} << 32;

std::string Trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// Reads up to `n` leading bytes of a file, transparently gunzipping (zlib reads plain files
// as they are). Sets *total to the full (uncompressed) length when `count_all`.
absl::Status ReadLeadingBytes(const std::string& path, size_t n, std::string* head, bool count_all,
                              int64_t* total) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  head->assign(n, '\0');
  int got = gzread(file, head->data(), static_cast<unsigned>(n));
  if (got < 0) {
    int code = 0;
    const std::string message = gzerror(file, &code);
    gzclose(file);
    return absl::DataLossError(absl::StrCat(path, ": corrupt or truncated: ", message));
  }
  head->resize(got);
  int64_t count = got;
  if (count_all) {
    std::vector<char> buffer(1 << 20);
    while (true) {
      const int r = gzread(file, buffer.data(), static_cast<unsigned>(buffer.size()));
      if (r < 0) {
        int code = 0;
        const std::string message = gzerror(file, &code);
        gzclose(file);
        return absl::DataLossError(absl::StrCat(path, ": corrupt or truncated: ", message));
      }
      if (r == 0) break;
      count += r;
    }
  }
  gzclose(file);
  if (total != nullptr) *total = count;
  return absl::OkStatus();
}

// Bytes a (possibly gzipped) file holds once uncompressed, or at least `need` of them. A
// gzip file's trailer stores the uncompressed size mod 2^32: when it matches `need` the
// stream is complete (a truncated file ends in compressed data instead), so only a
// mismatch (truncation, or a multi-member file) pays for a full decompression.
absl::StatusOr<int64_t> DataLength(const std::string& path, int64_t need) {
  GENESIS_ASSIGN_OR_RETURN(const int64_t size, FileSize(path));
  if (!HasMagic(path, 0, "\x1f\x8b")) return size;
  if (size >= 18) {
    std::ifstream in(path, std::ios::binary);
    in.seekg(size - 4);
    unsigned char isize[4] = {0, 0, 0, 0};
    in.read(reinterpret_cast<char*>(isize), 4);
    const uint32_t stored = uint32_t{isize[0]} | uint32_t{isize[1]} << 8 |
                            uint32_t{isize[2]} << 16 | uint32_t{isize[3]} << 24;
    if (in && stored == static_cast<uint32_t>(need)) return need;
  }
  std::string ignored;
  int64_t total = 0;
  GENESIS_RETURN_IF_ERROR(ReadLeadingBytes(path, 0, &ignored, true, &total));
  return total;
}

// Uncompressed bytes of the gzip stream starting at byte `offset` of `path`, counted up to
// `enough` (a truncated or corrupt stream counts what inflates before the damage).
absl::StatusOr<int64_t> GunzippedLength(const std::string& path, int64_t offset, int64_t enough) {
  const int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  if (lseek(fd, offset, SEEK_SET) != offset) {
    close(fd);
    return absl::DataLossError(absl::StrCat(path, ": cannot seek to byte ", offset));
  }
  gzFile file = gzdopen(fd, "rb");  // Takes over fd.
  if (file == nullptr) {
    close(fd);
    return absl::InternalError(absl::StrCat(path, ": zlib cannot read it"));
  }
  std::vector<char> buffer(1 << 20);
  int64_t count = 0;
  while (count < enough) {
    const int r = gzread(file, buffer.data(), static_cast<unsigned>(buffer.size()));
    if (r <= 0) break;
    count += r;
  }
  gzclose(file);
  return count;
}

// NRRD: the pixel data -- raw or gzip, after the header's blank line or in one detached
// "data file" -- must hold every voxel. ITK 5.2's NrrdImageIO, when the data ends early,
// throws without freeing its Nrrd struct and error text (LeakSanitizer finds it on every
// truncated file) and its message says little; checking first avoids both. Other encodings
// (text, hex, bzip2), "line skip" and multi-file layouts are left to ITK.
absl::Status CheckNrrdDataComplete(const std::string& path, itk::ImageIOBase& io) {
  std::ifstream in(path, std::ios::binary);
  std::string line, encoding = "raw", data_file;
  int64_t header_end = 0, byte_skip = 0;
  bool blank_line = false;
  while (std::getline(in, line)) {
    header_end += static_cast<int64_t>(line.size()) + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      blank_line = true;
      break;
    }
    if (line[0] == '#' || absl::StrContains(line, ":=")) continue;  // Comment, key/value pair.
    const size_t colon = line.find(": ");
    if (colon == std::string::npos) continue;
    std::string field = absl::AsciiStrToLower(absl::StripAsciiWhitespace(line.substr(0, colon)));
    field.erase(std::remove(field.begin(), field.end(), ' '), field.end());
    const std::string value(absl::StripAsciiWhitespace(line.substr(colon + 2)));
    if (field == "encoding") encoding = absl::AsciiStrToLower(value);
    if (field == "datafile") data_file = value;
    if (field == "lineskip" && value != "0") return absl::OkStatus();
    if (field == "byteskip" &&
        (!absl::SimpleAtoi(value, &byte_skip) || byte_skip < 0 || byte_skip > kMaxVoxels * 8)) {
      return absl::OkStatus();  // -1 (data at the end of the file) or absurd: ITK's call.
    }
  }
  const bool gzip = encoding == "gzip" || encoding == "gz";
  if ((encoding != "raw" && !gzip) || absl::StrContains(data_file, " ") ||
      absl::StartsWith(data_file, "LIST")) {
    return absl::OkStatus();
  }
  std::string data_path = path;
  int64_t offset = header_end;
  if (!data_file.empty()) {
    data_path = data_file.front() == '/'
                    ? data_file
                    : (std::filesystem::path(path).parent_path() / data_file).string();
    offset = 0;
    GENESIS_RETURN_IF_ERROR(CheckRegularFile(data_path));
  } else if (!blank_line) {
    return absl::OkStatus();  // No data in this file and none named: ITK reports it.
  }
  const int64_t need = static_cast<int64_t>(io.GetImageSizeInBytes());
  if (gzip) {
    // For compressed data the byte skip counts uncompressed bytes.
    GENESIS_ASSIGN_OR_RETURN(const int64_t have,
                             GunzippedLength(data_path, offset, byte_skip + need));
    if (have < byte_skip + need) {
      return absl::DataLossError(
          absl::StrCat(data_path, ": truncated or corrupt gzip data: ", byte_skip + need,
                       " bytes expected, ", have, " inflate"));
    }
    return absl::OkStatus();
  }
  GENESIS_ASSIGN_OR_RETURN(const int64_t size, FileSize(data_path));
  if (size - offset - byte_skip < need) {
    return absl::DataLossError(absl::StrCat(
        data_path, ": truncated: expected ", need, " bytes of pixel data after byte ",
        offset + byte_skip, ", found ", std::max<int64_t>(0, size - offset - byte_skip)));
  }
  return absl::OkStatus();
}

template <typename T>
T HeaderValue(const std::string& header, size_t offset, bool swap) {
  T value;
  unsigned char bytes[sizeof(T)];
  std::memcpy(bytes, header.data() + offset, sizeof(T));
  if (swap) std::reverse(bytes, bytes + sizeof(T));
  std::memcpy(&value, bytes, sizeof(T));
  return value;
}

// The NIfTI-1 / Analyze 7.5 header says how many bytes of voxels follow vox_offset; ITK's
// NiftiImageIO does not notice when the file ends early, so check it here. Returns the
// integer bit depth of the stored voxels (0 for floating point), which ITK hides when it
// applies scl_slope / scl_inter.
absl::StatusOr<int> CheckNiftiDataComplete(const std::string& path, NiftiFloatData* floats) {
  std::string header_path = path, data_path = path;
  const bool pair = HasExtension(path, {".hdr", ".img", ".hdr.gz", ".img.gz"});
  if (pair) {
    const bool gz = HasExtension(path, {".gz"});
    const std::string stem = path.substr(0, path.size() - (gz ? 7 : 4));
    header_path = stem + (gz ? ".hdr.gz" : ".hdr");
    data_path = stem + (gz ? ".img.gz" : ".img");
    GENESIS_RETURN_IF_ERROR(CheckRegularFile(header_path));
    GENESIS_RETURN_IF_ERROR(CheckRegularFile(data_path));
  }
  std::string header;
  int64_t header_file_total = 0;
  GENESIS_RETURN_IF_ERROR(ReadLeadingBytes(header_path, 348, &header, false, &header_file_total));
  if (header.size() < 348) {
    return absl::DataLossError(
        absl::StrCat(header_path, ": truncated header (", header.size(), " of 348 bytes)"));
  }
  const int32_t sizeof_hdr = HeaderValue<int32_t>(header, 0, false);
  bool swap = false;
  if (sizeof_hdr != 348) {
    if (HeaderValue<int32_t>(header, 0, true) != 348) {
      return FileError(header_path, "not a NIfTI-1/Analyze header (sizeof_hdr != 348)");
    }
    swap = true;
  }
  const int16_t ndim = HeaderValue<int16_t>(header, 40, swap);
  const int16_t datatype = HeaderValue<int16_t>(header, 70, swap);
  const int16_t bitpix = HeaderValue<int16_t>(header, 72, swap);
  const float vox_offset = HeaderValue<float>(header, 108, swap);
  int bits = 0;
  switch (datatype) {
    case 2:    // uint8
    case 256:  // int8
      bits = 8;
      break;
    case 4:    // int16
    case 512:  // uint16
      bits = 16;
      break;
    case 8:    // int32
    case 768:  // uint32
      bits = 32;
      break;
    default:
      bits = 0;
  }
  if (ndim < 1 || ndim > 7 || bitpix <= 0 || !(vox_offset >= 0)) return bits;
  int64_t voxels = 1;
  for (int d = 1; d <= ndim; ++d) {
    const int16_t n = HeaderValue<int16_t>(header, 40 + 2 * d, swap);
    if (n <= 0) return FileError(header_path, absl::StrCat("header: dim[", d, "] = ", n));
    if (__builtin_mul_overflow(voxels, static_cast<int64_t>(n), &voxels) || voxels > kMaxVoxels) {
      return FileError(header_path, absl::StrCat("header promises more than ", kMaxVoxels,
                                                 " voxels; corrupt header?"));
    }
  }
  if (!(vox_offset < 1e15f)) return FileError(header_path, "header: absurd vox_offset");
  const int64_t need = static_cast<int64_t>(vox_offset) + voxels * bitpix / 8;
  if ((datatype == 16 && bitpix == 32) || (datatype == 64 && bitpix == 64)) {
    *floats = {data_path, static_cast<int64_t>(vox_offset), voxels, datatype, swap};
  }
  GENESIS_ASSIGN_OR_RETURN(const int64_t have, DataLength(data_path, need));
  if (have < need) {
    return absl::DataLossError(absl::StrCat(data_path, ": truncated: expected ", need,
                                            " bytes (header + voxels), found ", have));
  }
  return bits;
}

// Indices of the NaN / Inf voxels of a floating-point NIfTI, in file order (= ITK's buffer
// order). ITK's NIfTI library silently replaces them by 0, which would hide them from the
// corpus' non-finite policy, so they are found in the raw bytes.
absl::StatusOr<std::vector<int64_t>> NonFiniteVoxels(const NiftiFloatData& f) {
  std::vector<int64_t> bad;
  if (f.datatype == 0) return bad;
  const int item = f.datatype == 16 ? 4 : 8;
  std::string bytes;
  int64_t total = 0;
  GENESIS_RETURN_IF_ERROR(ReadLeadingBytes(
      f.data_path, static_cast<size_t>(f.offset + f.voxels * item), &bytes, false, &total));
  if (static_cast<int64_t>(bytes.size()) < f.offset + f.voxels * item) return bad;
  const char* data = bytes.data() + f.offset;
  for (int64_t i = 0; i < f.voxels; ++i) {
    unsigned char b[8];
    std::memcpy(b, data + i * item, item);
    if (f.swap) std::reverse(b, b + item);
    double v;
    if (item == 4) {
      float x;
      std::memcpy(&x, b, 4);
      v = x;
    } else {
      std::memcpy(&v, b, 8);
    }
    if (!std::isfinite(v)) bad.push_back(i);
  }
  return bad;
}

// MetaImage: the separate (or LOCAL) uncompressed pixel data must hold every voxel.
absl::Status CheckMetaImageDataComplete(const std::string& path, itk::ImageIOBase& io) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  std::string data_file;
  bool compressed = false, header_size_given = false;
  int64_t header_end = 0;
  while (std::getline(in, line)) {
    header_end += static_cast<int64_t>(line.size()) + 1;
    const size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key(absl::StripAsciiWhitespace(line.substr(0, eq)));
    const std::string value(absl::StripAsciiWhitespace(line.substr(eq + 1)));
    if (key == "CompressedData") compressed = absl::EqualsIgnoreCase(value, "True");
    if (key == "HeaderSize") header_size_given = true;
    if (key == "ElementDataFile") {
      data_file = value;
      break;
    }
  }
  if (compressed || header_size_given || data_file.empty() || absl::StrContains(data_file, " ") ||
      absl::StartsWith(data_file, "LIST")) {
    return absl::OkStatus();  // Compressed / multi-file layouts: ITK checks those.
  }
  std::string data_path = path;
  int64_t offset = header_end;
  if (data_file != "LOCAL") {
    data_path = data_file.front() == '/'
                    ? data_file
                    : (std::filesystem::path(path).parent_path() / data_file).string();
    offset = 0;
    GENESIS_RETURN_IF_ERROR(CheckRegularFile(data_path));
  }
  GENESIS_ASSIGN_OR_RETURN(const int64_t size, FileSize(data_path));
  const int64_t need = offset + static_cast<int64_t>(io.GetImageSizeInBytes());
  if (size < need) {
    return absl::DataLossError(absl::StrCat(data_path, ": truncated: expected ", need,
                                            " bytes of pixel data, found ", size));
  }
  return absl::OkStatus();
}

// Uncompressed 3D scalar MetaImage whose voxels sit alone in one separate data file in the
// host's (little-endian) byte order -- LUNA16's .mhd/.raw: reads the voxels straight into the
// Volume. Geometry and type come from ITK's header parse (`io` after ReadImageInformation),
// so the result equals ITK's generic path, which converts through a 4D float image and costs
// ~10x more CPU on a 512x512x300 CT. Returns false (nothing read) for any other layout.
template <typename T>
absl::Status ReadRawVoxels(const std::string& data_path, int64_t count, Volume* volume) {
  std::FILE* file = std::fopen(data_path.c_str(), "rb");
  if (file == nullptr) return FileError(data_path, "cannot open");
  // A CT is hundreds of MB: ask for transparent huge pages before first touch (as numpy does
  // for large arrays) -- 4 KB page faults cost more than the conversion itself on VMs.
  volume->voxels.reserve(count);
  const uintptr_t begin = reinterpret_cast<uintptr_t>(volume->voxels.data());
  const uintptr_t huge = uintptr_t{1} << 21;
  const uintptr_t first = (begin + huge - 1) & ~(huge - 1);
  const uintptr_t last = (begin + count * sizeof(float)) & ~(huge - 1);
  if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
  volume->voxels.resize(count);
  constexpr int64_t kChunk = 1 << 20;
  std::vector<T> buffer(std::min(count, kChunk));
  for (int64_t done = 0; done < count;) {
    const int64_t n = std::min(kChunk, count - done);
    if (std::fread(buffer.data(), sizeof(T), n, file) != static_cast<size_t>(n)) {
      std::fclose(file);
      return absl::DataLossError(absl::StrCat(data_path, ": truncated: expected ",
                                              count * sizeof(T), " bytes of pixel data"));
    }
    float* out = volume->voxels.data() + done;
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(buffer[i]);
    done += n;
  }
  std::fclose(file);
  return absl::OkStatus();
}

absl::StatusOr<bool> ReadMetaImageFast(const std::string& path, itk::ImageIOBase& io,
                                       const ItkReadSettings& settings, int bits,
                                       std::vector<Volume>* volumes) {
  auto* meta_io = dynamic_cast<itk::MetaImageIO*>(&io);
  if (meta_io == nullptr || io.GetNumberOfDimensions() != 3 || io.GetNumberOfComponents() != 1) {
    return false;
  }
  const MetaImage* meta = meta_io->GetMetaImagePointer();
  const std::string data_file = meta->ElementDataFileName();
  if (meta->CompressedData() || meta->HeaderSize() != 0 || meta->BinaryDataByteOrderMSB() ||
      data_file.empty() || data_file == "LOCAL" || absl::StartsWith(data_file, "LIST") ||
      absl::StrContains(data_file, " ") || absl::StrContains(data_file, "%")) {
    return false;
  }
  Volume volume;
  for (int d = 0; d < 3; ++d) {
    volume.size[d] = static_cast<int64_t>(io.GetDimensions(d));
    volume.spacing[d] = io.GetSpacing(d);
    volume.origin[d] = io.GetOrigin(d);
    if (!(volume.spacing[d] > 0)) return false;  // ITK's reader repairs those: let it.
    const std::vector<double> axis = io.GetDirection(d);  // Column d of the direction matrix.
    if (axis.size() < 3) return false;
    for (int r = 0; r < 3; ++r) volume.direction[r * 3 + d] = axis[r];
  }
  const auto& m = volume.direction;
  const double det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) +
                     m[2] * (m[3] * m[7] - m[4] * m[6]);
  if (!(std::abs(det) > 1e-6)) return false;  // Degenerate direction: ITK's reader decides.
  const std::string data_path =
      data_file.front() == '/'
          ? data_file
          : (std::filesystem::path(path).parent_path() / data_file).string();
  const int64_t count = volume.num_voxels();
  absl::Status status;
  switch (io.GetComponentType()) {
    case itk::IOComponentEnum::SHORT:
      status = ReadRawVoxels<int16_t>(data_path, count, &volume);
      break;
    case itk::IOComponentEnum::USHORT:
      status = ReadRawVoxels<uint16_t>(data_path, count, &volume);
      break;
    case itk::IOComponentEnum::UCHAR:
      status = ReadRawVoxels<uint8_t>(data_path, count, &volume);
      break;
    case itk::IOComponentEnum::CHAR:
      status = ReadRawVoxels<int8_t>(data_path, count, &volume);
      break;
    case itk::IOComponentEnum::FLOAT:
      status = ReadRawVoxels<float>(data_path, count, &volume);
      break;
    default:
      return false;
  }
  GENESIS_RETURN_IF_ERROR(status);
  volume.modality = settings.modality;
  volume.bits_stored = bits;
  volume.source = path;
  volumes->push_back(std::move(volume));
  return true;
}

}  // namespace

absl::Status CheckNiftiData(const std::string& path, itk::ImageIOBase& io, ItkFileFacts* facts) {
  GENESIS_ASSIGN_OR_RETURN(facts->stored_bits, CheckNiftiDataComplete(path, &facts->nifti_floats));
  return absl::OkStatus();
}

absl::Status CheckMetaImageData(const std::string& path, itk::ImageIOBase& io,
                                ItkFileFacts* facts) {
  return CheckMetaImageDataComplete(path, io);
}

absl::Status CheckNrrdData(const std::string& path, itk::ImageIOBase& io, ItkFileFacts* facts) {
  return CheckNrrdDataComplete(path, io);
}

absl::StatusOr<bool> ReadMetaImageDirect(const std::string& path, itk::ImageIOBase& io,
                                         const ItkReadSettings& settings, int stored_bits,
                                         std::vector<Volume>* volumes) {
  return ReadMetaImageFast(path, io, settings, stored_bits, volumes);
}

absl::Status ValidateItkReaderOptions(int max_time_points, const std::string& modality) {
  if (max_time_points < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_time_points: must be >= 0 (0 = all), got ", max_time_points));
  }
  return ModalityOption(modality).status();
}

ItkReadSettings ItkReadSettingsFromOptions(int max_time_points, const std::string& modality) {
  ItkReadSettings settings;
  settings.max_time_points = max_time_points;
  settings.modality = ModalityOption(modality).value();
  return settings;
}

bool HasAnyExtension(const std::string& path, const std::vector<std::string>& extensions) {
  for (const std::string& extension : extensions) {
    if (HasExtension(path, {extension})) return true;
  }
  return false;
}

absl::StatusOr<std::vector<Volume>> ReadItkFile(const std::string& path,
                                                const ItkFileFormat& format,
                                                const ItkReadSettings& settings) {
  GENESIS_RETURN_IF_ERROR(CheckRegularFile(path));
  SilenceItkWarnings();
  const char* name = format.name.c_str();
  try {
    itk::ImageIOBase::Pointer io = format.new_io();
    if (!io->CanReadFile(path.c_str())) {
      return FileError(path,
                       absl::StrCat("not a readable ", name, " file (header not recognised)"));
    }
    io->SetFileName(path);
    io->ReadImageInformation();
    ItkFileFacts facts;
    facts.stored_bits = BitsOfComponent(io->GetComponentType());
    const absl::Status complete =
        format.check == nullptr ? absl::OkStatus() : format.check(path, *io, &facts);
    if (!complete.ok()) {
      // The problem may sit in the companion file (.img, .raw); name the file asked for too.
      return absl::StrContains(complete.message(), path) ? complete : Annotate(complete, path);
    }
    const unsigned dims = io->GetNumberOfDimensions();
    if (dims < 1 || dims > 4) {
      return FileError(
          path, absl::StrCat(name, " image has ", dims, " dimensions; only 1 to 4 are supported"));
    }
    int64_t voxels = 1;
    for (unsigned d = 0; d < dims; ++d) {
      const int64_t n = static_cast<int64_t>(io->GetDimensions(d));
      if (n <= 0) return FileError(path, absl::StrCat(name, " header: dimension ", d, " is 0"));
      voxels *= n;
      if (voxels > kMaxVoxels) {
        return FileError(path, absl::StrCat(name, " header promises more than ", kMaxVoxels,
                                            " voxels; corrupt header?"));
      }
    }
    const int bits = facts.stored_bits;
    if (format.direct_read != nullptr) {
      std::vector<Volume> volumes;
      GENESIS_ASSIGN_OR_RETURN(const bool fast,
                               format.direct_read(path, *io, settings, bits, &volumes));
      if (fast) return volumes;
    }

    auto reader = itk::ImageFileReader<Image4>::New();
    reader->SetImageIO(io);
    reader->SetFileName(path);
    reader->Update();
    const Image4* image = reader->GetOutput();
    const auto size = image->GetLargestPossibleRegion().GetSize();
    const int64_t plane = static_cast<int64_t>(size[0] * size[1] * size[2]);
    int64_t time_points = static_cast<int64_t>(size[3]);
    if (settings.max_time_points > 0) {
      time_points = std::min<int64_t>(time_points, settings.max_time_points);
    }
    GENESIS_ASSIGN_OR_RETURN(const std::vector<int64_t> non_finite,
                             NonFiniteVoxels(facts.nifti_floats));
    std::vector<Volume> volumes;
    volumes.reserve(time_points);
    for (int64_t t = 0; t < time_points; ++t) {
      Volume volume;
      for (int d = 0; d < 3; ++d) {
        volume.size[d] = static_cast<int64_t>(size[d]);
        volume.spacing[d] = image->GetSpacing()[d];
        volume.origin[d] = image->GetOrigin()[d];
        for (int c = 0; c < 3; ++c) volume.direction[d * 3 + c] = image->GetDirection()[d][c];
      }
      const float* begin = image->GetBufferPointer() + t * plane;
      volume.voxels.assign(begin, begin + plane);
      for (const int64_t i : non_finite) {  // Restore what ITK zeroed (see NonFiniteVoxels).
        if (i >= t * plane && i < (t + 1) * plane) {
          volume.voxels[i - t * plane] = std::numeric_limits<float>::quiet_NaN();
        }
      }
      volume.modality = settings.modality;
      volume.bits_stored = bits;
      volume.source = path;  // Time point t is the t-th volume returned for this file.
      volumes.push_back(std::move(volume));
    }
    return volumes;
  } catch (const itk::ExceptionObject& e) {
    return absl::DataLossError(
        absl::StrCat(path, ": cannot read as ", name, ": ", Trim(e.GetDescription())));
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(
        absl::StrCat(path, ": out of memory reading ", name, " (corrupt header?)"));
  } catch (const std::exception& e) {
    return absl::DataLossError(absl::StrCat(path, ": cannot read as ", name, ": ", e.what()));
  }
}

}  // namespace reader_internal
}  // namespace genesis
