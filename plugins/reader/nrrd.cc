// NRRD reader (.nrrd attached, .nhdr detached; raw or gzip encoding) through ITK's NrrdImageIO.
//
//   corpus {
//     reader {
//       type: "nrrd"
//       options { [type.googleapis.com/genesis.NrrdReaderOptions] { modality: "MR" } }
//     }
//   }
//
// 4D files give one volume per time point (all of them unless max_time_points is set); 2D
// files give one volume with size[2] == 1. Geometry is ITK's (LPS).

#include "core/image_reader.h"
#include "itkNrrdImageIO.h"
#include "plugins/reader/itk_reader.h"
#include "plugins/reader/nrrd.pb.h"

namespace genesis {
namespace {

itk::ImageIOBase::Pointer NewNrrdIo() { return itk::NrrdImageIO::New().GetPointer(); }

class NrrdReader : public reader_internal::ItkReader<NrrdReaderOptions> {
 public:
  explicit NrrdReader(const NrrdReaderOptions& options)
      : ItkReader(options,
                  {"NRRD", {".nrrd", ".nhdr"}, NewNrrdIo, reader_internal::CheckNrrdData}) {}
};

}  // namespace

GENESIS_REGISTER_IMAGE_READER(NrrdReader, "nrrd", NrrdReaderOptions,
                              "NRRD .nrrd/.nhdr through ITK");

}  // namespace genesis
