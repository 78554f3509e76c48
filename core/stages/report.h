// Runs reporters over run folders: what the "report" stage and `genesis report` share.
//
//   ReportInput input{{run_dir}, "My study"};
//   GENESIS_RETURN_IF_ERROR(RunReporters(stage.reporter(), input, stage_dir));
//
// An empty list runs every registered reporter (html, plots, tables when //plugins/reporter:all
// is linked). Every reporter runs even when an earlier one fails; the first error is returned.
#ifndef GENESIS_CORE_STAGES_REPORT_H_
#define GENESIS_CORE_STAGES_REPORT_H_

#include <string>

#include "absl/status/status.h"
#include "core/proto/plugin_spec.pb.h"
#include "core/reporter.h"
#include "google/protobuf/repeated_field.h"

namespace genesis {

absl::Status RunReporters(const google::protobuf::RepeatedPtrField<PluginSpec>& reporters,
                          const ReportInput& input, const std::string& report_dir);

}  // namespace genesis

#endif  // GENESIS_CORE_STAGES_REPORT_H_
