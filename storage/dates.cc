#include "storage/dates.h"

#include <fmt/format.h>

namespace dyad::storage {
namespace {

// Howard Hinnant's days_from_civil / civil_from_days.
int32_t DaysFromCivil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int>(doe) - 719468;
}

struct Civil {
  int y;
  unsigned m, d;
};

// In 64 bits: every day code is a day (a damaged record's too, years far
// outside 0001..9999), and shifting the extreme ones must not overflow.
Civil CivilFromDays(int32_t days) {
  const int64_t z = int64_t{days} + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const auto y = static_cast<int>(int64_t{yoe} + era * 400);
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(int y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Reads exactly `n` digits at `pos`; false if any is not a digit.
bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

constexpr uint32_t kBias = 1u << 31;

}  // namespace

DayCode DayCodeFromDays(int32_t days) {
  return static_cast<DayCode>(static_cast<int64_t>(days) + kBias);
}

int32_t DaysFromDayCode(DayCode code) {
  return static_cast<int32_t>(static_cast<int64_t>(code) - kBias);
}

Result<DayCode> ParseDay(std::string_view s) {
  const auto bad = [&](std::string_view why) {
    return Status::InvalidArgument(fmt::format("\"{}\" is not an ISO-8601 date: {}", s, why));
  };
  int y, mo, d;
  if (s.size() < 10 || !Digits(s, 0, 4, &y) || s[4] != '-' || !Digits(s, 5, 2, &mo) ||
      s[7] != '-' || !Digits(s, 8, 2, &d)) {
    return bad("expected YYYY-MM-DD");
  }
  if (y < 1) return bad("year must be 0001..9999");
  if (mo < 1 || mo > 12) return bad("month must be 01..12");
  if (d < 1 || static_cast<unsigned>(d) > DaysInMonth(y, mo))
    return bad("no such day in that month");
  int32_t days = DaysFromCivil(y, mo, d);
  if (s.size() == 10) return DayCodeFromDays(days);

  // A date-time: THH:MM[:SS[.frac]] then Z or an offset.
  int hh, mm, ss = 0;
  if (s[10] != 'T' && s[10] != 't') return bad("expected 'T' after the date");
  if (!Digits(s, 11, 2, &hh) || s.size() < 16 || s[13] != ':' || !Digits(s, 14, 2, &mm)) {
    return bad("expected THH:MM after the date");
  }
  size_t pos = 16;
  if (pos < s.size() && s[pos] == ':') {
    if (!Digits(s, pos + 1, 2, &ss)) return bad("expected two digits of seconds");
    pos += 3;
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      size_t start = pos;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
      if (pos == start) return bad("expected digits after '.'");
    }
  }
  if (hh > 23 || mm > 59 || ss > 60) return bad("time of day out of range");
  int offset_minutes = 0;
  if (pos == s.size()) return bad("a date-time needs 'Z' or an offset such as +05:00");
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (!Digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !Digits(s, pos + 4, 2, &om)) {
      return bad("offset must be ±HH:MM");
    }
    if (oh > 23 || om > 59) return bad("offset out of range");
    offset_minutes = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return bad("a date-time needs 'Z' or an offset such as +05:00");
  }
  if (pos != s.size()) return bad("unexpected characters after the time");
  // Local time minus offset is UTC; floor-divide minutes into days.
  int64_t minutes = static_cast<int64_t>(days) * 1440 + hh * 60 + mm - offset_minutes;
  int64_t utc_days = minutes >= 0 ? minutes / 1440 : -((-minutes + 1439) / 1440);
  Civil c = CivilFromDays(static_cast<int32_t>(utc_days));
  if (c.y < 1 || c.y > 9999) return bad("year must be 0001..9999");
  return DayCodeFromDays(static_cast<int32_t>(utc_days));
}

std::string FormatDay(DayCode code) {
  char buffer[kFormattedDayRoom];
  return std::string(buffer, FormatDayTo(buffer, code));
}

char* FormatDayTo(char* out, DayCode code) {
  const Civil c = CivilFromDays(DaysFromDayCode(code));
  if (c.y < 1 || c.y > 9999) return fmt::format_to(out, "{:04d}-{:02d}-{:02d}", c.y, c.m, c.d);
  auto two = [&](unsigned v) {
    *out++ = static_cast<char>('0' + v / 10);
    *out++ = static_cast<char>('0' + v % 10);
  };
  const auto y = static_cast<unsigned>(c.y);
  two(y / 100);
  two(y % 100);
  *out++ = '-';
  two(c.m);
  *out++ = '-';
  two(c.d);
  return out;
}

int YearOf(DayCode code) { return CivilFromDays(DaysFromDayCode(code)).y; }
int MonthOf(DayCode code) { return static_cast<int>(CivilFromDays(DaysFromDayCode(code)).m); }

}  // namespace dyad::storage
