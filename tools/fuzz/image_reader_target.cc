#include "tools/fuzz/image_reader_target.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/image_reader.h"
#include "core/proto/plugin_spec.pb.h"
#include "core/registry.h"
#include "tools/fuzz/fuzz_util.h"

namespace genesis {
namespace fuzz {

int FuzzImageReader(absl::string_view reader_name, absl::string_view file_name,
                    absl::string_view bytes) {
  // One reader per name for the whole run, as the corpus builder keeps them.
  static auto* const readers = new std::map<std::string, std::unique_ptr<ImageReader>>();
  std::unique_ptr<ImageReader>& reader = (*readers)[std::string(reader_name)];
  if (reader == nullptr) {
    PluginSpec spec;
    spec.set_type(std::string(reader_name));
    auto created = Registry<ImageReader>::Get().Create(spec);
    if (!created.ok()) Fail(created.status().ToString());
    reader = std::move(created).value();
  }

  const std::string path = WriteInput(file_name, bytes);
  if (!reader->CanRead(path)) Fail(absl::StrCat(reader_name, " refuses its own file name ", path));
  absl::StatusOr<std::vector<Volume>> volumes = reader->Read(path);
  if (!volumes.ok()) {
    RequireNamesFile(volumes.status(), path);
    return 0;
  }
  for (const Volume& v : *volumes) {
    const std::string what =
        absl::StrCat(reader_name, " volume of size (", absl::StrJoin(v.size, ", "), ")");
    if (v.size[0] < 1 || v.size[1] < 1 || v.size[2] < 1) Fail(absl::StrCat(what, ": empty axis"));
    if (static_cast<uint64_t>(v.num_voxels()) != v.voxels.size()) {
      Fail(absl::StrCat(what, " holds ", v.voxels.size(), " voxels"));
    }
    if (v.source != path) Fail(absl::StrCat(what, " names its source '", v.source, "'"));
  }
  return 0;
}

}  // namespace fuzz
}  // namespace genesis
