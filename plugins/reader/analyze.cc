// Analyze 7.5 reader (.hdr + .img pair, either name) through ITK's NiftiImageIO in its ITK 4
// Analyze mode; OASIS and IBSR ship this format. Analyze has no reliable geometry: spacing is
// pixdim, but origin and direction are ITK's reading (origin 0 and identity for a header
// without orientation), not nibabel's (which centres the volume and flips x).
//
//   corpus {
//     reader {
//       type: "analyze"
//       options { [type.googleapis.com/genesis.AnalyzeReaderOptions] { modality: "MR" } }
//     }
//   }
//
// 4D files give one volume per time point (all of them unless max_time_points is set); 2D
// files give one volume with size[2] == 1. Geometry is ITK's (LPS).

#include "core/image_reader.h"
#include "itkNiftiImageIO.h"
#include "plugins/reader/analyze.pb.h"
#include "plugins/reader/itk_reader.h"

namespace genesis {
namespace {

// NIfTI's ImageIO reading Analyze with ITK 4's orientation, without the deprecation warning.
itk::ImageIOBase::Pointer NewAnalyzeIo() {
  auto io = itk::NiftiImageIO::New();
  io->SetLegacyAnalyze75Mode(itk::NiftiImageIOEnums::Analyze75Flavor::AnalyzeITK4);
  return io.GetPointer();
}

class AnalyzeReader : public reader_internal::ItkReader<AnalyzeReaderOptions> {
 public:
  explicit AnalyzeReader(const AnalyzeReaderOptions& options)
      : ItkReader(
            options,
            {"Analyze 7.5", {".hdr", ".img"}, NewAnalyzeIo, reader_internal::CheckNiftiData}) {}
};

}  // namespace

GENESIS_REGISTER_IMAGE_READER(AnalyzeReader, "analyze", AnalyzeReaderOptions,
                              "Analyze 7.5 .hdr/.img through ITK");

}  // namespace genesis
