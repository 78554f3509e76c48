// Experiment configs: parse -> override -> validate -> resolve, before any work starts.
//
//   GENESIS_ASSIGN_OR_RETURN(Experiment experiment,
//                            LoadExperiment("experiments/demo.textproto", {"seed=3"}));
//
// Errors carry file:line:col and a field path, all of them together:
//   demo.textproto:12:5: stage[1].pretrain.pretext[2] (in_painting).max_boxes: must be >= 1, got 0
#ifndef GENESIS_CORE_CONFIG_H_
#define GENESIS_CORE_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/proto/experiment.pb.h"
#include "google/protobuf/text_format.h"

namespace genesis {

// A parsed config with the source locations of its fields.
struct ParsedExperiment {
  std::string filename;
  Experiment experiment;
  google::protobuf::TextFormat::ParseInfoTree locations;
};

// Parses textproto `text` into a fresh `parsed` (do not reuse one); syntax errors are reported as "filename:line:col: message".
absl::Status ParseExperimentText(const std::string& text, const std::string& filename,
                                 ParsedExperiment* parsed);
absl::Status ParseExperimentFile(const std::string& path, ParsedExperiment* parsed);

// Applies "path=value" to `message`, e.g. "seed=3", "stage[1].pretrain.max_epochs=2",
// "stage[1].pretrain.backbone.options.width_multiplier=0.5" (reaches into plugin options).
absl::Status ApplyOverride(const std::string& assignment, google::protobuf::Message* message);

// Checks every plugin slot (name known, options type right, plugin's own checks), stage
// runners and cross-field rules. All problems are returned together in one InvalidArgument.
absl::Status ValidateExperiment(const ParsedExperiment& parsed);

// A copy with every default written out: unset fields of set messages, every plugin's
// options unpacked, filled and repacked, and output_dir resolved. Call after validation.
absl::StatusOr<Experiment> ResolveExperiment(const Experiment& experiment);

// Text form with Any options expanded, as written to experiment.resolved.textproto.
std::string ExperimentToText(const Experiment& experiment);

// Every non-empty value of a string field marked [(input_path) = true] in `message`, searching
// nested messages and plugin options (Any) too, in field order: the files and folders outside
// the run that a stage configured by `message` reads.
std::vector<std::string> InputPaths(const google::protobuf::Message& message);

// Parse + overrides + validation + resolution.
absl::StatusOr<Experiment> LoadExperiment(const std::string& path,
                                          const std::vector<std::string>& overrides);

}  // namespace genesis

#endif  // GENESIS_CORE_CONFIG_H_
