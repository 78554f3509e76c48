// Every dataset source that sets a read hint (core/read_hints.h), end to end: the source scans
// its fixture layout (tools/testdata/make_fixtures.py), BuildCorpus reads the files with the
// real readers, and the store holds exactly the slices the hint asks for. Each fixture is such
// that reading without the hint stores other slices -- the ADC channel too (MSD), unshifted
// values (DeepLesion), a larger decoy array (Brain Tumor figshare, Cardiac MRI) -- so each test
// fails if its hint is dropped anywhere between the source and the code that honours it.
// Expected slices come from the readers called directly, with the hint's effect spelled out.
#include "core/read_hints.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/corpus/corpus_builder.h"
#include "core/corpus/manifest.h"
#include "core/dataset_source.h"
#include "core/image_reader.h"
#include "core/proto/plugin_spec.pb.h"
#include "core/registry.h"
#include "core/slice_store.h"
#include "gtest/gtest.h"
#include "plugins/dataset/brain_tumor_figshare.pb.h"
#include "plugins/dataset/cardiac_mri.pb.h"
#include "plugins/dataset/csv_manifest.pb.h"
#include "plugins/dataset/deeplesion.pb.h"
#include "plugins/dataset/fixture_util.h"
#include "plugins/dataset/msd.pb.h"
#include "plugins/reader/mat.pb.h"

namespace genesis {
namespace {

using SlicesByPatient = std::map<std::string, std::vector<std::vector<float>>>;

// Builds the corpus `stage` (keep-all, raw float32 values, no preprocessing) and returns the
// stored slices per patient in store order (the order of the patient's files, volumes and z).
SlicesByPatient BuildAndReadBack(CorpusStage stage, const std::string& name) {
  stage.mutable_store()->set_pixel_type("float32");
  const std::string out = dataset::ScratchDir(name);
  CorpusBuildResult result;
  absl::Status built = BuildCorpus(stage, out, 7, 2, &result);
  EXPECT_TRUE(built.ok()) << built;
  EXPECT_TRUE(result.skipped.empty())
      << result.skipped[0].first << ": " << result.skipped[0].second;
  // The manifest stays readable and carries no hint as a label.
  auto manifest = ReadManifest(out + "/manifest.csv");
  EXPECT_TRUE(manifest.ok()) << manifest.status();
  if (manifest.ok()) {
    for (const ManifestRow& row : *manifest) {
      for (const char* key : {"channel", "value_offset", "mat_variable", "axes"}) {
        EXPECT_EQ(row.labels.count(key), 0u) << key;
      }
    }
  }
  SlicesByPatient stored;
  auto store = SliceStoreReader::Open(out + "/store");
  EXPECT_TRUE(store.ok()) << store.status();
  if (!store.ok()) return stored;
  for (Split split : {Split::kTrain, Split::kVal, Split::kTest}) {
    for (int64_t i = 0; i < (*store)->size(split); ++i) {
      auto slice = (*store)->Read(split, i);
      EXPECT_TRUE(slice.ok()) << slice.status();
      if (slice.ok()) stored[slice->patient_id].push_back(slice->pixels);
    }
  }
  return stored;
}

// A corpus of one dataset read by the reader `reader_type` with default options.
SlicesByPatient BuildAndReadBack(const std::string& source_type,
                                 const google::protobuf::Message& source_options,
                                 const std::string& reader_type, const std::string& name) {
  CorpusStage stage;
  DatasetSpec* spec = stage.add_dataset();
  spec->mutable_source()->set_type(source_type);
  spec->mutable_source()->mutable_options()->PackFrom(source_options);
  stage.add_reader()->set_type(reader_type);
  return BuildAndReadBack(stage, name);
}

// A reader plugin with default options, or with `options` when given.
PluginSpec Reader(const std::string& type, const google::protobuf::Message* options = nullptr) {
  PluginSpec spec;
  spec.set_type(type);
  if (options != nullptr) spec.mutable_options()->PackFrom(*options);
  return spec;
}

// Every slice of `path` read plainly (no hints) by `reader`, of the volumes `keep` (all when
// empty), each voxel plus `offset`.
std::vector<std::vector<float>> ReadDirectly(const PluginSpec& reader_spec, const std::string& path,
                                             std::vector<size_t> keep = {}, float offset = 0) {
  std::vector<std::vector<float>> slices;
  auto reader = Registry<ImageReader>::Get().Create(reader_spec);
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return slices;
  auto volumes = (*reader)->Read(path);
  EXPECT_TRUE(volumes.ok()) << volumes.status();
  if (!volumes.ok()) return slices;
  if (keep.empty()) {
    for (size_t k = 0; k < volumes->size(); ++k) keep.push_back(k);
  }
  for (size_t k : keep) {
    const Volume& v = (*volumes)[k];
    for (int64_t z = 0; z < v.size[2]; ++z) {
      slices.push_back(v.AxialSlice(z).pixels);
      for (float& p : slices.back()) p += offset;
    }
  }
  return slices;
}

// MSD Prostate files hold T2 and ADC; the source's channel hint (0) keeps T2 only.
TEST(ReadHintsTest, MsdChannelKeepsT2) {
  MsdOptions options;
  options.set_root(dataset::MakeFixture("msd") + "/Task05_Prostate");
  auto records = dataset::ScanWith("msd", options);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 2u);
  const SlicesByPatient stored = BuildAndReadBack("msd", options, "nifti", "msd");
  ASSERT_EQ(stored.size(), records->size());
  for (const PatientRecord& r : *records) {
    ASSERT_EQ(r.hints.channel, 0);
    ASSERT_EQ(r.files.size(), 1u);
    const auto both = ReadDirectly(Reader("nifti"), r.files[0]);
    const auto t2 = ReadDirectly(Reader("nifti"), r.files[0], {0});
    ASSERT_EQ(both.size(), 2 * t2.size());  // The file really has two channels.
    ASSERT_NE(both.back(), t2.back());
    EXPECT_EQ(stored.at(r.patient_id), t2) << r.patient_id;
  }
}

// DeepLesion PNGs store HU + 32768; the source's value_offset hint (-32768) restores HU
// before anything else sees the values.
TEST(ReadHintsTest, DeepLesionValueOffsetGivesHu) {
  DeepLesionOptions options;
  options.set_root(dataset::MakeFixture("deeplesion"));
  auto records = dataset::ScanWith("deeplesion", options);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_FALSE(records->empty());
  const SlicesByPatient stored = BuildAndReadBack("deeplesion", options, "png", "deeplesion");
  ASSERT_EQ(stored.size(), records->size());
  for (const PatientRecord& r : *records) {
    ASSERT_EQ(r.hints.value_offset, -32768.0f);
    std::vector<std::vector<float>> hu;
    for (const std::string& file : r.files) {
      for (auto& slice : ReadDirectly(Reader("png"), file, {}, -32768.0f)) hu.push_back(slice);
    }
    ASSERT_EQ(stored.at(r.patient_id), hu) << r.patient_id;
    // Air in the phantom is -1000 HU, not 31768.
    EXPECT_EQ(*std::min_element(hu[0].begin(), hu[0].end()), -1000.0f);
  }
}

// Brain Tumor figshare files: the source's mat_variable hint (cjdata.image) makes the mat
// reader open the image, not the larger decoy array it would pick by default.
TEST(ReadHintsTest, BrainTumorFigshareMatVariableOpensCjdataImage) {
  BrainTumorFigshareOptions options;
  options.set_root(dataset::MakeFixture("read_hints") + "/brain_tumor_figshare");
  auto records = dataset::ScanWith("brain_tumor_figshare", options);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 1u);
  const PatientRecord& r = (*records)[0];
  ASSERT_EQ(r.hints.mat_variable, "cjdata.image");
  const SlicesByPatient stored =
      BuildAndReadBack("brain_tumor_figshare", options, "mat", "figshare");
  MatReaderOptions image;
  image.set_variable("cjdata.image");
  const auto expected = ReadDirectly(Reader("mat", &image), r.files[0]);
  ASSERT_EQ(expected.size(), 1u);
  ASSERT_EQ(expected[0].size(), 32u * 32u);
  EXPECT_EQ(stored.at(r.patient_id), expected);
  // Without the hint the reader would store the decoy.
  ASSERT_NE(ReadDirectly(Reader("mat"), r.files[0]), expected);
}

// Cardiac MRI: mat_variable sol_yxzt (over a larger decoy) read in the yxzt axis order, one
// volume per frame.
TEST(ReadHintsTest, CardiacMriMatVariableAndAxes) {
  CardiacMriOptions options;
  options.set_root(dataset::MakeFixture("read_hints") + "/cardiac_mri");
  auto records = dataset::ScanWith("cardiac_mri", options);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 1u);
  const PatientRecord& r = (*records)[0];
  ASSERT_EQ(r.hints.mat_variable, "sol_yxzt");
  ASSERT_TRUE(r.hints.axes.has_value());
  ASSERT_EQ(AxisOrderName(*r.hints.axes), "yxzt");
  const SlicesByPatient stored = BuildAndReadBack("cardiac_mri", options, "mat", "cardiac");
  MatReaderOptions sol;
  sol.set_variable("sol_yxzt");
  const auto expected = ReadDirectly(Reader("mat", &sol), r.files[0]);
  ASSERT_EQ(expected.size(), 6u);  // 2 frames x 3 slices of 32 x 32.
  ASSERT_EQ(expected[0].size(), 32u * 32u);
  EXPECT_EQ(stored.at(r.patient_id), expected);
  ASSERT_NE(ReadDirectly(Reader("mat"), r.files[0]), expected);
}

// csv_manifest (any dataset, no code): its hint columns reach the corpus and the reader --
// channel 1 (ADC) of an MSD Prostate file shifted by -5, and the figshare image over the decoy;
// without the columns the store would hold both channels unshifted and the decoy.
TEST(ReadHintsTest, CsvManifestHintColumns) {
  const std::string prostate = dataset::MakeFixture("msd") + "/Task05_Prostate";
  MsdOptions msd;
  msd.set_root(prostate);
  auto msd_records = dataset::ScanWith("msd", msd);
  ASSERT_TRUE(msd_records.ok()) << msd_records.status();
  const std::string nifti = (*msd_records)[0].files[0];
  const std::string mat = dataset::MakeFixture("read_hints") + "/brain_tumor_figshare/1.mat";
  const std::string dir = dataset::ScratchDir("csv_hints");
  dataset::WriteText(dir + "/manifest.csv",
                     absl::StrCat("dataset,patient_id,modality,body_part,file,channel,value_offset,"
                                  "mat_variable\n"
                                  "Mine,adc,MR,prostate,\"",
                                  nifti,
                                  "\",1,-5,\n"
                                  "Mine,tumor,MR,brain,\"",
                                  mat, "\",,,cjdata.image\n"));
  CsvManifestOptions options;
  options.set_root(dir);
  CorpusStage stage;
  DatasetSpec* spec = stage.add_dataset();
  spec->mutable_source()->set_type("csv_manifest");
  spec->mutable_source()->mutable_options()->PackFrom(options);
  stage.add_reader()->set_type("nifti");
  stage.add_reader()->set_type("mat");
  const SlicesByPatient stored = BuildAndReadBack(stage, "csv_manifest");
  EXPECT_EQ(stored.at("adc"), ReadDirectly(Reader("nifti"), nifti, {1}, -5.0f));
  MatReaderOptions image;
  image.set_variable("cjdata.image");
  EXPECT_EQ(stored.at("tumor"), ReadDirectly(Reader("mat", &image), mat));
}

}  // namespace
}  // namespace genesis
