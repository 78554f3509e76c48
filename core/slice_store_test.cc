#include "core/slice_store.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace genesis {
namespace {

std::string TempDir(const std::string& name) {
  const std::string dir = std::string(getenv("TEST_TMPDIR")) + "/" + name;
  std::filesystem::remove_all(dir);
  return dir;
}

// A slice whose pixel i of slice k is a known value in [0,1].
Slice MakeSlice(int k, int64_t w, int64_t h) {
  Slice s;
  s.width = w;
  s.height = h;
  s.pixels.resize(w * h);
  for (int64_t i = 0; i < w * h; ++i) {
    s.pixels[i] = std::fmod(0.0137f * (i + 1) + 0.071f * k, 1.0f);
  }
  s.pixels[0] = 0.0f;
  s.pixels[1] = 1.0f;
  s.modality = k % 2 ? Modality::kMR : Modality::kCT;
  s.bits_stored = 12;
  s.spacing = {0.5 + k, 0.75};
  s.dataset = k % 3 ? "MSD,Liver" : "MURA";  // A comma in a name must survive the index.
  s.patient_id = "p\"" + std::to_string(k);
  s.slice_index = 10 + k;
  return s;
}

SliceStoreOptions Options(const std::string& pixel_type, int per_shard) {
  SliceStoreOptions o;
  o.set_pixel_type(pixel_type);
  o.set_slices_per_shard(per_shard);
  return o;
}

void WriteStore(const std::string& dir, const SliceStoreOptions& options, int n) {
  auto writer = SliceStoreWriter::Create(dir, options);
  ASSERT_TRUE(writer.ok()) << writer.status();
  for (int k = 0; k < n; ++k) {
    const Split split = k % 5 == 3 ? Split::kVal : (k % 5 == 4 ? Split::kTest : Split::kTrain);
    ASSERT_TRUE((*writer)->Add(MakeSlice(k, 7 + k % 3, 5), split).ok());
  }
  ASSERT_TRUE((*writer)->Finish().ok());
}

TEST(SliceStoreTest, SplitNames) {
  EXPECT_EQ(SplitName(Split::kTrain), "train");
  EXPECT_EQ(SplitName(Split::kVal), "val");
  EXPECT_EQ(SplitName(Split::kTest), "test");
  EXPECT_EQ(*ParseSplit("val"), Split::kVal);
  EXPECT_FALSE(ParseSplit("dev").ok());
}

TEST(SliceStoreTest, Crc32KnownAnswer) {
  // The standard CRC-32 check value.
  EXPECT_EQ(Crc32("123456789", 9), 0xCBF43926u);
}

TEST(SliceStoreTest, Float32RoundTripIsExact) {
  const std::string dir = TempDir("f32");
  WriteStore(dir, Options("float32", 2), 10);
  auto reader = SliceStoreReader::Open(dir);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->size(Split::kTrain), 6);
  EXPECT_EQ((*reader)->size(Split::kVal), 2);
  EXPECT_EQ((*reader)->size(Split::kTest), 2);
  // Train holds k = 0,1,2,5,6,7 in order.
  const int train_k[] = {0, 1, 2, 5, 6, 7};
  for (int i = 0; i < 6; ++i) {
    auto s = (*reader)->Read(Split::kTrain, i);
    ASSERT_TRUE(s.ok()) << s.status();
    const Slice expected = MakeSlice(train_k[i], 7 + train_k[i] % 3, 5);
    EXPECT_EQ(s->pixels, expected.pixels);
    EXPECT_EQ(s->width, expected.width);
    EXPECT_EQ(s->height, 5);
    EXPECT_EQ(s->dataset, expected.dataset);
    EXPECT_EQ(s->patient_id, expected.patient_id);
    EXPECT_EQ(s->modality, expected.modality);
    EXPECT_EQ(s->slice_index, expected.slice_index);
    EXPECT_EQ(s->bits_stored, 12);
    EXPECT_DOUBLE_EQ(s->spacing[0], expected.spacing[0]);
    EXPECT_DOUBLE_EQ(s->spacing[1], 0.75);
  }
  // 6 train slices at 2 per shard -> 3 shards.
  EXPECT_TRUE(std::filesystem::exists(dir + "/train-00002.bin"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/train-00003.bin"));
  EXPECT_EQ((*reader)->info(Split::kTrain, 5).shard, 2);
  auto val = (*reader)->Read(Split::kVal, 1);
  ASSERT_TRUE(val.ok());
  EXPECT_EQ(val->slice_index, 18);
  EXPECT_FALSE((*reader)->Read(Split::kVal, 2).ok());
}

TEST(SliceStoreTest, Uint16RoundTripWithinQuantisationStep) {
  const std::string dir = TempDir("u16");
  WriteStore(dir, Options("uint16", 3), 10);
  auto reader = SliceStoreReader::Open(dir);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->pixel_type(), StorePixelType::kUint16);
  auto s = (*reader)->Read(Split::kTest, 1);  // k = 9
  ASSERT_TRUE(s.ok()) << s.status();
  const Slice expected = MakeSlice(9, 7, 5);
  ASSERT_EQ(s->pixels.size(), expected.pixels.size());
  EXPECT_EQ(s->pixels[0], 0.0f);
  EXPECT_EQ(s->pixels[1], 1.0f);
  for (size_t i = 0; i < expected.pixels.size(); ++i) {
    EXPECT_NEAR(s->pixels[i], expected.pixels[i], 1.0 / 65535) << i;
  }
  // uint16 shards are half the size of float32 ones: 3 slices of 7x5, 8x5, 9x5 (k = 0,1,2).
  EXPECT_EQ(std::filesystem::file_size(dir + "/train-00000.bin"), (35 + 40 + 45) * 2u);
}

TEST(SliceStoreTest, RejectsOutOfRangePixelsForUint16AndBadOptions) {
  auto writer = SliceStoreWriter::Create(TempDir("bad"), Options("uint16", 4));
  ASSERT_TRUE(writer.ok());
  Slice s = MakeSlice(0, 4, 4);
  s.pixels[3] = 2.5f;
  auto status = (*writer)->Add(s, Split::kTrain);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("pixel 3 is 2.5"), std::string::npos) << status;
  Slice tiny = MakeSlice(0, 4, 4);
  tiny.pixels[2] = 1.0005f;  // Within tolerance: clamped.
  EXPECT_TRUE((*writer)->Add(tiny, Split::kTrain).ok());

  auto bad = SliceStoreWriter::Create(TempDir("bad2"), Options("int8", 4));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("pixel_type: must be"), std::string::npos);
  EXPECT_FALSE(SliceStoreWriter::Create(TempDir("bad3"), Options("uint16", 0)).ok());
}

TEST(SliceStoreTest, UnfinishedStoreIsNotOpened) {
  const std::string dir = TempDir("unfinished");
  {
    auto writer = SliceStoreWriter::Create(dir, Options("uint16", 4));
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Add(MakeSlice(0, 4, 4), Split::kTrain).ok());
  }
  auto reader = SliceStoreReader::Open(dir);
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kNotFound);
}

TEST(SliceStoreTest, CorruptShardIsDetectedAndNamed) {
  const std::string dir = TempDir("corrupt");
  WriteStore(dir, Options("uint16", 2), 10);
  auto reader = SliceStoreReader::Open(dir);
  ASSERT_TRUE(reader.ok());
  const StoredSliceInfo info = (*reader)->info(Split::kTrain, 3);  // Shard 1, second slice.
  ASSERT_EQ(info.shard, 1);
  {
    std::fstream f(dir + "/train-00001.bin", std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(info.offset + 5);
    char c;
    f.read(&c, 1);
    c ^= 0x40;
    f.seekp(info.offset + 5);
    f.write(&c, 1);
  }
  EXPECT_TRUE((*reader)->Read(Split::kTrain, 2).ok());  // Same shard, other slice: fine.
  auto s = (*reader)->Read(Split::kTrain, 3);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.status().message().find(dir + "/train-00001.bin: train slice 3"), std::string::npos)
      << s.status();
  EXPECT_NE(s.status().message().find("checksum mismatch"), std::string::npos);
}

TEST(SliceStoreTest, TruncatedShardFailsAtOpen) {
  const std::string dir = TempDir("truncated");
  WriteStore(dir, Options("float32", 4), 10);
  std::filesystem::resize_file(dir + "/val-00000.bin", 10);
  auto reader = SliceStoreReader::Open(dir);
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(reader.status().message().find("val-00000.bin: truncated"), std::string::npos)
      << reader.status();
}

TEST(SliceStoreTest, RefusesToOverwriteAFinishedStore) {
  const std::string dir = TempDir("twice");
  WriteStore(dir, Options("uint16", 4), 3);
  auto again = SliceStoreWriter::Create(dir, Options("uint16", 4));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace genesis
