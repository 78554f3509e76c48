#include "core/corpus/manifest.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/csv.h"
#include "core/file_util.h"
#include "core/status_macros.h"

namespace genesis {

namespace {

// Labels are "key=value;key=value": '%', ';' and '=' inside keys and values are written as
// %25, %3B and %3D.
std::string EscapeLabel(absl::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '%') {
      out += "%25";
    } else if (c == ';') {
      out += "%3B";
    } else if (c == '=') {
      out += "%3D";
    } else {
      out += c;
    }
  }
  return out;
}

absl::StatusOr<std::string> UnescapeLabel(absl::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    const absl::string_view code = text.substr(i + 1, 2);
    if (code == "25") {
      out += '%';
    } else if (code == "3B") {
      out += ';';
    } else if (code == "3D") {
      out += '=';
    } else {
      return absl::InvalidArgumentError("bad escape");
    }
    i += 2;
  }
  return out;
}

}  // namespace

bool ManifestRow::operator==(const ManifestRow& o) const {
  return dataset == o.dataset && patient_id == o.patient_id && modality == o.modality &&
         body_part == o.body_part && file == o.file && volume_index == o.volume_index &&
         patient_volume == o.patient_volume && slice_count == o.slice_count && width == o.width &&
         height == o.height && spacing == o.spacing && selected_slices == o.selected_slices &&
         labels == o.labels;
}

const std::vector<std::string>& ManifestHeader() {
  static const auto* header = new std::vector<std::string>{
      "dataset",      "patient_id",     "modality",    "body_part",       "file",
      "volume_index", "patient_volume", "slice_count", "width",           "height",
      "spacing_x",    "spacing_y",      "spacing_z",   "selected_slices", "labels"};
  return *header;
}

std::string ManifestLine(const ManifestRow& r) {
  std::vector<std::string> labels;
  for (const auto& [k, v] : r.labels) {
    labels.push_back(absl::StrCat(EscapeLabel(k), "=", EscapeLabel(v)));
  }
  return CsvLine({r.dataset, r.patient_id, std::string(ModalityName(r.modality)), r.body_part,
                  r.file, absl::StrCat(r.volume_index), absl::StrCat(r.patient_volume),
                  absl::StrCat(r.slice_count), absl::StrCat(r.width), absl::StrCat(r.height),
                  absl::StrFormat("%.9g", r.spacing[0]), absl::StrFormat("%.9g", r.spacing[1]),
                  absl::StrFormat("%.9g", r.spacing[2]), absl::StrCat(r.selected_slices),
                  absl::StrJoin(labels, ";")});
}

absl::StatusOr<std::unique_ptr<ManifestWriter>> ManifestWriter::Open(const std::string& path) {
  std::unique_ptr<ManifestWriter> w(new ManifestWriter());
  w->path_ = path;
  w->tmp_ = TempPathFor(path);
  w->file_ = std::fopen(w->tmp_.c_str(), "wb");
  if (w->file_ == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat(path, ": cannot write: ", std::strerror(errno)));
  }
  const std::string header = CsvLine(ManifestHeader());
  std::fwrite(header.data(), 1, header.size(), w->file_);
  return w;
}

ManifestWriter::~ManifestWriter() {
  if (file_ != nullptr) {
    std::fclose(file_);
    std::remove(tmp_.c_str());
  }
}

absl::Status ManifestWriter::Add(const ManifestRow& row) {
  if (file_ == nullptr) return absl::FailedPreconditionError(absl::StrCat(path_, ": closed"));
  const std::string line = ManifestLine(row);
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size()) {
    return absl::DataLossError(absl::StrCat(path_, ": write failed: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status ManifestWriter::Close() {
  if (file_ == nullptr) return absl::FailedPreconditionError(absl::StrCat(path_, ": closed"));
  const bool ok = std::fflush(file_) == 0 && fsync(fileno(file_)) == 0;
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!ok || !closed || std::rename(tmp_.c_str(), path_.c_str()) != 0) {
    std::remove(tmp_.c_str());
    return absl::DataLossError(absl::StrCat(path_, ": write failed: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status WriteManifest(const std::string& path, const std::vector<ManifestRow>& rows) {
  GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<ManifestWriter> writer, ManifestWriter::Open(path));
  for (const ManifestRow& row : rows) GENESIS_RETURN_IF_ERROR(writer->Add(row));
  return writer->Close();
}

absl::StatusOr<std::vector<ManifestRow>> ReadManifest(const std::string& path) {
  GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<CsvReader> csv, CsvReader::Open(path));
  if (csv->header() != ManifestHeader()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ":1: not a Genesis manifest; expected header ", CsvLine(ManifestHeader())));
  }
  std::vector<ManifestRow> rows;
  std::vector<std::string> f;
  while (true) {
    GENESIS_ASSIGN_OR_RETURN(bool more, csv->Next(&f));
    if (!more) break;
    auto bad = [&](absl::string_view column, absl::string_view value) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", csv->line(), ": ", column, ": cannot parse '", value, "'"));
    };
    ManifestRow r;
    r.dataset = f[0];
    r.patient_id = f[1];
    auto modality = ParseModality(f[2]);
    if (!modality.ok()) return bad("modality", f[2]);
    r.modality = *modality;
    r.body_part = f[3];
    r.file = f[4];
    int64_t* ints[] = {&r.volume_index, &r.patient_volume, &r.slice_count, &r.width, &r.height};
    for (int i = 0; i < 5; ++i) {
      if (!absl::SimpleAtoi(f[5 + i], ints[i])) return bad(ManifestHeader()[5 + i], f[5 + i]);
    }
    for (int i = 0; i < 3; ++i) {
      if (!absl::SimpleAtod(f[10 + i], &r.spacing[i])) {
        return bad(ManifestHeader()[10 + i], f[10 + i]);
      }
    }
    if (!absl::SimpleAtoi(f[13], &r.selected_slices)) return bad("selected_slices", f[13]);
    for (absl::string_view kv : absl::StrSplit(f[14], ';', absl::SkipEmpty())) {
      std::pair<std::string, std::string> p = absl::StrSplit(kv, absl::MaxSplits('=', 1));
      auto key = UnescapeLabel(p.first);
      auto value = UnescapeLabel(p.second);
      if (!key.ok() || !value.ok()) return bad("labels", f[14]);
      r.labels[*key] = *value;
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

}  // namespace genesis
