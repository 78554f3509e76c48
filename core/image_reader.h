// Plugin kind "image_reader": a file (or DICOM folder) -> volumes.
//
//   corpus { reader { type: "nifti" } reader { type: "dicom" } }
//
// Readers are tried in order; the first whose CanRead() accepts a path reads it. Errors name
// the file and what was wrong ("truncated: expected 262144 bytes of pixel data, found 1024").
#ifndef GENESIS_CORE_IMAGE_READER_H_
#define GENESIS_CORE_IMAGE_READER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/read_hints.h"
#include "core/registry.h"
#include "core/volume.h"

namespace genesis {

class ImageReader {
 public:
  static constexpr absl::string_view kKind = "image_reader";
  static constexpr absl::string_view kTarget = "//plugins/reader:all";
  static constexpr absl::string_view kKindDescription =
      "loads a medical image file or DICOM folder into volumes";

  virtual ~ImageReader() = default;
  // Cheap check by name or magic bytes; never reads pixel data.
  virtual bool CanRead(const std::string& path) const = 0;
  // Every volume in `path` (a DICOM folder may hold several series; a 2D image is a volume
  // with size[2] == 1).
  virtual absl::StatusOr<std::vector<Volume>> Read(const std::string& path) const = 0;
  // Read() as the file's dataset source asked (core/read_hints.h); the corpus reads every
  // file this way. A reader that honours file-level hints (mat_variable, axes) overrides it;
  // this default reads plainly when there are none and refuses the file otherwise, so a hint
  // is never silently dropped. `channel` and `value_offset` are the corpus' to apply.
  virtual absl::StatusOr<std::vector<Volume>> ReadWithHints(const std::string& path,
                                                            const ReadHints& hints) const {
    if (hints.HasFileHints()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": this reader does not honour the read hints its dataset source ",
                       "gives (", DescribeReadHints(hints), ")"));
    }
    return Read(path);
  }
};

}  // namespace genesis

#define GENESIS_REGISTER_IMAGE_READER(Plugin, name, Options, description) \
  GENESIS_REGISTER_PLUGIN(::genesis::ImageReader, Plugin, name, Options, description)

#endif  // GENESIS_CORE_IMAGE_READER_H_
