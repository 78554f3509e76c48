// The one implementation of the readers of single-file ITK formats (nifti, analyze, metaimage,
// nrrd). A plugin describes its format -- name, extensions, ITK ImageIO, the format's own
// checks of the file -- and derives from ItkReader<ItsOptions>; the rest is shared:
//
//   itk::ImageIOBase::Pointer NewNrrdIo() { return itk::NrrdImageIO::New().GetPointer(); }
//
//   class NrrdReader : public reader_internal::ItkReader<NrrdReaderOptions> {
//    public:
//     explicit NrrdReader(const NrrdReaderOptions& options)
//         : ItkReader(options, {"NRRD", {".nrrd", ".nhdr"}, NewNrrdIo,
//                               reader_internal::CheckNrrdData}) {}
//   };
//
// Every such reader's options message has the same two fields, `modality` and
// `max_time_points`; each keeps its own message so that experiments name the format.
#ifndef GENESIS_PLUGINS_READER_ITK_READER_H_
#define GENESIS_PLUGINS_READER_ITK_READER_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/image_reader.h"
#include "core/volume.h"
#include "itkImageIOBase.h"

namespace genesis {
namespace reader_internal {

struct ItkReadSettings {
  // Volumes taken from the 4th axis (time points); 0 = all.
  int max_time_points = 0;
  Modality modality = Modality::kUnknown;
};

// Where a NIfTI / Analyze file keeps floating-point voxels (datatype 16 float32, 64 float64).
struct NiftiFloatData {
  std::string data_path;
  int64_t offset = 0;
  int64_t voxels = 0;
  int datatype = 0;  // 0 = not floating point.
  bool swap = false;
};

// What a format's own checks learned from the file, beyond ITK's reading of the header.
struct ItkFileFacts {
  // Integer bit depth of the stored voxels (0 = floating point). Starts as ITK's component
  // type; NIfTI / Analyze replace it by the header's datatype, which ITK hides when it
  // applies scl_slope / scl_inter.
  int stored_bits = 0;
  // Floating-point NIfTI voxels: ITK's NIfTI library replaces NaN / Inf by 0, so the reader
  // finds them in these raw bytes and restores them.
  NiftiFloatData nifti_floats;
};

// A format's checks of `path` after ITK read its header into `io`, before any voxel is read
// (data that ends early, values ITK hides); errors name the file at fault.
using ItkFileCheck = absl::Status (*)(const std::string& path, itk::ImageIOBase& io,
                                      ItkFileFacts* facts);

// Reads the voxels of common layouts faster than ITK's generic path, with the same result;
// returns false (nothing read) for any other layout.
using ItkDirectRead = absl::StatusOr<bool> (*)(const std::string& path, itk::ImageIOBase& io,
                                               const ItkReadSettings& settings, int stored_bits,
                                               std::vector<Volume>* volumes);

// What distinguishes one ITK file format from another.
struct ItkFileFormat {
  std::string name;                                 // In messages: "cannot read as NRRD: ...".
  std::vector<std::string> extensions;              // What CanRead() accepts (".nii.gz" works).
  itk::ImageIOBase::Pointer (*new_io)() = nullptr;  // A fresh ImageIO for one read.
  ItkFileCheck check = nullptr;                     // The format's own checks; nullptr = none.
  ItkDirectRead direct_read = nullptr;              // nullptr = always ITK's generic path.
};

// NIfTI-1 and Analyze 7.5: the header's voxels are all in the file (ITK's NiftiImageIO does
// not notice when it ends early); sets the stored bit depth and where float voxels are.
absl::Status CheckNiftiData(const std::string& path, itk::ImageIOBase& io, ItkFileFacts* facts);
// MetaImage: the separate (or LOCAL) uncompressed pixel data holds every voxel.
absl::Status CheckMetaImageData(const std::string& path, itk::ImageIOBase& io, ItkFileFacts* facts);
// NRRD: the raw or gzip pixel data holds every voxel (ITK 5.2 leaks when it does not).
absl::Status CheckNrrdData(const std::string& path, itk::ImageIOBase& io, ItkFileFacts* facts);
// MetaImage: uncompressed 3D scalar voxels alone in a little-endian data file (LUNA16's
// .mhd/.raw) read straight into the Volume, ~10x less CPU than ITK's path.
absl::StatusOr<bool> ReadMetaImageDirect(const std::string& path, itk::ImageIOBase& io,
                                         const ItkReadSettings& settings, int stored_bits,
                                         std::vector<Volume>* volumes);

// Reads a 2D/3D/4D scalar (or colour -> luminance) image: one Volume per time point.
absl::StatusOr<std::vector<Volume>> ReadItkFile(const std::string& path,
                                                const ItkFileFormat& format,
                                                const ItkReadSettings& settings);

// The options check shared by every ItkReader.
absl::Status ValidateItkReaderOptions(int max_time_points, const std::string& modality);
ItkReadSettings ItkReadSettingsFromOptions(int max_time_points, const std::string& modality);
bool HasAnyExtension(const std::string& path, const std::vector<std::string>& extensions);

// The reader of one format; `Options` has `modality` and `max_time_points`.
template <typename Options>
class ItkReader : public ImageReader {
 public:
  static absl::Status Validate(const Options& options) {
    return ValidateItkReaderOptions(options.max_time_points(), options.modality());
  }

  bool CanRead(const std::string& path) const override {
    return HasAnyExtension(path, format_.extensions);
  }

  absl::StatusOr<std::vector<Volume>> Read(const std::string& path) const override {
    return ReadItkFile(path, format_, settings_);
  }

 protected:
  ItkReader(const Options& options, ItkFileFormat format)
      : format_(std::move(format)),
        settings_(ItkReadSettingsFromOptions(options.max_time_points(), options.modality())) {}

 private:
  ItkFileFormat format_;
  ItkReadSettings settings_;
};

}  // namespace reader_internal
}  // namespace genesis

#endif  // GENESIS_PLUGINS_READER_ITK_READER_H_
