#include "core/config.h"

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/proto/plugin_spec.pb.h"
#include "core/registry.h"
#include "core/status_macros.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/reflection.h"

namespace genesis {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using google::protobuf::TextFormat;

constexpr absl::string_view kStageKind = "stage";

class CollectingErrors : public google::protobuf::io::ErrorCollector {
 public:
  explicit CollectingErrors(std::string filename) : filename_(std::move(filename)) {}
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    errors_.push_back(absl::StrCat(filename_, ":", line + 1, ":", column + 1, ": ", message));
  }
  void AddWarning(int line, google::protobuf::io::ColumnNumber column,
                  const std::string& message) override {
    errors_.push_back(
        absl::StrCat(filename_, ":", line + 1, ":", column + 1, ": warning: ", message));
  }
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::string filename_;
  std::vector<std::string> errors_;
};

class SilentErrors : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
};

// What an override's value must look like for `field`, with an example.
std::string ExpectedForm(const FieldDescriptor* field) {
  const std::string& name = field->name();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat("an integer, e.g. ", name, "=3");
    case FieldDescriptor::CPPTYPE_FLOAT:
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return absl::StrCat("a number, e.g. ", name, "=0.5");
    case FieldDescriptor::CPPTYPE_BOOL:
      return absl::StrCat("true or false, e.g. ", name, "=true");
    case FieldDescriptor::CPPTYPE_ENUM: {
      std::vector<std::string> values;
      for (int i = 0; i < field->enum_type()->value_count(); ++i) {
        values.push_back(field->enum_type()->value(i)->name());
      }
      return absl::StrCat("one of ", absl::StrJoin(values, ", "));
    }
    case FieldDescriptor::CPPTYPE_STRING:
      return absl::StrCat("a string, bare or in double quotes with escapes, e.g. ", name,
                          "=\"a b\"");
    default:
      return "a scalar value";
  }
}

bool IsPluginSpec(const FieldDescriptor* field) {
  return field->type() == FieldDescriptor::TYPE_MESSAGE &&
         field->message_type() == PluginSpec::descriptor();
}

std::string PluginKindOf(const FieldDescriptor* field) {
  return field->options().GetExtension(plugin_kind);
}

// A fresh message of the type an Any holds, looked up in the generated pool.
absl::StatusOr<std::unique_ptr<Message>> NewMessageForTypeUrl(const std::string& url) {
  absl::string_view name = url;
  if (auto slash = name.rfind('/'); slash != absl::string_view::npos) name.remove_prefix(slash + 1);
  const Descriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(std::string(name));
  if (descriptor == nullptr) {
    return absl::NotFoundError(absl::StrCat("options type '", name, "' is not linked in"));
  }
  const Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(descriptor);
  return std::unique_ptr<Message>(prototype->New());
}

// ----------------------------------------------------------------------------------------------
// Validation.

struct Location {
  int line = -1;
  int column = -1;
};

class Validator {
 public:
  explicit Validator(const ParsedExperiment& parsed) : parsed_(parsed) {}

  absl::Status Run() {
    const Experiment& e = parsed_.experiment;
    const auto* tree = &parsed_.locations;
    const Descriptor* d = Experiment::descriptor();
    if (e.name().empty() && e.output_dir().empty()) {
      Error(Loc(tree, d->FindFieldByName("name")), "name",
            "set `name` (it names the output folder runs/<name>) or `output_dir`");
    }
    if (absl::StrContains(e.name(), "/") || absl::StrContains(e.name(), "\\") ||
        e.name() == "." || absl::StrContains(e.name(), "..")) {
      Error(Loc(tree, d->FindFieldByName("name")), "name",
            absl::StrCat("must be a plain folder name (no '/', '\\' or '..'; it names "
                         "runs/<name>), got \"", e.name(), "\"; use output_dir for another place"));
    }
    if (e.num_threads() < 0) {
      Error(Loc(tree, d->FindFieldByName("num_threads")), "num_threads",
            absl::StrCat("must be >= 0 (0 = all cores), got ", e.num_threads()));
    }
    if (!ValidDevice(e.device())) {
      Error(Loc(tree, d->FindFieldByName("device")), "device",
            absl::StrCat("expected \"cpu\", \"cuda\" or \"cuda:N\", got \"", e.device(), "\""));
    }
    if (e.stage_size() == 0) {
      Error({0, 0}, "stage", "an experiment needs at least one stage");
    }
    const FieldDescriptor* stage_field = d->FindFieldByName("stage");
    for (int i = 0; i < e.stage_size(); ++i) {
      ValidateStage(e.stage(i), i, tree->GetTreeForNested(stage_field, i),
                    Loc(tree, stage_field, i));
    }
    if (errors_.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrJoin(errors_, "\n"));
  }

 private:
  static bool ValidDevice(const std::string& device) {
    if (device == "cpu" || device == "cuda") return true;
    int index;
    return absl::StartsWith(device, "cuda:") && absl::SimpleAtoi(device.substr(5), &index) &&
           index >= 0;
  }

  static Location Loc(const TextFormat::ParseInfoTree* tree, const FieldDescriptor* field,
                      int index = -1) {
    if (tree == nullptr || field == nullptr) return {};
    auto where = tree->GetLocation(field, field->is_repeated() ? index : -1);
    return {where.line, where.column};
  }

  void Error(Location loc, const std::string& path, absl::string_view message) {
    std::string prefix = parsed_.filename;
    if (loc.line >= 0) absl::StrAppend(&prefix, ":", loc.line + 1, ":", loc.column + 1);
    errors_.push_back(absl::StrCat(prefix, ": ", path, ": ", message));
  }

  // Joins a plugin's "field: message" onto the slot path as "path (type).field: message".
  void PluginError(Location loc, const std::string& path, const std::string& type,
                   absl::string_view message) {
    std::string slot = type.empty() ? path : absl::StrCat(path, " (", type, ")");
    std::pair<absl::string_view, absl::string_view> parts = absl::StrSplit(message, ": ");
    bool field_first = !parts.second.empty() && !parts.first.empty() &&
                       parts.first.find(' ') == absl::string_view::npos &&
                       parts.first.find('\'') == absl::string_view::npos;
    if (field_first) {
      Error(loc, absl::StrCat(slot, ".", parts.first), message.substr(parts.first.size() + 2));
    } else {
      Error(loc, slot, message);
    }
  }

  void ValidateStage(const Stage& stage, int index, const TextFormat::ParseInfoTree* tree,
                     Location loc) {
    const std::string path = absl::StrCat("stage[", index, "]");
    const Reflection* reflection = stage.GetReflection();
    const FieldDescriptor* kind = reflection->GetOneofFieldDescriptor(
        stage, Stage::descriptor()->FindOneofByName("kind"));
    if (kind == nullptr) {
      Error(loc, path, "empty stage: set one of corpus, pretrain, transfer, evaluate, report");
      return;
    }
    const Message& config = reflection->GetMessage(stage, kind);
    const auto* config_tree = tree ? tree->GetTreeForNested(kind, -1) : nullptr;
    Location config_loc = Loc(tree, kind);
    if (config_loc.line < 0) config_loc = loc;
    const std::string config_path = absl::StrCat(path, ".", kind->name());

    // The stage runner's own checks (cross-field rules), if a runner is linked.
    const PluginKindView* stages = PluginCatalog::Get().Find(kStageKind);
    if (stages == nullptr) {
      Error(config_loc, config_path, "no stage runners are linked into this binary");
    } else {
      PluginSpec spec;
      spec.set_type(kind->name());
      spec.mutable_options()->PackFrom(config);
      auto resolved = stages->ResolveOptions(spec);
      if (!resolved.ok()) {
        if (resolved.status().code() == absl::StatusCode::kNotFound) {
          Error(config_loc, config_path,
                absl::StrCat("stage '", kind->name(),
                             "' has no runner in this binary; linked stage runners: [",
                             absl::StrJoin(stages->Names(), ", "), "]"));
        } else {
          PluginError(config_loc, config_path, "", resolved.status().message());
        }
      }
    }
    WalkMessage(config, config_tree, config_path, config_loc);
  }

  void WalkMessage(const Message& message, const TextFormat::ParseInfoTree* tree,
                   const std::string& path, Location parent) {
    const Reflection* reflection = message.GetReflection();
    std::vector<const FieldDescriptor*> fields;
    reflection->ListFields(message, &fields);
    for (const FieldDescriptor* field : fields) {
      if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
      const int count = field->is_repeated() ? reflection->FieldSize(message, field) : 1;
      for (int i = 0; i < count; ++i) {
        const Message& child = field->is_repeated()
                                   ? reflection->GetRepeatedMessage(message, field, i)
                                   : reflection->GetMessage(message, field);
        const int tree_index = field->is_repeated() ? i : -1;
        std::string child_path = absl::StrCat(path, ".", field->name());
        if (field->is_repeated()) absl::StrAppend(&child_path, "[", i, "]");
        Location loc = Loc(tree, field, i);
        if (loc.line < 0) loc = parent;
        const auto* child_tree = tree ? tree->GetTreeForNested(field, tree_index) : nullptr;
        if (IsPluginSpec(field) && !PluginKindOf(field).empty()) {
          ValidatePlugin(static_cast<const PluginSpec&>(child), PluginKindOf(field), child_tree,
                         child_path, loc);
        } else {
          WalkMessage(child, child_tree, child_path, loc);
        }
      }
    }
  }

  void ValidatePlugin(const PluginSpec& spec, const std::string& kind,
                      const TextFormat::ParseInfoTree* tree, const std::string& path,
                      Location loc) {
    const PluginKindView* view = PluginCatalog::Get().Find(kind);
    if (view == nullptr) {
      Error(loc, path, absl::StrCat("plugin kind '", kind, "' is not linked into this binary"));
      return;
    }
    const Descriptor* d = PluginSpec::descriptor();
    Location type_loc = Loc(tree, d->FindFieldByName("type"));
    Location options_loc = Loc(tree, d->FindFieldByName("options"));
    auto resolved = view->ResolveOptions(spec);
    if (resolved.ok()) return;
    const bool about_name = resolved.status().code() == absl::StatusCode::kNotFound ||
                            spec.type().empty();
    Location where = about_name ? type_loc : options_loc;
    if (where.line < 0) where = type_loc;
    if (where.line < 0) where = loc;
    PluginError(where, path, spec.type(), resolved.status().message());
  }

  const ParsedExperiment& parsed_;
  std::vector<std::string> errors_;
};

// ----------------------------------------------------------------------------------------------
// Resolution (defaults written out).

void SetScalarDefault(Message* message, const FieldDescriptor* field) {
  const Reflection* r = message->GetReflection();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      r->SetInt32(message, field, field->default_value_int32());
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      r->SetInt64(message, field, field->default_value_int64());
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      r->SetUInt32(message, field, field->default_value_uint32());
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      r->SetUInt64(message, field, field->default_value_uint64());
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      r->SetDouble(message, field, field->default_value_double());
      break;
    case FieldDescriptor::CPPTYPE_FLOAT:
      r->SetFloat(message, field, field->default_value_float());
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      r->SetBool(message, field, field->default_value_bool());
      break;
    case FieldDescriptor::CPPTYPE_ENUM:
      r->SetEnum(message, field, field->default_value_enum());
      break;
    case FieldDescriptor::CPPTYPE_STRING:
      r->SetString(message, field, field->default_value_string());
      break;
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
}

absl::Status FillDefaults(Message* message, int depth);

absl::Status ResolvePlugin(PluginSpec* spec, const std::string& kind) {
  const PluginKindView* view = PluginCatalog::Get().Find(kind);
  if (view == nullptr) return absl::NotFoundError(absl::StrCat("kind '", kind, "' not linked"));
  GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<Message> options, view->ResolveOptions(*spec));
  GENESIS_RETURN_IF_ERROR(FillDefaults(options.get(), 0));
  spec->mutable_options()->PackFrom(*options);
  return absl::OkStatus();
}

absl::Status FillDefaults(Message* message, int depth) {
  if (depth > 16) return absl::InternalError("config nesting deeper than 16 levels");
  const Descriptor* d = message->GetDescriptor();
  const Reflection* r = message->GetReflection();
  if (d->full_name() == "google.protobuf.Any") return absl::OkStatus();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* field = d->field(i);
    const bool in_oneof = field->containing_oneof() != nullptr;
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
      if (!field->is_repeated() && !in_oneof && !r->HasField(*message, field) &&
          field->has_presence()) {
        SetScalarDefault(message, field);
      }
      continue;
    }
    const std::string kind = IsPluginSpec(field) ? PluginKindOf(field) : "";
    if (field->is_repeated()) {
      for (int j = 0; j < r->FieldSize(*message, field); ++j) {
        Message* child = r->MutableRepeatedMessage(message, field, j);
        if (!kind.empty()) {
          GENESIS_RETURN_IF_ERROR(ResolvePlugin(static_cast<PluginSpec*>(child), kind));
        } else {
          GENESIS_RETURN_IF_ERROR(FillDefaults(child, depth + 1));
        }
      }
      continue;
    }
    const bool present = r->HasField(*message, field);
    if (!present && (in_oneof || IsPluginSpec(field) ||
                     field->message_type()->full_name() == "google.protobuf.Any")) {
      continue;  // Unset plugin slots and other oneof members stay unset.
    }
    Message* child = r->MutableMessage(message, field);
    if (!kind.empty()) {
      GENESIS_RETURN_IF_ERROR(ResolvePlugin(static_cast<PluginSpec*>(child), kind));
    } else {
      GENESIS_RETURN_IF_ERROR(FillDefaults(child, depth + 1));
    }
  }
  return absl::OkStatus();
}

// ----------------------------------------------------------------------------------------------
// Overrides.

struct PathStep {
  std::string name;
  int index = -1;
};

absl::StatusOr<std::vector<PathStep>> ParsePath(absl::string_view path) {
  std::vector<PathStep> steps;
  for (absl::string_view token : absl::StrSplit(path, '.')) {
    PathStep step;
    auto bracket = token.find('[');
    if (bracket != absl::string_view::npos) {
      if (token.back() != ']' ||
          !absl::SimpleAtoi(token.substr(bracket + 1, token.size() - bracket - 2), &step.index) ||
          step.index < 0) {
        return absl::InvalidArgumentError(absl::StrCat("bad index in '", token, "'"));
      }
      token = token.substr(0, bracket);
    }
    if (token.empty()) return absl::InvalidArgumentError(absl::StrCat("empty field in '", path, "'"));
    step.name = std::string(token);
    steps.push_back(step);
  }
  return steps;
}

// label_fractions=[0.1, 1]: replaces the list (textproto list syntax; [] clears it).
absl::Status SetRepeatedScalarList(Message* message, const FieldDescriptor* field,
                                   const std::string& value) {
  const std::string text = absl::StrCat(field->name(), ": ", value);
  std::unique_ptr<Message> parsed(message->New());
  TextFormat::Parser parser;
  SilentErrors silent;
  parser.RecordErrorsTo(&silent);
  if (value.empty() || value.front() != '[' || !parser.ParseFromString(text, parsed.get())) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", value, "' is not a list for ", field->name(), ": expected [v1, v2, ...] of ",
                     ExpectedForm(field), " ([] clears it)"));
  }
  message->GetReflection()->ClearField(message, field);
  message->MergeFrom(*parsed);  // `parsed` holds this field only: appends its elements.
  return absl::OkStatus();
}

// label_fractions[1]=0.5 sets element 1; an index equal to the size appends.
absl::Status SetRepeatedScalarElement(Message* message, const FieldDescriptor* field, int index,
                                      const std::string& value) {
  std::unique_ptr<Message> parsed(message->New());
  TextFormat::Parser parser;
  SilentErrors silent;
  parser.RecordErrorsTo(&silent);
  std::string text = value;
  const bool quoted = value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
                      value.back() == value.front();
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING && !quoted) {
    text = absl::StrCat("\"", absl::CEscape(value), "\"");
  }
  if (!parser.ParseFieldValueFromString(text, field, parsed.get())) {
    return absl::InvalidArgumentError(absl::StrCat("'", value, "' is not a valid value for ",
                                                   field->name(), ": expected ",
                                                   ExpectedForm(field)));
  }
  const Reflection* r = message->GetReflection();
  const int size = r->FieldSize(*message, field);
  message->MergeFrom(*parsed);  // Appended as element `size`.
  if (index < size) {
    r->SwapElements(message, field, index, size);
    r->RemoveLast(message, field);
  }
  return absl::OkStatus();
}

absl::Status ApplyAt(Message* message, const std::vector<PathStep>& steps, size_t at,
                     const std::string& value) {
  const PathStep& step = steps[at];
  const Descriptor* d = message->GetDescriptor();
  const Reflection* r = message->GetReflection();
  if (d->full_name() == "google.protobuf.Any") {
    // Reach into plugin options: unpack, edit, repack.
    auto* any = static_cast<google::protobuf::Any*>(message);
    std::unique_ptr<Message> options;
    if (!any->type_url().empty()) {
      GENESIS_ASSIGN_OR_RETURN(options, NewMessageForTypeUrl(any->type_url()));
      if (!any->UnpackTo(options.get())) {
        return absl::InvalidArgumentError("plugin options do not unpack");
      }
    } else {
      return absl::InvalidArgumentError(
          "cannot override inside empty plugin options: give the options type in the file");
    }
    GENESIS_RETURN_IF_ERROR(ApplyAt(options.get(), steps, at, value));
    any->PackFrom(*options);
    return absl::OkStatus();
  }
  const FieldDescriptor* field = d->FindFieldByName(step.name);
  if (field == nullptr) {
    std::vector<std::string> names;
    for (int i = 0; i < d->field_count(); ++i) names.push_back(d->field(i)->name());
    return absl::InvalidArgumentError(absl::StrCat(d->name(), " has no field '", step.name,
                                                   "'; fields: ", absl::StrJoin(names, ", ")));
  }
  const bool last = at + 1 == steps.size();
  const bool scalar = field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE;
  // A whole repeated scalar list: label_fractions=[0.1, 1] (and =[] clears it).
  if (field->is_repeated() && scalar && last && step.index < 0) {
    return SetRepeatedScalarList(message, field, value);
  }
  if (field->is_repeated() && step.index < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", step.name, "' is repeated: give an index, e.g. ", step.name, "[0]",
        scalar ? absl::StrCat(", or a whole list, e.g. ", step.name, "=[1, 2]") : ""));
  }
  if (!field->is_repeated() && step.index >= 0) {
    return absl::InvalidArgumentError(absl::StrCat("'", step.name, "' is not repeated"));
  }
  // An index one past the end appends (a seed, a label fraction, an initializer).
  const int size = field->is_repeated() ? r->FieldSize(*message, field) : 0;
  if (field->is_repeated() && step.index > size) {
    return absl::InvalidArgumentError(absl::StrCat("'", step.name, "[", step.index, "]': only ",
                                                   size, " element(s); [", size,
                                                   "] appends one"));
  }
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    if (last) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", step.name, "' is a message; override one of its fields"));
    }
    Message* child = !field->is_repeated()  ? r->MutableMessage(message, field)
                     : step.index == size ? r->AddMessage(message, field)
                                          : r->MutableRepeatedMessage(message, field, step.index);
    return ApplyAt(child, steps, at + 1, value);
  }
  if (!last) return absl::InvalidArgumentError(absl::StrCat("'", step.name, "' is not a message"));
  if (field->is_repeated()) {
    return SetRepeatedScalarElement(message, field, step.index, value);
  }
  // Strings may be given bare (output_dir=/tmp/x) or quoted (name="a b", with escapes).
  const bool quoted = value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
                      value.back() == value.front();
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING && !quoted) {
    r->SetString(message, field, value);
    return absl::OkStatus();
  }
  TextFormat::Parser parser;
  SilentErrors silent;  // The message below says it all; no protobuf "1:1: ..." on stderr.
  parser.RecordErrorsTo(&silent);
  if (!parser.ParseFieldValueFromString(value, field, message)) {
    return absl::InvalidArgumentError(absl::StrCat("'", value, "' is not a valid value for ",
                                                   field->name(), ": expected ",
                                                   ExpectedForm(field)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ParseExperimentText(const std::string& text, const std::string& filename,
                                 ParsedExperiment* parsed) {
  parsed->filename = filename;
  parsed->experiment.Clear();
  CollectingErrors errors(filename);
  TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(&parsed->locations);
  if (!parser.ParseFromString(text, &parsed->experiment) || !errors.errors().empty()) {
    std::vector<std::string> all = errors.errors();
    if (all.empty()) all.push_back(absl::StrCat(filename, ": could not parse"));
    return absl::InvalidArgumentError(absl::StrJoin(all, "\n"));
  }
  return absl::OkStatus();
}

absl::Status ParseExperimentFile(const std::string& path, ParsedExperiment* parsed) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open experiment file"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseExperimentText(buffer.str(), path, parsed);
}

absl::Status ApplyOverride(const std::string& assignment, google::protobuf::Message* message) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("override '", assignment, "': expected path=value, e.g. seed=3"));
  }
  const std::string path = assignment.substr(0, eq);
  std::string value = assignment.substr(eq + 1);
  auto steps = ParsePath(path);
  if (!steps.ok()) return Annotate(steps.status(), absl::StrCat("override '", assignment, "'"));
  return Annotate(ApplyAt(message, *steps, 0, value),
                  absl::StrCat("override '", assignment, "'"));
}

absl::Status ValidateExperiment(const ParsedExperiment& parsed) {
  return Validator(parsed).Run();
}

absl::StatusOr<Experiment> ResolveExperiment(const Experiment& experiment) {
  Experiment resolved = experiment;
  GENESIS_RETURN_IF_ERROR(FillDefaults(&resolved, 0));
  if (resolved.output_dir().empty()) resolved.set_output_dir(absl::StrCat("runs/", resolved.name()));
  return resolved;
}

std::string ExperimentToText(const Experiment& experiment) {
  TextFormat::Printer printer;
  printer.SetExpandAny(true);
  std::string text;
  printer.PrintToString(experiment, &text);
  return text;
}

absl::StatusOr<Experiment> LoadExperiment(const std::string& path,
                                          const std::vector<std::string>& overrides) {
  ParsedExperiment parsed;
  GENESIS_RETURN_IF_ERROR(ParseExperimentFile(path, &parsed));
  for (const std::string& assignment : overrides) {
    GENESIS_RETURN_IF_ERROR(ApplyOverride(assignment, &parsed.experiment));
  }
  GENESIS_RETURN_IF_ERROR(ValidateExperiment(parsed));
  return ResolveExperiment(parsed.experiment);
}

namespace {

void CollectInputPaths(const Message& message, std::vector<std::string>* out) {
  const Descriptor* d = message.GetDescriptor();
  const Reflection* r = message.GetReflection();
  if (d->full_name() == "google.protobuf.Any") {
    const auto& any = static_cast<const google::protobuf::Any&>(message);
    if (any.type_url().empty()) return;
    auto options = NewMessageForTypeUrl(any.type_url());
    if (options.ok() && any.UnpackTo(options->get())) CollectInputPaths(**options, out);
    return;
  }
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING && f->options().GetExtension(input_path)) {
      if (f->is_repeated()) {
        for (int k = 0; k < r->FieldSize(message, f); ++k) {
          std::string v = r->GetRepeatedString(message, f, k);
          if (!v.empty()) out->push_back(std::move(v));
        }
      } else if (r->HasField(message, f) && !r->GetString(message, f).empty()) {
        out->push_back(r->GetString(message, f));
      }
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int k = 0; k < r->FieldSize(message, f); ++k) {
          CollectInputPaths(r->GetRepeatedMessage(message, f, k), out);
        }
      } else if (r->HasField(message, f)) {
        CollectInputPaths(r->GetMessage(message, f), out);
      }
    }
  }
}

}  // namespace

std::vector<std::string> InputPaths(const Message& message) {
  std::vector<std::string> out;
  CollectInputPaths(message, &out);
  return out;
}

}  // namespace genesis
