#include "core/corpus/summary.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <vector>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/csv.h"
#include "core/file_util.h"
#include "core/status_macros.h"

namespace genesis {
namespace {

struct Group {
  int64_t patients = 0;
  int64_t slices = 0;
  int64_t min_per_patient = -1;
  int64_t max_per_patient = 0;
  std::array<int64_t, kNumSplits> split_slices = {0, 0, 0};
  std::array<int64_t, kNumSplits> split_patients = {0, 0, 0};
  std::map<std::string, int64_t> modalities;  // For the dataset table: most common modality.
  std::map<std::string, int64_t> body_parts;

  void Add(int64_t slices_of_patient, Split split, Modality modality,
           const std::string& body_part) {
    ++patients;
    slices += slices_of_patient;
    min_per_patient =
        min_per_patient < 0 ? slices_of_patient : std::min(min_per_patient, slices_of_patient);
    max_per_patient = std::max(max_per_patient, slices_of_patient);
    split_slices[static_cast<int>(split)] += slices_of_patient;
    split_patients[static_cast<int>(split)] += 1;
    modalities[std::string(ModalityName(modality))] += slices_of_patient;
    body_parts[body_part] += slices_of_patient;
  }
  double mean() const { return patients ? static_cast<double>(slices) / patients : 0.0; }
};

std::string Joined(const std::map<std::string, int64_t>& counts) {
  std::string out;
  for (const auto& [name, n] : counts) absl::StrAppend(&out, out.empty() ? "" : "+", name);
  return out;
}

}  // namespace

void CorpusSummary::AddPatient(const std::string& dataset, const std::string& patient_id,
                               Modality modality, const std::string& body_part, Split split) {
  PatientInfo& info = patients_[{dataset, patient_id}];
  info.modality = modality;
  info.body_part = body_part;
  info.split = split;
}

void CorpusSummary::AddSlice(const std::string& dataset, const std::string& patient_id) {
  ++patients_[{dataset, patient_id}].slices;
  ++total_slices_;
}

std::map<std::string, int64_t> CorpusSummary::SlicesPerModality() const {
  std::map<std::string, int64_t> out;
  for (const auto& [key, info] : patients_) {
    if (info.slices > 0) out[std::string(ModalityName(info.modality))] += info.slices;
  }
  return out;
}

absl::Status CorpusSummary::Write(const std::string& dir) const {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat(dir, ": cannot create: ", ec.message()));
  std::map<std::string, Group> by_modality, by_body_part, by_dataset;
  std::array<Group, kNumSplits> by_split;
  for (const auto& [key, info] : patients_) {
    if (info.slices == 0) continue;
    by_modality[std::string(ModalityName(info.modality))].Add(info.slices, info.split,
                                                              info.modality, info.body_part);
    by_body_part[info.body_part.empty() ? "unknown" : info.body_part].Add(
        info.slices, info.split, info.modality, info.body_part);
    by_dataset[key.first].Add(info.slices, info.split, info.modality, info.body_part);
    by_split[static_cast<int>(info.split)].Add(info.slices, info.split, info.modality,
                                               info.body_part);
  }
  auto path = [&](const std::string& name) { return (std::filesystem::path(dir) / name).string(); };

  // Simple "name, patients, slices" tables and charts.
  for (const auto& [name, column, groups] :
       {std::make_tuple("slices_per_modality", "modality", &by_modality),
        std::make_tuple("slices_per_body_part", "body_part", &by_body_part)}) {
    std::string text = CsvLine({column, "patients", "slices"});
    std::vector<std::string> labels;
    std::vector<double> values;
    for (const auto& [key, g] : *groups) {
      text += CsvLine({key, absl::StrCat(g.patients), absl::StrCat(g.slices)});
      labels.push_back(key);
      values.push_back(static_cast<double>(g.slices));
    }
    GENESIS_RETURN_IF_ERROR(WriteFileAtomically(path(absl::StrCat(name, ".csv")), text));
    GENESIS_RETURN_IF_ERROR(WriteBarChart(path(absl::StrCat(name, ".png")),
                                          absl::StrCat("Slices per ", column), "slices", labels,
                                          values));
  }

  std::string datasets =
      CsvLine({"dataset", "modality", "body_part", "patients", "slices", "min_slices_per_patient",
               "mean_slices_per_patient", "max_slices_per_patient", "train_slices", "val_slices",
               "test_slices"});
  std::string patients =
      CsvLine({"dataset", "patients", "train_patients", "val_patients", "test_patients"});
  std::vector<std::string> labels;
  std::vector<double> slices, patient_counts, means, lows, highs;
  for (const auto& [name, g] : by_dataset) {
    datasets += CsvLine({name, Joined(g.modalities), Joined(g.body_parts), absl::StrCat(g.patients),
                         absl::StrCat(g.slices), absl::StrCat(g.min_per_patient),
                         absl::StrFormat("%.2f", g.mean()), absl::StrCat(g.max_per_patient),
                         absl::StrCat(g.split_slices[0]), absl::StrCat(g.split_slices[1]),
                         absl::StrCat(g.split_slices[2])});
    patients += CsvLine({name, absl::StrCat(g.patients), absl::StrCat(g.split_patients[0]),
                         absl::StrCat(g.split_patients[1]), absl::StrCat(g.split_patients[2])});
    labels.push_back(name);
    slices.push_back(static_cast<double>(g.slices));
    patient_counts.push_back(static_cast<double>(g.patients));
    means.push_back(g.mean());
    lows.push_back(static_cast<double>(g.min_per_patient));
    highs.push_back(static_cast<double>(g.max_per_patient));
  }
  GENESIS_RETURN_IF_ERROR(WriteFileAtomically(path("slices_per_dataset.csv"), datasets));
  GENESIS_RETURN_IF_ERROR(WriteFileAtomically(path("patients_per_dataset.csv"), patients));
  GENESIS_RETURN_IF_ERROR(WriteBarChart(path("slices_per_dataset.png"), "Slices per dataset",
                                        "slices", labels, slices));
  GENESIS_RETURN_IF_ERROR(WriteBarChart(path("patients_per_dataset.png"), "Patients per dataset",
                                        "patients", labels, patient_counts));
  GENESIS_RETURN_IF_ERROR(WriteBarChart(path("slices_per_patient.png"),
                                        "Slices per patient (mean, min-max)", "slices", labels,
                                        means, lows, highs));
  std::string splits = CsvLine({"split", "patients", "slices"});
  for (int s = 0; s < kNumSplits; ++s) {
    splits += CsvLine({std::string(SplitName(static_cast<Split>(s))),
                       absl::StrCat(by_split[s].patients), absl::StrCat(by_split[s].slices)});
  }
  return WriteFileAtomically(path("slices_per_split.csv"), splits);
}

absl::Status WriteBarChart(const std::string& path, const std::string& title,
                           const std::string& value_label, const std::vector<std::string>& labels,
                           const std::vector<double>& values, const std::vector<double>& low,
                           const std::vector<double>& high) {
  const int n = static_cast<int>(labels.size());
  const bool whiskers = low.size() == values.size() && high.size() == values.size() && n > 0;
  const int font = cv::FONT_HERSHEY_SIMPLEX;
  const double scale = 0.5;
  int label_width = 60;
  for (const auto& label : labels) {
    int baseline = 0;
    label_width = std::max(label_width, cv::getTextSize(label, font, scale, 1, &baseline).width);
  }
  const int left = label_width + 20, right = 110, top = 50, bottom = 50, row = 28;
  const int plot_width = 560;
  const int width = left + plot_width + right;
  const int height = top + std::max(1, n) * row + bottom;
  double max_value = 0.0;
  for (int i = 0; i < n; ++i) {
    max_value = std::max(max_value, whiskers ? std::max(values[i], high[i]) : values[i]);
  }
  // Round the axis up to 1, 2, 2.5, 5 or 10 times a power of ten so quarter ticks are round.
  if (max_value <= 0) max_value = 1;
  {
    const double power = std::pow(10.0, std::floor(std::log10(max_value)));
    for (double step : {1.0, 2.0, 2.5, 5.0, 10.0}) {
      if (step * power >= max_value * (1 - 1e-9)) {
        max_value = step * power;
        break;
      }
    }
  }
  try {
    cv::Mat image(height, width, CV_8UC3, cv::Scalar(255, 255, 255));
    const cv::Scalar black(0, 0, 0), grey(200, 200, 200), bar(180, 119, 31);  // BGR.
    cv::putText(image, title, cv::Point(10, 28), font, 0.7, black, 2, cv::LINE_AA);
    auto x_of = [&](double v) { return left + static_cast<int>(v / max_value * plot_width); };
    // Grid and x-axis ticks at 0, 25, 50, 75, 100 % of the maximum.
    const int axis_y = top + std::max(1, n) * row;
    for (int t = 0; t <= 4; ++t) {
      const double v = max_value * t / 4.0;
      const int x = x_of(v);
      cv::line(image, cv::Point(x, top), cv::Point(x, axis_y), grey, 1);
      const std::string tick = absl::StrFormat("%g", v);
      cv::putText(image, tick, cv::Point(x - 10, axis_y + 18), font, 0.4, black, 1, cv::LINE_AA);
    }
    cv::line(image, cv::Point(left, top), cv::Point(left, axis_y), black, 1);
    cv::line(image, cv::Point(left, axis_y), cv::Point(left + plot_width, axis_y), black, 1);
    cv::putText(image, value_label, cv::Point(left + plot_width / 2 - 20, axis_y + 40), font, 0.5,
                black, 1, cv::LINE_AA);
    for (int i = 0; i < n; ++i) {
      const int y0 = top + i * row + 4, y1 = top + (i + 1) * row - 4;
      cv::rectangle(image, cv::Point(left, y0), cv::Point(x_of(values[i]), y1), bar, cv::FILLED);
      if (whiskers) {
        const int ym = (y0 + y1) / 2;
        cv::line(image, cv::Point(x_of(low[i]), ym), cv::Point(x_of(high[i]), ym), black, 1);
        cv::line(image, cv::Point(x_of(low[i]), y0 + 3), cv::Point(x_of(low[i]), y1 - 3), black, 1);
        cv::line(image, cv::Point(x_of(high[i]), y0 + 3), cv::Point(x_of(high[i]), y1 - 3), black,
                 1);
      }
      cv::putText(image, labels[i], cv::Point(10, y1 - 5), font, scale, black, 1, cv::LINE_AA);
      const double shown = whiskers ? std::max(values[i], high[i]) : values[i];
      const std::string text = values[i] == std::floor(values[i])
                                   ? absl::StrFormat("%.0f", values[i])
                                   : absl::StrFormat("%.1f", values[i]);
      cv::putText(image, text, cv::Point(x_of(shown) + 6, y1 - 5), font, 0.45, black, 1,
                  cv::LINE_AA);
    }
    std::vector<unsigned char> png;
    if (!cv::imencode(".png", image, png)) {
      return absl::InternalError(absl::StrCat(path, ": cannot encode PNG"));
    }
    GENESIS_RETURN_IF_ERROR(WriteFileAtomically(
        path, absl::string_view(reinterpret_cast<const char*>(png.data()), png.size())));
  } catch (const cv::Exception& e) {
    return absl::InternalError(absl::StrCat(path, ": drawing chart: ", e.what()));
  }
  return absl::OkStatus();
}

}  // namespace genesis
