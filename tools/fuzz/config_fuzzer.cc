// Fuzzes experiment configs (core/config.cc) the way `genesis run FILE path=value...` loads
// them: parse the textproto file, apply command-line overrides, validate every plugin slot and
// stage, resolve defaults. Input: a textproto; lines starting with "#= " (comments to the
// textproto parser) are overrides, e.g. "#= stage[0].corpus.max_patients=3".
//
// Linked plugins: every LibTorch-free plugin and stage (datasets, readers, samplers,
// preprocessors, pretext tasks, tasks, evaluators, reporters; corpus, evaluate, report
// stages). Slots of LibTorch kinds (backbone, normalization, initializer, head; pretrain,
// transfer) therefore fail validation with "not linked" -- a tested path too.
//
// Properties: parse and validation errors name the file; a config that validates also
// resolves; the resolved config written out (experiment.resolved.textproto in every run
// folder) parses, validates and resolves again to the same text.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/config.h"
#include "tools/fuzz/fuzz_util.h"

namespace genesis {
namespace {

constexpr absl::string_view kOverridePrefix = "#= ";

std::vector<std::string> OverridesIn(absl::string_view text) {
  std::vector<std::string> overrides;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::ConsumePrefix(&line, kOverridePrefix)) overrides.emplace_back(line);
  }
  return overrides;
}

void RequireReloads(const Experiment& resolved) {
  const std::string text = ExperimentToText(resolved);
  const std::string path = fuzz::WriteInput("resolved.textproto", text);
  ParsedExperiment reparsed;
  absl::Status status = ParseExperimentFile(path, &reparsed);
  if (status.ok()) status = ValidateExperiment(reparsed);
  if (!status.ok()) {
    fuzz::Fail(absl::StrCat("the resolved config does not load again: ", status.ToString(),
                            "\n--- resolved config ---\n", text));
  }
  absl::StatusOr<Experiment> again = ResolveExperiment(reparsed.experiment);
  if (!again.ok()) fuzz::Fail(absl::StrCat("re-resolving failed: ", again.status().ToString()));
  const std::string text_again = ExperimentToText(*again);
  if (text_again != text) {
    fuzz::Fail(absl::StrCat("resolving is not idempotent:\n--- once ---\n", text,
                            "\n--- twice ---\n", text_again));
  }
}

}  // namespace
}  // namespace genesis

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace genesis;  // NOLINT: a fuzz entry point outside the namespace.
  const absl::string_view text = fuzz::Bytes(data, size);
  const std::string path = fuzz::WriteInput("experiment.textproto", text);

  ParsedExperiment parsed;
  absl::Status status = ParseExperimentFile(path, &parsed);
  if (!status.ok()) {
    if (fuzz::Verbose()) std::fprintf(stderr, "parse: %s\n", status.ToString().c_str());
    fuzz::RequireNamesFile(status, path);
    return 0;
  }
  for (const std::string& assignment : OverridesIn(text)) {
    // Like LoadExperiment: the first bad override stops the load (its error names the
    // override, which came from the command line, not the file).
    const absl::Status applied = ApplyOverride(assignment, &parsed.experiment);
    if (!applied.ok()) {
      if (fuzz::Verbose()) std::fprintf(stderr, "override: %s\n", applied.ToString().c_str());
      return 0;
    }
  }
  (void)InputPaths(parsed.experiment);
  status = ValidateExperiment(parsed);
  if (fuzz::Verbose()) std::fprintf(stderr, "validation: %s\n", status.ToString().c_str());
  if (!status.ok()) {
    fuzz::RequireNamesFile(status, path);
    return 0;
  }
  absl::StatusOr<Experiment> resolved = ResolveExperiment(parsed.experiment);
  if (!resolved.ok()) {
    fuzz::Fail(absl::StrCat("validated but does not resolve: ", resolved.status().ToString()));
  }
  RequireReloads(*resolved);
  return 0;
}
