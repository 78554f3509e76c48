// DICOM reader: one file, or a folder holding one or more series, through ITK + GDCM.
//
//   corpus {
//     reader {
//       type: "dicom"
//       options { [type.googleapis.com/genesis.DicomReaderOptions] { recursive: true } }
//     }
//   }
//
// A folder is grouped by SeriesInstanceUID (GDCMSeriesFileNames; with split_by_series_details
// also by orientation/size), each series is ordered by image position along the slice normal
// and read as one volume. Its z spacing is ITK's |last - first| / (n - 1); a lone slice takes
// SpacingBetweenSlices, else SliceThickness. RescaleSlope and
// RescaleIntercept are applied (CT in HU); every transfer syntax GDCM decodes is supported
// (RLE, JPEG, JPEG-LS, JPEG 2000). Modality and BitsStored come from the tags. No
// patient-identifying tag is read into the Volume. GDCM turns MONOCHROME1 (CR/DX) into
// MONOCHROME2 (inverted within BitsStored), so bright always means dense.

#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "core/image_reader.h"
#include "core/status_macros.h"
#include "gdcm-3.0/gdcmTrace.h"
#include "itkGDCMImageIO.h"
#include "itkGDCMSeriesFileNames.h"
#include "itkImageFileReader.h"
#include "itkImageSeriesReader.h"
#include "plugins/reader/dicom.pb.h"
#include "plugins/reader/itk_util.h"
#include "plugins/reader/reader_util.h"

namespace genesis {
namespace {

using Image3 = itk::Image<float, 3>;

std::string TagValue(itk::GDCMImageIO& io, const char* tag) {
  std::string value;
  if (!io.GetValueFromTag(tag, value)) return "";
  // DICOM pads with spaces or NULs.
  while (!value.empty() && (value.back() == ' ' || value.back() == '\0')) value.pop_back();
  return std::string(absl::StripAsciiWhitespace(value));
}

// Fills the non-identifying tags a Volume carries.
void FillFromTags(itk::GDCMImageIO& io, Volume* volume) {
  auto modality = ParseModality(TagValue(io, "0008|0060"));
  volume->modality = modality.ok() ? *modality : Modality::kUnknown;
  int bits = 0;
  if (absl::SimpleAtoi(TagValue(io, "0028|0101"), &bits)) volume->bits_stored = bits;
  volume->series_uid = TagValue(io, "0020|000e");
}

// A lone slice has no position step; take the header's SpacingBetweenSlices, else its
// SliceThickness (ITK would say 1 mm), so its voxel size is physical.
void SetLoneSliceSpacing(itk::GDCMImageIO& io, Volume* volume) {
  for (const char* tag : {"0018|0088", "0018|0050"}) {
    double value = 0;
    if (absl::SimpleAtod(TagValue(io, tag), &value) && value > 0) {
      volume->spacing[2] = value;
      return;
    }
  }
}

int64_t TagInt(itk::GDCMImageIO& io, const char* tag, int64_t fallback) {
  int64_t value = 0;
  return absl::SimpleAtoi(TagValue(io, tag), &value) ? value : fallback;
}

// Bytes of native (uncompressed) pixel data the header promises.
int64_t ExpectedPixelBytes(itk::GDCMImageIO& io) {
  return TagInt(io, "0028|0010", 0) * TagInt(io, "0028|0011", 0) * TagInt(io, "0028|0002", 1) *
         TagInt(io, "0028|0008", 1) * TagInt(io, "0028|0100", 16) / 8;
}

uint32_t Le32(const std::string& bytes, size_t at) {
  return static_cast<uint32_t>(static_cast<unsigned char>(bytes[at])) |
         static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + 1])) << 8 |
         static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + 2])) << 16 |
         static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + 3])) << 24;
}

// GDCM reads a file whose pixel data stops early without complaint; find the Pixel Data
// element (7FE0,0010) whose length matches the header's promise (native) or that opens an
// encapsulated sequence, and check the file holds all of it.
absl::Status CheckPixelDataComplete(const std::string& path, int64_t expected) {
  GENESIS_ASSIGN_OR_RETURN(const std::string bytes, ReadFile(path));
  const std::string tag("\xE0\x7F\x10\x00", 4);
  const uint64_t even = static_cast<uint64_t>(expected + (expected & 1));
  for (size_t pos = bytes.find(tag); pos != std::string::npos; pos = bytes.find(tag, pos + 1)) {
    if (pos + 8 > bytes.size()) break;
    const std::string vr = bytes.substr(pos + 4, 2);
    const bool explicit_vr = (vr == "OB" || vr == "OW" || vr == "UN") && bytes[pos + 6] == '\0' &&
                             bytes[pos + 7] == '\0';
    if (explicit_vr && pos + 12 > bytes.size()) break;
    const uint32_t length = explicit_vr ? Le32(bytes, pos + 8) : Le32(bytes, pos + 4);
    const size_t data = pos + (explicit_vr ? 12 : 8);
    if (length == 0xFFFFFFFFu) {
      // Encapsulated: the sequence delimitation item must be there.
      if (bytes.find(std::string("\xFE\xFF\xDD\xE0", 4), data) == std::string::npos) {
        return absl::DataLossError(
            absl::StrCat(path, ": truncated: encapsulated pixel data has no sequence delimiter"));
      }
      return absl::OkStatus();
    }
    if (expected > 0 && (length == static_cast<uint64_t>(expected) || length == even)) {
      if (data + length > bytes.size()) {
        return absl::DataLossError(absl::StrCat(path, ": truncated: pixel data needs ", length,
                                                " bytes, file holds ", bytes.size() - data));
      }
      return absl::OkStatus();
    }
  }
  return absl::OkStatus();  // Unusual layout: leave the judgement to GDCM.
}

bool IsDicomFile(const std::string& path) {
  return reader_internal::HasExtension(path, {".dcm", ".dicom"}) ||
         reader_internal::HasMagic(path, 128, "DICM");
}

class DicomReader : public ImageReader {
 public:
  static absl::Status Validate(const DicomReaderOptions& options) {
    if (options.can_read_probe_limit() < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("can_read_probe_limit: must be >= 1, got ", options.can_read_probe_limit()));
    }
    return absl::OkStatus();
  }

  explicit DicomReader(const DicomReaderOptions& options) : options_(options) {
    // GDCM prints decoder errors to stderr; they reach the caller as a Status instead.
    gdcm::Trace::SetError(false);
    gdcm::Trace::SetWarning(false);
  }

  bool CanRead(const std::string& path) const override {
    std::error_code ec;
    if (!std::filesystem::is_directory(path, ec)) return IsDicomFile(path);
    int budget = options_.can_read_probe_limit();
    return FolderHasDicom(path, &budget);
  }

  absl::StatusOr<std::vector<Volume>> Read(const std::string& path) const override {
    reader_internal::SilenceItkWarnings();
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) return ReadFolder(path);
    GENESIS_RETURN_IF_ERROR(reader_internal::CheckRegularFile(path));
    return ReadFile(path);
  }

 private:
  bool FolderHasDicom(const std::string& dir, int* budget) const {
    std::error_code ec;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (--*budget < 0) return false;
      const std::string entry = it->path().string();
      if (it->is_regular_file(ec) && IsDicomFile(entry)) return true;
      if (options_.recursive() && it->is_directory(ec) && FolderHasDicom(entry, budget)) {
        return true;
      }
    }
    return false;
  }

  absl::StatusOr<std::vector<Volume>> ReadFile(const std::string& path) const {
    try {
      auto io = itk::GDCMImageIO::New();
      if (!io->CanReadFile(path.c_str())) {
        return reader_internal::FileError(path, "not a DICOM file GDCM can read");
      }
      auto reader = itk::ImageFileReader<Image3>::New();
      reader->SetImageIO(io);
      reader->SetFileName(path);
      reader->Update();
      // After the read (GDCM parses a header once, and some files take seconds to parse).
      GENESIS_RETURN_IF_ERROR(CheckPixelDataComplete(path, ExpectedPixelBytes(*io)));
      Volume volume = reader_internal::VolumeFromItkImage(*reader->GetOutput());
      FillFromTags(*io, &volume);
      if (volume.size[2] == 1) SetLoneSliceSpacing(*io, &volume);
      volume.source = path;
      std::vector<Volume> volumes;
      volumes.push_back(std::move(volume));
      return volumes;
    } catch (const itk::ExceptionObject& e) {
      return absl::DataLossError(absl::StrCat(path, ": cannot read DICOM: ", e.GetDescription()));
    } catch (const std::exception& e) {
      return absl::DataLossError(absl::StrCat(path, ": cannot read DICOM: ", e.what()));
    }
  }

  absl::StatusOr<std::vector<Volume>> ReadFolder(const std::string& dir) const {
    std::vector<Volume> volumes;
    std::string current = dir;
    try {
      auto names = itk::GDCMSeriesFileNames::New();
      names->SetUseSeriesDetails(options_.split_by_series_details());
      names->SetRecursive(options_.recursive());
      names->SetDirectory(dir);
      const std::vector<std::string> series = names->GetSeriesUIDs();
      if (series.empty()) {
        return absl::NotFoundError(absl::StrCat(dir, ": no readable DICOM series in folder"));
      }
      for (const std::string& uid : series) {
        const std::vector<std::string> files = names->GetFileNames(uid);
        if (files.empty()) continue;
        current = absl::StrCat(dir, " (series of ", files.size(), " files starting with ",
                               files.front(), ")");
        auto io = itk::GDCMImageIO::New();
        auto reader = itk::ImageSeriesReader<Image3>::New();
        reader->SetImageIO(io);
        reader->SetFileNames(files);
        reader->Update();
        // The slices of one series share rows, columns and bit depth.
        const int64_t expected = ExpectedPixelBytes(*io);
        for (const std::string& file : files) {
          GENESIS_RETURN_IF_ERROR(CheckPixelDataComplete(file, expected));
        }
        Volume volume = reader_internal::VolumeFromItkImage(*reader->GetOutput());
        FillFromTags(*io, &volume);
        if (volume.size[2] == 1) SetLoneSliceSpacing(*io, &volume);
        volume.source = dir;
        volumes.push_back(std::move(volume));
      }
    } catch (const itk::ExceptionObject& e) {
      return absl::DataLossError(
          absl::StrCat(current, ": cannot read DICOM series: ", e.GetDescription()));
    } catch (const std::exception& e) {
      return absl::DataLossError(absl::StrCat(current, ": cannot read DICOM series: ", e.what()));
    }
    return volumes;
  }

  DicomReaderOptions options_;
};

}  // namespace

GENESIS_REGISTER_IMAGE_READER(DicomReader, "dicom", DicomReaderOptions,
                              "DICOM file or series folder through ITK + GDCM (HU for CT)");

}  // namespace genesis
