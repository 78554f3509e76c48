// Fuzzes the LUNA16 task's reading of candidates_V2.csv (plugins/task/luna16.cc,
// Luna16Task::List over core/csv's CsvReader): columns found by name, a UTF-8 BOM, numbers
// and classes per row, rows of series that are not on disk, bad_rows "error" and "skip".
// The fixture is two tiny series (subset0, subset1) whose .mhd headers the task lists; the
// input is the candidate file. No pixels are read (List only).
//
// Properties: an error names the candidate file; an accepted list has unique sample ids,
// labels 0/1, the four prediction columns, only series on disk, and folds whose indices are
// samples.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/registry.h"
#include "core/task.h"
#include "glog/logging.h"
#include "plugins/task/luna16.pb.h"
#include "tools/fuzz/fuzz_util.h"

namespace genesis {
namespace {

constexpr absl::string_view kSeries[] = {"1.3.6.1.4.1.14519.5.2.1.6279.6001.100",
                                         "1.3.6.1.4.1.14519.5.2.1.6279.6001.101"};

// <scratch>/luna16 with subset0/<uid0>.mhd and subset1/<uid1>.mhd (+ .raw), made once.
const std::string& Root() {
  static const std::string* const root = [] {
    for (int s = 0; s < 2; ++s) {
      const std::string uid(kSeries[s]);
      fuzz::WriteInput(absl::StrCat("luna16/subset", s, "/", uid, ".mhd"),
                       absl::StrCat("ObjectType = Image\nNDims = 3\nDimSize = 2 2 2\n"
                                    "ElementSpacing = 1 1 1\nElementType = MET_SHORT\n"
                                    "ElementDataFile = ",
                                    uid, ".raw\n"));
      fuzz::WriteInput(absl::StrCat("luna16/subset", s, "/", uid, ".raw"), std::string(16, '\0'));
    }
    return new std::string(absl::StrCat(fuzz::ScratchDir(), "/luna16"));
  }();
  return *root;
}

std::unique_ptr<Task> MakeTask(absl::string_view bad_rows) {
  // List() logs a warning per skipped row or missing series; at millions of inputs that is
  // all the fuzzer would print.
  FLAGS_minloglevel = google::GLOG_ERROR;
  Luna16TaskOptions options;
  options.set_root(Root());
  options.set_bad_rows(std::string(bad_rows));
  options.set_size(8);
  auto task = Registry<Task>::Get().Create("luna16", options);
  if (!task.ok()) fuzz::Fail(task.status().ToString());
  return std::move(task).value();
}

void RequireSoundList(const Task& task) {
  const std::vector<TaskSample>& samples = task.samples();
  if (samples.empty()) fuzz::Fail("List() succeeded with no samples");
  std::set<std::string> ids;
  for (const TaskSample& s : samples) {
    if (!ids.insert(s.id).second) fuzz::Fail(absl::StrCat("duplicate sample id ", s.id));
    if (s.label != 0 && s.label != 1) fuzz::Fail(absl::StrCat(s.id, ": label ", s.label));
    if (s.columns.size() != 4) fuzz::Fail(absl::StrCat(s.id, ": ", s.columns.size(), " columns"));
    if (s.patient != kSeries[0] && s.patient != kSeries[1]) {
      fuzz::Fail(absl::StrCat(s.id, ": series '", s.patient, "' is not on disk"));
    }
  }
  absl::StatusOr<std::vector<TaskFold>> folds = task.Folds(/*seed=*/1);
  if (!folds.ok()) return;
  const int64_t n = static_cast<int64_t>(samples.size());
  for (const TaskFold& fold : *folds) {
    for (const SampleRef& ref : fold.train) {
      if (ref.index < 0 || ref.index >= n) fuzz::Fail(absl::StrCat(fold.name, ": train index"));
    }
    for (const std::vector<int64_t>* part : {&fold.val, &fold.test}) {
      for (int64_t i : *part) {
        if (i < 0 || i >= n) fuzz::Fail(absl::StrCat(fold.name, ": val/test index ", i));
      }
    }
  }
}

}  // namespace
}  // namespace genesis

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace genesis;  // NOLINT: a fuzz entry point outside the namespace.
  static Task* const strict = MakeTask("error").release();
  static Task* const lenient = MakeTask("skip").release();
  const std::string path = Root() + "/candidates_V2.csv";
  fuzz::WriteInput("luna16/candidates_V2.csv", fuzz::Bytes(data, size));
  for (Task* task : {strict, lenient}) {
    const absl::Status status = task->List();
    if (status.ok()) {
      RequireSoundList(*task);
    } else {
      fuzz::RequireNamesFile(status, path);
    }
  }
  return 0;
}
