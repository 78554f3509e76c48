// Tests of `genesis phantoms`: determinism, the LUNA16 and MURA layouts as the dataset sources
// read them, the world geometry of candidates under oblique direction matrices (read back
// through the project's ITK MetaImage reader, not the generator's own maths), and that the
// candidate task is neither noise nor solvable by the centre voxel's HU.
#include "tools/phantoms/phantoms.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/csv.h"
#include "core/dataset_source.h"
#include "core/file_util.h"
#include "core/image_reader.h"
#include "core/proto/plugin_spec.pb.h"
#include "core/registry.h"
#include "gtest/gtest.h"
#include "plugins/dataset/luna16.pb.h"
#include "plugins/dataset/mura.pb.h"

namespace genesis {
namespace phantoms {
namespace {

namespace fs = std::filesystem;

PhantomOptions SmallOptions(const std::string& out, uint64_t seed) {
  PhantomOptions o;
  o.out = out;
  o.seed = seed;
  o.luna_scans = 12;
  o.mura_patients = 8;
  o.ct_size = {96, 96, 40};
  o.xray_width = 160;
  o.xray_height = 224;
  return o;
}

std::string TempDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir = absl::StrCat(tmp ? tmp : "/tmp", "/", name);
  fs::remove_all(dir);
  return dir;
}

// Relative path -> contents of every file under `root`.
std::map<std::string, std::string> Snapshot(const std::string& root) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    files[fs::relative(entry.path(), root).string()] = ReadFile(entry.path().string()).value();
  }
  return files;
}

// The suite's one generated data set (seed 5), made once.
const std::string& Generated() {
  static const std::string* const dir = [] {
    auto* d = new std::string(TempDir("seed5"));
    const absl::StatusOr<PhantomSummary> summary = GeneratePhantoms(SmallOptions(*d, 5));
    EXPECT_TRUE(summary.ok()) << summary.status();
    return d;
  }();
  return *dir;
}

CsvTable ReadCsv(const std::string& path) {
  absl::StatusOr<CsvTable> table = ReadCsvFile(path);
  EXPECT_TRUE(table.ok()) << table.status();
  return table.ok() ? *table : CsvTable{};
}

// Headerless CSV lines (MURA's files) split at the last comma when `fields` is 2.
std::vector<std::vector<std::string>> ReadHeaderless(const std::string& path, int fields) {
  std::vector<std::vector<std::string>> rows;
  const std::string text = ReadFile(path).value();
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    if (fields == 1) {
      rows.push_back({line});
    } else {
      const size_t comma = line.rfind(',');
      rows.push_back({line.substr(0, comma), line.substr(comma + 1)});
    }
  }
  return rows;
}

double Number(const std::string& text) {
  double v = 0;
  EXPECT_TRUE(absl::SimpleAtod(text, &v)) << text;
  return v;
}

// seriesuid -> .mhd path.
std::map<std::string, std::string> ListScans(const std::string& luna) {
  std::map<std::string, std::string> scans;
  for (int s = 0; s < 10; ++s) {
    for (const auto& entry : fs::directory_iterator(absl::StrCat(luna, "/subset", s))) {
      const std::string path = entry.path().string();
      if (absl::EndsWith(path, ".mhd")) scans[entry.path().stem().string()] = path;
    }
  }
  return scans;
}

Volume ReadVolume(const std::string& reader_name, const std::string& path) {
  PluginSpec spec;
  spec.set_type(reader_name);
  auto reader = Registry<ImageReader>::Get().Create(spec);
  EXPECT_TRUE(reader.ok()) << reader.status();
  auto volumes = (*reader)->Read(path);
  EXPECT_TRUE(volumes.ok()) << volumes.status();
  EXPECT_EQ(volumes->size(), 1u);
  return volumes->front();
}

// HU at the voxel nearest to a world point, using the volume's own geometry (or identity
// directions when `ignore_direction`, to show the test notices).
double HuAt(const Volume& v, const std::array<double, 3>& world, bool ignore_direction = false,
            double ball_voxels = 0) {
  std::array<double, 3> d, index;
  for (int a = 0; a < 3; ++a) d[a] = world[a] - v.origin[a];
  for (int c = 0; c < 3; ++c) {
    double p = 0;
    for (int r = 0; r < 3; ++r) {
      p += (ignore_direction ? (r == c ? 1.0 : 0.0) : v.direction[3 * r + c]) * d[r];
    }
    index[c] = p / v.spacing[c];
  }
  const int r = static_cast<int>(std::ceil(ball_voxels));
  double sum = 0;
  int n = 0;
  for (int dz = -r; dz <= r; ++dz) {
    for (int dy = -r; dy <= r; ++dy) {
      for (int dx = -r; dx <= r; ++dx) {
        if (dx * dx + dy * dy + dz * dz > ball_voxels * ball_voxels) continue;
        const int64_t i = std::lround(index[0]) + dx, j = std::lround(index[1]) + dy;
        const int64_t k = std::lround(index[2]) + dz;
        if (i < 0 || j < 0 || k < 0 || i >= v.size[0] || j >= v.size[1] || k >= v.size[2]) {
          continue;
        }
        sum += v.voxels[(k * v.size[1] + j) * v.size[0] + i];
        ++n;
      }
    }
  }
  return n == 0 ? -3024 : sum / n;
}

// A crude 3D shape feature: along 13 lattice directions through the point, the length (mm) of
// the run of voxels above -450 HU; roundness (shortest / longest run) times the shortest run.
// Blobs (nodules) score high, tubes (vessels), walls (pleura) and air (tissue) low.
double BlobScore(const Volume& v, const std::array<double, 3>& world) {
  double shortest = 1e9, longest = 0;
  for (int dx = -1; dx <= 1; ++dx) {
    for (int dy = -1; dy <= 1; ++dy) {
      for (int dz = -1; dz <= 1; ++dz) {
        if (std::make_tuple(dx, dy, dz) <= std::make_tuple(0, 0, 0)) continue;
        const double norm = std::sqrt(dx * dx + dy * dy + dz * dz);
        double run = 0;
        for (double sign : {-1.0, 1.0}) {
          double t = 0.5;
          while (t < 15) {
            const std::array<double, 3> p = {world[0] + sign * t * dx / norm,
                                             world[1] + sign * t * dy / norm,
                                             world[2] + sign * t * dz / norm};
            if (HuAt(v, p) <= -450) break;
            t += 0.5;
          }
          run += t;
        }
        shortest = std::min(shortest, run);
        longest = std::max(longest, run);
      }
    }
  }
  return shortest * shortest / longest;
}

// Mann-Whitney AUC of scores (ties count one half).
double Auc(const std::vector<double>& positives, const std::vector<double>& negatives) {
  double wins = 0;
  for (double p : positives) {
    for (double n : negatives) wins += p > n ? 1.0 : p == n ? 0.5 : 0.0;
  }
  return wins / (static_cast<double>(positives.size()) * negatives.size());
}

TEST(PhantomsTest, SameSeedSameBytesOtherSeedOtherBytes) {
  const std::string a = TempDir("det_a"), b = TempDir("det_b"), c = TempDir("det_c");
  ASSERT_TRUE(GeneratePhantoms(SmallOptions(a, 11)).ok());
  PhantomOptions single_thread = SmallOptions(b, 11);
  single_thread.threads = 1;  // The thread count must not matter either.
  ASSERT_TRUE(GeneratePhantoms(single_thread).ok());
  ASSERT_TRUE(GeneratePhantoms(SmallOptions(c, 12)).ok());
  const auto files_a = Snapshot(a), files_b = Snapshot(b), files_c = Snapshot(c);
  ASSERT_GT(files_a.size(), 30u);
  ASSERT_EQ(files_a.size(), files_b.size());
  for (const auto& [path, bytes] : files_a) {
    ASSERT_TRUE(files_b.count(path)) << path;
    EXPECT_TRUE(files_b.at(path) == bytes) << path << " differs between two runs with seed 11";
  }
  int same = 0, compared = 0;
  for (const auto& [path, bytes] : files_a) {
    if (!absl::EndsWith(path, ".raw") && !absl::EndsWith(path, ".png")) continue;
    for (const auto& [other_path, other] : files_c) {
      if (absl::EndsWith(other_path, path.substr(path.size() - 4))) {
        ++compared;
        same += other == bytes;
      }
    }
  }
  EXPECT_GT(compared, 0);
  EXPECT_EQ(same, 0) << "seed 12 reproduced a file of seed 11";
  EXPECT_NE(files_a.at("luna16/candidates_V2.csv"), files_c.at("luna16/candidates_V2.csv"));
}

TEST(PhantomsTest, Luna16Layout) {
  const std::string luna = Generated() + "/luna16";
  const std::map<std::string, std::string> scans = ListScans(luna);
  EXPECT_EQ(scans.size(), 12u);
  for (int s = 0; s < 10; ++s) {
    int in_subset = 0;
    for (const auto& [uid, path] : scans)
      in_subset += absl::StrContains(path, absl::StrCat("/subset", s, "/"));
    EXPECT_GE(in_subset, 1) << "subset" << s << " is empty";
  }
  for (const auto& [uid, path] : scans) {
    EXPECT_TRUE(absl::StartsWith(uid, "1.3.6.1.4.1.14519.5.2.1.6279.6001.")) << uid;
    EXPECT_EQ(uid.size(), 34u + 30u) << uid;
    const std::string header = ReadFile(path).value();
    // LUNA16's keys, in LUNA16's order.
    size_t at = 0;
    for (const char* key :
         {"ObjectType = Image\n", "NDims = 3\n", "BinaryData = True\n",
          "BinaryDataByteOrderMSB = False\n", "CompressedData = False\n",
          "TransformMatrix = ", "Offset = ", "CenterOfRotation = 0 0 0\n",
          "AnatomicalOrientation = RAI\n", "ElementSpacing = ", "DimSize = 96 96 40\n",
          "ElementType = MET_SHORT\n", "ElementDataFile = "}) {
      const size_t found = header.find(key, at);
      ASSERT_NE(found, std::string::npos) << path << " lacks '" << key << "' in order";
      at = found;
    }
    EXPECT_TRUE(absl::EndsWith(header, absl::StrCat("ElementDataFile = ", uid, ".raw\n")));
    EXPECT_EQ(fs::file_size(fs::path(path).replace_extension(".raw")), 96u * 96 * 40 * 2);
  }
  const CsvTable candidates = ReadCsv(luna + "/candidates_V2.csv");
  EXPECT_EQ(candidates.header,
            (std::vector<std::string>{"seriesuid", "coordX", "coordY", "coordZ", "class"}));
  int positives = 0, negatives = 0;
  for (const auto& row : candidates.rows) {
    EXPECT_TRUE(scans.count(row[0])) << "candidate of unknown series " << row[0];
    (row[4] == "1" ? positives : negatives) += 1;
    EXPECT_TRUE(row[4] == "0" || row[4] == "1") << row[4];
  }
  EXPECT_GT(positives, 5);
  EXPECT_GE(negatives, 10 * positives);
  EXPECT_LE(negatives, 25 * positives);
  const CsvTable annotations = ReadCsv(luna + "/annotations.csv");
  EXPECT_EQ(annotations.header,
            (std::vector<std::string>{"seriesuid", "coordX", "coordY", "coordZ", "diameter_mm"}));
  EXPECT_GT(annotations.rows.size(), 3u);
  for (const auto& row : annotations.rows) {
    EXPECT_TRUE(scans.count(row[0]));
    EXPECT_GE(Number(row[4]), 3.0);
    EXPECT_LE(Number(row[4]), 12.0);
  }
  const CsvTable excluded = ReadCsv(luna + "/annotations_excluded.csv");
  EXPECT_EQ(excluded.header, annotations.header);
  bool minus_one = false, micro = false;
  for (const auto& row : excluded.rows) {
    EXPECT_TRUE(scans.count(row[0]));
    minus_one |= row[4] == "-1";
    micro |= Number(row[4]) > 0 && Number(row[4]) < 3.0;
  }
  EXPECT_TRUE(minus_one && micro) << "annotations_excluded.csv needs -1 rows and micro-nodules";
}

TEST(PhantomsTest, MuraLayout) {
  const std::string mura = Generated() + "/mura";
  int studies = 0, positives = 0, images = 0;
  for (const std::string split : {"train", "valid"}) {
    std::set<std::string> listed_studies;
    for (const auto& row :
         ReadHeaderless(absl::StrCat(mura, "/MURA-v1.1/", split, "_labeled_studies.csv"), 2)) {
      EXPECT_TRUE(
          absl::StartsWith(row[0], absl::StrCat("MURA-v1.1/", split, "/XR_SHOULDER/patient")));
      EXPECT_TRUE(absl::EndsWith(row[0], "/"));
      EXPECT_TRUE(fs::is_directory(absl::StrCat(mura, "/", row[0]))) << row[0];
      EXPECT_EQ(row[1], absl::StrContains(row[0], "_positive/") ? "1" : "0") << row[0];
      listed_studies.insert(row[0]);
      ++studies;
      positives += row[1] == "1";
    }
    for (const auto& row :
         ReadHeaderless(absl::StrCat(mura, "/MURA-v1.1/", split, "_image_paths.csv"), 1)) {
      const std::string path = absl::StrCat(mura, "/", row[0]);
      ASSERT_TRUE(fs::is_regular_file(path)) << path;
      EXPECT_TRUE(listed_studies.count(row[0].substr(0, row[0].rfind('/') + 1))) << row[0];
      ++images;
      if (images <= 3) {
        const Volume v = ReadVolume("png", path);  // The project's PNG reader.
        EXPECT_EQ(v.size[1], 224);
        EXPECT_TRUE(v.size[0] == 128 || v.size[0] == 160 || v.size[0] == 192) << v.size[0];
        EXPECT_EQ(v.bits_stored, 8);
      }
    }
  }
  EXPECT_GE(studies, 8);
  EXPECT_GE(images, studies);
  EXPECT_GT(positives, 0);
  EXPECT_LT(positives, studies);
}

// The project's own dataset sources list the phantoms like the real data sets.
TEST(PhantomsTest, DatasetSourcesReadTheLayouts) {
  Luna16Options luna;
  luna.set_root(Generated() + "/luna16");
  auto luna_source = Registry<DatasetSource>::Get().Create("luna16", luna);
  ASSERT_TRUE(luna_source.ok()) << luna_source.status();
  auto scans = (*luna_source)->Scan();
  ASSERT_TRUE(scans.ok()) << scans.status();
  EXPECT_EQ(scans->size(), 12u);
  int nodules = 0;
  for (const PatientRecord& r : *scans) {
    EXPECT_EQ(r.slice_count, 40);
    nodules += std::stoi(r.labels.at("nodules"));
  }
  EXPECT_EQ(nodules,
            static_cast<int>(ReadCsv(Generated() + "/luna16/annotations.csv").rows.size()));

  MuraOptions mura;
  mura.set_root(Generated() + "/mura/MURA-v1.1");
  auto mura_source = Registry<DatasetSource>::Get().Create("mura", mura);
  ASSERT_TRUE(mura_source.ok()) << mura_source.status();
  auto patients = (*mura_source)->Scan();
  ASSERT_TRUE(patients.ok()) << patients.status();
  EXPECT_EQ(patients->size(), 8u);
  std::set<std::string> splits;
  for (const PatientRecord& r : *patients) {
    EXPECT_EQ(r.body_part, "shoulder");
    splits.insert(r.labels.at("split"));
  }
  EXPECT_EQ(splits, (std::set<std::string>{"train", "valid"}));
}

// The phantom's truth (candidate kinds) joined to candidates_V2.csv, with the HU read back.
struct ReadBack {
  std::string kind;
  int label;
  double detail, centre, ball, centre_ignoring_direction, blob;
  bool oblique;
};

std::vector<ReadBack> ReadCandidatesBack(const std::string& root) {
  const std::map<std::string, std::string> scans = ListScans(root + "/luna16");
  const CsvTable truth = ReadCsv(root + "/truth/luna16_candidates.csv");
  const CsvTable official = ReadCsv(root + "/luna16/candidates_V2.csv");
  EXPECT_EQ(truth.rows.size(), official.rows.size());
  std::map<std::string, Volume> volumes;
  std::vector<ReadBack> out;
  for (size_t r = 0; r < truth.rows.size() && r < official.rows.size(); ++r) {
    const auto& row = truth.rows[r];
    for (int c = 0; c < 5; ++c) EXPECT_EQ(row[c], official.rows[r][c]);
    if (!volumes.count(row[0])) volumes[row[0]] = ReadVolume("metaimage", scans.at(row[0]));
    const Volume& v = volumes.at(row[0]);
    const std::array<double, 3> world = {Number(row[1]), Number(row[2]), Number(row[3])};
    const bool oblique = v.direction != std::array<double, 9>{1, 0, 0, 0, 1, 0, 0, 0, 1};
    out.push_back({row[5], row[4] == "1", Number(row[6]), HuAt(v, world),
                   HuAt(v, world, false, 1.5), HuAt(v, world, true), BlobScore(v, world), oblique});
  }
  return out;
}

TEST(PhantomsTest, CandidatesSitOnWhatTheySayUnderObliqueDirections) {
  const std::vector<ReadBack> rows = ReadCandidatesBack(Generated());
  int oblique_positives = 0, oblique_vessels = 0, misplaced_if_direction_ignored = 0;
  for (const ReadBack& r : rows) {
    // Lung parenchyma is ~-850 HU: a nodule (-100..+100 HU, blurred) or a vessel (40 HU) voxel
    // is far above it.
    if (r.kind == "nodule") {
      EXPECT_GT(r.centre, -500) << "positive candidate not in a nodule (oblique " << r.oblique
                                << ")";
      if (r.oblique) {
        ++oblique_positives;
        misplaced_if_direction_ignored += r.centre_ignoring_direction < -500;
      }
    }
    if (r.kind == "vessel" && r.detail >= 1.0) {
      EXPECT_GT(r.centre, -550) << "vessel candidate (radius " << r.detail
                                << " mm) not on a vessel";
      oblique_vessels += r.oblique;
    }
    if (r.kind == "tissue") EXPECT_LT(r.centre, -600) << "lung-tissue candidate not in lung";
  }
  EXPECT_GE(oblique_positives, 3);
  EXPECT_GE(oblique_vessels, 3);
  // The test has teeth: with the direction matrix ignored, oblique positives miss their nodules.
  EXPECT_GE(misplaced_if_direction_ignored, oblique_positives / 2);
}

TEST(PhantomsTest, CentreHuDoesNotSolveTheTaskButTheDataIsNotNoise) {
  const std::vector<ReadBack> rows = ReadCandidatesBack(Generated());
  std::vector<double> pos, neg, pos_blob, neg_blob;
  double nodule_ball = 0, tissue_ball = 0;
  int nodules = 0, tissue = 0;
  for (const ReadBack& r : rows) {
    (r.label ? pos : neg).push_back(r.centre);
    (r.label ? pos_blob : neg_blob).push_back(r.blob);
    if (r.kind == "nodule") nodule_ball += r.ball, ++nodules;
    if (r.kind == "tissue") tissue_ball += r.ball, ++tissue;
  }
  ASSERT_GT(nodules, 0);
  ASSERT_GT(tissue, 0);
  const double auc = Auc(pos, neg);
  EXPECT_LT(auc, 0.9) << "a threshold on the centre voxel separates the classes";
  EXPECT_GT(auc, 0.55) << "positives should still be brighter than the average negative";
  EXPECT_GT(nodule_ball / nodules - tissue_ball / tissue, 300) << "nodules vs lung tissue";
  // Shape is what tells them apart: even a crude blob measure beats the centre voxel clearly.
  const double shape_auc = Auc(pos_blob, neg_blob);
  EXPECT_GT(shape_auc, 0.85);
  EXPECT_GT(shape_auc, auc + 0.08);
  std::cout << "centre-HU AUC " << auc << ", blob-shape AUC " << shape_auc << " (" << pos.size()
            << " positives, " << neg.size() << " negatives)\n";
}

TEST(PhantomsTest, BadOptionsNameTheField) {
  PhantomOptions o = SmallOptions(TempDir("bad"), 1);
  o.luna_scans = 5;
  absl::StatusOr<PhantomSummary> s = GeneratePhantoms(o);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.status().message(), "luna_scans")) << s.status();
  o = SmallOptions(TempDir("bad"), 1);
  o.mura_patients = 1;
  s = GeneratePhantoms(o);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.status().message(), "mura_patients")) << s.status();
  // An older run's folder is never mixed into.
  const std::string used = TempDir("used");
  ASSERT_TRUE(GeneratePhantoms(SmallOptions(used, 1)).ok());
  s = GeneratePhantoms(SmallOptions(used, 2));
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.status().message(), "already exists")) << s.status();
  EXPECT_FALSE(ParseCtSize("128x128").ok());
  EXPECT_FALSE(ParseCtSize("128x0x48").ok());
  EXPECT_TRUE(absl::StrContains(ParseXraySize("wide").status().message(), "xray_size"));
  EXPECT_EQ(*ParseCtSize("96x80x40"), (std::array<int, 3>{96, 80, 40}));
}

}  // namespace
}  // namespace phantoms
}  // namespace genesis
