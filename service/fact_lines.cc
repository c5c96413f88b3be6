#include "service/fact_lines.h"

#include "service/json_writer.h"
#include "storage/dates.h"

namespace dyad::service {
namespace {

void WriteValue(JsonWriter& w, const dyad::v1::PropValue& v) {
  switch (v.value_case()) {
    case dyad::v1::PropValue::kNumberValue:
      w.ExactNumber(v.number_value());
      break;
    case dyad::v1::PropValue::kBoolValue:
      w.Bool(v.bool_value());
      break;
    default:
      w.String(v.string_value());
  }
}

void WriteProps(JsonWriter& w, const storage::PropList& props) {
  w.BeginObject();
  for (const auto& p : props) {
    w.Key(p.key());
    WriteValue(w, p.value());
  }
  w.EndObject();
}

}  // namespace

std::string EntityLine(const storage::Node& entity) {
  JsonWriter w;
  w.BeginObject().Key("kind").String("entity");
  if (!entity.external_id.empty()) w.Key("id").String(entity.external_id);
  w.Key("label").String(entity.label).Key("name").String(entity.name);
  w.Key("aliases").BeginArray();
  for (const auto& a : entity.aliases) w.String(a);
  w.EndArray().Key("props");
  WriteProps(w, entity.props);
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
  for (const storage::Source& s : fact.sources) {
    JsonWriter w;
    w.BeginObject().Key("kind").String("fact").Key("subject").Raw(subject_ref);
    w.Key("predicate").String(fact.predicate).Key("object").Raw(object_ref);
    if (fact.valid_from != storage::kOpenDay) {
      w.Key("valid_from").String(storage::FormatDay(fact.valid_from));
    }
    if (s.valid_to != storage::kOpenDay) w.Key("valid_to").String(storage::FormatDay(s.valid_to));
    w.Key("confidence").ExactNumber(s.confidence).Key("props");
    WriteProps(w, s.props);
    w.Key("source").BeginObject().Key("doc").String(s.doc);
    for (const auto& field : s.fields) {
      w.Key(field.key());
      WriteValue(w, field.value());
    }
    w.EndObject().EndObject();
    *out += w.str();
    *out += '\n';
  }
}

}  // namespace dyad::service
