#include "core/corpus/split.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/csv.h"
#include "core/file_util.h"
#include "core/random.h"
#include "core/status_macros.h"

namespace genesis {

uint64_t Fnv1a64(absl::string_view text) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

absl::Status ValidateSplitOptions(const SplitOptions& o) {
  const double parts[] = {o.train(), o.val(), o.test()};
  const char* names[] = {"train", "val", "test"};
  for (int i = 0; i < 3; ++i) {
    if (!(parts[i] >= 0.0 && parts[i] <= 1.0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("split.", names[i], ": must be in [0, 1], got ", parts[i]));
    }
  }
  const double sum = o.train() + o.val() + o.test();
  if (std::abs(sum - 1.0) > 1e-6) {
    return absl::InvalidArgumentError(
        absl::StrCat("split: train + val + test must be 1, got ", sum));
  }
  return absl::OkStatus();
}

absl::StatusOr<PatientSplit> PatientLevelSplit(const std::vector<PatientKey>& patients,
                                               const SplitOptions& options, uint64_t seed) {
  GENESIS_RETURN_IF_ERROR(ValidateSplitOptions(options));
  std::map<std::string, std::set<std::string>> by_dataset;
  for (const auto& [dataset, id] : patients) by_dataset[dataset].insert(id);
  PatientSplit result;
  const double fractions[3] = {options.train(), options.val(), options.test()};

  // Largest remainder over three parts: counts summing to n.
  auto apportion = [&](int64_t n, int64_t counts[3], double remainders[3]) {
    int64_t assigned = 0;
    for (int s = 0; s < 3; ++s) {
      const double exact = n * fractions[s];
      counts[s] = static_cast<int64_t>(std::floor(exact + 1e-9));
      remainders[s] = exact - counts[s];
      assigned += counts[s];
    }
    int order[3] = {0, 1, 2};
    std::stable_sort(order, order + 3,
                     [&](int a, int b) { return remainders[a] > remainders[b] + 1e-12; });
    for (int k = 0; assigned < n; k = (k + 1) % 3, ++assigned) ++counts[order[k]];
  };

  struct DatasetPlan {
    std::string name;
    std::vector<std::string> ids;  // Shuffled.
    int64_t counts[3] = {0, 0, 0};
    double remainders[3] = {0, 0, 0};
    uint64_t tie_break = 0;
  };
  std::vector<DatasetPlan> plans;
  int64_t total = 0;
  for (const auto& [dataset, id_set] : by_dataset) {
    DatasetPlan plan;
    plan.name = dataset;
    plan.ids.assign(id_set.begin(), id_set.end());
    RandomStream rng(seed, RandomStream::kSplit, Fnv1a64(dataset));
    for (int64_t i = static_cast<int64_t>(plan.ids.size()) - 1; i > 0; --i) {
      std::swap(plan.ids[i], plan.ids[rng.UniformInt(0, i)]);
    }
    plan.tie_break = rng.NextU64();
    const int64_t n = static_cast<int64_t>(plan.ids.size());
    // Per dataset: floors of the val and test quotas; train takes the rest for now.
    for (int s = 1; s < 3; ++s) {
      const double exact = n * fractions[s];
      plan.counts[s] = static_cast<int64_t>(std::floor(exact + 1e-9));
      plan.remainders[s] = exact - plan.counts[s];
    }
    plan.counts[0] = n - plan.counts[1] - plan.counts[2];
    total += n;
    plans.push_back(std::move(plan));
  }
  // Corpus-wide targets, so small datasets (whose own 5% rounds to zero) still add up to a
  // non-empty val and test split: the missing patients come from the datasets with the largest
  // leftover quota, preferring those that keep at least two patients in train.
  int64_t targets[3];
  double unused[3];
  apportion(total, targets, unused);
  for (int s = 1; s < 3; ++s) {
    int64_t have = 0;
    for (const auto& plan : plans) have += plan.counts[s];
    std::vector<DatasetPlan*> order;
    for (auto& plan : plans) order.push_back(&plan);
    std::stable_sort(order.begin(), order.end(), [&](const DatasetPlan* a, const DatasetPlan* b) {
      if (a->remainders[s] != b->remainders[s]) return a->remainders[s] > b->remainders[s];
      return a->tie_break < b->tie_break;
    });
    for (int min_train_left : {2, 1, 0}) {
      for (DatasetPlan* plan : order) {
        if (have >= targets[s]) break;
        if (plan->counts[0] - 1 >= min_train_left) {
          --plan->counts[0];
          ++plan->counts[s];
          plan->remainders[s] = -1.0;  // One extra per dataset per pass.
          ++have;
        }
      }
    }
  }
  for (const auto& plan : plans) {
    int64_t next = 0;
    for (int s = 0; s < 3; ++s) {
      for (int64_t j = 0; j < plan.counts[s]; ++j) {
        result[{plan.name, plan.ids[next++]}] = static_cast<Split>(s);
      }
    }
  }
  return result;
}

absl::Status CheckNoLeakage(const std::vector<SplitAssignment>& assignments) {
  std::map<PatientKey, const SplitAssignment*> first;
  std::vector<std::string> leaks;
  int64_t total = 0;
  for (const SplitAssignment& a : assignments) {
    auto [it, inserted] = first.emplace(a.patient, &a);
    if (!inserted && it->second->split != a.split) {
      ++total;
      if (leaks.size() < 10) {
        leaks.push_back(absl::StrCat(a.patient.first, "/", a.patient.second, " in ",
                                     SplitName(it->second->split), " (", it->second->where,
                                     ") and ", SplitName(a.split), " (", a.where, ")"));
      }
    }
  }
  if (total == 0) return absl::OkStatus();
  std::string message = absl::StrCat("patient leakage across splits (", total, " cases): ");
  for (size_t i = 0; i < leaks.size(); ++i) absl::StrAppend(&message, i ? "; " : "", leaks[i]);
  return absl::FailedPreconditionError(message);
}

absl::Status WriteSplitCsv(const std::string& path, const PatientSplit& split) {
  std::string text = CsvLine({"dataset", "patient_id", "split"});
  for (const auto& [key, s] : split) {
    text += CsvLine({key.first, key.second, std::string(SplitName(s))});
  }
  return WriteFileAtomically(path, text);
}

absl::StatusOr<PatientSplit> ReadSplitCsv(const std::string& path) {
  GENESIS_ASSIGN_OR_RETURN(CsvTable table, ReadCsvFile(path));
  if (table.header != std::vector<std::string>{"dataset", "patient_id", "split"}) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ":1: expected header dataset,patient_id,split"));
  }
  PatientSplit split;
  for (size_t i = 0; i < table.rows.size(); ++i) {
    auto s = ParseSplit(table.rows[i][2]);
    if (!s.ok()) return Annotate(s.status(), absl::StrCat(path, ":", i + 2));
    split[{table.rows[i][0], table.rows[i][1]}] = *s;
  }
  return split;
}

}  // namespace genesis
