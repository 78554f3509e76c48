// Loading a weight file into a torch::nn::Module with a coverage report, so a silent partial
// load is impossible.
//
//   WeightLoadOptions options;
//   options.allow_unexpected = {"classifier."};  // vgg16_bn's head is not part of the encoder
//   GENESIS_RETURN_IF_ERROR(
//       LoadWeightsIntoModule(*net.encoder(), "vgg16_bn.pth", options, "run/coverage.json"));
//
// Every parameter and buffer of the module is matched by name with the file's tensors:
// loaded (same name and shape), missing (in the module, not in the file), unexpected (in the
// file, not in the module) or mismatched (shape, or floating vs integer). Missing and
// unexpected names the options allow are listed under "allowed" instead; anything else left
// fails the load, and then the module is left untouched. The report is logged and, when a path
// is given, written as JSON:
//   {"source": ..., "format": ..., "ok": true|false,
//    "loaded": [...], "missing": [...], "unexpected": [...], "mismatched": [...],
//    "allowed": [...], "mismatch_details": [...], "channel_adapted": [...],
//    "allow_missing": [...], "allow_unexpected": [...], "strip_prefix": ..., "add_prefix": ...,
//    "counts": {"loaded": N, "missing": N, "unexpected": N, "mismatched": N, "allowed": N}}
//
// Names are never rewritten silently: `strip_prefix` ("module." of a DataParallel save,
// "encoder." of a Genesis checkpoint) and `add_prefix` ("features." for a scripted
// vgg16_bn().features) are explicit options, recorded in the report.
//
// 1 -> 3 channel policy. When the module's first convolution (its first 4-D parameter:
// vgg16_bn "features.0.weight", resnet50 "conv1.weight") takes 1 input channel and the file's
// kernel takes 3 (ImageNet RGB), channel_policy kSum loads the sum of the RGB kernels (a grey
// image g then gives exactly what the RGB network gives for (g, g, g)); kError refuses. A
// 3-channel module loads RGB weights as they are (the caller repeats the grey channel).
#ifndef GENESIS_CORE_WEIGHTS_WEIGHT_LOADER_H_
#define GENESIS_CORE_WEIGHTS_WEIGHT_LOADER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/weights/weight_file.h"

namespace torch {
namespace nn {
class Module;
}  // namespace nn
}  // namespace torch

namespace genesis {

enum class ChannelPolicy { kSum, kError };

// "sum" / "error" -> policy; InvalidArgument naming `field` otherwise.
absl::Status ParseChannelPolicy(absl::string_view field, absl::string_view text,
                                ChannelPolicy* policy);

struct WeightLoadOptions {
  // Exact names, or prefixes ending in '.' ("classifier." allows every name under it).
  std::vector<std::string> allow_missing;
  std::vector<std::string> allow_unexpected;
  std::string strip_prefix;  // Removed from file names that start with it.
  std::string add_prefix;    // Then prepended to every file name.
  ChannelPolicy channel_policy = ChannelPolicy::kSum;
};

struct CoverageReport {
  std::string source;
  std::string format;
  std::vector<std::string> loaded, missing, unexpected, mismatched, allowed;
  std::vector<std::string> mismatch_details;  // "name: file [64, 3, 3, 3] vs model [...]".
  std::vector<std::string> channel_adapted;   // "name: summed RGB kernels [..] -> [..]".
  WeightLoadOptions options;

  bool ok() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  std::string ToJson() const;
  // A few lines for the log: counts, then every problem name.
  std::string Summary() const;
};

// Matches `file`'s tensors against `module` without changing it.
CoverageReport PlanWeightLoad(torch::nn::Module& module, const WeightFile& file,
                              const WeightLoadOptions& options);

// Reads `path` (any format of weight_file.h), plans, logs the report, writes it as JSON to
// `report_path` (when not empty) and -- only when the report is ok -- copies the tensors into
// the module. A failed load returns FailedPrecondition naming the offending tensors and the
// report file. `report` (optional) receives the report in both cases.
absl::Status LoadWeightsIntoModule(torch::nn::Module& module, const std::string& path,
                                   const WeightLoadOptions& options, const std::string& report_path,
                                   CoverageReport* report = nullptr);

}  // namespace genesis

#endif  // GENESIS_CORE_WEIGHTS_WEIGHT_LOADER_H_
