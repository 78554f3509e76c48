// Helpers shared by the dataset sources: directory walks that skip archive junk, natural
// ordering, DICOM series discovery, CSV access with errors naming the file, line and column.
//
//   GENESIS_RETURN_IF_ERROR(CheckDirectory(options.root(), "root"));
//   GENESIS_ASSIGN_OR_RETURN(std::vector<std::string> dirs, FindDicomSeriesDirs(root));
//   GENESIS_ASSIGN_OR_RETURN(CsvTable table, ReadCsvWithColumns(path, {"seriesuid"}));
//
// Every function returns paths as strings, sorted in natural order ("2" before "10") so Scan()
// results are deterministic and independent of the file system's listing order.
#ifndef GENESIS_PLUGINS_DATASET_DATASET_UTIL_H_
#define GENESIS_PLUGINS_DATASET_DATASET_UTIL_H_

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/csv.h"
#include "core/dataset_source.h"

namespace genesis {
namespace dataset {

// OK when `path` is an existing directory; otherwise NotFound/InvalidArgument starting with
// `field` (the option that named it), e.g. "root: /data/x does not exist".
absl::Status CheckDirectory(const std::string& path, absl::string_view field);
// NotFound "<path>: missing (<what>)" unless `path` is an existing regular file.
absl::Status CheckFile(const std::string& path, absl::string_view what);
bool IsFile(const std::string& path);
bool IsDirectory(const std::string& path);

// Files archives carry that are not data: names starting with '.' (macOS "._x" resource forks,
// ".DS_Store"), "__MACOSX" folders, "Thumbs.db", "desktop.ini".
bool IsJunk(absl::string_view name);

// "a2" < "a10": runs of digits compare by value.
bool NaturalLess(absl::string_view a, absl::string_view b);
void NaturalSort(std::vector<std::string>* paths);
// The records of `by_patient` in natural order of their patient ids (the map is consumed).
std::vector<PatientRecord> RecordsInNaturalOrder(std::map<std::string, PatientRecord> by_patient);

// Regular files / directories directly inside `dir` (full paths, junk skipped, natural order).
absl::StatusOr<std::vector<std::string>> ListFiles(const std::string& dir);
absl::StatusOr<std::vector<std::string>> ListDirectories(const std::string& dir);
// Every regular file under `dir`, recursively (junk and junk folders skipped).
absl::StatusOr<std::vector<std::string>> ListFilesRecursive(const std::string& dir);

// A DICOM file: name ends in .dcm (any case), or has no extension and "DICM" at byte 128.
bool LooksLikeDicom(const std::string& path);
// Directories under `root` (itself included) that directly hold DICOM files, natural order.
// Each is one series folder as the DICOM reader takes it.
absl::StatusOr<std::vector<std::string>> FindDicomSeriesDirs(const std::string& root);

// File name without directory; `StripExtension("a/b.nii.gz")` = "b" (also .hdr/.img/.mhd ...).
std::string BaseName(absl::string_view path);
std::string StripExtension(absl::string_view file_name);
// `rel` resolved against `base` unless absolute; lexically normalised ("./x" -> "x").
std::string ResolvePath(const std::string& base, absl::string_view rel);
std::string ParentPath(const std::string& path);

// Reads a CSV (first row = header, UTF-8 BOM tolerated) and checks `required` columns exist:
// InvalidArgument "<path>: missing column 'X' (columns: a, b, c)".
absl::StatusOr<CsvTable> ReadCsvWithColumns(const std::string& path,
                                            const std::vector<std::string>& required);
// The same, read row by row: a row whose field count differs from the header's is left out and
// listed in `bad_rows` as ("<path>:<line>", "expected 5 fields, found 4") instead of failing the
// whole file (csv_manifest: one bad row must not cost the good rows beside it). Other syntax
// errors (a stray or unterminated quote) still fail the file: what follows them is ambiguous.
struct CsvRows {
  CsvTable table;                  // The header and the well-formed rows.
  std::vector<int64_t> lines;      // Line on which each row of `table.rows` starts.
  std::vector<std::pair<std::string, std::string>> bad_rows;
};
absl::StatusOr<CsvRows> ReadCsvRowsWithColumns(const std::string& path,
                                               const std::vector<std::string>& required);
// A CSV without a header row (MURA, MRNet): `columns` names its fields. Rows must have exactly
// that many fields.
absl::StatusOr<CsvTable> ReadHeaderlessCsv(const std::string& path,
                                           const std::vector<std::string>& columns);
// Column index of `name`, or InvalidArgument as above.
absl::StatusOr<int> RequireColumn(const CsvTable& table, absl::string_view name,
                                  absl::string_view path);

// "name" option override, else `fallback`.
inline std::string DatasetName(const std::string& option, absl::string_view fallback) {
  return option.empty() ? std::string(fallback) : option;
}

// Reads the first `max_bytes` bytes of a file (header sniffing); NotFound naming it.
absl::StatusOr<std::string> ReadPrefix(const std::string& path, size_t max_bytes);

// The z extent (3rd dimension) stored in a file's header where that is cheap to read:
// MetaImage .mhd (DimSize), Analyze .hdr / uncompressed .nii (dim[3]), NumPy .npy (shape[0],
// the slice axis of MRNet's slices x H x W arrays). -1 when unknown; an error only when the
// header is present but malformed.
absl::StatusOr<int64_t> HeaderSliceCount(const std::string& path);

// Sum of HeaderSliceCount over `files`; -1 when any is unknown.
absl::StatusOr<int64_t> TotalSliceCount(const std::vector<std::string>& files);

// An Analyze .hdr needs its .img beside it: NotFound "<hdr>: missing its .img" otherwise.
// OK for any other file.
absl::Status CheckAnalyzePair(const std::string& path);

// Image files a reader can open as a volume: .hdr (Analyze), .nii, .nii.gz, .mhd, .mha, .nrrd.
bool IsVolumeFile(absl::string_view path);

// The first path component of `dir` (relative to `root`, `root` itself excluded, `dir` included)
// for which `match` returns a non-empty string; "" when none does.
std::string FindComponent(const std::string& root, const std::string& dir,
                          const std::function<std::string(absl::string_view)>& match);

}  // namespace dataset
}  // namespace genesis

#endif  // GENESIS_PLUGINS_DATASET_DATASET_UTIL_H_
