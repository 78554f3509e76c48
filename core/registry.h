// The plugin registry: one generic template, one instance per plugin kind.
//
// A plugin kind is an abstract base class that declares three constants:
//
//   class PretextTask {
//    public:
//     static constexpr absl::string_view kKind = "pretext_task";
//     static constexpr absl::string_view kTarget = "//plugins/pretext:all";
//     static constexpr absl::string_view kKindDescription = "corrupts a slice ...";
//     virtual ~PretextTask() = default;
//     ...
//   };
//
// A plugin derives from it, takes its options message in an explicit constructor (or offers
// `static absl::StatusOr<std::unique_ptr<Plugin>> Create(const Options&)`), may offer
// `static absl::Status Validate(const Options&)` for checks that need no data, and registers
// itself once at the bottom of its .cc:
//
//   GENESIS_REGISTER_PLUGIN(PretextTask, LocalShuffle, "local_shuffle", LocalShuffleOptions,
//                           "Models Genesis local pixel shuffling.");
//
// Users then create it from an experiment's PluginSpec:
//
//   GENESIS_ASSIGN_OR_RETURN(std::unique_ptr<PretextTask> task,
//                            Registry<PretextTask>::Get().Create(spec));
//
// A duplicate name is fatal at start-up. An unknown name is NotFound listing the known names
// and the Bazel target to depend on. Options of the wrong type are InvalidArgument.
#ifndef GENESIS_CORE_REGISTRY_H_
#define GENESIS_CORE_REGISTRY_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include "absl/strings/string_view.h"
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "core/proto/plugin_spec.pb.h"
#include "google/protobuf/message.h"

namespace genesis {

// What `genesis plugins` shows of one registered plugin.
struct PluginInfo {
  std::string name;
  std::string description;
  std::string options_type;  // Full protobuf name of the options message.
  std::string source_file;   // Where it registered (for "registered twice" messages).
};

// The kind-independent face of a registry, used by config validation and the CLI.
class PluginKindView {
 public:
  virtual ~PluginKindView() = default;
  virtual absl::string_view kind() const = 0;
  virtual absl::string_view target() const = 0;
  virtual absl::string_view kind_description() const = 0;
  virtual std::vector<PluginInfo> Plugins() const = 0;  // Sorted by name.
  virtual std::vector<std::string> Names() const = 0;   // Sorted.
  // The options of `spec` as a concrete message with defaults for unset fields' absence
  // (an empty Any gives the default instance), after the plugin's own Validate().
  virtual absl::StatusOr<std::unique_ptr<google::protobuf::Message>> ResolveOptions(
      const PluginSpec& spec) const = 0;
  // Builds the plugin `spec` names and destroys it again (conformance tests, deep checks).
  virtual absl::Status CheckBuilds(const PluginSpec& spec) const = 0;
};

// Every plugin kind linked into the binary, by kind name.
class PluginCatalog {
 public:
  static PluginCatalog& Get();
  void AddKind(const PluginKindView* view);
  // nullptr when no such kind is linked.
  const PluginKindView* Find(absl::string_view kind) const;
  std::vector<const PluginKindView*> Kinds() const;  // Sorted by kind name.

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, const PluginKindView*, std::less<>> kinds_ ABSL_GUARDED_BY(mu_);
};

namespace internal {

// Builds the "no X named Y" message shared by every registry.
absl::Status UnknownPluginError(absl::string_view kind, absl::string_view name,
                                const std::vector<std::string>& known, absl::string_view target);
// Unpacks `spec.options()` into a fresh copy of `prototype`, checking the type URL.
absl::StatusOr<std::unique_ptr<google::protobuf::Message>> UnpackOptions(
    absl::string_view kind, const PluginSpec& spec, const google::protobuf::Message& prototype);
[[noreturn]] void DieOnDuplicate(absl::string_view kind, absl::string_view name,
                                 absl::string_view first_file, absl::string_view second_file);

template <typename T, typename O, typename = void>
struct HasCreate : std::false_type {};
template <typename T, typename O>
struct HasCreate<T, O, std::void_t<decltype(T::Create(std::declval<const O&>()))>>
    : std::true_type {};

template <typename T, typename O, typename = void>
struct HasValidate : std::false_type {};
template <typename T, typename O>
struct HasValidate<T, O, std::void_t<decltype(T::Validate(std::declval<const O&>()))>>
    : std::true_type {};

}  // namespace internal

template <typename Base>
class Registry final : public PluginKindView {
 public:
  using Factory = std::function<absl::StatusOr<std::unique_ptr<Base>>(
      const google::protobuf::Message& options)>;
  using Validator = std::function<absl::Status(const google::protobuf::Message& options)>;

  // The never-destroyed registry of this kind; it enters the catalog on first use.
  static Registry& Get() {
    static Registry* const registry = [] {
      auto* r = new Registry();
      PluginCatalog::Get().AddKind(r);
      return r;
    }();
    return *registry;
  }

  // Registers `name`; a second registration of the same name is fatal.
  bool Register(std::string name, std::string description,
                const google::protobuf::Message& default_options, Factory factory,
                Validator validator, const char* source_file) {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(name);
    if (it != entries_.end()) {
      internal::DieOnDuplicate(Base::kKind, name, it->second.info.source_file, source_file);
    }
    Entry entry;
    entry.info = PluginInfo{name, std::move(description),
                            default_options.GetDescriptor()->full_name(), source_file};
    entry.default_options = &default_options;
    entry.factory = std::move(factory);
    entry.validator = std::move(validator);
    entries_.emplace(std::move(name), std::move(entry));
    return true;
  }

  absl::string_view kind() const override { return Base::kKind; }
  absl::string_view target() const override { return Base::kTarget; }
  absl::string_view kind_description() const override { return Base::kKindDescription; }

  std::vector<std::string> Names() const override {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> names;
    for (const auto& [name, entry] : entries_) names.push_back(name);
    return names;
  }

  std::vector<PluginInfo> Plugins() const override {
    absl::MutexLock lock(&mu_);
    std::vector<PluginInfo> plugins;
    for (const auto& [name, entry] : entries_) plugins.push_back(entry.info);
    return plugins;
  }

  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> ResolveOptions(
      const PluginSpec& spec) const override {
    const Entry* entry = Find(spec.type());
    if (entry == nullptr) {
      return internal::UnknownPluginError(Base::kKind, spec.type(), Names(), Base::kTarget);
    }
    auto options = internal::UnpackOptions(Base::kKind, spec, *entry->default_options);
    if (!options.ok()) return options.status();
    absl::Status valid = entry->validator(**options);
    if (!valid.ok()) return valid;
    return options;
  }

  absl::Status CheckBuilds(const PluginSpec& spec) const override {
    return Create(spec).status();
  }

  // Resolves, validates and builds the plugin `spec` names.
  absl::StatusOr<std::unique_ptr<Base>> Create(const PluginSpec& spec) const {
    auto options = ResolveOptions(spec);
    if (!options.ok()) return options.status();
    return Find(spec.type())->factory(**options);
  }

  // Builds `name` from an already-typed options message (defaults: pass the default instance).
  absl::StatusOr<std::unique_ptr<Base>> Create(absl::string_view name,
                                               const google::protobuf::Message& options) const {
    PluginSpec spec;
    spec.set_type(std::string(name));
    spec.mutable_options()->PackFrom(options);
    return Create(spec);
  }

 private:
  struct Entry {
    PluginInfo info;
    const google::protobuf::Message* default_options = nullptr;
    Factory factory;
    Validator validator;
  };

  Registry() = default;

  const Entry* Find(absl::string_view name) const {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(name);
    return it == entries_.end() ? nullptr : &it->second;
  }

  mutable absl::Mutex mu_;
  std::map<std::string, Entry, std::less<>> entries_ ABSL_GUARDED_BY(mu_);
};

namespace internal {

template <typename Base, typename Plugin, typename Options>
typename Registry<Base>::Factory MakeFactory() {
  return [](const google::protobuf::Message& message)
             -> absl::StatusOr<std::unique_ptr<Base>> {
    const auto& options = static_cast<const Options&>(message);
    if constexpr (HasCreate<Plugin, Options>::value) {
      auto plugin = Plugin::Create(options);
      if (!plugin.ok()) return plugin.status();
      return std::unique_ptr<Base>(std::move(plugin).value());
    } else {
      static_assert(std::is_constructible_v<Plugin, const Options&>,
                    "a plugin needs `explicit Plugin(const Options&)` or a static Create()");
      return std::unique_ptr<Base>(std::make_unique<Plugin>(options));
    }
  };
}

template <typename Plugin, typename Options>
std::function<absl::Status(const google::protobuf::Message&)> MakeValidator() {
  return [](const google::protobuf::Message& message) -> absl::Status {
    if constexpr (HasValidate<Plugin, Options>::value) {
      return Plugin::Validate(static_cast<const Options&>(message));
    } else {
      return absl::OkStatus();
    }
  };
}

}  // namespace internal
}  // namespace genesis

#define GENESIS_REGISTRY_CONCAT_INNER_(a, b) a##b
#define GENESIS_REGISTRY_CONCAT_(a, b) GENESIS_REGISTRY_CONCAT_INNER_(a, b)

// Registers `Plugin` (derived from `Base`) under `name` with options message `Options`.
// Write it once, at namespace scope at the bottom of the plugin's .cc.
#define GENESIS_REGISTER_PLUGIN(Base, Plugin, name, Options, description)                    \
  static_assert(std::is_base_of_v<Base, Plugin>, #Plugin " must derive from " #Base);         \
  static_assert(std::is_base_of_v<::google::protobuf::Message, Options>,                      \
                #Options " must be a protobuf message");                                      \
  [[maybe_unused]] static const bool GENESIS_REGISTRY_CONCAT_(genesis_registered_, __LINE__) = \
      ::genesis::Registry<Base>::Get().Register(                                              \
          name, description, Options::default_instance(),                                     \
          ::genesis::internal::MakeFactory<Base, Plugin, Options>(),                           \
          ::genesis::internal::MakeValidator<Plugin, Options>(), __FILE__)

// Makes a plugin kind known to the catalog even before any plugin of it registers; write it
// once in the kind's .cc.
#define GENESIS_DEFINE_PLUGIN_KIND(Base)                                                      \
  [[maybe_unused]] static const bool GENESIS_REGISTRY_CONCAT_(genesis_kind_, __LINE__) =     \
      (::genesis::Registry<Base>::Get(), true)

#endif  // GENESIS_CORE_REGISTRY_H_
