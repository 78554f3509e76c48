// Corpus summary in the spirit of the study's Fig 3.1-3.7: slices per modality, body part and
// dataset, patients per dataset, min/mean/max slices per patient -- as CSV and bar-chart PNGs.
//
//   CorpusSummary summary;
//   summary.AddPatient("MSD-Liver", "7", Modality::kCT, "abdomen", Split::kTrain);
//   summary.AddSlice("MSD-Liver", "7");                    // once per stored slice
//   GENESIS_RETURN_IF_ERROR(summary.Write(stage_dir + "/summary"));
//
// Files written into the folder:
//   slices_per_modality.csv / .png    modality, patients, slices
//   slices_per_body_part.csv / .png   body_part, patients, slices
//   slices_per_dataset.csv / .png     dataset, modality, body_part, patients, slices,
//                                     min/mean/max slices per patient, train/val/test slices
//   patients_per_dataset.csv / .png   dataset, patients, train/val/test patients
//   slices_per_patient.png            mean slices per patient per dataset with min-max whiskers
//   slices_per_split.csv              split, patients, slices
// Patients counted are those with at least one stored slice; min/mean/max are over them.
#ifndef GENESIS_CORE_CORPUS_SUMMARY_H_
#define GENESIS_CORE_CORPUS_SUMMARY_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/corpus/split.h"
#include "core/slice_store.h"
#include "core/volume.h"

namespace genesis {

class CorpusSummary {
 public:
  void AddPatient(const std::string& dataset, const std::string& patient_id, Modality modality,
                  const std::string& body_part, Split split);
  // A stored slice of a patient added before.
  void AddSlice(const std::string& dataset, const std::string& patient_id);
  absl::Status Write(const std::string& dir) const;

  int64_t total_slices() const { return total_slices_; }
  // Slices per modality name (CT/MR/XR/unknown), for tests and logs.
  std::map<std::string, int64_t> SlicesPerModality() const;

 private:
  struct PatientInfo {
    Modality modality = Modality::kUnknown;
    std::string body_part;
    Split split = Split::kTrain;
    int64_t slices = 0;
  };
  std::map<PatientKey, PatientInfo> patients_;
  int64_t total_slices_ = 0;
};

// A horizontal bar chart PNG (OpenCV drawing): one bar per label with its value printed at the
// bar's end; optional whiskers (low/high per bar, same length as values or empty).
absl::Status WriteBarChart(const std::string& path, const std::string& title,
                           const std::string& value_label, const std::vector<std::string>& labels,
                           const std::vector<double>& values, const std::vector<double>& low = {},
                           const std::vector<double>& high = {});

}  // namespace genesis

#endif  // GENESIS_CORE_CORPUS_SUMMARY_H_
