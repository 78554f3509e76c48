#include "plugins/reader/reader_util.h"

#include <filesystem>
#include <fstream>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace genesis {
namespace reader_internal {

bool HasExtension(const std::string& path, std::initializer_list<absl::string_view> extensions) {
  const std::string lower = absl::AsciiStrToLower(path);
  for (absl::string_view ext : extensions) {
    if (absl::EndsWith(lower, absl::AsciiStrToLower(ext))) return true;
  }
  return false;
}

bool HasMagic(const std::string& path, int64_t offset, absl::string_view magic) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  in.seekg(offset);
  std::string buffer(magic.size(), '\0');
  in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
  return in.gcount() == static_cast<std::streamsize>(magic.size()) && buffer == magic;
}

absl::Status CheckRegularFile(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    return absl::NotFoundError(absl::StrCat(path, ": no such file"));
  }
  if (std::filesystem::is_directory(status)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": is a directory, expected a file"));
  }
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return absl::NotFoundError(absl::StrCat(path, ": cannot stat: ", ec.message()));
  if (size == 0) return absl::InvalidArgumentError(absl::StrCat(path, ": file is empty"));
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::PermissionDeniedError(absl::StrCat(path, ": cannot open for reading"));
  return absl::OkStatus();
}

absl::StatusOr<int64_t> FileSize(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return absl::NotFoundError(absl::StrCat(path, ": cannot stat: ", ec.message()));
  return static_cast<int64_t>(size);
}

absl::StatusOr<Modality> ModalityOption(absl::string_view text) {
  auto modality = ParseModality(text);
  if (!modality.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("modality: ", modality.status().message()));
  }
  return *modality;
}

absl::Status FileError(const std::string& path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
}

}  // namespace reader_internal
}  // namespace genesis
