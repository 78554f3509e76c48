// "cardiac_mri": York cardiac MRI -> one record per sol_yxzt_patN.mat (patient_id "pat1").
//
//   corpus { dataset { source { type: "cardiac_mri" options {
//     [type.googleapis.com/genesis.CardiacMriOptions] { root: "/data/cardiac_mri" }
//   } } } }
//
// Record: modality MR, body_part "cardiac", read hints (core/read_hints.h): mat_variable
// "sol_yxzt", axes yxzt (the array is rows, columns, slices, frames; with the mat reader's
// default time_mode each frame's z stack is a volume).

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/dataset_source.h"
#include "core/status_macros.h"
#include "plugins/dataset/cardiac_mri.pb.h"
#include "plugins/dataset/dataset_util.h"

namespace genesis {
namespace {

constexpr absl::string_view kPrefix = "sol_yxzt_pat";

class CardiacMriSource : public DatasetSource {
 public:
  explicit CardiacMriSource(const CardiacMriOptions& options) : options_(options) {}

  static absl::Status Validate(const CardiacMriOptions& o) {
    if (o.root().empty()) return absl::InvalidArgumentError("root: must be set");
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<PatientRecord>> Scan() const override {
    const std::string& root = options_.root();
    GENESIS_RETURN_IF_ERROR(dataset::CheckDirectory(root, "root"));
    GENESIS_ASSIGN_OR_RETURN(std::vector<std::string> files, dataset::ListFilesRecursive(root));
    std::vector<std::string> mats;
    for (const std::string& f : files) {
      const std::string name = dataset::BaseName(f);
      if (absl::StartsWith(name, kPrefix) && absl::EndsWithIgnoreCase(name, ".mat")) {
        mats.push_back(f);
      }
    }
    std::sort(mats.begin(), mats.end(), [](const std::string& a, const std::string& b) {
      return dataset::NaturalLess(dataset::BaseName(a), dataset::BaseName(b));
    });
    if (mats.empty()) {
      return absl::NotFoundError(absl::StrCat("root: no sol_yxzt_pat*.mat files under ", root));
    }
    std::vector<PatientRecord> records;
    for (const std::string& mat : mats) {
      const std::string stem = dataset::StripExtension(mat);  // "sol_yxzt_pat12"
      int number = 0;
      if (!absl::SimpleAtoi(stem.substr(kPrefix.size()), &number)) {
        return absl::InvalidArgumentError(
            absl::StrCat(mat, ": expected the name sol_yxzt_pat<N>.mat"));
      }
      PatientRecord r;
      r.dataset = options_.name();
      r.patient_id = absl::StrCat("pat", number);
      r.modality = Modality::kMR;
      r.body_part = options_.body_part();
      r.files = {mat};
      r.hints.mat_variable = "sol_yxzt";
      r.hints.axes = AxisOrder{ImageAxis::kY, ImageAxis::kX, ImageAxis::kZ, ImageAxis::kT};
      records.push_back(std::move(r));
    }
    return records;
  }

 private:
  CardiacMriOptions options_;
};

}  // namespace

GENESIS_REGISTER_DATASET_SOURCE(CardiacMriSource, "cardiac_mri", CardiacMriOptions,
                                "York cardiac MRI (sol_yxzt_patN.mat, MATLAB v5)");

}  // namespace genesis
