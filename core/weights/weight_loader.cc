#include "core/weights/weight_loader.h"

#include <torch/nn/module.h>
#include <torch/utils.h>

#include <map>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "core/eval/json.h"
#include "core/file_util.h"
#include "core/status_macros.h"
#include "glog/logging.h"

namespace genesis {
namespace {

bool Allowed(const std::vector<std::string>& rules, const std::string& name) {
  for (const std::string& rule : rules) {
    if (name == rule) return true;
    if (!rule.empty() && rule.back() == '.' && absl::StartsWith(name, rule)) return true;
  }
  return false;
}

std::string Shape(const at::Tensor& t) {
  return absl::StrCat("[", absl::StrJoin(t.sizes(), ", "), "]");
}

std::string JsonList(const std::vector<std::string>& items) {
  std::vector<std::string> quoted;
  for (const std::string& s : items) quoted.push_back(JsonQuote(s));
  return absl::StrCat("[", absl::StrJoin(quoted, ", "), "]");
}

// The module's parameters then buffers, in registration order.
std::vector<std::pair<std::string, at::Tensor>> ModuleTensors(torch::nn::Module& module) {
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (const auto& p : module.named_parameters(/*recurse=*/true)) {
    tensors.emplace_back(p.key(), p.value());
  }
  for (const auto& b : module.named_buffers(/*recurse=*/true)) {
    tensors.emplace_back(b.key(), b.value());
  }
  return tensors;
}

// The name of the module's first convolution kernel (its first 4-D parameter), or "".
std::string FirstConvName(torch::nn::Module& module) {
  for (const auto& p : module.named_parameters(/*recurse=*/true)) {
    if (p.value().dim() == 4) return p.key();
  }
  return "";
}

// A file tensor's name as the model would call it (strip_prefix, then add_prefix).
std::string Renamed(absl::string_view name, const WeightLoadOptions& options) {
  if (!options.strip_prefix.empty()) absl::ConsumePrefix(&name, options.strip_prefix);
  return absl::StrCat(options.add_prefix, name);
}

// Plans the load and returns, per module name, the tensor to copy in (after renaming and the
// channel policy).
CoverageReport Plan(torch::nn::Module& module, const WeightFile& file,
                    const WeightLoadOptions& options, std::map<std::string, at::Tensor>* copies) {
  CoverageReport report;
  report.source = file.path;
  report.format = file.format;
  report.options = options;
  std::map<std::string, at::Tensor> by_name;
  std::vector<std::string> file_order;
  for (const NamedTensor& t : file.tensors) {
    std::string renamed = Renamed(t.name, options);
    if (by_name.emplace(renamed, t.tensor).second) {
      file_order.push_back(renamed);
    } else {  // Two file tensors under one name (after renaming): never pick one silently.
      report.mismatched.push_back(renamed);
      report.mismatch_details.push_back(absl::StrCat(
          renamed, ": the file holds two tensors of this name (after strip_prefix / add_prefix)"));
    }
  }
  const std::string first_conv = FirstConvName(module);
  for (const auto& [name, target] : ModuleTensors(module)) {
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      (Allowed(options.allow_missing, name) ? report.allowed : report.missing).push_back(name);
      continue;
    }
    at::Tensor source = it->second;
    by_name.erase(it);
    if (name == first_conv && target.dim() == 4 && source.dim() == 4 && target.size(1) == 1 &&
        source.size(1) == 3 && target.size(0) == source.size(0) &&
        target.sizes().slice(2) == source.sizes().slice(2)) {
      if (options.channel_policy == ChannelPolicy::kError) {
        report.mismatched.push_back(name);
        report.mismatch_details.push_back(absl::StrCat(
            name, ": file ", Shape(source), " (RGB) vs model ", Shape(target),
            " (1 channel); channel_policy \"error\" refuses (\"sum\" adds the RGB kernels)"));
        continue;
      }
      report.channel_adapted.push_back(
          absl::StrCat(name, ": summed RGB kernels ", Shape(source), " -> ", Shape(target)));
      source = source.sum(1, /*keepdim=*/true);
    }
    if (source.sizes() != target.sizes()) {
      report.mismatched.push_back(name);
      report.mismatch_details.push_back(
          absl::StrCat(name, ": file ", Shape(source), " vs model ", Shape(target)));
      continue;
    }
    if (source.is_floating_point() != target.is_floating_point()) {
      report.mismatched.push_back(name);
      report.mismatch_details.push_back(
          absl::StrCat(name, ": file dtype ", c10::toString(source.scalar_type()), " vs model ",
                       c10::toString(target.scalar_type())));
      continue;
    }
    report.loaded.push_back(name);
    (*copies)[name] = source;
  }
  for (const std::string& name : file_order) {
    if (by_name.count(name) == 0) continue;
    (Allowed(options.allow_unexpected, name) ? report.allowed : report.unexpected).push_back(name);
  }
  return report;
}

std::string FirstFew(const std::vector<std::string>& names) {
  constexpr size_t kShown = 12;
  std::vector<std::string> shown(names.begin(), names.begin() + std::min(names.size(), kShown));
  std::string text = absl::StrJoin(shown, ", ");
  if (names.size() > kShown) absl::StrAppend(&text, ", ... (", names.size() - kShown, " more)");
  return text;
}

}  // namespace

absl::Status ParseChannelPolicy(absl::string_view field, absl::string_view text,
                                ChannelPolicy* policy) {
  if (text == "sum") {
    *policy = ChannelPolicy::kSum;
  } else if (text == "error") {
    *policy = ChannelPolicy::kError;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": expected \"sum\" or \"error\", got \"", text, "\""));
  }
  return absl::OkStatus();
}

std::string CoverageReport::ToJson() const {
  return absl::StrCat(
      "{\n  \"source\": ", JsonQuote(source), ",\n  \"format\": ", JsonQuote(format),
      ",\n  \"ok\": ", ok() ? "true" : "false", ",\n  \"loaded\": ", JsonList(loaded),
      ",\n  \"missing\": ", JsonList(missing), ",\n  \"unexpected\": ", JsonList(unexpected),
      ",\n  \"mismatched\": ", JsonList(mismatched), ",\n  \"allowed\": ", JsonList(allowed),
      ",\n  \"mismatch_details\": ", JsonList(mismatch_details),
      ",\n  \"channel_adapted\": ", JsonList(channel_adapted),
      ",\n  \"allow_missing\": ", JsonList(options.allow_missing),
      ",\n  \"allow_unexpected\": ", JsonList(options.allow_unexpected),
      ",\n  \"strip_prefix\": ", JsonQuote(options.strip_prefix),
      ",\n  \"add_prefix\": ", JsonQuote(options.add_prefix), ",\n  \"channel_policy\": ",
      options.channel_policy == ChannelPolicy::kSum ? "\"sum\"" : "\"error\"",
      ",\n  \"counts\": {\"loaded\": ", loaded.size(), ", \"missing\": ", missing.size(),
      ", \"unexpected\": ", unexpected.size(), ", \"mismatched\": ", mismatched.size(),
      ", \"allowed\": ", allowed.size(), "}\n}\n");
}

std::string CoverageReport::Summary() const {
  std::string text =
      absl::StrCat("weights ", source, " (", format, "): ", loaded.size(), " loaded, ",
                   missing.size(), " missing, ", unexpected.size(), " unexpected, ",
                   mismatched.size(), " mismatched, ", allowed.size(), " allowed");
  if (!missing.empty()) absl::StrAppend(&text, "\n  missing: ", FirstFew(missing));
  if (!unexpected.empty()) absl::StrAppend(&text, "\n  unexpected: ", FirstFew(unexpected));
  for (const std::string& m : mismatch_details) absl::StrAppend(&text, "\n  mismatched ", m);
  if (!allowed.empty()) absl::StrAppend(&text, "\n  allowed: ", FirstFew(allowed));
  for (const std::string& c : channel_adapted) absl::StrAppend(&text, "\n  ", c);
  return text;
}

CoverageReport PlanWeightLoad(torch::nn::Module& module, const WeightFile& file,
                              const WeightLoadOptions& options) {
  std::map<std::string, at::Tensor> copies;
  return Plan(module, file, options, &copies);
}

absl::Status LoadWeightsIntoModule(torch::nn::Module& module, const std::string& path,
                                   const WeightLoadOptions& options, const std::string& report_path,
                                   CoverageReport* report_out) {
  // Only the values of tensors the module has are read; the rest (a torchvision classifier,
  // a checkpoint's decoder) are listed by name and shape for the report.
  std::set<std::string> needed;
  for (const auto& [name, target] : ModuleTensors(module)) needed.insert(name);
  GENESIS_ASSIGN_OR_RETURN(WeightFile file,
                           ReadWeightFile(path, [&](const std::string& name) {
                             return needed.count(Renamed(name, options)) > 0;
                           }));
  std::map<std::string, at::Tensor> copies;
  CoverageReport report = Plan(module, file, options, &copies);
  if (report_out != nullptr) *report_out = report;
  if (report.ok()) {
    LOG(INFO) << report.Summary();
  } else {
    LOG(ERROR) << report.Summary();
  }
  if (!report_path.empty()) {
    GENESIS_RETURN_IF_ERROR(WriteFileAtomically(report_path, report.ToJson()));
  }
  if (!report.ok()) {
    std::string problems;
    if (!report.missing.empty()) {
      absl::StrAppend(&problems, "; missing from the file: ", FirstFew(report.missing));
    }
    if (!report.unexpected.empty()) {
      absl::StrAppend(&problems, "; not in the model: ", FirstFew(report.unexpected));
    }
    if (!report.mismatch_details.empty()) {
      absl::StrAppend(&problems, "; mismatched: ", FirstFew(report.mismatch_details));
    }
    return absl::FailedPreconditionError(absl::StrCat(
        path, " (", report.format, ") does not match the model: ", report.loaded.size(),
        " tensors match", problems,
        report_path.empty() ? "" : absl::StrCat("; full report in ", report_path),
        ". Allow deliberate differences with allow_missing / allow_unexpected (names or "
        "prefixes ending in '.') or rename with strip_prefix / add_prefix"));
  }
  try {
    torch::NoGradGuard no_grad;
    for (auto& [name, target] : ModuleTensors(module)) {
      auto it = copies.find(name);
      if (it != copies.end()) target.copy_(it->second);
    }
  } catch (const c10::Error& e) {
    return absl::InternalError(
        absl::StrCat(path, ": copying weights: ", e.what_without_backtrace()));
  }
  return absl::OkStatus();
}

}  // namespace genesis
