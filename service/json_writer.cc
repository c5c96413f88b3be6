#include "service/json_writer.h"

#include <fmt/compile.h>
#include <fmt/format.h>

#include <cmath>

namespace dyad::service {

std::string FormatNumber(double value) {
  if (!std::isfinite(value)) return "null";
  double rounded = std::round(value * 1e6) / 1e6;
  if (rounded == 0) rounded = 0;  // no "-0"
  // Formatted on the stack with a format parsed at compile time: exports
  // write a few numbers per fact of a whole store.
  char buffer[400];  // the longest double in %.6f is 316 characters
  char* end = fmt::format_to(buffer, FMT_COMPILE("{:.6f}"), rounded);
  while (end[-1] == '0') --end;
  if (end[-1] == '.') --end;
  return std::string(buffer, end);
}

std::string FormatExactNumber(double value) {
  return std::isfinite(value) ? fmt::format("{}", value) : "null";
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

void JsonWriter::Quote(std::string_view value) {
  out_ += '"';
  // Runs of characters that need no escape are copied whole: names and
  // keys rarely hold any, and an answer of thousands of facts is mostly
  // strings.
  size_t run = 0;
  auto escape = [&](size_t i, std::string_view with) {
    out_.append(value.data() + run, i - run);
    out_ += with;
    run = i + 1;
  };
  for (size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    switch (c) {
      case '"':
        escape(i, "\\\"");
        break;
      case '\\':
        escape(i, "\\\\");
        break;
      case '\n':
        escape(i, "\\n");
        break;
      case '\r':
        escape(i, "\\r");
        break;
      case '\t':
        escape(i, "\\t");
        break;
      case '\b':
        escape(i, "\\b");
        break;
      case '\f':
        escape(i, "\\f");
        break;
      default:
        escape(i, fmt::format("\\u{:04x}", c));
    }
  }
  out_.append(value.data() + run, value.size() - run);
  out_ += '"';
}

JsonWriter& JsonWriter::Number(double value) {
  BeforeValue();
  out_ += FormatNumber(value);
  return *this;
}

JsonWriter& JsonWriter::ExactNumber(double value) {
  BeforeValue();
  out_ += FormatExactNumber(value);
  return *this;
}

JsonWriter& JsonWriter::Raw(std::string_view json) {
  BeforeValue();
  out_ += json;
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t value) {
  BeforeValue();
  out_ += std::to_string(value);
  return *this;
}

JsonWriter& JsonWriter::Uint(uint64_t value) {
  BeforeValue();
  out_ += std::to_string(value);
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
