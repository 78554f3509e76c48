// Fuzzes the "csv_manifest" dataset source (plugins/dataset/csv_manifest.cc): any dataset
// listed in a CSV, rows grouped by (dataset, patient_id), labels, slice counts, malformed rows
// skipped and reported. The input is the manifest; its root holds two files (a.nii.gz and
// b/c.dcm) so rows naming them pass check_files.
//
// Properties: an error names the manifest; every record has a dataset, a patient, a known
// modality and at least one file, each existing (check_files is on; paths may be absolute or
// leave the root, which is the user's choice); slice_count is -1 or >= 0; a skipped row names
// the manifest (line) or the missing file.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/dataset_source.h"
#include "core/registry.h"
#include "plugins/dataset/csv_manifest.pb.h"
#include "tools/fuzz/fuzz_util.h"

namespace genesis {
namespace {

const std::string& Root() {
  static const std::string* const root = [] {
    fuzz::WriteInput("manifest_root/a.nii.gz", "not read");
    fuzz::WriteInput("manifest_root/b/c.dcm", "not read");
    return new std::string(absl::StrCat(fuzz::ScratchDir(), "/manifest_root"));
  }();
  return *root;
}

}  // namespace
}  // namespace genesis

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace genesis;  // NOLINT: a fuzz entry point outside the namespace.
  static DatasetSource* const source = [] {
    CsvManifestOptions options;
    options.set_root(Root());
    options.set_manifest("manifest.csv");
    auto created = Registry<DatasetSource>::Get().Create("csv_manifest", options);
    if (!created.ok()) fuzz::Fail(created.status().ToString());
    return created->release();
  }();
  const std::string manifest = Root() + "/manifest.csv";
  fuzz::WriteInput("manifest_root/manifest.csv", fuzz::Bytes(data, size));

  absl::StatusOr<std::vector<PatientRecord>> records = source->Scan();
  if (!records.ok()) {
    fuzz::RequireNamesFile(records.status(), manifest);
    return 0;
  }
  if (records->empty()) fuzz::Fail("Scan() succeeded with no records");
  for (const PatientRecord& r : *records) {
    const std::string who = absl::StrCat("record (", r.dataset, ", ", r.patient_id, ")");
    if (r.dataset.empty() || r.patient_id.empty()) fuzz::Fail(absl::StrCat(who, ": empty key"));
    if (r.modality == Modality::kUnknown) fuzz::Fail(absl::StrCat(who, ": unknown modality"));
    if (r.files.empty()) fuzz::Fail(absl::StrCat(who, ": no files"));
    for (const std::string& file : r.files) {
      std::error_code ec;
      if (!std::filesystem::exists(file, ec)) {
        fuzz::Fail(absl::StrCat(who, ": listed file ", file, " does not exist"));
      }
    }
    if (r.slice_count < -1) fuzz::Fail(absl::StrCat(who, ": slice_count ", r.slice_count));
  }
  for (const auto& [input, reason] : source->SkippedInputs()) {
    if (!absl::StartsWith(input, manifest + ":") && !absl::StrContains(reason, manifest)) {
      fuzz::Fail(
          absl::StrCat("skipped input '", input, "' (", reason,
                       ") names neither the manifest line nor, in its reason, the manifest"));
    }
  }
  return 0;
}
