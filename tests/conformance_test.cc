// Caffe's layer-factory idea: every registered plugin of every kind builds from its default
// options, and its kind is one the catalog knows. Links every plugin and stage runner.
#include <torch/torch.h>

#include "core/normalization.h"
#include "core/registry.h"
#include "gtest/gtest.h"

namespace genesis {
namespace {

TEST(ConformanceTest, EveryKindIsListed) {
  std::vector<std::string> kinds;
  for (const PluginKindView* kind : PluginCatalog::Get().Kinds()) kinds.emplace_back(kind->kind());
  for (const char* expected : {"backbone", "dataset_source", "evaluator", "head", "image_reader",
                               "initializer", "normalization", "preprocessor", "pretext_task",
                               "reporter", "sampler", "stage", "task"}) {
    EXPECT_NE(std::find(kinds.begin(), kinds.end(), expected), kinds.end()) << expected;
  }
}

// The kinds whose plugins may refuse their default options, and what the refusal (always an
// InvalidArgument) must name. These are the written exceptions in core/build_defs.bzl's
// conformance rules; every other plugin must build from defaults.
struct DefaultsRefusal {
  absl::string_view kind;
  absl::string_view message_names;
};
constexpr DefaultsRefusal kDefaultsRefusals[] = {
    // A dataset has no default location: every source refuses without `root` (the count
    // below leaves sources out, so a source that builds from defaults fails it too).
    {"dataset_source", "root"},
    // A stage may need a plugin slot filled ("task: required" for the transfer stage).
    {"stage", ": required"},
};

const DefaultsRefusal* FindDefaultsRefusal(absl::string_view kind) {
  for (const DefaultsRefusal& refusal : kDefaultsRefusals) {
    if (refusal.kind == kind) return &refusal;
  }
  return nullptr;
}

TEST(ConformanceTest, EveryPluginBuildsFromDefaultOptions) {
  int built = 0;
  int refused_stages = 0;
  for (const PluginKindView* kind : PluginCatalog::Get().Kinds()) {
    for (const PluginInfo& plugin : kind->Plugins()) {
      SCOPED_TRACE(absl::StrCat(kind->kind(), "/", plugin.name));
      EXPECT_FALSE(plugin.description.empty());
      PluginSpec spec;
      spec.set_type(plugin.name);
      absl::Status status = kind->CheckBuilds(spec);
      if (!status.ok()) {
        const DefaultsRefusal* refusal = FindDefaultsRefusal(kind->kind());
        if (refusal == nullptr) {
          ADD_FAILURE() << "only the kinds in kDefaultsRefusals may refuse default options: "
                        << status;
          continue;
        }
        EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
        EXPECT_NE(status.message().find(refusal->message_names), absl::string_view::npos)
            << status;
        refused_stages += kind->kind() == "stage" ? 1 : 0;
        continue;
      }
      ++built;
    }
  }
  // Every plugin but the dataset sources built; and there is something of each linked kind.
  int expected = 0;
  for (const PluginKindView* kind : PluginCatalog::Get().Kinds()) {
    if (kind->kind() != "dataset_source") expected += static_cast<int>(kind->Plugins().size());
  }
  EXPECT_EQ(built + refused_stages, expected);
  EXPECT_LE(refused_stages, 1);  // The transfer stage, which needs its task.
  EXPECT_GE(built, 35);  // 2 backbones, 9 readers, 4 norms, 5 preprocessors, 10 pretext, 3
                         // samplers, 2 stages at the time of writing.
}

TEST(ConformanceTest, EveryNormalizationKeepsTheShape) {
  for (const std::string& name : Registry<NormalizationLayer>::Get().Names()) {
    SCOPED_TRACE(name);
    PluginSpec spec;
    spec.set_type(name);
    auto layer = Registry<NormalizationLayer>::Get().Create(spec);
    ASSERT_TRUE(layer.ok()) << layer.status();
    auto module = (*layer)->Make(32);
    auto x = torch::randn({2, 32, 8, 8});
    EXPECT_EQ(module.forward(x).sizes(), x.sizes());
  }
}

}  // namespace
}  // namespace genesis
