#include "core/eval/predictions_io.h"

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/eval/json.h"
#include "core/file_util.h"
#include "gtest/gtest.h"

namespace genesis {
namespace {

std::string TempFile(const std::string& name, const std::string& text) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path = absl::StrCat(dir ? dir : "/tmp", "/", name);
  EXPECT_TRUE(WriteFileAtomically(path, text).ok());
  return path;
}

TEST(ReadPredictionsTest, ReadsRequiredAndOptionalColumns) {
  const std::string path = TempFile("p.csv",
                                    "id,group,label,score,seriesuid,coordX,coordY,coordZ\n"
                                    "c1,scanA,1,0.9,scanA,1.5,-2,3\n"
                                    "c2,scanA,0,0.25,scanA,0,0,0\n");
  absl::StatusOr<Predictions> p = ReadPredictions(path);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->size(), 2u);
  EXPECT_EQ(p->id[1], "c2");
  EXPECT_EQ(p->label[0], 1);
  EXPECT_DOUBLE_EQ(p->score[1], 0.25);
  EXPECT_EQ(p->group[0], "scanA");
  EXPECT_EQ(p->series[1], "scanA");
  EXPECT_DOUBLE_EQ(p->world[0][1], -2);

  const std::string minimal = TempFile("m.csv", "id,label,score\nx,0,0.1\ny,1,0.7\n");
  absl::StatusOr<Predictions> m = ReadPredictions(minimal);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->group.empty());
  EXPECT_TRUE(m->world.empty());
  // Pooling keeps optional columns only when both sides have them.
  Predictions pooled = *p;
  pooled.Append(*m);
  EXPECT_EQ(pooled.size(), 4u);
  EXPECT_TRUE(pooled.group.empty());
}

TEST(ReadPredictionsTest, ErrorsNameFileLineAndColumn) {
  auto error = [](const std::string& name, const std::string& text) {
    return std::string(ReadPredictions(TempFile(name, text)).status().message());
  };
  std::string message = error("bad_label.csv", "id,label,score\na,1,0.5\nb,2,0.5\n");
  EXPECT_NE(message.find("bad_label.csv:3"), std::string::npos) << message;
  EXPECT_NE(message.find("'label'"), std::string::npos) << message;
  message = error("bad_score.csv", "id,label,score\na,1,high\n");
  EXPECT_NE(message.find("bad_score.csv:2"), std::string::npos) << message;
  EXPECT_NE(message.find("'score'"), std::string::npos) << message;
  message = error("nan.csv", "id,label,score\na,1,nan\n");
  EXPECT_NE(message.find("finite"), std::string::npos) << message;
  message = error("no_score.csv", "id,label\na,1\n");
  EXPECT_NE(message.find("missing column 'score'"), std::string::npos) << message;
  message = error("dup.csv", "id,label,score\na,1,0.5\na,0,0.5\n");
  EXPECT_NE(message.find("dup.csv:3: id 'a' repeats line 2"), std::string::npos) << message;
  message = error("short.csv", "id,label,score\na,1\n");
  EXPECT_NE(message.find("short.csv:2"), std::string::npos) << message;
}

TEST(MatchByIdTest, PairsByIdAndReportsUnmatched) {
  Predictions a, b;
  a.id = {"x", "y", "z"};
  a.label = {1, 0, 1};
  a.score = {.9, .1, .5};
  b.id = {"z", "x", "w"};
  b.label = {1, 1, 0};
  b.score = {.4, .8, .3};
  absl::StatusOr<MatchedPredictions> m = MatchById(a, b);
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->label.size(), 2u);
  EXPECT_DOUBLE_EQ(m->score_a[0], .9);
  EXPECT_DOUBLE_EQ(m->score_b[0], .8);
  EXPECT_EQ(m->only_in_a, std::vector<std::string>{"y"});
  EXPECT_EQ(m->only_in_b, std::vector<std::string>{"w"});
  b.label[0] = 0;
  EXPECT_FALSE(MatchById(a, b).ok());
}

TEST(Luna16FilesTest, AnnotationsMarksAndSeries) {
  absl::StatusOr<std::vector<Nodule>> nodules = ReadNodules(
      TempFile("annotations.csv", "seriesuid,coordX,coordY,coordZ,diameter_mm\n1.2.3,1,2,3,-1\n"));
  ASSERT_TRUE(nodules.ok()) << nodules.status();
  EXPECT_DOUBLE_EQ((*nodules)[0].diameter_mm, -1);
  absl::Status bad = ReadNodules(TempFile("bad_ann.csv",
                                          "seriesuid,coordX,coordY,coordZ,diameter_mm\n"
                                          "1.2.3,1,2,x,5\n"))
                         .status();
  EXPECT_NE(bad.message().find("bad_ann.csv:2: column 'coordZ'"), std::string::npos) << bad;
  absl::StatusOr<std::vector<CadMark>> marks = ReadCadMarks(
      TempFile("marks.csv", "seriesuid,coordX,coordY,coordZ,probability\n1.2.3,1,2,3,0.5\n"));
  ASSERT_TRUE(marks.ok());
  EXPECT_DOUBLE_EQ((*marks)[0].probability, 0.5);
  absl::StatusOr<std::vector<std::string>> plain = ReadSeriesList(TempFile("s.txt", "a\n\nb\n"));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, (std::vector<std::string>{"a", "b"}));
  absl::StatusOr<std::vector<std::string>> csv =
      ReadSeriesList(TempFile("s.csv", "x,seriesuid\n1,a\n2,b\n"));
  ASSERT_TRUE(csv.ok()) << csv.status();
  EXPECT_EQ(*csv, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(ReadSeriesList(TempFile("dup.txt", "a\na\n")).ok());
}

TEST(JsonTest, DumpAndReadBack) {
  Json j = Json::Object();
  j.Set("b", 1).Set("a", Json::Array({0.25, NAN})).Set("s", "q\"uote").Set("t", true);
  EXPECT_EQ(j.Dump(), R"({"b":1,"a":[0.25,null],"s":"q\"uote","t":true})");
  const std::string path = TempFile("x.json", j.Dump(2));
  absl::StatusOr<std::map<std::string, std::string>> back = ReadFlatJsonObject(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->at("b"), "1");
  EXPECT_EQ(back->at("s"), "q\"uote");
  EXPECT_EQ(back->at("t"), "true");
  EXPECT_EQ(JsonNumber(0.1), "0.1");
  EXPECT_EQ(JsonNumber(1.0 / 3), "0.3333333333333333");
  EXPECT_FALSE(ReadFlatJsonObject(TempFile("bad.json", "{nope")).ok());
}

}  // namespace
}  // namespace genesis
