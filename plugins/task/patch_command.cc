// `genesis patch FILE --world X,Y,Z [--size 64] --output OUT.npy`: the three native-grid planes
// through one candidate of a CT volume, as float32 Hounsfield units of shape (3, size, size) --
// axial, coronal, sagittal, exactly as the "luna16" task extracts them before windowing (see
// plugins/task/luna16_patch.h for the slicing). World coordinates are mm in the scan's (ITK,
// LPS) frame, as in LUNA16's candidates_V2.csv. Prints one JSON line with the continuous and
// the rounded centre index.
//
//   genesis patch subset0/1.3.6...860.mhd --world -56.08,-67.85,-311.92 --output cand.npy

#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "core/command.h"
#include "core/status_macros.h"
#include "plugins/reader/inspect.h"
#include "plugins/task/luna16_patch.h"

ABSL_FLAG(std::string, world, "", "genesis patch: candidate position X,Y,Z in world mm");
ABSL_DECLARE_FLAG(std::string, output);

namespace genesis {
namespace {

constexpr int kDefaultSize = 64;

absl::StatusOr<std::array<double, 3>> ParseWorld(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, ',');
  std::array<double, 3> world;
  if (parts.size() != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("--world: expected X,Y,Z (three numbers in mm), got '", text, "'"));
  }
  for (int i = 0; i < 3; ++i) {
    if (!absl::SimpleAtod(parts[i], &world[i]) || !std::isfinite(world[i])) {
      return absl::InvalidArgumentError(absl::StrCat("--world: '", parts[i], "' (", std::string(1, "XYZ"[i]),
                                                     ") is not a number"));
    }
  }
  return world;
}

// --size is the flag `genesis bench` defines, whose default (224) reads as this command's
// default (64): any other value is the patch side.
absl::StatusOr<int> PatchSize() {
  const absl::CommandLineFlag* flag = absl::FindCommandLineFlag("size");
  if (flag == nullptr || flag->CurrentValue() == flag->DefaultValue()) return kDefaultSize;
  int size = 0;
  if (!absl::SimpleAtoi(flag->CurrentValue(), &size) || size < 2 || size > 4096) {
    return absl::InvalidArgumentError(
        absl::StrCat("--size: expected 2..4096 pixels, got ", flag->CurrentValue()));
  }
  return size;
}

absl::Status Patch(const std::string& path, std::string* json) {
  GENESIS_ASSIGN_OR_RETURN(const luna16::Vec3 world,
                           ParseWorld(absl::GetFlag(FLAGS_world)));
  GENESIS_ASSIGN_OR_RETURN(const int size, PatchSize());
  const std::string output = absl::GetFlag(FLAGS_output);
  if (output.empty()) return absl::InvalidArgumentError("--output: the .npy file to write");
  GENESIS_ASSIGN_OR_RETURN(ChosenReader chosen, ReaderForPath(path));
  GENESIS_ASSIGN_OR_RETURN(std::vector<Volume> volumes, chosen.reader->Read(path));
  if (volumes.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no volume"));
  const Volume& volume = volumes.front();
  GENESIS_ASSIGN_OR_RETURN(const luna16::Vec3 index,
                           luna16::ContinuousIndex(volume, world));
  const std::array<int64_t, 3> centre = luna16::RoundIndex(index);
  GENESIS_RETURN_IF_ERROR(luna16::WriteNpyFloat32(output, {3, size, size},
                                                  luna16::NativePlanes(volume, centre, size)));
  *json = absl::StrFormat(
      "{\"source\":\"%s\",\"world\":[%.17g,%.17g,%.17g],\"index\":[%.17g,%.17g,%.17g],"
      "\"centre\":[%d,%d,%d],\"size\":%d,\"output\":\"%s\",\"volumes_in_file\":%d}",
      path, world[0], world[1], world[2], index[0], index[1], index[2], centre[0], centre[1],
      centre[2], size, output, volumes.size());
  return absl::OkStatus();
}

int PatchMain(const std::vector<std::string>& args) {
  if (args.size() != 1) {
    std::cerr << "usage: genesis patch FILE --world X,Y,Z [--size 64] --output OUT.npy\n";
    return 2;
  }
  std::string json;
  const absl::Status status = Patch(args[0], &json);
  if (!status.ok()) {
    std::cerr << "genesis patch: " << status.message() << "\n";
    return 1;
  }
  std::cout << json << "\n";
  return 0;
}

}  // namespace

GENESIS_REGISTER_COMMAND("patch",
                         "FILE --world X,Y,Z [--size 64] --output OUT.npy  the three native "
                         "planes (axial, coronal, sagittal; float32 HU) through a world point",
                         &PatchMain);

}  // namespace genesis
