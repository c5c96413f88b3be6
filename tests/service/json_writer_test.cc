// JsonWriter: the number and string rules behind every JSON answer of the
// command line (cli.md: numbers rounded to 6 decimals, one compact document).
#include "service/json_writer.h"

#include <simdjson.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <utility>

#include "tests/test_util.h"

namespace dyad::testing {
namespace {

using service::FormatNumber;
using service::JsonWriter;

class JsonWriterTest : public ::testing::Test {
 protected:
  // The text of `value` written alone into an array: "[<value>]".
  static std::string ArrayOf(double value) {
    JsonWriter w;
    w.BeginArray().Number(value).EndArray();
    return w.str();
  }

  static std::string StringValue(std::string_view s) {
    JsonWriter w;
    w.String(s);
    return w.str();
  }

  // True when `text` is one well-formed JSON document.
  static bool Parses(const std::string& text) {
    simdjson::dom::parser parser;
    simdjson::padded_string padded(text);
    simdjson::dom::element root;
    return parser.parse(padded).get(root) == simdjson::SUCCESS;
  }
};

TEST_F(JsonWriterTest, NumbersAreRoundedToSixDecimalsWithoutTrailingZeros) {
  EXPECT_EQ(FormatNumber(0.9974999999999999), "0.9975");
  EXPECT_EQ(FormatNumber(1 - (1 - 0.95) * (1 - 0.95)), "0.9975");  // the noisy-or of the seeds
  EXPECT_EQ(FormatNumber(1.0), "1");
  EXPECT_EQ(FormatNumber(0.1 + 0.2), "0.3");
  EXPECT_EQ(FormatNumber(0.96), "0.96");
  EXPECT_EQ(FormatNumber(2.5), "2.5");
  EXPECT_EQ(FormatNumber(-1.5), "-1.5");
  EXPECT_EQ(FormatNumber(123.0), "123");
  EXPECT_EQ(FormatNumber(0.0000014), "0.000001");
  EXPECT_EQ(FormatNumber(1234567.1234567), "1234567.123457");
}

TEST_F(JsonWriterTest, TinyNumbersRoundToZeroWithoutSign) {
  EXPECT_EQ(FormatNumber(-0.0000001), "0");
  EXPECT_EQ(FormatNumber(1e-7), "0");
  EXPECT_EQ(FormatNumber(0.0), "0");
  EXPECT_EQ(FormatNumber(-0.0), "0");
}

TEST_F(JsonWriterTest, NumberWritesTheSameTextAsFormatNumber) {
  EXPECT_EQ(ArrayOf(0.9974999999999999), "[0.9975]");
  EXPECT_EQ(ArrayOf(1.0), "[1]");
  EXPECT_EQ(ArrayOf(0.1 + 0.2), "[0.3]");
  EXPECT_EQ(ArrayOf(-0.0000001), "[0]");
  EXPECT_EQ(ArrayOf(1e-7), "[0]");
}

TEST_F(JsonWriterTest, NonFiniteNumbersAreNull) {
  EXPECT_EQ(FormatNumber(std::numeric_limits<double>::quiet_NaN()), "null");
  EXPECT_EQ(FormatNumber(std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(FormatNumber(-std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(ArrayOf(std::nan("")), "[null]");
  JsonWriter w;
  w.BeginObject().Key("x").Number(std::nan("")).Key("y").Number(1).EndObject();
  EXPECT_EQ(w.str(), R"({"x":null,"y":1})");
  EXPECT_TRUE(Parses(w.str()));
}

TEST_F(JsonWriterTest, IntegersArePrintedExactly) {
  JsonWriter w;
  w.BeginArray()
      .Int(-42)
      .Int(std::numeric_limits<int64_t>::min())
      .Uint(std::numeric_limits<uint64_t>::max())
      .EndArray();
  EXPECT_EQ(w.str(), "[-42,-9223372036854775808,18446744073709551615]");
}

TEST_F(JsonWriterTest, StringsEscapeQuoteBackslashAndControlCharacters) {
  EXPECT_EQ(StringValue("say \"hi\""), R"("say \"hi\"")");
  EXPECT_EQ(StringValue("a\\b"), R"("a\\b")");
  EXPECT_EQ(StringValue("line1\nline2"), R"("line1\nline2")");
  EXPECT_EQ(StringValue("tab\there"), R"("tab\there")");
  EXPECT_EQ(StringValue("cr\r"), R"("cr\r")");
  EXPECT_EQ(StringValue("\x01"), R"("\u0001")");
  EXPECT_EQ(StringValue("\x1f"), R"("\u001f")");
  EXPECT_EQ(StringValue(std::string_view("nul\0x", 5)), R"("nul\u0000x")");
  EXPECT_EQ(StringValue(""), R"("")");
}

// Long strings are scanned 16 bytes at a time: a character to escape is
// found at every position of a block and of the tail after the last one,
// and bytes of 0x80 and up (UTF-8) and DEL pass as they are.
TEST_F(JsonWriterTest, EveryPositionOfALongStringIsEscaped) {
  const std::pair<char, std::string> specials[] = {
      {'"', "\\\""},       {'\\', "\\\\"},    {'\n', "\\n"},    {'\x01', "\\u0001"},
      {'\x1f', "\\u001f"}, {'\0', "\\u0000"}, {'\x7f', "\x7f"}, {'\xc3', "\xc3"}};
  for (size_t size : {15, 16, 17, 31, 32, 33, 40}) {
    for (size_t at = 0; at < size; ++at) {
      for (const auto& [c, escaped] : specials) {
        std::string text(size, 'a');
        text[at] = c;
        const std::string want =
            "\"" + std::string(at, 'a') + escaped + std::string(size - at - 1, 'a') + "\"";
        ASSERT_EQ(StringValue(text), want) << "size " << size << ", at " << at << ", char "
                                           << static_cast<int>(static_cast<unsigned char>(c));
      }
    }
  }
}

TEST_F(JsonWriterTest, Utf8PassesThroughUnescaped) {
  // Cyrillic, Urdu, an accented Latin letter and an emoji, as UTF-8 bytes.
  const std::string text = "Сергей Лавров اسلام آباد café 🇵🇰";
  EXPECT_EQ(StringValue(text), "\"" + text + "\"");
}

TEST_F(JsonWriterTest, EscapedStringsRoundTripThroughAParser) {
  const std::string text = "q\" b\\ n\n t\t c\x01 é Лавров";
  JsonWriter w;
  w.BeginObject().Key("k\"ey").String(text).EndObject();
  simdjson::dom::parser parser;
  simdjson::padded_string padded(w.str());
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(padded).get(root), simdjson::SUCCESS) << w.str();
  std::string_view value;
  ASSERT_EQ(root["k\"ey"].get(value), simdjson::SUCCESS) << w.str();
  EXPECT_EQ(value, text);
}

TEST_F(JsonWriterTest, NestingPutsCommasOnlyBetweenElements) {
  JsonWriter w;
  w.BeginObject()
      .Key("a")
      .BeginArray()
      .BeginObject()
      .Key("b")
      .Int(1)
      .Key("c")
      .String("x")
      .EndObject()
      .BeginObject()
      .EndObject()
      .BeginArray()
      .EndArray()
      .Int(2)
      .EndArray()
      .Key("d")
      .Bool(true)
      .Key("e")
      .Bool(false)
      .Key("f")
      .Null()
      .Key("g")
      .BeginObject()
      .Key("h")
      .BeginArray()
      .Number(0.5)
      .EndArray()
      .EndObject()
      .EndObject();
  EXPECT_EQ(w.str(),
            R"({"a":[{"b":1,"c":"x"},{},[],2],"d":true,"e":false,"f":null,"g":{"h":[0.5]}})");
  EXPECT_TRUE(Parses(w.str()));
}

TEST_F(JsonWriterTest, EmptyContainers) {
  JsonWriter object;
  object.BeginObject().Key("matches").BeginArray().EndArray().EndObject();
  EXPECT_EQ(object.str(), R"({"matches":[]})");
  JsonWriter empty;
  empty.BeginObject().EndObject();
  EXPECT_EQ(empty.str(), "{}");
}

// A writer on a stream sends a big document out in pieces as it goes, and
// the bytes are those a writer into a string makes.
TEST_F(JsonWriterTest, AWriterOnAStreamSendsTheSameBytesInPieces) {
  auto write = [](JsonWriter& w) {
    w.BeginObject().Key("facts").BeginArray();
    for (int i = 0; i < 20000; ++i) {
      w.BeginObject().Key("name").String("P\"" + std::to_string(i)).Key("c").Number(i / 7.0);
      w.EndObject();
    }
    w.EndArray().Key("truncated").Bool(false).EndObject();
  };
  JsonWriter whole;
  write(whole);
  ASSERT_GT(whole.str().size(), 200000u);
  EXPECT_TRUE(Parses(whole.str()));

  std::ostringstream sink;
  JsonWriter piecewise(&sink);
  piecewise.BeginObject().Key("facts").BeginArray();
  for (int i = 0; i < 10000; ++i) piecewise.BeginObject().Key("name").String("x").EndObject();
  // Sent in pieces: what the writer holds stays small.
  EXPECT_GT(sink.str().size(), 0u);
  EXPECT_LT(piecewise.str().size(), 70000u);

  std::ostringstream out;
  JsonWriter streamed(&out);
  write(streamed);
  EXPECT_LT(streamed.str().size(), 70000u);
  EXPECT_LT(out.str().size(), whole.str().size());
  streamed.Flush();
  EXPECT_EQ(streamed.str(), "");
  EXPECT_EQ(out.str(), whole.str());
}

}  // namespace
}  // namespace dyad::testing
