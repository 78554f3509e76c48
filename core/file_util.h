// Small file helpers with Status errors that name the file.
//
//   GENESIS_RETURN_IF_ERROR(WriteFileAtomically(path, text));  // temp file + rename
//   GENESIS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
//   GENESIS_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(dir + ".lock"));  // until scope end
#ifndef GENESIS_CORE_FILE_UTIL_H_
#define GENESIS_CORE_FILE_UTIL_H_

#include <string>
#include <utility>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace genesis {

absl::StatusOr<std::string> ReadFile(const std::string& path);
// Writes to "<path>.tmp.<pid>" then renames over `path`, so readers never see half a file.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents);

// An exclusive flock() on a file, held while the object lives. The kernel drops it when the
// process dies, so a lock file that a killed process left behind never blocks anyone. (On NFS,
// Linux maps flock to the server's byte-range locks, so it holds across machines.)
class FileLock {
 public:
  // Waits while another holder has it.
  static absl::StatusOr<FileLock> Acquire(const std::string& path);
  // Unavailable at once while another holder has it (another process, or another FileLock on
  // the same file in this process).
  static absl::StatusOr<FileLock> TryAcquire(const std::string& path);

  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&&) = delete;
  ~FileLock();

  // Replaces the lock file's contents in place (never by renaming: the lock belongs to this
  // very file), e.g. to say who holds it.
  absl::Status Write(absl::string_view contents);
  const std::string& path() const { return path_; }

 private:
  FileLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  static absl::StatusOr<FileLock> Lock(const std::string& path, bool wait);
  int fd_;
  std::string path_;
};

}  // namespace genesis

#endif  // GENESIS_CORE_FILE_UTIL_H_
