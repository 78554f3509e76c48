#include "core/csv.h"

#include <cstdio>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace genesis {
namespace {

TEST(CsvTest, QuotesCommasQuotesAndNewlines) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvLine({"x", "/data/a,b.nii.gz", ""}), "x,\"/data/a,b.nii.gz\",\n");
}

TEST(CsvTest, ParseRoundTrip) {
  const std::vector<std::string> header = {"dataset", "file", "note"};
  const std::vector<std::string> row1 = {"MSD", "/d/a,b.nii.gz", "two\nlines"};
  const std::vector<std::string> row2 = {"", "q\"uote", "x"};
  const std::string text = CsvLine(header) + CsvLine(row1) + "\n" + CsvLine(row2);
  auto table = ParseCsv(text, "t.csv");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->header, header);
  ASSERT_EQ(table->rows.size(), 2u);
  EXPECT_EQ(table->rows[0], row1);
  EXPECT_EQ(table->rows[1], row2);
  EXPECT_EQ(table->Column("file"), 1);
  EXPECT_EQ(table->Column("nope"), -1);
}

// Found by tools/fuzz/csv_fuzzer: a one-column table with an empty value used to be written as
// an empty line, which the parsers skip as blank, so the row (or the header) vanished.
TEST(CsvTest, OneEmptyFieldSurvivesTheRoundTrip) {
  EXPECT_EQ(CsvLine({""}), "\"\"\n");
  const std::string text = CsvLine({"seriesuid"}) + CsvLine({""}) + CsvLine({"1.2.3"});
  auto table = ParseCsv(text, "one_column.csv");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->header, std::vector<std::string>{"seriesuid"});
  ASSERT_EQ(table->rows.size(), 2u);
  EXPECT_EQ(table->rows[0], std::vector<std::string>{""});
  EXPECT_EQ(table->rows[1], std::vector<std::string>{"1.2.3"});
  EXPECT_TRUE(ParseCsv(CsvLine({""}), "header_only.csv").ok());
}

TEST(CsvTest, ErrorsNameFileAndLine) {
  auto table = ParseCsv("a,b\n1,2\n3\n", "m.csv");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().message(), "m.csv:3: expected 2 fields, found 1");
  auto unterminated = ParseCsv("a\n\"oops\n", "u.csv");
  ASSERT_FALSE(unterminated.ok());
  EXPECT_EQ(unterminated.status().message(), "u.csv:2: unterminated quoted field");
}

TEST(CsvTest, StreamingReaderMatchesParser) {
  const std::string path = std::string(getenv("TEST_TMPDIR")) + "/s.csv";
  {
    std::ofstream out(path);
    out << CsvLine({"a", "b"}) << CsvLine({"1,5", "x\ny"}) << CsvLine({"2", ""});
  }
  auto reader = CsvReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->header(), (std::vector<std::string>{"a", "b"}));
  std::vector<std::string> row;
  auto more = (*reader)->Next(&row);
  ASSERT_TRUE(more.ok() && *more);
  EXPECT_EQ(row, (std::vector<std::string>{"1,5", "x\ny"}));
  EXPECT_EQ((*reader)->line(), 2);
  more = (*reader)->Next(&row);
  ASSERT_TRUE(more.ok() && *more);
  EXPECT_EQ(row, (std::vector<std::string>{"2", ""}));
  EXPECT_EQ((*reader)->line(), 4);
  more = (*reader)->Next(&row);
  ASSERT_TRUE(more.ok());
  EXPECT_FALSE(*more);
}

}  // namespace
}  // namespace genesis
