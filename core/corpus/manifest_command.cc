// `genesis manifest MANIFEST.csv ...`: reads corpus manifests back (the corpus stage writes
// <stage>/manifest.csv) and prints one JSON line per dataset plus a total:
//
//   {"dataset":"MSD-Liver","patients":131,"volumes":131,"slices":58638,"stored_slices":13100,
//    "modalities":"CT"}
//   {"total":true,"datasets":17,"patients":...,"volumes":...,"slices":...,"stored_slices":...}
//
// Exit code 1 (with the file:line of the problem) when a manifest cannot be parsed.
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/command.h"
#include "core/corpus/manifest.h"

namespace genesis {
namespace {

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += absl::StrCat("\\u00", c < 16 ? "0" : "", absl::Hex(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

int ManifestMain(const std::vector<std::string>& args) {
  if (args.empty()) {
    std::fprintf(stderr, "usage: genesis manifest MANIFEST.csv ...\n");
    return 2;
  }
  struct Counts {
    std::set<std::string> patients;
    std::set<std::string> modalities;
    int64_t volumes = 0, slices = 0, stored = 0;
  };
  std::map<std::string, Counts> by_dataset;
  for (const std::string& path : args) {
    auto rows = ReadManifest(path);
    if (!rows.ok()) {
      std::fprintf(stderr, "%s\n", std::string(rows.status().message()).c_str());
      return 1;
    }
    for (const ManifestRow& r : *rows) {
      Counts& c = by_dataset[r.dataset];
      c.patients.insert(r.patient_id);
      c.modalities.insert(std::string(ModalityName(r.modality)));
      ++c.volumes;
      c.slices += r.slice_count;
      c.stored += r.selected_slices;
    }
  }
  Counts total;
  int64_t patients = 0;
  for (const auto& [name, c] : by_dataset) {
    std::printf(
        "{\"dataset\":%s,\"patients\":%zu,\"volumes\":%lld,\"slices\":%lld,"
        "\"stored_slices\":%lld,\"modalities\":%s}\n",
        JsonString(name).c_str(), c.patients.size(), static_cast<long long>(c.volumes),
        static_cast<long long>(c.slices), static_cast<long long>(c.stored),
        JsonString(absl::StrJoin(c.modalities, "+")).c_str());
    patients += static_cast<int64_t>(c.patients.size());
    total.volumes += c.volumes;
    total.slices += c.slices;
    total.stored += c.stored;
  }
  std::printf(
      "{\"total\":true,\"datasets\":%zu,\"patients\":%lld,\"volumes\":%lld,"
      "\"slices\":%lld,\"stored_slices\":%lld}\n",
      by_dataset.size(), static_cast<long long>(patients), static_cast<long long>(total.volumes),
      static_cast<long long>(total.slices), static_cast<long long>(total.stored));
  return 0;
}

}  // namespace

GENESIS_REGISTER_COMMAND(
    "manifest", "MANIFEST.csv ... : read corpus manifests back; per-dataset counts as JSON",
    &ManifestMain);

}  // namespace genesis
