// DecodePlainSources against protobuf's own parse: for every record it
// takes, the same sources; for everything else, a no that sends the record
// to protobuf.
#include "storage/internal/source_records.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "dyad/v1/records.pb.h"
#include "tests/source_records_check.h"

namespace dyad::storage::internal {
namespace {

// A record of the shapes dyad writes, and of some it never does (empty
// keys, every kind of value, sources without props).
dyad::v1::EdgeRecord RandomRecord(std::mt19937& rng) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::vector<std::string> texts = {
      "", "AFP", "2012-10-03", "d20121003-0001", "a \"q\" \\", "tab\t", std::string(200, 'x')};
  auto text = [&] { return texts[static_cast<size_t>(pick(static_cast<int>(texts.size())))]; };
  auto fill = [&](google::protobuf::RepeatedPtrField<dyad::v1::Prop>* props) {
    for (int i = pick(4); i > 0; --i) {
      dyad::v1::Prop* p = props->Add();
      p->set_key(text());
      switch (pick(3)) {
        case 0:
          p->mutable_value()->set_string_value(text());
          break;
        case 1:
          p->mutable_value()->set_number_value(pick(2) ? -7.25 : 0.0);
          break;
        default:
          p->mutable_value()->set_bool_value(pick(2) == 1);
      }
    }
  };
  dyad::v1::EdgeRecord rec;
  for (int i = 1 + pick(3); i > 0; --i) {
    dyad::v1::SourceRecord* s = rec.add_sources();
    s->set_doc(text());
    s->set_confidence(pick(4) == 0 ? 0.0 : 0.125 * (1 + pick(8)));
    s->set_valid_to(pick(2) ? 0 : static_cast<uint32_t>(rng()));
    fill(s->mutable_props());
    fill(s->mutable_fields());
  }
  return rec;
}

TEST(SourceRecordsTest, PlainRecordsDecodeAsProtobufDecodesThem) {
  std::mt19937 rng(7);
  // One list for every record: what an earlier record left in it must not
  // show through.
  std::vector<Source> reused;
  for (int i = 0; i < 2000; ++i) {
    const std::string bytes = RandomRecord(rng).SerializeAsString();
    SCOPED_TRACE(i);
    ASSERT_TRUE(DecodePlainSources(bytes, &reused));
    EXPECT_EQ(DescribeSources(reused), DescribeSources(*ProtobufSources(bytes)));
  }
}

TEST(SourceRecordsTest, AnEmptyRecordHasNoSources) {
  std::vector<Source> sources(2);
  ASSERT_TRUE(DecodePlainSources("", &sources));
  EXPECT_TRUE(sources.empty());
}

// Records protobuf takes but the plain decoder leaves to it.
TEST(SourceRecordsTest, WhatIsNotPlainIsLeftToProtobuf) {
  auto one_source = [](auto&& change) {
    dyad::v1::EdgeRecord rec;
    dyad::v1::SourceRecord* s = rec.add_sources();
    s->set_doc("d1");
    s->set_confidence(0.5);
    dyad::v1::Prop* p = s->add_fields();
    p->set_key("outlet");
    p->mutable_value()->set_string_value("Dawn");
    change(rec);
    return rec.SerializeAsString();
  };
  struct Case {
    const char* what;
    std::string bytes;
  };
  const std::vector<Case> cases = {
      {"a doc that is not ASCII",
       one_source([](auto& r) { r.mutable_sources(0)->set_doc("Islāmābād"); })},
      {"a value that is not ASCII", one_source([](auto& r) {
         r.mutable_sources(0)->mutable_fields(0)->mutable_value()->set_string_value("داون");
       })},
      {"a prop without a value",
       one_source([](auto& r) { r.mutable_sources(0)->mutable_fields(0)->clear_value(); })},
      {"a value of no kind", one_source([](auto& r) {
         r.mutable_sources(0)->mutable_fields(0)->mutable_value()->clear_value();
       })},
      {"a value given twice, which protobuf merges",
       one_source([](auto&) {}) +
           std::string("\x0a\x0a\x2a\x08\x12\x02\x18\x01\x12\x02\x18\x00", 12)},
      {"an unknown field", one_source([](auto&) {}) + std::string("\x10\x01", 2)},
      {"a field number of two bytes", one_source([](auto&) {}) + std::string("\x80\x01\x01", 3)},
      {"a known field's tag in two bytes", std::string("\x8a\x00\x00", 3)},
      {"a varint of six bytes", std::string("\x0a\x07\x18\x81\x80\x80\x80\x80\x00", 9)},
      {"a valid_to beyond 32 bits", std::string("\x0a\x06\x18\x80\x80\x80\x80\x10", 8)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    ASSERT_TRUE(ProtobufSources(c.bytes).has_value()) << "protobuf refuses it: not a case";
    std::vector<Source> sources;
    EXPECT_FALSE(DecodePlainSources(c.bytes, &sources));
  }
}

// Protobuf keeps the last of a field given twice; so does the decoder.
TEST(SourceRecordsTest, AFieldGivenTwiceKeepsItsLastValue) {
  // One source: doc "a", then doc "b"; valid_to 1, then 2; a field whose
  // value comes before its key, and whose key is given twice.
  const std::string bytes(
      "\x0a\x18"
      "\x0a\x01"
      "a"
      "\x0a\x01"
      "b"
      "\x18\x01\x18\x02"
      "\x2a\x0c\x12\x04\x0a\x02"
      "ok"
      "\x0a\x01"
      "x"
      "\x0a\x01"
      "y",
      26);
  std::vector<Source> sources;
  ASSERT_TRUE(DecodePlainSources(bytes, &sources));
  ASSERT_EQ(sources.size(), 1u);
  EXPECT_EQ(sources[0].doc, "b");
  EXPECT_EQ(sources[0].valid_to, 2u);
  ASSERT_EQ(sources[0].fields.size(), 1u);
  EXPECT_EQ(sources[0].fields[0].key(), "y");
  EXPECT_EQ(DescribeSources(sources), DescribeSources(*ProtobufSources(bytes)));
}

// A fact that protobuf decoded can leave props in the list that carry
// fields records.proto does not know (a newer dyad's); the next fact,
// decoded into the same list, must not keep them.
TEST(SourceRecordsTest, PropsReusedFromAProtobufRecordLoseWhatItDidNotKnow) {
  dyad::v1::Prop field;
  field.set_key("outlet");
  field.mutable_value()->set_string_value("Dawn");
  // Field 9 of the prop and field 4 of its value: unknown to this dyad.
  const std::string prop = field.SerializeAsString();
  const std::string value = field.value().SerializeAsString();
  const std::string odd_value = value + std::string("\x20\x01", 2);
  std::string odd_prop = prop.substr(0, prop.size() - value.size() - 2) + "\x12" +
                         static_cast<char>(odd_value.size()) + odd_value + "\x48\x01";
  dyad::v1::SourceRecord odd_source;
  odd_source.set_doc("d1");
  const std::string source_bytes =
      odd_source.SerializeAsString() + "\x2a" + static_cast<char>(odd_prop.size()) + odd_prop;
  const std::string bytes =
      "\x0a" + std::string(1, static_cast<char>(source_bytes.size())) + source_bytes;
  std::optional<std::vector<Source>> reused = ProtobufSources(bytes);
  ASSERT_TRUE(reused.has_value());
  const dyad::v1::Prop& kept = reused->at(0).fields.at(0);
  ASSERT_FALSE(kept.GetReflection()->GetUnknownFields(kept).empty()) << "not a case";
  ASSERT_FALSE(DecodePlainSources(bytes, &*reused)) << "unknown fields are protobuf's";

  reused = ProtobufSources(bytes);
  const std::string plain = [] {
    dyad::v1::EdgeRecord rec;
    dyad::v1::SourceRecord* s = rec.add_sources();
    s->set_doc("d2");
    dyad::v1::Prop* p = s->add_fields();
    p->set_key("outlet");
    p->mutable_value()->set_string_value("AP");
    return rec.SerializeAsString();
  }();
  ASSERT_TRUE(DecodePlainSources(plain, &*reused));
  EXPECT_EQ(DescribeSources(*reused), DescribeSources(*ProtobufSources(plain)));
}

TEST(SourceRecordsTest, BrokenRecordsAreRefused) {
  const std::string good = [] {
    std::mt19937 rng(3);
    dyad::v1::EdgeRecord rec = RandomRecord(rng);
    rec.mutable_sources(0)->set_doc("a doc long enough to be cut");
    return rec.SerializeAsString();
  }();
  std::vector<Source> sources;
  for (size_t cut = 1; cut < good.size(); ++cut) {
    SCOPED_TRACE(cut);
    const std::string_view shorter(good.data(), good.size() - cut);
    // A cut that falls between two sources leaves a shorter record, which
    // protobuf takes too; any other is broken.
    EXPECT_EQ(DecodePlainSources(shorter, &sources), ProtobufSources(shorter).has_value());
  }
  EXPECT_FALSE(DecodePlainSources(std::string("\x0a\x03\x0a\x01\xff", 5), &sources))
      << "invalid UTF-8";
}

// Every change of one byte of some records: whatever the plain decoder
// takes, protobuf takes and decodes the same.
TEST(SourceRecordsTest, AnyRecordItTakesProtobufDecodesTheSame) {
  std::mt19937 rng(11);
  int taken = 0, left = 0;
  for (int r = 0; r < 40; ++r) {
    const std::string good = RandomRecord(rng).SerializeAsString();
    for (size_t at = 0; at < good.size(); ++at) {
      for (int byte : {0x00, 0x01, 0x08, 0x0a, 0x10, 0x12, 0x7f, 0x80, 0xff}) {
        std::string bytes = good;
        bytes[at] = static_cast<char>(byte);
        std::vector<Source> sources;
        if (!DecodePlainSources(bytes, &sources)) {
          ++left;
          continue;
        }
        ++taken;
        const auto theirs = ProtobufSources(bytes);
        ASSERT_TRUE(theirs.has_value()) << "protobuf refuses a record the plain decoder took";
        ASSERT_EQ(DescribeSources(sources), DescribeSources(*theirs));
      }
    }
  }
  // Both answers came up often enough for the test to mean something.
  EXPECT_GT(taken, 1000);
  EXPECT_GT(left, 1000);
}

}  // namespace
}  // namespace dyad::storage::internal
