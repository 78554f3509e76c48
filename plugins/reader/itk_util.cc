#include "plugins/reader/itk_util.h"

#include "itkObject.h"

namespace genesis {
namespace reader_internal {

void SilenceItkWarnings() {
  static const bool silenced = [] {
    itk::Object::GlobalWarningDisplayOff();
    return true;
  }();
  (void)silenced;
}

int BitsOfComponent(itk::IOComponentEnum component) {
  switch (component) {
    case itk::IOComponentEnum::UCHAR:
    case itk::IOComponentEnum::CHAR:
      return 8;
    case itk::IOComponentEnum::USHORT:
    case itk::IOComponentEnum::SHORT:
      return 16;
    case itk::IOComponentEnum::UINT:
    case itk::IOComponentEnum::INT:
      return 32;
    case itk::IOComponentEnum::ULONG:
    case itk::IOComponentEnum::LONG:
    case itk::IOComponentEnum::ULONGLONG:
    case itk::IOComponentEnum::LONGLONG:
      return 64;
    default:
      return 0;
  }
}

Volume VolumeFromItkImage(const itk::Image<float, 3>& image) {
  Volume volume;
  const auto region = image.GetLargestPossibleRegion();
  for (int d = 0; d < 3; ++d) {
    volume.size[d] = static_cast<int64_t>(region.GetSize()[d]);
    volume.spacing[d] = image.GetSpacing()[d];
    volume.origin[d] = image.GetOrigin()[d];
    for (int c = 0; c < 3; ++c) volume.direction[d * 3 + c] = image.GetDirection()[d][c];
  }
  const int64_t n = volume.num_voxels();
  volume.voxels.assign(image.GetBufferPointer(), image.GetBufferPointer() + n);
  return volume;
}

}  // namespace reader_internal
}  // namespace genesis
