// A small JSON value with ordered object keys, for the evaluation outputs (evaluation.json,
// `genesis auc`), and a reader of flat JSON objects (task.json, subrun.json) via protobuf's
// JSON parser.
//
//   Json out = Json::Object();
//   out.Set("auc", 0.98).Set("ci95", Json::Array({0.97, 0.99})).Set("task", "luna16");
//   std::string text = out.Dump();      // {"auc":0.98,"ci95":[0.97,0.99],"task":"luna16"}
//
// Non-finite numbers are written as null.
#ifndef GENESIS_CORE_EVAL_JSON_H_
#define GENESIS_CORE_EVAL_JSON_H_

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace genesis {

class Json {
 public:
  Json() = default;                                               // null
  Json(double v) : type_(kNumber), number_(v) {}                  // NOLINT: implicit on purpose.
  Json(int v) : Json(static_cast<double>(v)) {}                   // NOLINT
  Json(int64_t v) : Json(static_cast<double>(v)) {}               // NOLINT
  Json(uint64_t v) : Json(static_cast<double>(v)) {}              // NOLINT
  Json(bool v) : type_(kBool), bool_(v) {}                        // NOLINT
  Json(const char* v) : type_(kString), string_(v) {}             // NOLINT
  Json(std::string v) : type_(kString), string_(std::move(v)) {}  // NOLINT
  Json(absl::string_view v) : type_(kString), string_(v) {}       // NOLINT

  static Json Object() { return Json(kObject); }
  static Json Array() { return Json(kArray); }
  static Json Array(std::initializer_list<Json> items);
  static Json Null() { return Json(); }

  // Object: sets `key` (replacing an existing value, keeping its position).
  Json& Set(const std::string& key, Json value);
  // Array: appends.
  Json& Push(Json value);
  bool is_null() const { return type_ == kNull; }

  // Compact when indent < 0; otherwise pretty-printed with `indent` spaces per level.
  std::string Dump(int indent = -1) const;

 private:
  enum Type { kNull, kNumber, kBool, kString, kArray, kObject };
  explicit Json(Type type) : type_(type) {}
  void DumpTo(std::string* out, int indent, int depth) const;

  Type type_ = kNull;
  double number_ = 0;
  bool bool_ = false;
  std::string string_;
  std::vector<Json> items_;
  std::vector<std::pair<std::string, Json>> members_;
};

// A JSON number as written by Json (shortest round-trip "%.17g"-style, null when not finite).
std::string JsonNumber(double value);
std::string JsonQuote(absl::string_view text);

// The top-level members of a JSON object file as text: strings as is, numbers in their shortest
// form ("42", "0.25"), booleans "true"/"false", arrays and objects as compact JSON.
absl::StatusOr<std::map<std::string, std::string>> ReadFlatJsonObject(const std::string& path);

}  // namespace genesis

#endif  // GENESIS_CORE_EVAL_JSON_H_
