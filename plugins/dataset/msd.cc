// "msd": a Medical Segmentation Decathlon task folder -> one record per case (MSD cases are
// distinct patients). Files come from dataset.json's "training" (and "test") lists, so the
// macOS "._x.nii.gz" junk inside the tarballs is never picked up; a listed file that is missing
// is an error naming it.
//
//   corpus { dataset { source { type: "msd" options {
//     [type.googleapis.com/genesis.MsdOptions] { root: "/data/msd/Task05_Prostate" channel: 0 }
//   } } } }
//
// Record: dataset "MSD-<name>", patient_id = file stem ("liver_0"), modality from
// dataset.json "modality"[channel] (CT; T2/ADC/FLAIR/T1... -> MR), labels: channel,
// channel_name, channels (count), split ("train"/"test").

#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/dataset_source.h"
#include "core/file_util.h"
#include "core/status_macros.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "plugins/dataset/dataset_util.h"
#include "plugins/dataset/msd.pb.h"

namespace genesis {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

// MSD modality strings: "CT", or MR sequence names.
absl::StatusOr<Modality> MsdModality(absl::string_view text) {
  auto parsed = ParseModality(text);
  if (parsed.ok()) return parsed;
  const std::string lower = absl::AsciiStrToLower(text);
  for (absl::string_view mr :
       {"t1", "t2", "adc", "flair", "t1w", "t2w", "t1gd", "dwi", "mri", "pd", "swi"}) {
    if (lower == mr) return Modality::kMR;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown MSD modality '", text, "'"));
}

std::string BodyPartFor(const std::string& task_name) {
  static const auto* const kParts = new std::map<std::string, std::string>{
      {"liver", "liver"},       {"prostate", "prostate"},
      {"pancreas", "pancreas"}, {"hepaticvessel", "hepatic_vessel"},
      {"spleen", "spleen"},     {"colon", "colon"},
      {"braintumour", "brain"}, {"hippocampus", "brain"},
      {"heart", "heart"},       {"lung", "lung"}};
  auto it = kParts->find(absl::AsciiStrToLower(task_name));
  return it == kParts->end() ? absl::AsciiStrToLower(task_name) : it->second;
}

class MsdSource : public DatasetSource {
 public:
  explicit MsdSource(const MsdOptions& options) : options_(options) {}

  static absl::Status Validate(const MsdOptions& o) {
    if (o.root().empty()) return absl::InvalidArgumentError("root: must be set");
    if (o.channel() < 0) {
      return absl::InvalidArgumentError(absl::StrCat("channel: must be >= 0, got ", o.channel()));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<PatientRecord>> Scan() const override {
    const std::string& root = options_.root();
    GENESIS_RETURN_IF_ERROR(dataset::CheckDirectory(root, "root"));
    const std::string json_path = dataset::ResolvePath(root, "dataset.json");
    GENESIS_RETURN_IF_ERROR(dataset::CheckFile(json_path, "an MSD task folder needs dataset.json"));
    GENESIS_ASSIGN_OR_RETURN(std::string text, ReadFile(json_path));
    Struct json;
    google::protobuf::util::JsonParseOptions parse_options;
    parse_options.ignore_unknown_fields = true;
    auto parsed = google::protobuf::util::JsonStringToMessage(text, &json, parse_options);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(json_path, ": invalid JSON: ", parsed.message().as_string()));
    }
    const auto& fields = json.fields();

    auto name_it = fields.find("name");
    if (name_it == fields.end() || name_it->second.string_value().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(json_path, ": missing \"name\""));
    }
    const std::string task = name_it->second.string_value();

    auto modality_it = fields.find("modality");
    if (modality_it == fields.end() || !modality_it->second.has_struct_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat(json_path, ": missing \"modality\" (e.g. {\"0\": \"CT\"})"));
    }
    const auto& channels = modality_it->second.struct_value().fields();
    const std::string channel_key = absl::StrCat(options_.channel());
    auto channel_it = channels.find(channel_key);
    if (channel_it == channels.end()) {
      return absl::InvalidArgumentError(absl::StrCat("channel: ", options_.channel(), " is not in ",
                                                     json_path, " \"modality\" (", channels.size(),
                                                     " channel(s))"));
    }
    const std::string channel_name = channel_it->second.string_value();
    auto modality = MsdModality(channel_name);
    if (!modality.ok()) return Annotate(modality.status(), json_path);

    PatientRecord proto;
    proto.dataset = dataset::DatasetName(options_.name(), absl::StrCat("MSD-", task));
    proto.modality = *modality;
    proto.body_part = options_.body_part().empty() ? BodyPartFor(task) : options_.body_part();
    proto.hints.channel = options_.channel();
    proto.labels["channel_name"] = channel_name;
    proto.labels["channels"] = absl::StrCat(channels.size());

    std::vector<PatientRecord> records;
    auto add = [&](const std::string& rel, absl::string_view split) -> absl::Status {
      const std::string path = dataset::ResolvePath(root, rel);
      if (!dataset::IsFile(path)) {
        return absl::NotFoundError(
            absl::StrCat(path, ": missing (listed in ", json_path, " \"", split, "\")"));
      }
      PatientRecord record = proto;
      record.patient_id = dataset::StripExtension(path);
      record.files = {path};
      record.labels["split"] = split == "training" ? "train" : "test";
      records.push_back(std::move(record));
      return absl::OkStatus();
    };

    auto training_it = fields.find("training");
    if (training_it == fields.end() || !training_it->second.has_list_value()) {
      return absl::InvalidArgumentError(absl::StrCat(json_path, ": missing \"training\" list"));
    }
    for (const Value& entry : training_it->second.list_value().values()) {
      const auto& item = entry.struct_value().fields();
      auto image = item.find("image");
      if (image == item.end() || image->second.string_value().empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(json_path, ": a \"training\" entry has no \"image\""));
      }
      GENESIS_RETURN_IF_ERROR(add(image->second.string_value(), "training"));
    }
    if (options_.include_test()) {
      auto test_it = fields.find("test");
      if (test_it != fields.end()) {
        for (const Value& entry : test_it->second.list_value().values()) {
          // Usually a plain path; some derived releases use {"image": path}.
          std::string rel = entry.string_value();
          if (entry.has_struct_value()) {
            auto image = entry.struct_value().fields().find("image");
            if (image != entry.struct_value().fields().end()) rel = image->second.string_value();
          }
          if (rel.empty()) {
            return absl::InvalidArgumentError(
                absl::StrCat(json_path, ": a \"test\" entry is not a path"));
          }
          GENESIS_RETURN_IF_ERROR(add(rel, "test"));
        }
      }
    }
    return records;
  }

 private:
  MsdOptions options_;
};

}  // namespace

GENESIS_REGISTER_DATASET_SOURCE(MsdSource, "msd", MsdOptions,
                                "Medical Segmentation Decathlon task (dataset.json + imagesTr)");

}  // namespace genesis
