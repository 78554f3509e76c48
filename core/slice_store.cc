#include "core/slice_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/csv.h"
#include "core/file_util.h"
#include "core/status_macros.h"

namespace genesis {
namespace {

namespace fs = std::filesystem;

constexpr char kIndexFile[] = "index.csv";
constexpr char kPartialIndexFile[] = "index.csv.partial";
constexpr char kInfoFile[] = "store_info.txt";
constexpr char kFormatLine[] = "format genesis_slice_store 1";
// Values this far outside [0,1] are clamped silently in uint16 stores (float rounding).
constexpr float kClampTolerance = 1e-3f;

const std::vector<std::string>& IndexHeader() {
  static const auto* header = new std::vector<std::string>{
      "split",  "position",    "dataset",   "patient_id", "modality", "slice_index", "width",
      "height", "bits_stored", "spacing_x", "spacing_y",  "shard",    "offset",      "checksum"};
  return *header;
}

std::string ShardName(int split, int32_t shard) {
  return absl::StrFormat("%s-%05d.bin", SplitName(static_cast<Split>(split)), shard);
}

size_t BytesPerPixel(StorePixelType type) { return type == StorePixelType::kUint16 ? 2 : 4; }

absl::string_view PixelTypeName(StorePixelType type) {
  return type == StorePixelType::kUint16 ? "uint16" : "float32";
}

absl::StatusOr<StorePixelType> ParsePixelType(absl::string_view name) {
  if (name == "uint16") return StorePixelType::kUint16;
  if (name == "float32") return StorePixelType::kFloat32;
  return absl::InvalidArgumentError(
      absl::StrCat("pixel_type: must be \"uint16\" or \"float32\", got \"", name, "\""));
}

std::string Describe(const Slice& slice) {
  return absl::StrCat(slice.dataset, "/", slice.patient_id, " slice ", slice.slice_index);
}

}  // namespace

absl::string_view SplitName(Split split) {
  switch (split) {
    case Split::kTrain:
      return "train";
    case Split::kVal:
      return "val";
    case Split::kTest:
      return "test";
  }
  return "unknown";
}

absl::StatusOr<Split> ParseSplit(absl::string_view name) {
  if (name == "train") return Split::kTrain;
  if (name == "val") return Split::kVal;
  if (name == "test") return Split::kTest;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown split '", name, "'; expected train, val or test"));
}

uint32_t Crc32(const void* data, size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto* bytes = static_cast<const Bytef*>(data);
  while (size > 0) {  // zlib takes uInt lengths.
    const uInt chunk = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
    crc = crc32(crc, bytes, chunk);
    bytes += chunk;
    size -= chunk;
  }
  return static_cast<uint32_t>(crc);
}

// ---------------------------------------------------------------------------------------------
// Writer.

absl::Status SliceStoreWriter::Validate(const SliceStoreOptions& options) {
  if (options.slices_per_shard() < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("slices_per_shard: must be >= 1, got ", options.slices_per_shard()));
  }
  return ParsePixelType(options.pixel_type()).status();
}

absl::StatusOr<std::unique_ptr<SliceStoreWriter>> SliceStoreWriter::Create(
    const std::string& dir, const SliceStoreOptions& options) {
  GENESIS_RETURN_IF_ERROR(Annotate(Validate(options), "slice store options"));
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat(dir, ": cannot create slice store folder: ", ec.message()));
  }
  if (fs::exists(fs::path(dir) / kIndexFile)) {
    return absl::AlreadyExistsError(
        absl::StrCat(dir, ": already holds a slice store (index.csv); remove it first"));
  }
  std::unique_ptr<SliceStoreWriter> writer(new SliceStoreWriter());
  writer->dir_ = dir;
  writer->options_ = options;
  writer->pixel_type_ = *ParsePixelType(options.pixel_type());
  const std::string index_path = (fs::path(dir) / kPartialIndexFile).string();
  writer->index_ = std::fopen(index_path.c_str(), "wb");
  if (writer->index_ == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat(index_path, ": cannot write: ", std::strerror(errno)));
  }
  const std::string header = CsvLine(IndexHeader());
  std::fwrite(header.data(), 1, header.size(), writer->index_);
  return writer;
}

SliceStoreWriter::~SliceStoreWriter() {
  for (std::FILE*& f : shard_files_) {
    if (f != nullptr) std::fclose(f);
  }
  if (index_ != nullptr) std::fclose(index_);
}

absl::Status SliceStoreWriter::OpenShard(int split) {
  const int32_t number = ++shard_numbers_[split];
  const std::string path = (fs::path(dir_) / ShardName(split, number)).string();
  shard_files_[split] = std::fopen(path.c_str(), "wb");
  if (shard_files_[split] == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat(path, ": cannot write shard: ", std::strerror(errno)));
  }
  shard_fill_[split] = 0;
  shard_offset_[split] = 0;
  return absl::OkStatus();
}

absl::Status SliceStoreWriter::CloseShard(int split) {
  std::FILE* f = shard_files_[split];
  if (f == nullptr) return absl::OkStatus();
  shard_files_[split] = nullptr;
  const bool ok = std::fflush(f) == 0 && fsync(fileno(f)) == 0;
  const bool closed = std::fclose(f) == 0;
  if (!ok || !closed) {
    return absl::DataLossError(
        absl::StrCat((fs::path(dir_) / ShardName(split, shard_numbers_[split])).string(),
                     ": write failed: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status SliceStoreWriter::Add(const Slice& slice, Split split_enum) {
  if (finished_) return absl::FailedPreconditionError(absl::StrCat(dir_, ": store finished"));
  const int split = static_cast<int>(split_enum);
  if (split < 0 || split >= kNumSplits) {
    return absl::InvalidArgumentError(absl::StrCat("invalid split ", split));
  }
  if (slice.width <= 0 || slice.height <= 0 ||
      static_cast<int64_t>(slice.pixels.size()) != slice.width * slice.height) {
    return absl::InvalidArgumentError(absl::StrCat(Describe(slice), ": bad slice shape ",
                                                   slice.width, "x", slice.height, " with ",
                                                   slice.pixels.size(), " pixels"));
  }
  const size_t n = slice.pixels.size();
  buffer_.resize(n * BytesPerPixel(pixel_type_));
  if (pixel_type_ == StorePixelType::kUint16) {
    auto* out = reinterpret_cast<uint16_t*>(buffer_.data());
    for (size_t i = 0; i < n; ++i) {
      float v = slice.pixels[i];
      if (!(v >= -kClampTolerance && v <= 1.0f + kClampTolerance)) {
        return absl::InvalidArgumentError(absl::StrCat(
            Describe(slice), ": pixel ", i, " is ", v,
            "; a uint16 store needs values in [0,1] (normalise first, or use pixel_type "
            "\"float32\")"));
      }
      v = std::min(1.0f, std::max(0.0f, v));
      out[i] = static_cast<uint16_t>(std::lround(v * 65535.0f));
    }
  } else {
    for (size_t i = 0; i < n; ++i) {
      if (!std::isfinite(slice.pixels[i])) {
        return absl::InvalidArgumentError(
            absl::StrCat(Describe(slice), ": pixel ", i, " is not finite"));
      }
    }
    std::memcpy(buffer_.data(), slice.pixels.data(), buffer_.size());
  }
  if (shard_files_[split] == nullptr || shard_fill_[split] >= options_.slices_per_shard()) {
    GENESIS_RETURN_IF_ERROR(CloseShard(split));
    GENESIS_RETURN_IF_ERROR(OpenShard(split));
  }
  if (std::fwrite(buffer_.data(), 1, buffer_.size(), shard_files_[split]) != buffer_.size()) {
    return absl::DataLossError(
        absl::StrCat((fs::path(dir_) / ShardName(split, shard_numbers_[split])).string(),
                     ": write failed: ", std::strerror(errno)));
  }
  const uint32_t checksum = Crc32(buffer_.data(), buffer_.size());
  const std::string row = CsvLine(
      {std::string(SplitName(split_enum)), absl::StrCat(counts_[split]), slice.dataset,
       slice.patient_id, std::string(ModalityName(slice.modality)), absl::StrCat(slice.slice_index),
       absl::StrCat(slice.width), absl::StrCat(slice.height), absl::StrCat(slice.bits_stored),
       absl::StrCat(slice.spacing[0]), absl::StrCat(slice.spacing[1]),
       absl::StrCat(shard_numbers_[split]), absl::StrCat(shard_offset_[split]),
       absl::StrCat(checksum)});
  if (std::fwrite(row.data(), 1, row.size(), index_) != row.size()) {
    return absl::DataLossError(
        absl::StrCat(dir_, "/", kPartialIndexFile, ": write failed: ", std::strerror(errno)));
  }
  shard_offset_[split] += static_cast<int64_t>(buffer_.size());
  ++shard_fill_[split];
  ++counts_[split];
  return absl::OkStatus();
}

absl::Status SliceStoreWriter::Finish() {
  if (finished_) return absl::FailedPreconditionError(absl::StrCat(dir_, ": store finished"));
  finished_ = true;
  for (int s = 0; s < kNumSplits; ++s) GENESIS_RETURN_IF_ERROR(CloseShard(s));
  const std::string partial = (fs::path(dir_) / kPartialIndexFile).string();
  const bool ok = std::fflush(index_) == 0 && fsync(fileno(index_)) == 0;
  const bool closed = std::fclose(index_) == 0;
  index_ = nullptr;
  if (!ok || !closed) {
    return absl::DataLossError(absl::StrCat(partial, ": write failed: ", std::strerror(errno)));
  }
  std::string info = absl::StrCat(kFormatLine, "\npixel_type ", PixelTypeName(pixel_type_),
                                  "\nslices_per_shard ", options_.slices_per_shard(), "\n");
  for (int s = 0; s < kNumSplits; ++s) {
    absl::StrAppend(&info, SplitName(static_cast<Split>(s)), " ", counts_[s], "\n");
  }
  GENESIS_RETURN_IF_ERROR(WriteFileAtomically((fs::path(dir_) / kInfoFile).string(), info));
  const std::string index = (fs::path(dir_) / kIndexFile).string();
  if (std::rename(partial.c_str(), index.c_str()) != 0) {
    return absl::DataLossError(
        absl::StrCat(index, ": cannot publish index: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Reader.

absl::StatusOr<std::unique_ptr<SliceStoreReader>> SliceStoreReader::Open(const std::string& dir) {
  std::unique_ptr<SliceStoreReader> reader(new SliceStoreReader());
  reader->dir_ = dir;
  const std::string info_path = (fs::path(dir) / kInfoFile).string();
  const std::string index_path = (fs::path(dir) / kIndexFile).string();
  if (!fs::exists(index_path)) {
    return absl::NotFoundError(absl::StrCat(
        dir, ": no slice store here (index.csv missing; was the corpus stage finished?)"));
  }
  GENESIS_ASSIGN_OR_RETURN(std::string info, ReadFile(info_path));
  std::map<std::string, std::string> keys;
  bool format_ok = false;
  for (absl::string_view line : absl::StrSplit(info, '\n', absl::SkipEmpty())) {
    if (line == kFormatLine) {
      format_ok = true;
      continue;
    }
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits(' ', 1));
    keys[kv.first] = kv.second;
  }
  if (!format_ok) {
    return absl::InvalidArgumentError(
        absl::StrCat(info_path, ": not a genesis slice store (expected '", kFormatLine, "')"));
  }
  auto pixel_type = ParsePixelType(keys["pixel_type"]);
  if (!pixel_type.ok()) return Annotate(pixel_type.status(), info_path);
  reader->pixel_type_ = *pixel_type;

  GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<CsvReader> csv, CsvReader::Open(index_path));
  const auto& expected = IndexHeader();
  if (csv->header() != expected) {
    return absl::InvalidArgumentError(
        absl::StrCat(index_path, ": unexpected header; expected ", CsvLine(expected)));
  }
  std::vector<std::string> row;
  std::array<int32_t, kNumSplits> max_shard = {-1, -1, -1};
  while (true) {
    GENESIS_ASSIGN_OR_RETURN(bool more, csv->Next(&row));
    if (!more) break;
    auto bad = [&](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat(index_path, ":", csv->line(), ": bad ", what));
    };
    auto split = ParseSplit(row[0]);
    if (!split.ok()) return bad("split");
    const int s = static_cast<int>(*split);
    StoredSliceInfo e;
    int64_t position = 0;
    if (!absl::SimpleAtoi(row[1], &position) ||
        position != static_cast<int64_t>(reader->entries_[s].size())) {
      return bad("position (rows of a split must be in order)");
    }
    e.dataset = row[2];
    e.patient_id = row[3];
    auto modality = ParseModality(row[4]);
    if (!modality.ok()) return bad("modality");
    e.modality = *modality;
    uint32_t checksum = 0;
    if (!absl::SimpleAtoi(row[5], &e.slice_index) || !absl::SimpleAtoi(row[6], &e.width) ||
        !absl::SimpleAtoi(row[7], &e.height) || !absl::SimpleAtoi(row[8], &e.bits_stored) ||
        !absl::SimpleAtod(row[9], &e.spacing[0]) || !absl::SimpleAtod(row[10], &e.spacing[1]) ||
        !absl::SimpleAtoi(row[11], &e.shard) || !absl::SimpleAtoi(row[12], &e.offset) ||
        !absl::SimpleAtoi(row[13], &checksum) || e.width <= 0 || e.height <= 0 || e.shard < 0 ||
        e.offset < 0) {
      return bad("numeric field");
    }
    e.checksum = checksum;
    max_shard[s] = std::max(max_shard[s], e.shard);
    reader->entries_[s].push_back(std::move(e));
  }
  for (int s = 0; s < kNumSplits; ++s) {
    std::vector<int64_t> shard_sizes;
    for (int32_t k = 0; k <= max_shard[s]; ++k) {
      const std::string path = (fs::path(dir) / ShardName(s, k)).string();
      const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        return absl::NotFoundError(
            absl::StrCat(path, ": cannot open shard: ", std::strerror(errno)));
      }
      reader->shard_fds_[s].push_back(fd);
      struct stat st;
      if (fstat(fd, &st) != 0) {
        return absl::DataLossError(absl::StrCat(path, ": cannot stat: ", std::strerror(errno)));
      }
      shard_sizes.push_back(st.st_size);
    }
    const size_t bpp = BytesPerPixel(reader->pixel_type_);
    for (size_t i = 0; i < reader->entries_[s].size(); ++i) {
      const StoredSliceInfo& e = reader->entries_[s][i];
      const int64_t end = e.offset + e.width * e.height * static_cast<int64_t>(bpp);
      if (end > shard_sizes[e.shard]) {
        return absl::DataLossError(absl::StrCat(reader->ShardPath(static_cast<Split>(s), e.shard),
                                                ": truncated: ", SplitName(static_cast<Split>(s)),
                                                " slice ", i, " needs bytes up to ", end,
                                                ", file has ", shard_sizes[e.shard]));
      }
    }
  }
  return reader;
}

SliceStoreReader::~SliceStoreReader() {
  for (auto& fds : shard_fds_) {
    for (int fd : fds) ::close(fd);
  }
}

int64_t SliceStoreReader::size(Split split) const {
  return static_cast<int64_t>(entries_[static_cast<int>(split)].size());
}

const StoredSliceInfo& SliceStoreReader::info(Split split, int64_t index) const {
  return entries_[static_cast<int>(split)][index];
}

std::string SliceStoreReader::ShardPath(Split split, int32_t shard) const {
  return (fs::path(dir_) / ShardName(static_cast<int>(split), shard)).string();
}

absl::StatusOr<Slice> SliceStoreReader::Read(Split split, int64_t index) const {
  const int s = static_cast<int>(split);
  if (s < 0 || s >= kNumSplits || index < 0 || index >= size(split)) {
    return absl::OutOfRangeError(absl::StrCat(dir_, ": ", SplitName(split), " slice ", index,
                                              " out of range [0, ", size(split), ")"));
  }
  const StoredSliceInfo& e = entries_[s][index];
  const size_t n = static_cast<size_t>(e.width * e.height);
  const size_t bytes = n * BytesPerPixel(pixel_type_);
  std::vector<unsigned char> buffer(bytes);
  size_t done = 0;
  while (done < bytes) {
    const ssize_t got = ::pread(shard_fds_[s][e.shard], buffer.data() + done, bytes - done,
                                e.offset + static_cast<off_t>(done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      return absl::DataLossError(absl::StrCat(ShardPath(split, e.shard), ": ", SplitName(split),
                                              " slice ", index, ": short read (",
                                              got < 0 ? std::strerror(errno) : "end of file", ")"));
    }
    done += static_cast<size_t>(got);
  }
  const uint32_t crc = Crc32(buffer.data(), bytes);
  if (crc != e.checksum) {
    return absl::DataLossError(absl::StrCat(ShardPath(split, e.shard), ": ", SplitName(split),
                                            " slice ", index, " (offset ", e.offset,
                                            "): checksum mismatch (stored ", e.checksum,
                                            ", computed ", crc, ") -- the shard is corrupt"));
  }
  Slice slice;
  slice.width = e.width;
  slice.height = e.height;
  slice.modality = e.modality;
  slice.bits_stored = e.bits_stored;
  slice.spacing = e.spacing;
  slice.dataset = e.dataset;
  slice.patient_id = e.patient_id;
  slice.slice_index = e.slice_index;
  slice.pixels.resize(n);
  if (pixel_type_ == StorePixelType::kUint16) {
    const auto* in = reinterpret_cast<const uint16_t*>(buffer.data());
    constexpr float kScale = 1.0f / 65535.0f;
    for (size_t i = 0; i < n; ++i) slice.pixels[i] = in[i] * kScale;
  } else {
    std::memcpy(slice.pixels.data(), buffer.data(), bytes);
  }
  return slice;
}

}  // namespace genesis
