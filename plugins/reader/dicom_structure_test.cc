// The DICOM structure walk (dicom_structure.h) on hand-built files: a minimal sound image, and
// headers whose pixel data cannot hold what they claim. No GDCM, no ITK.
#include "plugins/reader/dicom_structure.h"

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace genesis {
namespace reader_internal {
namespace {

std::string U16(uint16_t v) {
  return std::string{static_cast<char>(v & 0xFF), static_cast<char>(v >> 8)};
}
std::string U32(uint32_t v) { return U16(v & 0xFFFF) + U16(v >> 16); }

// An explicit-VR little-endian element with a 2-byte length (or 4 after 2 reserved bytes).
std::string Element(uint16_t group, uint16_t element, const std::string& vr,
                    const std::string& value) {
  const bool long_length = vr == "OB" || vr == "OW";
  return U16(group) + U16(element) + vr +
         (long_length ? U16(0) + U32(value.size()) : U16(value.size())) + value;
}

// Preamble, meta group, Rows = Columns = 2, BitsAllocated 16, `extra` elements, 8 bytes of
// pixels.
std::string Dicom(const std::string& extra) {
  const std::string syntax =
      Element(0x0002, 0x0010, "UI", std::string("1.2.840.10008.1.2.1\0", 20));
  return std::string(128, '\0') + "DICM" + Element(0x0002, 0x0000, "UL", U32(syntax.size())) +
         syntax + Element(0x0028, 0x0008, "IS", extra) + Element(0x0028, 0x0010, "US", U16(2)) +
         Element(0x0028, 0x0011, "US", U16(2)) + Element(0x0028, 0x0100, "US", U16(16)) +
         Element(0x7FE0, 0x0010, "OW", std::string(8, '\x01'));
}

std::string Write(const std::string& name, const std::string& bytes) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

TEST(DicomStructureTest, MinimalImageIsSound) {
  const std::string path = Write("one_frame.dcm", Dicom("1 "));
  auto layout = CheckDicomStructure(path);
  ASSERT_TRUE(layout.ok()) << layout.status();
  EXPECT_EQ(layout->data_end, layout->file_size);
}

TEST(DicomStructureTest, TwoFramesNeedTwiceThePixels) {
  const std::string path = Write("two_frames.dcm", Dicom("2 "));
  auto layout = CheckDicomStructure(path);
  ASSERT_FALSE(layout.ok());
  EXPECT_EQ(layout.status().message(),
            path + ": pixel data holds 8 bytes, Rows x Columns x ... needs 16");
}

// 2 x 2 pixels x 16 bits x 2^58 frames: the bit count 2^64 wrapped to 0 in 64-bit arithmetic
// (undefined behaviour; UBSan aborts) and the file passed as sound.
TEST(DicomStructureTest, AbsurdFrameCountsDoNotWrapAround) {
  const std::string path = Write("2^58_frames.dcm", Dicom("288230376151711744"));
  auto layout = CheckDicomStructure(path);
  ASSERT_FALSE(layout.ok());
  EXPECT_EQ(layout.status().message(),
            path + ": pixel data holds 8 bytes, Rows x Columns x ... needs 2305843009213693952");
  const std::string max = Write("max_frames.dcm", Dicom("9223372036854775807 "));
  layout = CheckDicomStructure(max);
  ASSERT_FALSE(layout.ok());
  EXPECT_EQ(layout.status().message(),
            max + ": pixel data holds 8 bytes, Rows x Columns x ... needs more than 2^63");
}

}  // namespace
}  // namespace reader_internal
}  // namespace genesis
