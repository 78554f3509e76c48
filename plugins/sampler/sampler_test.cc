// Sampler selections against hand-computed indices.
#include "core/sampler.h"

#include <deque>
#include <memory>
#include <numeric>
#include <string>

#include "gtest/gtest.h"
#include "plugins/sampler/even_budget.pb.h"
#include "plugins/sampler/keep_all.pb.h"
#include "plugins/sampler/modality_balance.pb.h"
#include "plugins/sampler/sampling.h"

namespace genesis {
namespace {

using Picks = std::vector<int64_t>;

std::unique_ptr<Sampler> Make(const std::string& name, const google::protobuf::Message& o) {
  auto s = Registry<Sampler>::Get().Create(name, o);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(s).value() : nullptr;
}

// Owns patients so plans can point at them.
struct Corpus {
  std::deque<PatientRecord> patients;
  std::vector<SlicePlan> plans;
  // Adds a patient with one volume per entry of `volume_sizes`, all slices selected.
  void Add(const std::string& id, Modality modality, std::vector<int64_t> volume_sizes) {
    PatientRecord& p = patients.emplace_back();
    p.patient_id = id;
    p.modality = modality;
    for (size_t v = 0; v < volume_sizes.size(); ++v) {
      SlicePlan plan;
      plan.patient = &p;
      plan.volume_index = static_cast<int64_t>(v);
      plan.num_slices = volume_sizes[v];
      plan.selected.resize(volume_sizes[v]);
      std::iota(plan.selected.begin(), plan.selected.end(), 0);
      plans.push_back(plan);
    }
  }
};

TEST(EvenlySpacedTest, FormulaValues) {
  EXPECT_EQ(EvenlySpaced(100, 3), (Picks{0, 50, 99}));
  EXPECT_EQ(EvenlySpaced(10, 4), (Picks{0, 3, 6, 9}));
  EXPECT_EQ(EvenlySpaced(5, 1), (Picks{2}));
  EXPECT_EQ(EvenlySpaced(5, 0), (Picks{0, 1, 2, 3, 4}));
  EXPECT_EQ(EvenlySpaced(5, 7), (Picks{0, 1, 2, 3, 4}));
  EXPECT_EQ(EvenlySpaced(0, 3), (Picks{}));
  const Picks p = EvenlySpaced(155, 100);  // Distinct, ascending, covering both ends.
  ASSERT_EQ(p.size(), 100u);
  EXPECT_EQ(p.front(), 0);
  EXPECT_EQ(p.back(), 154);
  for (size_t i = 1; i < p.size(); ++i) EXPECT_GT(p[i], p[i - 1]);
}

TEST(EvenBudgetTest, SpreadsBudgetOverEachPatientsWholeExtent) {
  EvenBudgetOptions o;
  o.set_slices_per_patient(3);
  Corpus c;
  c.Add("a", Modality::kCT, {100});
  c.Add("b", Modality::kCT, {4, 6});  // Two volumes: one sequence of 10.
  c.Add("c", Modality::kCT, {2});     // Fewer slices than the budget: all kept.
  RandomStream rng(1, RandomStream::kSampling);
  ASSERT_TRUE(Make("even_budget", o)->Apply(c.plans, rng).ok());
  EXPECT_EQ(c.plans[0].selected, (Picks{0, 50, 99}));
  EXPECT_EQ(c.plans[1].selected, (Picks{0}));     // Concatenated index 0.
  EXPECT_EQ(c.plans[2].selected, (Picks{1, 5}));  // Concatenated 5 and 9.
  EXPECT_EQ(c.plans[3].selected, (Picks{0, 1}));
}

TEST(EvenBudgetTest, ZeroKeepsAllAndPicksFromCurrentSelection) {
  Corpus c;
  c.Add("a", Modality::kMR, {60});
  c.plans[0].selected = {10, 20, 30, 40, 50};
  RandomStream rng(1, RandomStream::kSampling);
  EvenBudgetOptions zero;
  zero.set_slices_per_patient(0);
  ASSERT_TRUE(Make("even_budget", zero)->Apply(c.plans, rng).ok());
  EXPECT_EQ(c.plans[0].selected, (Picks{10, 20, 30, 40, 50}));
  EvenBudgetOptions two;
  two.set_slices_per_patient(2);
  ASSERT_TRUE(Make("even_budget", two)->Apply(c.plans, rng).ok());
  EXPECT_EQ(c.plans[0].selected, (Picks{10, 50}));
  EvenBudgetOptions negative;
  negative.set_slices_per_patient(-1);
  auto bad = Registry<Sampler>::Get().Create("even_budget", negative);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "slices_per_patient: must be >= 0, got -1");
}

TEST(KeepAllTest, SelectsEverySlice) {
  Corpus c;
  c.Add("a", Modality::kMR, {4});
  c.plans[0].selected = {2};
  RandomStream rng(1, RandomStream::kSampling);
  ASSERT_TRUE(Make("keep_all", KeepAllOptions())->Apply(c.plans, rng).ok());
  EXPECT_EQ(c.plans[0].selected, (Picks{0, 1, 2, 3}));
}

TEST(ModalityBalanceTest, CapsToSmallestModalityProportionallyPerPatient) {
  Corpus c;
  c.Add("A", Modality::kCT, {10});
  c.Add("B", Modality::kCT, {20});
  c.Add("C", Modality::kMR, {6});
  c.Add("D", Modality::kMR, {3});
  c.Add("U", Modality::kUnknown, {50});  // Not balanced by default.
  RandomStream rng(1, RandomStream::kSampling);
  ASSERT_TRUE(Make("modality_balance", ModalityBalanceOptions())->Apply(c.plans, rng).ok());
  // CT 30 -> 9: A 10*9/30 = 3, B 20*9/30 = 6, each spread evenly.
  EXPECT_EQ(c.plans[0].selected, (Picks{0, 5, 9}));
  EXPECT_EQ(c.plans[1].selected, (Picks{0, 4, 8, 11, 15, 19}));
  EXPECT_EQ(c.plans[2].selected.size(), 6u);
  EXPECT_EQ(c.plans[3].selected.size(), 3u);
  EXPECT_EQ(c.plans[4].selected.size(), 50u);
}

TEST(ModalityBalanceTest, LargestRemaindersMakeTheCapExact) {
  Corpus c;
  c.Add("A", Modality::kCT, {5});
  c.Add("B", Modality::kCT, {5});
  c.Add("C", Modality::kCT, {5});
  c.Add("X", Modality::kXRay, {1, 1, 1, 1, 1, 1, 1});  // 7 one-slice images.
  RandomStream rng(1, RandomStream::kSampling);
  ASSERT_TRUE(Make("modality_balance", ModalityBalanceOptions())->Apply(c.plans, rng).ok());
  // 5*7/15 = 2 rem 5 each; one leftover goes to the first patient: 3 + 2 + 2 = 7.
  EXPECT_EQ(c.plans[0].selected, (Picks{0, 2, 4}));
  EXPECT_EQ(c.plans[1].selected, (Picks{0, 4}));
  EXPECT_EQ(c.plans[2].selected, (Picks{0, 4}));
  int64_t xr = 0;
  for (size_t i = 3; i < c.plans.size(); ++i) xr += c.plans[i].selected.size();
  EXPECT_EQ(xr, 7);
}

TEST(ModalityBalanceTest, ExplicitTargetAndDeterminism) {
  ModalityBalanceOptions o;
  o.set_target_slices_per_modality(4);
  Corpus c;
  c.Add("C", Modality::kMR, {6});
  c.Add("D", Modality::kMR, {3});
  c.Add("E", Modality::kCT, {2});  // Below the target: untouched.
  Corpus copy = c;
  RandomStream rng(1, RandomStream::kSampling);
  ASSERT_TRUE(Make("modality_balance", o)->Apply(c.plans, rng).ok());
  // MR 9 -> 4: C 6*4/9 = 2 rem 6, D 3*4/9 = 1 rem 3; leftover to C: 3 + 1.
  EXPECT_EQ(c.plans[0].selected, (Picks{0, 3, 5}));
  EXPECT_EQ(c.plans[1].selected, (Picks{1}));
  EXPECT_EQ(c.plans[2].selected, (Picks{0, 1}));
  // Same input, different seed: same output (no randomness).
  for (auto& plan : copy.plans) {
    for (auto& p : copy.patients) {
      if (p.patient_id == plan.patient->patient_id) plan.patient = &p;
    }
  }
  RandomStream other(99, RandomStream::kSampling);
  ASSERT_TRUE(Make("modality_balance", o)->Apply(copy.plans, other).ok());
  for (size_t i = 0; i < c.plans.size(); ++i) {
    EXPECT_EQ(copy.plans[i].selected, c.plans[i].selected);
  }
}

}  // namespace
}  // namespace genesis
