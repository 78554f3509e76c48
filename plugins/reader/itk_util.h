// ITK glue shared by the ITK-based readers (dicom here; nifti, metaimage, analyze and nrrd
// through itk_reader.h): ITK image -> genesis::Volume, component bit depths, quiet ITK.
// Only reader plugins include this (it pulls in itkImage.h).
//
//   reader_internal::SilenceItkWarnings();
//   Volume volume = reader_internal::VolumeFromItkImage(*reader->GetOutput());
#ifndef GENESIS_PLUGINS_READER_ITK_UTIL_H_
#define GENESIS_PLUGINS_READER_ITK_UTIL_H_

#include "core/volume.h"
#include "itkImage.h"
#include "itkImageIOBase.h"

namespace genesis {
namespace reader_internal {

// Copies an ITK image's voxels and geometry into a Volume (modality etc. left to the caller).
Volume VolumeFromItkImage(const itk::Image<float, 3>& image);

// Integer bit depth of an ITK component type (8, 16, 32); 0 for floating point.
int BitsOfComponent(itk::IOComponentEnum component);

// Makes ITK quiet (no warnings to the console); call before reading.
void SilenceItkWarnings();

}  // namespace reader_internal
}  // namespace genesis

#endif  // GENESIS_PLUGINS_READER_ITK_UTIL_H_
