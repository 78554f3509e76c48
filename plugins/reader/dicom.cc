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

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
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
#include "plugins/reader/dicom_structure.h"
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

// A private temporary folder, removed with its contents on destruction.
class TempDir {
 public:
  TempDir() = default;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  absl::Status Create() {
    std::error_code ec;
    std::string pattern =
        (std::filesystem::temp_directory_path(ec) / "genesis_dicom_XXXXXX").string();
    if (ec || mkdtemp(pattern.data()) == nullptr) {
      return absl::InternalError(absl::StrCat("cannot create a temporary folder ", pattern));
    }
    path_ = pattern;
    return absl::OkStatus();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Trailing zero padding worth trimming before GDCM sees the file.
constexpr int64_t kPaddingToTrim = 4096;

// The file GDCM should read for `file`: itself, or (when long zero padding follows the data
// set) a trimmed copy written into `tmp` as `name`.
absl::StatusOr<std::string> GdcmInput(const std::string& file,
                                      const reader_internal::DicomLayout& layout, TempDir* tmp,
                                      const std::string& name) {
  if (layout.file_size - layout.data_end < kPaddingToTrim) return file;
  if (tmp->path().empty()) GENESIS_RETURN_IF_ERROR(tmp->Create());
  GENESIS_ASSIGN_OR_RETURN(const std::string bytes, ReadFile(file));
  const std::string copy = absl::StrCat(tmp->path(), "/", name);
  GENESIS_RETURN_IF_ERROR(
      WriteFileAtomically(copy, absl::string_view(bytes).substr(0, layout.data_end)));
  return copy;
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
    // GDCM asserts (aborts) on some corrupt headers: it only sees files that pass this walk.
    GENESIS_ASSIGN_OR_RETURN(const reader_internal::DicomLayout layout,
                             reader_internal::CheckDicomStructure(path));
    TempDir tmp;
    GENESIS_ASSIGN_OR_RETURN(const std::string input, GdcmInput(path, layout, &tmp, "t.dcm"));
    try {
      auto io = itk::GDCMImageIO::New();
      if (!io->CanReadFile(input.c_str())) {
        return reader_internal::FileError(path, "not a DICOM file GDCM can read");
      }
      auto reader = itk::ImageFileReader<Image3>::New();
      reader->SetImageIO(io);
      reader->SetFileName(input);
      reader->Update();
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

  // Regular files under `dir` (recursively if so configured), sorted.
  absl::StatusOr<std::vector<std::string>> ListFiles(const std::string& dir) const {
    std::vector<std::string> files;
    std::error_code ec;
    auto add = [&](const std::filesystem::directory_entry& entry) {
      std::error_code entry_ec;
      if (entry.is_regular_file(entry_ec)) files.push_back(entry.path().string());
    };
    if (options_.recursive()) {
      for (std::filesystem::recursive_directory_iterator it(dir, ec), end; !ec && it != end;
           it.increment(ec)) {
        add(*it);
      }
    } else {
      for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end;
           it.increment(ec)) {
        add(*it);
      }
    }
    if (ec) return absl::NotFoundError(absl::StrCat(dir, ": cannot list: ", ec.message()));
    std::sort(files.begin(), files.end());
    return files;
  }

  absl::StatusOr<std::vector<Volume>> ReadFolder(const std::string& dir) const {
    // Only files that pass the structure walk reach GDCM (it asserts on some corrupt
    // headers): they are linked into a private temporary folder that GDCM scans. A file that
    // claims to be DICOM (extension or magic) but fails the walk is left out and reported in
    // the first volume's excluded_files, so the good slices of its series are kept; a folder
    // with no good file fails, naming the first rejected one.
    GENESIS_ASSIGN_OR_RETURN(const std::vector<std::string> all_files, ListFiles(dir));
    TempDir links;
    GENESIS_RETURN_IF_ERROR(links.Create());
    std::map<std::string, std::string> original;  // link (or trimmed copy) -> file
    std::vector<std::pair<std::string, std::string>> rejected;  // (file, reason)
    for (const std::string& file : all_files) {
      const auto layout = reader_internal::CheckDicomStructure(file);
      if (!layout.ok()) {
        if (absl::IsNotFound(layout.status())) continue;  // DICOMDIR, reports: no image.
        if (IsDicomFile(file)) {
          rejected.emplace_back(file, std::string(layout.status().message()));
        }
        continue;  // Not DICOM at all (notes, junk): ignored.
      }
      const std::string link = absl::StrCat(links.path(), "/", original.size(), ".dcm");
      if (layout->file_size - layout->data_end >= kPaddingToTrim) {
        GENESIS_RETURN_IF_ERROR(
            GdcmInput(file, *layout, &links, absl::StrCat(original.size(), ".dcm")).status());
      } else {
        std::error_code ec;
        std::filesystem::create_symlink(std::filesystem::absolute(file), link, ec);
        if (ec) {
          return absl::InternalError(absl::StrCat(dir, ": cannot link ", file, ": ", ec.message()));
        }
      }
      original[link] = file;
    }
    std::vector<Volume> volumes;
    std::string current = dir;
    try {
      auto names = itk::GDCMSeriesFileNames::New();
      names->SetUseSeriesDetails(options_.split_by_series_details());
      names->SetRecursive(false);
      names->SetDirectory(links.path());
      const std::vector<std::string> series =
          original.empty() ? std::vector<std::string>{} : names->GetSeriesUIDs();
      if (series.empty()) {
        if (!rejected.empty()) {
          return absl::DataLossError(absl::StrCat(dir, ": series file rejected: ",
                                                  rejected.front().second));
        }
        return absl::NotFoundError(absl::StrCat(dir, ": no readable DICOM series in folder"));
      }
      for (const std::string& uid : series) {
        // Links (or trimmed copies) in the private folder, read from there.
        const std::vector<std::string> files = names->GetFileNames(uid);
        if (files.empty()) continue;
        auto first = original.find(files.front());
        current = absl::StrCat(dir, " (series of ", files.size(), " files starting with ",
                               first != original.end() ? first->second : files.front(), ")");
        auto io = itk::GDCMImageIO::New();
        auto reader = itk::ImageSeriesReader<Image3>::New();
        reader->SetImageIO(io);
        reader->SetFileNames(files);
        reader->Update();
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
    if (!volumes.empty()) volumes.front().excluded_files = std::move(rejected);
    return volumes;
  }

  DicomReaderOptions options_;
};

}  // namespace

GENESIS_REGISTER_IMAGE_READER(DicomReader, "dicom", DicomReaderOptions,
                              "DICOM file or series folder through ITK + GDCM (HU for CT)");

}  // namespace genesis
