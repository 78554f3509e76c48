// Values of every preprocessor against hand-computed numbers.
#include <cmath>
#include <memory>
#include <string>

#include "core/preprocessor.h"
#include "gtest/gtest.h"
#include "plugins/preprocess/hu_window.pb.h"
#include "plugins/preprocess/modality_normalize.pb.h"
#include "plugins/preprocess/mri_slice_max.pb.h"
#include "plugins/preprocess/random_crop_resize.pb.h"
#include "plugins/preprocess/xray_bit_depth.pb.h"

namespace genesis {
namespace {

std::unique_ptr<Preprocessor> Make(const std::string& name,
                                   const google::protobuf::Message& options) {
  auto p = Registry<Preprocessor>::Get().Create(name, options);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? std::move(p).value() : nullptr;
}

Slice Row(std::vector<float> values, Modality modality, int bits = 0) {
  Slice s;
  s.width = static_cast<int64_t>(values.size());
  s.height = 1;
  s.pixels = std::move(values);
  s.modality = modality;
  s.bits_stored = bits;
  return s;
}

TEST(HuWindowTest, StudyWindowMapsToUnitRange) {
  auto p = Make("hu_window", HuWindowOptions());
  RandomStream rng(1, RandomStream::kPreprocess);
  Slice s = Row({-3000, -1000, 200, 1400, 3000, -400}, Modality::kCT);
  ASSERT_TRUE(p->Apply(s, rng).ok());
  EXPECT_FLOAT_EQ(s.pixels[0], 0.0f);
  EXPECT_FLOAT_EQ(s.pixels[1], 0.0f);
  EXPECT_FLOAT_EQ(s.pixels[2], 0.5f);
  EXPECT_FLOAT_EQ(s.pixels[3], 1.0f);
  EXPECT_FLOAT_EQ(s.pixels[4], 1.0f);
  EXPECT_FLOAT_EQ(s.pixels[5], 0.25f);
}

TEST(HuWindowTest, ValidateNamesTheField) {
  HuWindowOptions o;
  o.set_min_hu(100);
  o.set_max_hu(100);
  auto p = Registry<Preprocessor>::Get().Create("hu_window", o);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "max_hu: must be > min_hu (100), got 100");
}

TEST(MriSliceMaxTest, DividesBySliceMaxAndKeepsZeroSlicesZero) {
  auto p = Make("mri_slice_max", MriSliceMaxOptions());
  RandomStream rng(1, RandomStream::kPreprocess);
  Slice s = Row({0, 50, 200, -10}, Modality::kMR);
  ASSERT_TRUE(p->Apply(s, rng).ok());
  EXPECT_EQ(s.pixels, (std::vector<float>{0.0f, 0.25f, 1.0f, 0.0f}));
  Slice zero = Row({0, 0, 0}, Modality::kMR);
  ASSERT_TRUE(p->Apply(zero, rng).ok());
  EXPECT_EQ(zero.pixels, (std::vector<float>{0, 0, 0}));
}

TEST(XrayBitDepthTest, EightBitTwelveBitAndOverride) {
  auto p = Make("xray_bit_depth", XrayBitDepthOptions());
  RandomStream rng(1, RandomStream::kPreprocess);
  Slice eight = Row({0, 51, 255}, Modality::kXRay, 8);
  ASSERT_TRUE(p->Apply(eight, rng).ok());
  EXPECT_FLOAT_EQ(eight.pixels[1], 0.2f);
  EXPECT_FLOAT_EQ(eight.pixels[2], 1.0f);
  Slice twelve = Row({4095, 819}, Modality::kXRay, 12);
  ASSERT_TRUE(p->Apply(twelve, rng).ok());
  EXPECT_FLOAT_EQ(twelve.pixels[0], 1.0f);
  EXPECT_FLOAT_EQ(twelve.pixels[1], 0.2f);
  Slice unknown_depth = Row({255}, Modality::kXRay, 0);  // default_bits 8.
  ASSERT_TRUE(p->Apply(unknown_depth, rng).ok());
  EXPECT_FLOAT_EQ(unknown_depth.pixels[0], 1.0f);
  XrayBitDepthOptions sixteen;
  sixteen.set_bits_stored(16);
  Slice s = Row({65535, 13107}, Modality::kXRay, 8);
  ASSERT_TRUE(Make("xray_bit_depth", sixteen)->Apply(s, rng).ok());
  EXPECT_FLOAT_EQ(s.pixels[0], 1.0f);
  EXPECT_FLOAT_EQ(s.pixels[1], 0.2f);
}

TEST(ModalityNormalizeTest, DispatchesOnModality) {
  ModalityNormalizeOptions o;
  o.mutable_ct()->set_min_hu(0);
  o.mutable_ct()->set_max_hu(100);
  auto p = Make("modality_normalize", o);
  RandomStream rng(1, RandomStream::kPreprocess);
  Slice ct = Row({25, 200}, Modality::kCT);
  Slice mr = Row({25, 200}, Modality::kMR);
  Slice xr = Row({51, 200}, Modality::kXRay, 8);
  Slice unknown = Row({1}, Modality::kUnknown);
  unknown.dataset = "D";
  unknown.patient_id = "7";
  ASSERT_TRUE(p->Apply(ct, rng).ok());
  ASSERT_TRUE(p->Apply(mr, rng).ok());
  ASSERT_TRUE(p->Apply(xr, rng).ok());
  EXPECT_EQ(ct.pixels, (std::vector<float>{0.25f, 1.0f}));
  EXPECT_EQ(mr.pixels, (std::vector<float>{0.125f, 1.0f}));
  EXPECT_FLOAT_EQ(xr.pixels[0], 0.2f);
  auto status = p->Apply(unknown, rng);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("D/7 slice 0: unknown modality"), std::string::npos);

  ModalityNormalizeOptions bad;
  bad.mutable_xray()->set_default_bits(0);
  auto created = Registry<Preprocessor>::Get().Create("modality_normalize", bad);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().message(), "xray: default_bits: must be in [1, 32], got 0");
}

// A slice whose pixel (x, y) = x + 1000 y.
Slice Ramp(int64_t w, int64_t h) {
  Slice s;
  s.width = w;
  s.height = h;
  s.spacing = {0.5, 0.5};
  for (int64_t y = 0; y < h; ++y) {
    for (int64_t x = 0; x < w; ++x) s.pixels.push_back(static_cast<float>(x + 1000 * y));
  }
  return s;
}

TEST(RandomCropResizeTest, CropIsDeterministicPerStreamAndAreaResizeAverages) {
  RandomCropResizeOptions o;
  o.set_crop_size(8);
  o.set_output_size(4);
  auto p = Make("random_crop_resize", o);
  Slice a = Ramp(20, 15);
  Slice b = Ramp(20, 15);
  RandomStream rng_a(5, RandomStream::kPreprocess, 3, 4);
  RandomStream rng_b(5, RandomStream::kPreprocess, 3, 4);
  ASSERT_TRUE(p->Apply(a, rng_a).ok());
  ASSERT_TRUE(p->Apply(b, rng_b).ok());
  EXPECT_EQ(a.pixels, b.pixels);
  ASSERT_EQ(a.width, 4);
  ASSERT_EQ(a.height, 4);
  EXPECT_DOUBLE_EQ(a.spacing[0], 1.0);
  // The offsets the plugin must have drawn: x then y from the same stream.
  RandomStream replay(5, RandomStream::kPreprocess, 3, 4);
  const int64_t cx = replay.UniformInt(0, 12);
  const int64_t cy = replay.UniformInt(0, 7);
  // INTER_AREA halving: each output pixel is the mean of a 2x2 block of the crop.
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 4; ++x) {
      const float expected = (cx + 2 * x + 0.5f) + 1000.0f * (cy + 2 * y + 0.5f);
      EXPECT_FLOAT_EQ(a.at(x, y), expected) << x << "," << y;
    }
  }
  // Another stream gives another crop (overwhelmingly likely for a 13 x 8 choice).
  Slice c = Ramp(20, 15);
  RandomStream rng_c(5, RandomStream::kPreprocess, 3, 5);
  RandomStream rng_d(5, RandomStream::kPreprocess, 3, 6);
  Slice d = Ramp(20, 15);
  ASSERT_TRUE(p->Apply(c, rng_c).ok());
  ASSERT_TRUE(p->Apply(d, rng_d).ok());
  EXPECT_TRUE(c.pixels != a.pixels || d.pixels != a.pixels);
}

TEST(RandomCropResizeTest, SmallSlicesAreZeroPaddedAtTheCentre) {
  RandomCropResizeOptions o;  // crop 448, but output 0 = keep 448 so pixels are exact.
  o.set_output_size(0);
  auto p = Make("random_crop_resize", o);
  Slice s;
  s.width = 100;
  s.height = 50;
  s.pixels.assign(5000, 0.75f);
  RandomStream rng(1, RandomStream::kPreprocess);
  ASSERT_TRUE(p->Apply(s, rng).ok());
  ASSERT_EQ(s.width, 448);
  ASSERT_EQ(s.height, 448);
  int inside = 0;
  for (int64_t y = 0; y < 448; ++y) {
    for (int64_t x = 0; x < 448; ++x) {
      const bool in = x >= 174 && x < 274 && y >= 199 && y < 249;
      EXPECT_EQ(s.at(x, y), in ? 0.75f : 0.0f);
      inside += in;
    }
  }
  EXPECT_EQ(inside, 5000);
}

TEST(RandomCropResizeTest, StudyDefaultsGive224) {
  auto p = Make("random_crop_resize", RandomCropResizeOptions());
  Slice s;
  s.width = 512;
  s.height = 512;
  s.pixels.assign(512 * 512, 0.5f);
  RandomStream rng(2, RandomStream::kPreprocess);
  ASSERT_TRUE(p->Apply(s, rng).ok());
  EXPECT_EQ(s.width, 224);
  EXPECT_EQ(s.height, 224);
  EXPECT_EQ(s.pixels.size(), 224u * 224u);
  EXPECT_FLOAT_EQ(s.pixels[1000], 0.5f);
}

TEST(RandomCropResizeTest, ValidateNamesTheField) {
  RandomCropResizeOptions o;
  o.set_interpolation("cubic");
  auto p = Registry<Preprocessor>::Get().Create("random_crop_resize", o);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(),
            "interpolation: must be \"area\", \"linear\" or \"nearest\", got \"cubic\"");
}

}  // namespace
}  // namespace genesis
