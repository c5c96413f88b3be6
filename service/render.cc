#include "service/render.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "service/json_writer.h"
#include "storage/dates.h"

namespace dyad::service {
namespace {

using storage::DayCode;
using storage::kOpenDay;

void WriteNodeFields(JsonWriter& w, const storage::Node& n) {
  w.Key("id").String(n.external_id).Key("label").String(n.label).Key("name").String(n.name);
}

void WriteNode(JsonWriter& w, const storage::Node& n) {
  w.BeginObject();
  WriteNodeFields(w, n);
  w.EndObject();
}

void WritePropValue(JsonWriter& w, const dyad::v1::PropValue& v) {
  switch (v.value_case()) {
    case dyad::v1::PropValue::kStringValue:
      w.String(v.string_value());
      break;
    case dyad::v1::PropValue::kNumberValue:
      w.Number(v.number_value());
      break;
    case dyad::v1::PropValue::kBoolValue:
      w.Bool(v.bool_value());
      break;
    default:
      w.Null();
  }
}

void WriteProps(JsonWriter& w, const storage::PropList& props) {
  w.BeginObject();
  for (const auto& p : props) {
    w.Key(p.key());
    WritePropValue(w, p.value());
  }
  w.EndObject();
}

void WriteDay(JsonWriter& w, DayCode d) {
  if (d == kOpenDay) {
    w.Null();
  } else {
    w.String(storage::FormatDay(d));
  }
}

// The fields every source shows, null when absent, in this order.
constexpr std::string_view kSourceFields[] = {"outlet", "published", "url", "quote"};

void WriteSource(JsonWriter& w, const storage::Source& s) {
  w.BeginObject().Key("doc").String(s.doc);
  auto find = [&](std::string_view key) -> const dyad::v1::Prop* {
    for (const auto& f : s.fields) {
      if (f.key() == key) return &f;
    }
    return nullptr;
  };
  for (std::string_view key : kSourceFields) {
    w.Key(key);
    if (const auto* f = find(key)) {
      WritePropValue(w, f->value());
    } else {
      w.Null();
    }
  }
  w.Key("confidence").Number(s.confidence);
  for (const auto& f : s.fields) {
    if (std::find(std::begin(kSourceFields), std::end(kSourceFields), f.key()) !=
        std::end(kSourceFields)) {
      continue;
    }
    w.Key(f.key());
    WritePropValue(w, f.value());
  }
  w.EndObject();
}

void WriteFact(JsonWriter& w, const FactView& v) {
  const storage::Fact& f = v.fact;
  w.BeginObject();
  w.Key("subject");
  WriteNode(w, v.subject);
  w.Key("predicate").String(f.predicate);
  w.Key("object");
  WriteNode(w, v.object);
  w.Key("valid_from");
  WriteDay(w, f.valid_from);
  w.Key("valid_to");
  WriteDay(w, f.valid_to);
  w.Key("confidence").Number(f.confidence);
  w.Key("sources").BeginArray();
  for (const auto& s : f.sources) WriteSource(w, s);
  w.EndArray();
  w.Key("props");
  WriteProps(w, f.props);
  w.EndObject();
}

std::string DayText(DayCode d) { return d == kOpenDay ? "-" : storage::FormatDay(d); }

// Left-aligned columns, two spaces apart, with a header row.
std::string Table(const std::vector<std::string>& header,
                  const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  auto display_width = [](const std::string& s) {
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;  // count code points, not bytes
    return n;
  };
  for (size_t i = 0; i < header.size(); ++i) width[i] = display_width(header[i]);
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], display_width(r[i]));
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string l;
    for (size_t i = 0; i < cells.size(); ++i) {
      l += cells[i];
      if (i + 1 < cells.size()) l += std::string(width[i] - display_width(cells[i]) + 2, ' ');
    }
    out += l + "\n";
  };
  line(header);
  for (const auto& r : rows) line(r);
  return out;
}

}  // namespace

std::string LoadSummaryJson(const storage::LoadSummary& s) {
  JsonWriter w;
  w.BeginObject()
      .Key("lines")
      .Uint(s.lines)
      .Key("entities")
      .Uint(s.entities)
      .Key("facts_added")
      .Uint(s.facts_added)
      .Key("facts_corroborated")
      .Uint(s.facts_corroborated)
      .Key("facts_unchanged")
      .Uint(s.facts_unchanged)
      .Key("committed_lines")
      .Uint(s.committed_lines)
      .Key("bad_lines")
      .BeginArray();
  for (const auto& b : s.bad_lines) {
    w.BeginObject()
        .Key("file")
        .String(b.file)
        .Key("line")
        .Uint(b.line)
        .Key("field")
        .String(b.field)
        .Key("reason")
        .String(b.reason)
        .EndObject();
  }
  w.EndArray().Key("seconds").Number(s.seconds).EndObject();
  return w.str();
}

std::string LoadSummaryTable(const storage::LoadSummary& s) {
  std::string out = fmt::format(
      "lines {}  entities {}  facts added {}  corroborated {}  unchanged {}  committed lines {}  "
      "in {:.2f} s\n",
      s.lines, s.entities, s.facts_added, s.facts_corroborated, s.facts_unchanged,
      s.committed_lines, s.seconds);
  if (!s.bad_lines.empty()) {
    out += fmt::format("{} bad line{}:\n", s.bad_lines.size(), s.bad_lines.size() == 1 ? "" : "s");
    for (const auto& b : s.bad_lines) out += "  " + b.ToString() + "\n";
  }
  return out;
}

std::string FindJson(const std::vector<storage::Node>& matches) {
  JsonWriter w;
  w.BeginObject().Key("matches").BeginArray();
  for (const auto& n : matches) {
    w.BeginObject();
    WriteNodeFields(w, n);
    w.Key("aliases").BeginArray();
    for (const auto& a : n.aliases) w.String(a);
    w.EndArray().EndObject();
  }
  w.EndArray().EndObject();
  return w.str();
}

std::string FindTable(const std::vector<storage::Node>& matches) {
  if (matches.empty()) return "no match\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& n : matches) {
    rows.push_back({n.external_id, n.label, n.name, fmt::format("{}", fmt::join(n.aliases, ", "))});
  }
  return Table({"ID", "LABEL", "NAME", "ALIASES"}, rows);
}

std::string FactsJson(const storage::Node& node, const std::vector<FactView>& facts,
                      bool truncated) {
  JsonWriter w;
  w.BeginObject().Key("node");
  WriteNode(w, node);
  w.Key("facts").BeginArray();
  for (const auto& f : facts) WriteFact(w, f);
  w.EndArray().Key("truncated").Bool(truncated).EndObject();
  return w.str();
}

std::string FactsTable(const storage::Node& node, const std::vector<FactView>& facts,
                       bool truncated) {
  std::string out =
      fmt::format("{} ({}), {} fact{}{}\n", node.name, node.external_id, facts.size(),
                  facts.size() == 1 ? "" : "s", truncated ? " (truncated: --timeout ran out)" : "");
  std::vector<std::vector<std::string>> rows;
  for (const auto& v : facts) {
    std::vector<std::string> docs;
    for (const auto& s : v.fact.sources) docs.push_back(s.doc);
    rows.push_back({v.subject.name, v.fact.predicate, v.object.name, DayText(v.fact.valid_from),
                    DayText(v.fact.valid_to), FormatNumber(v.fact.confidence),
                    fmt::format("{}", fmt::join(docs, ", "))});
  }
  return out + Table({"SUBJECT", "PREDICATE", "OBJECT", "FROM", "TO", "CONF", "SOURCES"}, rows);
}

std::string StatsJson(const storage::Stats& s) {
  JsonWriter w;
  w.BeginObject().Key("nodes").Uint(s.nodes).Key("facts").Uint(s.facts).Key("sources").Uint(
      s.sources);
  w.Key("labels").BeginObject();
  for (const auto& [k, v] : s.labels) w.Key(k).Uint(v);
  w.EndObject().Key("predicates").BeginObject();
  for (const auto& [k, v] : s.predicates) w.Key(k).Uint(v);
  w.EndObject().EndObject();
  return w.str();
}

std::string StatsTable(const storage::Stats& s) {
  std::string out = fmt::format("nodes {}  facts {}  sources {}\n", s.nodes, s.facts, s.sources);
  std::vector<std::vector<std::string>> rows;
  for (const auto& [k, v] : s.labels) rows.push_back({"label", k, std::to_string(v)});
  for (const auto& [k, v] : s.predicates) rows.push_back({"predicate", k, std::to_string(v)});
  return out + Table({"KIND", "NAME", "COUNT"}, rows);
}

std::string ErrorJson(const Status& status, const std::vector<storage::Node>& candidates) {
  JsonWriter w;
  w.BeginObject().Key("error").BeginObject();
  w.Key("code").String(StatusCodeName(status.code())).Key("message").String(status.message());
  if (!candidates.empty()) {
    w.Key("candidates").BeginArray();
    for (const auto& n : candidates) WriteNode(w, n);
    w.EndArray();
  }
  w.EndObject().EndObject();
  return w.str();
}

}  // namespace dyad::service
