#include "storage/fact_parser.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "storage/names.h"

namespace dyad::storage {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

std::optional<LineError> Err(std::string field, std::string reason) {
  return LineError{std::move(field), std::move(reason)};
}

std::string_view TypeName(element_type t) {
  switch (t) {
    case element_type::ARRAY:
      return "an array";
    case element_type::OBJECT:
      return "an object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      return "a number";
    case element_type::STRING:
      return "a string";
    case element_type::BOOL:
      return "a boolean";
    case element_type::NULL_VALUE:
      return "null";
  }
  return "a value";
}

std::optional<LineError> WrongType(const std::string& field, std::string_view want, element e) {
  return Err(field, fmt::format("must be {}, not {}", want, TypeName(e.type())));
}

// Rejects duplicate keys (simdjson keeps both) and keys not in `allowed`.
// An empty key has no path of its own: the error names the object (`json`
// for the record itself), as props and source do.
template <size_t N>
std::optional<LineError> CheckKeys(object obj, const std::string& prefix,
                                   const std::array<std::string_view, N>& allowed) {
  static_assert(N <= 32);
  uint32_t seen = 0;  // one bit per allowed key: records have a handful of fields
  for (auto field : obj) {
    std::string_view key = field.key;
    if (key.empty()) return Err(prefix.empty() ? "json" : prefix, "keys must not be empty");
    size_t index =
        static_cast<size_t>(std::find(allowed.begin(), allowed.end(), key) - allowed.begin());
    if (index == N || (seen & (1u << index)) != 0) {
      std::string path = prefix.empty() ? std::string(key) : prefix + "." + std::string(key);
      if (index != N) return Err(path, "duplicate field");
      return Err(path,
                 "unknown field (allowed: " + fmt::format("{}", fmt::join(allowed, ", ")) + ")");
    }
    seen |= 1u << index;
  }
  return std::nullopt;
}

std::optional<LineError> GetString(object obj, std::string_view key, const std::string& path,
                                   bool required, std::string_view* out) {
  element e;
  if (obj[key].get(e) != simdjson::SUCCESS) {
    if (required) return Err(path, "is required");
    return std::nullopt;
  }
  if (e.type() != element_type::STRING) return WrongType(path, "a string", e);
  *out = e.get_string().value_unsafe();
  return std::nullopt;
}

// Length only: whether a name normalises to something is the loader's
// check, made once per distinct name rather than once per line.
std::optional<LineError> CheckName(std::string_view name, const std::string& path) {
  if (name.empty()) return Err(path, "must not be empty");
  if (name.size() > kMaxNameBytes) {
    return Err(path, fmt::format("is {} bytes; the limit is {}", name.size(), kMaxNameBytes));
  }
  return std::nullopt;
}

std::optional<LineError> ParseLabel(object obj, const std::string& path, std::string* out) {
  std::string_view label;
  if (auto err = GetString(obj, "label", path, true, &label)) return err;
  if (!IsValidLabel(label)) return Err(path, "must match [A-Z][A-Za-z0-9_]*");
  *out = label;
  return std::nullopt;
}

// A flat object of string / number / bool values, sorted by key.
std::optional<LineError> ParseProps(element e, const std::string& path, PropList* out) {
  object obj;
  if (e.get(obj) != simdjson::SUCCESS) return WrongType(path, "an object", e);
  out->clear();
  for (auto field : obj) {
    std::string key_path = path + "." + std::string(field.key);
    if (field.key.empty()) return Err(path, "keys must not be empty");
    dyad::v1::Prop prop;
    prop.set_key(std::string(field.key));
    element v = field.value;
    switch (v.type()) {
      case element_type::STRING:
        prop.mutable_value()->set_string_value(std::string(v.get_string().value_unsafe()));
        break;
      case element_type::BOOL:
        prop.mutable_value()->set_bool_value(v.get_bool().value_unsafe());
        break;
      case element_type::INT64:
      case element_type::UINT64:
      case element_type::DOUBLE: {
        double d = v.get_double().value_unsafe();
        prop.mutable_value()->set_number_value(d);
        break;
      }
      default:
        return WrongType(key_path, "a string, number or boolean (props are flat)", v);
    }
    out->push_back(std::move(prop));
  }
  std::sort(out->begin(), out->end(),
            [](const auto& a, const auto& b) { return a.key() < b.key(); });
  for (size_t i = 1; i < out->size(); ++i) {
    if ((*out)[i].key() == (*out)[i - 1].key())
      return Err(path + "." + (*out)[i].key(), "duplicate field");
  }
  return std::nullopt;
}

std::optional<LineError> ParseNodeRef(object rec, std::string_view key, NodeRef* out) {
  const std::string path(key);
  element e;
  if (rec[key].get(e) != simdjson::SUCCESS) return Err(path, "is required");
  object obj;
  if (e.get(obj) != simdjson::SUCCESS)
    return WrongType(path, "an object {\"label\", \"name\"} or {\"id\"}", e);
  element dummy;
  *out = NodeRef{};
  if (obj["id"].get(dummy) == simdjson::SUCCESS) {
    static constexpr std::array<std::string_view, 1> kAllowed = {"id"};
    if (auto err = CheckKeys(obj, path, kAllowed)) {
      return Err(path, "takes either \"id\" alone or \"label\" and \"name\"");
    }
    std::string_view id;
    if (auto err = GetString(obj, "id", path + ".id", true, &id)) return err;
    if (id.empty()) return Err(path + ".id", "must not be empty");
    out->id = id;
    return std::nullopt;
  }
  static constexpr std::array<std::string_view, 2> kAllowed = {"label", "name"};
  if (auto err = CheckKeys(obj, path, kAllowed)) return err;
  if (auto err = ParseLabel(obj, path + ".label", &out->label)) return err;
  std::string_view name;
  if (auto err = GetString(obj, "name", path + ".name", true, &name)) return err;
  if (auto err = CheckName(name, path + ".name")) return err;
  out->name = name;
  return std::nullopt;
}

std::optional<LineError> ParseDate(object rec, std::string_view key, DayCode* out) {
  std::string path(key);
  element e;
  *out = kOpenDay;
  if (rec[key].get(e) != simdjson::SUCCESS) return std::nullopt;
  if (e.type() == element_type::NULL_VALUE) return std::nullopt;  // explicit open
  if (e.type() != element_type::STRING) return WrongType(path, "an ISO-8601 date string", e);
  Result<DayCode> day = ParseDay(e.get_string().value_unsafe());
  if (!day.ok()) return Err(path, day.status().message());
  *out = *day;
  return std::nullopt;
}

std::optional<LineError> ParseEntity(object rec, EntityRecord* out) {
  static constexpr std::array<std::string_view, 6> kAllowed = {"kind",    "label", "name",
                                                               "aliases", "props", "id"};
  if (auto err = CheckKeys(rec, "", kAllowed)) return err;
  *out = EntityRecord{};
  if (auto err = ParseLabel(rec, "label", &out->label)) return err;
  std::string_view name;
  if (auto err = GetString(rec, "name", "name", true, &name)) return err;
  if (auto err = CheckName(name, "name")) return err;
  out->name = name;
  std::string_view id;
  if (auto err = GetString(rec, "id", "id", false, &id)) return err;
  element idv;
  if (rec["id"].get(idv) == simdjson::SUCCESS && id.empty()) return Err("id", "must not be empty");
  out->id = id;
  element e;
  if (rec["aliases"].get(e) == simdjson::SUCCESS) {
    simdjson::dom::array arr;
    if (e.get(arr) != simdjson::SUCCESS) return WrongType("aliases", "an array of strings", e);
    size_t i = 0;
    for (element a : arr) {
      std::string path = fmt::format("aliases[{}]", i++);
      if (a.type() != element_type::STRING) return WrongType(path, "a string", a);
      std::string_view alias = a.get_string().value_unsafe();
      if (auto err = CheckName(alias, path)) return err;
      out->aliases.emplace_back(alias);
    }
  }
  if (rec["props"].get(e) == simdjson::SUCCESS) {
    if (auto err = ParseProps(e, "props", &out->props)) return err;
  }
  return std::nullopt;
}

std::optional<LineError> ParseFact(object rec, FactRecord* out) {
  static constexpr std::array<std::string_view, 9> kAllowed = {"kind",   "subject",    "predicate",
                                                               "object", "valid_from", "valid_to",
                                                               "props",  "confidence", "source"};
  if (auto err = CheckKeys(rec, "", kAllowed)) return err;
  *out = FactRecord{};
  if (auto err = ParseNodeRef(rec, "subject", &out->subject)) return err;
  std::string_view predicate;
  if (auto err = GetString(rec, "predicate", "predicate", true, &predicate)) return err;
  if (!IsValidPredicate(predicate)) return Err("predicate", "must match [A-Z][A-Z0-9_]*");
  out->predicate = predicate;
  if (auto err = ParseNodeRef(rec, "object", &out->object)) return err;
  if (auto err = ParseDate(rec, "valid_from", &out->valid_from)) return err;
  if (auto err = ParseDate(rec, "valid_to", &out->valid_to)) return err;
  if (out->valid_from != kOpenDay && out->valid_to != kOpenDay && out->valid_to < out->valid_from) {
    return Err("valid_to", fmt::format("{} is before valid_from {}", FormatDay(out->valid_to),
                                       FormatDay(out->valid_from)));
  }
  element e;
  if (rec["props"].get(e) == simdjson::SUCCESS) {
    if (auto err = ParseProps(e, "props", &out->props)) return err;
  }
  if (rec["confidence"].get(e) == simdjson::SUCCESS) {
    double c;
    if (e.get_double().get(c) != simdjson::SUCCESS) return WrongType("confidence", "a number", e);
    if (!(c > 0.0 && c <= 1.0)) return Err("confidence", fmt::format("{} is outside (0, 1]", c));
    out->confidence = c;
  }
  if (rec["source"].get(e) != simdjson::SUCCESS) return Err("source", "is required");
  object src;
  if (e.get(src) != simdjson::SUCCESS) return WrongType("source", "an object with \"doc\"", e);
  std::vector<std::string_view> seen;  // a handful of fields: a linear scan beats a set
  for (auto field : src) {
    if (std::find(seen.begin(), seen.end(), field.key) != seen.end()) {
      return Err("source." + std::string(field.key), "duplicate field");
    }
    seen.push_back(field.key);
    std::string path = "source." + std::string(field.key);
    if (field.key.empty()) return Err("source", "keys must not be empty");
    element v = field.value;
    if (v.type() != element_type::STRING) return WrongType(path, "a string", v);
    std::string_view value = v.get_string().value_unsafe();
    if (field.key == "doc") {
      if (value.empty()) return Err(path, "must not be empty");
      out->doc = value;
      continue;
    }
    if (field.key == "published") {
      Result<DayCode> day = ParseDay(value);
      if (!day.ok()) return Err(path, day.status().message());
    }
    dyad::v1::Prop prop;
    prop.set_key(std::string(field.key));
    prop.mutable_value()->set_string_value(std::string(value));
    out->source_fields.push_back(std::move(prop));
  }
  if (out->doc.empty()) return Err("source.doc", "is required");
  std::sort(out->source_fields.begin(), out->source_fields.end(),
            [](const auto& a, const auto& b) { return a.key() < b.key(); });
  return std::nullopt;
}

}  // namespace

struct FactParser::Impl {
  simdjson::dom::parser parser;
};

FactParser::FactParser() : impl_(std::make_unique<Impl>()) {}
FactParser::~FactParser() = default;

std::optional<LineError> FactParser::Parse(std::string_view line, ParsedLine* out) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.size() > kMaxLineBytes) {
    return Err("line",
               fmt::format("is {} bytes; the limit is {} bytes", line.size(), kMaxLineBytes));
  }
  size_t first = line.find_first_not_of(" \t");
  if (first == std::string_view::npos || line[first] == '#') {
    out->kind = ParsedLine::Kind::kSkip;
    return std::nullopt;
  }
  element doc;
  simdjson::error_code ec = impl_->parser.parse(line.data(), line.size()).get(doc);
  if (ec == simdjson::UTF8_ERROR) return Err("json", "invalid UTF-8");
  if (ec != simdjson::SUCCESS) {
    return Err("json", std::string("not a valid JSON object: ") + simdjson::error_message(ec));
  }
  object rec;
  if (doc.get(rec) != simdjson::SUCCESS) return WrongType("json", "an object", doc);
  std::string_view kind;
  if (auto err = GetString(rec, "kind", "kind", true, &kind)) return err;
  if (kind == "entity") {
    out->kind = ParsedLine::Kind::kEntity;
    return ParseEntity(rec, &out->entity);
  }
  if (kind == "fact") {
    out->kind = ParsedLine::Kind::kFact;
    return ParseFact(rec, &out->fact);
  }
  return Err("kind", fmt::format("must be \"entity\" or \"fact\", not \"{}\"", kind));
}

}  // namespace dyad::storage
