#include "service/proto_convert.h"

#include <fmt/format.h>

#include <type_traits>
#include <utility>

#include "storage/dates.h"

namespace dyad::service {
namespace {

using storage::DayCode;
using storage::kOpenDay;

std::string DayText(DayCode d) { return d == kOpenDay ? std::string() : storage::FormatDay(d); }

Result<DayCode> DayOf(const std::string& text, std::string_view field) {
  if (text.empty()) return kOpenDay;
  Result<DayCode> d = storage::ParseDay(text);
  if (!d.ok()) return d.status().WithContext(field);
  return *d;
}

// The limits of the command line's flags, so a request cannot ask for
// what a flag could not.
Status CheckRange(uint64_t value, uint64_t lo, uint64_t hi, std::string_view field) {
  if (value < lo || value > hi) {
    return Status::InvalidArgument(
        fmt::format("{}: {} is out of range [{}, {}]", field, value, lo, hi));
  }
  return Status::OK();
}

Status CheckRef(const std::string& ref, std::string_view field) {
  if (ref.empty()) return Status::InvalidArgument(fmt::format("{}: is required", field));
  return Status::OK();
}

void FactsToProto(const std::vector<FactView>& facts,
                  google::protobuf::RepeatedPtrField<v1::Fact>* out) {
  out->Reserve(static_cast<int>(facts.size()));
  for (const auto& f : facts) ToProto(f, out->Add());
}

Result<std::vector<FactView>> FactsFromProto(
    const google::protobuf::RepeatedPtrField<v1::Fact>& facts) {
  std::vector<FactView> views;
  views.reserve(facts.size());
  for (const auto& f : facts) {
    DYAD_ASSIGN_OR_RETURN(FactView v, FromProto(f));
    views.push_back(std::move(v));
  }
  return views;
}

}  // namespace

namespace {

// A node's wire form, copied from an lvalue and moved from an rvalue (the
// strings of a server's most frequent answer).
template <class N>
void NodeToProto(N&& node, v1::Node* out) {
  out->set_id(std::forward<N>(node).external_id);
  out->set_label(std::forward<N>(node).label);
  out->set_name(std::forward<N>(node).name);
  out->mutable_aliases()->Reserve(static_cast<int>(node.aliases.size()));
  for (auto& a : node.aliases) {
    if constexpr (std::is_lvalue_reference_v<N>) {
      out->add_aliases(a);
    } else {
      out->add_aliases(std::move(a));
    }
  }
}

}  // namespace

v1::Node ToProto(const storage::Node& node) {
  v1::Node out;
  NodeToProto(node, &out);
  return out;
}

storage::Node FromProto(const v1::Node& node) {
  storage::Node out;
  out.external_id = node.id();
  out.label = node.label();
  out.name = node.name();
  out.aliases.assign(node.aliases().begin(), node.aliases().end());
  return out;
}

void ToProto(const FactView& view, v1::Fact* out) {
  const storage::Fact& f = view.fact;
  *out->mutable_subject() = ToProto(view.subject);
  out->set_predicate(f.predicate);
  *out->mutable_object() = ToProto(view.object);
  out->set_valid_from(DayText(f.valid_from));
  out->set_valid_to(DayText(f.valid_to));
  out->set_confidence(f.confidence);
  out->mutable_props()->Assign(f.props.begin(), f.props.end());
  for (const auto& s : f.sources) {
    v1::Source* src = out->add_sources();
    src->set_doc(s.doc);
    src->set_confidence(s.confidence);
    src->set_valid_to(DayText(s.valid_to));
    src->mutable_props()->Assign(s.props.begin(), s.props.end());
    src->mutable_fields()->Assign(s.fields.begin(), s.fields.end());
  }
}

Result<FactView> FromProto(const v1::Fact& in) {
  FactView view;
  view.subject = FromProto(in.subject());
  view.object = FromProto(in.object());
  storage::Fact& f = view.fact;
  f.predicate = in.predicate();
  DYAD_ASSIGN_OR_RETURN(f.valid_from, DayOf(in.valid_from(), "valid_from"));
  DYAD_ASSIGN_OR_RETURN(f.valid_to, DayOf(in.valid_to(), "valid_to"));
  f.confidence = in.confidence();
  f.props.assign(in.props().begin(), in.props().end());
  for (const auto& s : in.sources()) {
    storage::Source& src = f.sources.emplace_back();
    src.doc = s.doc();
    src.confidence = s.confidence();
    DYAD_ASSIGN_OR_RETURN(src.valid_to, DayOf(s.valid_to(), "sources.valid_to"));
    src.props.assign(s.props().begin(), s.props().end());
    src.fields.assign(s.fields().begin(), s.fields().end());
  }
  return view;
}

v1::LoadSummary ToProto(const storage::LoadSummary& s) {
  v1::LoadSummary out;
  out.set_lines(s.lines);
  out.set_entities(s.entities);
  out.set_facts_added(s.facts_added);
  out.set_facts_corroborated(s.facts_corroborated);
  out.set_facts_unchanged(s.facts_unchanged);
  out.set_committed_lines(s.committed_lines);
  for (const auto& b : s.bad_lines) {
    v1::BadLine* bad = out.add_bad_lines();
    bad->set_file(b.file);
    bad->set_line(b.line);
    bad->set_field(b.field);
    bad->set_reason(b.reason);
  }
  out.set_seconds(s.seconds);
  return out;
}

storage::LoadSummary FromProto(const v1::LoadSummary& s) {
  storage::LoadSummary out;
  out.lines = s.lines();
  out.entities = s.entities();
  out.facts_added = s.facts_added();
  out.facts_corroborated = s.facts_corroborated();
  out.facts_unchanged = s.facts_unchanged();
  out.committed_lines = s.committed_lines();
  for (const auto& b : s.bad_lines())
    out.bad_lines.push_back({b.file(), b.line(), b.field(), b.reason()});
  out.seconds = s.seconds();
  return out;
}

v1::StatsResponse ToProto(const storage::Stats& s) {
  v1::StatsResponse out;
  out.set_nodes(s.nodes);
  out.set_facts(s.facts);
  out.set_sources(s.sources);
  for (const auto& [k, v] : s.labels) (*out.mutable_labels())[k] = v;
  for (const auto& [k, v] : s.predicates) (*out.mutable_predicates())[k] = v;
  return out;
}

storage::Stats FromProto(const v1::StatsResponse& s) {
  storage::Stats out;
  out.nodes = s.nodes();
  out.facts = s.facts();
  out.sources = s.sources();
  out.labels.insert(s.labels().begin(), s.labels().end());
  out.predicates.insert(s.predicates().begin(), s.predicates().end());
  return out;
}

// ---------------------------------------------------------------- requests

v1::Filters ToProto(const QueryFilters& f) {
  v1::Filters out;
  out.set_direction(f.direction == storage::Direction::kOut  ? v1::DIRECTION_OUT
                    : f.direction == storage::Direction::kIn ? v1::DIRECTION_IN
                                                             : v1::DIRECTION_BOTH);
  for (const auto& p : f.predicates) out.add_predicates(p);
  for (const auto& l : f.labels) out.add_labels(l);
  out.set_from(DayText(f.from));
  out.set_to(DayText(f.to));
  out.set_min_confidence(f.min_confidence);
  if (f.timeout) out.set_timeout_ms(static_cast<uint64_t>(f.timeout->count()));
  return out;
}

Result<QueryFilters> FromProto(const v1::Filters& in) {
  QueryFilters f;
  switch (in.direction()) {
    case v1::DIRECTION_BOTH:
      f.direction = storage::Direction::kBoth;
      break;
    case v1::DIRECTION_OUT:
      f.direction = storage::Direction::kOut;
      break;
    case v1::DIRECTION_IN:
      f.direction = storage::Direction::kIn;
      break;
    default:
      return Status::InvalidArgument(fmt::format("filters.direction: {} is not a direction",
                                                 static_cast<int>(in.direction())));
  }
  f.predicates.assign(in.predicates().begin(), in.predicates().end());
  f.labels.assign(in.labels().begin(), in.labels().end());
  DYAD_ASSIGN_OR_RETURN(f.from, DayOf(in.from(), "filters.from"));
  DYAD_ASSIGN_OR_RETURN(f.to, DayOf(in.to(), "filters.to"));
  f.min_confidence = in.min_confidence();
  if (in.has_timeout_ms()) {
    DYAD_RETURN_IF_ERROR(
        CheckRange(in.timeout_ms(), 0, uint64_t{365} * 24 * 3600 * 1000, "filters.timeout_ms"));
    f.timeout = std::chrono::milliseconds(in.timeout_ms());
  }
  DYAD_RETURN_IF_ERROR(CheckFilters(f, "filters."));
  return f;
}

v1::GetFactsRequest ToProto(const FactsRequest& r) {
  v1::GetFactsRequest out;
  out.set_node(r.node);
  *out.mutable_filters() = ToProto(r.filters);
  return out;
}

Result<FactsRequest> FromProto(const v1::GetFactsRequest& in) {
  FactsRequest r;
  DYAD_RETURN_IF_ERROR(CheckRef(in.node(), "node"));
  r.node = in.node();
  DYAD_ASSIGN_OR_RETURN(r.filters, FromProto(in.filters()));
  return r;
}

v1::NeighbourhoodRequest ToProto(const NeighboursRequest& r) {
  v1::NeighbourhoodRequest out;
  out.set_node(r.node);
  out.set_depth(static_cast<uint32_t>(r.depth));
  out.set_limit(r.limit);
  *out.mutable_filters() = ToProto(r.filters);
  out.set_omit_facts(!r.with_facts);
  return out;
}

Result<NeighboursRequest> FromProto(const v1::NeighbourhoodRequest& in) {
  NeighboursRequest r;
  DYAD_RETURN_IF_ERROR(CheckRef(in.node(), "node"));
  r.node = in.node();
  DYAD_RETURN_IF_ERROR(CheckRange(in.depth(), 0, 1'000'000, "depth"));
  r.depth = static_cast<int>(in.depth());
  if (in.limit() != 0) {
    DYAD_RETURN_IF_ERROR(CheckRange(in.limit(), 1, 1'000'000'000, "limit"));
    r.limit = in.limit();
  }
  DYAD_ASSIGN_OR_RETURN(r.filters, FromProto(in.filters()));
  r.with_facts = !in.omit_facts();
  return r;
}

v1::PathsRequest ToProto(const PathsRequest& r) {
  v1::PathsRequest out;
  out.set_from(r.from);
  out.set_to(r.to);
  out.set_mode(r.mode == graph::PathMode::kAllShortest ? v1::PATH_MODE_ALL_SHORTEST
               : r.mode == graph::PathMode::kKShortest ? v1::PATH_MODE_K_SHORTEST
                                                       : v1::PATH_MODE_SHORTEST);
  out.set_k(static_cast<uint32_t>(r.k));
  out.set_weighted(r.weighted);
  out.set_max_depth(static_cast<uint32_t>(r.max_depth));
  out.set_limit(r.limit);
  *out.mutable_filters() = ToProto(r.filters);
  return out;
}

Result<PathsRequest> FromProto(const v1::PathsRequest& in) {
  PathsRequest r;
  DYAD_RETURN_IF_ERROR(CheckRef(in.from(), "from"));
  DYAD_RETURN_IF_ERROR(CheckRef(in.to(), "to"));
  r.from = in.from();
  r.to = in.to();
  switch (in.mode()) {
    case v1::PATH_MODE_SHORTEST:
      r.mode = graph::PathMode::kShortest;
      break;
    case v1::PATH_MODE_ALL_SHORTEST:
      r.mode = graph::PathMode::kAllShortest;
      break;
    case v1::PATH_MODE_K_SHORTEST:
      r.mode = graph::PathMode::kKShortest;
      DYAD_RETURN_IF_ERROR(CheckRange(in.k(), 1, 1'000'000, "k"));
      r.k = in.k();
      break;
    default:
      return Status::InvalidArgument(
          fmt::format("mode: {} is not a path mode", static_cast<int>(in.mode())));
  }
  r.weighted = in.weighted();
  if (in.has_max_depth()) {
    DYAD_RETURN_IF_ERROR(CheckRange(in.max_depth(), 0, 1'000'000, "max_depth"));
    r.max_depth = static_cast<int>(in.max_depth());
  }
  if (in.limit() != 0) {
    DYAD_RETURN_IF_ERROR(CheckRange(in.limit(), 1, 1'000'000'000, "limit"));
    r.limit = in.limit();
  }
  DYAD_ASSIGN_OR_RETURN(r.filters, FromProto(in.filters()));
  return r;
}

v1::DyadTimelineRequest ToProto(const DyadRequest& r) {
  v1::DyadTimelineRequest out;
  out.set_a(r.a);
  out.set_b(r.b);
  out.set_by(r.by == graph::Period::kYear ? v1::PERIOD_YEAR : v1::PERIOD_MONTH);
  *out.mutable_filters() = ToProto(r.filters);
  out.set_omit_facts(!r.with_facts);
  return out;
}

Result<DyadRequest> FromProto(const v1::DyadTimelineRequest& in) {
  DyadRequest r;
  DYAD_RETURN_IF_ERROR(CheckRef(in.a(), "a"));
  DYAD_RETURN_IF_ERROR(CheckRef(in.b(), "b"));
  r.a = in.a();
  r.b = in.b();
  switch (in.by()) {
    case v1::PERIOD_MONTH:
      r.by = graph::Period::kMonth;
      break;
    case v1::PERIOD_YEAR:
      r.by = graph::Period::kYear;
      break;
    default:
      return Status::InvalidArgument(
          fmt::format("by: {} is not a period", static_cast<int>(in.by())));
  }
  DYAD_ASSIGN_OR_RETURN(r.filters, FromProto(in.filters()));
  r.with_facts = !in.omit_facts();
  return r;
}

namespace {

// The formats in both enums' terms; the API's numbers are its own.
constexpr std::pair<ExportFormat, v1::ExportFormat> kExportFormats[] = {
    {ExportFormat::kJsonl, v1::EXPORT_FORMAT_JSONL},
    {ExportFormat::kGraphml, v1::EXPORT_FORMAT_GRAPHML},
    {ExportFormat::kDot, v1::EXPORT_FORMAT_DOT},
    {ExportFormat::kCytoscape, v1::EXPORT_FORMAT_CYTOSCAPE},
    {ExportFormat::kCsv, v1::EXPORT_FORMAT_CSV},
};

}  // namespace

v1::ExportRequest ToProto(const ExportRequest& r) {
  v1::ExportRequest out;
  for (const auto& [format, api] : kExportFormats) {
    if (format == r.format) out.set_format(api);
  }
  switch (r.scope) {
    case ExportRequest::Scope::kStore:
      break;
    case ExportRequest::Scope::kAround:
      out.mutable_around()->set_node(r.around);
      out.mutable_around()->set_depth(static_cast<uint32_t>(r.depth));
      out.mutable_around()->set_limit(r.limit);
      break;
    case ExportRequest::Scope::kDyad:
      out.mutable_dyad()->set_a(r.a);
      out.mutable_dyad()->set_b(r.b);
      break;
  }
  *out.mutable_filters() = ToProto(r.filters);
  return out;
}

Result<ExportRequest> FromProto(const v1::ExportRequest& in) {
  ExportRequest r;
  bool known = false;
  for (const auto& [format, api] : kExportFormats) {
    if (api == in.format()) {
      r.format = format;
      known = true;
    }
  }
  if (!known) {
    return Status::InvalidArgument(
        fmt::format("format: {} is not an export format", static_cast<int>(in.format())));
  }
  if (in.has_around()) {
    // The same checks as a Neighbourhood request, with the field names of this one.
    v1::NeighbourhoodRequest around;
    around.set_node(in.around().node());
    around.set_depth(in.around().depth());
    around.set_limit(in.around().limit());
    Result<NeighboursRequest> checked = FromProto(around);
    if (!checked.ok()) {
      return Status::FromCode(checked.status().code(), "around." + checked.status().message());
    }
    r.scope = ExportRequest::Scope::kAround;
    r.around = checked->node;
    r.depth = checked->depth;
    r.limit = checked->limit;
  } else if (in.has_dyad()) {
    DYAD_RETURN_IF_ERROR(CheckRef(in.dyad().a(), "dyad.a"));
    DYAD_RETURN_IF_ERROR(CheckRef(in.dyad().b(), "dyad.b"));
    r.scope = ExportRequest::Scope::kDyad;
    r.a = in.dyad().a();
    r.b = in.dyad().b();
  }
  DYAD_ASSIGN_OR_RETURN(r.filters, FromProto(in.filters()));
  if (r.scope == ExportRequest::Scope::kStore && r.filters.direction != storage::Direction::kBoth) {
    return Status::InvalidArgument(
        "filters.direction: a whole-store export has every fact once; a direction needs a "
        "scope (around or dyad)");
  }
  return r;
}

v1::ExportSummary ToProto(const ExportSummary& summary) {
  v1::ExportSummary out;
  out.set_nodes(summary.nodes);
  out.set_edges(summary.edges);
  out.set_truncated_by(summary.truncated_by);
  return out;
}

ExportSummary FromProto(const v1::ExportSummary& in) {
  return ExportSummary{in.nodes(), in.edges(), in.truncated_by()};
}

Result<storage::LoadOptions> FromProto(const v1::LoadOptions& in) {
  storage::LoadOptions o;
  o.skip_bad = in.skip_bad();
  o.sync = in.sync();
  if (in.batch() != 0) {
    DYAD_RETURN_IF_ERROR(CheckRange(in.batch(), 1, 10'000'000, "options.batch"));
    o.batch_records = in.batch();
  }
  return o;
}

Result<storage::Node> FromProto(const v1::UpsertEntityRequest& in) {
  storage::Node n;
  DYAD_RETURN_IF_ERROR(CheckRef(in.label(), "label"));
  DYAD_RETURN_IF_ERROR(CheckRef(in.name(), "name"));
  n.external_id = in.id();
  n.label = in.label();
  n.name = in.name();
  n.aliases.assign(in.aliases().begin(), in.aliases().end());
  n.props.assign(in.props().begin(), in.props().end());
  return n;
}

// ----------------------------------------------------------------- answers

v1::GetFactsResponse ToProto(const FactsView& view) {
  v1::GetFactsResponse out;
  *out.mutable_node() = ToProto(view.node);
  FactsToProto(view.facts, out.mutable_facts());
  out.set_truncated(view.truncated);
  return out;
}

Result<FactsView> FromProto(const v1::GetFactsResponse& in) {
  FactsView view;
  view.node = FromProto(in.node());
  DYAD_ASSIGN_OR_RETURN(view.facts, FactsFromProto(in.facts()));
  view.truncated = in.truncated();
  return view;
}

v1::NeighbourhoodResponse ToProto(NeighboursView&& view) {
  v1::NeighbourhoodResponse out;
  NodeToProto(std::move(view.start), out.mutable_start());
  out.set_depth(static_cast<uint32_t>(view.depth));
  out.mutable_nodes()->Reserve(static_cast<int>(view.nodes.size()));
  for (auto& n : view.nodes) {
    v1::NeighbourNode* node = out.add_nodes();
    NodeToProto(std::move(n.node), node->mutable_node());
    node->set_hops(static_cast<uint32_t>(n.hops));
  }
  FactsToProto(view.facts, out.mutable_facts());
  out.set_truncated(!view.truncated_by.empty());
  out.set_truncated_by(std::move(view.truncated_by));
  return out;
}

Result<NeighboursView> FromProto(const v1::NeighbourhoodResponse& in) {
  NeighboursView view;
  view.start = FromProto(in.start());
  view.depth = static_cast<int>(in.depth());
  view.nodes.reserve(in.nodes_size());
  for (const auto& n : in.nodes())
    view.nodes.push_back({FromProto(n.node()), static_cast<int>(n.hops())});
  DYAD_ASSIGN_OR_RETURN(view.facts, FactsFromProto(in.facts()));
  view.truncated_by = in.truncated_by();
  return view;
}

v1::PathsResponse ToProto(const PathsView& view) {
  v1::PathsResponse out;
  *out.mutable_from() = ToProto(view.from);
  *out.mutable_to() = ToProto(view.to);
  if (view.hops) out.set_hops(static_cast<uint32_t>(*view.hops));
  for (const PathView& p : view.paths) {
    v1::Path* path = out.add_paths();
    for (const auto& n : p.nodes) *path->add_nodes() = ToProto(n);
    for (const auto& step : p.steps) FactsToProto(step, path->add_steps()->mutable_facts());
    path->set_cost(p.cost);
  }
  out.set_truncated(!view.truncated_by.empty());
  out.set_truncated_by(view.truncated_by);
  return out;
}

Result<PathsView> FromProto(const v1::PathsResponse& in) {
  PathsView view;
  view.from = FromProto(in.from());
  view.to = FromProto(in.to());
  if (in.has_hops()) view.hops = static_cast<int>(in.hops());
  for (const auto& p : in.paths()) {
    PathView path;
    for (const auto& n : p.nodes()) path.nodes.push_back(FromProto(n));
    for (const auto& step : p.steps()) {
      DYAD_ASSIGN_OR_RETURN(std::vector<FactView> facts, FactsFromProto(step.facts()));
      path.steps.push_back(std::move(facts));
    }
    path.cost = p.cost();
    view.paths.push_back(std::move(path));
  }
  view.truncated_by = in.truncated_by();
  return view;
}

v1::DyadTimelineResponse ToProto(const DyadView& view) {
  v1::DyadTimelineResponse out;
  *out.mutable_a() = ToProto(view.a);
  *out.mutable_b() = ToProto(view.b);
  out.set_by(view.by);
  for (const auto& b : view.buckets) {
    v1::DyadBucket* bucket = out.add_buckets();
    bucket->set_period(b.period);
    bucket->set_direction(b.a_to_b ? v1::DYAD_DIRECTION_A_TO_B : v1::DYAD_DIRECTION_B_TO_A);
    bucket->set_events(b.events);
    bucket->set_goldstein(b.goldstein);
    FactsToProto(b.facts, bucket->mutable_facts());
  }
  out.mutable_a_to_b()->set_events(view.a_to_b.events);
  out.mutable_a_to_b()->set_goldstein(view.a_to_b.goldstein);
  out.mutable_b_to_a()->set_events(view.b_to_a.events);
  out.mutable_b_to_a()->set_goldstein(view.b_to_a.goldstein);
  out.set_truncated(!view.truncated_by.empty());
  out.set_truncated_by(view.truncated_by);
  return out;
}

Result<DyadView> FromProto(const v1::DyadTimelineResponse& in) {
  DyadView view;
  view.a = FromProto(in.a());
  view.b = FromProto(in.b());
  view.by = in.by();
  for (const auto& b : in.buckets()) {
    DyadBucketView bucket{
        b.period(), b.direction() == v1::DYAD_DIRECTION_A_TO_B, b.events(), b.goldstein(), {}};
    DYAD_ASSIGN_OR_RETURN(bucket.facts, FactsFromProto(b.facts()));
    view.buckets.push_back(std::move(bucket));
  }
  view.a_to_b = {in.a_to_b().events(), in.a_to_b().goldstein()};
  view.b_to_a = {in.b_to_a().events(), in.b_to_a().goldstein()};
  view.truncated_by = in.truncated_by();
  return view;
}

}  // namespace dyad::service
