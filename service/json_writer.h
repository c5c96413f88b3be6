// JsonWriter builds one compact JSON document in a string, the shapes of
// cli.md. Numbers are rounded to 6 decimals and printed without trailing
// zeros (0.9975, not 0.9974999999999999; 1, not 1.000000), so the same
// value always prints the same bytes, embedded or through a server.
//   JsonWriter w;
//   w.BeginObject().Key("matches").BeginArray().EndArray().EndObject();
//   std::cout << w.str() << "\n";
// Not thread-safe; cheap to make.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dyad::service {

class JsonWriter {
 public:
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

  const std::string& str() const { return out_; }

 private:
  void BeforeValue();
  void Quote(std::string_view value);
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

// The text of a number as JsonWriter prints it.
std::string FormatNumber(double value);
// The text of ExactNumber: the shortest that reads back as exactly `value`;
// "null" if not finite.
std::string FormatExactNumber(double value);

}  // namespace dyad::service
