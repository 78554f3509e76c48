#include "plugins/dataset/dataset_util.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/file_util.h"
#include "core/status_macros.h"

namespace genesis {
namespace dataset {

namespace fs = std::filesystem;

absl::Status CheckDirectory(const std::string& path, absl::string_view field) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    return absl::NotFoundError(absl::StrCat(field, ": ", path, " does not exist"));
  }
  if (!fs::is_directory(status)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", path, " is not a directory"));
  }
  return absl::OkStatus();
}

absl::Status CheckFile(const std::string& path, absl::string_view what) {
  if (IsFile(path)) return absl::OkStatus();
  return absl::NotFoundError(absl::StrCat(path, ": missing (", what, ")"));
}

bool IsFile(const std::string& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

bool IsDirectory(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

bool IsJunk(absl::string_view name) {
  return absl::StartsWith(name, ".") || name == "__MACOSX" || name == "Thumbs.db" ||
         name == "desktop.ini";
}

bool NaturalLess(absl::string_view a, absl::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) &&
        std::isdigit(static_cast<unsigned char>(b[j]))) {
      size_t i_end = i, j_end = j;
      while (i_end < a.size() && std::isdigit(static_cast<unsigned char>(a[i_end]))) ++i_end;
      while (j_end < b.size() && std::isdigit(static_cast<unsigned char>(b[j_end]))) ++j_end;
      absl::string_view da = a.substr(i, i_end - i), db = b.substr(j, j_end - j);
      // Compare by value: strip leading zeros, then length, then digits.
      absl::string_view va = da, vb = db;
      while (va.size() > 1 && va[0] == '0') va.remove_prefix(1);
      while (vb.size() > 1 && vb[0] == '0') vb.remove_prefix(1);
      if (va.size() != vb.size()) return va.size() < vb.size();
      if (va != vb) return va < vb;
      if (da.size() != db.size()) return da.size() < db.size();  // "01" vs "1": stable order.
      i = i_end;
      j = j_end;
      continue;
    }
    if (a[i] != b[j]) return a[i] < b[j];
    ++i;
    ++j;
  }
  return a.size() - i < b.size() - j;
}

void NaturalSort(std::vector<std::string>* paths) {
  std::sort(paths->begin(), paths->end(),
            [](const std::string& a, const std::string& b) { return NaturalLess(a, b); });
}

std::vector<PatientRecord> RecordsInNaturalOrder(std::map<std::string, PatientRecord> by_patient) {
  std::vector<std::string> patients;
  for (const auto& [patient, record] : by_patient) patients.push_back(patient);
  NaturalSort(&patients);
  std::vector<PatientRecord> records;
  for (const std::string& p : patients) records.push_back(std::move(by_patient[p]));
  return records;
}

namespace {

enum class Want { kFiles, kDirectories };

absl::StatusOr<std::vector<std::string>> List(const std::string& dir, Want want) {
  std::vector<std::string> out;
  std::error_code ec;
  fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  if (ec) return absl::NotFoundError(absl::StrCat(dir, ": cannot list: ", ec.message()));
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) return absl::UnavailableError(absl::StrCat(dir, ": cannot list: ", ec.message()));
    const std::string name = it->path().filename().string();
    if (IsJunk(name)) continue;
    std::error_code type_ec;
    const bool is_dir = it->is_directory(type_ec);
    const bool is_file = it->is_regular_file(type_ec);
    if ((want == Want::kDirectories && is_dir) || (want == Want::kFiles && is_file)) {
      out.push_back(it->path().string());
    }
  }
  if (ec) return absl::UnavailableError(absl::StrCat(dir, ": cannot list: ", ec.message()));
  NaturalSort(&out);
  return out;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ListFiles(const std::string& dir) {
  return List(dir, Want::kFiles);
}

absl::StatusOr<std::vector<std::string>> ListDirectories(const std::string& dir) {
  return List(dir, Want::kDirectories);
}

absl::StatusOr<std::vector<std::string>> ListFilesRecursive(const std::string& dir) {
  std::vector<std::string> out;
  GENESIS_ASSIGN_OR_RETURN(std::vector<std::string> files, ListFiles(dir));
  out.insert(out.end(), files.begin(), files.end());
  GENESIS_ASSIGN_OR_RETURN(std::vector<std::string> dirs, ListDirectories(dir));
  for (const std::string& sub : dirs) {
    GENESIS_ASSIGN_OR_RETURN(std::vector<std::string> nested, ListFilesRecursive(sub));
    out.insert(out.end(), nested.begin(), nested.end());
  }
  return out;
}

bool LooksLikeDicom(const std::string& path) {
  const std::string name = BaseName(path);
  if (absl::EndsWithIgnoreCase(name, ".dcm") || absl::EndsWithIgnoreCase(name, ".dicom")) {
    return true;
  }
  if (name.find('.') != std::string::npos) return false;
  auto prefix = ReadPrefix(path, 132);
  return prefix.ok() && prefix->size() == 132 && prefix->compare(128, 4, "DICM") == 0;
}

absl::StatusOr<std::vector<std::string>> FindDicomSeriesDirs(const std::string& root) {
  std::vector<std::string> out;
  GENESIS_ASSIGN_OR_RETURN(std::vector<std::string> files, ListFiles(root));
  for (const std::string& file : files) {
    if (LooksLikeDicom(file)) {
      out.push_back(root);
      break;
    }
  }
  GENESIS_ASSIGN_OR_RETURN(std::vector<std::string> dirs, ListDirectories(root));
  for (const std::string& sub : dirs) {
    GENESIS_ASSIGN_OR_RETURN(std::vector<std::string> nested, FindDicomSeriesDirs(sub));
    out.insert(out.end(), nested.begin(), nested.end());
  }
  return out;
}

std::string BaseName(absl::string_view path) {
  return fs::path(std::string(path)).filename().string();
}

std::string StripExtension(absl::string_view file_name) {
  std::string name = BaseName(file_name);
  for (absl::string_view double_ext : {".nii.gz", ".img.gz", ".hdr.gz", ".tar.gz"}) {
    if (absl::EndsWithIgnoreCase(name, double_ext)) {
      return name.substr(0, name.size() - double_ext.size());
    }
  }
  const size_t dot = name.rfind('.');
  return dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
}

std::string ResolvePath(const std::string& base, absl::string_view rel) {
  fs::path p{std::string(rel)};
  if (p.is_relative()) p = fs::path(base) / p;
  return p.lexically_normal().string();
}

std::string ParentPath(const std::string& path) {
  std::string parent = fs::path(path).parent_path().string();
  return parent.empty() ? "." : parent;
}

absl::StatusOr<int> RequireColumn(const CsvTable& table, absl::string_view name,
                                  absl::string_view path) {
  const int column = table.Column(name);
  if (column < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": missing column '", name, "' (columns: ", absl::StrJoin(table.header, ", "), ")"));
  }
  return column;
}

namespace {

absl::StatusOr<std::string> ReadCsvText(const std::string& path) {
  if (!IsFile(path)) return absl::NotFoundError(absl::StrCat(path, ": missing CSV file"));
  GENESIS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  if (absl::StartsWith(text, "\xEF\xBB\xBF")) text.erase(0, 3);
  return text;
}

}  // namespace

absl::StatusOr<CsvTable> ReadCsvWithColumns(const std::string& path,
                                            const std::vector<std::string>& required) {
  GENESIS_ASSIGN_OR_RETURN(std::string text, ReadCsvText(path));
  GENESIS_ASSIGN_OR_RETURN(CsvTable table, ParseCsv(text, path));
  for (auto& name : table.header) absl::StripAsciiWhitespace(&name);
  for (const std::string& name : required) {
    GENESIS_RETURN_IF_ERROR(RequireColumn(table, name, path).status());
  }
  return table;
}

absl::StatusOr<CsvRows> ReadCsvRowsWithColumns(const std::string& path,
                                               const std::vector<std::string>& required) {
  if (!IsFile(path)) return absl::NotFoundError(absl::StrCat(path, ": missing CSV file"));
  GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<CsvReader> reader, CsvReader::Open(path));
  CsvRows out;
  out.table.header = reader->header();
  if (absl::StartsWith(out.table.header[0], "\xEF\xBB\xBF")) out.table.header[0].erase(0, 3);
  for (auto& name : out.table.header) absl::StripAsciiWhitespace(&name);
  for (const std::string& name : required) {
    GENESIS_RETURN_IF_ERROR(RequireColumn(out.table, name, path).status());
  }
  std::vector<std::string> row;
  while (true) {
    absl::StatusOr<bool> more = reader->Next(&row);
    // CsvReader::Next has read the whole row when it reports a wrong field count, so reading
    // goes on with the next row; any other error leaves the stream mid-row.
    if (!more.ok() && absl::IsInvalidArgument(more.status()) &&
        absl::StrContains(more.status().message(), " fields, found ")) {
      const std::string where = absl::StrCat(path, ":", reader->line());
      absl::string_view reason = more.status().message();
      absl::ConsumePrefix(&reason, absl::StrCat(where, ": "));
      out.bad_rows.emplace_back(where, std::string(reason));
      continue;
    }
    GENESIS_RETURN_IF_ERROR(more.status());
    if (!*more) break;
    out.table.rows.push_back(row);
    out.lines.push_back(reader->line());
  }
  return out;
}

absl::StatusOr<CsvTable> ReadHeaderlessCsv(const std::string& path,
                                           const std::vector<std::string>& columns) {
  GENESIS_ASSIGN_OR_RETURN(std::string text, ReadCsvText(path));
  std::vector<std::string> header;
  for (const std::string& c : columns) header.push_back(CsvField(c));
  // The synthetic header shifts the parser's line numbers by one; say so in errors.
  auto table = ParseCsv(absl::StrCat(absl::StrJoin(header, ","), "\n", text),
                        absl::StrCat(path, " (line numbers +1)"));
  if (!table.ok()) return table.status();
  return table;
}

absl::StatusOr<std::string> ReadPrefix(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::string buffer(max_bytes, '\0');
  in.read(&buffer[0], static_cast<std::streamsize>(max_bytes));
  buffer.resize(static_cast<size_t>(in.gcount()));
  return buffer;
}

namespace {

absl::StatusOr<int64_t> MetaImageSlices(const std::string& path) {
  GENESIS_ASSIGN_OR_RETURN(std::string header, ReadPrefix(path, 1 << 16));
  for (absl::string_view line : absl::StrSplit(header, '\n')) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(line, '=');
    if (absl::StripAsciiWhitespace(kv.first) != "DimSize") continue;
    std::vector<absl::string_view> dims =
        absl::StrSplit(absl::StripAsciiWhitespace(kv.second), ' ', absl::SkipEmpty());
    int64_t z = 1;
    if (dims.size() >= 3 && !absl::SimpleAtoi(dims[2], &z)) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": bad DimSize '", kv.second, "'"));
    }
    return dims.size() >= 3 ? z : 1;
  }
  return absl::InvalidArgumentError(absl::StrCat(path, ": MetaImage header without DimSize"));
}

// Analyze 7.5 / NIfTI-1 .hdr or .nii: int32 sizeof_hdr == 348 (either byte order), then
// int16 dim[8] at byte 40.
absl::StatusOr<int64_t> AnalyzeSlices(const std::string& path) {
  GENESIS_ASSIGN_OR_RETURN(std::string header, ReadPrefix(path, 348));
  if (header.size() < 348) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": header is ", header.size(), " bytes, Analyze/NIfTI needs 348"));
  }
  const auto* b = reinterpret_cast<const unsigned char*>(header.data());
  const int32_t le = b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24);
  const int32_t be = b[3] | (b[2] << 8) | (b[1] << 16) | (b[0] << 24);
  if (le != 348 && be != 348) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not an Analyze/NIfTI header (sizeof_hdr != 348)"));
  }
  const bool little = le == 348;
  auto dim = [&](int i) -> int64_t {
    const unsigned char* p = b + 40 + 2 * i;
    return static_cast<int16_t>(little ? (p[0] | (p[1] << 8)) : (p[1] | (p[0] << 8)));
  };
  if (dim(0) < 3) return int64_t{1};
  return dim(3);
}

// NumPy .npy: magic, version, header dict with 'shape': (a, b, c). Returns shape[0] for 3D.
absl::StatusOr<int64_t> NpySlices(const std::string& path) {
  GENESIS_ASSIGN_OR_RETURN(std::string header, ReadPrefix(path, 4096));
  if (header.size() < 10 || header.compare(0, 6, "\x93NUMPY") != 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a NumPy .npy file"));
  }
  const size_t shape = header.find("'shape':");
  const size_t open = header.find('(', shape);
  const size_t close = header.find(')', open);
  if (shape == std::string::npos || open == std::string::npos || close == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": .npy header without a shape"));
  }
  std::vector<absl::string_view> dims = absl::StrSplit(
      absl::string_view(header).substr(open + 1, close - open - 1), ',', absl::SkipWhitespace());
  if (dims.size() < 3) return int64_t{1};
  int64_t z = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(dims[0]), &z)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": bad .npy shape"));
  }
  return z;
}

}  // namespace

absl::StatusOr<int64_t> HeaderSliceCount(const std::string& path) {
  const std::string name = BaseName(path);
  if (absl::EndsWithIgnoreCase(name, ".mhd") || absl::EndsWithIgnoreCase(name, ".mha")) {
    return MetaImageSlices(path);
  }
  if (absl::EndsWithIgnoreCase(name, ".hdr") || absl::EndsWithIgnoreCase(name, ".nii")) {
    return AnalyzeSlices(path);
  }
  if (absl::EndsWithIgnoreCase(name, ".npy")) return NpySlices(path);
  return int64_t{-1};
}

absl::StatusOr<int64_t> TotalSliceCount(const std::vector<std::string>& files) {
  int64_t total = 0;
  for (const std::string& file : files) {
    GENESIS_ASSIGN_OR_RETURN(int64_t n, HeaderSliceCount(file));
    if (n < 0) return int64_t{-1};
    total += n;
  }
  return total;
}

absl::Status CheckAnalyzePair(const std::string& path) {
  if (!absl::EndsWithIgnoreCase(path, ".hdr")) return absl::OkStatus();
  const std::string stem = path.substr(0, path.size() - 4);
  for (const char* ext : {".img", ".IMG", ".img.gz"}) {
    if (IsFile(stem + ext)) return absl::OkStatus();
  }
  return absl::NotFoundError(absl::StrCat(path, ": missing its .img (Analyze 7.5 needs both)"));
}

bool IsVolumeFile(absl::string_view path) {
  for (absl::string_view ext : {".hdr", ".nii", ".nii.gz", ".mhd", ".mha", ".nrrd", ".nhdr"}) {
    if (absl::EndsWithIgnoreCase(path, ext)) return true;
  }
  return false;
}

std::string FindComponent(const std::string& root, const std::string& dir,
                          const std::function<std::string(absl::string_view)>& match) {
  const fs::path rel = fs::path(dir).lexically_relative(root);
  for (const fs::path& part : rel) {
    const std::string found = match(part.string());
    if (!found.empty()) return found;
  }
  return "";
}

}  // namespace dataset
}  // namespace genesis
