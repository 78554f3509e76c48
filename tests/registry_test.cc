// Unit tests of the generic plugin registry with a test-only plugin kind.
#include "core/registry.h"

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_options.pb.h"

namespace genesis {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class Widget {
 public:
  static constexpr absl::string_view kKind = "widget";
  static constexpr absl::string_view kTarget = "//tests:widgets";
  static constexpr absl::string_view kKindDescription = "test-only plugin kind";
  virtual ~Widget() = default;
  virtual int size() const = 0;
  virtual std::string label() const = 0;
};

class PlainWidget : public Widget {
 public:
  explicit PlainWidget(const test::WidgetOptions& options) : options_(options) {}
  static absl::Status Validate(const test::WidgetOptions& options) {
    if (options.size() < 1) {
      return absl::InvalidArgumentError(absl::StrCat("size: must be >= 1, got ", options.size()));
    }
    return absl::OkStatus();
  }
  int size() const override { return options_.size(); }
  std::string label() const override { return options_.label(); }

 private:
  test::WidgetOptions options_;
};

// Uses the static Create() path instead of the constructor.
class FactoryWidget : public Widget {
 public:
  static absl::StatusOr<std::unique_ptr<FactoryWidget>> Create(const test::GadgetOptions& o) {
    if (o.weight() < 0) return absl::InvalidArgumentError("weight: must be >= 0");
    auto w = std::unique_ptr<FactoryWidget>(new FactoryWidget());
    w->size_ = static_cast<int>(o.weight() * 10);
    return w;
  }
  int size() const override { return size_; }
  std::string label() const override { return "factory"; }

 private:
  FactoryWidget() = default;
  int size_ = 0;
};

}  // namespace

GENESIS_REGISTER_PLUGIN(Widget, PlainWidget, "plain_widget", test::WidgetOptions,
                        "a widget built by its constructor");
GENESIS_REGISTER_PLUGIN(Widget, FactoryWidget, "factory_widget", test::GadgetOptions,
                        "a widget built by a static Create()");

namespace {

PluginSpec Spec(const std::string& type) {
  PluginSpec spec;
  spec.set_type(type);
  return spec;
}

TEST(RegistryTest, NamesAreSortedAndKindIsInCatalog) {
  EXPECT_THAT(Registry<Widget>::Get().Names(), ElementsAre("factory_widget", "plain_widget"));
  const PluginKindView* view = PluginCatalog::Get().Find("widget");
  ASSERT_NE(view, nullptr);
  EXPECT_EQ(view->target(), "//tests:widgets");
  auto plugins = view->Plugins();
  ASSERT_EQ(plugins.size(), 2u);
  EXPECT_EQ(plugins[1].options_type, "genesis.test.WidgetOptions");
  EXPECT_THAT(plugins[1].source_file, HasSubstr("registry_test.cc"));
}

TEST(RegistryTest, EmptyOptionsGiveDefaults) {
  auto widget = Registry<Widget>::Get().Create(Spec("plain_widget"));
  ASSERT_TRUE(widget.ok()) << widget.status();
  EXPECT_EQ((*widget)->size(), 3);
  EXPECT_EQ((*widget)->label(), "plain");
}

TEST(RegistryTest, TypedOptionsReachThePlugin) {
  test::WidgetOptions options;
  options.set_size(11);
  options.set_label("big");
  auto widget = Registry<Widget>::Get().Create("plain_widget", options);
  ASSERT_TRUE(widget.ok()) << widget.status();
  EXPECT_EQ((*widget)->size(), 11);
  EXPECT_EQ((*widget)->label(), "big");
}

TEST(RegistryTest, StaticCreateIsUsed) {
  test::GadgetOptions options;
  options.set_weight(2.5);
  auto widget = Registry<Widget>::Get().Create("factory_widget", options);
  ASSERT_TRUE(widget.ok()) << widget.status();
  EXPECT_EQ((*widget)->size(), 25);
  options.set_weight(-1);
  auto bad = Registry<Widget>::Get().Create("factory_widget", options);
  EXPECT_THAT(bad.status().message(), HasSubstr("weight: must be >= 0"));
}

TEST(RegistryTest, UnknownNameListsKnownNamesAndTarget) {
  auto widget = Registry<Widget>::Get().Create(Spec("fancy_widget"));
  ASSERT_FALSE(widget.ok());
  EXPECT_EQ(widget.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(widget.status().message(), HasSubstr("no widget named 'fancy_widget'"));
  EXPECT_THAT(widget.status().message(), HasSubstr("[factory_widget, plain_widget]"));
  EXPECT_THAT(widget.status().message(), HasSubstr("depend on //tests:widgets"));
}

TEST(RegistryTest, MissingTypeIsInvalidArgument) {
  auto widget = Registry<Widget>::Get().Create(Spec(""));
  ASSERT_FALSE(widget.ok());
  EXPECT_EQ(widget.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(widget.status().message(), HasSubstr("missing `type`"));
}

TEST(RegistryTest, WrongOptionsTypeIsRejected) {
  test::GadgetOptions wrong;
  auto widget = Registry<Widget>::Get().Create("plain_widget", wrong);
  ASSERT_FALSE(widget.ok());
  EXPECT_EQ(widget.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(widget.status().message(),
              HasSubstr("must be [type.googleapis.com/genesis.test.WidgetOptions], got "
                        "[type.googleapis.com/genesis.test.GadgetOptions]"));
}

TEST(RegistryTest, ValidateRunsBeforeConstruction) {
  test::WidgetOptions options;
  options.set_size(0);
  auto widget = Registry<Widget>::Get().Create("plain_widget", options);
  ASSERT_FALSE(widget.ok());
  EXPECT_THAT(widget.status().message(), HasSubstr("size: must be >= 1, got 0"));
  PluginSpec spec = Spec("plain_widget");
  spec.mutable_options()->PackFrom(options);
  EXPECT_FALSE(PluginCatalog::Get().Find("widget")->ResolveOptions(spec).ok());
}

TEST(RegistryDeathTest, DuplicateNameIsFatal) {
  EXPECT_DEATH(
      Registry<Widget>::Get().Register(
          "plain_widget", "again", test::WidgetOptions::default_instance(),
          internal::MakeFactory<Widget, PlainWidget, test::WidgetOptions>(),
          internal::MakeValidator<PlainWidget, test::WidgetOptions>(), "elsewhere.cc"),
      "duplicate widget plugin 'plain_widget'.*registry_test.cc.*elsewhere.cc");
}

}  // namespace
}  // namespace genesis
