#include "storage/dates.h"

#include <gtest/gtest.h>

namespace dyad::storage {
namespace {

std::string Day(std::string_view text) {
  Result<DayCode> d = ParseDay(text);
  return d.ok() ? FormatDay(*d) : "ERROR: " + d.status().message();
}

TEST(DatesTest, IsoDatesRoundTrip) {
  EXPECT_EQ(Day("2012-10-03"), "2012-10-03");
  EXPECT_EQ(Day("0001-01-01"), "0001-01-01");
  EXPECT_EQ(Day("9999-12-31"), "9999-12-31");
  EXPECT_EQ(Day("2012-02-29"), "2012-02-29");
  EXPECT_EQ(Day("2000-02-29"), "2000-02-29");
}

TEST(DatesTest, DateTimesUseTheirUtcDay) {
  EXPECT_EQ(Day("2012-10-03T23:30:00Z"), "2012-10-03");
  EXPECT_EQ(Day("2012-10-03T23:30:00-05:00"), "2012-10-04");
  EXPECT_EQ(Day("2012-10-04T01:00+05:30"), "2012-10-03");
  EXPECT_EQ(Day("2012-12-31T22:00:00.125-03:00"), "2013-01-01");
}

TEST(DatesTest, MalformedDatesAreRejectedWithAReason) {
  for (const char* bad :
       {"2012-13-01", "2012-02-30", "1900-02-29", "2012-1-1", "yesterday", "", "0000-01-01",
        "2012-10-03T10:00", "2012-10-03T25:00Z", "2012-10-03 10:00Z", "2012-10-03Z",
        "2012-10-03T10:00:00+5:00", "2012-10-03T10:00Zjunk"}) {
    SCOPED_TRACE(bad);
    Result<DayCode> d = ParseDay(bad);
    ASSERT_FALSE(d.ok());
    EXPECT_TRUE(d.status().IsInvalidArgument());
    EXPECT_NE(d.status().message().find("ISO-8601"), std::string::npos) << d.status().message();
  }
}

TEST(DatesTest, DayCodesSortInDateOrderAfterOpen) {
  DayCode a = *ParseDay("1999-12-31"), b = *ParseDay("2000-01-01"), c = *ParseDay("1969-12-31");
  EXPECT_LT(kOpenDay, c);
  EXPECT_LT(c, a);
  EXPECT_LT(a, b);
  EXPECT_EQ(YearOf(b), 2000);
  EXPECT_EQ(MonthOf(a), 12);
}

// Found by fuzz_store_records (tests/fuzz/corpus/fuzz_store_records/crash-day-code-overflow):
// a damaged record's day code near 2^32 overflowed a signed int on its way to
// a calendar day (undefined behaviour; in practice a negative year).
TEST(DatesTest, EveryDayCodeIsADayEvenFarOutsideParseDaysYears) {
  EXPECT_EQ(FormatDay(0xFFFFFFFFu), "5881580-07-11");
  EXPECT_EQ(YearOf(0xFFFFFFFFu), 5881580);
  EXPECT_EQ(FormatDay(1), "-5877641-06-24");
  EXPECT_EQ(MonthOf(1), 6);
  EXPECT_EQ(FormatDay(DayCodeFromDays(0)), "1970-01-01");
  EXPECT_EQ(FormatDay(DayCodeFromDays(-1)), "1969-12-31");
}

}  // namespace
}  // namespace dyad::storage
