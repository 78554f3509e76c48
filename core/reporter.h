// Plugin kind "reporter": turns a run folder's metrics into tables, plots and HTML.
//
//   report { reporter { type: "html" } }
#ifndef GENESIS_CORE_REPORTER_H_
#define GENESIS_CORE_REPORTER_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "core/registry.h"

namespace genesis {

class Reporter {
 public:
  static constexpr absl::string_view kKind = "reporter";
  static constexpr absl::string_view kTarget = "//plugins/reporter:all";
  static constexpr absl::string_view kKindDescription =
      "writes tables, plots and HTML from a run folder's metrics";

  virtual ~Reporter() = default;
  // Reads what earlier stages wrote under `run_dir` and writes into `report_dir`.
  virtual absl::Status Write(const std::string& run_dir, const std::string& report_dir) const = 0;
};

}  // namespace genesis

#define GENESIS_REGISTER_REPORTER(Plugin, name, Options, description) \
  GENESIS_REGISTER_PLUGIN(::genesis::Reporter, Plugin, name, Options, description)

#endif  // GENESIS_CORE_REPORTER_H_
