// MetaImage reader (.mhd + .raw/.zraw, .mha) through ITK's MetaImageIO (LUNA16's format).
//
//   corpus {
//     reader {
//       type: "metaimage"
//       options { [type.googleapis.com/genesis.MetaImageReaderOptions] { modality: "MR" } }
//     }
//   }
//
// 4D files give one volume per time point (all of them unless max_time_points is set); 2D
// files give one volume with size[2] == 1. Geometry is ITK's (LPS).

#include "core/image_reader.h"
#include "itkMetaImageIO.h"
#include "plugins/reader/itk_reader.h"
#include "plugins/reader/metaimage.pb.h"

namespace genesis {
namespace {

itk::ImageIOBase::Pointer NewMetaImageIo() { return itk::MetaImageIO::New().GetPointer(); }

class MetaImageReader : public reader_internal::ItkReader<MetaImageReaderOptions> {
 public:
  explicit MetaImageReader(const MetaImageReaderOptions& options)
      : ItkReader(options, {"MetaImage",
                            {".mhd", ".mha"},
                            NewMetaImageIo,
                            reader_internal::CheckMetaImageData,
                            reader_internal::ReadMetaImageDirect}) {}
};

}  // namespace

GENESIS_REGISTER_IMAGE_READER(MetaImageReader, "metaimage", MetaImageReaderOptions,
                              "MetaImage .mhd/.mha through ITK");

}  // namespace genesis
