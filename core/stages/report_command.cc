// `genesis report RUN_DIR... --out DIR [--title T] [--reporters html,plots,tables]`: one report
// from several run folders -- shards of one study, several seeds, or separately run experiments
// (LUNA16 x VGG16, LUNA16 x ResNet50 and MURA runs become rows of one Fig 5.1 table).
//
// Rows are keyed by dataset x backbone (task.json, subrun.json of each transfer stage). The same
// sub-run in two folders is an error naming both. Exit codes: 0 written, 1 failed, 2 usage.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "core/command.h"
#include "core/stages/report.h"

ABSL_DECLARE_FLAG(std::string, out);  // Defined in core/command.cc.
ABSL_FLAG(std::string, title, "", "genesis report: heading of the report");
ABSL_FLAG(std::vector<std::string>, reporters, {},
          "genesis report: reporters to run (comma-separated; default: all)");

namespace genesis {
namespace {

int ReportMain(const std::vector<std::string>& args) {
  const std::string out = absl::GetFlag(FLAGS_out);
  if (args.empty() || out.empty()) {
    std::fprintf(stderr,
                 "usage: genesis report RUN_DIR... --out DIR [--title T] "
                 "[--reporters html,plots,tables]\n");
    return 2;
  }
  google::protobuf::RepeatedPtrField<PluginSpec> specs;
  for (const std::string& name : absl::GetFlag(FLAGS_reporters)) {
    if (!name.empty()) specs.Add()->set_type(name);
  }
  ReportInput input{args, absl::GetFlag(FLAGS_title)};
  const absl::Status status = RunReporters(specs, input, out);
  if (!status.ok()) {
    std::fprintf(stderr, "genesis report: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  std::printf("%s\n", out.c_str());
  return 0;
}

}  // namespace
}  // namespace genesis

GENESIS_REGISTER_COMMAND("report",
                         "RUN_DIR... --out DIR [--title T] [--reporters A,B]  one report "
                         "(HTML, plots, tables) from one or more run folders",
                         &genesis::ReportMain);
