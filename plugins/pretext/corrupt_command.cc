// `genesis corrupt`: regenerates one corrupted training sample exactly, from (seed, epoch,
// index) -- the numbers the trainer derives its RandomStream(seed, kPretext, epoch, index)
// from -- and writes the pair as 8-bit PNGs: <out>_original.png (the restoration target, i.e.
// the original, flipped when a flip fired) and <out>_corrupted.png (the network's input).
// Running it twice writes identical files.
//
//   genesis corrupt seed=1 epoch=0 index=3 out=/tmp/s3               # Shepp-Logan phantom
//   genesis corrupt slice.png pretext=local_shuffle out=/tmp/shuffled --size 128
//   genesis corrupt pretext=genesis options='painting { in_painting_share: 1 }' out=/tmp/in
//
// Arguments are key=value words (absl parses flags globally, so the command keeps its own
// names out of the flag namespace); the one word without '=' is the input image (any
// OpenCV-readable grayscale or colour image; 8-bit / 255, 16-bit / 65535). `size=N` (or the
// shared `--size N` flag of `genesis bench`, when set to a non-default value) resizes the
// input to N x N; without an input a synthetic N x N phantom (default 224) is used.

#include <iostream>
#include <map>
#include <memory>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "absl/flags/reflection.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/command.h"
#include "core/file_util.h"
#include "core/pretext_task.h"
#include "core/random.h"
#include "core/status_macros.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/message.h"
#include "google/protobuf/text_format.h"
#include "plugins/pretext/genesis.h"
#include "plugins/pretext/phantom.h"

namespace genesis {
namespace {

constexpr char kUsage[] =
    "usage: genesis corrupt [IMAGE] [seed=S] [epoch=E] [index=I] [pretext=NAME] "
    "[options=TEXTPROTO] [size=N] [out=PREFIX]";

struct CorruptArgs {
  std::string image;  // Empty: the phantom.
  uint64_t seed = 0, epoch = 0, index = 0;
  std::string pretext = "genesis";
  std::string options;  // Text format of the plugin's options message.
  int64_t size = 0;     // 0: the image's own size (phantom: 224).
  std::string out = "corrupt";
};

absl::StatusOr<CorruptArgs> ParseArgs(const std::vector<std::string>& args) {
  CorruptArgs parsed;
  for (const std::string& arg : args) {
    const size_t eq = arg.find('=');
    if (eq == std::string::npos) {
      if (!parsed.image.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("two input images given: '", parsed.image, "' and '", arg, "'"));
      }
      parsed.image = arg;
      continue;
    }
    const std::string key = arg.substr(0, eq), value = arg.substr(eq + 1);
    auto number = [&](auto* field) -> absl::Status {
      if (!absl::SimpleAtoi(value, field)) {
        return absl::InvalidArgumentError(
            absl::StrCat(key, ": expected a non-negative integer, got '", value, "'"));
      }
      return absl::OkStatus();
    };
    if (key == "seed") {
      GENESIS_RETURN_IF_ERROR(number(&parsed.seed));
    } else if (key == "epoch") {
      GENESIS_RETURN_IF_ERROR(number(&parsed.epoch));
    } else if (key == "index") {
      GENESIS_RETURN_IF_ERROR(number(&parsed.index));
    } else if (key == "size") {
      GENESIS_RETURN_IF_ERROR(number(&parsed.size));
      if (parsed.size < 8 || parsed.size > 8192) {
        return absl::InvalidArgumentError(
            absl::StrCat("size: must be in [8, 8192], got ", value));
      }
    } else if (key == "pretext") {
      parsed.pretext = value;
    } else if (key == "options") {
      parsed.options = value;
    } else if (key == "out") {
      parsed.out = value;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown argument '", key, "' (known: seed, epoch, index, pretext, options, size, out)"));
    }
  }
  if (parsed.size == 0) {  // The shared --size flag of `genesis bench`, when linked and set.
    if (const absl::CommandLineFlag* flag = absl::FindCommandLineFlag("size");
        flag != nullptr && flag->CurrentValue() != flag->DefaultValue()) {
      int64_t size = 0;
      if (absl::SimpleAtoi(flag->CurrentValue(), &size) && size >= 8 && size <= 8192) parsed.size = size;
    }
  }
  return parsed;
}

absl::StatusOr<Slice> LoadImage(const std::string& path, int64_t size) {
  if (path.empty()) return SheppLoganPhantom(size > 0 ? size : 224);
  cv::Mat mat;
  try {
    mat = cv::imread(path, cv::IMREAD_GRAYSCALE | cv::IMREAD_ANYDEPTH);
  } catch (const cv::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": cannot decode image: ", e.what()));
  }
  if (mat.empty()) {
    return absl::NotFoundError(absl::StrCat(path, ": not found or not a readable image"));
  }
  double scale = 1.0;
  switch (mat.depth()) {
    case CV_8U:
      scale = 1.0 / 255;
      break;
    case CV_16U:
      scale = 1.0 / 65535;
      break;
    case CV_32F:
    case CV_64F:
      scale = 1.0;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": unsupported pixel depth ", mat.depth()));
  }
  cv::Mat converted;
  mat.convertTo(converted, CV_32F, scale);
  if (size > 0 && (converted.rows != size || converted.cols != size)) {
    cv::Mat resized;
    cv::resize(converted, resized, cv::Size(size, size), 0, 0, cv::INTER_AREA);
    converted = resized;
  }
  Slice image(converted.cols, converted.rows);
  for (int r = 0; r < converted.rows; ++r) {
    const float* row = converted.ptr<float>(r);
    for (int c = 0; c < converted.cols; ++c) {
      image.at(c, r) = std::min(1.0f, std::max(0.0f, row[c]));
    }
  }
  return image;
}

absl::Status WritePng(const Slice& image, const std::string& path) {
  cv::Mat mat(static_cast<int>(image.height), static_cast<int>(image.width), CV_8UC1);
  for (int64_t r = 0; r < image.height; ++r) {
    uint8_t* row = mat.ptr<uint8_t>(static_cast<int>(r));
    for (int64_t c = 0; c < image.width; ++c) {
      const float v = std::min(1.0f, std::max(0.0f, image.at(c, r)));
      row[c] = static_cast<uint8_t>(v * 255.0f + 0.5f);
    }
  }
  try {
    std::vector<unsigned char> png;
    if (!cv::imencode(".png", mat, png)) {
      return absl::InternalError(absl::StrCat(path, ": cannot encode PNG"));
    }
    GENESIS_RETURN_IF_ERROR(WriteFileAtomically(
        path, absl::string_view(reinterpret_cast<const char*>(png.data()), png.size())));
  } catch (const cv::Exception& e) {
    return absl::InternalError(absl::StrCat(path, ": cannot write PNG: ", e.what()));
  }
  return absl::OkStatus();
}

// The pretext plugin's options message: its defaults, overridden by `text`.
absl::StatusOr<std::unique_ptr<google::protobuf::Message>> ParseOptions(const std::string& pretext,
                                                                        const std::string& text) {
  const PluginKindView* kind = PluginCatalog::Get().Find(PretextTask::kKind);
  std::string type;
  if (kind != nullptr) {
    for (const PluginInfo& info : kind->Plugins()) {
      if (info.name == pretext) type = info.options_type;
    }
  }
  if (type.empty()) {
    return internal::UnknownPluginError(PretextTask::kKind, pretext,
                                        Registry<PretextTask>::Get().Names(), PretextTask::kTarget);
  }
  const google::protobuf::Descriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(type);
  if (descriptor == nullptr) {
    return absl::InternalError(absl::StrCat("options type ", type, " is not linked"));
  }
  std::unique_ptr<google::protobuf::Message> options(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(descriptor)->New());
  if (!google::protobuf::TextFormat::ParseFromString(text, options.get())) {
    return absl::InvalidArgumentError(absl::StrCat("options: cannot parse '", text, "' as ", type));
  }
  return options;
}

std::string Describe(const GenesisTrace& t) {
  const char* nonlinear[] = {"none", "increasing", "inverted"};
  const char* painting[] = {"none", "in", "out"};
  return absl::StrCat("flips=", t.flips, " local_shuffle=", t.shuffled ? "yes" : "no",
                      " nonlinear=", nonlinear[static_cast<int>(t.nonlinear)],
                      " painting=", painting[static_cast<int>(t.painting)]);
}

absl::Status Corrupt(const CorruptArgs& args) {
  GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<google::protobuf::Message> options,
                           ParseOptions(args.pretext, args.options));
  GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<PretextTask> task,
                           Registry<PretextTask>::Get().Create(args.pretext, *options));
  GENESIS_ASSIGN_OR_RETURN(Slice original, LoadImage(args.image, args.size));
  Slice input = original, target = original;
  RandomStream rng(args.seed, RandomStream::kPretext, args.epoch, args.index);
  std::string what;
  if (args.pretext == "genesis") {  // Same random draws as the plugin, plus a trace.
    GenesisTrace trace;
    ApplyGenesis(static_cast<const GenesisOptions&>(*options), input, target, rng, &trace);
    what = absl::StrCat(" (", Describe(trace), ")");
  } else {
    task->Apply(input, target, rng);
  }
  const std::string original_path = args.out + "_original.png";
  const std::string corrupted_path = args.out + "_corrupted.png";
  GENESIS_RETURN_IF_ERROR(WritePng(target, original_path));
  GENESIS_RETURN_IF_ERROR(WritePng(input, corrupted_path));
  std::cout << "wrote " << original_path << " and " << corrupted_path << ": " << input.width << "x"
            << input.height << " " << (args.image.empty() ? "phantom" : args.image) << ", pretext "
            << args.pretext << ", seed " << args.seed << " epoch " << args.epoch << " index "
            << args.index << what << "\n";
  return absl::OkStatus();
}

int CorruptMain(const std::vector<std::string>& args) {
  auto parsed = ParseArgs(args);
  if (!parsed.ok()) {
    std::cerr << "genesis corrupt: " << parsed.status().message() << "\n" << kUsage << "\n";
    return 2;
  }
  absl::Status status = Corrupt(*parsed);
  if (!status.ok()) {
    std::cerr << "genesis corrupt: " << status.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace genesis

GENESIS_REGISTER_COMMAND(
    "corrupt",
    "[IMAGE] [seed=S] [epoch=E] [index=I] [pretext=genesis] [options=TEXTPROTO] [size=N] "
    "[out=PREFIX]  write <out>_original.png / <out>_corrupted.png of one replayable sample "
    "(no IMAGE: a Shepp-Logan phantom)",
    &genesis::CorruptMain);
