// ITK glue shared by the ITK-based readers (dicom, nifti, metaimage, analyze, nrrd): one
// function per format family that returns genesis::Volume, and ITK -> Status conversion.
// Only reader plugins include this (it pulls in itkImage.h).
//
//   GENESIS_ASSIGN_OR_RETURN(std::vector<Volume> volumes,
//                            reader_internal::ReadItkFile(path, ItkFormat::kNifti, settings));
#ifndef GENESIS_PLUGINS_READER_ITK_UTIL_H_
#define GENESIS_PLUGINS_READER_ITK_UTIL_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/volume.h"
#include "itkImage.h"
#include "itkImageIOBase.h"

namespace genesis {
namespace reader_internal {

enum class ItkFormat { kNifti, kAnalyze, kMetaImage, kNrrd };

struct ItkReadSettings {
  // Volumes taken from the 4th axis (time points); 0 = all.
  int max_time_points = 0;
  Modality modality = Modality::kUnknown;
};

// Reads a 2D/3D/4D scalar (or colour -> luminance) image: one Volume per time point.
absl::StatusOr<std::vector<Volume>> ReadItkFile(const std::string& path, ItkFormat format,
                                                const ItkReadSettings& settings);

// Copies an ITK image's voxels and geometry into a Volume (modality etc. left to the caller).
Volume VolumeFromItkImage(const itk::Image<float, 3>& image);

// Integer bit depth of an ITK component type (8, 16, 32); 0 for floating point.
int BitsOfComponent(itk::IOComponentEnum component);

// Makes ITK quiet (no warnings to the console); call before reading.
void SilenceItkWarnings();

}  // namespace reader_internal
}  // namespace genesis

#endif  // GENESIS_PLUGINS_READER_ITK_UTIL_H_
