// Minimal TensorBoard event-file writer for scalars, without TensorFlow: TFRecord framing
// (length, masked CRC-32C of the length, payload, masked CRC-32C of the payload) around
// hand-encoded tensorflow.Event protos (wall_time, step, file_version or a Summary with one
// simple_value).
//
//   GENESIS_ASSIGN_OR_RETURN(auto writer, EventFileWriter::Create(dir));
//   writer->AddScalar("loss/train", 0.012, step);
#ifndef GENESIS_CORE_TRAIN_TENSORBOARD_H_
#define GENESIS_CORE_TRAIN_TENSORBOARD_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace genesis {

// CRC-32C (Castagnoli), as TFRecord uses.
uint32_t Crc32c(const void* data, size_t size);

class EventFileWriter {
 public:
  // Creates `dir` and a new events.out.tfevents.<seconds>.<host> file in it.
  static absl::StatusOr<std::unique_ptr<EventFileWriter>> Create(const std::string& dir);
  ~EventFileWriter();

  void AddScalar(absl::string_view tag, double value, int64_t step);
  void Flush();
  const std::string& path() const { return path_; }

 private:
  EventFileWriter(std::FILE* file, std::string path) : file_(file), path_(std::move(path)) {}
  void WriteRecord(const std::string& payload);

  std::FILE* file_;
  std::string path_;
};

}  // namespace genesis

#endif  // GENESIS_CORE_TRAIN_TENSORBOARD_H_
