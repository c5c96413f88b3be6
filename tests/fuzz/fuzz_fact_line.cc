// Fuzzes the fact-line parser (storage/fact_parser.h) with any bytes: the
// whole input as one line, then each of its '\n'-separated lines through
// the same FactParser (as the loader reuses one). Promises checked:
//   - Parse never crashes, and gives the same answer for a line whatever the
//     parser parsed before (its buffers are reused);
//   - an error names a field and a reason, both valid UTF-8 (they are
//     printed in the load summary's JSON);
//   - a skipped line is blank or a comment;
//   - a record that parses passes every syntactic rule of fact-format.md
//     (fact_record.h: "a FactRecord or EntityRecord that exists has passed
//     every syntactic rule of the format"): labels and predicates match
//     their patterns, names and aliases are 1..512 bytes of UTF-8, dates
//     are real days and valid_to >= valid_from, confidence is in (0, 1],
//     source.doc is set, props are flat, finite and sorted by unique keys.
// Whether a name normalises to something is the loader's check, not the
// parser's: here NormalizeName must only answer (a value or InvalidArgument).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "storage/dates.h"
#include "storage/fact_parser.h"
#include "storage/names.h"
#include "tests/fuzz/fuzz_check.h"

namespace dyad::storage {
namespace {

using fuzz::Hex;

void CheckName(std::string_view name, std::string_view what, std::string_view line) {
  DYAD_FUZZ_CHECK(!name.empty() && name.size() <= kMaxNameBytes,
                  what << " of " << name.size() << " bytes accepted in " << Hex(line));
  DYAD_FUZZ_CHECK(IsValidUtf8(name), what << " " << Hex(name) << " is not UTF-8");
  Result<std::string> normalized = NormalizeName(name);
  DYAD_FUZZ_CHECK(normalized.ok() ? !normalized->empty()
                                  : normalized.status().code() == StatusCode::kInvalidArgument,
                  what << " " << Hex(name) << ": " << normalized.status().ToString());
}

void CheckProps(const PropList& props, bool strings_only, std::string_view what,
                std::string_view line) {
  for (size_t i = 0; i < props.size(); ++i) {
    const auto& p = props[i];
    DYAD_FUZZ_CHECK(!p.key().empty(), what << " has an empty key in " << Hex(line));
    DYAD_FUZZ_CHECK(IsValidUtf8(p.key()), what << " key " << Hex(p.key()));
    DYAD_FUZZ_CHECK(i == 0 || props[i - 1].key() < p.key(), what << " not sorted by unique keys at "
                                                                 << Hex(p.key()) << " in "
                                                                 << Hex(line));
    const auto& v = p.value();
    switch (v.value_case()) {
      case dyad::v1::PropValue::kStringValue:
        DYAD_FUZZ_CHECK(IsValidUtf8(v.string_value()), what << "." << p.key() << " not UTF-8");
        break;
      case dyad::v1::PropValue::kNumberValue:
        DYAD_FUZZ_CHECK(
            !strings_only && std::isfinite(v.number_value()),
            what << "." << p.key() << " = " << v.number_value() << " from " << Hex(line));
        break;
      case dyad::v1::PropValue::kBoolValue:
        DYAD_FUZZ_CHECK(!strings_only, what << "." << p.key() << " is a bool");
        break;
      default:
        DYAD_FUZZ_CHECK(false, what << "." << p.key() << " has no value in " << Hex(line));
    }
  }
}

void CheckDay(DayCode day, std::string_view what, std::string_view line) {
  if (day == kOpenDay) return;
  const std::string text = FormatDay(day);
  Result<DayCode> again = ParseDay(text);
  DYAD_FUZZ_CHECK(again.ok() && *again == day,
                  what << " " << text << " is not a day ParseDay accepts, from " << Hex(line));
}

void CheckNodeRef(const NodeRef& ref, std::string_view what, std::string_view line) {
  if (!ref.id.empty()) {
    DYAD_FUZZ_CHECK(ref.label.empty() && ref.name.empty(),
                    what << " has an id and a label or name in " << Hex(line));
    DYAD_FUZZ_CHECK(IsValidUtf8(ref.id), what << ".id not UTF-8");
    return;
  }
  DYAD_FUZZ_CHECK(IsValidLabel(ref.label), what << ".label " << Hex(ref.label));
  CheckName(ref.name, std::string(what) + ".name", line);
}

// Checks a successful parse; `line` is what Parse was given.
void CheckParsed(const ParsedLine& parsed, std::string_view line) {
  switch (parsed.kind) {
    case ParsedLine::Kind::kSkip: {
      std::string_view l = line;
      if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
      const size_t first = l.find_first_not_of(" \t");
      DYAD_FUZZ_CHECK(first == std::string_view::npos || l[first] == '#',
                      "skipped a line that is neither blank nor a comment: " << Hex(line));
      return;
    }
    case ParsedLine::Kind::kEntity: {
      const EntityRecord& e = parsed.entity;
      DYAD_FUZZ_CHECK(IsValidLabel(e.label), "entity label " << Hex(e.label));
      CheckName(e.name, "name", line);
      DYAD_FUZZ_CHECK(IsValidUtf8(e.id), "entity id not UTF-8");
      for (const std::string& alias : e.aliases) CheckName(alias, "alias", line);
      CheckProps(e.props, false, "props", line);
      return;
    }
    case ParsedLine::Kind::kFact: {
      const FactRecord& f = parsed.fact;
      CheckNodeRef(f.subject, "subject", line);
      CheckNodeRef(f.object, "object", line);
      DYAD_FUZZ_CHECK(IsValidPredicate(f.predicate), "predicate " << Hex(f.predicate));
      CheckDay(f.valid_from, "valid_from", line);
      CheckDay(f.valid_to, "valid_to", line);
      DYAD_FUZZ_CHECK(
          f.valid_from == kOpenDay || f.valid_to == kOpenDay || f.valid_to >= f.valid_from,
          "valid_to before valid_from in " << Hex(line));
      DYAD_FUZZ_CHECK(f.confidence > 0.0 && f.confidence <= 1.0,
                      "confidence " << f.confidence << " from " << Hex(line));
      DYAD_FUZZ_CHECK(!f.doc.empty() && IsValidUtf8(f.doc), "source.doc " << Hex(f.doc));
      CheckProps(f.props, false, "props", line);
      CheckProps(f.source_fields, true, "source", line);
      for (const auto& field : f.source_fields) {
        DYAD_FUZZ_CHECK(field.key() != "doc", "source.doc kept among the fields");
        if (field.key() == "published") {
          DYAD_FUZZ_CHECK(ParseDay(field.value().string_value()).ok(),
                          "source.published " << Hex(field.value().string_value()));
        }
      }
      return;
    }
  }
  DYAD_FUZZ_CHECK(false, "ParsedLine::kind out of range");
}

// The outcome of one Parse, as text to compare across calls.
std::string Outcome(const std::optional<LineError>& err, const ParsedLine& parsed) {
  if (err) return "error " + err->field + ": " + err->reason;
  switch (parsed.kind) {
    case ParsedLine::Kind::kSkip:
      return "skip";
    case ParsedLine::Kind::kEntity: {
      const EntityRecord& e = parsed.entity;
      std::string s = "entity " + e.label + "|" + e.name + "|" + e.id;
      for (const auto& a : e.aliases) s += "|a:" + a;
      for (const auto& p : e.props) s += "|p:" + p.SerializeAsString();
      return s;
    }
    case ParsedLine::Kind::kFact: {
      const FactRecord& f = parsed.fact;
      std::string s = "fact " + f.subject.id + "|" + f.subject.label + "|" + f.subject.name + "|" +
                      f.predicate + "|" + f.object.id + "|" + f.object.label + "|" + f.object.name +
                      "|" + std::to_string(f.valid_from) + "|" + std::to_string(f.valid_to) + "|" +
                      std::to_string(f.confidence) + "|" + f.doc;
      for (const auto& p : f.props) s += "|p:" + p.SerializeAsString();
      for (const auto& p : f.source_fields) s += "|s:" + p.SerializeAsString();
      return s;
    }
  }
  return "?";
}

std::string ParseAndCheck(FactParser& parser, std::string_view line) {
  ParsedLine parsed;
  std::optional<LineError> err = parser.Parse(line, &parsed);
  if (err) {
    DYAD_FUZZ_CHECK(!err->field.empty() && !err->reason.empty(),
                    "an error without field or reason for " << Hex(line));
    DYAD_FUZZ_CHECK(IsValidUtf8(err->field) && IsValidUtf8(err->reason),
                    "error " << Hex(err->field) << ": " << Hex(err->reason) << " is not UTF-8");
  } else {
    CheckParsed(parsed, line);
  }
  return Outcome(err, parsed);
}

}  // namespace
}  // namespace dyad::storage

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dyad::storage;
  static FactParser parser;  // reused across inputs and lines, as the loader reuses one
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string whole = ParseAndCheck(parser, input);
  if (input.find('\n') != std::string_view::npos) {
    std::string_view rest = input;
    while (!rest.empty()) {
      const size_t nl = rest.find('\n');
      ParseAndCheck(parser, rest.substr(0, nl));
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    }
  }
  // A fresh parser agrees with the reused one.
  FactParser fresh;
  const std::string again = ParseAndCheck(fresh, input);
  DYAD_FUZZ_CHECK(again == whole,
                  "a reused parser answered " << Hex(whole) << ", a fresh one " << Hex(again));
  return 0;
}
