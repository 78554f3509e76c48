// "oasis": OASIS -> one record per subject (OAS1_0001), gathering every session of it
// (OAS1_0001_MR1 and the reliability re-scan OAS1_0001_MR2, possibly on another disc) so a
// patient-level split never separates them. Images are Analyze 7.5 .hdr/.img pairs (or NIfTI);
// a .hdr without its .img, or a session without the requested image set, is an error.
//
//   corpus { dataset { source { type: "oasis" options {
//     [type.googleapis.com/genesis.OasisOptions] { root: "/data/oasis1" image_set: "raw" }
//   } } } }
//
// Record: modality MR, body_part "brain", files = image headers, session by session,
// slice_count = sum of the headers' z sizes (-1 if one is NIfTI-gz), labels: sessions
// (comma-joined).

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/dataset_source.h"
#include "core/status_macros.h"
#include "plugins/dataset/dataset_util.h"
#include "plugins/dataset/oasis.pb.h"

namespace genesis {
namespace {

// "OAS1_0001_MR1" -> "OAS1_0001"; "" for other names.
std::string SessionSubject(absl::string_view name) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '_');
  if (parts.size() != 3 || !absl::StartsWith(parts[0], "OAS") ||
      !absl::StartsWith(parts[2], "MR")) {
    return "";
  }
  return absl::StrCat(parts[0], "_", parts[1]);
}

class OasisSource : public DatasetSource {
 public:
  explicit OasisSource(const OasisOptions& options) : options_(options) {}

  static absl::Status Validate(const OasisOptions& o) {
    if (o.root().empty()) return absl::InvalidArgumentError("root: must be set");
    const std::string& s = o.image_set();
    if (s != "raw" && s != "t88" && s != "t88_masked" && s != "subj") {
      return absl::InvalidArgumentError(absl::StrCat(
          "image_set: must be \"raw\", \"t88\", \"t88_masked\" or \"subj\", got \"", s, "\""));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<PatientRecord>> Scan() const override {
    const std::string& root = options_.root();
    GENESIS_RETURN_IF_ERROR(dataset::CheckDirectory(root, "root"));
    // Sessions at root or one level down (disc1/, disc2/, ...).
    std::vector<std::string> sessions;
    GENESIS_ASSIGN_OR_RETURN(std::vector<std::string> top, dataset::ListDirectories(root));
    for (const std::string& dir : top) {
      if (!SessionSubject(dataset::BaseName(dir)).empty()) {
        sessions.push_back(dir);
        continue;
      }
      GENESIS_ASSIGN_OR_RETURN(std::vector<std::string> inner, dataset::ListDirectories(dir));
      for (const std::string& sub : inner) {
        if (!SessionSubject(dataset::BaseName(sub)).empty()) sessions.push_back(sub);
      }
    }
    if (sessions.empty()) {
      return absl::NotFoundError(absl::StrCat("root: no OASIS session folders (OAS1_NNNN_MRn) in ",
                                              root, " or its discN/ folders"));
    }
    std::sort(sessions.begin(), sessions.end(), [](const std::string& a, const std::string& b) {
      return dataset::NaturalLess(dataset::BaseName(a), dataset::BaseName(b));
    });

    std::map<std::string, PatientRecord> by_subject;
    std::vector<std::string> order;
    for (const std::string& session : sessions) {
      const std::string name = dataset::BaseName(session);
      const std::string subject = SessionSubject(name);
      GENESIS_ASSIGN_OR_RETURN(std::vector<std::string> images, SessionImages(session));
      PatientRecord& r = by_subject[subject];
      if (r.patient_id.empty()) {
        order.push_back(subject);
        r.dataset = options_.name();
        r.patient_id = subject;
        r.modality = Modality::kMR;
        r.body_part = options_.body_part();
      }
      r.files.insert(r.files.end(), images.begin(), images.end());
      auto& names = r.labels["sessions"];
      names = names.empty() ? name : absl::StrCat(names, ",", name);
    }
    std::vector<PatientRecord> records;
    for (const std::string& subject : order) {
      PatientRecord& r = by_subject[subject];
      GENESIS_ASSIGN_OR_RETURN(r.slice_count, dataset::TotalSliceCount(r.files));
      records.push_back(std::move(r));
    }
    return records;
  }

 private:
  absl::StatusOr<std::vector<std::string>> SessionImages(const std::string& session) const {
    const std::string& set = options_.image_set();
    std::string dir;
    if (set == "raw") {
      dir = session + "/RAW";
    } else if (set == "subj") {
      dir = session + "/PROCESSED/MPRAGE/SUBJ_111";
    } else {
      dir = session + "/PROCESSED/MPRAGE/T88_111";
    }
    if (!dataset::IsDirectory(dir)) {
      return absl::NotFoundError(absl::StrCat(dir, ": missing (image_set \"", set, "\")"));
    }
    GENESIS_ASSIGN_OR_RETURN(std::vector<std::string> files, dataset::ListFiles(dir));
    std::vector<std::string> images;
    for (const std::string& f : files) {
      const std::string name = dataset::BaseName(f);
      if (!dataset::IsVolumeFile(name)) continue;
      const bool masked = absl::StrContains(name, "_masked");
      if (set == "raw" && !absl::StrContains(name, "mpr")) continue;
      if (set == "t88" && (masked || !absl::StrContains(name, "_t88_gfc"))) continue;
      if (set == "t88_masked" && !absl::StrContains(name, "_t88_masked_gfc")) continue;
      GENESIS_RETURN_IF_ERROR(dataset::CheckAnalyzePair(f));
      images.push_back(f);
    }
    if (images.empty()) {
      return absl::NotFoundError(
          absl::StrCat(dir, ": no images of image_set \"", set, "\" (.hdr/.img or .nii)"));
    }
    return images;
  }

  OasisOptions options_;
};

}  // namespace

GENESIS_REGISTER_DATASET_SOURCE(OasisSource, "oasis", OasisOptions,
                                "OASIS brain MRI sessions (Analyze .hdr/.img), per subject");

}  // namespace genesis
