// `genesis patch` against an independent numpy reference (world -> index by np.linalg.solve,
// numpy slicing, -1000 HU padding) on a volume with anisotropic spacing and an oblique,
// non-symmetric direction matrix, candidates near and beyond the border; exact float32
// equality. Plus the sampling primitives the task builds on.
#include <fstream>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "core/command.h"
#include "core/registry.h"
#include "core/image_reader.h"
#include "core/volume.h"
#include "gtest/gtest.h"
#include "plugins/reader/inspect.h"
#include "plugins/task/luna16_patch.h"
#include "plugins/task/luna16_test_util.h"

ABSL_DECLARE_FLAG(std::string, world);
ABSL_DECLARE_FLAG(std::string, output);
ABSL_DECLARE_FLAG(int, size);

namespace genesis {
namespace luna16 {
namespace {

struct Case {
  std::string name, world;
  int size = 0;
};

std::string VolumeDir() {
  static const std::string* dir = [] {
    auto* d = new std::string(TestDir("volume"));
    std::string log;
    EXPECT_EQ(RunFixtureScript({"volume", *d}, &log), 0) << log;
    return d;
  }();
  return *dir;
}

std::vector<Case> Cases() {
  std::ifstream in(VolumeDir() + "/cases.tsv");
  std::vector<Case> cases;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f.size() != 3) continue;
    Case c{f[0], f[1], 0};
    EXPECT_TRUE(absl::SimpleAtoi(f[2], &c.size));
    cases.push_back(c);
  }
  return cases;
}

struct CommandRun {
  int code = -1;
  std::string out, err;
};

CommandRun Patch(const std::vector<std::string>& args, const std::string& world, int size,
          const std::string& output) {
  absl::SetFlag(&FLAGS_world, world);
  absl::SetFlag(&FLAGS_size, size);  // 224 = the flag's default: the command's default 64.
  absl::SetFlag(&FLAGS_output, output);
  const Command* command = FindCommand("patch");
  EXPECT_NE(command, nullptr);
  if (command == nullptr) return {};
  CommandRun run;
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  run.code = command->main(args);
  run.out = testing::internal::GetCapturedStdout();
  run.err = testing::internal::GetCapturedStderr();
  return run;
}

TEST(PatchCommandTest, MatchesNumpyReferenceOnObliqueAnisotropicVolume) {
  const std::vector<Case> cases = Cases();
  ASSERT_EQ(cases.size(), 7u);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string out = VolumeDir() + "/" + c.name + ".genesis.npy";
    CommandRun run = Patch({VolumeDir() + "/oblique.mhd"}, c.world, c.size == 64 ? 224 : c.size, out);
    ASSERT_EQ(run.code, 0) << run.err;
    EXPECT_TRUE(absl::StrContains(run.out, "\"centre\":[")) << run.out;
    std::string log;
    EXPECT_EQ(RunFixtureScript({"compare", VolumeDir() + "/" + c.name + ".npy", out}, &log), 0)
        << log;
  }
}

TEST(PatchCommandTest, ItkGivesTransformMatrixTriplesAsColumns) {
  // The header lists D's columns; Volume::direction is row-major (direction[r * 3 + c]).
  std::ifstream in(VolumeDir() + "/oblique.mhd");
  std::string line;
  std::vector<double> triples;
  while (std::getline(in, line)) {
    if (!absl::StartsWith(line, "TransformMatrix = ")) continue;
    for (absl::string_view v : absl::StrSplit(line.substr(18), ' ', absl::SkipEmpty())) {
      double x = 0;
      ASSERT_TRUE(absl::SimpleAtod(v, &x));
      triples.push_back(x);
    }
  }
  ASSERT_EQ(triples.size(), 9u);
  auto reader = ReaderForPath(VolumeDir() + "/oblique.mhd");
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto volumes = reader->reader->Read(VolumeDir() + "/oblique.mhd");
  ASSERT_TRUE(volumes.ok()) << volumes.status();
  const Volume& v = volumes->front();
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(v.direction[r * 3 + c], triples[c * 3 + r], 1e-12);
  }
  // And ContinuousIndex inverts IndexToWorld.
  auto index = ContinuousIndex(v, v.IndexToWorld({3.25, -1.5, 7.75}));
  ASSERT_TRUE(index.ok());
  EXPECT_NEAR((*index)[0], 3.25, 1e-9);
  EXPECT_NEAR((*index)[1], -1.5, 1e-9);
  EXPECT_NEAR((*index)[2], 7.75, 1e-9);
}

TEST(PatchCommandTest, DirectRawReadEqualsItksGenericPath) {
  // oblique.mhd + .raw takes the reader's direct .raw path; oblique_local.mha (inline voxels)
  // ITK's generic one: same voxels and geometry.
  auto reader = ReaderForPath(VolumeDir() + "/oblique.mhd");
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto fast = reader->reader->Read(VolumeDir() + "/oblique.mhd");
  auto generic = reader->reader->Read(VolumeDir() + "/oblique_local.mha");
  ASSERT_TRUE(fast.ok()) << fast.status();
  ASSERT_TRUE(generic.ok()) << generic.status();
  const Volume& a = fast->front();
  const Volume& b = generic->front();
  EXPECT_EQ(a.size, b.size);
  EXPECT_EQ(a.spacing, b.spacing);
  EXPECT_EQ(a.origin, b.origin);
  EXPECT_EQ(a.direction, b.direction);
  EXPECT_EQ(a.bits_stored, b.bits_stored);
  EXPECT_EQ(a.voxels, b.voxels);
}

TEST(PatchCommandTest, BadArgumentsFailNamingTheProblem) {
  const std::string mhd = VolumeDir() + "/oblique.mhd";
  const std::string out = VolumeDir() + "/bad.npy";
  CommandRun run = Patch({mhd}, "1,2", 224, out);
  EXPECT_EQ(run.code, 1);
  EXPECT_TRUE(absl::StrContains(run.err, "--world")) << run.err;
  run = Patch({mhd}, "1,x,3", 224, out);
  EXPECT_EQ(run.code, 1);
  EXPECT_TRUE(absl::StrContains(run.err, "'x' (Y)")) << run.err;
  run = Patch({mhd}, "1,2,3", 224, "");
  EXPECT_EQ(run.code, 1);
  EXPECT_TRUE(absl::StrContains(run.err, "--output")) << run.err;
  run = Patch({VolumeDir() + "/nope.mhd"}, "1,2,3", 224, out);
  EXPECT_EQ(run.code, 1);
  EXPECT_TRUE(absl::StrContains(run.err, "nope.mhd")) << run.err;
  run = Patch({}, "1,2,3", 224, out);
  EXPECT_EQ(run.code, 2);
}

// A small volume whose voxel value encodes its position.
Volume RampVolume(std::array<double, 3> spacing) {
  Volume v;
  v.size = {20, 18, 12};
  v.spacing = spacing;
  v.voxels.resize(v.num_voxels());
  for (int64_t z = 0; z < v.size[2]; ++z) {
    for (int64_t y = 0; y < v.size[1]; ++y) {
      for (int64_t x = 0; x < v.size[0]; ++x) v.at(x, y, z) = x + 100 * y + 10000 * z;
    }
  }
  return v;
}

std::vector<float> Sample(const Volume& v, const PlaneSpec& spec, int size) {
  std::vector<float> out(size * size);
  SamplePlane(v, spec, size, out.data());
  return out;
}

TEST(SamplePlaneTest, IdentityReproducesNativePlanesExactly) {
  const Volume v = RampVolume({0.7, 0.8, 2.5});
  const std::array<int64_t, 3> centre = {3, 9, 10};  // Near borders: padding included.
  for (PlaneKind kind : {PlaneKind::kAxial, PlaneKind::kCoronal, PlaneKind::kSagittal}) {
    SCOPED_TRACE(PlaneKindName(kind));
    std::vector<float> native(16 * 16);
    NativePlane(v, centre, kind, 16, native.data());
    PlaneSpec spec;
    spec.centre = {3, 9, 10};
    spec.orientation = OrientationOf(kind);
    const int a = kind == PlaneKind::kSagittal ? 1 : 0, b = kind == PlaneKind::kAxial ? 1 : 2;
    spec.pixel_mm_u = v.spacing[a];
    spec.pixel_mm_v = v.spacing[b];
    EXPECT_EQ(Sample(v, spec, 16), native);
    // Flips mirror the native plane about the centre pixel.
    spec.augmentation.flip_columns = true;
    std::vector<float> flipped = Sample(v, spec, 16);
    for (int r = 0; r < 16; ++r) {
      for (int c = 1; c < 16; ++c) EXPECT_EQ(flipped[r * 16 + c], native[r * 16 + 16 - c]);
    }
  }
}

TEST(SamplePlaneTest, RotationZoomAndShiftMoveTheGrid) {
  const Volume v = RampVolume({0.7, 0.7, 2.5});  // Isotropic in-plane: rotation is exact.
  const std::array<int64_t, 3> centre = {10, 9, 5};
  std::vector<float> native(16 * 16);
  NativePlane(v, centre, PlaneKind::kAxial, 16, native.data());
  PlaneSpec spec;
  spec.centre = {10, 9, 5};
  spec.pixel_mm_u = spec.pixel_mm_v = 0.7;
  spec.augmentation.rotation_rad = M_PI / 2;
  std::vector<float> rotated = Sample(v, spec, 16);
  for (int r = 1; r < 16; ++r) {
    for (int c = 0; c < 16; ++c) EXPECT_NEAR(rotated[r * 16 + c], native[c * 16 + 16 - r], 1e-3);
  }
  spec.augmentation = {};
  spec.augmentation.zoom = 2.0;  // Magnified: two pixels per voxel.
  std::vector<float> zoomed = Sample(v, spec, 16);
  EXPECT_EQ(zoomed[8 * 16 + 8], v.at(10, 9, 5));
  EXPECT_EQ(zoomed[8 * 16 + 10], v.at(11, 9, 5));
  EXPECT_FLOAT_EQ(zoomed[8 * 16 + 9], (v.at(10, 9, 5) + v.at(11, 9, 5)) / 2);
  spec.augmentation = {};
  spec.augmentation.shift_mm = {0.7, 0, 2.5};  // One voxel in x and one slice in z.
  std::vector<float> shifted = Sample(v, spec, 16);
  EXPECT_EQ(shifted[8 * 16 + 8], v.at(11, 9, 6));
  // Trilinear halfway between slices.
  spec.augmentation.shift_mm = {0, 0, 1.25};
  EXPECT_FLOAT_EQ(Sample(v, spec, 16)[8 * 16 + 8], (v.at(10, 9, 5) + v.at(10, 9, 6)) / 2);
}

TEST(SamplePlaneTest, OutsideTheVolumeAndTheCubeIsAir) {
  const Volume v = RampVolume({1, 1, 1});
  PlaneSpec spec;
  spec.centre = {-30, -30, -30};
  for (float p : Sample(v, spec, 8)) EXPECT_EQ(p, kOutsideHu);
  spec.centre = {10, 9, 5};
  spec.cube_half_mm = 2.0;  // Only pixels within 2 mm of the centre in every axis remain.
  std::vector<float> cube = Sample(v, spec, 8);
  EXPECT_EQ(cube[4 * 8 + 4], v.at(10, 9, 5));
  EXPECT_EQ(cube[2 * 8 + 6], v.at(12, 7, 5));
  EXPECT_EQ(cube[1 * 8 + 4], kOutsideHu);
  EXPECT_EQ(cube[4 * 8 + 7], kOutsideHu);
}

TEST(SamplePlaneTest, RandomOrientationIsOrthonormalAndSeeded) {
  RandomStream a(5, RandomStream::kAugment, 1, 2), b(5, RandomStream::kAugment, 1, 2);
  const PlaneOrientation o = RandomOrientation(a), p = RandomOrientation(b);
  EXPECT_EQ(o.u, p.u);
  EXPECT_EQ(o.v, p.v);
  double uu = 0, vv = 0, uv = 0;
  for (int k = 0; k < 3; ++k) uu += o.u[k] * o.u[k], vv += o.v[k] * o.v[k], uv += o.u[k] * o.v[k];
  EXPECT_NEAR(uu, 1, 1e-12);
  EXPECT_NEAR(vv, 1, 1e-12);
  EXPECT_NEAR(uv, 0, 1e-12);
}

TEST(HuWindowTest, ClipsAndScales) {
  HuWindow w;
  EXPECT_EQ(w.Apply(-3024), 0.0f);
  EXPECT_EQ(w.Apply(-1000), 0.0f);
  EXPECT_EQ(w.Apply(1400), 1.0f);
  EXPECT_EQ(w.Apply(3000), 1.0f);
  EXPECT_FLOAT_EQ(w.Apply(200), 0.5f);
}

}  // namespace
}  // namespace luna16
}  // namespace genesis
