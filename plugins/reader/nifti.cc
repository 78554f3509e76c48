// NIfTI-1 reader (.nii, .nii.gz) through ITK's NiftiImageIO; sform/qform as ITK resolves them.
//
//   corpus {
//     reader {
//       type: "nifti"
//       options { [type.googleapis.com/genesis.NiftiReaderOptions] { modality: "MR" } }
//     }
//   }
//
// 4D files give one volume per time point (all of them unless max_time_points is set); 2D
// files give one volume with size[2] == 1. Geometry is ITK's (LPS).

#include "core/image_reader.h"
#include "itkNiftiImageIO.h"
#include "plugins/reader/itk_reader.h"
#include "plugins/reader/nifti.pb.h"

namespace genesis {
namespace {

itk::ImageIOBase::Pointer NewNiftiIo() { return itk::NiftiImageIO::New().GetPointer(); }

class NiftiReader : public reader_internal::ItkReader<NiftiReaderOptions> {
 public:
  explicit NiftiReader(const NiftiReaderOptions& options)
      : ItkReader(options,
                  {"NIfTI", {".nii", ".nii.gz"}, NewNiftiIo, reader_internal::CheckNiftiData}) {}
};

}  // namespace

GENESIS_REGISTER_IMAGE_READER(NiftiReader, "nifti", NiftiReaderOptions,
                              "NIfTI-1 .nii/.nii.gz through ITK (4D: one volume per time point)");

}  // namespace genesis
