// Small file helpers with Status errors that name the file.
//
//   GENESIS_RETURN_IF_ERROR(WriteFileAtomically(path, text));  // temp file, fsync, rename
//   GENESIS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
//   GENESIS_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(dir + ".lock"));  // until scope end
#ifndef GENESIS_CORE_FILE_UTIL_H_
#define GENESIS_CORE_FILE_UTIL_H_

#include <string>
#include <utility>
#include <vector>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace genesis {

absl::StatusOr<std::string> ReadFile(const std::string& path);
// Writes to TempPathFor(path), fsyncs it, then renames it over `path`, so readers never see
// half a file, and a killed writer leaves at most a temp file that RemoveStaleTempFiles removes.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents);

// Where a write of `path` (a file or a folder) stages its bytes before renaming them over
// `path`: "<path>.tmp.<host>.<pid>". Every atomic write in Genesis uses this name, so a process
// killed mid-write is recognisable by it.
std::string TempPathFor(const std::string& path);

// fsync()s the file at `path` (after writing it by other means, before renaming it).
absl::Status SyncFile(const std::string& path);

// Removes the files and folders under `dir` (recursively) named by TempPathFor for this host
// whose process no longer runs -- what a kill -9 in the middle of a write leaves behind. Temp
// files of live processes and of other hosts are kept. Returns the removed paths.
std::vector<std::string> RemoveStaleTempFiles(const std::string& dir);

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
