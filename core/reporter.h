// Plugin kind "reporter": turns the outputs of finished runs into tables, plots and HTML.
//
//   stage { report { reporter { type: "html" } reporter { type: "plots" } } }
//   genesis report RUN_DIR... --out DIR      (several run folders -> one report)
//
// A reporter reads what earlier stages wrote under each run folder (layout: README.md, "Output
// folder") and writes its files into `report_dir`. It presents numbers computed by the evaluate
// stage; it never recomputes metrics.
#ifndef GENESIS_CORE_REPORTER_H_
#define GENESIS_CORE_REPORTER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/registry.h"

namespace genesis {

// What one report covers.
struct ReportInput {
  // Run folders (each holding NN_<kind>/ stage folders); their rows are merged into one report.
  std::vector<std::string> run_dirs;
  // Heading of the report; empty = derived from the run folders.
  std::string title;
};

class Reporter {
 public:
  static constexpr absl::string_view kKind = "reporter";
  static constexpr absl::string_view kTarget = "//plugins/reporter:all";
  static constexpr absl::string_view kKindDescription =
      "writes tables, plots and HTML from one or more run folders";

  virtual ~Reporter() = default;
  // Reads what earlier stages wrote under `input.run_dirs` and writes into `report_dir`
  // (which exists).
  virtual absl::Status Write(const ReportInput& input, const std::string& report_dir) const = 0;
};

}  // namespace genesis

#define GENESIS_REGISTER_REPORTER(Plugin, name, Options, description) \
  GENESIS_REGISTER_PLUGIN(::genesis::Reporter, Plugin, name, Options, description)

#endif  // GENESIS_CORE_REPORTER_H_
