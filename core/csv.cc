#include "core/csv.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "core/status_macros.h"

namespace genesis {

std::string CsvField(absl::string_view field) {
  if (field.find_first_of(",\"\r\n") == absl::string_view::npos) return std::string(field);
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string CsvLine(const std::vector<std::string>& fields) {
  // One empty field written bare would be an empty line, which ParseCsv and CsvReader skip as
  // blank: quote it so the row survives the round trip.
  if (fields.size() == 1 && fields[0].empty()) return "\"\"\n";
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line += ',';
    line += CsvField(fields[i]);
  }
  line += '\n';
  return line;
}

int CsvTable::Column(absl::string_view name) const {
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return static_cast<int>(i);
  }
  return -1;
}

absl::StatusOr<CsvTable> ParseCsv(absl::string_view text, absl::string_view source) {
  CsvTable table;
  std::vector<std::string> row;
  std::string field;
  bool in_quotes = false;
  bool field_started = false;  // Whether the current row has any content.
  int line = 1;
  int row_line = 1;
  auto end_row = [&]() -> absl::Status {
    row.push_back(std::move(field));
    field.clear();
    const bool blank = row.size() == 1 && row[0].empty() && !field_started;
    if (!blank) {
      if (table.header.empty()) {
        table.header = std::move(row);
      } else if (row.size() != table.header.size()) {
        return absl::InvalidArgumentError(absl::StrCat(source, ":", row_line, ": expected ",
                                                       table.header.size(), " fields, found ",
                                                       row.size()));
      } else {
        table.rows.push_back(std::move(row));
      }
    }
    row.clear();
    field_started = false;
    return absl::OkStatus();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    switch (c) {
      case '"':
        if (!field.empty()) {
          return absl::InvalidArgumentError(
              absl::StrCat(source, ":", line, ": quote inside an unquoted field"));
        }
        in_quotes = true;
        field_started = true;
        break;
      case ',':
        row.push_back(std::move(field));
        field.clear();
        field_started = true;
        break;
      case '\r':
        break;
      case '\n':
        GENESIS_RETURN_IF_ERROR(end_row());
        ++line;
        row_line = line;
        break;
      default:
        field += c;
        field_started = true;
    }
  }
  if (in_quotes) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ":", row_line, ": unterminated quoted field"));
  }
  if (field_started || !field.empty() || !row.empty()) GENESIS_RETURN_IF_ERROR(end_row());
  if (table.header.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": empty CSV (no header)"));
  }
  return table;
}

absl::StatusOr<CsvTable> ReadCsvFile(const std::string& path) {
  GENESIS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseCsv(text, path);
}

}  // namespace genesis

namespace genesis {

absl::StatusOr<std::unique_ptr<CsvReader>> CsvReader::Open(const std::string& path) {
  std::unique_ptr<CsvReader> reader(new CsvReader());
  reader->path_ = path;
  reader->file_ = std::fopen(path.c_str(), "rb");
  if (reader->file_ == nullptr) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
  }
  GENESIS_ASSIGN_OR_RETURN(bool has_header, reader->NextRaw(&reader->header_));
  if (!has_header) return absl::InvalidArgumentError(absl::StrCat(path, ": empty CSV (no header)"));
  return reader;
}

CsvReader::~CsvReader() {
  if (file_ != nullptr) std::fclose(file_);
}

int CsvReader::Column(absl::string_view name) const {
  for (size_t i = 0; i < header_.size(); ++i) {
    if (header_[i] == name) return static_cast<int>(i);
  }
  return -1;
}

absl::StatusOr<bool> CsvReader::Next(std::vector<std::string>* row) {
  GENESIS_ASSIGN_OR_RETURN(bool more, NextRaw(row));
  if (more && row->size() != header_.size()) {
    return absl::InvalidArgumentError(absl::StrCat(path_, ":", row_line_, ": expected ",
                                                   header_.size(), " fields, found ", row->size()));
  }
  return more;
}

absl::StatusOr<bool> CsvReader::NextRaw(std::vector<std::string>* row) {
  row->clear();
  std::string field;
  bool in_quotes = false;
  bool any = false;
  while (true) {
    const int c = std::fgetc(file_);
    if (c == EOF) {
      if (std::ferror(file_)) return absl::DataLossError(absl::StrCat(path_, ": read error"));
      if (in_quotes) {
        return absl::InvalidArgumentError(
            absl::StrCat(path_, ":", row_line_, ": unterminated quoted field"));
      }
      if (!any) return false;
      row->push_back(std::move(field));
      return true;
    }
    if (!any) {
      if (c == '\n') {  // Blank line.
        ++line_;
        continue;
      }
      if (c == '\r') continue;
      any = true;
      row_line_ = line_ + 1;
    }
    if (in_quotes) {
      if (c == '"') {
        const int d = std::fgetc(file_);
        if (d == '"') {
          field += '"';
        } else {
          in_quotes = false;
          if (d != EOF) std::ungetc(d, file_);
        }
      } else {
        if (c == '\n') ++line_;
        field += static_cast<char>(c);
      }
      continue;
    }
    if (c == '"') {
      if (!field.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(path_, ":", line_ + 1, ": quote inside an unquoted field"));
      }
      in_quotes = true;
    } else if (c == ',') {
      row->push_back(std::move(field));
      field.clear();
    } else if (c == '\n') {
      ++line_;
      row->push_back(std::move(field));
      return true;
    } else if (c != '\r') {
      field += static_cast<char>(c);
    }
  }
}

}  // namespace genesis
