#include "storage/fact_parser.h"

#include <gtest/gtest.h>

namespace dyad::storage {
namespace {

class FactParserTest : public ::testing::Test {
 protected:
  ParsedLine Parse(std::string_view line) {
    ParsedLine out;
    std::optional<LineError> err = parser_.Parse(line, &out);
    EXPECT_FALSE(err) << err->field << ": " << err->reason;
    return out;
  }
  FactParser parser_;
};

TEST_F(FactParserTest, EntityWithAliasesAndProps) {
  ParsedLine p = Parse(
      R"({"kind":"entity","label":"Person","name":"Ashfaq Parvez Kayani",)"
      R"("aliases":["Kiani","Gen Kayani"],"props":{"office":"COAS","rank":4,"active":true}})");
  ASSERT_EQ(p.kind, ParsedLine::Kind::kEntity);
  EXPECT_EQ(p.entity.label, "Person");
  EXPECT_EQ(p.entity.name, "Ashfaq Parvez Kayani");
  EXPECT_EQ(p.entity.aliases, (std::vector<std::string>{"Kiani", "Gen Kayani"}));
  ASSERT_EQ(p.entity.props.size(), 3u);  // sorted by key
  EXPECT_EQ(p.entity.props[0].key(), "active");
  EXPECT_TRUE(p.entity.props[0].value().bool_value());
  EXPECT_EQ(p.entity.props[2].key(), "rank");
  EXPECT_EQ(p.entity.props[2].value().number_value(), 4);
}

TEST_F(FactParserTest, FactWithEverything) {
  ParsedLine p = Parse(
      R"({"kind":"fact","subject":{"label":"Person","name":"Sergey Lavrov"},"predicate":"VISITED",)"
      R"("object":{"id":"Location:islamabad"},"valid_from":"2012-10-03","valid_to":"2012-10-04T10:00:00Z",)"
      R"("props":{"purpose":"talks"},"confidence":0.95,)"
      R"("source":{"doc":"d1","published":"2012-10-04","outlet":"Dawn","quote":"jetted in"}})");
  ASSERT_EQ(p.kind, ParsedLine::Kind::kFact);
  const FactRecord& f = p.fact;
  EXPECT_EQ(f.subject.label, "Person");
  EXPECT_EQ(f.subject.name, "Sergey Lavrov");
  EXPECT_EQ(f.object.id, "Location:islamabad");
  EXPECT_EQ(f.predicate, "VISITED");
  EXPECT_EQ(FormatDay(f.valid_from), "2012-10-03");
  EXPECT_EQ(FormatDay(f.valid_to), "2012-10-04");
  EXPECT_DOUBLE_EQ(f.confidence, 0.95);
  EXPECT_EQ(f.doc, "d1");
  ASSERT_EQ(f.source_fields.size(), 3u);
  EXPECT_EQ(f.source_fields[0].key(), "outlet");
  EXPECT_EQ(f.source_fields[2].key(), "quote");
}

TEST_F(FactParserTest, DefaultsForOptionalFields) {
  ParsedLine p =
      Parse(R"({"kind":"fact","subject":{"label":"Country","name":"A"},"predicate":"MET",)"
            R"("object":{"label":"Country","name":"B"},"source":{"doc":"d"}})");
  EXPECT_EQ(p.fact.valid_from, kOpenDay);
  EXPECT_EQ(p.fact.valid_to, kOpenDay);
  EXPECT_EQ(p.fact.confidence, 1.0);
  EXPECT_TRUE(p.fact.props.empty());
}

TEST_F(FactParserTest, BlankAndCommentLinesAreSkipped) {
  for (const char* line : {"", "   ", "\t", "# a comment", "   # indented comment", "\r"}) {
    EXPECT_EQ(Parse(line).kind, ParsedLine::Kind::kSkip);
  }
}

TEST_F(FactParserTest, ErrorsNameTheField) {
  ParsedLine out;
  auto err = parser_.Parse(R"({"kind":"fact","subject":{"label":"country","name":"A"}})", &out);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->field, "subject.label");
  EXPECT_EQ(err->reason, "must match [A-Z][A-Za-z0-9_]*");
}

// Found by fuzz_fact_line (tests/fuzz/corpus/fuzz_fact_line/crash-empty-key):
// an empty key was reported as an unknown field with an empty field name.
TEST_F(FactParserTest, EmptyKeyNamesTheObjectItIsIn) {
  ParsedLine out;
  auto err = parser_.Parse(R"({"kind":"entity","label":"Country","name":"Tajikistan","":1})", &out);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->field, "json");
  EXPECT_EQ(err->reason, "keys must not be empty");
  err = parser_.Parse(R"({"kind":"fact","subject":{"label":"Person","name":"A","":"x"}})", &out);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->field, "subject");
  EXPECT_EQ(err->reason, "keys must not be empty");
}

}  // namespace
}  // namespace dyad::storage
