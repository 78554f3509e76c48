#include "core/train/tensorboard.h"

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace genesis {
namespace {

std::array<uint32_t, 256> MakeCrc32cTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    table[i] = c;
  }
  return table;
}

uint32_t MaskedCrc(const void* data, size_t size) {
  const uint32_t crc = Crc32c(data, size);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

void Varint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void Tag(std::string* out, int field, int wire_type) { Varint(out, (field << 3) | wire_type); }

void Bytes(std::string* out, int field, absl::string_view bytes) {
  Tag(out, field, 2);
  Varint(out, bytes.size());
  out->append(bytes.data(), bytes.size());
}

template <typename T>
void Fixed(std::string* out, T value) {
  char buf[sizeof(T)];
  std::memcpy(buf, &value, sizeof(T));  // Little-endian hosts only (x86-64, aarch64).
  out->append(buf, sizeof(T));
}

// tensorflow.Event header fields: wall_time = 1 (double), step = 2 (int64).
std::string EventHeader(int64_t step) {
  std::string event;
  Tag(&event, 1, 1);
  Fixed<double>(&event, std::chrono::duration<double>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count());
  Tag(&event, 2, 0);
  Varint(&event, static_cast<uint64_t>(step));
  return event;
}

}  // namespace

uint32_t Crc32c(const void* data, size_t size) {
  static const std::array<uint32_t, 256> table = MakeCrc32cTable();
  const auto* p = static_cast<const unsigned char*>(data);
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

absl::StatusOr<std::unique_ptr<EventFileWriter>> EventFileWriter::Create(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  char host[256] = "localhost";
  gethostname(host, sizeof(host) - 1);
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::string path = absl::StrCat(dir, "/events.out.tfevents.", now, ".", host, ".", getpid());
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) {
    return absl::PermissionDeniedError(absl::StrCat(path, ": cannot create event file"));
  }
  std::unique_ptr<EventFileWriter> writer(new EventFileWriter(file, path));
  std::string event = EventHeader(0);
  Bytes(&event, 3, "brain.Event:2");  // file_version
  writer->WriteRecord(event);
  writer->Flush();
  return writer;
}

EventFileWriter::~EventFileWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

void EventFileWriter::WriteRecord(const std::string& payload) {
  std::string header;
  Fixed<uint64_t>(&header, payload.size());
  const uint32_t length_crc = MaskedCrc(header.data(), header.size());
  Fixed<uint32_t>(&header, length_crc);
  std::string footer;
  Fixed<uint32_t>(&footer, MaskedCrc(payload.data(), payload.size()));
  std::fwrite(header.data(), 1, header.size(), file_);
  std::fwrite(payload.data(), 1, payload.size(), file_);
  std::fwrite(footer.data(), 1, footer.size(), file_);
}

void EventFileWriter::AddScalar(absl::string_view tag, double value, int64_t step) {
  std::string summary_value;  // Summary.Value: tag = 1, simple_value = 2 (float).
  Bytes(&summary_value, 1, tag);
  Tag(&summary_value, 2, 5);
  Fixed<float>(&summary_value, static_cast<float>(value));
  std::string summary;  // Summary: value = 1.
  Bytes(&summary, 1, summary_value);
  std::string event = EventHeader(step);
  Bytes(&event, 5, summary);  // Event.summary = 5.
  WriteRecord(event);
}

void EventFileWriter::Flush() { std::fflush(file_); }

}  // namespace genesis
