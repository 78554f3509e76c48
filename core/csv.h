// Minimal RFC 4180 CSV: the one format of Genesis' manifests, split lists, store indexes and
// skipped-file reports.
//
//   std::string line = CsvLine({"MSD-Liver", "a,b.nii.gz"});   // -> MSD-Liver,"a,b.nii.gz"\n
//   GENESIS_ASSIGN_OR_RETURN(CsvTable table, ParseCsv(text, "manifest.csv"));
//   for (const auto& row : table.rows) { ... table.Column("dataset") ... }
//
// Fields holding a comma, quote, CR or LF are quoted and inner quotes doubled. Parsing accepts
// quoted fields spanning lines and reports the file and line of malformed input.
#ifndef GENESIS_CORE_CSV_H_
#define GENESIS_CORE_CSV_H_

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace genesis {

// One field, quoted when needed.
std::string CsvField(absl::string_view field);
// A whole line (fields joined by ',', terminated by '\n'); a row of one empty field is written
// as "" so it is not read back as a blank line.
std::string CsvLine(const std::vector<std::string>& fields);

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // Each row has header.size() fields.
  // Index of `name` in the header, or -1.
  int Column(absl::string_view name) const;
};

// Parses `text` (first row = header). `source` names the file in error messages. Every row
// must have as many fields as the header; blank lines are skipped.
absl::StatusOr<CsvTable> ParseCsv(absl::string_view text, absl::string_view source);
// Reads and parses `path`.
absl::StatusOr<CsvTable> ReadCsvFile(const std::string& path);

// Streams rows of a large CSV without holding the file in memory.
//
//   GENESIS_ASSIGN_OR_RETURN(auto reader, CsvReader::Open(path));   // reads the header
//   std::vector<std::string> row;
//   while (true) { GENESIS_ASSIGN_OR_RETURN(bool more, reader->Next(&row)); if (!more) break; }
class CsvReader {
 public:
  static absl::StatusOr<std::unique_ptr<CsvReader>> Open(const std::string& path);
  ~CsvReader();
  const std::vector<std::string>& header() const { return header_; }
  int Column(absl::string_view name) const;
  // Next data row (same field count as the header); false at end of file.
  absl::StatusOr<bool> Next(std::vector<std::string>* row);
  // 1-based line number where the last returned row started (for error messages).
  int64_t line() const { return row_line_; }
  const std::string& path() const { return path_; }

 private:
  CsvReader() = default;
  absl::StatusOr<bool> NextRaw(std::vector<std::string>* row);
  std::string path_;
  std::FILE* file_ = nullptr;
  std::vector<std::string> header_;
  int64_t line_ = 0;
  int64_t row_line_ = 0;
};

}  // namespace genesis

#endif  // GENESIS_CORE_CSV_H_
