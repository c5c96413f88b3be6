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

// Left-aligned columns, two spaces apart, with a header row; every line
// starts with `indent`.
std::string Table(const std::vector<std::string>& header,
                  const std::vector<std::vector<std::string>>& rows, std::string_view indent = "") {
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
    std::string l(indent);
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

std::vector<std::string> FactHeader() {
  return {"SUBJECT", "PREDICATE", "OBJECT", "FROM", "TO", "CONF", "SOURCES"};
}

std::vector<std::vector<std::string>> FactRows(const std::vector<FactView>& facts) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& v : facts) {
    std::vector<std::string> docs;
    for (const auto& s : v.fact.sources) docs.push_back(s.doc);
    rows.push_back({v.subject.name, v.fact.predicate, v.object.name, DayText(v.fact.valid_from),
                    DayText(v.fact.valid_to), FormatNumber(v.fact.confidence),
                    fmt::format("{}", fmt::join(docs, ", "))});
  }
  return rows;
}

void WriteTruncated(JsonWriter& w, const std::string& truncated_by) {
  w.Key("truncated").Bool(!truncated_by.empty());
  if (!truncated_by.empty()) w.Key("truncated_by").String(truncated_by);
}

// " (truncated: ...)" naming the flag behind the limit, or "".
std::string TruncatedNote(const std::string& truncated_by) {
  if (truncated_by.empty()) return "";
  if (truncated_by == "deadline") return " (truncated: --timeout ran out)";
  if (truncated_by == "nodes") return " (truncated: --limit of nodes reached)";
  if (truncated_by == "paths") return " (truncated: --limit of paths reached)";
  if (truncated_by == "depth") return " (truncated: --max-depth reached)";
  return fmt::format(" (truncated: the limit of {} was reached)", truncated_by);
}

std::string Plural(size_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

// One step of a path for people: "—PRED→" for facts stated from the
// earlier node to the later, "—PRED←" for the reverse, both joined by "/".
std::string StepArrow(const storage::Node& from, const std::vector<FactView>& facts) {
  std::vector<std::string> forward, backward;
  auto add = [](std::vector<std::string>& list, const std::string& p) {
    if (std::find(list.begin(), list.end(), p) == list.end()) list.push_back(p);
  };
  for (const auto& f : facts)
    add(f.subject.external_id == from.external_id ? forward : backward, f.fact.predicate);
  std::vector<std::string> parts;
  if (!forward.empty()) parts.push_back(fmt::format("—{}→", fmt::join(forward, ",")));
  if (!backward.empty()) parts.push_back(fmt::format("—{}←", fmt::join(backward, ",")));
  if (parts.empty()) return "——";
  return fmt::format("{}", fmt::join(parts, "/"));
}

std::string Goldstein(double sum) { return fmt::format("{:+.1f}", sum); }

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

void WriteFactsJson(JsonWriter& w, const storage::Node& node, const std::vector<FactView>& facts,
                    bool truncated) {
  w.BeginObject().Key("node");
  WriteNode(w, node);
  w.Key("facts").BeginArray();
  for (const auto& f : facts) WriteFact(w, f);
  w.EndArray().Key("truncated").Bool(truncated).EndObject();
}

std::string FactsJson(const storage::Node& node, const std::vector<FactView>& facts,
                      bool truncated) {
  JsonWriter w;
  WriteFactsJson(w, node, facts, truncated);
  return w.str();
}

std::string FactsTable(const storage::Node& node, const std::vector<FactView>& facts,
                       bool truncated) {
  std::string out =
      fmt::format("{} ({}), {} fact{}{}\n", node.name, node.external_id, facts.size(),
                  facts.size() == 1 ? "" : "s", truncated ? " (truncated: --timeout ran out)" : "");
  return out + Table(FactHeader(), FactRows(facts));
}

void WriteNeighboursJson(JsonWriter& w, const NeighboursView& a) {
  w.BeginObject().Key("start");
  WriteNode(w, a.start);
  w.Key("depth").Int(a.depth).Key("nodes").BeginArray();
  for (const auto& n : a.nodes) {
    w.BeginObject();
    WriteNodeFields(w, n.node);
    w.Key("hops").Int(n.hops).EndObject();
  }
  w.EndArray().Key("facts").BeginArray();
  for (const auto& f : a.facts) WriteFact(w, f);
  w.EndArray();
  WriteTruncated(w, a.truncated_by);
  w.EndObject();
}

std::string NeighboursJson(const NeighboursView& a) {
  JsonWriter w;
  WriteNeighboursJson(w, a);
  return w.str();
}

std::string NeighboursTable(const NeighboursView& a) {
  std::string out =
      fmt::format("{} ({}), within {}: {}, {}{}\n", a.start.name, a.start.external_id,
                  Plural(a.depth, "hop", "hops"), Plural(a.nodes.size(), "node", "nodes"),
                  Plural(a.facts.size(), "fact", "facts"), TruncatedNote(a.truncated_by));
  for (size_t i = 0; i < a.nodes.size();) {
    const int hops = a.nodes[i].hops;
    std::vector<std::vector<std::string>> rows;
    for (; i < a.nodes.size() && a.nodes[i].hops == hops; ++i) {
      const storage::Node& n = a.nodes[i].node;
      rows.push_back({n.name, n.label, n.external_id});
    }
    out += fmt::format("\n{} away: {}\n", Plural(hops, "hop", "hops"),
                       Plural(rows.size(), "node", "nodes"));
    out += Table({"NAME", "LABEL", "ID"}, rows, "  ");
  }
  if (!a.facts.empty()) out += "\nfacts crossed:\n" + Table(FactHeader(), FactRows(a.facts), "  ");
  return out;
}

void WritePathsJson(JsonWriter& w, const PathsView& a) {
  w.BeginObject().Key("from");
  WriteNode(w, a.from);
  w.Key("to");
  WriteNode(w, a.to);
  w.Key("hops");
  if (a.hops) {
    w.Int(*a.hops);
  } else {
    w.Null();
  }
  w.Key("paths").BeginArray();
  for (const auto& p : a.paths) {
    w.BeginObject().Key("nodes").BeginArray();
    for (const auto& n : p.nodes) WriteNode(w, n);
    w.EndArray().Key("facts").BeginArray();
    for (const auto& step : p.steps) {
      for (const auto& f : step) WriteFact(w, f);
    }
    w.EndArray().Key("cost").Number(p.cost).EndObject();
  }
  w.EndArray();
  WriteTruncated(w, a.truncated_by);
  w.EndObject();
}

std::string PathsJson(const PathsView& a) {
  JsonWriter w;
  WritePathsJson(w, a);
  return w.str();
}

std::string PathsTable(const PathsView& a) {
  std::string out = fmt::format("{} ({}) to {} ({}): ", a.from.name, a.from.external_id, a.to.name,
                                a.to.external_id);
  if (!a.hops || a.paths.empty()) return out + "no path" + TruncatedNote(a.truncated_by) + "\n";
  out += Plural(a.paths.size(), "path", "paths") + TruncatedNote(a.truncated_by) + "\n";
  for (size_t i = 0; i < a.paths.size(); ++i) {
    const PathView& p = a.paths[i];
    std::string line;
    std::vector<FactView> facts;
    for (size_t n = 0; n < p.nodes.size(); ++n) {
      if (n > 0) line += " ";
      line += p.nodes[n].name;
      if (n < p.steps.size()) {
        // Two appends, not `" " + ...`: GCC 12 at -O3 warns (-Wrestrict) on that.
        line += ' ';
        line += StepArrow(p.nodes[n], p.steps[n]);
        facts.insert(facts.end(), p.steps[n].begin(), p.steps[n].end());
      }
    }
    out += fmt::format("\n{}. {}  ({}, cost {})\n", i + 1, line,
                       Plural(p.steps.size(), "hop", "hops"), FormatNumber(p.cost));
    if (!facts.empty()) out += Table(FactHeader(), FactRows(facts), "   ");
  }
  return out;
}

void WriteDyadJson(JsonWriter& w, const DyadView& a) {
  w.BeginObject().Key("a");
  WriteNode(w, a.a);
  w.Key("b");
  WriteNode(w, a.b);
  w.Key("by").String(a.by).Key("buckets").BeginArray();
  for (const auto& b : a.buckets) {
    w.BeginObject()
        .Key("period")
        .String(b.period)
        .Key("direction")
        .String(b.a_to_b ? "a_to_b" : "b_to_a")
        .Key("events")
        .Uint(b.events)
        .Key("goldstein")
        .Number(b.goldstein)
        .Key("facts")
        .BeginArray();
    for (const auto& f : b.facts) WriteFact(w, f);
    w.EndArray().EndObject();
  }
  w.EndArray().Key("totals").BeginObject();
  for (const auto& [key, t] : {std::pair{"a_to_b", a.a_to_b}, std::pair{"b_to_a", a.b_to_a}}) {
    w.Key(key)
        .BeginObject()
        .Key("events")
        .Uint(t.events)
        .Key("goldstein")
        .Number(t.goldstein)
        .EndObject();
  }
  w.EndObject();
  WriteTruncated(w, a.truncated_by);
  w.EndObject();
}

std::string DyadJson(const DyadView& a) {
  JsonWriter w;
  WriteDyadJson(w, a);
  return w.str();
}

std::string DyadTable(const DyadView& a) {
  std::string out = fmt::format("A = {} ({}), B = {} ({}), by {}{}\n", a.a.name, a.a.external_id,
                                a.b.name, a.b.external_id, a.by, TruncatedNote(a.truncated_by));
  // One row per period, its two directions side by side ("-": no events).
  std::vector<std::vector<std::string>> rows;
  for (const auto& b : a.buckets) {
    if (rows.empty() || rows.back()[0] != b.period) rows.push_back({b.period, "-", "-", "-", "-"});
    const size_t col = b.a_to_b ? 1 : 3;
    rows.back()[col] = std::to_string(b.events);
    rows.back()[col + 1] = Goldstein(b.goldstein);
  }
  rows.push_back({"total", std::to_string(a.a_to_b.events), Goldstein(a.a_to_b.goldstein),
                  std::to_string(a.b_to_a.events), Goldstein(a.b_to_a.goldstein)});
  return out +
         Table({"PERIOD", "EVENTS A→B", "GOLDSTEIN A→B", "EVENTS B→A", "GOLDSTEIN B→A"}, rows);
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
