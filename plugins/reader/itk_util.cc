#include "plugins/reader/itk_util.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <new>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "itkImageFileReader.h"
#include "itkMetaImageIO.h"
#include "itkNiftiImageIO.h"
#include "itkNrrdImageIO.h"
#include "itkObject.h"
#include "plugins/reader/reader_util.h"

namespace genesis {
namespace reader_internal {
namespace {

using Image4 = itk::Image<float, 4>;

// Refuses headers that promise absurd amounts of memory (corrupt files).
constexpr int64_t kMaxVoxels = int64_t{1} << 32;

const char* FormatName(ItkFormat format) {
  switch (format) {
    case ItkFormat::kNifti:
      return "NIfTI";
    case ItkFormat::kAnalyze:
      return "Analyze 7.5";
    case ItkFormat::kMetaImage:
      return "MetaImage";
    case ItkFormat::kNrrd:
      return "NRRD";
  }
  return "ITK";
}

itk::ImageIOBase::Pointer MakeIo(ItkFormat format) {
  switch (format) {
    case ItkFormat::kNifti: {
      auto io = itk::NiftiImageIO::New();
      return io.GetPointer();
    }
    case ItkFormat::kAnalyze: {
      auto io = itk::NiftiImageIO::New();
      // ITK 4's interpretation of Analyze orientation, without the deprecation warning.
      io->SetLegacyAnalyze75Mode(itk::NiftiImageIOEnums::Analyze75Flavor::AnalyzeITK4);
      return io.GetPointer();
    }
    case ItkFormat::kMetaImage: {
      auto io = itk::MetaImageIO::New();
      return io.GetPointer();
    }
    case ItkFormat::kNrrd: {
      auto io = itk::NrrdImageIO::New();
      return io.GetPointer();
    }
  }
  return nullptr;
}

std::string Trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

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

absl::StatusOr<std::vector<Volume>> ReadItkFile(const std::string& path, ItkFormat format,
                                                const ItkReadSettings& settings) {
  GENESIS_RETURN_IF_ERROR(CheckRegularFile(path));
  SilenceItkWarnings();
  const char* name = FormatName(format);
  try {
    itk::ImageIOBase::Pointer io = MakeIo(format);
    if (!io->CanReadFile(path.c_str())) {
      return FileError(path, absl::StrCat("not a readable ", name, " file (header not recognised)"));
    }
    io->SetFileName(path);
    io->ReadImageInformation();
    const unsigned dims = io->GetNumberOfDimensions();
    if (dims < 1 || dims > 4) {
      return FileError(path, absl::StrCat(name, " image has ", dims,
                                          " dimensions; only 1 to 4 are supported"));
    }
    int64_t voxels = 1;
    for (unsigned d = 0; d < dims; ++d) {
      const int64_t n = static_cast<int64_t>(io->GetDimensions(d));
      if (n <= 0) return FileError(path, absl::StrCat(name, " header: dimension ", d, " is 0"));
      voxels *= n;
      if (voxels > kMaxVoxels) {
        return FileError(path, absl::StrCat(name, " header promises more than ", kMaxVoxels,
                                            " voxels; corrupt header?"));
      }
    }
    const int bits = BitsOfComponent(io->GetComponentType());

    auto reader = itk::ImageFileReader<Image4>::New();
    reader->SetImageIO(io);
    reader->SetFileName(path);
    reader->Update();
    const Image4* image = reader->GetOutput();
    const auto size = image->GetLargestPossibleRegion().GetSize();
    const int64_t plane = static_cast<int64_t>(size[0] * size[1] * size[2]);
    int64_t time_points = static_cast<int64_t>(size[3]);
    if (settings.max_time_points > 0) {
      time_points = std::min<int64_t>(time_points, settings.max_time_points);
    }
    std::vector<Volume> volumes;
    volumes.reserve(time_points);
    for (int64_t t = 0; t < time_points; ++t) {
      Volume volume;
      for (int d = 0; d < 3; ++d) {
        volume.size[d] = static_cast<int64_t>(size[d]);
        volume.spacing[d] = image->GetSpacing()[d];
        volume.origin[d] = image->GetOrigin()[d];
        for (int c = 0; c < 3; ++c) volume.direction[d * 3 + c] = image->GetDirection()[d][c];
      }
      const float* begin = image->GetBufferPointer() + t * plane;
      volume.voxels.assign(begin, begin + plane);
      volume.modality = settings.modality;
      volume.bits_stored = bits;
      volume.source = path;  // Time point t is the t-th volume returned for this file.
      volumes.push_back(std::move(volume));
    }
    return volumes;
  } catch (const itk::ExceptionObject& e) {
    return absl::DataLossError(
        absl::StrCat(path, ": cannot read as ", name, ": ", Trim(e.GetDescription())));
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(
        absl::StrCat(path, ": out of memory reading ", name, " (corrupt header?)"));
  } catch (const std::exception& e) {
    return absl::DataLossError(absl::StrCat(path, ": cannot read as ", name, ": ", e.what()));
  }
}

}  // namespace reader_internal
}  // namespace genesis
