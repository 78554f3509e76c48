// Fuzzes core/csv: the whole-text parser (ParseCsv: manifests, split lists, predictions) and
// the streaming reader (CsvReader: LUNA16's 750k-row candidates_V2.csv, slice store indexes)
// on the same bytes. Properties beyond "no crash":
//   - both accept or both reject the text, and accept it as the same header and rows;
//   - their errors name the file;
//   - writing an accepted table back with CsvLine and parsing it again gives the same table
//     (Genesis writes manifests and skipped.csv with CsvLine and reads them back).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/csv.h"
#include "tools/fuzz/fuzz_util.h"

namespace genesis {
namespace {

using Rows = std::vector<std::vector<std::string>>;

std::string Show(const std::vector<std::string>& row) {
  std::vector<std::string> quoted;
  for (const std::string& field : row) quoted.push_back(absl::StrCat("'", field, "'"));
  return absl::StrCat("[", absl::StrJoin(quoted, ", "), "]");
}

// The header and rows CsvReader streams from `path`, or its first error.
absl::Status Stream(const std::string& path, std::vector<std::string>* header, Rows* rows) {
  auto reader = CsvReader::Open(path);
  if (!reader.ok()) return reader.status();
  *header = (*reader)->header();
  std::vector<std::string> row;
  while (true) {
    absl::StatusOr<bool> more = (*reader)->Next(&row);
    if (!more.ok()) return more.status();
    if (!*more) return absl::OkStatus();
    rows->push_back(row);
  }
}

void RequireSameTable(const CsvTable& a, const std::vector<std::string>& header, const Rows& rows,
                      absl::string_view what) {
  if (a.header != header) {
    fuzz::Fail(absl::StrCat(what, ": header ", Show(a.header), " vs ", Show(header)));
  }
  if (a.rows.size() != rows.size()) {
    fuzz::Fail(absl::StrCat(what, ": ", a.rows.size(), " rows vs ", rows.size()));
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    if (a.rows[i] != rows[i]) {
      fuzz::Fail(absl::StrCat(what, ": row ", i, " ", Show(a.rows[i]), " vs ", Show(rows[i])));
    }
  }
}

}  // namespace
}  // namespace genesis

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace genesis;  // NOLINT: a fuzz entry point outside the namespace.
  const absl::string_view text = fuzz::Bytes(data, size);
  const std::string path = fuzz::WriteInput("input.csv", text);
  absl::StatusOr<CsvTable> table = ParseCsv(text, path);

  std::vector<std::string> header;
  Rows rows;
  const absl::Status streamed = Stream(path, &header, &rows);
  if (table.ok() != streamed.ok()) {
    fuzz::Fail(absl::StrCat("ParseCsv says ", table.status().ToString(), " but CsvReader says ",
                            streamed.ToString()));
  }
  if (!table.ok()) {
    fuzz::RequireNamesFile(table.status(), path);
    fuzz::RequireNamesFile(streamed, path);
    return 0;
  }
  RequireSameTable(*table, header, rows, "ParseCsv vs CsvReader");

  std::string written = CsvLine(table->header);
  for (const auto& row : table->rows) written += CsvLine(row);
  absl::StatusOr<CsvTable> again = ParseCsv(written, "rewritten.csv");
  if (!again.ok())
    fuzz::Fail(absl::StrCat("CsvLine output does not parse: ", again.status().ToString()));
  RequireSameTable(*again, table->header, table->rows, "ParseCsv(CsvLine(table)) vs table");
  return 0;
}
