// Patient-level train/val/test split and the leakage check.
//
//   std::vector<PatientKey> patients = ...;                  // every patient of the corpus
//   GENESIS_ASSIGN_OR_RETURN(PatientSplit split, PatientLevelSplit(patients, options, seed));
//   Split s = split.at({"MSD-Liver", "liver_7"});
//   GENESIS_RETURN_IF_ERROR(CheckNoLeakage(assignments));     // FailedPrecondition on leakage
//
// Each dataset is split on its own (so every large dataset is ~90/5/5): its patient ids are
// sorted, shuffled with RandomStream(seed, kSplit, Fnv1a64(dataset)), and cut into train / val /
// test with counts floor(n * fraction). The corpus-wide val and test totals are then brought
// to the largest-remainder rounding of N * fraction by moving one patient per dataset from train,
// taking datasets by largest leftover quota (and keeping >= 2 train patients where possible) --
// so a corpus of many tiny datasets still gets a val and a test split.
// The result depends only on (datasets, patient ids, fractions, seed), not on input order.
#ifndef GENESIS_CORE_CORPUS_SPLIT_H_
#define GENESIS_CORE_CORPUS_SPLIT_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/proto/stages.pb.h"
#include "core/slice_store.h"

namespace genesis {

// (dataset, patient_id): the identity of a patient across the corpus.
using PatientKey = std::pair<std::string, std::string>;
using PatientSplit = std::map<PatientKey, Split>;

// FNV-1a 64-bit: a stable hash for seeding streams from names.
uint64_t Fnv1a64(absl::string_view text);

absl::Status ValidateSplitOptions(const SplitOptions& options);

// Assigns every patient (duplicates allowed, counted once) to a split.
absl::StatusOr<PatientSplit> PatientLevelSplit(const std::vector<PatientKey>& patients,
                                               const SplitOptions& options, uint64_t seed);

struct SplitAssignment {
  PatientKey patient;
  Split split;
  std::string where;  // For the error message, e.g. "store index row 17".
};
// FailedPrecondition listing (up to 10) patients found in more than one split.
absl::Status CheckNoLeakage(const std::vector<SplitAssignment>& assignments);

// split.csv: dataset, patient_id, split (sorted by dataset, patient_id).
absl::Status WriteSplitCsv(const std::string& path, const PatientSplit& split);
absl::StatusOr<PatientSplit> ReadSplitCsv(const std::string& path);

}  // namespace genesis

#endif  // GENESIS_CORE_CORPUS_SPLIT_H_
