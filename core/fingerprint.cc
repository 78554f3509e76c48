#include "core/fingerprint.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace genesis {
namespace {

namespace fs = std::filesystem;

struct Hasher {
  uint64_t a = 0xcbf29ce484222325ull;  // FNV-1a offset basis.
  uint64_t b = 0x84222325cbf29ce4ull;  // A second lane with another basis.
  void Update(absl::string_view bytes) {
    for (unsigned char c : bytes) {
      a = (a ^ c) * 0x100000001b3ull;
      b = (b ^ c) * 0x100000001b3ull;
      b ^= b >> 29;
    }
  }
  std::string Hex() const { return absl::StrFormat("%016x%016x", a, b); }
};

void AddEntry(Hasher& h, const std::string& relative, const struct stat& st) {
  h.Update(relative);
  h.Update(absl::StrCat("\t", static_cast<int64_t>(st.st_size), "\t",
                        static_cast<int64_t>(st.st_mtim.tv_sec), ".",
                        static_cast<int64_t>(st.st_mtim.tv_nsec), "\n"));
}

}  // namespace

std::string HashHex(absl::string_view bytes) {
  Hasher h;
  h.Update(bytes);
  return h.Hex();
}

absl::StatusOr<std::string> PathFingerprint(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat(path, ": no such file or folder"));
  }
  Hasher h;
  if (!S_ISDIR(st.st_mode)) {
    AddEntry(h, "", st);
    return h.Hex();
  }
  // Sorted relative names, so the listing does not depend on the file system's order.
  std::vector<std::string> names;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(
           path, fs::directory_options::follow_directory_symlink |
                     fs::directory_options::skip_permission_denied,
           ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    names.push_back(fs::relative(it->path(), path, ec).string());
  }
  if (ec) return absl::UnavailableError(absl::StrCat(path, ": cannot list: ", ec.message()));
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    const std::string full = (fs::path(path) / name).string();
    if (::stat(full.c_str(), &st) != 0) continue;  // Vanished while listing: not an input.
    if (S_ISDIR(st.st_mode)) {
      h.Update(absl::StrCat(name, "/\n"));
    } else {
      AddEntry(h, name, st);
    }
  }
  return h.Hex();
}

void Fingerprint::Add(absl::string_view name, absl::string_view value) {
  components_.emplace_back(std::string(name), HashHex(value));
}

std::string Fingerprint::Hex() const {
  Hasher h;
  for (const auto& [name, hash] : components_) h.Update(absl::StrCat(name, " ", hash, "\n"));
  return h.Hex();
}

std::string Fingerprint::Serialize() const {
  std::string out = absl::StrCat("fingerprint ", Hex(), "\n");
  for (const auto& [name, hash] : components_) absl::StrAppend(&out, name, " ", hash, "\n");
  return out;
}

namespace {

// name -> hash of every component line of a marker (the overall line excluded).
std::map<std::string, std::string> Components(absl::string_view marker) {
  std::map<std::string, std::string> out;
  for (absl::string_view line : absl::StrSplit(marker, '\n', absl::SkipEmpty())) {
    const size_t space = line.rfind(' ');
    if (space == absl::string_view::npos) continue;
    const std::string name(line.substr(0, space));
    if (name == "fingerprint") continue;
    out[name] = std::string(line.substr(space + 1));
  }
  return out;
}

}  // namespace

std::string MarkerFingerprint(absl::string_view marker) {
  constexpr absl::string_view kPrefix = "fingerprint ";
  if (marker.substr(0, kPrefix.size()) != kPrefix) return "";
  absl::string_view rest = marker.substr(kPrefix.size());
  return std::string(rest.substr(0, rest.find('\n')));
}

std::string DescribeChanges(absl::string_view old_marker, absl::string_view new_marker) {
  const auto before = Components(old_marker);
  const auto after = Components(new_marker);
  std::vector<std::string> changed;
  for (const auto& [name, hash] : after) {
    auto it = before.find(name);
    if (it == before.end()) {
      changed.push_back(absl::StrCat(name, " (new)"));
    } else if (it->second != hash) {
      changed.push_back(name);
    }
  }
  for (const auto& [name, hash] : before) {
    if (after.find(name) == after.end()) changed.push_back(absl::StrCat(name, " (gone)"));
  }
  if (changed.empty() && MarkerFingerprint(old_marker) != MarkerFingerprint(new_marker)) {
    changed.push_back("marker format");
  }
  std::string out;
  for (const std::string& c : changed) absl::StrAppend(&out, out.empty() ? "" : ", ", c);
  return out;
}

}  // namespace genesis
