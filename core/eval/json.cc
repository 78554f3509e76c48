#include "core/eval/json.h"

#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/file_util.h"
#include "core/status_macros.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace genesis {

Json Json::Array(std::initializer_list<Json> items) {
  Json out(kArray);
  out.items_.assign(items.begin(), items.end());
  return out;
}

Json& Json::Set(const std::string& key, Json value) {
  for (auto& [k, v] : members_) {
    if (k == key) {
      v = std::move(value);
      return *this;
    }
  }
  members_.emplace_back(key, std::move(value));
  return *this;
}

Json& Json::Push(Json value) {
  items_.push_back(std::move(value));
  return *this;
}

std::string JsonNumber(double value) {
  if (!std::isfinite(value)) return "null";
  if (value == 0) return "0";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return absl::StrFormat("%.0f", value);
  }
  // The shortest of %.12g .. %.17g that reads back exactly.
  for (int precision : {12, 15, 16, 17}) {
    std::string text = absl::StrFormat("%.*g", precision, value);
    if (std::strtod(text.c_str(), nullptr) == value) return text;
  }
  return absl::StrFormat("%.17g", value);
}

std::string JsonQuote(absl::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string Json::Dump(int indent) const {
  std::string out;
  DumpTo(&out, indent, 0);
  return out;
}

void Json::DumpTo(std::string* out, int indent, int depth) const {
  auto newline = [&](int d) {
    if (indent >= 0) absl::StrAppend(out, "\n", std::string(indent * d, ' '));
  };
  switch (type_) {
    case kNull:
      *out += "null";
      return;
    case kNumber:
      *out += JsonNumber(number_);
      return;
    case kBool:
      *out += bool_ ? "true" : "false";
      return;
    case kString:
      *out += JsonQuote(string_);
      return;
    case kArray: {
      // Arrays of scalars stay on one line.
      bool scalars = true;
      for (const Json& item : items_) scalars &= item.type_ != kArray && item.type_ != kObject;
      *out += "[";
      for (size_t i = 0; i < items_.size(); ++i) {
        if (i > 0) *out += scalars && indent >= 0 ? ", " : ",";
        if (!scalars) newline(depth + 1);
        items_[i].DumpTo(out, indent, depth + 1);
      }
      if (!scalars && !items_.empty()) newline(depth);
      *out += "]";
      return;
    }
    case kObject: {
      *out += "{";
      for (size_t i = 0; i < members_.size(); ++i) {
        if (i > 0) *out += ",";
        newline(depth + 1);
        absl::StrAppend(out, JsonQuote(members_[i].first), indent >= 0 ? ": " : ":");
        members_[i].second.DumpTo(out, indent, depth + 1);
      }
      if (!members_.empty()) newline(depth);
      *out += "}";
      return;
    }
  }
}

absl::StatusOr<std::map<std::string, std::string>> ReadFlatJsonObject(const std::string& path) {
  GENESIS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  google::protobuf::Struct parsed;
  const auto status = google::protobuf::util::JsonStringToMessage(text, &parsed);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a JSON object: ", status.message().ToString()));
  }
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : parsed.fields()) {
    switch (value.kind_case()) {
      case google::protobuf::Value::kStringValue:
        out[key] = value.string_value();
        break;
      case google::protobuf::Value::kNumberValue:
        out[key] = JsonNumber(value.number_value());
        break;
      case google::protobuf::Value::kBoolValue:
        out[key] = value.bool_value() ? "true" : "false";
        break;
      case google::protobuf::Value::kNullValue:
        out[key] = "";
        break;
      default: {
        std::string json;
        google::protobuf::util::MessageToJsonString(value, &json);
        out[key] = json;
      }
    }
  }
  return out;
}

}  // namespace genesis
