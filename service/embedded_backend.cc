#include "service/embedded_backend.h"

#include <fmt/format.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <future>
#include <iterator>
#include <optional>
#include <span>
#include <system_error>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "service/fact_lines.h"

namespace dyad::service {
namespace {

using storage::Node;
using storage::NodeId;
using storage::Store;

template <class Filter>
Filter FillFilter(const QueryFilters& q) {
  Filter f;
  f.direction = q.direction;
  f.predicates = q.predicates;
  f.labels = q.labels;
  f.from = q.from;
  f.to = q.to;
  f.min_confidence = q.min_confidence;
  return f;
}

graph::QueryLimits LimitsOf(const QueryFilters& q) {
  graph::QueryLimits limits;
  limits.deadline = q.DeadlineFromNow();
  limits.cancelled = q.cancelled;
  return limits;
}

// From this many facts up, a neighbourhood reads its facts on a second
// thread while it reads its nodes (a thread costs about 0.1 ms).
constexpr size_t kFactsReadBeside = 2048;

// The facts of many keys, read in chunks that any thread calling Read()
// takes in turn: a second thread starts on them while the first reads the
// answer's nodes, and the first joins in when it is done, so neither idles
// while the other has a long list left.
class ChunkedFactRead {
 public:
  ChunkedFactRead(const graph::QueryEngine& engine, std::span<const graph::FactKey> keys)
      : engine_(engine), keys_(keys), parts_((keys.size() + kChunk - 1) / kChunk) {}

  void Read() {
    for (size_t i; (i = next_.fetch_add(1)) < parts_.size();) {
      parts_[i] = engine_.FetchFacts(
          keys_.subspan(i * kChunk, std::min(kChunk, keys_.size() - i * kChunk)));
    }
  }

  // The facts in the order of the keys, once every Read() has returned.
  Result<std::vector<storage::Fact>> Take() {
    std::vector<storage::Fact> facts;
    facts.reserve(keys_.size());
    for (auto& part : parts_) {
      if (!part->ok()) return part->status();
      std::move(part->value().begin(), part->value().end(), std::back_inserter(facts));
    }
    return facts;
  }

 private:
  // A few hundred facts a chunk: thousands of random reads keep a chunk
  // at a millisecond or two, so the last one taken keeps no thread long.
  static constexpr size_t kChunk = 512;
  const graph::QueryEngine& engine_;
  std::span<const graph::FactKey> keys_;
  std::vector<std::optional<Result<std::vector<storage::Fact>>>> parts_;
  std::atomic<size_t> next_{0};
};

// The nodes an answer names, each read from the store once. Without their
// props by default: answers show a node's id, label, name and aliases only
// (a node through a server has nothing else); exports write props.
class NodeCache {
 public:
  explicit NodeCache(const Store& store, Store::NodeProps props = Store::NodeProps::kWithout)
      : store_(store), props_(props) {}
  Result<const Node*> Get(NodeId id) {
    if (auto it = nodes_.find(id); it != nodes_.end()) return &it->second;
    DYAD_RETURN_IF_ERROR(Prefetch({id}));
    return &nodes_.at(id);
  }
  // Nodes already read.
  void Add(const std::vector<Node>& found) {
    for (const auto& n : found) nodes_.emplace(n.id, n);
  }
  // Reads the nodes not cached yet in one batch (an answer names thousands).
  Status Prefetch(std::vector<NodeId> ids) {
    std::erase_if(ids, [&](NodeId id) { return nodes_.contains(id); });
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    DYAD_ASSIGN_OR_RETURN(std::vector<Node> found, store_.GetNodes(ids, props_));
    for (auto& n : found) nodes_.emplace(n.id, std::move(n));
    return Status::OK();
  }

 private:
  const Store& store_;
  const Store::NodeProps props_;
  std::unordered_map<NodeId, Node> nodes_;
};

Result<std::vector<FactView>> ViewsOf(std::vector<storage::Fact> facts, NodeCache& nodes) {
  std::vector<NodeId> ends;
  ends.reserve(2 * facts.size());
  for (const auto& f : facts) {
    ends.push_back(f.subject);
    ends.push_back(f.object);
  }
  DYAD_RETURN_IF_ERROR(nodes.Prefetch(std::move(ends)));
  std::vector<FactView> views;
  views.reserve(facts.size());
  for (auto& f : facts) {
    DYAD_ASSIGN_OR_RETURN(const Node* s, nodes.Get(f.subject));
    DYAD_ASSIGN_OR_RETURN(const Node* o, nodes.Get(f.object));
    views.push_back({std::move(f), *s, *o});
  }
  return views;
}

// The order `facts` lists facts in (Store::FactsOf): subject name,
// predicate, object name, valid_from; ids keep namesakes apart.
void SortFacts(std::vector<FactView>& facts) {
  auto key = [](const FactView& v) {
    return std::tie(v.subject.name, v.subject.id, v.fact.predicate, v.object.name, v.object.id,
                    v.fact.valid_from);
  };
  // A view is big (a fact with its sources, two nodes): sort their
  // positions, then move each view once.
  std::vector<uint32_t> order(facts.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint32_t>(i);
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return key(facts[a]) < key(facts[b]); });
  std::vector<FactView> sorted;
  sorted.reserve(facts.size());
  for (uint32_t i : order) sorted.push_back(std::move(facts[i]));
  facts = std::move(sorted);
}

// Facts with their end nodes, in `facts` order.
Result<std::vector<FactView>> SortedViews(std::vector<storage::Fact> facts, NodeCache& nodes) {
  DYAD_ASSIGN_OR_RETURN(std::vector<FactView> views, ViewsOf(std::move(facts), nodes));
  SortFacts(views);
  return views;
}

// The facts of `keys` with provenance and end nodes, in `facts` order.
Result<std::vector<FactView>> FetchViews(const graph::QueryEngine& engine,
                                         const std::vector<storage::FactKey>& keys,
                                         NodeCache& nodes) {
  DYAD_ASSIGN_OR_RETURN(std::vector<storage::Fact> facts, engine.FetchFacts(keys));
  return SortedViews(std::move(facts), nodes);
}

}  // namespace

std::optional<Clock::time_point> QueryFilters::DeadlineFromNow() const {
  std::optional<Clock::time_point> d = deadline;
  if (timeout) {
    Clock::time_point t = Clock::now() + *timeout;
    if (!d || t < *d) d = t;
  }
  return d;
}

Status CheckFilters(const QueryFilters& f, std::string_view prefix) {
  if (f.from != storage::kOpenDay && f.to != storage::kOpenDay && f.to < f.from) {
    return Status::InvalidArgument(fmt::format("{}to: must not be before {}from", prefix, prefix));
  }
  if (!(f.min_confidence >= 0.0 && f.min_confidence <= 1.0)) {
    return Status::InvalidArgument(
        fmt::format("{}min-confidence: {} is not a number in [0, 1]", prefix, f.min_confidence));
  }
  return Status::OK();
}

Result<std::unique_ptr<EmbeddedBackend>> EmbeddedBackend::Open(const std::filesystem::path& dir,
                                                               graph::Vocabulary vocabulary,
                                                               const EmbeddedOptions& options) {
  std::unique_ptr<EmbeddedBackend> b(new EmbeddedBackend());
  b->vocabulary_ = std::move(vocabulary);
  b->options_ = options;
  storage::StoreOptions store_options;
  store_options.create_if_missing = options.create_if_missing;
  store_options.query_only = options.query_only;
  store_options.node_cache_entries = options.node_cache_entries;
  DYAD_ASSIGN_OR_RETURN(b->store_, Store::Open(dir, store_options));
  b->engine_ = std::make_unique<graph::QueryEngine>(*b->store_, b->vocabulary_);
  if (options.open_graph_now) DYAD_RETURN_IF_ERROR(b->Snapshot().status());
  return b;
}

EmbeddedBackend::~EmbeddedBackend() {
  graphs_.reset();  // stops its rebuild thread and commit listener first
}

Result<std::shared_ptr<const graph::Snapshot>> EmbeddedBackend::Snapshot() {
  std::lock_guard lock(graphs_mu_);
  if (!graphs_) {
    DYAD_ASSIGN_OR_RETURN(graphs_, graph::SnapshotManager::Open(*store_, graph::SnapshotOptions{}));
  }
  return graphs_->Current();
}

Status EmbeddedBackend::PersistGraph() {
  std::lock_guard lock(graphs_mu_);
  if (!graphs_) {
    // Opening maps a current image, or builds and writes one.
    DYAD_ASSIGN_OR_RETURN(graphs_, graph::SnapshotManager::Open(*store_, graph::SnapshotOptions{}));
    Status persisted = graphs_->info().persisted;
    return persisted.ok() ? persisted : persisted.WithContext("writing the graph image");
  }
  std::shared_ptr<const graph::Snapshot> snap = graphs_->Current();
  if (snap->base().sequence() == store_->LatestSequence() && graphs_->info().persisted.ok()) {
    return Status::OK();
  }
  Status rebuilt = graphs_->Rebuild();
  return rebuilt.ok() ? rebuilt : rebuilt.WithContext("writing the graph image");
}

Status EmbeddedBackend::Load(const std::vector<storage::LoadInput>& inputs,
                             const storage::LoadOptions& options, storage::LoadSummary* summary) {
  Status s;
  {
    storage::Loader loader(*store_, options);
    s = loader.Load(inputs, summary);
  }
  if (options_.persist_graph_after_load && summary->committed_lines > 0) {
    // What was committed stays committed whatever happens here; a failed
    // image write is the error to report only when the load itself was fine.
    Status persisted = PersistGraph();
    if (s.ok() && !persisted.ok()) return persisted.WithContext("graph snapshot");
  }
  return s;
}

Result<Node> EmbeddedBackend::UpsertEntity(const Node& entity, bool sync) {
  const std::string line = EntityLine(entity) + "\n";
  // The loader reads descriptors; an anonymous in-memory file holds the
  // one record without a pipe's risk of blocking on a long line.
  int fd = ::memfd_create("dyad-entity", MFD_CLOEXEC);
  if (fd < 0) return Status::IOError(fmt::format("memfd_create: {}", std::strerror(errno)));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()) ||
      ::lseek(fd, 0, SEEK_SET) != 0) {
    return Status::IOError(fmt::format("writing the entity record: {}", std::strerror(errno)));
  }
  storage::LoadOptions options;
  options.sync = sync;
  storage::LoadSummary summary;
  Status s;
  {
    storage::Loader loader(*store_, options);
    s = loader.Load({{"entity", fd, {}}}, &summary);
  }
  if (!s.ok()) {
    if (summary.bad_lines.size() == 1) {
      const storage::BadLine& bad = summary.bad_lines.front();
      return Status::FromCode(s.code(), fmt::format("{}: {}", bad.field, bad.reason));
    }
    return s;
  }
  std::string ref =
      entity.external_id.empty() ? entity.label + ":" + entity.name : entity.external_id;
  DYAD_ASSIGN_OR_RETURN(NodeId id, store_->Resolve(ref));
  return store_->GetNode(id);
}

Result<std::vector<Node>> EmbeddedBackend::Find(const std::string& name_in,
                                                const std::string& label_in) {
  std::string name = name_in, label = label_in;
  if (label.empty()) {
    // "Label:Name" qualifies a name as on every other command.
    if (size_t colon = name.find(':');
        colon != std::string::npos && store_->LabelIdOf(name.substr(0, colon))) {
      label = name.substr(0, colon);
      name = name.substr(colon + 1);
    }
  }
  std::optional<std::string_view> scope;
  if (!label.empty()) scope = label;
  Result<std::vector<NodeId>> ids = store_->FindByName(name, scope);
  if (!ids.ok()) return ids.status().WithContext("NAME");
  if (ids->empty() && label.empty()) {
    // An external id is a name too ("Q159"; "Person:ashfaq-parvez-kayani"
    // is also Label:Name). With a label, only that label's names count.
    Result<NodeId> by_id = store_->Resolve(name);
    if (by_id.ok()) ids->push_back(*by_id);
  }
  return store_->GetNodes(*ids);
}

Result<FactsView> EmbeddedBackend::Facts(const FactsRequest& request) {
  DYAD_ASSIGN_OR_RETURN(NodeId id, store_->Resolve(request.node));
  NodeCache nodes(*store_);
  FactsView view;
  DYAD_ASSIGN_OR_RETURN(const Node* node, nodes.Get(id));
  view.node = *node;
  storage::FactFilter filter = FillFilter<storage::FactFilter>(request.filters);
  filter.symmetric_predicates = vocabulary_.SymmetricPredicates();
  filter.deadline = request.filters.DeadlineFromNow();
  DYAD_ASSIGN_OR_RETURN(storage::FactList facts, store_->FactsOf(id, filter));
  view.truncated = facts.truncated;
  DYAD_ASSIGN_OR_RETURN(view.facts, ViewsOf(std::move(facts.facts), nodes));
  return view;
}

Result<NeighboursView> EmbeddedBackend::Neighbours(const NeighboursRequest& request) {
  return Neighbours(request, Store::NodeProps::kWithout);
}

Result<NeighboursView> EmbeddedBackend::Neighbours(const NeighboursRequest& request,
                                                   Store::NodeProps node_props) {
  DYAD_ASSIGN_OR_RETURN(NodeId start, store_->Resolve(request.node));
  DYAD_ASSIGN_OR_RETURN(std::shared_ptr<const graph::Snapshot> snap, Snapshot());
  graph::QueryLimits limits = LimitsOf(request.filters);
  limits.max_nodes = request.limit;
  DYAD_ASSIGN_OR_RETURN(graph::Neighbourhood n,
                        engine_->Neighbours(*snap, start, request.depth,
                                            FillFilter<graph::TraversalFilter>(request.filters),
                                            limits, request.with_facts));
  // A hub's facts are read beside its nodes: each side is thousands of
  // random reads, and a second core would otherwise idle. (`n` and `read`
  // outlive the helper: the future is destroyed first, and waits.)
  ChunkedFactRead read(*engine_, n.facts);
  std::future<void> helper;
  if (n.facts.size() >= kFactsReadBeside) {
    try {
      helper = std::async(std::launch::async, [&] { read.Read(); });
    } catch (const std::system_error&) {
      // No thread to spare: the facts are read after the nodes.
    }
  }
  std::vector<NodeId> ids;
  ids.reserve(n.nodes.size() + 1);
  ids.push_back(start);
  ids.insert(ids.end(), n.nodes.ids().begin(), n.nodes.ids().end());
  DYAD_ASSIGN_OR_RETURN(std::vector<Node> found, store_->GetNodes(ids, node_props));
  NodeCache nodes(*store_, node_props);
  if (!n.facts.empty()) nodes.Add(found);  // every fact's ends are among them
  NeighboursView view;
  view.start = std::move(found[0]);
  view.depth = request.depth;
  view.nodes.reserve(n.nodes.size());
  for (size_t i = 0; i < n.nodes.size(); ++i)
    view.nodes.push_back({std::move(found[i + 1]), n.nodes.hops(i)});
  std::sort(view.nodes.begin(), view.nodes.end(), [](const auto& a, const auto& b) {
    return std::tie(a.hops, a.node.name, a.node.id) < std::tie(b.hops, b.node.name, b.node.id);
  });
  read.Read();
  if (helper.valid()) helper.wait();
  DYAD_ASSIGN_OR_RETURN(std::vector<storage::Fact> facts, read.Take());
  DYAD_ASSIGN_OR_RETURN(view.facts, SortedViews(std::move(facts), nodes));
  view.truncated_by = graph::LimitName(n.truncated_by);
  return view;
}

Result<PathsView> EmbeddedBackend::Paths(const PathsRequest& request) {
  DYAD_ASSIGN_OR_RETURN(NodeId from, store_->Resolve(request.from));
  DYAD_ASSIGN_OR_RETURN(NodeId to, store_->Resolve(request.to));
  DYAD_ASSIGN_OR_RETURN(std::shared_ptr<const graph::Snapshot> snap, Snapshot());
  graph::PathQuery query;
  query.mode = request.mode;
  query.k = request.k;
  query.weighted = request.weighted;
  graph::QueryLimits limits = LimitsOf(request.filters);
  limits.max_depth = request.max_depth;
  limits.max_paths = request.limit;
  DYAD_ASSIGN_OR_RETURN(
      graph::PathResult result,
      engine_->Paths(*snap, from, to, query, FillFilter<graph::TraversalFilter>(request.filters),
                     limits));
  NodeCache nodes(*store_);
  PathsView view;
  DYAD_ASSIGN_OR_RETURN(const Node* from_node, nodes.Get(from));
  DYAD_ASSIGN_OR_RETURN(const Node* to_node, nodes.Get(to));
  view.from = *from_node;
  view.to = *to_node;
  view.hops = result.hops;
  for (const graph::Path& path : result.paths) {
    PathView p;
    p.cost = path.cost;
    for (NodeId id : path.nodes) {
      DYAD_ASSIGN_OR_RETURN(const Node* node, nodes.Get(id));
      p.nodes.push_back(*node);
    }
    for (const auto& step : path.steps) {
      DYAD_ASSIGN_OR_RETURN(std::vector<FactView> facts, FetchViews(*engine_, step, nodes));
      p.steps.push_back(std::move(facts));
    }
    view.paths.push_back(std::move(p));
  }
  view.truncated_by = graph::LimitName(result.truncated_by);
  return view;
}

Result<DyadView> EmbeddedBackend::Dyad(const DyadRequest& request) {
  return Dyad(request, Store::NodeProps::kWithout);
}

Result<DyadView> EmbeddedBackend::Dyad(const DyadRequest& request, Store::NodeProps node_props) {
  DYAD_ASSIGN_OR_RETURN(NodeId a, store_->Resolve(request.a));
  DYAD_ASSIGN_OR_RETURN(NodeId b, store_->Resolve(request.b));
  DYAD_ASSIGN_OR_RETURN(std::shared_ptr<const graph::Snapshot> snap, Snapshot());
  DYAD_ASSIGN_OR_RETURN(
      graph::DyadTimeline timeline,
      engine_->Dyad(*snap, a, b, request.by, FillFilter<graph::TraversalFilter>(request.filters),
                    LimitsOf(request.filters), request.with_facts));
  NodeCache nodes(*store_, node_props);
  DyadView view;
  DYAD_ASSIGN_OR_RETURN(const Node* a_node, nodes.Get(a));
  DYAD_ASSIGN_OR_RETURN(const Node* b_node, nodes.Get(b));
  view.a = *a_node;
  view.b = *b_node;
  view.by = request.by == graph::Period::kYear ? "year" : "month";
  for (const graph::DyadBucket& bucket : timeline.buckets) {
    DyadBucketView v{bucket.period, bucket.a_to_b, bucket.events, bucket.goldstein, {}};
    DYAD_ASSIGN_OR_RETURN(v.facts, FetchViews(*engine_, bucket.facts, nodes));
    view.buckets.push_back(std::move(v));
  }
  view.a_to_b = timeline.a_to_b;
  view.b_to_a = timeline.b_to_a;
  view.truncated_by = graph::LimitName(timeline.truncated_by);
  return view;
}

Result<storage::Stats> EmbeddedBackend::Stats() { return store_->GetStats(); }

Result<ExportSummary> EmbeddedBackend::Export(const ExportRequest& request,
                                              const ExportSink& sink) {
  const QueryFilters& q = request.filters;
  Subgraph subgraph;
  std::string truncated_by;
  switch (request.scope) {
    case ExportRequest::Scope::kStore: {
      if (q.direction != storage::Direction::kBoth) {
        return Status::InvalidArgument(
            "direction: a whole-store export has every fact once; a direction needs a "
            "neighbourhood or a dyad");
      }
      StoreExportOptions options;
      options.predicates = q.predicates;
      options.labels = q.labels;
      options.from = q.from;
      options.to = q.to;
      options.min_confidence = q.min_confidence;
      options.deadline = q.DeadlineFromNow();
      options.cancelled = q.cancelled;
      return ExportStore(*store_, options, request.format, vocabulary_, sink);
    }
    case ExportRequest::Scope::kAround: {
      DYAD_ASSIGN_OR_RETURN(
          NeighboursView view,
          Neighbours(NeighboursRequest{request.around, request.depth, request.limit, q, true},
                     Store::NodeProps::kWith));
      subgraph.nodes.push_back(std::move(view.start));
      for (auto& n : view.nodes) subgraph.nodes.push_back(std::move(n.node));
      for (auto& f : view.facts) subgraph.facts.push_back(std::move(f.fact));
      truncated_by = view.truncated_by;
      break;
    }
    case ExportRequest::Scope::kDyad: {
      DYAD_ASSIGN_OR_RETURN(DyadView view,
                            Dyad(DyadRequest{request.a, request.b, graph::Period::kYear, q, true},
                                 Store::NodeProps::kWith));
      subgraph.nodes.push_back(std::move(view.a));
      subgraph.nodes.push_back(std::move(view.b));
      for (auto& bucket : view.buckets) {
        for (auto& f : bucket.facts) {
          subgraph.nodes.push_back(std::move(f.subject));
          subgraph.nodes.push_back(std::move(f.object));
          subgraph.facts.push_back(std::move(f.fact));
        }
      }
      truncated_by = view.truncated_by;
      break;
    }
  }
  DYAD_ASSIGN_OR_RETURN(ExportSummary summary,
                        ExportSubgraph(subgraph, request.format, vocabulary_, sink));
  summary.truncated_by = truncated_by;
  return summary;
}

Result<uint64_t> EmbeddedBackend::Backup(const std::string& dest) { return store_->Backup(dest); }

std::vector<Node> EmbeddedBackend::CandidatesOf(const Status& status) {
  std::vector<Node> nodes;
  for (const auto& id : status.candidates()) {
    Result<NodeId> nid = store_->Resolve(id);
    if (!nid.ok()) continue;
    Result<Node> n = store_->GetNode(*nid);
    if (n.ok()) nodes.push_back(std::move(*n));
  }
  return nodes;
}

}  // namespace dyad::service
