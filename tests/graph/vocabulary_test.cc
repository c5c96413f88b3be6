#include "graph/vocabulary.h"

#include "tests/test_util.h"

namespace dyad::testing {
namespace {

using graph::Vocabulary;

TEST(VocabularyTest, BuiltInCopyIsTheProjectFile) {
  Result<Vocabulary> file = Vocabulary::LoadFile(SourceDir() / "graph/predicates.tsv");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  const Vocabulary& v = Vocabulary::Default();
  EXPECT_EQ(v.size(), file->size());
  EXPECT_EQ(v.size(), 27u);
  ASSERT_NE(v.Find("VISITED"), nullptr);
  EXPECT_DOUBLE_EQ(*v.Find("VISITED")->goldstein, 1.9);
  EXPECT_EQ(v.Find("VISITED")->cameo, "042");
  EXPECT_FALSE(v.Find("VISITED")->symmetric);
  EXPECT_TRUE(v.Find("MET")->symmetric);
  EXPECT_DOUBLE_EQ(*v.Find("STATED")->goldstein, 0.0);  // an event with weight 0
  EXPECT_FALSE(v.Find("HOLDS_OFFICE")->goldstein.has_value());
  EXPECT_EQ(v.Find("UNKNOWN_PREDICATE"), nullptr);
  EXPECT_THAT(v.SymmetricPredicates(), ::testing::UnorderedElementsAre(
                                           "CONSULTED", "MET", "MET_AT_THIRD_PLACE", "NEGOTIATED",
                                           "COOPERATED_DIPLOMATICALLY", "SIGNED_AGREEMENT",
                                           "COOPERATED_ECONOMICALLY", "COOPERATED_MILITARILY"));
}

TEST(VocabularyTest, ADeploymentsOwnFileReplacesIt) {
  Result<Vocabulary> v = Vocabulary::Parse("# mine\nHUGGED\t-\t9.5\tyes\tembraces\n", "mine.tsv");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->size(), 1u);
  EXPECT_DOUBLE_EQ(*v->Find("HUGGED")->goldstein, 9.5);
  EXPECT_EQ(v->Find("VISITED"), nullptr);
}

TEST(VocabularyTest, BadLinesNameFileLineAndColumn) {
  struct Case {
    const char* tsv;
    const char* message;
  };
  for (const Case& c :
       {Case{"visited\t042\t1.9\tno\tx\n", "v.tsv:1: predicate: must match"},
        Case{"# c\nMET\t040\tlots\tyes\tx\n", "v.tsv:2: goldstein: must be a number"},
        Case{"MET\t040\t11\tyes\tx\n", "v.tsv:1: goldstein: must be a number in [-10, 10]"},
        Case{"MET\t040\t1.0\tmaybe\tx\n", "v.tsv:1: symmetric: must be yes or no"},
        Case{"MET\t040\n", "v.tsv:1: line: expected"},
        Case{"MET\t040\t1\tyes\nMET\t040\t1\tyes\n", "v.tsv:2: predicate: MET is listed twice"}}) {
    Result<Vocabulary> v = Vocabulary::Parse(c.tsv, "v.tsv");
    ASSERT_FALSE(v.ok()) << c.tsv;
    EXPECT_THAT(v.status().message(), ::testing::StartsWith(c.message));
  }
  EXPECT_TRUE(Vocabulary::LoadFile("/nonexistent/p.tsv").status().code() == StatusCode::kIOError);
}

}  // namespace
}  // namespace dyad::testing
