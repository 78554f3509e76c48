#include "plugins/reader/dicom_structure.h"

#include <cstdint>
#include <limits>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "core/file_util.h"
#include "core/status_macros.h"

namespace genesis {
namespace reader_internal {
namespace {

constexpr uint32_t kUndefined = 0xFFFFFFFFu;
constexpr int kMaxDepth = 16;

bool IsKnownVr(absl::string_view vr) {
  static const std::set<std::string, std::less<>>* const known =
      new std::set<std::string, std::less<>>{"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL",
                                             "IS", "LO", "LT", "OB", "OD", "OF", "OL", "OV", "OW",
                                             "PN", "SH", "SL", "SQ", "SS", "ST", "SV", "TM", "UC",
                                             "UI", "UL", "UN", "UR", "US", "UT", "UV"};
  return known->count(vr) > 0;
}

// VRs with a 2-byte reserved field and a 4-byte length in explicit VR.
bool HasLongLength(absl::string_view vr) {
  return vr == "OB" || vr == "OD" || vr == "OF" || vr == "OL" || vr == "OV" || vr == "OW" ||
         vr == "SQ" || vr == "SV" || vr == "UC" || vr == "UN" || vr == "UR" || vr == "UT" ||
         vr == "UV";
}

class Walker {
 public:
  Walker(const std::string& path, const std::string& bytes) : path_(path), b_(bytes) {}

  // Where the data set ends (start of trailing zero padding, or the file size).
  size_t data_end() const { return data_end_; }

  absl::Status Run() {
    data_end_ = b_.size();
    size_t pos = 0;
    if (b_.size() >= 132 && b_.compare(128, 4, "DICM") == 0) pos = 132;
    GENESIS_RETURN_IF_ERROR(WalkMeta(&pos));
    if (syntax_ == "1.2.840.10008.1.2.1.99" || syntax_ == "1.2.840.10008.1.2.2") {
      return absl::OkStatus();  // Deflated / big endian: left to GDCM.
    }
    explicit_ = syntax_ != "1.2.840.10008.1.2";
    if (syntax_.empty() && pos + 6 <= b_.size()) {
      explicit_ = IsKnownVr(b_.substr(pos + 4, 2));  // No meta group: guess like GDCM.
    }
    GENESIS_RETURN_IF_ERROR(WalkItems(&pos, b_.size(), 0, /*top_level=*/true));
    return CheckPixelData();
  }

 private:
  absl::Status Bad(absl::string_view what, size_t at) const {
    return absl::InvalidArgumentError(
        absl::StrCat(path_, ": corrupt DICOM: ", what, " at byte ", at));
  }
  absl::Status Truncated(absl::string_view what, size_t at) const {
    return absl::DataLossError(absl::StrCat(path_, ": truncated DICOM: ", what, " at byte ", at));
  }

  uint16_t U16(size_t at) const {
    return static_cast<uint16_t>(static_cast<unsigned char>(b_[at]) |
                                 static_cast<unsigned char>(b_[at + 1]) << 8);
  }
  uint32_t U32(size_t at) const {
    return static_cast<uint32_t>(U16(at)) | static_cast<uint32_t>(U16(at + 2)) << 16;
  }

  absl::Status WalkMeta(size_t* pos) {
    while (*pos + 8 <= b_.size() && U16(*pos) == 0x0002) {
      const size_t at = *pos;
      const uint16_t element = U16(at + 2);
      const std::string vr = b_.substr(at + 4, 2);
      if (!IsKnownVr(vr)) return Bad("file meta element with invalid VR", at);
      size_t value = at + 8;
      uint32_t length = U16(at + 6);
      if (HasLongLength(vr)) {
        if (at + 12 > b_.size()) return Truncated("file meta element header", at);
        length = U32(at + 8);
        value = at + 12;
      }
      if (length == kUndefined || value + length > b_.size()) {
        return Truncated("file meta element value", at);
      }
      if (vr == "UI") {
        for (size_t i = value; i < value + length; ++i) {
          const char c = b_[i];
          if (!((c >= '0' && c <= '9') || c == '.' || c == '\0' || c == ' ')) {
            return Bad("non-numeric UID in the file meta group", i);
          }
        }
        if (element == 0x0010) {
          syntax_ = b_.substr(value, length);
          while (!syntax_.empty() && (syntax_.back() == '\0' || syntax_.back() == ' ')) {
            syntax_.pop_back();
          }
        }
      }
      *pos = value + length;
    }
    return absl::OkStatus();
  }

  // Elements in [*pos, end); nested sequences recurse. At top level, trailing zero padding
  // after the last element is tolerated.
  absl::Status WalkItems(size_t* pos, size_t end, int depth, bool top_level) {
    if (depth > kMaxDepth) return Bad("sequences nested too deeply", *pos);
    while (*pos < end) {
      const size_t at = *pos;
      if (at + 8 > end) {
        if (top_level && AllZero(at, end)) {
          data_end_ = at;
          return absl::OkStatus();
        }
        return Truncated("element header", at);
      }
      const uint16_t group = U16(at), element = U16(at + 2);
      if (top_level && group == 0 && element == 0 && AllZero(at, end)) {
        data_end_ = at;
        *pos = end;  // Zero padding after the data set.
        return absl::OkStatus();
      }
      if (group == 0xFFFE) {
        if (element == 0xE0DD || element == 0xE00D) {  // Delimiter: the caller's end.
          *pos = at + 8;
          return absl::OkStatus();
        }
        return Bad("item outside a sequence", at);
      }
      std::string vr;
      size_t value = at + 8;
      uint32_t length = 0;
      if (explicit_) {
        vr = b_.substr(at + 4, 2);
        if (!IsKnownVr(vr))
          return Bad(absl::StrFormat("element (%04X,%04X) has an invalid VR", group, element), at);
        if (HasLongLength(vr)) {
          if (at + 12 > end) return Truncated("element header", at);
          length = U32(at + 8);
          value = at + 12;
        } else {
          length = U16(at + 6);
        }
      } else {
        length = U32(at + 4);
      }
      const bool pixel_data = group == 0x7FE0 && element == 0x0010 && depth == 0;
      if (length == kUndefined) {
        if (pixel_data) {
          pixel_encapsulated_ = true;
          pixel_seen_ = true;
          *pos = value;
          GENESIS_RETURN_IF_ERROR(WalkSequence(pos, end, depth, /*fragments=*/true));
          continue;
        }
        if (explicit_ && vr != "SQ" && vr != "UN") {
          return Bad(
              absl::StrFormat("element (%04X,%04X) %s has undefined length", group, element, vr),
              at);
        }
        *pos = value;
        GENESIS_RETURN_IF_ERROR(WalkSequence(pos, end, depth, /*fragments=*/false));
        continue;
      }
      if (value + length > end) {
        if (pixel_data) {
          return absl::DataLossError(absl::StrCat(path_, ": truncated: pixel data needs ", length,
                                                  " bytes, file holds ", end - value));
        }
        return Truncated(absl::StrFormat("value of element (%04X,%04X)", group, element), at);
      }
      if (depth == 0) Remember(group, element, value, length);
      if (pixel_data) {
        pixel_seen_ = true;
        pixel_length_ = length;
      }
      if (explicit_ && vr == "SQ") {
        size_t inner = value;
        GENESIS_RETURN_IF_ERROR(WalkSequence(&inner, value + length, depth, false));
      }
      *pos = value + length;
    }
    return absl::OkStatus();
  }

  // Items of a sequence (or fragments of encapsulated pixel data) from *pos until the
  // sequence delimiter or `end`.
  absl::Status WalkSequence(size_t* pos, size_t end, int depth, bool fragments) {
    while (*pos < end) {
      const size_t at = *pos;
      if (at + 8 > end) return Truncated("sequence item header", at);
      const uint16_t group = U16(at), element = U16(at + 2);
      const uint32_t length = U32(at + 4);
      if (group != 0xFFFE) return Bad("expected a sequence item", at);
      if (element == 0xE0DD) {  // Sequence delimiter.
        *pos = at + 8;
        return absl::OkStatus();
      }
      if (element != 0xE000) return Bad("expected a sequence item", at);
      if (length == kUndefined) {
        if (fragments) return Bad("pixel data fragment of undefined length", at);
        *pos = at + 8;
        GENESIS_RETURN_IF_ERROR(WalkItems(pos, end, depth + 1, false));
        continue;
      }
      if (at + 8 + length > end) {
        return fragments ? absl::DataLossError(absl::StrCat(
                               path_, ": truncated: encapsulated pixel data fragment at byte ", at,
                               " needs ", length, " bytes"))
                         : Truncated("sequence item", at);
      }
      if (!fragments) {
        size_t inner = at + 8;
        GENESIS_RETURN_IF_ERROR(WalkItems(&inner, at + 8 + length, depth + 1, false));
      }
      *pos = at + 8 + length;
    }
    if (fragments) {
      return absl::DataLossError(
          absl::StrCat(path_, ": truncated: encapsulated pixel data has no sequence delimiter"));
    }
    return absl::OkStatus();  // A defined-length sequence ends at its end.
  }

  bool AllZero(size_t from, size_t to) const {
    for (size_t i = from; i < to; ++i) {
      if (b_[i] != '\0') return false;
    }
    return true;
  }

  // The image pixel module values needed for the native pixel data size.
  void Remember(uint16_t group, uint16_t element, size_t value, uint32_t length) {
    if (group != 0x0028) return;
    if (length == 2 && element == 0x0010) rows_ = U16(value);
    if (length == 2 && element == 0x0011) columns_ = U16(value);
    if (length == 2 && element == 0x0100) bits_allocated_ = U16(value);
    if (length == 2 && element == 0x0002) samples_ = U16(value);
    if (element == 0x0008) {
      absl::string_view text = absl::string_view(b_).substr(value, length);
      while (!text.empty() && (text.back() == '\0' || text.back() == ' ')) text.remove_suffix(1);
      int64_t frames = 0;
      if (absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &frames) && frames > 0) {
        frames_ = frames;
      }
    }
  }

  absl::Status CheckPixelData() const {
    if (!pixel_seen_) {
      return absl::NotFoundError(
          absl::StrCat(path_, ": DICOM file has no pixel data (not an image)"));
    }
    if (pixel_encapsulated_ || rows_ == 0 || columns_ == 0) return absl::OkStatus();
    // In 128 bits: four 16-bit values and a 63-bit NumberOfFrames overflow 64 (undefined
    // behaviour, and a wrapped product once let a file claiming 2^58 frames pass).
    const __int128 need = static_cast<__int128>(rows_) * columns_ * samples_ * frames_ *
                          bits_allocated_ / 8;
    if (static_cast<__int128>(pixel_length_) < need) {
      return absl::DataLossError(absl::StrCat(
          path_, ": pixel data holds ", pixel_length_, " bytes, Rows x Columns x ... needs ",
          need > std::numeric_limits<int64_t>::max() ? std::string("more than 2^63")
                                                     : absl::StrCat(static_cast<int64_t>(need))));
    }
    return absl::OkStatus();
  }

  const std::string& path_;
  const std::string& b_;
  std::string syntax_;
  bool explicit_ = true;
  bool pixel_seen_ = false, pixel_encapsulated_ = false;
  uint32_t pixel_length_ = 0;
  size_t data_end_ = 0;
  int64_t rows_ = 0, columns_ = 0, bits_allocated_ = 16, samples_ = 1, frames_ = 1;
};

}  // namespace

absl::StatusOr<DicomLayout> CheckDicomStructure(const std::string& path) {
  GENESIS_ASSIGN_OR_RETURN(const std::string bytes, ReadFile(path));
  Walker walker(path, bytes);
  GENESIS_RETURN_IF_ERROR(walker.Run());
  DicomLayout layout;
  layout.file_size = static_cast<int64_t>(bytes.size());
  layout.data_end = static_cast<int64_t>(walker.data_end());
  return layout;
}

}  // namespace reader_internal
}  // namespace genesis
