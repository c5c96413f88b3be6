#include "service/timeline_svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string_view>
#include <vector>

namespace dyad::service {
namespace {

// Layout, in pixels.
constexpr double kMarginLeft = 76;  // y tick labels and the y axis label
constexpr double kMarginRight = 24;
constexpr double kTitleY = 26;
constexpr double kLegendY = 48;  // first legend row; rows kRowHeight apart
constexpr double kRowHeight = 18;
constexpr double kMarginBottom = 64;  // period labels and the x axis label
constexpr double kPlotHeight = 300;
constexpr double kMinPlotWidth = 480;   // a chart of one period is still this wide
constexpr double kMaxPlotWidth = 3600;  // many periods share this width
constexpr double kExtraGap = 24;        // between the dated slots and "undated"
constexpr double kExtraSlotWidth = 60;  // a slot of a period that is not a date
constexpr double kMaxBarWidth = 16;
constexpr double kMinBarWidth = 0.5;
constexpr double kMinBarHeight = 1.5;  // so that a zero sum still shows a bar
// Least distance between two period labels, and the width of a period
// while they all fit in kMaxPlotWidth.
constexpr double kMonthLabelSpacing = 60;
constexpr double kYearLabelSpacing = 44;

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr std::string_view kSeriesClass[2] = {"a_to_b", "b_to_a"};
constexpr std::string_view kSeriesColour[2] = {"#1f77b4", "#ff7f0e"};

// The length of the UTF-8 sequence at text[i] if it is one that XML 1.0 may
// hold (no surrogates, U+FFFE or U+FFFF, no overlong form); else 0.
size_t Utf8CharLength(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  size_t len = 0;
  uint32_t cp = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    len = 2;
    cp = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    len = 3;
    cp = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    len = 4;
    cp = lead & 0x07;
  } else {
    return 0;
  }
  if (i + len > text.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  const uint32_t least = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
  if (cp < least || cp > 0x10FFFF) return 0;
  if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
  if (cp == 0xFFFE || cp == 0xFFFF) return 0;
  return len;
}

// `text` escaped for XML character data and attribute values alike.
std::string Esc(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      switch (c) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += "&apos;";
          break;
        default:
          if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            out += kReplacement;  // XML 1.0 cannot hold it, not even as &#x..;
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    const size_t len = Utf8CharLength(text, i);
    if (len == 0) {
      out += kReplacement;
      ++i;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

// A coordinate: at most two decimals, no trailing zeros, never "-0".
std::string Px(double v) {
  std::string s = fmt::format("{:.2f}", v);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

// `s` (a number printed in fixed decimals) without the sign of a zero.
std::string NoNegativeZero(std::string s) {
  if (!s.empty() && s[0] == '-' && s.find_first_not_of("0.", 1) == std::string::npos) {
    s.erase(0, 1);
  }
  return s;
}

// A Goldstein sum as the table shows it: "+14.2", "-3.0", "+0.0".
std::string Goldstein(double sum) {
  std::string s = fmt::format("{:+.1f}", sum);
  if (s == "-0.0") s = "+0.0";
  return s;
}

std::string Events(uint64_t n) { return fmt::format("{} event{}", n, n == 1 ? "" : "s"); }

const std::string& NameOf(const storage::Node& n) {
  return n.name.empty() ? n.external_id : n.name;
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The value of a short run of decimal digits.
int64_t Digits(std::string_view s) {
  int64_t v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

// The slot code of a dated period: year * 12 + month - 1 for "YYYY-MM" by
// month, the year for "YYYY" by year; nullopt for anything else.
std::optional<int64_t> PeriodCode(std::string_view period, bool by_year) {
  if (by_year) {
    if (period.size() != 4 || !AllDigits(period)) return std::nullopt;
    return Digits(period);
  }
  if (period.size() != 7 || period[4] != '-' || !AllDigits(period.substr(0, 4)) ||
      !AllDigits(period.substr(5))) {
    return std::nullopt;
  }
  const int64_t year = Digits(period.substr(0, 4));
  const int64_t month = Digits(period.substr(5));
  if (month < 1 || month > 12) return std::nullopt;
  return year * 12 + month - 1;
}

std::string PeriodName(int64_t code, bool by_year) {
  if (by_year) return fmt::format("{:04d}", code);
  return fmt::format("{:04d}-{:02d}", code / 12, code % 12 + 1);
}

// Periods between two labels of the x axis: a round number of months (or
// years) whose labels do not overlap.
int64_t LabelStep(double slot_width, bool by_year) {
  static constexpr int64_t kMonthSteps[] = {1,   2,   3,   4,    6,    12,   24,    36,    60,
                                            120, 240, 600, 1200, 2400, 6000, 12000, 24000, 60000};
  static constexpr int64_t kYearSteps[] = {1,   2,   5,    10,   20,   50,   100,
                                           200, 500, 1000, 2000, 5000, 10000};
  const double spacing = by_year ? kYearLabelSpacing : kMonthLabelSpacing;
  const auto pick = [&](const auto& steps) {
    for (int64_t s : steps) {
      if (static_cast<double>(s) * slot_width >= spacing) return s;
    }
    return steps[std::size(steps) - 1];
  };
  return by_year ? pick(kYearSteps) : pick(kMonthSteps);
}

// 1, 2, 2.5 or 5 times a power of ten, at least `raw`.
double NiceStep(double raw) {
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0}) {
    if (m * magnitude >= raw * (1 - 1e-9)) return m * magnitude;
  }
  return 10 * magnitude;
}

// Decimals that print every multiple of `step` exactly (0.25 -> 2).
int DecimalsOf(double step) {
  for (int d = 0; d < 6; ++d) {
    const double scaled = step * std::pow(10.0, d);
    if (std::abs(scaled - std::round(scaled)) < 1e-6 * scaled) return d;
  }
  return 6;
}

double Finite(double v) { return std::isfinite(v) ? v : 0.0; }

}  // namespace

std::string DyadTimelineSvg(const DyadView& answer) {
  const bool by_year = answer.by == "year";
  const std::string& name_a = NameOf(answer.a);
  const std::string& name_b = NameOf(answer.b);

  // The buckets drawn (those with events), the span of their dated periods,
  // the other periods in order of appearance, and the range of their sums.
  std::vector<const DyadBucketView*> bars;
  std::optional<int64_t> first, last;
  std::vector<std::string> extras;
  double low = 0, high = 0;
  uint64_t total_events[2] = {0, 0};
  double total_goldstein[2] = {0, 0};
  for (const DyadBucketView& b : answer.buckets) {
    if (b.events == 0) continue;
    bars.push_back(&b);
    if (std::optional<int64_t> code = PeriodCode(b.period, by_year)) {
      first = first ? std::min(*first, *code) : *code;
      last = last ? std::max(*last, *code) : *code;
    } else if (std::find(extras.begin(), extras.end(), b.period) == extras.end()) {
      extras.push_back(b.period);
    }
    low = std::min(low, Finite(b.goldstein));
    high = std::max(high, Finite(b.goldstein));
    total_events[b.a_to_b ? 0 : 1] += b.events;
    total_goldstein[b.a_to_b ? 0 : 1] += b.goldstein;
  }

  // Horizontal layout: one slot per period from the first dated one to the
  // last, then a gap and the other periods' slots.
  const int64_t dated_slots = first ? *last - *first + 1 : 0;
  const double gap = dated_slots > 0 && !extras.empty() ? kExtraGap : 0;
  double extra_width = kExtraSlotWidth;
  if (dated_slots == 0 && !extras.empty()) {
    extra_width = std::max(kExtraSlotWidth, kMinPlotWidth / static_cast<double>(extras.size()));
  }
  const double extras_width =
      extras.empty() ? 0 : gap + extra_width * static_cast<double>(extras.size());
  double dated_width = 0;
  if (dated_slots > 0) {
    const double slot = by_year ? kYearLabelSpacing : kMonthLabelSpacing;
    dated_width = std::clamp(slot * static_cast<double>(dated_slots),
                             std::max(0.0, kMinPlotWidth - extras_width), kMaxPlotWidth);
  }
  const double slot_width = dated_slots > 0 ? dated_width / static_cast<double>(dated_slots) : 0;
  const double plot_width = std::max(kMinPlotWidth, dated_width + extras_width);
  const double bar_width = std::max(
      kMinBarWidth, std::min(kMaxBarWidth, 0.38 * (dated_slots > 0 ? slot_width : extra_width)));
  const double bar_gap = std::min(1.0, bar_width * 0.1);  // half the space between a pair

  const bool truncated = !answer.truncated_by.empty();
  const double plot_left = kMarginLeft;
  const double plot_right = plot_left + plot_width;
  const double plot_top = kLegendY + kRowHeight * (truncated ? 3 : 2);
  const double plot_bottom = plot_top + kPlotHeight;
  const double width = plot_right + kMarginRight;
  const double height = plot_bottom + kMarginBottom;

  const auto slot_centre = [&](const std::string& period) {
    if (std::optional<int64_t> code = PeriodCode(period, by_year)) {
      return plot_left + (static_cast<double>(*code - *first) + 0.5) * slot_width;
    }
    const auto j = std::find(extras.begin(), extras.end(), period) - extras.begin();
    return plot_left + dated_width + gap + (static_cast<double>(j) + 0.5) * extra_width;
  };

  // Vertical scale: round ticks covering every sum and zero.
  if (high - low < 1e-9) {
    low = -1;
    high = 1;
  }
  const double step = NiceStep((high - low) / 5);
  const int64_t low_tick = static_cast<int64_t>(std::floor(low / step + 1e-9));
  const int64_t high_tick = static_cast<int64_t>(std::ceil(high / step - 1e-9));
  low = static_cast<double>(low_tick) * step;
  high = static_cast<double>(high_tick) * step;
  const auto y_of = [&](double v) { return plot_top + (high - v) / (high - low) * kPlotHeight; };
  const double zero_y = y_of(0);
  const int decimals = DecimalsOf(step);

  const std::string title =
      fmt::format("{} \u2013 {}: Goldstein sum per {}", name_a, name_b, by_year ? "year" : "month");

  std::string out;
  auto put = std::back_inserter(out);
  fmt::format_to(put, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  fmt::format_to(put,
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
                 "viewBox=\"0 0 {0} {1}\" role=\"img\" aria-label=\"{2}\" "
                 "font-family=\"sans-serif\" font-size=\"11\">\n",
                 Px(width), Px(height), Esc(title));
  out += "<style>.bar:hover{opacity:0.7}</style>\n";
  fmt::format_to(put, "<rect width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>\n", Px(width),
                 Px(height));
  fmt::format_to(put,
                 "<text class=\"title\" x=\"{}\" y=\"{}\" font-size=\"15\" font-weight=\"bold\" "
                 "fill=\"#222222\">{}</text>\n",
                 Px(plot_left), Px(kTitleY), Esc(title));

  // Legend: one row per direction, with its totals.
  out += "<g class=\"legend\">\n";
  for (int s = 0; s < 2; ++s) {
    const double y = kLegendY + kRowHeight * s;
    fmt::format_to(put, "<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/>\n",
                   Px(plot_left), Px(y - 10), kSeriesColour[s]);
    fmt::format_to(
        put, "<text x=\"{}\" y=\"{}\" fill=\"#333333\">{} \u2192 {}: {}, Goldstein {}</text>\n",
        Px(plot_left + 18), Px(y), Esc(s == 0 ? name_a : name_b), Esc(s == 0 ? name_b : name_a),
        Events(total_events[s]), Goldstein(total_goldstein[s]));
  }
  if (truncated) {
    fmt::format_to(put,
                   "<text x=\"{}\" y=\"{}\" fill=\"#aa3333\" font-style=\"italic\">partial "
                   "answer: truncated by {}</text>\n",
                   Px(plot_left), Px(kLegendY + kRowHeight * 2), Esc(answer.truncated_by));
  }
  out += "</g>\n";

  // The y axis: grid lines and labelled ticks, then its name.
  out += "<g class=\"y-axis\">\n";
  for (int64_t k = low_tick; k <= high_tick; ++k) {
    const double v = static_cast<double>(k) * step;
    const std::string y = Px(y_of(v));
    fmt::format_to(put,
                   "<line x1=\"{0}\" y1=\"{2}\" x2=\"{1}\" y2=\"{2}\" stroke=\"#e5e5e5\"/>\n"
                   "<line x1=\"{3}\" y1=\"{2}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#333333\"/>\n"
                   "<text x=\"{4}\" y=\"{2}\" dy=\"0.32em\" text-anchor=\"end\" "
                   "fill=\"#333333\">{5}</text>\n",
                   Px(plot_left), Px(plot_right), y, Px(plot_left - 4), Px(plot_left - 7),
                   NoNegativeZero(fmt::format("{:.{}f}", v, decimals)));
  }
  fmt::format_to(put, "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#333333\"/>\n",
                 Px(plot_left), Px(plot_top), Px(plot_bottom));
  fmt::format_to(put,
                 "<text class=\"axis-label\" transform=\"rotate(-90)\" x=\"{}\" y=\"{}\" "
                 "text-anchor=\"middle\" font-size=\"12\" fill=\"#333333\">Goldstein sum</text>\n",
                 Px(-(plot_top + kPlotHeight / 2)), Px(20));
  out += "</g>\n";

  // The x axis: a tick and a label for every labelled period, then its name.
  out += "<g class=\"x-axis\">\n";
  fmt::format_to(put, "<line x1=\"{0}\" y1=\"{2}\" x2=\"{1}\" y2=\"{2}\" stroke=\"#333333\"/>\n",
                 Px(plot_left), Px(plot_right), Px(plot_bottom));
  const auto label = [&](double x, std::string_view text) {
    fmt::format_to(put,
                   "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#333333\"/>\n"
                   "<text x=\"{0}\" y=\"{3}\" text-anchor=\"middle\" fill=\"#333333\">{4}</text>\n",
                   Px(x), Px(plot_bottom), Px(plot_bottom + 4), Px(plot_bottom + 16), Esc(text));
  };
  if (dated_slots > 0) {
    const int64_t every = LabelStep(slot_width, by_year);
    for (int64_t code = *first + ((-*first % every) + every) % every; code <= *last;
         code += every) {
      label(plot_left + (static_cast<double>(code - *first) + 0.5) * slot_width,
            PeriodName(code, by_year));
    }
  }
  for (size_t j = 0; j < extras.size(); ++j) {
    label(plot_left + dated_width + gap + (static_cast<double>(j) + 0.5) * extra_width, extras[j]);
  }
  fmt::format_to(put,
                 "<text class=\"axis-label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" "
                 "font-size=\"12\" fill=\"#333333\">{}</text>\n",
                 Px(plot_left + plot_width / 2), Px(plot_bottom + 44), by_year ? "Year" : "Month");
  out += "</g>\n";

  if (gap > 0) {  // sets the periods that are not dates apart
    fmt::format_to(put,
                   "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#999999\" "
                   "stroke-dasharray=\"4 3\"/>\n",
                   Px(plot_left + dated_width + gap / 2), Px(plot_top), Px(plot_bottom));
  }

  // The bars, one series per direction.
  for (int s = 0; s < 2; ++s) {
    fmt::format_to(put, "<g class=\"series {}\" fill=\"{}\">\n", kSeriesClass[s], kSeriesColour[s]);
    for (const DyadBucketView* b : bars) {
      if (b->a_to_b != (s == 0)) continue;
      const double centre = slot_centre(b->period);
      const double x = s == 0 ? centre - bar_gap - bar_width : centre + bar_gap;
      const double v = Finite(b->goldstein);
      double top = 0, h = 0;
      if (v > 0) {
        h = std::max(kMinBarHeight, zero_y - y_of(v));
        top = zero_y - h;
      } else if (v < 0) {
        top = zero_y;
        h = std::max(kMinBarHeight, y_of(v) - zero_y);
      } else {
        h = kMinBarHeight;
        top = zero_y - h / 2;
      }
      fmt::format_to(put,
                     "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\">"
                     "<title>{}, {} \u2192 {}: {}, Goldstein {}</title></rect>\n",
                     Px(x), Px(top), Px(bar_width), Px(h), Esc(b->period),
                     Esc(b->a_to_b ? name_a : name_b), Esc(b->a_to_b ? name_b : name_a),
                     Events(b->events), Goldstein(b->goldstein));
    }
    out += "</g>\n";
  }

  // The zero baseline, over the bars' feet.
  fmt::format_to(put,
                 "<line class=\"baseline\" x1=\"{0}\" y1=\"{2}\" x2=\"{1}\" y2=\"{2}\" "
                 "stroke=\"#333333\" stroke-width=\"1\"/>\n",
                 Px(plot_left), Px(plot_right), Px(zero_y));
  if (bars.empty()) {
    fmt::format_to(put,
                   "<text class=\"empty\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" "
                   "font-size=\"14\" fill=\"#888888\">no events</text>\n",
                   Px(plot_left + plot_width / 2), Px(plot_top + kPlotHeight / 2 - 12));
  }
  out += "</svg>\n";
  return out;
}

}  // namespace dyad::service
