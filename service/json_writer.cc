#include "service/json_writer.h"

#include <fmt/compile.h>
#include <fmt/format.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <cmath>

namespace dyad::service {

namespace {

// The longest double in %.6f is 316 characters.
constexpr size_t kNumberRoom = 400;

// Writes FormatNumber's text of `value` into `buffer` (kNumberRoom bytes);
// returns its end. Formatted on the stack with a format parsed at compile
// time: answers and exports write a few numbers per fact.
char* FormatNumberTo(char* buffer, double value) {
  if (!std::isfinite(value)) return std::copy_n("null", 4, buffer);
  double rounded = std::round(value * 1e6) / 1e6;
  if (rounded == 0) rounded = 0;  // no "-0"
  char* end = fmt::format_to(buffer, FMT_COMPILE("{:.6f}"), rounded);
  while (end[-1] == '0') --end;
  if (end[-1] == '.') --end;
  return end;
}

// The shortest text that reads back as `value` is at most 24 characters.
constexpr size_t kExactNumberRoom = 32;

// Writes FormatExactNumber's text of `value` into `buffer`
// (kExactNumberRoom bytes); returns its end.
char* FormatExactNumberTo(char* buffer, double value) {
  if (!std::isfinite(value)) return std::copy_n("null", 4, buffer);
  return fmt::format_to(buffer, FMT_COMPILE("{}"), value);
}

// The index of the first byte of `s` at or after `i` that a JSON string
// must escape (a control character, '"' or '\\'), or s.size(). Names,
// keys and quotes rarely hold one, and an answer of thousands of facts is
// mostly strings: they are scanned 16 bytes at a time where SSE2 is there
// (every x86-64).
size_t NextToEscape(std::string_view s, size_t i) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i below_space = _mm_set1_epi8(0x1f);
  for (; i + 16 <= s.size(); i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    // v <= 0x1f unsigned exactly when max(v, 0x1f) == 0x1f.
    const __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(v, below_space), below_space);
    const __m128i hit =
        _mm_or_si128(control, _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
    const int mask = _mm_movemask_epi8(hit);
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
  }
#endif
  // Most keys and values are shorter than 16 bytes: one look-up a byte.
  static constexpr auto kEscaped = [] {
    std::array<bool, 256> escaped{};
    for (int c = 0; c < 0x20; ++c) escaped[static_cast<size_t>(c)] = true;
    escaped['"'] = escaped['\\'] = true;
    return escaped;
  }();
  for (; i < s.size(); ++i) {
    if (kEscaped[p[i]]) return i;
  }
  return s.size();
}

}  // namespace

std::string FormatNumber(double value) {
  char buffer[kNumberRoom];
  return std::string(buffer, FormatNumberTo(buffer, value));
}

std::string FormatExactNumber(double value) {
  char buffer[kExactNumberRoom];
  return std::string(buffer, FormatExactNumberTo(buffer, value));
}

void AppendJsonString(std::string* out, std::string_view value) {
  *out += '"';
  // Runs of characters that need no escape are copied whole.
  size_t run = 0;
  for (size_t i = NextToEscape(value, 0); i < value.size(); i = NextToEscape(value, i + 1)) {
    out->append(value.data() + run, i - run);
    run = i + 1;
    const auto c = static_cast<unsigned char>(value[i]);
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      case '\b':
        *out += "\\b";
        break;
      case '\f':
        *out += "\\f";
        break;
      default:
        *out += fmt::format("\\u{:04x}", c);
    }
  }
  out->append(value.data() + run, value.size() - run);
  *out += '"';
}

void AppendExactNumber(std::string* out, double value) {
  char buffer[kExactNumberRoom];
  out->append(buffer, FormatExactNumberTo(buffer, value));
}

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_ += ',';
    first_.back() = false;
  }
}

JsonWriter& JsonWriter::BeginObject() {
  BeforeValue();
  out_ += '{';
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::EndObject() {
  out_ += '}';
  first_.pop_back();
  SendIfBig();
  return *this;
}

JsonWriter& JsonWriter::BeginArray() {
  BeforeValue();
  out_ += '[';
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::EndArray() {
  out_ += ']';
  first_.pop_back();
  SendIfBig();
  return *this;
}

void JsonWriter::Flush() {
  if (sink_ == nullptr) return;
  sink_->write(out_.data(), static_cast<std::streamsize>(out_.size()));
  out_.clear();
}

JsonWriter& JsonWriter::Key(std::string_view key) {
  BeforeValue();
  Quote(key);
  out_ += ':';
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view value) {
  BeforeValue();
  Quote(value);
  return *this;
}

void JsonWriter::Quote(std::string_view value) { AppendJsonString(&out_, value); }

JsonWriter& JsonWriter::Number(double value) {
  BeforeValue();
  char buffer[kNumberRoom];
  out_.append(buffer, FormatNumberTo(buffer, value));
  return *this;
}

JsonWriter& JsonWriter::ExactNumber(double value) {
  BeforeValue();
  AppendExactNumber(&out_, value);
  return *this;
}

JsonWriter& JsonWriter::Raw(std::string_view json) {
  BeforeValue();
  out_ += json;
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t value) {
  BeforeValue();
  char buffer[24];
  out_.append(buffer, fmt::format_to(buffer, FMT_COMPILE("{}"), value));
  return *this;
}

JsonWriter& JsonWriter::Uint(uint64_t value) {
  BeforeValue();
  char buffer[24];
  out_.append(buffer, fmt::format_to(buffer, FMT_COMPILE("{}"), value));
  return *this;
}

JsonWriter& JsonWriter::Bool(bool value) {
  BeforeValue();
  out_ += value ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::Null() {
  BeforeValue();
  out_ += "null";
  return *this;
}

}  // namespace dyad::service
