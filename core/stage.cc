#include "core/stage.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace genesis {

std::string StageDirName(int index, absl::string_view kind) {
  return absl::StrFormat("%02d_%s", index, kind);
}

std::string StageKindName(const Stage& stage) {
  const auto* field = stage.GetReflection()->GetOneofFieldDescriptor(
      stage, Stage::descriptor()->FindOneofByName("kind"));
  return field == nullptr ? "" : field->name();
}

absl::StatusOr<std::string> RunContext::EarlierStageDir(absl::string_view kind) const {
  for (int i = stage_index - 1; i >= 0; --i) {
    if (StageKindName(experiment->stage(i)) == kind) {
      return (std::filesystem::path(run_dir) / StageDirName(i, kind)).string();
    }
  }
  return absl::NotFoundError(absl::StrCat("no earlier '", kind, "' stage in this experiment"));
}

}  // namespace genesis
