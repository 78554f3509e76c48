// "brain_tumor_figshare": the figshare brain tumor T1-CE slices -> one record per patient
// (cjdata.PID), files = that patient's numbered .mat files in number order. A file libmatio
// cannot read, or without cjdata.PID / cjdata.label, is an error naming it.
//
//   corpus { dataset { source { type: "brain_tumor_figshare" options {
//     [type.googleapis.com/genesis.BrainTumorFigshareOptions] { root: "/data/brain_tumor" }
//   } } } }
//
// Record: patient_id = PID ("100360"), modality MR, body_part "brain", slice_count = number of
// files (each holds one 2D slice), labels: mat_variable ("cjdata.image"), file_labels (each
// file's cjdata.label: 1 meningioma, 2 glioma, 3 pituitary tumour; comma-joined).

#include <matio.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/dataset_source.h"
#include "core/status_macros.h"
#include "plugins/dataset/brain_tumor_figshare.pb.h"
#include "plugins/dataset/dataset_util.h"

namespace genesis {
namespace {

struct MatCloser {
  void operator()(mat_t* mat) const { Mat_Close(mat); }
};
struct VarFreer {
  void operator()(matvar_t* var) const { Mat_VarFree(var); }
};

// MATLAB char array -> std::string (uint16 code units in v7.3, bytes in v5).
std::string CharData(const matvar_t* var) {
  std::string out;
  if (var == nullptr || var->data == nullptr) return out;
  const size_t n = var->nbytes / (var->data_size > 0 ? var->data_size : 1);
  if (var->data_size == 2) {
    const auto* d = static_cast<const uint16_t*>(var->data);
    for (size_t i = 0; i < n; ++i) out += static_cast<char>(d[i] < 128 ? d[i] : '?');
  } else {
    out.assign(static_cast<const char*>(var->data), var->nbytes);
  }
  return std::string(absl::StripAsciiWhitespace(out));
}

absl::StatusOr<double> ScalarData(const matvar_t* var) {
  if (var == nullptr || var->data == nullptr || var->nbytes == 0) {
    return absl::InvalidArgumentError("empty");
  }
  switch (var->data_type) {
    case MAT_T_DOUBLE:
      return *static_cast<const double*>(var->data);
    case MAT_T_SINGLE:
      return *static_cast<const float*>(var->data);
    case MAT_T_UINT8:
      return *static_cast<const uint8_t*>(var->data);
    case MAT_T_INT8:
      return *static_cast<const int8_t*>(var->data);
    case MAT_T_UINT16:
      return *static_cast<const uint16_t*>(var->data);
    case MAT_T_INT16:
      return *static_cast<const int16_t*>(var->data);
    case MAT_T_INT32:
      return *static_cast<const int32_t*>(var->data);
    default:
      return absl::InvalidArgumentError("not a numeric scalar");
  }
}

// cjdata.PID and cjdata.label of one file.
absl::Status ReadPidAndLabel(const std::string& path, std::string* pid, std::string* label) {
  std::unique_ptr<mat_t, MatCloser> mat(Mat_Open(path.c_str(), MAT_ACC_RDONLY));
  if (mat == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a MATLAB file libmatio can open"));
  }
  std::unique_ptr<matvar_t, VarFreer> cjdata(Mat_VarRead(mat.get(), "cjdata"));
  if (cjdata == nullptr || cjdata->class_type != MAT_C_STRUCT) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no struct variable 'cjdata'"));
  }
  *pid = CharData(Mat_VarGetStructFieldByName(cjdata.get(), "PID", 0));
  if (pid->empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": empty cjdata.PID"));
  auto value = ScalarData(Mat_VarGetStructFieldByName(cjdata.get(), "label", 0));
  if (!value.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": cjdata.label: ", value.status().message()));
  }
  *label = absl::StrCat(static_cast<int>(*value));
  return absl::OkStatus();
}

bool IsNumberedMat(const std::string& path) {
  const std::string name = dataset::BaseName(path);
  if (!absl::EndsWithIgnoreCase(name, ".mat") || name.size() <= 4) return false;
  int64_t n = 0;
  return absl::SimpleAtoi(name.substr(0, name.size() - 4), &n);
}

class BrainTumorFigshareSource : public DatasetSource {
 public:
  explicit BrainTumorFigshareSource(const BrainTumorFigshareOptions& options) : options_(options) {}

  static absl::Status Validate(const BrainTumorFigshareOptions& o) {
    if (o.root().empty()) return absl::InvalidArgumentError("root: must be set");
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<PatientRecord>> Scan() const override {
    const std::string& root = options_.root();
    GENESIS_RETURN_IF_ERROR(dataset::CheckDirectory(root, "root"));
    GENESIS_ASSIGN_OR_RETURN(std::vector<std::string> all, dataset::ListFilesRecursive(root));
    std::vector<std::string> mats;
    for (const std::string& f : all) {
      if (IsNumberedMat(f)) mats.push_back(f);
    }
    std::sort(mats.begin(), mats.end(), [](const std::string& a, const std::string& b) {
      return dataset::NaturalLess(dataset::BaseName(a), dataset::BaseName(b));
    });
    if (mats.empty()) {
      return absl::NotFoundError(
          absl::StrCat("root: no numbered .mat files (1.mat ...) under ", root));
    }
    std::vector<std::string> order;  // Patients in order of their first file.
    std::map<std::string, PatientRecord> by_patient;
    std::map<std::string, std::vector<std::string>> file_labels;
    for (const std::string& mat : mats) {
      std::string patient = dataset::StripExtension(mat);
      std::string label;
      if (options_.patient_from_pid()) {
        GENESIS_RETURN_IF_ERROR(ReadPidAndLabel(mat, &patient, &label));
      }
      PatientRecord& r = by_patient[patient];
      if (r.files.empty()) {
        order.push_back(patient);
        r.dataset = options_.name();
        r.patient_id = patient;
        r.modality = Modality::kMR;
        r.body_part = options_.body_part();
        r.hints.mat_variable = "cjdata.image";
      }
      r.files.push_back(mat);
      file_labels[patient].push_back(label);
    }
    std::vector<PatientRecord> records;
    for (const std::string& patient : order) {
      PatientRecord& r = by_patient[patient];
      r.slice_count = static_cast<int64_t>(r.files.size());
      if (options_.patient_from_pid()) {
        r.labels["file_labels"] = absl::StrJoin(file_labels[patient], ",");
      }
      records.push_back(std::move(r));
    }
    return records;
  }

 private:
  BrainTumorFigshareOptions options_;
};

}  // namespace

GENESIS_REGISTER_DATASET_SOURCE(BrainTumorFigshareSource, "brain_tumor_figshare",
                                BrainTumorFigshareOptions,
                                "figshare brain tumor T1-CE slices (MATLAB v7.3 cjdata, by PID)");

}  // namespace genesis
