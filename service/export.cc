#include "service/export.h"

#include <fmt/format.h>

#include <algorithm>
// GCC 12 sees adjacency_list's edge iterator (a boost::optional inside) as
// maybe uninitialized where the writers loop over edges; it is set before
// use. The warning is placed in these headers, so only they are spared.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/graphml.hpp>
#include <boost/graph/graphviz.hpp>
#pragma GCC diagnostic pop
#include <array>
#include <boost/property_map/dynamic_property_map.hpp>
#include <boost/property_map/function_property_map.hpp>
#include <cctype>
#include <charconv>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <sstream>
#include <stop_token>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "service/export_arena.h"
#include "service/export_ends.h"
#include "service/fact_lines.h"
#include "service/json_writer.h"
#include "storage/dates.h"

namespace dyad::service {
namespace {

constexpr std::string_view kFormatNames[] = {"graphml", "dot", "cytoscape", "jsonl", "csv"};

// A sink is fed pieces of about this size (a gRPC chunk each). Through a
// server a piece lives three times (the writer's buffer, the chunk's copy,
// gRPC's serialised message): at 64 KiB rather than 256 KiB, with the
// files of ends also written 64 KiB at a time, a JSON Lines export at L
// grew a server by 4.9 MB instead of 6.4 MB at its peak (docs/export.md).
constexpr size_t kFlushBytes = 1 << 16;

// ------------------------------------------------------------ attributes
// What every format says of a node and an edge, as text.

void AppendNumber(std::string& out, uint64_t value) {
  char text[24];
  auto [end, ec] = std::to_chars(text, text + sizeof text, value);
  out.append(text, end);
}

std::string NodeRefText(storage::NodeId id) {
  std::string text = "n";
  AppendNumber(text, id);
  return text;
}

std::string DayText(storage::DayCode day) {
  return day == storage::kOpenDay ? std::string() : storage::FormatDay(day);
}

std::optional<double> GoldsteinOf(const graph::Vocabulary& vocabulary, std::string_view predicate) {
  const graph::PredicateInfo* info = vocabulary.Find(predicate);
  return info ? info->goldstein : std::nullopt;
}

// GraphML has no missing value for a number; XML Schema's double has NaN.
std::string GoldsteinText(std::optional<double> goldstein) {
  return goldstein ? FormatExactNumber(*goldstein) : "NaN";
}

// Aliases in one text field, `;` between them: neo4j-admin's default
// array delimiter, and one convention for every text format.
std::string AliasesText(const std::vector<std::string>& aliases) {
  std::string out;
  for (const auto& a : aliases) {
    if (!out.empty()) out += ';';
    out += a;
  }
  return out;
}

// Text for XML, DOT and CSV: C0 control characters (which XML 1.0 cannot
// carry at all) become U+FFFD. The fact format keeps every byte.
std::string Printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20) {
      out += "\xEF\xBF\xBD";
    } else {
      out += c;
    }
  }
  return out;
}

// ------------------------------------------------------------ escaping
// The streaming writers escape exactly as Boost.Graph's writers do, so
// that a subgraph comes out the same through either.

// boost::property_tree::xml_parser::encode_char_entities.
void AppendXmlText(std::string& out, std::string_view s) {
  if (!s.empty() && s.find_first_not_of(' ') == std::string_view::npos) {
    out += "&#32;";
    out.append(s.size() - 1, ' ');
    return;
  }
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
}

bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

// The ids boost::escape_dot_string leaves unquoted: [A-Za-z_]\w* or a
// number -?(\.\d*|\d+(\.\d*)?).
bool IsPlainDotId(std::string_view s) {
  if (s.empty()) return false;
  if (IsAsciiAlpha(s[0]) || s[0] == '_') {
    return std::all_of(s.begin() + 1, s.end(),
                       [](char c) { return IsAsciiAlpha(c) || IsAsciiDigit(c) || c == '_'; });
  }
  size_t i = s[0] == '-' ? 1 : 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
  } else {
    size_t digits = i;
    while (i < s.size() && IsAsciiDigit(s[i])) ++i;
    if (i == digits) return false;
    if (i < s.size() && s[i] == '.') ++i;
  }
  while (i < s.size() && IsAsciiDigit(s[i])) ++i;
  return i == s.size();
}

// DOT text for a value we give Boost: printable, and a backslash doubled
// (Graphviz reads `\` as an escape in labels; a trailing one would swallow
// the closing quote).
std::string DotValue(std::string_view s) {
  std::string out;
  for (char c : Printable(s)) {
    if (c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// AppendDotId(out, DotValue(s)) in one pass, for the streaming writer's
// hot path: a plain id stays plain under DotValue (it has no control
// character or backslash), and anything else is quoted.
void AppendDotValueId(std::string& out, std::string_view s) {
  if (IsPlainDotId(s)) {
    out += s;
    return;
  }
  out += '"';
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20) {
      out += "\xEF\xBF\xBD";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  out += '"';
}

// boost::escape_dot_string of a DotValue.
void AppendDotId(std::string& out, std::string_view s) {
  if (IsPlainDotId(s)) {
    out += s;
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"') out += '\\';
    out += c;
  }
  out += '"';
}

void AppendCsvField(std::string& out, std::string_view s) {
  if (s.find_first_of(",\"\n\r") == std::string_view::npos &&
      (s.empty() || (s.front() != ' ' && s.back() != ' '))) {
    out += s;
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

// ------------------------------------------------------------ attribute lists
// The attributes of GraphML and DOT, in the order Boost writes them (its
// dynamic_properties are ordered by name); the streaming writers follow
// the same lists.

enum class ValueType { kString, kDouble, kInt };

struct NodeAttribute {
  std::string_view name;
  ValueType type;
  std::string (*text)(const storage::Node&);
};

struct EdgeContext {
  const storage::Fact* fact;
  std::optional<double> goldstein;
};

struct EdgeAttribute {
  std::string_view name;
  ValueType type;
  std::string (*text)(const EdgeContext&);
};

const std::vector<NodeAttribute>& GraphmlNodeAttributes() {
  static const std::vector<NodeAttribute> attributes = {
      {"aliases", ValueType::kString,
       [](const storage::Node& n) { return Printable(AliasesText(n.aliases)); }},
      {"external_id", ValueType::kString,
       [](const storage::Node& n) { return Printable(n.external_id); }},
      {"label", ValueType::kString, [](const storage::Node& n) { return Printable(n.label); }},
      {"name", ValueType::kString, [](const storage::Node& n) { return Printable(n.name); }},
  };
  return attributes;
}

const std::vector<EdgeAttribute>& GraphmlEdgeAttributes() {
  static const std::vector<EdgeAttribute> attributes = {
      {"confidence", ValueType::kDouble,
       [](const EdgeContext& e) { return FormatExactNumber(e.fact->confidence); }},
      {"goldstein", ValueType::kDouble,
       [](const EdgeContext& e) { return GoldsteinText(e.goldstein); }},
      {"predicate", ValueType::kString,
       [](const EdgeContext& e) { return Printable(e.fact->predicate); }},
      {"sources", ValueType::kInt,
       [](const EdgeContext& e) { return std::to_string(e.fact->sources.size()); }},
      {"valid_from", ValueType::kString,
       [](const EdgeContext& e) { return DayText(e.fact->valid_from); }},
      {"valid_to", ValueType::kString,
       [](const EdgeContext& e) { return DayText(e.fact->valid_to); }},
  };
  return attributes;
}

// DOT draws: nodes shaped and filled by label, edges coloured by the sign
// of their Goldstein weight (green cooperation, red conflict, grey
// neither or not an event), a tooltip with the rest.
struct LabelStyle {
  std::string_view label, shape, fill;
};
constexpr LabelStyle kLabelStyles[] = {
    {"Country", "box", "#c6dbef"},          {"Person", "ellipse", "#fdd0a2"},
    {"Organization", "hexagon", "#d9f0a3"}, {"Location", "house", "#e5d8bd"},
    {"Event", "diamond", "#fcc5c0"},        {"Topic", "note", "#dadaeb"},
};
constexpr LabelStyle kOtherLabelStyle = {"", "oval", "#f0f0f0"};

const LabelStyle& StyleOf(std::string_view label) {
  for (const LabelStyle& s : kLabelStyles) {
    if (s.label == label) return s;
  }
  return kOtherLabelStyle;
}

std::string NodeTooltip(const storage::Node& n) {
  std::string text = n.label + ": " + n.name;
  if (!n.aliases.empty()) text += " (also " + AliasesText(n.aliases) + ")";
  return text;
}

void AppendEdgeTooltip(std::string& text, const EdgeContext& e) {
  const storage::Fact& f = *e.fact;
  text += f.predicate;
  if (f.valid_from != storage::kOpenDay) {
    text += " from ";
    text += DayText(f.valid_from);
  }
  if (f.valid_to != storage::kOpenDay) {
    text += " to ";
    text += DayText(f.valid_to);
  }
  text += ", confidence ";
  text += FormatNumber(f.confidence);
  text += ", ";
  text += std::to_string(f.sources.size());
  text += f.sources.size() == 1 ? " source" : " sources";
  if (e.goldstein) {
    text += ", Goldstein ";
    text += FormatNumber(*e.goldstein);
  }
}

std::string EdgeTooltip(const EdgeContext& e) {
  std::string text;
  AppendEdgeTooltip(text, e);
  return text;
}

std::string_view EdgeColour(const EdgeContext& e) {
  if (e.goldstein && *e.goldstein > 0) return "#1a9850";
  if (e.goldstein && *e.goldstein < 0) return "#d73027";
  return "#888888";
}

// Graph attributes, in name order as Boost writes them: left to right,
// since a news graph is wide (many actors around few countries).
constexpr std::pair<std::string_view, std::string_view> kDotGraphAttributes[] = {
    {"rankdir", "LR"},
};

const std::vector<NodeAttribute>& DotNodeAttributes() {
  static const std::vector<NodeAttribute> attributes = {
      {"fillcolor", ValueType::kString,
       [](const storage::Node& n) { return std::string(StyleOf(n.label).fill); }},
      {"label", ValueType::kString, [](const storage::Node& n) { return DotValue(n.name); }},
      {"shape", ValueType::kString,
       [](const storage::Node& n) { return std::string(StyleOf(n.label).shape); }},
      {"style", ValueType::kString, [](const storage::Node&) { return std::string("filled"); }},
      {"tooltip", ValueType::kString,
       [](const storage::Node& n) { return DotValue(NodeTooltip(n)); }},
  };
  return attributes;
}

const std::vector<EdgeAttribute>& DotEdgeAttributes() {
  static const std::vector<EdgeAttribute> attributes = {
      {"color", ValueType::kString,
       [](const EdgeContext& e) { return std::string(EdgeColour(e)); }},
      {"label", ValueType::kString,
       [](const EdgeContext& e) { return DotValue(e.fact->predicate); }},
      {"tooltip", ValueType::kString,
       [](const EdgeContext& e) { return DotValue(EdgeTooltip(e)); }},
  };
  return attributes;
}

// ------------------------------------------------------------ streaming writers

// Buffers what a writer makes and feeds the sink in pieces of about
// kFlushBytes, one file at a time.
class Output {
 public:
  explicit Output(const ExportSink& sink) : sink_(sink) {}

  std::string& Buffer(std::string_view file) {
    if (file != file_) {
      Flush();
      file_ = std::string(file);
    }
    return buffer_;
  }
  // After each element: hand the buffer over when it is big enough.
  Status Written() {
    if (buffer_.size() >= kFlushBytes) Flush();
    return status_;
  }
  Status Finish() {
    Flush();
    return status_;
  }

 private:
  // After the sink's first failure, nothing more goes to it.
  void Flush() {
    if (!buffer_.empty() && status_.ok()) status_ = sink_(file_, buffer_);
    buffer_.clear();
  }

  const ExportSink& sink_;
  std::string file_;
  std::string buffer_;
  Status status_;
};

class StreamWriter {
 public:
  explicit StreamWriter(const ExportSink& sink, const graph::Vocabulary& vocabulary)
      : out_(sink), vocabulary_(vocabulary) {}
  virtual ~StreamWriter() = default;

  // Whether Edge needs the nodes at the fact's ends (else it gets nullptr).
  virtual bool NeedsEnds() const { return false; }
  virtual Status Begin() = 0;
  virtual Status Node(const storage::Node& node) = 0;
  virtual Status Edge(const storage::Fact& fact, const FactEnd* subject, const FactEnd* object) = 0;
  // Closes the document; also after a stop, so the output stays whole.
  virtual Status End() = 0;

 protected:
  EdgeContext ContextOf(const storage::Fact& fact) const {
    return EdgeContext{&fact, GoldsteinOf(vocabulary_, fact.predicate)};
  }

  Output out_;
  const graph::Vocabulary& vocabulary_;
  uint64_t edges_ = 0;
};

std::string_view GraphmlTypeName(ValueType type) {
  switch (type) {
    case ValueType::kDouble:
      return "double";
    case ValueType::kInt:
      return "int";
    default:
      return "string";
  }
}

class GraphmlWriter final : public StreamWriter {
 public:
  using StreamWriter::StreamWriter;

  Status Begin() override {
    std::string& b = out_.Buffer("");
    b += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\" "
         "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
         "xsi:schemaLocation=\"http://graphml.graphdrawing.org/xmlns "
         "http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd\">\n";
    // Keys in name order over nodes and edges together, as Boost numbers them.
    struct Key {
      std::string_view name, kind;
      ValueType type;
    };
    std::vector<Key> keys;
    for (const auto& a : GraphmlNodeAttributes()) keys.push_back({a.name, "node", a.type});
    for (const auto& a : GraphmlEdgeAttributes()) keys.push_back({a.name, "edge", a.type});
    std::stable_sort(keys.begin(), keys.end(),
                     [](const Key& x, const Key& y) { return x.name < y.name; });
    std::unordered_map<std::string_view, std::string> key_of;
    for (size_t i = 0; i < keys.size(); ++i) {
      const std::string id = fmt::format("key{}", i);
      key_of[keys[i].name] = id;
      b += fmt::format("  <key id=\"{}\" for=\"{}\" attr.name=\"{}\" attr.type=\"{}\" />\n", id,
                       keys[i].kind, keys[i].name, GraphmlTypeName(keys[i].type));
    }
    for (const auto& a : GraphmlNodeAttributes()) node_keys_.push_back(key_of[a.name]);
    for (const auto& a : GraphmlEdgeAttributes()) edge_keys_.push_back(key_of[a.name]);
    b += "  <graph id=\"G\" edgedefault=\"directed\" parse.nodeids=\"free\" "
         "parse.edgeids=\"canonical\" parse.order=\"nodesfirst\">\n";
    return out_.Written();
  }

  Status Node(const storage::Node& node) override {
    std::string& b = out_.Buffer("");
    b += "    <node id=\"n";
    AppendNumber(b, node.id);
    b += "\">\n";
    const auto& attributes = GraphmlNodeAttributes();
    for (size_t i = 0; i < attributes.size(); ++i) {
      AppendData(b, node_keys_[i], attributes[i].text(node));
    }
    b += "    </node>\n";
    return out_.Written();
  }

  Status Edge(const storage::Fact& fact, const FactEnd*, const FactEnd*) override {
    std::string& b = out_.Buffer("");
    b += "    <edge id=\"e";
    AppendNumber(b, edges_++);
    b += "\" source=\"n";
    AppendNumber(b, fact.subject);
    b += "\" target=\"n";
    AppendNumber(b, fact.object);
    b += "\">\n";
    const EdgeContext context = ContextOf(fact);
    const auto& attributes = GraphmlEdgeAttributes();
    for (size_t i = 0; i < attributes.size(); ++i) {
      AppendData(b, edge_keys_[i], attributes[i].text(context));
    }
    b += "    </edge>\n";
    return out_.Written();
  }

  Status End() override {
    out_.Buffer("") += "  </graph>\n</graphml>\n";
    return out_.Finish();
  }

 private:
  static void AppendData(std::string& b, const std::string& key, const std::string& text) {
    b += "      <data key=\"";
    b += key;
    b += "\">";
    AppendXmlText(b, text);
    b += "</data>\n";
  }

  // Key ids, in the order of the attribute lists.
  std::vector<std::string> node_keys_, edge_keys_;
};

class DotWriter final : public StreamWriter {
 public:
  using StreamWriter::StreamWriter;

  Status Begin() override {
    out_.Buffer("") += "digraph G {\n";
    for (const auto& [name, value] : kDotGraphAttributes) {
      std::string& b = out_.Buffer("");
      b += name;
      b += '=';
      AppendDotId(b, value);
      b += ";\n";
    }
    return out_.Written();
  }

  Status Node(const storage::Node& node) override {
    std::string& b = out_.Buffer("");
    b += NodeRefText(node.id);
    AppendAttributes(b, DotNodeAttributes(), node);
    b += ";\n";
    return out_.Written();
  }

  Status Edge(const storage::Fact& fact, const FactEnd*, const FactEnd*) override {
    std::string& b = out_.Buffer("");
    b += NodeRefText(fact.subject);
    b += "->";
    b += NodeRefText(fact.object);
    // DotEdgeAttributes written out by hand: this runs once per fact of a
    // store, and the generic list made and copied several strings per edge.
    const EdgeContext context = ContextOf(fact);
    b += "  [color=";  // Boost writes two spaces here
    AppendDotId(b, EdgeColour(context));
    b += ", label=";
    AppendDotValueId(b, fact.predicate);
    b += ", tooltip=";
    tooltip_.clear();
    AppendEdgeTooltip(tooltip_, context);
    AppendDotValueId(b, tooltip_);
    b += "];\n";
    ++edges_;
    return out_.Written();
  }

  Status End() override {
    out_.Buffer("") += "}\n";
    return out_.Finish();
  }

 private:
  std::string tooltip_;  // reused from edge to edge

  template <class Attributes, class Element>
  static void AppendAttributes(std::string& b, const Attributes& attributes, const Element& e) {
    const char* separator = " [";
    for (const auto& a : attributes) {
      b += separator;
      separator = ", ";
      b += a.name;
      b += '=';
      AppendDotId(b, a.text(e));
    }
    b += ']';
  }
};

// Cytoscape.js `elements`: {"nodes": [{"data": {...}}], "edges": [...]},
// an element a line.
class CytoscapeWriter final : public StreamWriter {
 public:
  using StreamWriter::StreamWriter;

  Status Begin() override {
    out_.Buffer("") += "{\"elements\":{\"nodes\":[";
    return out_.Written();
  }

  Status Node(const storage::Node& node) override {
    JsonWriter w;
    w.BeginObject().Key("data").BeginObject();
    w.Key("id").String(NodeRefText(node.id));
    w.Key("label").String(node.label).Key("name").String(node.name);
    w.Key("aliases").BeginArray();
    for (const auto& a : node.aliases) w.String(a);
    w.EndArray();
    if (!node.external_id.empty()) w.Key("external_id").String(node.external_id);
    w.EndObject().EndObject();
    std::string& b = out_.Buffer("");
    b += nodes_++ == 0 ? "\n" : ",\n";
    b += w.str();
    return out_.Written();
  }

  Status Edge(const storage::Fact& fact, const FactEnd*, const FactEnd*) override {
    const EdgeContext context = ContextOf(fact);
    JsonWriter w;
    w.BeginObject().Key("data").BeginObject();
    w.Key("id").String(fmt::format("e{}", edges_));
    w.Key("source").String(NodeRefText(fact.subject));
    w.Key("target").String(NodeRefText(fact.object));
    w.Key("predicate").String(fact.predicate);
    w.Key("valid_from");
    if (fact.valid_from == storage::kOpenDay) {
      w.Null();
    } else {
      w.String(DayText(fact.valid_from));
    }
    w.Key("valid_to");
    if (fact.valid_to == storage::kOpenDay) {
      w.Null();
    } else {
      w.String(DayText(fact.valid_to));
    }
    w.Key("confidence").ExactNumber(fact.confidence);
    w.Key("sources").Uint(fact.sources.size());
    w.Key("goldstein");
    if (context.goldstein) {
      w.ExactNumber(*context.goldstein);
    } else {
      w.Null();
    }
    w.EndObject().EndObject();
    std::string& b = out_.Buffer("");
    if (edges_++ == 0) b += nodes_ == 0 ? "],\"edges\":[" : "\n],\"edges\":[";
    b += edges_ == 1 ? "\n" : ",\n";
    b += w.str();
    return out_.Written();
  }

  Status End() override {
    std::string& b = out_.Buffer("");
    if (edges_ == 0) b += nodes_ == 0 ? "],\"edges\":[" : "\n],\"edges\":[";
    b += edges_ == 0 ? "]}}\n" : "\n]}}\n";
    return out_.Finish();
  }

 private:
  uint64_t nodes_ = 0;
};

// The fact format: an entity record per declared node, a fact record per
// source of each fact (service/fact_lines.h).
class JsonlWriter final : public StreamWriter {
 public:
  using StreamWriter::StreamWriter;

  bool NeedsEnds() const override { return true; }
  Status Begin() override { return Status::OK(); }

  Status Node(const storage::Node& node) override {
    if (!node.declared) return Status::OK();
    std::string& b = out_.Buffer("");
    b += EntityLine(node);
    b += '\n';
    return out_.Written();
  }

  Status Edge(const storage::Fact& fact, const FactEnd* subject, const FactEnd* object) override {
    AppendFactLines(fact, subject->ref_json, object->ref_json, &out_.Buffer(""));
    return out_.Written();
  }

  Status End() override { return out_.Finish(); }
};

// neo4j-admin's import convention: nodes.csv, then edges.csv.
class CsvWriter final : public StreamWriter {
 public:
  using StreamWriter::StreamWriter;

  Status Begin() override {
    out_.Buffer(kCsvNodesFile) += "id:ID,:LABEL,name,aliases:string[],external_id\n";
    return out_.Written();
  }

  Status Node(const storage::Node& node) override {
    std::string& b = out_.Buffer(kCsvNodesFile);
    b += NodeRefText(node.id);
    b += ',';
    AppendCsvField(b, Printable(node.label));
    b += ',';
    AppendCsvField(b, Printable(node.name));
    b += ',';
    AppendCsvField(b, Printable(AliasesText(node.aliases)));
    b += ',';
    AppendCsvField(b, Printable(node.external_id));
    b += '\n';
    return out_.Written();
  }

  Status Edge(const storage::Fact& fact, const FactEnd*, const FactEnd*) override {
    if (edges_++ == 0) StartEdges();
    const EdgeContext context = ContextOf(fact);
    std::string& b = out_.Buffer(kCsvEdgesFile);
    b += NodeRefText(fact.subject);
    b += ',';
    b += NodeRefText(fact.object);
    b += ',';
    AppendCsvField(b, Printable(fact.predicate));
    b += ',';
    b += DayText(fact.valid_from);
    b += ',';
    b += DayText(fact.valid_to);
    b += ',';
    b += FormatExactNumber(fact.confidence);
    b += ',';
    b += std::to_string(fact.sources.size());
    b += ',';
    if (context.goldstein) b += FormatExactNumber(*context.goldstein);
    b += '\n';
    return out_.Written();
  }

  Status End() override {
    if (edges_ == 0) StartEdges();
    return out_.Finish();
  }

 private:
  void StartEdges() {
    out_.Buffer(kCsvEdgesFile) +=
        ":START_ID,:END_ID,:TYPE,valid_from:date,valid_to:date,confidence:double,sources:int,"
        "goldstein:double\n";
  }
};

std::unique_ptr<StreamWriter> MakeStreamWriter(ExportFormat format, const ExportSink& sink,
                                               const graph::Vocabulary& vocabulary) {
  switch (format) {
    case ExportFormat::kGraphml:
      return std::make_unique<GraphmlWriter>(sink, vocabulary);
    case ExportFormat::kDot:
      return std::make_unique<DotWriter>(sink, vocabulary);
    case ExportFormat::kCytoscape:
      return std::make_unique<CytoscapeWriter>(sink, vocabulary);
    case ExportFormat::kJsonl:
      return std::make_unique<JsonlWriter>(sink, vocabulary);
    case ExportFormat::kCsv:
      return std::make_unique<CsvWriter>(sink, vocabulary);
  }
  return nullptr;
}

// ------------------------------------------------------------ whole store

bool Contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// Asks the clock and the caller only every so many elements.
class StopCheck {
 public:
  explicit StopCheck(const StoreExportOptions& filter) : filter_(filter) {}

  // Cancelled when the caller went. When the deadline passed, Cancelled
  // too, with *truncated_by set to "deadline": the stop the export asked
  // for, which still ends it as a whole document. Check asks at the first
  // element and then every 1024th; CheckNow asks at once.
  Status Check(std::string* truncated_by) {
    if (count_++ % 1024 != 0) return Status::OK();
    return CheckNow(truncated_by);
  }
  Status CheckNow(std::string* truncated_by) const {
    if (filter_.cancelled && filter_.cancelled()) {
      return Status::FromCode(StatusCode::kCancelled, "the export was cancelled");
    }
    if (filter_.deadline && std::chrono::steady_clock::now() >= *filter_.deadline) {
      *truncated_by = "deadline";
      return Status::FromCode(StatusCode::kCancelled, "stop");
    }
    return Status::OK();
  }

 private:
  const StoreExportOptions& filter_;
  uint64_t count_ = 0;
};

// view.ForEachFact, with the reading and decoding on another thread: an
// export's thread spends its time writing, and the second core would sit
// idle. Facts go across in small batches, a few at a time, so the memory
// stays bounded, and each batch comes back to be filled again: the facts
// are decoded straight into it, so their memory is reused rather than
// allocated on one thread and freed on the other. The other thread
// allocates from `arena` (the caller's; service/export_arena.h). Stops at
// the first failure of `fn` and returns it.
Status ForEachFactDecodedAhead(const storage::StoreView& view, std::optional<unsigned> arena,
                               const std::function<Status(const storage::Fact&)>& fn) {
  constexpr size_t kBatchFacts = 256;
  constexpr size_t kBatchesAhead = 3;
  struct Batch {
    std::vector<storage::Fact> facts;  // the first `size` are this batch's
    size_t size = 0;
  };
  std::mutex mu;
  std::condition_variable changed;
  std::deque<Batch> ready;
  std::vector<Batch> spare;  // used, to be filled again
  bool read_all = false, stopped = false;
  Status read_status;
  std::jthread reader([&] {
    ExportArenaScope scope(arena);
    Batch batch;
    auto hand_over = [&]() -> Status {
      std::unique_lock<std::mutex> lock(mu);
      changed.wait(lock, [&] { return ready.size() < kBatchesAhead || stopped; });
      if (stopped) return Status::FromCode(StatusCode::kCancelled, "stop");
      ready.push_back(std::move(batch));
      batch = Batch{};
      if (!spare.empty()) {
        batch = std::move(spare.back());
        spare.pop_back();
      }
      changed.notify_all();
      return Status::OK();
    };
    std::unique_ptr<storage::FactCursor> cursor = view.ScanFacts();
    Status s;
    while (s.ok()) {
      if (batch.size == batch.facts.size()) batch.facts.emplace_back();
      if (!cursor->Next(&batch.facts[batch.size])) break;
      if (++batch.size == kBatchFacts) s = hand_over();
    }
    if (s.ok()) s = cursor->status();
    if (s.ok() && batch.size > 0) s = hand_over();
    std::lock_guard<std::mutex> lock(mu);
    read_status = s;
    read_all = true;
    changed.notify_all();
  });
  Status s;
  while (s.ok()) {
    Batch batch;
    {
      std::unique_lock<std::mutex> lock(mu);
      changed.wait(lock, [&] { return !ready.empty() || read_all; });
      if (ready.empty()) break;
      batch = std::move(ready.front());
      ready.pop_front();
      changed.notify_all();
    }
    for (size_t i = 0; i < batch.size && s.ok(); ++i) s = fn(batch.facts[i]);
    batch.size = 0;
    std::lock_guard<std::mutex> lock(mu);
    spare.push_back(std::move(batch));
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    stopped = true;
    changed.notify_all();
  }
  reader.join();
  return s.ok() ? read_status : s;
}

bool PassesFactFilter(const storage::Fact& f, const StoreExportOptions& filter) {
  if (!filter.predicates.empty() && !Contains(filter.predicates, f.predicate)) return false;
  if (f.confidence < filter.min_confidence) return false;
  return storage::ValidInWindow(f.valid_from, f.valid_to, filter.from, filter.to);
}

// Hands the facts that pass the filters to the writer, with their ends when
// it needs them or a label filter does. With ends, every fact of the scan
// must come here, passing or not: the ends are read in the scan's order.
class FactFeed {
 public:
  FactFeed(StreamWriter& writer, const StoreExportOptions& options, FactEnds* ends,
           ExportSummary& summary)
      : writer_(writer), options_(options), ends_(ends), summary_(summary) {}

  Status Add(const storage::Fact& fact) {
    if (ends_ == nullptr) {
      if (!PassesFactFilter(fact, options_)) return Status::OK();
      ++summary_.edges;
      return writer_.Edge(fact, nullptr, nullptr);
    }
    FactEnd subject, object;
    DYAD_RETURN_IF_ERROR(ends_->Ends(fact.subject, fact.object, &subject, &object));
    if (!PassesFactFilter(fact, options_)) return Status::OK();
    if (!options_.labels.empty() &&
        (!Contains(options_.labels, subject.label) || !Contains(options_.labels, object.label))) {
      return Status::OK();
    }
    ++summary_.edges;
    return writer_.Edge(fact, &subject, &object);
  }

 private:
  StreamWriter& writer_;
  const StoreExportOptions& options_;
  FactEnds* const ends_;
  ExportSummary& summary_;
};

// ------------------------------------------------------------ subgraphs

// The node `id` of a subgraph whose nodes are sorted by id; nullptr if absent.
const storage::Node* FindNode(const Subgraph& subgraph, storage::NodeId id) {
  auto it = std::lower_bound(subgraph.nodes.begin(), subgraph.nodes.end(), id,
                             [](const storage::Node& n, storage::NodeId id) { return n.id < id; });
  return it != subgraph.nodes.end() && it->id == id ? &*it : nullptr;
}

// Nodes by id and facts by subject (stable), the order a whole-store
// export has, and the order Boost's adjacency_list writes edges in.
Result<Subgraph> Canonical(const Subgraph& subgraph) {
  Subgraph out = subgraph;
  std::sort(out.nodes.begin(), out.nodes.end(),
            [](const storage::Node& a, const storage::Node& b) { return a.id < b.id; });
  out.nodes.erase(
      std::unique(out.nodes.begin(), out.nodes.end(),
                  [](const storage::Node& a, const storage::Node& b) { return a.id == b.id; }),
      out.nodes.end());
  std::stable_sort(
      out.facts.begin(), out.facts.end(),
      [](const storage::Fact& a, const storage::Fact& b) { return a.subject < b.subject; });
  for (const auto& f : out.facts) {
    if (FindNode(out, f.subject) == nullptr || FindNode(out, f.object) == nullptr) {
      return Status::InvalidArgument(
          fmt::format("subgraph: a {} fact between n{} and n{} has an end outside the subgraph",
                      f.predicate, f.subject, f.object));
    }
  }
  return out;
}

const storage::Node& NodeById(const Subgraph& subgraph, storage::NodeId id) {
  return *FindNode(subgraph, id);
}

Result<ExportSummary> StreamSubgraph(const Subgraph& subgraph, ExportFormat format,
                                     const graph::Vocabulary& vocabulary, const ExportSink& sink) {
  std::unique_ptr<StreamWriter> writer = MakeStreamWriter(format, sink, vocabulary);
  ExportSummary summary;
  DYAD_RETURN_IF_ERROR(writer->Begin());
  for (const auto& n : subgraph.nodes) {
    DYAD_RETURN_IF_ERROR(writer->Node(n));
    ++summary.nodes;
  }
  const bool needs_ends = writer->NeedsEnds();
  std::unordered_map<storage::NodeId, std::string> refs;
  if (needs_ends) {
    for (const auto& n : subgraph.nodes) refs.emplace(n.id, NodeRefJson(n));
  }
  auto end_of = [&](storage::NodeId id) {
    return FactEnd{NodeById(subgraph, id).label, refs.at(id)};
  };
  for (const auto& f : subgraph.facts) {
    FactEnd subject, object;
    if (needs_ends) {
      subject = end_of(f.subject);
      object = end_of(f.object);
    }
    DYAD_RETURN_IF_ERROR(
        writer->Edge(f, needs_ends ? &subject : nullptr, needs_ends ? &object : nullptr));
    ++summary.edges;
  }
  DYAD_RETURN_IF_ERROR(writer->End());
  return summary;
}

// Boost.Graph's view of a subgraph: vertices in node order, edges in fact
// order within their source vertex.
struct VertexData {
  const storage::Node* node = nullptr;
};
struct EdgeData {
  EdgeContext context;
};
using BoostGraph =
    boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, VertexData, EdgeData>;
using Vertex = boost::graph_traits<BoostGraph>::vertex_descriptor;
using BoostEdge = boost::graph_traits<BoostGraph>::edge_descriptor;

// A read-only dynamic property whose text we make (Boost's own would print
// doubles with 17 digits) and whose value type names the GraphML type.
template <class Key>
class TextProperty final : public boost::dynamic_property_map {
 public:
  TextProperty(ValueType type, std::function<std::string(const Key&)> text)
      : type_(type), text_(std::move(text)) {}

  boost::any get(const boost::any& key) override { return get_string(key); }
  std::string get_string(const boost::any& key) override {
    return text_(boost::any_cast<Key>(key));
  }
  void put(const boost::any&, const boost::any&) override {
    throw boost::dynamic_const_put_error();
  }
  const std::type_info& key() const override { return typeid(Key); }
  const std::type_info& value() const override {
    switch (type_) {
      case ValueType::kDouble:
        return typeid(double);
      case ValueType::kInt:
        return typeid(int);
      default:
        return typeid(std::string);
    }
  }

 private:
  ValueType type_;
  std::function<std::string(const Key&)> text_;
};

template <class Key>
void AddProperty(boost::dynamic_properties& dp, std::string_view name, ValueType type,
                 std::function<std::string(const Key&)> text) {
  dp.insert(std::string(name), boost::make_shared<TextProperty<Key>>(type, std::move(text)));
}

Result<ExportSummary> BoostSubgraph(const Subgraph& subgraph, ExportFormat format,
                                    const graph::Vocabulary& vocabulary, const ExportSink& sink) {
  BoostGraph g(subgraph.nodes.size());
  for (size_t i = 0; i < subgraph.nodes.size(); ++i) g[i].node = &subgraph.nodes[i];
  auto vertex_of = [&](storage::NodeId id) {
    return static_cast<Vertex>(&NodeById(subgraph, id) - subgraph.nodes.data());
  };
  for (const auto& f : subgraph.facts) {
    boost::add_edge(vertex_of(f.subject), vertex_of(f.object),
                    EdgeData{EdgeContext{&f, GoldsteinOf(vocabulary, f.predicate)}}, g);
  }

  boost::dynamic_properties dp;
  const bool graphml = format == ExportFormat::kGraphml;
  for (const auto& a : graphml ? GraphmlNodeAttributes() : DotNodeAttributes()) {
    AddProperty<Vertex>(dp, a.name, a.type,
                        [&g, text = a.text](const Vertex& v) { return text(*g[v].node); });
  }
  for (const auto& a : graphml ? GraphmlEdgeAttributes() : DotEdgeAttributes()) {
    AddProperty<BoostEdge>(dp, a.name, a.type,
                           [&g, text = a.text](const BoostEdge& e) { return text(g[e].context); });
  }
  std::ostringstream out;
  try {
    if (graphml) {
      auto node_number = boost::make_function_property_map<Vertex, storage::NodeId>(
          [&g](Vertex v) { return g[v].node->id; });
      boost::write_graphml(out, g, node_number, dp);
    } else {
      AddProperty<Vertex>(dp, "node_id", ValueType::kString,
                          [&g](const Vertex& v) { return NodeRefText(g[v].node->id); });
      for (const auto& [name, value] : kDotGraphAttributes) {
        AddProperty<BoostGraph*>(dp, name, ValueType::kString, [value = value](BoostGraph* const&) {
          return std::string(value);
        });
      }
      boost::write_graphviz_dp(out, g, dp, "node_id");
    }
  } catch (const std::exception& e) {
    return Status::Internal(fmt::format("writing {}: {}", ExportFormatName(format), e.what()));
  }
  const std::string text = std::move(out).str();
  for (size_t at = 0; at < text.size(); at += kFlushBytes) {
    DYAD_RETURN_IF_ERROR(sink("", std::string_view(text).substr(at, kFlushBytes)));
  }
  return ExportSummary{subgraph.nodes.size(), subgraph.facts.size(), ""};
}

}  // namespace

std::string_view ExportFormatName(ExportFormat format) {
  return kFormatNames[static_cast<int>(format)];
}

std::optional<ExportFormat> ParseExportFormat(std::string_view name) {
  for (size_t i = 0; i < std::size(kFormatNames); ++i) {
    if (kFormatNames[i] == name) return static_cast<ExportFormat>(i);
  }
  return std::nullopt;
}

std::vector<std::string> ExportFormatNames() {
  return std::vector<std::string>(std::begin(kFormatNames), std::end(kFormatNames));
}

Result<ExportSummary> ExportStore(const storage::Store& store, const StoreExportOptions& filter,
                                  ExportFormat format, const graph::Vocabulary& vocabulary,
                                  const ExportSink& sink) {
  std::unique_ptr<storage::StoreView> view = store.NewView();
  std::unique_ptr<StreamWriter> writer = MakeStreamWriter(format, sink, vocabulary);
  ExportSummary summary;
  StopCheck stop(filter);
  const std::optional<unsigned> caller_arena = ExportArenaScope::ThreadArena();
  std::unique_ptr<FactEnds> ends;
  Status scan_status;
  bool scan_passed_deadline = false;
  // Declared last, so that it is joined before what it uses goes away.
  std::jthread object_scan;
  if (writer->NeedsEnds() || !filter.labels.empty()) {
    ends = std::make_unique<FactEnds>(filter.end_range_nodes, store.GetStats().nodes + 1);
    DYAD_RETURN_IF_ERROR(ends->Open());
    // The facts' objects are logged while the node pass runs (FactEnds).
    object_scan = std::jthread([&](std::stop_token stop_token) {
      ExportArenaScope scope(caller_arena);
      StopCheck scan_stop(filter);
      std::string truncated_by;
      scan_status = view->ForEachFactEnds([&](storage::NodeId, storage::NodeId object) -> Status {
        DYAD_RETURN_IF_ERROR(scan_stop.Check(&truncated_by));
        if (stop_token.stop_requested()) return Status::FromCode(StatusCode::kCancelled, "stop");
        return ends->LogObject(object);
      });
      scan_passed_deadline = !truncated_by.empty();
      if (scan_status.ok()) scan_status = ends->FinishObjects();
    });
  }
  DYAD_RETURN_IF_ERROR(writer->Begin());
  Status s = view->ForEachNode([&](const storage::Node& n) -> Status {
    DYAD_RETURN_IF_ERROR(stop.Check(&summary.truncated_by));
    if (ends) DYAD_RETURN_IF_ERROR(ends->PutNode(n));
    if (!filter.labels.empty() && !Contains(filter.labels, n.label)) return Status::OK();
    ++summary.nodes;
    return writer->Node(n);
  });
  if (ends) {
    if (s.ok()) s = ends->FinishNodes();
    if (!s.ok()) object_scan.request_stop();
    object_scan.join();
    if (s.ok() && scan_passed_deadline) summary.truncated_by = "deadline";
    if (s.ok()) s = scan_status;
    if (s.ok() && summary.truncated_by.empty()) {
      s = ends->Resolve([&] { return stop.CheckNow(&summary.truncated_by); }, caller_arena);
    }
  }
  FactFeed feed(*writer, filter, ends.get(), summary);
  if (s.ok() && summary.truncated_by.empty()) {
    s = ForEachFactDecodedAhead(*view, caller_arena, [&](const storage::Fact& f) -> Status {
      DYAD_RETURN_IF_ERROR(stop.Check(&summary.truncated_by));
      return feed.Add(f);
    });
    if (s.ok() && ends) s = ends->AllRead();
  }
  if (!summary.truncated_by.empty()) s = Status::OK();  // the stop we asked for
  DYAD_RETURN_IF_ERROR(s);
  DYAD_RETURN_IF_ERROR(writer->End());
  return summary;
}

Result<ExportSummary> ExportSubgraph(const Subgraph& subgraph, ExportFormat format,
                                     const graph::Vocabulary& vocabulary, const ExportSink& sink) {
  DYAD_ASSIGN_OR_RETURN(Subgraph canonical, Canonical(subgraph));
  if (format == ExportFormat::kGraphml || format == ExportFormat::kDot) {
    return BoostSubgraph(canonical, format, vocabulary, sink);
  }
  return StreamSubgraph(canonical, format, vocabulary, sink);
}

Result<ExportSummary> ExportSubgraphStreaming(const Subgraph& subgraph, ExportFormat format,
                                              const graph::Vocabulary& vocabulary,
                                              const ExportSink& sink) {
  DYAD_ASSIGN_OR_RETURN(Subgraph canonical, Canonical(subgraph));
  return StreamSubgraph(canonical, format, vocabulary, sink);
}

}  // namespace dyad::service
