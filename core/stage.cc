#include "core/stage.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/config.h"

namespace genesis {

std::string StageDirName(int index, absl::string_view kind) {
  return absl::StrFormat("%02d_%s", index, kind);
}

std::string StageKindName(const Stage& stage) {
  const auto* field = stage.GetReflection()->GetOneofFieldDescriptor(
      stage, Stage::descriptor()->FindOneofByName("kind"));
  return field == nullptr ? "" : field->name();
}

absl::StatusOr<int> RunContext::EarlierStageIndex(absl::string_view kind) const {
  for (int i = stage_index - 1; i >= 0; --i) {
    if (StageKindName(experiment->stage(i)) == kind) return i;
  }
  return absl::NotFoundError(absl::StrCat("no earlier '", kind, "' stage in this experiment"));
}

absl::StatusOr<std::string> RunContext::EarlierStageDir(absl::string_view kind) const {
  absl::StatusOr<int> index = EarlierStageIndex(kind);
  if (!index.ok()) return index.status();
  return (std::filesystem::path(run_dir) / StageDirName(*index, kind)).string();
}

absl::StatusOr<StageInputs> StageRunner::Inputs(const RunContext& context) const {
  StageInputs inputs;
  for (int i = 0; i < context.stage_index; ++i) inputs.stages.push_back(i);
  inputs.paths = InputPaths(context.experiment->stage(context.stage_index));
  return inputs;
}

}  // namespace genesis
