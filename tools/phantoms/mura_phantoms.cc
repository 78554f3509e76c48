#include "tools/phantoms/mura_phantoms.h"

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/random.h"
#include "core/status_macros.h"
#include "tools/phantoms/phantom_io.h"
#include "tools/phantoms/phantom_random.h"

namespace genesis {
namespace phantoms {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int kFirstValidPatient = 11185;  // MURA's valid patients start here.
constexpr int kSubpixelBits = 4;           // fillPoly/polylines fixed-point shift.

// Streams under kPhantomStream (a = what, b = which).
enum : uint64_t { kPatientAnatomy = 2, kStudyPlan = 3, kImagePose = 4, kPatientPlan = 5 };

using Point = cv::Point2d;

// Canonical frame (256 x 320 px) -> image: rotation about the canonical centre, scale,
// translation and an optional left/right flip.
struct Pose {
  double angle = 0, scale = 1, tx = 0, ty = 0;
  bool flip = false;
  int width = 256, height = 320;
  Point operator()(const Point& p) const {
    const double x = p.x - 128, y = p.y - 160;
    const double c = std::cos(angle), s = std::sin(angle);
    double u = scale * (c * x - s * y) + 0.5 * width + tx;
    const double v = scale * (s * x + c * y) + 0.5 * height + ty;
    if (flip) u = width - 1 - u;
    return {u, v};
  }
  double Length(double canonical) const { return canonical * scale; }
};

std::vector<cv::Point> ToImage(const Pose& pose, const std::vector<Point>& canonical) {
  std::vector<cv::Point> out;
  for (const Point& p : canonical) {
    const Point q = pose(p);
    out.emplace_back(cvRound(q.x * (1 << kSubpixelBits)), cvRound(q.y * (1 << kSubpixelBits)));
  }
  return out;
}

std::vector<Point> Ellipse(const Point& c, double ax, double ay, double angle = 0, double from = 0,
                           double to = 2 * kPi, int n = 48) {
  std::vector<Point> out;
  const double ca = std::cos(angle), sa = std::sin(angle);
  for (int i = 0; i < n; ++i) {
    const double t = from + (to - from) * i / (n - (to - from >= 2 * kPi - 1e-9 ? 0 : 1));
    const double x = ax * std::cos(t), y = ay * std::sin(t);
    out.push_back({c.x + ca * x - sa * y, c.y + sa * x + ca * y});
  }
  return out;
}

// A quadrilateral band from a to b, width wa at a and wb at b.
std::vector<Point> Band(const Point& a, const Point& b, double wa, double wb) {
  const Point d = b - a;
  const double len = std::max(1e-9, std::hypot(d.x, d.y));
  const Point n(-d.y / len, d.x / len);
  return {a + n * (0.5 * wa), b + n * (0.5 * wb), b - n * (0.5 * wb), a - n * (0.5 * wa)};
}

void Fill(cv::Mat& mask, const Pose& pose, const std::vector<Point>& polygon) {
  const std::vector<std::vector<cv::Point>> polys = {ToImage(pose, polygon)};
  cv::fillPoly(mask, polys, cv::Scalar(255), cv::LINE_AA, kSubpixelBits);
}

void Stroke(cv::Mat& mask, const Pose& pose, const std::vector<Point>& line, double thickness) {
  const std::vector<std::vector<cv::Point>> lines = {ToImage(pose, line)};
  cv::polylines(mask, lines, false, cv::Scalar(255),
                std::max(1, static_cast<int>(std::lround(pose.Length(thickness)))), cv::LINE_AA,
                kSubpixelBits);
}

// The patient's anatomy in the canonical frame.
struct Anatomy {
  Point head;  // Humeral head centre.
  double r;    // Head radius.
  double shaft_angle;
  double tissue, humerus_density, scapula_density, clavicle_density;
  Point neck() const { return head + Point(-0.05 * r, 0.8 * r); }
  Point ShaftAt(double t, double extra_angle) const {  // t in canonical px along the shaft.
    const double a = shaft_angle + extra_angle;
    return neck() + Point(std::sin(a), std::cos(a)) * t;
  }
};

Anatomy MakeAnatomy(PhantomRandom& rng) {
  Anatomy a;
  a.head = {rng.Uniform(140, 160), rng.Uniform(96, 116)};
  a.r = rng.Uniform(29, 37);
  a.shaft_angle = rng.Uniform(-0.08, 0.2);
  a.tissue = rng.Uniform(40, 70);
  a.humerus_density = rng.Uniform(80, 105);
  a.scapula_density = rng.Uniform(45, 60);
  a.clavicle_density = rng.Uniform(70, 90);
  return a;
}

// The study's abnormality, placed once per study so every image of it shows the same one.
struct Finding {
  Abnormality kind = Abnormality::kNone;
  bool on_clavicle = false;  // Fracture site.
  double t = 0;              // Position along the shaft (canonical px from the neck).
  double line_angle = 0;     // Fracture line, relative to the perpendicular of the bone.
  double gap = 3, shift = 4, rotation = 0;
  bool prosthesis = false;  // Hardware: shoulder prosthesis instead of plate and screws.
  int screws = 4;
  bool lytic = true;  // Lesion type.
  double lesion_ax = 10, lesion_ay = 8, lesion_dx = 0, lesion_dy = 0;
};

Finding MakeFinding(Abnormality kind, const Anatomy& a, PhantomRandom& rng) {
  Finding f;
  f.kind = kind;
  f.on_clavicle = rng.Bernoulli(0.3);
  f.t = rng.Uniform(0.3, 2.2) * a.r;
  f.line_angle = rng.Uniform(-0.6, 0.6);
  f.gap = rng.Uniform(2.0, 4.0);
  f.shift = rng.Uniform(2.5, 6.0) * rng.Sign();
  f.rotation = rng.Uniform(-0.08, 0.08);
  f.prosthesis = rng.Bernoulli(0.4);
  f.screws = static_cast<int>(rng.Int(3, 5));
  f.lytic = rng.Bernoulli(0.7);
  f.lesion_ax = rng.Uniform(0.3, 0.55) * a.r;
  f.lesion_ay = rng.Uniform(0.22, 0.4) * a.r;
  f.lesion_dx = rng.Uniform(-0.3, 0.3) * a.r;
  f.lesion_dy = rng.Uniform(-0.2, 1.2) * a.r;
  return f;
}

// Adds a bone to `image`: density inside, plus a brighter cortical rim of `cortex` px.
void AddBone(cv::Mat& image, const cv::Mat& mask, double density, double cortex_gain, int cortex_px,
             const cv::Mat& texture) {
  cv::Mat interior;
  const cv::Mat kernel =
      cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * cortex_px + 1, 2 * cortex_px + 1));
  cv::erode(mask, interior, kernel);
  cv::Mat m, in;
  mask.convertTo(m, CV_32F, 1.0 / 255);
  interior.convertTo(in, CV_32F, 1.0 / 255);
  image += density * m.mul(1.0f + 0.12f * texture) + cortex_gain * (m - in);
}

// Splits `mask` along the line through `at` with unit normal `normal`; the far part is moved by
// `shift` px along the line and rotated by `rotation` about `at`; a `gap` px band is cleared.
void Fracture(cv::Mat& mask, const Point& at, const Point& normal, double gap, double shift,
              double rotation) {
  cv::Mat side(mask.size(), CV_8U, cv::Scalar(0));
  const Point along(-normal.y, normal.x);
  const double far = 4.0 * (mask.cols + mask.rows);
  const std::vector<std::vector<cv::Point>> half = {
      {cv::Point(at + along * far), cv::Point(at + along * far + normal * far),
       cv::Point(at - along * far + normal * far), cv::Point(at - along * far)}};
  cv::fillPoly(side, half, cv::Scalar(255));
  cv::Mat distal, proximal;
  cv::bitwise_and(mask, side, distal);
  cv::bitwise_and(mask, ~side, proximal);
  cv::Mat moved;
  cv::Mat transform = cv::getRotationMatrix2D(cv::Point2f(at.x, at.y), rotation * 180 / kPi, 1.0);
  transform.at<double>(0, 2) += shift * along.x;
  transform.at<double>(1, 2) += shift * along.y;
  cv::warpAffine(distal, moved, transform, mask.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT);
  cv::max(proximal, moved, mask);
  cv::line(mask, cv::Point(at + along * far), cv::Point(at - along * far), cv::Scalar(0),
           std::max(1, static_cast<int>(std::lround(gap))), cv::LINE_AA);
}

}  // namespace

const char* AbnormalityName(Abnormality abnormality) {
  switch (abnormality) {
    case Abnormality::kNone:
      return "none";
    case Abnormality::kFracture:
      return "fracture";
    case Abnormality::kHardware:
      return "hardware";
    case Abnormality::kLesion:
      return "lesion";
  }
  return "?";
}

cv::Mat RenderShoulderRadiograph(uint64_t seed, uint64_t patient, uint64_t study, uint64_t image,
                                 Abnormality abnormality, int width, int height) {
  PhantomRandom patient_rng(RandomStream(seed, kPhantomStream, kPatientAnatomy, patient));
  const Anatomy a = MakeAnatomy(patient_rng);
  const bool left = patient_rng.Bernoulli(0.5);
  const uint64_t study_key = patient * 64 + study;
  PhantomRandom study_rng(RandomStream(seed, kPhantomStream, kStudyPlan, study_key));
  const Finding f = MakeFinding(abnormality, a, study_rng);
  PhantomRandom rng(RandomStream(seed, kPhantomStream, kImagePose, study_key * 64 + image));

  Pose pose;
  pose.width = width;
  pose.height = height;
  pose.scale = height / 320.0 * rng.Uniform(0.85, 1.15);
  pose.angle = rng.Uniform(-0.2, 0.2);
  pose.tx = rng.Uniform(-15, 15);
  pose.ty = rng.Uniform(-15, 15);
  pose.flip = left;
  const double abduction = rng.Uniform(-0.12, 0.15);
  const bool external_rotation = rng.Bernoulli(0.5);
  const double r = a.r;
  const cv::Size size(width, height);

  cv::Mat texture(size, CV_32F);
  {  // Seeded from the stream (never cv::theRNG, which is shared state).
    cv::RNG local(rng.Fork());
    local.fill(texture, cv::RNG::NORMAL, 0, 1);
    cv::GaussianBlur(texture, texture, cv::Size(0, 0), 2.0);
    texture *= 3.0;
  }

  // Soft tissue: torso, shoulder cap and arm.
  cv::Mat tissue(size, CV_8U, cv::Scalar(0));
  Fill(tissue, pose, Ellipse(a.head + Point(-4.2 * r, 2.8 * r), 4.3 * r, 6.5 * r));
  Fill(tissue, pose, Ellipse(a.head + Point(-0.2 * r, 0.1 * r), 1.85 * r, 1.75 * r));
  Fill(tissue, pose, Band(a.ShaftAt(0, abduction), a.ShaftAt(12 * r, abduction), 3.4 * r, 3.0 * r));
  cv::Mat picture;
  tissue.convertTo(picture, CV_32F, a.tissue / 255.0);
  cv::GaussianBlur(picture, picture, cv::Size(0, 0), pose.Length(7.0));
  const int cortex = std::max(2, static_cast<int>(std::lround(pose.Length(0.1 * r))));

  // Ribs: faint arcs medially.
  cv::Mat ribs(size, CV_8U, cv::Scalar(0));
  for (int k = 0; k < 5; ++k) {
    Stroke(ribs, pose,
           Ellipse(a.head + Point(-4.6 * r, (0.3 + 1.0 * k) * r), 3.0 * r, 1.3 * r, 0.2, -0.3 * kPi,
                   0.45 * kPi, 32),
           0.28 * r);
  }
  AddBone(picture, ribs, 18, 18, std::max(1, cortex / 2), texture);

  // Scapula with the glenoid facing the head, and the scapular spine / acromion.
  const Point glenoid = a.head + Point(-1.12 * r, 0.05 * r);
  cv::Mat scapula(size, CV_8U, cv::Scalar(0));
  Fill(scapula, pose,
       {glenoid + Point(0.05 * r, -0.55 * r), glenoid + Point(0.12 * r, 0.55 * r),
        glenoid + Point(-1.5 * r, 3.9 * r), glenoid + Point(-2.7 * r, 0.6 * r),
        glenoid + Point(-1.3 * r, -0.95 * r)});
  Stroke(scapula, pose,
         {a.head + Point(0.35 * r, -1.2 * r), a.head + Point(-0.6 * r, -1.45 * r),
          a.head + Point(-2.4 * r, -1.1 * r)},
         0.45 * r);
  AddBone(picture, scapula, a.scapula_density, 45, cortex, texture);

  // Clavicle: an S-shaped strut from the acromion towards the sternum.
  cv::Mat clavicle(size, CV_8U, cv::Scalar(0));
  Stroke(clavicle, pose,
         {a.head + Point(-0.1 * r, -1.55 * r), a.head + Point(-1.5 * r, -1.85 * r),
          a.head + Point(-3.1 * r, -1.55 * r), a.head + Point(-4.6 * r, -1.9 * r)},
         0.42 * r);

  // Humerus: head, greater tuberosity, tapering shaft.
  cv::Mat humerus(size, CV_8U, cv::Scalar(0));
  const bool arthroplasty = f.kind == Abnormality::kHardware && f.prosthesis;
  if (!arthroplasty) Fill(humerus, pose, Ellipse(a.head, r, 0.95 * r));
  const Point tuberosity =
      a.head + (external_rotation ? Point(0.78 * r, -0.15 * r) : Point(0.35 * r, 0.1 * r));
  Fill(humerus, pose, Ellipse(tuberosity, 0.45 * r, 0.42 * r));
  Fill(humerus, pose,
       Band(a.ShaftAt(-0.3 * r, abduction), a.ShaftAt(12 * r, abduction), 1.3 * r, 0.75 * r));

  if (f.kind == Abnormality::kFracture) {
    cv::Mat& bone = f.on_clavicle ? clavicle : humerus;
    Point at, dir;
    if (f.on_clavicle) {
      at = a.head + Point(-(1.5 + f.t / r) * r, -1.8 * r);
      dir = Point(1, 0);
    } else {
      at = a.ShaftAt(f.t, abduction);
      dir = a.ShaftAt(f.t + 1, abduction) - at;
    }
    const Point p0 = pose(at), p1 = pose(at + dir);
    Point normal = p1 - p0;
    normal *= 1.0 / std::hypot(normal.x, normal.y);
    const double c = std::cos(f.line_angle), s = std::sin(f.line_angle);
    normal = Point(c * normal.x - s * normal.y, s * normal.x + c * normal.y);
    Fracture(bone, p0, normal, pose.Length(f.gap), pose.Length(f.shift), f.rotation);
  }
  AddBone(picture, clavicle, a.clavicle_density, 60, cortex, texture);
  AddBone(picture, humerus, a.humerus_density, 70, cortex, texture);

  if (f.kind == Abnormality::kLesion) {
    cv::Mat lesion(size, CV_8U, cv::Scalar(0)), rim(size, CV_8U, cv::Scalar(0));
    const std::vector<Point> outline =
        Ellipse(a.head + Point(f.lesion_dx, f.lesion_dy), f.lesion_ax, f.lesion_ay, f.line_angle);
    Fill(lesion, pose, outline);
    cv::bitwise_and(lesion, humerus, lesion);
    std::vector<Point> closed = outline;
    closed.push_back(outline.front());
    Stroke(rim, pose, closed, 0.07 * r);
    cv::bitwise_and(rim, humerus, rim);
    cv::Mat m, rm;
    lesion.convertTo(m, CV_32F, 1.0 / 255);
    rim.convertTo(rm, CV_32F, 1.0 / 255);
    if (f.lytic) {
      picture -= 0.75 * a.humerus_density * m;
      picture += 35 * rm;
    } else {
      picture += 55 * m;
    }
  }
  if (f.kind == Abnormality::kHardware) {
    cv::Mat metal(size, CV_8U, cv::Scalar(0));
    if (f.prosthesis) {
      Fill(metal, pose,
           Ellipse(a.head + Point(0.1 * r, 0), 0.95 * r, 0.92 * r, 0, -0.2 * kPi, 1.1 * kPi));
      Fill(metal, pose,
           Band(a.ShaftAt(-0.2 * r, abduction), a.ShaftAt(3.2 * r, abduction), 0.5 * r, 0.3 * r));
    } else {
      const double t0 = f.t - 0.4 * r, t1 = f.t + 2.2 * r;
      const double side = external_rotation ? 0.62 : -0.62;
      const Point offset_dir =
          Point(std::cos(a.shaft_angle + abduction), -std::sin(a.shaft_angle + abduction));
      Fill(metal, pose,
           Band(a.ShaftAt(t0, abduction) + offset_dir * (side * r),
                a.ShaftAt(t1, abduction) + offset_dir * (side * r), 0.26 * r, 0.26 * r));
      for (int k = 0; k < f.screws; ++k) {
        const Point at = a.ShaftAt(t0 + (t1 - t0) * (k + 0.5) / f.screws, abduction);
        Fill(metal, pose,
             Band(at + offset_dir * (side * 1.05 * r), at - offset_dir * (side * 0.7 * r), 0.13 * r,
                  0.11 * r));
      }
    }
    cv::Mat m;
    metal.convertTo(m, CV_32F, 1.0 / 255);
    picture += 190 * m;
  }

  // Exposure, blur, a side marker, quantum noise.
  cv::GaussianBlur(picture, picture, cv::Size(0, 0), 0.8);
  const double gain = rng.Uniform(0.8, 1.2), offset = rng.Uniform(5, 25),
               gamma = rng.Uniform(0.8, 1.25);
  picture = picture * gain + offset;
  cv::max(picture, 0, picture);
  cv::pow(picture / 255.0, gamma, picture);
  picture *= 255.0;
  if (rng.Bernoulli(0.6)) {
    const cv::Point corner(rng.Bernoulli(0.5) ? 8 : width - 30, 30);
    cv::putText(picture, left ? "L" : "R", corner, cv::FONT_HERSHEY_SIMPLEX, 0.9, cv::Scalar(235),
                2, cv::LINE_AA);
  }
  cv::Mat noise(size, CV_32F);
  cv::RNG local(rng.Fork());
  local.fill(noise, cv::RNG::NORMAL, 0, rng.Uniform(2.0, 4.0));
  picture += noise;
  cv::Mat out;
  picture.convertTo(out, CV_8U);  // Saturating.
  return out;
}

absl::StatusOr<MuraPhantomSummary> WriteMuraPhantoms(const std::string& mura_dir,
                                                     const std::string& truth_dir,
                                                     const MuraPhantomOptions& options) {
  if (options.patients < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("mura_patients: must be >= 2 (train and valid each need a patient), got ",
                     options.patients));
  }
  if (options.width < 64 || options.height < 64) {
    return absl::InvalidArgumentError(absl::StrCat(
        "xray_size: width and height must be >= 64, got ", options.width, "x", options.height));
  }
  const int valid =
      std::max(1, static_cast<int>(std::lround(options.patients * options.valid_fraction)));
  const int train = options.patients - valid;
  if (train < 1) {
    return absl::InvalidArgumentError("mura_patients: too few patients to leave one for train");
  }

  struct Study {
    std::string split, patient, folder;  // folder = "studyN_positive"
    int patient_index, study_index, images;
    Abnormality abnormality;
  };
  std::vector<Study> studies;
  for (int p = 0; p < options.patients; ++p) {
    PhantomRandom rng(RandomStream(options.seed, kPhantomStream, kPatientPlan, p));
    const bool is_train = p < train;
    const int number = is_train ? p + 1 : kFirstValidPatient + (p - train);
    const int count = rng.Bernoulli(0.2) ? 2 : 1;
    for (int s = 0; s < count; ++s) {
      Study st;
      st.split = is_train ? "train" : "valid";
      st.patient = absl::StrFormat("patient%05d", number);
      st.patient_index = p;
      st.study_index = s;
      const double u = rng.Uniform(0, 1);
      st.images = u < 0.15 ? 1 : u < 0.5 ? 2 : u < 0.85 ? 3 : 4;
      st.abnormality = Abnormality::kNone;
      if (rng.Bernoulli(0.4)) {
        const double k = rng.Uniform(0, 1);
        st.abnormality = k < 0.4   ? Abnormality::kFracture
                         : k < 0.7 ? Abnormality::kHardware
                                   : Abnormality::kLesion;
      }
      st.folder = absl::StrCat("study", s + 1,
                               st.abnormality == Abnormality::kNone ? "_negative" : "_positive");
      studies.push_back(st);
    }
  }

  struct Job {
    const Study* study;
    int image;
    std::string rel;  // MURA-v1.1/...png
  };
  std::vector<Job> jobs;
  for (const Study& st : studies) {
    const std::string rel_study =
        absl::StrCat("MURA-v1.1/", st.split, "/XR_SHOULDER/", st.patient, "/", st.folder, "/");
    GENESIS_RETURN_IF_ERROR(MakeDirectories(absl::StrCat(mura_dir, "/", rel_study)));
    for (int i = 0; i < st.images; ++i) {
      jobs.push_back({&st, i, absl::StrCat(rel_study, "image", i + 1, ".png")});
    }
  }
  GENESIS_RETURN_IF_ERROR(ParallelFor(jobs.size(), options.threads, [&](int64_t j) -> absl::Status {
    const Job& job = jobs[j];
    PhantomRandom size_rng(RandomStream(
        options.seed, kPhantomStream, kImagePose,
        (job.study->patient_index * 64 + job.study->study_index) * 64 + 63 - job.image));
    const int width = options.width + 32 * static_cast<int>(size_rng.Int(-1, 1));
    const cv::Mat picture =
        RenderShoulderRadiograph(options.seed, job.study->patient_index, job.study->study_index,
                                 job.image, job.study->abnormality, width, options.height);
    std::vector<uchar> png;
    const std::string path = absl::StrCat(mura_dir, "/", job.rel);
    try {
      if (!cv::imencode(".png", picture, png))
        return absl::InternalError(absl::StrCat(path, ": PNG encoding failed"));
    } catch (const cv::Exception& e) {
      return absl::InternalError(absl::StrCat(path, ": PNG encoding failed: ", e.what()));
    }
    return WriteBytes(path,
                      absl::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
  }));

  MuraPhantomSummary summary;
  summary.train_patients = train;
  summary.valid_patients = valid;
  std::string paths[2], labeled[2];
  std::string truth = "split,patient,study,label,abnormality,images\n";
  for (const Study& st : studies) {
    const int k = st.split == "train" ? 0 : 1;
    const int label = st.abnormality == Abnormality::kNone ? 0 : 1;
    const std::string rel_study =
        absl::StrCat("MURA-v1.1/", st.split, "/XR_SHOULDER/", st.patient, "/", st.folder, "/");
    absl::StrAppend(&labeled[k], rel_study, ",", label, "\n");
    for (int i = 0; i < st.images; ++i)
      absl::StrAppend(&paths[k], rel_study, "image", i + 1, ".png\n");
    absl::StrAppend(&truth, st.split, ",", st.patient, ",", st.folder, ",", label, ",",
                    AbnormalityName(st.abnormality), ",", st.images, "\n");
    summary.studies += 1;
    summary.positive_studies += label;
    summary.images += st.images;
  }
  const std::string root = mura_dir + "/MURA-v1.1";
  GENESIS_RETURN_IF_ERROR(WriteBytes(root + "/train_image_paths.csv", paths[0]));
  GENESIS_RETURN_IF_ERROR(WriteBytes(root + "/valid_image_paths.csv", paths[1]));
  GENESIS_RETURN_IF_ERROR(WriteBytes(root + "/train_labeled_studies.csv", labeled[0]));
  GENESIS_RETURN_IF_ERROR(WriteBytes(root + "/valid_labeled_studies.csv", labeled[1]));
  GENESIS_RETURN_IF_ERROR(MakeDirectories(truth_dir));
  GENESIS_RETURN_IF_ERROR(WriteBytes(truth_dir + "/mura_studies.csv", truth));
  return summary;
}

}  // namespace phantoms
}  // namespace genesis
