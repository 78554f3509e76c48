// "csv_manifest": a generic CSV listing files -> records grouped by (dataset, patient_id), so a
// user adds any dataset without writing code.
//
//   corpus { dataset { source { type: "csv_manifest" options {
//     [type.googleapis.com/genesis.CsvManifestOptions] { root: "/data/mine" manifest: "list.csv" }
//   } } } }
//
//   dataset,patient_id,modality,body_part,file,label
//   MyCT,p1,CT,abdomen,"scans/p1, visit 1.nii.gz",1
//
// Required columns: dataset, patient_id, modality (CT, MR/MRI, XR/X-ray/CR/DX), body_part, file
// (relative to `root`; the manifest defaults to <root>/manifest.csv). Optional slice_count
// (records sum it when every row of a patient has one). Optional read-hint columns
// (core/read_hints.h) say how to read the files: channel (index of the volume to keep),
// value_offset (added to every voxel), mat_variable (e.g. cjdata.image), axes (e.g. yxzt); an
// empty cell sets no hint. Other columns become labels: one value when
// all rows of the patient agree, else the per-file values comma-joined in file order. Rows of one
// patient must agree on modality, body_part and read hints. Records keep the manifest's
// first-appearance order.
// A malformed row (wrong number of fields, empty required field, unknown modality, missing file,
// disagreeing patient) is reported in skipped.csv and left out; a manifest with no usable row is
// an error.

#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/dataset_source.h"
#include "core/status_macros.h"
#include "plugins/dataset/csv_manifest.pb.h"
#include "plugins/dataset/dataset_util.h"

namespace genesis {
namespace {

constexpr int64_t kMaxSliceCount = 1000000000;

// Columns of the optional read hints; -1 when absent.
struct HintColumns {
  int channel = -1, value_offset = -1, mat_variable = -1, axes = -1;
  bool Has(int c) const {
    return c == channel || c == value_offset || c == mat_variable || c == axes;
  }
};

// One row's read hints from its hint cells (an empty cell sets none); an error names the
// column and value.
absl::StatusOr<ReadHints> RowHints(const std::vector<std::string>& row, const HintColumns& cols) {
  ReadHints hints;
  if (cols.channel >= 0 && !row[cols.channel].empty()) {
    int64_t channel = 0;
    if (!absl::SimpleAtoi(row[cols.channel], &channel) || channel < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("channel must be an integer >= 0, got '", row[cols.channel], "'"));
    }
    hints.channel = channel;
  }
  if (cols.value_offset >= 0 && !row[cols.value_offset].empty()) {
    float offset = 0;
    if (!absl::SimpleAtof(row[cols.value_offset], &offset) || !std::isfinite(offset)) {
      return absl::InvalidArgumentError(
          absl::StrCat("value_offset must be a finite number, got '", row[cols.value_offset], "'"));
    }
    hints.value_offset = offset;
  }
  if (cols.mat_variable >= 0 && !row[cols.mat_variable].empty()) {
    for (absl::string_view part : absl::StrSplit(row[cols.mat_variable], '.')) {
      if (part.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("mat_variable: empty name in dotted path '", row[cols.mat_variable], "'"));
      }
    }
    hints.mat_variable = row[cols.mat_variable];
  }
  if (cols.axes >= 0 && !row[cols.axes].empty()) {
    absl::StatusOr<AxisOrder> axes = ParseAxisOrder(row[cols.axes]);
    if (!axes.ok()) return axes.status();
    hints.axes = *axes;
  }
  return hints;
}

class CsvManifestSource : public DatasetSource {
 public:
  explicit CsvManifestSource(const CsvManifestOptions& options) : options_(options) {}

  static absl::Status Validate(const CsvManifestOptions& o) {
    if (o.root().empty()) return absl::InvalidArgumentError("root: must be set");
    if (o.manifest().empty()) return absl::InvalidArgumentError("manifest: must be set");
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<PatientRecord>> Scan() const override {
    const std::string& root = options_.root();
    GENESIS_RETURN_IF_ERROR(dataset::CheckDirectory(root, "root"));
    const std::string csv = dataset::ResolvePath(root, options_.manifest());
    const std::vector<std::string> required = {"dataset", "patient_id", "modality", "body_part",
                                               "file"};
    GENESIS_ASSIGN_OR_RETURN(dataset::CsvRows rows, dataset::ReadCsvRowsWithColumns(csv, required));
    const CsvTable& table = rows.table;
    skipped_ = rows.bad_rows;  // Rows with a wrong field count, each reported alone.
    if (table.rows.empty() && rows.bad_rows.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(csv, ": has a header but no rows; list one file per row"));
    }
    const int dataset_col = table.Column("dataset");
    const int patient_col = table.Column("patient_id");
    const int modality_col = table.Column("modality");
    const int body_col = table.Column("body_part");
    const int file_col = table.Column("file");
    const int slices_col = table.Column("slice_count");
    HintColumns hint_cols;
    hint_cols.channel = table.Column("channel");
    hint_cols.value_offset = table.Column("value_offset");
    hint_cols.mat_variable = table.Column("mat_variable");
    hint_cols.axes = table.Column("axes");
    std::vector<int> label_cols;
    for (int c = 0; c < static_cast<int>(table.header.size()); ++c) {
      bool known = c == slices_col || hint_cols.Has(c) || table.header[c].empty();
      for (const std::string& r : required) known = known || table.header[c] == r;
      if (!known) label_cols.push_back(c);
    }

    struct Group {
      PatientRecord record;
      bool all_slices_known = true;
      std::vector<std::vector<std::string>> label_values;  // Per label column, per file.
    };
    std::vector<Group> groups;
    std::map<std::pair<std::string, std::string>, size_t> index;
    for (size_t i = 0; i < table.rows.size(); ++i) {
      const auto& row = table.rows[i];
      const std::string where = absl::StrCat(csv, ":", rows.lines[i]);
      // A malformed row is reported (SkippedInputs) and left out; the other rows are kept.
      auto skip_row = [&](const std::string& input, const std::string& reason) {
        skipped_.emplace_back(input, reason);
      };
      std::string empty_column;
      for (int c : {dataset_col, patient_col, modality_col, file_col}) {
        if (row[c].empty() && empty_column.empty()) empty_column = table.header[c];
      }
      if (!empty_column.empty()) {
        skip_row(where, absl::StrCat("empty '", empty_column, "'"));
        continue;
      }
      auto modality = ParseModality(row[modality_col]);
      if (!modality.ok()) {
        skip_row(where, absl::StrCat("modality: ", modality.status().message()));
        continue;
      }
      const std::string file = dataset::ResolvePath(root, row[file_col]);
      if (options_.check_files() && !dataset::IsFile(file) && !dataset::IsDirectory(file)) {
        skip_row(file, absl::StrCat("missing (listed in ", where, ")"));
        continue;
      }
      int64_t slices = -1;
      if (slices_col >= 0 && !row[slices_col].empty()) {
        // Bounded so that a patient's sum over its rows cannot overflow (a file holds far
        // fewer slices; 2^63 - 1 on two rows used to be undefined behaviour).
        if (!absl::SimpleAtoi(row[slices_col], &slices) || slices < 0 ||
            slices > kMaxSliceCount) {
          skip_row(where, absl::StrCat("slice_count must be an integer in [0, ", kMaxSliceCount,
                                       "], got '", row[slices_col], "'"));
          continue;
        }
      }
      absl::StatusOr<ReadHints> hints = RowHints(row, hint_cols);
      if (!hints.ok()) {
        skip_row(where, std::string(hints.status().message()));
        continue;
      }
      const std::string name = options_.name().empty() ? row[dataset_col] : options_.name();
      if (auto found = index.find({name, row[patient_col]}); found != index.end()) {
        const PatientRecord& r = groups[found->second].record;
        if (r.modality != *modality || r.body_part != row[body_col]) {
          skip_row(where, absl::StrCat("patient '", r.patient_id, "' was ",
                                       ModalityName(r.modality), "/", r.body_part,
                                       " on an earlier line, here ", row[modality_col], "/",
                                       row[body_col]));
          continue;
        }
        if (r.hints != *hints) {
          skip_row(where, absl::StrCat("patient '", r.patient_id, "' had read hints (",
                                       DescribeReadHints(r.hints), ") on an earlier line, here (",
                                       DescribeReadHints(*hints), ")"));
          continue;
        }
      }
      auto [it, inserted] = index.emplace(std::make_pair(name, row[patient_col]), groups.size());
      if (inserted) {
        Group g;
        g.record.dataset = name;
        g.record.patient_id = row[patient_col];
        g.record.modality = *modality;
        g.record.body_part = row[body_col];
        g.record.slice_count = 0;
        g.record.hints = *hints;
        g.label_values.resize(label_cols.size());
        groups.push_back(std::move(g));
      }
      Group& g = groups[it->second];
      g.record.files.push_back(file);
      if (slices < 0) {
        g.all_slices_known = false;
      } else {
        g.record.slice_count += slices;
      }
      for (size_t l = 0; l < label_cols.size(); ++l) {
        g.label_values[l].push_back(row[label_cols[l]]);
      }
    }
    if (groups.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(csv, ": none of its ", table.rows.size() + rows.bad_rows.size(),
                       " rows is usable; the first: ",
                       skipped_[0].first, ": ", skipped_[0].second));
    }

    std::vector<PatientRecord> records;
    for (Group& g : groups) {
      if (!g.all_slices_known) g.record.slice_count = -1;
      for (size_t l = 0; l < label_cols.size(); ++l) {
        const std::vector<std::string>& values = g.label_values[l];
        bool same = true, any = false;
        for (const std::string& v : values) {
          same = same && v == values[0];
          any = any || !v.empty();
        }
        if (!any) continue;
        g.record.labels[table.header[label_cols[l]]] =
            same ? values[0] : absl::StrJoin(values, ",");
      }
      records.push_back(std::move(g.record));
    }
    return records;
  }

  std::vector<std::pair<std::string, std::string>> SkippedInputs() const override {
    return skipped_;
  }

 private:
  CsvManifestOptions options_;
  mutable std::vector<std::pair<std::string, std::string>> skipped_;  // Of the last Scan().
};

}  // namespace

GENESIS_REGISTER_DATASET_SOURCE(CsvManifestSource, "csv_manifest", CsvManifestOptions,
                                "any dataset listed in a CSV (dataset, patient_id, modality, "
                                "body_part, file)");

}  // namespace genesis
