// Reading prediction and annotation CSVs for evaluation, with errors naming file, line and
// column.
//
//   GENESIS_ASSIGN_OR_RETURN(Predictions p, ReadPredictions("predictions_test.csv"));
//   // p.id, p.label, p.score (+ p.group, p.series, p.world when those columns exist)
//
// Prediction files (layout of the transfer stage): id,label,score are required; group,
// seriesuid and coordX,coordY,coordZ are read when present; other columns are ignored.
// LUNA16 files: annotations.csv / annotations_excluded.csv
// (seriesuid,coordX,coordY,coordZ,diameter_mm), CAD marks (seriesuid,coordX,coordY,coordZ,
// probability), series lists (one seriesuid per line, an optional "seriesuid" header line, or a
// CSV with a seriesuid column).
#ifndef GENESIS_CORE_EVAL_PREDICTIONS_IO_H_
#define GENESIS_CORE_EVAL_PREDICTIONS_IO_H_

#include <array>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/eval/froc.h"

namespace genesis {

// Scores of one model on one evaluation set (a sub-run's test split, or several pooled).
struct Predictions {
  std::string source;               // File(s) read, for messages.
  std::vector<std::string> id;      // Unique; pairs samples across models.
  std::vector<int> label;           // 0 or 1.
  std::vector<double> score;        // Probability of the positive class.
  std::vector<std::string> group;   // Scan / patient / study; empty when the file has none.
  std::vector<std::string> series;  // LUNA16 seriesuid; empty when the file has none.
  std::vector<std::array<double, 3>> world;  // coordX/Y/Z; empty when the file has none.

  size_t size() const { return id.size(); }
  // Appends `other` (e.g. pooling folds). Optional columns survive only if both have them.
  void Append(const Predictions& other);
};

absl::StatusOr<Predictions> ReadPredictions(const std::string& path);

// Two prediction sets restricted to their common ids, in the order of `a`.
struct MatchedPredictions {
  std::vector<int> label;
  std::vector<double> score_a;
  std::vector<double> score_b;
  std::vector<std::string> only_in_a;  // Ids without a partner.
  std::vector<std::string> only_in_b;
};
// An id present in both with different labels is an error.
absl::StatusOr<MatchedPredictions> MatchById(const Predictions& a, const Predictions& b);

absl::StatusOr<std::vector<Nodule>> ReadNodules(const std::string& path);
absl::StatusOr<std::vector<CadMark>> ReadCadMarks(const std::string& path);
absl::StatusOr<std::vector<std::string>> ReadSeriesList(const std::string& path);

}  // namespace genesis

#endif  // GENESIS_CORE_EVAL_PREDICTIONS_IO_H_
