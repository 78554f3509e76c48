#include "core/registry.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "glog/logging.h"

namespace genesis {

PluginCatalog& PluginCatalog::Get() {
  static PluginCatalog* const catalog = new PluginCatalog();
  return *catalog;
}

void PluginCatalog::AddKind(const PluginKindView* view) {
  absl::MutexLock lock(&mu_);
  kinds_.emplace(std::string(view->kind()), view);
}

const PluginKindView* PluginCatalog::Find(absl::string_view kind) const {
  absl::MutexLock lock(&mu_);
  auto it = kinds_.find(kind);
  return it == kinds_.end() ? nullptr : it->second;
}

std::vector<const PluginKindView*> PluginCatalog::Kinds() const {
  absl::MutexLock lock(&mu_);
  std::vector<const PluginKindView*> kinds;
  for (const auto& [name, view] : kinds_) kinds.push_back(view);
  return kinds;
}

namespace internal {

absl::Status UnknownPluginError(absl::string_view kind, absl::string_view name,
                                const std::vector<std::string>& known, absl::string_view target) {
  if (name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "missing `type`: name a ", kind, " (known: ",
        known.empty() ? "none linked" : absl::StrJoin(known, ", "), ")"));
  }
  return absl::NotFoundError(absl::StrCat(
      "no ", kind, " named '", name, "'; known ", kind, " plugins: [",
      absl::StrJoin(known, ", "), "]. A plugin outside this list must be linked in: depend on ",
      target, " (plugin libraries are alwayslink)"));
}

absl::StatusOr<std::unique_ptr<google::protobuf::Message>> UnpackOptions(
    absl::string_view kind, const PluginSpec& spec, const google::protobuf::Message& prototype) {
  std::unique_ptr<google::protobuf::Message> options(prototype.New());
  if (!spec.has_options() || spec.options().type_url().empty()) return options;
  const std::string& url = spec.options().type_url();
  const std::string& expected = prototype.GetDescriptor()->full_name();
  absl::string_view got = url;
  if (auto slash = got.rfind('/'); slash != absl::string_view::npos) got.remove_prefix(slash + 1);
  if (got != expected) {
    return absl::InvalidArgumentError(absl::StrCat("options of ", kind, " '", spec.type(),
                                                   "' must be [type.googleapis.com/", expected,
                                                   "], got [", url, "]"));
  }
  if (!spec.options().UnpackTo(options.get())) {
    return absl::InvalidArgumentError(absl::StrCat("options of ", kind, " '", spec.type(),
                                                   "' do not parse as ", expected));
  }
  return options;
}

void DieOnDuplicate(absl::string_view kind, absl::string_view name, absl::string_view first_file,
                    absl::string_view second_file) {
  LOG(FATAL) << "duplicate " << kind << " plugin '" << name << "': registered in " << first_file
             << " and again in " << second_file << "; plugin names must be unique per kind";
  std::abort();
}

}  // namespace internal
}  // namespace genesis
