// Calendar days as dyad stores them. A fact's validity and a source's
// publication date are whole UTC days; a DayCode packs one into 32 bits that
// sort in date order when written big-endian, with 0 meaning "open" (no
// date), which sorts before every real day.
//   DYAD_ASSIGN_OR_RETURN(DayCode d, ParseDay("2012-10-03T23:30:00-05:00"));
//   FormatDay(d) == "2012-10-04"
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/status.h"

namespace dyad::storage {

using DayCode = uint32_t;
inline constexpr DayCode kOpenDay = 0;

// Days since 1970-01-01 (proleptic Gregorian) <-> DayCode.
DayCode DayCodeFromDays(int32_t days_since_epoch);
int32_t DaysFromDayCode(DayCode code);

// Accepts an ISO-8601 date `YYYY-MM-DD` (years 0001..9999), or a date-time
// `YYYY-MM-DDTHH:MM[:SS[.fraction]]` followed by `Z` or `±HH:MM`, whose UTC
// day is returned. InvalidArgument with a reason (no field name) otherwise.
Result<DayCode> ParseDay(std::string_view text);

// `YYYY-MM-DD`; precondition: code != kOpenDay. A code ParseDay cannot
// give (a damaged record's) is a day all the same, its year printed with
// more digits or a sign.
std::string FormatDay(DayCode code);
// FormatDay into `out`, which has room for kFormattedDayRoom bytes; returns
// the end of what it wrote. For writers of millions of dates.
inline constexpr size_t kFormattedDayRoom = 24;
char* FormatDayTo(char* out, DayCode code);

// Year and month of a day code, for bucketing.
int YearOf(DayCode code);
int MonthOf(DayCode code);

}  // namespace dyad::storage
