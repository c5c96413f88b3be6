#include "service/fact_lines.h"

#include <unordered_map>

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

// How a fact record names a node: by id when an entity record declared it
// (those come first), else by label and name, which create it as the
// original load did.
struct NodeRef {
  bool declared = false;
  std::string external_id, label, name;
};

void WriteRef(JsonWriter& w, const NodeRef& ref) {
  w.BeginObject();
  if (ref.declared) {
    w.Key("id").String(ref.external_id);
  } else {
    w.Key("label").String(ref.label).Key("name").String(ref.name);
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

Status WriteFactLines(const storage::Store& store,
                      const std::function<Status(std::string_view lines)>& sink) {
  std::unordered_map<storage::NodeId, NodeRef> refs;
  auto on_node = [&](const storage::Node& n) -> Status {
    refs[n.id] = NodeRef{n.declared, n.external_id, n.label, n.name};
    if (!n.declared) return Status::OK();
    return sink(EntityLine(n) + "\n");
  };
  std::string lines;
  auto on_fact = [&](const storage::Fact& f) -> Status {
    const NodeRef& subject = refs[f.subject];
    const NodeRef& object = refs[f.object];
    lines.clear();
    for (const storage::Source& s : f.sources) {
      JsonWriter w;
      w.BeginObject().Key("kind").String("fact").Key("subject");
      WriteRef(w, subject);
      w.Key("predicate").String(f.predicate).Key("object");
      WriteRef(w, object);
      if (f.valid_from != storage::kOpenDay) {
        w.Key("valid_from").String(storage::FormatDay(f.valid_from));
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
      lines += w.str();
      lines += '\n';
    }
    return sink(lines);
  };
  return store.ForEachNodeAndFact(on_node, on_fact);
}

}  // namespace dyad::service
