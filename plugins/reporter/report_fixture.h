// Synthetic run folders in the layout of README.md "Output folder" (corpus skipped.csv,
// pretrain metrics.csv, transfer task.json / subruns.csv / leakage.csv / sub-run files,
// evaluate evaluation.json + curves), for the reporter tests and for trying the report by hand:
//
//   bazel run //plugins/reporter:make_report_fixture -- /tmp/fixture
//   genesis report /tmp/fixture/luna16_unet_vgg16 /tmp/fixture/luna16_unet_resnet50 --out /tmp/r
//
// The numbers are invented but consistent; every value the tests look for is a constant here.
#ifndef GENESIS_PLUGINS_REPORTER_REPORT_FIXTURE_H_
#define GENESIS_PLUGINS_REPORTER_REPORT_FIXTURE_H_

#include <string>

#include "absl/status/status.h"

namespace genesis {

struct FixtureOptions {
  std::string dataset = "LUNA16";
  std::string task = "luna16";
  std::string backbone = "unet_vgg16";
  long long seed = 42;
  // ImageNet sub-runs are listed in subruns.csv as failed (the "not run" column).
  bool imagenet_failed = true;
  // Write the evaluate stage (03_evaluate/evaluation.json); false = a run that skipped it.
  bool evaluate = true;
  // Add an offset to every AUC (tells two rows apart).
  double auc_offset = 0;
};

// Writes a run folder at `run_dir`: initialisations scratch and self_supervised, 2 folds,
// label fractions 0.25 and 1, one seed.
absl::Status WriteFixtureRun(const std::string& run_dir, const FixtureOptions& options);

// Constants the tests look for (at auc_offset 0).
inline constexpr double kScratchAuc = 0.9512;         // pooled, fraction 1
inline constexpr double kSelfSupervisedAuc = 0.9634;  // pooled, fraction 1
inline constexpr char kScratchCi[] = "[0.9401, 0.9623]";
inline constexpr char kSkippedFile[] = "/data/bad <scan>.nii.gz";
inline constexpr char kEvaluationWarning[] = "fold 1: 3 test scans have no positive candidate";

}  // namespace genesis

#endif  // GENESIS_PLUGINS_REPORTER_REPORT_FIXTURE_H_
