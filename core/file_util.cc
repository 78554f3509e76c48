#include "core/file_util.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace genesis {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read error"));
  return buffer.str();
}

namespace {

constexpr absl::string_view kTempInfix = ".tmp.";

const std::string& HostName() {
  static const std::string* host = [] {
    char name[256] = "localhost";
    gethostname(name, sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    return new std::string(name);
  }();
  return *host;
}

}  // namespace

std::string TempPathFor(const std::string& path) {
  return absl::StrCat(path, kTempInfix, HostName(), ".", static_cast<int64_t>(getpid()));
}

absl::Status SyncFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) {
    return absl::DataLossError(absl::StrCat(path, ": cannot open to sync: ", std::strerror(errno)));
  }
  const bool ok = fsync(fd) == 0;
  const int error = errno;
  close(fd);
  if (!ok) return absl::DataLossError(absl::StrCat(path, ": fsync failed: ", std::strerror(error)));
  return absl::OkStatus();
}

std::vector<std::string> RemoveStaleTempFiles(const std::string& dir) {
  namespace fs = std::filesystem;
  const std::string marker = absl::StrCat(kTempInfix, HostName(), ".");
  std::vector<fs::path> stale;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const size_t at = name.rfind(marker);
    if (at == std::string::npos || at == 0) continue;
    int64_t pid = 0;
    if (!absl::SimpleAtoi(absl::string_view(name).substr(at + marker.size()), &pid) || pid <= 0) {
      continue;
    }
    if (kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // Alive (or not ours).
    stale.push_back(it->path());
    if (it->is_directory(ec)) it.disable_recursion_pending();
  }
  std::vector<std::string> removed;
  for (const fs::path& p : stale) {
    std::error_code remove_error;
    fs::remove_all(p, remove_error);
    if (!remove_error) removed.push_back(p.string());
  }
  return removed;
}

absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents) {
  const std::string tmp = TempPathFor(path);
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat(path, ": cannot write: ", std::strerror(errno)));
  }
  const bool wrote = std::fwrite(contents.data(), 1, contents.size(), f) == contents.size();
  const bool flushed = std::fflush(f) == 0 && fsync(fileno(f)) == 0;
  std::fclose(f);
  if (!wrote || !flushed || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return absl::DataLossError(absl::StrCat(path, ": write failed: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<FileLock> FileLock::Acquire(const std::string& path) { return Lock(path, true); }

absl::StatusOr<FileLock> FileLock::TryAcquire(const std::string& path) {
  return Lock(path, false);
}

absl::StatusOr<FileLock> FileLock::Lock(const std::string& path, bool wait) {
  while (true) {
    const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      return absl::PermissionDeniedError(
          absl::StrCat(path, ": cannot open the lock file: ", std::strerror(errno)));
    }
    int result;
    do {
      result = flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB));
    } while (result != 0 && errno == EINTR);
    if (result != 0) {
      const int error = errno;
      close(fd);
      if (error == EWOULDBLOCK) {
        return absl::UnavailableError(absl::StrCat(path, ": locked by another process"));
      }
      return absl::InternalError(absl::StrCat(path, ": cannot lock: ", std::strerror(error)));
    }
    // Someone may have removed or replaced the file between open() and flock(); a lock on an
    // unlinked file excludes nobody, so lock the file now at `path` instead.
    struct stat locked, named;
    if (fstat(fd, &locked) == 0 && stat(path.c_str(), &named) == 0 &&
        locked.st_dev == named.st_dev && locked.st_ino == named.st_ino) {
      return FileLock(fd, path);
    }
    close(fd);
  }
}

FileLock::FileLock(FileLock&& other) noexcept
    : fd_(other.fd_), path_(std::move(other.path_)) {
  other.fd_ = -1;
}

FileLock::~FileLock() {
  if (fd_ >= 0) close(fd_);  // Releases the lock.
}

absl::Status FileLock::Write(absl::string_view contents) {
  if (ftruncate(fd_, 0) != 0 ||
      pwrite(fd_, contents.data(), contents.size(), 0) != static_cast<ssize_t>(contents.size())) {
    return absl::DataLossError(absl::StrCat(path_, ": write failed: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace genesis
