// "luna16": LUNA16 subset folders -> one record per CT series (patient_id = seriesuid, the
// .mhd stem). Candidates (candidates_V2.csv) are the downstream task's business, not listed.
//
//   corpus { dataset { source { type: "luna16" options {
//     [type.googleapis.com/genesis.Luna16Options] { root: "/data/luna16" subsets: [0, 1] }
//   } } } }
//
// Record: files = [<seriesuid>.mhd] (its ElementDataFile must exist), slice_count = DimSize z
// from the header, labels: subset ("0".."9"), nodules (rows in annotations.csv, when present).

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/dataset_source.h"
#include "core/status_macros.h"
#include "plugins/dataset/dataset_util.h"
#include "plugins/dataset/luna16.pb.h"

namespace genesis {
namespace {

// The ElementDataFile a MetaImage header points to must exist beside it ("LOCAL" = inline).
absl::Status CheckMetaImageData(const std::string& mhd) {
  GENESIS_ASSIGN_OR_RETURN(std::string header, dataset::ReadPrefix(mhd, 1 << 16));
  for (absl::string_view line : absl::StrSplit(header, '\n')) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(line, absl::MaxSplits('=', 1));
    if (absl::StripAsciiWhitespace(kv.first) != "ElementDataFile") continue;
    const std::string data(absl::StripAsciiWhitespace(kv.second));
    if (data == "LOCAL" || absl::StartsWith(data, "LIST")) return absl::OkStatus();
    const std::string path = dataset::ResolvePath(dataset::ParentPath(mhd), data);
    if (!dataset::IsFile(path)) {
      return absl::NotFoundError(absl::StrCat(mhd, ": ElementDataFile ", data, " not found"));
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat(mhd, ": MetaImage header without ElementDataFile"));
}

class Luna16Source : public DatasetSource {
 public:
  explicit Luna16Source(const Luna16Options& options) : options_(options) {}

  static absl::Status Validate(const Luna16Options& o) {
    if (o.root().empty()) return absl::InvalidArgumentError("root: must be set");
    for (int s : o.subsets()) {
      if (s < 0 || s > 9) {
        return absl::InvalidArgumentError(absl::StrCat("subsets: must be in 0..9, got ", s));
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<PatientRecord>> Scan() const override {
    const std::string& root = options_.root();
    GENESIS_RETURN_IF_ERROR(dataset::CheckDirectory(root, "root"));

    std::map<std::string, int> nodules;
    bool have_annotations = false;
    const std::string annotations = dataset::ResolvePath(root, options_.annotations());
    const bool explicit_annotations = options_.has_annotations();
    if (!options_.annotations().empty() && (explicit_annotations || dataset::IsFile(annotations))) {
      GENESIS_ASSIGN_OR_RETURN(CsvTable table,
                               dataset::ReadCsvWithColumns(annotations, {"seriesuid"}));
      const int uid = table.Column("seriesuid");
      for (const auto& row : table.rows) ++nodules[row[uid]];
      have_annotations = true;
    }

    const std::set<int> wanted(options_.subsets().begin(), options_.subsets().end());
    std::set<int> found;
    std::vector<PatientRecord> records;
    GENESIS_ASSIGN_OR_RETURN(std::vector<std::string> dirs, dataset::ListDirectories(root));
    for (const std::string& dir : dirs) {
      const std::string name = dataset::BaseName(dir);
      int subset = -1;
      if (!absl::StartsWith(name, "subset") || !absl::SimpleAtoi(name.substr(6), &subset)) {
        continue;
      }
      if (!wanted.empty() && !wanted.count(subset)) continue;
      found.insert(subset);
      GENESIS_ASSIGN_OR_RETURN(std::vector<std::string> files, dataset::ListFiles(dir));
      for (const std::string& file : files) {
        if (!absl::EndsWithIgnoreCase(file, ".mhd")) continue;
        GENESIS_RETURN_IF_ERROR(CheckMetaImageData(file));
        PatientRecord record;
        record.dataset = options_.name();
        record.patient_id = dataset::StripExtension(file);
        record.modality = Modality::kCT;
        record.body_part = options_.body_part();
        record.files = {file};
        GENESIS_ASSIGN_OR_RETURN(record.slice_count, dataset::HeaderSliceCount(file));
        record.labels["subset"] = absl::StrCat(subset);
        if (have_annotations) {
          auto it = nodules.find(record.patient_id);
          record.labels["nodules"] = absl::StrCat(it == nodules.end() ? 0 : it->second);
        }
        records.push_back(std::move(record));
      }
    }
    if (found.empty()) {
      return absl::NotFoundError(absl::StrCat("root: no subset0..subset9 folders in ", root));
    }
    for (int s : wanted) {
      if (!found.count(s)) {
        return absl::NotFoundError(absl::StrCat("subsets: ", root, "/subset", s, " is missing"));
      }
    }
    return records;
  }

 private:
  Luna16Options options_;
};

}  // namespace

GENESIS_REGISTER_DATASET_SOURCE(Luna16Source, "luna16", Luna16Options,
                                "LUNA16 CT series (subsetN/<seriesuid>.mhd + .raw)");

}  // namespace genesis
