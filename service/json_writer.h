// JsonWriter builds one compact JSON document in a string, the shapes of
// cli.md, or writes it to a stream as it goes. Numbers are rounded to 6
// decimals and printed without trailing zeros (0.9975, not
// 0.9974999999999999; 1, not 1.000000), so the same value always prints
// the same bytes, embedded or through a server.
//   JsonWriter w;
//   w.BeginObject().Key("matches").BeginArray().EndArray().EndObject();
//   std::cout << w.str() << "\n";
// Not thread-safe; cheap to make.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace dyad::service {

class JsonWriter {
 public:
  JsonWriter() = default;
  // Sends the text to `sink` in pieces of about 64 KiB as objects and
  // arrays close, so that a big answer (a hub's thousands of facts) is
  // never whole in memory; Flush() sends the rest.
  explicit JsonWriter(std::ostream* sink) : sink_(sink) {}

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Number(double value);  // rounded to 6 decimals; null if not finite
  // The shortest text that reads back as exactly `value` (data written for
  // a machine to load, not shown); null if not finite.
  JsonWriter& ExactNumber(double value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Uint(uint64_t value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // A value already written as JSON (by another JsonWriter), as it is.
  JsonWriter& Raw(std::string_view json);

  // The text written (without a sink), or what is not yet sent.
  const std::string& str() const { return out_; }
  void Flush();

 private:
  void BeforeValue();
  void Quote(std::string_view value);
  void SendIfBig() {
    if (sink_ != nullptr && out_.size() >= kPiece) Flush();
  }
  static constexpr size_t kPiece = 64 << 10;
  std::ostream* sink_ = nullptr;
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

// JsonWriter's text of a string (quoted and escaped) and of ExactNumber,
// appended to `out`: for documents of a fixed shape written millions of
// times (the fact format's lines), without a writer's bookkeeping.
void AppendJsonString(std::string* out, std::string_view value);
void AppendExactNumber(std::string* out, double value);

// The text of a number as JsonWriter prints it.
std::string FormatNumber(double value);
// The text of ExactNumber: the shortest that reads back as exactly `value`;
// "null" if not finite.
std::string FormatExactNumber(double value);

}  // namespace dyad::service
