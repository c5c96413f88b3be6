#include "service/fact_lines.h"

#include "service/json_writer.h"
#include "storage/dates.h"

namespace dyad::service {
namespace {

void AppendValue(std::string* out, const dyad::v1::PropValue& v) {
  switch (v.value_case()) {
    case dyad::v1::PropValue::kNumberValue:
      AppendExactNumber(out, v.number_value());
      break;
    case dyad::v1::PropValue::kBoolValue:
      *out += v.bool_value() ? "true" : "false";
      break;
    default:
      AppendJsonString(out, v.string_value());
  }
}

// A day as a JSON string: digits and hyphens, nothing to escape.
void AppendDay(std::string* out, storage::DayCode day) {
  char buffer[storage::kFormattedDayRoom + 2];
  buffer[0] = '"';
  char* end = storage::FormatDayTo(buffer + 1, day);
  *end++ = '"';
  out->append(buffer, end);
}

// `"key":value`.
void AppendMember(std::string* out, const dyad::v1::Prop& prop) {
  AppendJsonString(out, prop.key());
  *out += ':';
  AppendValue(out, prop.value());
}

// `"key":value` for each prop, a comma between them.
void AppendMembers(std::string* out, const storage::PropList& props) {
  for (size_t i = 0; i < props.size(); ++i) {
    if (i > 0) *out += ',';
    AppendMember(out, props[i]);
  }
}

}  // namespace

std::string EntityLine(const storage::Node& entity) {
  JsonWriter w;
  w.BeginObject().Key("kind").String("entity");
  if (!entity.external_id.empty()) w.Key("id").String(entity.external_id);
  w.Key("label").String(entity.label).Key("name").String(entity.name);
  w.Key("aliases").BeginArray();
  for (const auto& a : entity.aliases) w.String(a);
  std::string props = "{";
  AppendMembers(&props, entity.props);
  props += '}';
  w.EndArray().Key("props").Raw(props);
  w.EndObject();
  return w.str();
}

std::string NodeRefJson(const storage::Node& node) {
  JsonWriter w;
  w.BeginObject();
  if (node.declared) {
    w.Key("id").String(node.external_id);
  } else {
    w.Key("label").String(node.label).Key("name").String(node.name);
  }
  w.EndObject();
  return w.str();
}

void AppendFactLines(const storage::Fact& fact, std::string_view subject_ref,
                     std::string_view object_ref, std::string* out) {
  // Written by hand, not through a JsonWriter: an export writes millions of
  // these lines, and each is the same shape. The bytes are a JsonWriter's.
  for (const storage::Source& s : fact.sources) {
    *out += R"({"kind":"fact","subject":)";
    *out += subject_ref;
    *out += R"(,"predicate":)";
    AppendJsonString(out, fact.predicate);
    *out += R"(,"object":)";
    *out += object_ref;
    if (fact.valid_from != storage::kOpenDay) {
      *out += R"(,"valid_from":)";
      AppendDay(out, fact.valid_from);
    }
    if (s.valid_to != storage::kOpenDay) {
      *out += R"(,"valid_to":)";
      AppendDay(out, s.valid_to);
    }
    *out += R"(,"confidence":)";
    AppendExactNumber(out, s.confidence);
    *out += R"(,"props":{)";
    AppendMembers(out, s.props);
    *out += R"(},"source":{"doc":)";
    AppendJsonString(out, s.doc);
    for (const auto& field : s.fields) {
      *out += ',';
      AppendMember(out, field);
    }
    *out += "}}\n";
  }
}

}  // namespace dyad::service
