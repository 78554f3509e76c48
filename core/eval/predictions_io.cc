#include "core/eval/predictions_io.h"

#include <cmath>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/csv.h"
#include "core/file_util.h"
#include "core/status_macros.h"

namespace genesis {
namespace {

// Column indices of an open CSV; required ones must exist.
absl::StatusOr<std::vector<int>> Columns(const CsvReader& reader,
                                         const std::vector<std::string>& required) {
  std::vector<int> out;
  for (const std::string& name : required) {
    const int column = reader.Column(name);
    if (column < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          reader.path(), ":1: missing column '", name, "' (header: ",
          absl::StrJoin(reader.header(), ","), "; expected ", absl::StrJoin(required, ","), ")"));
    }
    out.push_back(column);
  }
  return out;
}

absl::Status FieldError(const CsvReader& reader, const std::string& column,
                        const std::string& value, absl::string_view expected) {
  return absl::InvalidArgumentError(absl::StrCat(reader.path(), ":", reader.line(), ": column '",
                                                 column, "': expected ", expected, ", got '", value,
                                                 "'"));
}

absl::StatusOr<double> ParseNumber(const CsvReader& reader, const std::vector<std::string>& row,
                                   int column) {
  double value = 0;
  const std::string& text = row[column];
  if (!absl::SimpleAtod(absl::StripAsciiWhitespace(text), &value) || !std::isfinite(value)) {
    return FieldError(reader, reader.header()[column], text, "a finite number");
  }
  return value;
}

absl::StatusOr<int> ParseLabel(const CsvReader& reader, const std::vector<std::string>& row,
                               int column) {
  const absl::string_view text = absl::StripAsciiWhitespace(row[column]);
  if (text == "0" || text == "0.0") return 0;
  if (text == "1" || text == "1.0") return 1;
  return FieldError(reader, reader.header()[column], row[column], "0 or 1");
}

}  // namespace

void Predictions::Append(const Predictions& other) {
  const bool keep_group = !group.empty() || id.empty();
  const bool keep_series = !series.empty() || id.empty();
  const bool keep_world = !world.empty() || id.empty();
  source = source.empty() ? other.source : absl::StrCat(source, "+", other.source);
  id.insert(id.end(), other.id.begin(), other.id.end());
  label.insert(label.end(), other.label.begin(), other.label.end());
  score.insert(score.end(), other.score.begin(), other.score.end());
  auto append = [&](bool keep, auto& mine, const auto& theirs) {
    if (keep && !theirs.empty()) {
      mine.insert(mine.end(), theirs.begin(), theirs.end());
    } else {
      mine.clear();
    }
  };
  append(keep_group, group, other.group);
  append(keep_series, series, other.series);
  append(keep_world, world, other.world);
}

absl::StatusOr<Predictions> ReadPredictions(const std::string& path) {
  GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<CsvReader> reader, CsvReader::Open(path));
  GENESIS_ASSIGN_OR_RETURN(std::vector<int> cols, Columns(*reader, {"id", "label", "score"}));
  const int group_col = reader->Column("group");
  const int series_col = reader->Column("seriesuid");
  const int x_col = reader->Column("coordX"), y_col = reader->Column("coordY"),
            z_col = reader->Column("coordZ");
  const bool has_world = x_col >= 0 && y_col >= 0 && z_col >= 0;
  Predictions p;
  p.source = path;
  std::vector<int64_t> lines;  // CSV line of each row, for duplicate-id messages.
  std::vector<std::string> row;
  while (true) {
    GENESIS_ASSIGN_OR_RETURN(bool more, reader->Next(&row));
    if (!more) break;
    const std::string& id = row[cols[0]];
    if (id.empty()) return FieldError(*reader, "id", id, "a non-empty id");
    GENESIS_ASSIGN_OR_RETURN(int label, ParseLabel(*reader, row, cols[1]));
    GENESIS_ASSIGN_OR_RETURN(double score, ParseNumber(*reader, row, cols[2]));
    p.id.push_back(id);
    lines.push_back(reader->line());
    p.label.push_back(label);
    p.score.push_back(score);
    if (group_col >= 0) p.group.push_back(row[group_col]);
    if (series_col >= 0) p.series.push_back(row[series_col]);
    if (has_world) {
      std::array<double, 3> w;
      GENESIS_ASSIGN_OR_RETURN(w[0], ParseNumber(*reader, row, x_col));
      GENESIS_ASSIGN_OR_RETURN(w[1], ParseNumber(*reader, row, y_col));
      GENESIS_ASSIGN_OR_RETURN(w[2], ParseNumber(*reader, row, z_col));
      p.world.push_back(w);
    }
  }
  // Duplicate ids, checked once all rows are in (views into p.id, no copies).
  absl::flat_hash_map<absl::string_view, size_t> first;
  first.reserve(p.id.size());
  for (size_t i = 0; i < p.id.size(); ++i) {
    auto [it, inserted] = first.emplace(p.id[i], i);
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", lines[i], ": id '", p.id[i],
                                                     "' repeats line ", lines[it->second]));
    }
  }
  return p;
}

absl::StatusOr<MatchedPredictions> MatchById(const Predictions& a, const Predictions& b) {
  absl::flat_hash_map<absl::string_view, size_t> in_b;
  in_b.reserve(b.size());
  for (size_t i = 0; i < b.size(); ++i) in_b.emplace(b.id[i], i);
  MatchedPredictions out;
  std::vector<char> used(b.size(), 0);
  for (size_t i = 0; i < a.size(); ++i) {
    auto it = in_b.find(a.id[i]);
    if (it == in_b.end()) {
      out.only_in_a.push_back(a.id[i]);
      continue;
    }
    if (a.label[i] != b.label[it->second]) {
      return absl::InvalidArgumentError(absl::StrCat("id '", a.id[i], "' has label ", a.label[i],
                                                     " in ", a.source, " but ", b.label[it->second],
                                                     " in ", b.source));
    }
    used[it->second] = 1;
    out.label.push_back(a.label[i]);
    out.score_a.push_back(a.score[i]);
    out.score_b.push_back(b.score[it->second]);
  }
  for (size_t i = 0; i < b.size(); ++i) {
    if (!used[i]) out.only_in_b.push_back(b.id[i]);
  }
  return out;
}

absl::StatusOr<std::vector<Nodule>> ReadNodules(const std::string& path) {
  GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<CsvReader> reader, CsvReader::Open(path));
  GENESIS_ASSIGN_OR_RETURN(std::vector<int> cols, Columns(*reader, {"seriesuid", "coordX", "coordY",
                                                                    "coordZ", "diameter_mm"}));
  std::vector<Nodule> nodules;
  std::vector<std::string> row;
  while (true) {
    GENESIS_ASSIGN_OR_RETURN(bool more, reader->Next(&row));
    if (!more) break;
    Nodule n;
    n.seriesuid = std::string(absl::StripAsciiWhitespace(row[cols[0]]));
    if (n.seriesuid.empty()) return FieldError(*reader, "seriesuid", "", "a seriesuid");
    GENESIS_ASSIGN_OR_RETURN(n.x, ParseNumber(*reader, row, cols[1]));
    GENESIS_ASSIGN_OR_RETURN(n.y, ParseNumber(*reader, row, cols[2]));
    GENESIS_ASSIGN_OR_RETURN(n.z, ParseNumber(*reader, row, cols[3]));
    GENESIS_ASSIGN_OR_RETURN(n.diameter_mm, ParseNumber(*reader, row, cols[4]));
    nodules.push_back(std::move(n));
  }
  return nodules;
}

absl::StatusOr<std::vector<CadMark>> ReadCadMarks(const std::string& path) {
  GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<CsvReader> reader, CsvReader::Open(path));
  GENESIS_ASSIGN_OR_RETURN(std::vector<int> cols, Columns(*reader, {"seriesuid", "coordX", "coordY",
                                                                    "coordZ", "probability"}));
  std::vector<CadMark> marks;
  std::vector<std::string> row;
  while (true) {
    GENESIS_ASSIGN_OR_RETURN(bool more, reader->Next(&row));
    if (!more) break;
    CadMark m;
    m.seriesuid = std::string(absl::StripAsciiWhitespace(row[cols[0]]));
    if (m.seriesuid.empty()) return FieldError(*reader, "seriesuid", "", "a seriesuid");
    GENESIS_ASSIGN_OR_RETURN(m.x, ParseNumber(*reader, row, cols[1]));
    GENESIS_ASSIGN_OR_RETURN(m.y, ParseNumber(*reader, row, cols[2]));
    GENESIS_ASSIGN_OR_RETURN(m.z, ParseNumber(*reader, row, cols[3]));
    GENESIS_ASSIGN_OR_RETURN(m.probability, ParseNumber(*reader, row, cols[4]));
    marks.push_back(std::move(m));
  }
  return marks;
}

absl::StatusOr<std::vector<std::string>> ReadSeriesList(const std::string& path) {
  GENESIS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  std::vector<std::string> series;
  absl::flat_hash_map<std::string, int> seen;
  int line_number = 0;
  int column = 0;  // Column of seriesuid when the file is a CSV with a header.
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    std::vector<absl::string_view> fields = absl::StrSplit(line, ',');
    if (series.empty() && seen.empty()) {
      bool header = false;
      for (size_t i = 0; i < fields.size(); ++i) {
        if (absl::StripAsciiWhitespace(fields[i]) == "seriesuid") {
          column = static_cast<int>(i);
          header = true;
        }
      }
      if (header) {
        seen.emplace("", line_number);  // Header consumed.
        continue;
      }
    }
    if (column >= static_cast<int>(fields.size())) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", line_number, ": expected a seriesuid in column ", column + 1));
    }
    std::string uid(absl::StripAsciiWhitespace(fields[column]));
    if (uid.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", line_number, ": empty seriesuid"));
    }
    auto [it, inserted] = seen.emplace(uid, line_number);
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", line_number, ": seriesuid '", uid,
                                                     "' repeats line ", it->second));
    }
    series.push_back(std::move(uid));
  }
  if (series.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no seriesuid listed"));
  }
  return series;
}

}  // namespace genesis
