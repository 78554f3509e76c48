// The "plots" reporter: the study's charts as PNG files in <report>/plots/, one file per figure
// (names: roc_<dataset>_<backbone>_r<k>.png, froc_..., loss_..., val_auc_...,
// label_efficiency_..., pretrain_loss_<i>.png; detail: roc_<...>_<initializer>.png).
//
//   stage { report { reporter { type: "plots" options {
//     [type.googleapis.com/genesis.PlotsReporterOptions] { width: 1024 height: 640 } } } } }
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "core/reporter.h"
#include "core/status_macros.h"
#include "glog/logging.h"
#include "plugins/reporter/figures.h"
#include "plugins/reporter/plot.h"
#include "plugins/reporter/plots.pb.h"
#include "plugins/reporter/study.h"

namespace genesis {
namespace {

class PlotsReporter : public Reporter {
 public:
  explicit PlotsReporter(const PlotsReporterOptions& options) : options_(options) {}

  static absl::Status Validate(const PlotsReporterOptions& options) {
    if (options.width() < 100 || options.height() < 100) {
      return absl::InvalidArgumentError(
          absl::StrCat("width x height must be at least 100 x 100, got ", options.width(), " x ",
                       options.height()));
    }
    return absl::OkStatus();
  }

  absl::Status Write(const ReportInput& input, const std::string& report_dir) const override {
    GENESIS_ASSIGN_OR_RETURN(Study study, LoadStudy(input.run_dirs, input.title));
    GENESIS_ASSIGN_OR_RETURN(FigureSet set, BuildFigures(study));
    const std::string dir = report_dir + "/plots";
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return absl::PermissionDeniedError(absl::StrCat(dir, ": ", ec.message()));
    int written = 0;
    for (const Figure& figure : set.figures) {
      if (figure.detail && !options_.detail()) continue;
      GENESIS_RETURN_IF_ERROR(WritePlotPng(figure.plot, absl::StrCat(dir, "/", figure.id, ".png"),
                                           options_.width(), options_.height()));
      ++written;
    }
    for (const ReportWarning& note : set.notes) LOG(WARNING) << "plots: " << note.message;
    LOG(INFO) << "plots: " << written << " PNG file(s) in " << dir;
    return absl::OkStatus();
  }

 private:
  PlotsReporterOptions options_;
};

}  // namespace

GENESIS_REGISTER_REPORTER(PlotsReporter, "plots", PlotsReporterOptions,
                          "PNG charts: ROC, FROC, loss/AUC per epoch, label efficiency, "
                          "pretraining loss");

}  // namespace genesis
