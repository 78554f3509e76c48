// The core subcommands of `genesis`: run, validate, plugins.
#include <cstdlib>
#include <iostream>
#include <utility>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/command.h"
#include "core/config.h"
#include "core/registry.h"
#include "core/runner.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

ABSL_FLAG(bool, verbose, false,
          "genesis plugins: also list every options field with its type and default");
ABSL_FLAG(bool, force_resume, false,
          "genesis run: continue partial work a killed run left even though it was made with "
          "other inputs or options (the log records it)");
ABSL_FLAG(std::string, shard, "",
          "genesis run: I/N runs share I (0-based) of N of the transfer sub-runs; defaults to "
          "SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT when those are set");

namespace genesis {
namespace {

using google::protobuf::FieldDescriptor;

std::vector<std::string> Overrides(const std::vector<std::string>& args, size_t first) {
  return std::vector<std::string>(args.begin() + first, args.end());
}

// --shard I/N, else SLURM's array variables, else 0/1.
absl::StatusOr<std::pair<int, int>> ShardFromFlagOrEnv() {
  std::string text = absl::GetFlag(FLAGS_shard);
  if (text.empty()) {
    const char* id = std::getenv("SLURM_ARRAY_TASK_ID");
    const char* count = std::getenv("SLURM_ARRAY_TASK_COUNT");
    if (id == nullptr || count == nullptr) return std::make_pair(0, 1);
    // SLURM numbers array tasks from SLURM_ARRAY_TASK_MIN (usually 0 or 1).
    const char* min = std::getenv("SLURM_ARRAY_TASK_MIN");
    int i = 0, n = 0, lo = 0;
    if (!absl::SimpleAtoi(id, &i) || !absl::SimpleAtoi(count, &n) ||
        (min != nullptr && !absl::SimpleAtoi(min, &lo))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT / SLURM_ARRAY_TASK_MIN: want integers, "
          "got '", id, "' / '", count, "' / '", min == nullptr ? "" : min, "'"));
    }
    return std::make_pair(i - lo, n);
  }
  std::pair<std::string, std::string> parts = absl::StrSplit(text, absl::MaxSplits('/', 1));
  int i = 0, n = 0;
  if (!absl::SimpleAtoi(parts.first, &i) || !absl::SimpleAtoi(parts.second, &n) || n < 1 ||
      i < 0 || i >= n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--shard: want I/N with 0 <= I < N (e.g. --shard 0/4), got '", text, "'"));
  }
  return std::make_pair(i, n);
}

int RunMain(const std::vector<std::string>& args) {
  if (args.empty()) {
    std::cerr << "usage: genesis run FILE [path=value ...] [--shard I/N] [--force_resume]\n";
    return 2;
  }
  RunOptions options;
  options.force_resume = absl::GetFlag(FLAGS_force_resume);
  auto shard = ShardFromFlagOrEnv();
  if (!shard.ok()) {
    std::cerr << shard.status().message() << "\n";
    return 2;
  }
  options.shard_index = shard->first;
  options.shard_count = shard->second;
  auto experiment = LoadExperiment(args[0], Overrides(args, 1));
  if (!experiment.ok()) {
    std::cerr << experiment.status().message() << "\n";
    return 1;
  }
  auto summary = RunExperiment(*experiment, options);
  if (!summary.ok()) {
    std::cerr << "genesis run " << args[0] << " failed: " << summary.status().message() << "\n";
    return 1;
  }
  if (summary->skipped > 0) {
    std::cerr << "run complete with " << summary->skipped << " skipped input(s), listed in "
              << absl::StrJoin(summary->skip_reports, ", ") << "\n";
    std::cout << "run complete: " << experiment->output_dir() << "\n";
    return 3;
  }
  if (options.shard_count > 1) {
    std::cout << "shard " << options.shard_index << "/" << options.shard_count
              << " complete: " << experiment->output_dir()
              << " (a plain `genesis run` on the same file finishes the study)\n";
    return 0;
  }
  std::cout << "run complete: " << experiment->output_dir() << "\n";
  return 0;
}

int ValidateMain(const std::vector<std::string>& args) {
  if (args.empty()) {
    std::cerr << "usage: genesis validate FILE...\n";
    return 2;
  }
  int failures = 0;
  for (const std::string& path : args) {
    ParsedExperiment parsed;
    absl::Status status = ParseExperimentFile(path, &parsed);
    if (status.ok()) status = ValidateExperiment(parsed);
    if (status.ok()) status = ResolveExperiment(parsed.experiment).status();
    if (status.ok()) {
      std::cout << path << ": OK\n";
    } else {
      std::cerr << status.message() << "\n";
      ++failures;
    }
  }
  return failures == 0 ? 0 : 1;
}

std::string DefaultOf(const FieldDescriptor* f) {
  if (f->is_repeated()) return "[]";
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return "{}";
    case FieldDescriptor::CPPTYPE_STRING:
      return absl::StrCat("\"", f->default_value_string(), "\"");
    case FieldDescriptor::CPPTYPE_ENUM:
      return f->default_value_enum()->name();
    case FieldDescriptor::CPPTYPE_BOOL:
      return f->default_value_bool() ? "true" : "false";
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return absl::StrCat(f->default_value_double());
    case FieldDescriptor::CPPTYPE_FLOAT:
      return absl::StrCat(f->default_value_float());
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(f->default_value_int32());
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(f->default_value_int64());
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(f->default_value_uint32());
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(f->default_value_uint64());
  }
  return "";
}

int PluginsMain(const std::vector<std::string>& args) {
  const bool verbose = absl::GetFlag(FLAGS_verbose);
  const std::vector<std::string>& kinds_wanted = args;
  std::vector<std::string> all_kinds;
  bool shown = false;
  for (const PluginKindView* kind : PluginCatalog::Get().Kinds()) {
    all_kinds.emplace_back(kind->kind());
    if (!kinds_wanted.empty() &&
        std::find(kinds_wanted.begin(), kinds_wanted.end(), kind->kind()) == kinds_wanted.end()) {
      continue;
    }
    shown = true;
    const auto plugins = kind->Plugins();
    std::cout << kind->kind() << " (" << plugins.size() << "): " << kind->kind_description()
              << "  [" << kind->target() << "]\n";
    if (plugins.empty()) std::cout << "  (none linked)\n";
    for (const PluginInfo& plugin : plugins) {
      std::cout << "  " << plugin.name << " - " << plugin.description << "\n"
                << "      options: " << plugin.options_type << "\n";
      if (!verbose) continue;
      const auto* d = google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(
          plugin.options_type);
      for (int i = 0; d != nullptr && i < d->field_count(); ++i) {
        const FieldDescriptor* f = d->field(i);
        std::cout << "        " << f->name() << ": "
                  << (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE ? f->message_type()->name()
                                                                        : f->type_name())
                  << " = " << DefaultOf(f) << "\n";
      }
    }
  }
  if (!shown) {
    std::cerr << "no plugin kind named " << absl::StrJoin(kinds_wanted, ", ")
              << "; kinds: " << absl::StrJoin(all_kinds, ", ") << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

GENESIS_REGISTER_COMMAND("run",
                         "FILE [path=value ...] [--shard I/N] [--force_resume]  run an "
                         "experiment; exit 0 ok, 1 failed, 3 completed but some inputs were "
                         "skipped",
                         &RunMain);
GENESIS_REGISTER_COMMAND("validate", "FILE...  parse and validate experiments; touches no data",
                         &ValidateMain);
GENESIS_REGISTER_COMMAND("plugins", "[KIND...] [--verbose]  list registered plugins by kind",
                         &PluginsMain);

}  // namespace genesis
