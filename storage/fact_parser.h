// FactParser turns one line of a JSON Lines fact file into an EntityRecord
// or FactRecord, applying every syntactic rule of fact-format.md, or says
// which field is wrong and why. It knows nothing of the store; the Loader
// checks what needs normalisation or the store (a name that normalises to
// nothing, aliases of other nodes, unknown ids).
//   FactParser parser;
//   ParsedLine parsed;
//   if (auto err = parser.Parse(line, &parsed)) Report(err->field, err->reason);
// A FactParser reuses its buffers and is not thread-safe; use one per thread.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "storage/fact_record.h"

namespace dyad::storage {

// Lines longer than this are rejected unparsed (a runaway line is almost
// always a missing newline, and would otherwise hold the whole file).
inline constexpr size_t kMaxLineBytes = 1 << 20;

struct LineError {
  std::string field;   // "predicate", "source.doc", "subject.name", "json", "line", ...
  std::string reason;  // "must match [A-Z][A-Z0-9_]*"
};

struct ParsedLine {
  enum class Kind { kSkip, kEntity, kFact };
  Kind kind = Kind::kSkip;  // kSkip: blank or comment line
  EntityRecord entity;      // valid when kind == kEntity
  FactRecord fact;          // valid when kind == kFact
};

class FactParser {
 public:
  FactParser();
  ~FactParser();
  FactParser(const FactParser&) = delete;
  FactParser& operator=(const FactParser&) = delete;

  // Parses `line` (without its '\n'; a trailing '\r' is ignored) into *out.
  // Returns the first error found, leaving *out unspecified, or nullopt.
  std::optional<LineError> Parse(std::string_view line, ParsedLine* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dyad::storage
