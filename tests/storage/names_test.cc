#include "storage/names.h"

#include <gtest/gtest.h>

namespace dyad::storage {
namespace {

std::string Norm(std::string_view s) {
  Result<std::string> n = NormalizeName(s);
  return n.ok() ? *n : "ERROR";
}

TEST(NamesTest, CaseAccentsAndPunctuationFold) {
  EXPECT_EQ(Norm("Ashfaq Parvez Kayani"), "ashfaq parvez kayani");
  EXPECT_EQ(Norm("  Maj-Gen   Asim Bajwa "), "maj gen asim bajwa");
  EXPECT_EQ(Norm("Erdoğan"), "erdogan");
  EXPECT_EQ(Norm("ERDOĞAN"), "erdogan");
  EXPECT_EQ(Norm("São Tomé and Príncipe"), "sao tome and principe");
  EXPECT_EQ(Norm("U.S."), "u s");
  EXPECT_EQ(Norm("Straße"), "strasse");
  EXPECT_EQ(Norm("ﬁnance"), "finance");       // NFKC: the ligature is two letters
  EXPECT_EQ(Norm("Ｒｕｓｓｉａ"), "russia");  // full-width letters
}

TEST(NamesTest, OtherScriptsKeepTheirLetters) {
  EXPECT_EQ(Norm("Сергей Лавров"), "сергеи лавров");  // see Й below
  // Accent folding is script-blind for the generic diacritics, as in ICU's
  // accent-insensitive matching: the breve of Й goes like the accent of é.
  EXPECT_EQ(Norm("Й"), "и");
  EXPECT_EQ(Norm("नरेंद्र मोदी"), "नरेंद्र मोदी");  // Devanagari vowel signs stay
  EXPECT_NE(Norm("मोदी"), Norm("मद"));
  EXPECT_EQ(Norm("عِمران خان"), "عمران خان");  // Arabic vowel points are optional
  EXPECT_EQ(Norm("北京"), "北京");
}

TEST(NamesTest, NamesWithoutLettersOrDigitsAreRejected) {
  for (const char* bad : {"", "   ", "!!!", "-", "\xCC\x81"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(NormalizeName(bad).ok());
  }
  EXPECT_FALSE(NormalizeName("\xff\xfe").ok());  // not UTF-8
}

TEST(NamesTest, SlugsAndSyntax) {
  EXPECT_EQ(SlugOf("ashfaq parvez kayani"), "ashfaq-parvez-kayani");
  EXPECT_TRUE(IsValidLabel("Country"));
  EXPECT_TRUE(IsValidLabel("Armed_Group2"));
  EXPECT_FALSE(IsValidLabel("country"));
  EXPECT_FALSE(IsValidLabel("2Country"));
  EXPECT_FALSE(IsValidLabel(""));
  EXPECT_TRUE(IsValidPredicate("CANCELLED_VISIT"));
  EXPECT_FALSE(IsValidPredicate("Visited"));
  EXPECT_FALSE(IsValidPredicate("MET-WITH"));
  EXPECT_TRUE(IsValidUtf8("Erdoğan"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));
}

}  // namespace
}  // namespace dyad::storage
