#include "storage/internal/source_records.h"

#include <google/protobuf/message.h>
#include <google/protobuf/unknown_field_set.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>

namespace dyad::storage::internal {
namespace {

// Wire types (protobuf's encoding guide).
constexpr uint8_t kVarint = 0, kFixed64 = 1, kLength = 2;

constexpr uint8_t Tag(int field, uint8_t wire_type) {
  return static_cast<uint8_t>(field << 3 | wire_type);
}

// The fields of records.proto that a fact record holds.
constexpr uint8_t kEdgeSources = Tag(1, kLength);
constexpr uint8_t kSourceDoc = Tag(1, kLength);
constexpr uint8_t kSourceConfidence = Tag(2, kFixed64);
constexpr uint8_t kSourceValidTo = Tag(3, kVarint);
constexpr uint8_t kSourceProps = Tag(4, kLength);
constexpr uint8_t kSourceFields = Tag(5, kLength);
constexpr uint8_t kPropKey = Tag(1, kLength);
constexpr uint8_t kPropValue = Tag(2, kLength);
constexpr uint8_t kValueString = Tag(1, kLength);
constexpr uint8_t kValueNumber = Tag(2, kFixed64);
constexpr uint8_t kValueBool = Tag(3, kVarint);

// Reads the bytes of one message, front to back; every Read says false
// when the bytes end first.
class WireReader {
 public:
  explicit WireReader(std::string_view bytes)
      : at_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  bool done() const { return at_ == end_; }

  // A tag of one byte: every field of a fact record has a number below 16.
  // A longer tag is a field dyad never writes.
  bool ReadTag(uint8_t* tag) {
    if (at_ == end_ || (static_cast<uint8_t>(*at_) & 0x80) != 0) return false;
    *tag = static_cast<uint8_t>(*at_++);
    return true;
  }

  bool ReadVarint(uint64_t* value) {
    uint64_t v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      if (at_ == end_) return false;
      const auto byte = static_cast<uint8_t>(*at_++);
      v |= uint64_t{byte & 0x7Fu} << shift;
      if ((byte & 0x80) == 0) {
        *value = v;
        return true;
      }
    }
    return false;  // longer than 5 bytes
  }

  bool ReadDouble(double* value) {
    if (end_ - at_ < 8) return false;
    // Little-endian on the wire, as on every machine dyad builds for.
    static_assert(std::endian::native == std::endian::little);
    std::memcpy(value, at_, 8);
    at_ += 8;
    return true;
  }

  // A length-delimited field: its bytes, which must all be ASCII when
  // `text` (protobuf checks a string's UTF-8; only ASCII needs no check).
  bool ReadLength(std::string_view* bytes, bool text) {
    uint64_t size;
    if (!ReadVarint(&size) || size > static_cast<uint64_t>(end_ - at_)) return false;
    *bytes = std::string_view(at_, static_cast<size_t>(size));
    at_ += size;
    return !text || IsAscii(*bytes);
  }

 private:
  static bool IsAscii(std::string_view s) {
    uint64_t high = 0;
    size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      uint64_t word;
      std::memcpy(&word, s.data() + i, 8);
      high |= word;
    }
    for (; i < s.size(); ++i) high |= static_cast<uint8_t>(s[i]);
    return (high & 0x8080808080808080ull) == 0;
  }

  const char* at_;
  const char* const end_;
};

// Drops the fields a reused message kept from a record of a newer dyad,
// which protobuf decoded (a record that has any is protobuf's to decode).
void ClearUnknownFields(google::protobuf::Message* message) {
  const google::protobuf::Reflection* reflection = message->GetReflection();
  if (!reflection->GetUnknownFields(*message).empty()) {
    reflection->MutableUnknownFields(message)->Clear();
  }
}

// A PropValue of exactly one field: an empty one, or one that sets its
// oneof twice, is protobuf's to decide.
bool DecodeValue(std::string_view bytes, dyad::v1::PropValue* value) {
  WireReader in(bytes);
  ClearUnknownFields(value);
  uint8_t tag;
  if (!in.ReadTag(&tag)) return false;
  switch (tag) {
    case kValueString: {
      std::string_view text;
      if (!in.ReadLength(&text, true)) return false;
      if (value->value_case() == dyad::v1::PropValue::kStringValue) {
        value->mutable_string_value()->assign(text);
      } else {
        value->set_string_value(std::string(text));
      }
      break;
    }
    case kValueNumber: {
      double number;
      if (!in.ReadDouble(&number)) return false;
      value->set_number_value(number);
      break;
    }
    case kValueBool: {
      uint64_t flag;
      if (!in.ReadVarint(&flag)) return false;
      value->set_bool_value(flag != 0);
      break;
    }
    default:
      return false;
  }
  return in.done();
}

// A Prop with one value (a missing key is the empty key, as in protobuf).
bool DecodeProp(std::string_view bytes, dyad::v1::Prop* prop) {
  WireReader in(bytes);
  prop->mutable_key()->clear();
  ClearUnknownFields(prop);
  bool has_value = false;
  while (!in.done()) {
    uint8_t tag;
    std::string_view field;
    if (!in.ReadTag(&tag)) return false;
    if (tag == kPropKey) {
      if (!in.ReadLength(&field, true)) return false;
      prop->mutable_key()->assign(field);
    } else if (tag == kPropValue && !has_value) {
      if (!in.ReadLength(&field, false) || !DecodeValue(field, prop->mutable_value())) {
        return false;
      }
      has_value = true;
    } else {
      return false;  // unknown, or a second value, which protobuf would merge
    }
  }
  return has_value;
}

// Appends to `props` from `*count` on, reusing what is there.
bool DecodePropInto(std::string_view bytes, PropList* props, size_t* count) {
  if (*count == props->size()) props->emplace_back();
  return DecodeProp(bytes, &(*props)[(*count)++]);
}

bool DecodeSource(std::string_view bytes, Source* source) {
  WireReader in(bytes);
  source->doc.clear();
  source->confidence = 0;
  source->valid_to = 0;
  size_t props = 0, fields = 0;
  while (!in.done()) {
    uint8_t tag;
    std::string_view field;
    if (!in.ReadTag(&tag)) return false;
    switch (tag) {
      case kSourceDoc:
        if (!in.ReadLength(&field, true)) return false;
        source->doc.assign(field);
        break;
      case kSourceConfidence:
        if (!in.ReadDouble(&source->confidence)) return false;
        break;
      case kSourceValidTo: {
        uint64_t day;
        if (!in.ReadVarint(&day) || day > std::numeric_limits<uint32_t>::max()) return false;
        source->valid_to = static_cast<DayCode>(day);
        break;
      }
      case kSourceProps:
        if (!in.ReadLength(&field, false) || !DecodePropInto(field, &source->props, &props)) {
          return false;
        }
        break;
      case kSourceFields:
        if (!in.ReadLength(&field, false) || !DecodePropInto(field, &source->fields, &fields)) {
          return false;
        }
        break;
      default:
        return false;
    }
  }
  source->props.resize(props);
  source->fields.resize(fields);
  return true;
}

}  // namespace

bool DecodePlainSources(std::string_view bytes, std::vector<Source>* sources) {
  WireReader in(bytes);
  size_t count = 0;
  while (!in.done()) {
    uint8_t tag;
    std::string_view field;
    if (!in.ReadTag(&tag) || tag != kEdgeSources || !in.ReadLength(&field, false)) return false;
    if (count == sources->size()) sources->emplace_back();
    if (!DecodeSource(field, &(*sources)[count++])) return false;
  }
  sources->resize(count);
  return true;
}

}  // namespace dyad::storage::internal
