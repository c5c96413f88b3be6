// DyadTimelineSvg: the chart of `dyad dyad A B --plot FILE.svg` on
// constructed answers: one bar per non-empty bucket and direction, bars up
// or down from the zero baseline, linear time, escaped names, an empty
// answer, and well-formed XML (checked with xmllint when it is installed).
#include "service/timeline_svg.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "tests/test_util.h"

namespace dyad::testing {
namespace {

using service::DyadBucketView;
using service::DyadTimelineSvg;
using service::DyadView;
using ::testing::HasSubstr;
using ::testing::Not;

// One bar as drawn: its geometry and its <title>.
struct Bar {
  double x = 0, y = 0, width = 0, height = 0;
  std::string title;
};

// The value of attribute `name` in the element text `element`; NaN if none.
double Attr(std::string_view element, std::string_view name) {
  const std::string key = " " + std::string(name) + "=\"";
  const size_t at = element.find(key);
  if (at == std::string_view::npos) return std::nan("");
  return std::strtod(std::string(element.substr(at + key.size())).c_str(), nullptr);
}

class TimelineSvgTest : public ::testing::Test {
 protected:
  static DyadView View(std::string by, std::vector<DyadBucketView> buckets) {
    DyadView v;
    v.a.name = "Russia";
    v.a.external_id = "Country:russia";
    v.b.name = "Pakistan";
    v.b.external_id = "Country:pakistan";
    v.by = std::move(by);
    v.buckets = std::move(buckets);
    return v;
  }

  static DyadBucketView Bucket(std::string period, bool a_to_b, uint64_t events, double goldstein) {
    DyadBucketView b;
    b.period = std::move(period);
    b.a_to_b = a_to_b;
    b.events = events;
    b.goldstein = goldstein;
    return b;
  }

  // The bars of one series ("a_to_b" or "b_to_a"), in document order.
  static std::vector<Bar> Bars(const std::string& svg, std::string_view series) {
    std::vector<Bar> bars;
    const size_t start = svg.find("<g class=\"series " + std::string(series) + "\"");
    if (start == std::string::npos) return bars;
    const size_t end = svg.find("</g>", start);
    for (size_t at = svg.find("<rect class=\"bar\"", start); at < end;
         at = svg.find("<rect class=\"bar\"", at + 1)) {
      const size_t tag_end = svg.find('>', at);
      const std::string_view tag(svg.data() + at, tag_end - at);
      Bar bar{Attr(tag, "x"), Attr(tag, "y"), Attr(tag, "width"), Attr(tag, "height"), {}};
      const size_t title = svg.find("<title>", tag_end);
      const size_t title_end = svg.find("</title>", title);
      if (title < end) bar.title = svg.substr(title + 7, title_end - title - 7);
      bars.push_back(bar);
    }
    return bars;
  }

  static size_t Count(const std::string& text, std::string_view needle) {
    size_t n = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
      ++n;
    }
    return n;
  }

  static double BaselineY(const std::string& svg) {
    const size_t at = svg.find("<line class=\"baseline\"");
    if (at == std::string::npos) return std::nan("");
    return Attr(std::string_view(svg).substr(at, svg.find('>', at) - at), "y1");
  }

  // xmllint's verdict on `svg`: "" when well-formed, else its complaint.
  // Skips the calling test when xmllint is not installed.
  static bool HaveXmllint() { return std::system("command -v xmllint >/dev/null 2>&1") == 0; }
  static std::string XmlErrors(const std::string& svg) {
    TempDir dir;
    WriteFile(dir / "chart.svg", svg);
    const std::string cmd = "xmllint --noout '" + (dir / "chart.svg").string() + "' 2>'" +
                            (dir / "errors").string() + "'";
    if (std::system(cmd.c_str()) == 0) return "";
    std::string errors = ReadFile(dir / "errors");
    return errors.empty() ? "xmllint failed" : errors;
  }
};

TEST_F(TimelineSvgTest, OneBarPerNonEmptyBucketPerDirection) {
  const std::string svg = DyadTimelineSvg(
      View("month", {Bucket("2012-01", true, 1, 6.4), Bucket("2012-01", false, 1, 4),
                     Bucket("2012-03", false, 0, 0),  // empty: no bar
                     Bucket("2012-10", true, 7, 14.2), Bucket("2012-10", false, 1, 1.9),
                     Bucket("2012-11", true, 2, -3)}));
  EXPECT_EQ(Bars(svg, "a_to_b").size(), 3u);
  EXPECT_EQ(Bars(svg, "b_to_a").size(), 2u);
  EXPECT_EQ(Count(svg, "<rect class=\"bar\""), 5u);
  EXPECT_EQ(Count(svg, "<title>"), 5u);
}

TEST_F(TimelineSvgTest, EachBarHasAHoverTitleWithItsCountAndSum) {
  const std::string svg = DyadTimelineSvg(
      View("month", {Bucket("2012-10", true, 3, 5.7), Bucket("2012-10", false, 1, -2)}));
  std::vector<Bar> ab = Bars(svg, "a_to_b");
  std::vector<Bar> ba = Bars(svg, "b_to_a");
  ASSERT_EQ(ab.size(), 1u);
  ASSERT_EQ(ba.size(), 1u);
  EXPECT_EQ(ab[0].title, "2012-10, Russia \u2192 Pakistan: 3 events, Goldstein +5.7");
  EXPECT_EQ(ba[0].title, "2012-10, Pakistan \u2192 Russia: 1 event, Goldstein -2.0");
  // A→B on the left of its period, B→A on the right.
  EXPECT_LT(ab[0].x + ab[0].width, ba[0].x + 1e-9);
}

TEST_F(TimelineSvgTest, TitleLegendAndAxesAreLabelled) {
  const std::string month = DyadTimelineSvg(
      View("month", {Bucket("2012-10", true, 7, 14.2), Bucket("2012-10", false, 1, 1.9)}));
  EXPECT_THAT(month, HasSubstr(">Russia \u2013 Pakistan: Goldstein sum per month</text>"));
  EXPECT_THAT(month, HasSubstr(">Goldstein sum</text>"));
  EXPECT_THAT(month, HasSubstr(">Month</text>"));
  EXPECT_THAT(month, HasSubstr(">2012-10</text>"));
  EXPECT_THAT(month, HasSubstr(">Russia \u2192 Pakistan: 7 events, Goldstein +14.2</text>"));
  EXPECT_THAT(month, HasSubstr(">Pakistan \u2192 Russia: 1 event, Goldstein +1.9</text>"));

  const std::string year = DyadTimelineSvg(View("year", {Bucket("2012", true, 8, 20.6)}));
  EXPECT_THAT(year, HasSubstr(">Russia \u2013 Pakistan: Goldstein sum per year</text>"));
  EXPECT_THAT(year, HasSubstr(">Year</text>"));
  EXPECT_THAT(year, HasSubstr(">2012</text>"));
  EXPECT_EQ(Bars(year, "a_to_b").size(), 1u);
}

TEST_F(TimelineSvgTest, NegativeSumsAreDrawnBelowTheBaselineAndPositiveAbove) {
  const std::string svg = DyadTimelineSvg(
      View("month", {Bucket("2012-01", true, 2, 6.4), Bucket("2012-02", true, 3, -7.5),
                     Bucket("2012-03", true, 1, 0), Bucket("2012-03", false, 1, -0.1)}));
  const double base = BaselineY(svg);
  ASSERT_FALSE(std::isnan(base)) << svg;
  std::vector<Bar> ab = Bars(svg, "a_to_b");
  ASSERT_EQ(ab.size(), 3u);
  // Up from the baseline.
  EXPECT_NEAR(ab[0].y + ab[0].height, base, 0.01);
  EXPECT_GT(ab[0].height, 10);
  // Down from it, and longer: |-7.5| > 6.4.
  EXPECT_NEAR(ab[1].y, base, 0.01);
  EXPECT_GT(ab[1].height, ab[0].height);
  // A zero sum still shows, on the baseline.
  EXPECT_GE(ab[2].height, 1);
  EXPECT_LE(ab[2].y, base);
  EXPECT_GE(ab[2].y + ab[2].height, base);
  // A tiny negative sum is at least visible, below the baseline.
  std::vector<Bar> ba = Bars(svg, "b_to_a");
  ASSERT_EQ(ba.size(), 1u);
  EXPECT_NEAR(ba[0].y, base, 0.01);
  EXPECT_GE(ba[0].height, 1);
}

TEST_F(TimelineSvgTest, EveryPeriodBetweenTheFirstAndTheLastGetsASlot) {
  const std::string svg =
      DyadTimelineSvg(View("month", {Bucket("2011-12", true, 1, 1), Bucket("2012-01", true, 1, 1),
                                     Bucket("2012-10", true, 1, 1)}));
  std::vector<Bar> ab = Bars(svg, "a_to_b");
  ASSERT_EQ(ab.size(), 3u);
  const double month = ab[1].x - ab[0].x;
  EXPECT_GT(month, 0);
  EXPECT_NEAR(ab[2].x - ab[1].x, 9 * month, 0.1);  // January to October
}

TEST_F(TimelineSvgTest, UndatedGetsItsOwnSlotAtTheRightEnd) {
  const std::string svg = DyadTimelineSvg(
      View("year", {Bucket("2011", true, 1, 1), Bucket("2013", false, 1, 2),
                    Bucket("undated", true, 4, 3), Bucket("undated", false, 1, -1)}));
  std::vector<Bar> ab = Bars(svg, "a_to_b");
  std::vector<Bar> ba = Bars(svg, "b_to_a");
  ASSERT_EQ(ab.size(), 2u);
  ASSERT_EQ(ba.size(), 2u);
  EXPECT_GT(ab[1].x, ba[0].x + ba[0].width);  // undated after 2013
  EXPECT_THAT(ab[1].title, HasSubstr("undated, Russia"));
  EXPECT_THAT(svg, HasSubstr(">undated</text>"));
  EXPECT_THAT(svg, HasSubstr(">2012</text>"));  // an empty year between keeps its slot
}

TEST_F(TimelineSvgTest, NamesAreXmlEscaped) {
  DyadView v = View("month", {Bucket("2012-10", true, 1, 1)});
  v.a.name = "A<&\"B'";
  v.b.name = "C>D";
  const std::string svg = DyadTimelineSvg(v);
  EXPECT_THAT(svg, HasSubstr("A&lt;&amp;&quot;B&apos; \u2013 C&gt;D: Goldstein sum per month"));
  EXPECT_THAT(svg, HasSubstr("<title>2012-10, A&lt;&amp;&quot;B&apos; \u2192 C&gt;D: 1 event"));
  EXPECT_THAT(svg, Not(HasSubstr("A<&")));
  EXPECT_THAT(svg, Not(HasSubstr("C>D")));
  if (!HaveXmllint()) GTEST_SKIP() << "no xmllint";
  EXPECT_EQ(XmlErrors(svg), "") << svg;
}

TEST_F(TimelineSvgTest, BytesXmlCannotHoldBecomeReplacementCharacters) {
  DyadView v = View("month", {Bucket("2012-10", true, 1, 1)});
  v.a.name = std::string(
      "bad\x01"
      "byte\xff"
      "cut\xe2\x86",
      13);
  v.b.name =
      "Stra\xc3\x9f"
      "e \xe2\x86\x92";  // valid UTF-8 stays
  const std::string svg = DyadTimelineSvg(v);
  EXPECT_THAT(svg, HasSubstr("bad\xef\xbf\xbd"
                             "byte\xef\xbf\xbd"
                             "cut\xef\xbf\xbd"));
  EXPECT_THAT(svg, HasSubstr("Stra\xc3\x9f"
                             "e \xe2\x86\x92"));
  if (!HaveXmllint()) GTEST_SKIP() << "no xmllint";
  EXPECT_EQ(XmlErrors(svg), "") << svg;
}

TEST_F(TimelineSvgTest, AnEmptyAnswerIsAValidChartSayingNoEvents) {
  const std::string svg = DyadTimelineSvg(View("month", {}));
  EXPECT_THAT(svg, HasSubstr(">no events</text>"));
  EXPECT_EQ(Count(svg, "<rect class=\"bar\""), 0u);
  EXPECT_THAT(svg, HasSubstr("Goldstein sum per month"));
  EXPECT_FALSE(std::isnan(BaselineY(svg)));
  if (!HaveXmllint()) GTEST_SKIP() << "no xmllint";
  EXPECT_EQ(XmlErrors(svg), "") << svg;
}

TEST_F(TimelineSvgTest, ManyPeriodsShareABoundedWidthWithThinnedLabels) {
  std::vector<DyadBucketView> buckets;
  for (int year = 1990; year <= 2020; ++year) {
    for (int month = 1; month <= 12; month += 5) {
      buckets.push_back(
          Bucket(fmt::format("{}-{:02d}", year, month), month % 2 == 1, 1, month - 6));
    }
  }
  const std::string svg = DyadTimelineSvg(View("month", buckets));
  EXPECT_EQ(Bars(svg, "a_to_b").size() + Bars(svg, "b_to_a").size(), buckets.size());
  const std::string_view head(svg.data(), svg.find('>', svg.find("<svg")));
  EXPECT_LE(Attr(head, "width"), 4000);
  EXPECT_GE(Attr(head, "width"), 500);
  // 372 months; a label every year or so, not every month.
  const size_t labels = Count(svg, "text-anchor=\"middle\" fill=\"#333333\">");
  EXPECT_GT(labels, 10u);
  EXPECT_LT(labels, 80u);
  if (!HaveXmllint()) GTEST_SKIP() << "no xmllint";
  EXPECT_EQ(XmlErrors(svg), "");
}

TEST_F(TimelineSvgTest, AFewPeriodsGetAReadableWidth) {
  const std::string one = DyadTimelineSvg(View("year", {Bucket("2012", true, 8, 20.6)}));
  const std::string_view head(one.data(), one.find('>', one.find("<svg")));
  EXPECT_GE(Attr(head, "width"), 500);
  EXPECT_LE(Attr(head, "width"), 1000);
  std::vector<Bar> bars = Bars(one, "a_to_b");
  ASSERT_EQ(bars.size(), 1u);
  EXPECT_GT(bars[0].width, 4);
  EXPECT_LE(bars[0].width, 20);
}

TEST_F(TimelineSvgTest, ATruncatedAnswerSaysSo) {
  DyadView v = View("month", {Bucket("2012-10", true, 1, 1)});
  v.truncated_by = "deadline";
  EXPECT_THAT(DyadTimelineSvg(v), HasSubstr("truncated by deadline"));
}

TEST_F(TimelineSvgTest, OutputIsDeterministicAndWellFormed) {
  const DyadView v =
      View("month", {Bucket("2012-01", true, 1, 6.4), Bucket("2012-01", false, 1, 4),
                     Bucket("2012-10", true, 7, 14.2), Bucket("2012-10", false, 1, 1.9),
                     Bucket("undated", true, 2, 0)});
  const std::string svg = DyadTimelineSvg(v);
  EXPECT_EQ(svg, DyadTimelineSvg(v));
  EXPECT_EQ(svg.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg ", 0), 0u);
  EXPECT_THAT(svg, HasSubstr("xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_THAT(svg, Not(HasSubstr("<script")));
  EXPECT_THAT(svg, Not(HasSubstr("href")));
  EXPECT_THAT(svg, Not(HasSubstr("@import")));
  EXPECT_EQ(Count(svg, "<style"), 1u);
  if (!HaveXmllint()) GTEST_SKIP() << "no xmllint";
  EXPECT_EQ(XmlErrors(svg), "") << svg;
}

}  // namespace
}  // namespace dyad::testing
