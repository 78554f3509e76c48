// The "report" stage: runs the configured reporters on this run's folder and writes into the
// stage folder (<run>/NN_report/report.html, plots/, report.json, fig51.csv, ...).
//
//   stage { report {
//     title: "LUNA16 x VGG16: scratch vs self-supervised vs ImageNet"
//     reporter { type: "html" } reporter { type: "plots" } reporter { type: "tables" }
//   } }
//
// With no reporter listed every registered reporter runs. The report presents what the
// evaluate stage computed: a run whose transfer stage has no evaluation fails with a message
// naming the stage to run.
#include "core/stages/report.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "core/proto/stages.pb.h"
#include "core/stage.h"
#include "glog/logging.h"

namespace genesis {

absl::Status RunReporters(const google::protobuf::RepeatedPtrField<PluginSpec>& reporters,
                          const ReportInput& input, const std::string& report_dir) {
  std::error_code ec;
  std::filesystem::create_directories(report_dir, ec);
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat(report_dir, ": cannot create report folder: ", ec.message()));
  }
  google::protobuf::RepeatedPtrField<PluginSpec> specs = reporters;
  if (specs.empty()) {
    for (const std::string& name : Registry<Reporter>::Get().Names()) specs.Add()->set_type(name);
  }
  if (specs.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("no reporter is linked into this binary; depend on ", Reporter::kTarget));
  }
  absl::Status first;
  for (const PluginSpec& spec : specs) {
    absl::Status status = [&]() -> absl::Status {
      auto reporter = Registry<Reporter>::Get().Create(spec);
      if (!reporter.ok()) return reporter.status();
      return (*reporter)->Write(input, report_dir);
    }();
    if (!status.ok()) {
      LOG(ERROR) << "reporter " << spec.type() << ": " << status.message();
      if (first.ok()) {
        first = absl::Status(status.code(),
                             absl::StrCat("reporter ", spec.type(), ": ", status.message()));
      }
    }
  }
  if (first.ok()) {
    const std::string html = report_dir + "/report.html";
    LOG(INFO) << "report written to " << report_dir
              << (std::filesystem::exists(html) ? absl::StrCat(" (open ", html, ")") : "");
    if (auto answer = ReadFile(report_dir + "/answer.txt"); answer.ok()) {
      LOG(INFO) << "answer:\n" << *answer;
    }
  }
  return first;
}

namespace {

class ReportStageRunner : public StageRunner {
 public:
  explicit ReportStageRunner(const ReportStage& options) : options_(options) {}

  absl::Status Run(const RunContext& context) override {
    ReportInput input;
    input.run_dirs = {context.run_dir};
    input.title = options_.title();
    return RunReporters(options_.reporter(), input, context.stage_dir);
  }

 private:
  ReportStage options_;
};

}  // namespace

GENESIS_REGISTER_STAGE(ReportStageRunner, "report", ReportStage,
                       "writes the run's report: HTML, PNG plots, CSV/JSON tables");

}  // namespace genesis
