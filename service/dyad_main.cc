// The `dyad` command line (cli.md is the contract): load, find, facts,
// neighbours, path, dyad and stats on an embedded store given by --db (or
// DYAD_DB). The graph queries run on the snapshot persisted beside the store,
// which `load` brings up to date so that a query does not wait for a rebuild.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "graph/query.h"
#include "graph/snapshot.h"
#include "graph/snapshot_manager.h"
#include "graph/vocabulary.h"
#include "service/exit_codes.h"
#include "service/render.h"
#include "storage/dates.h"
#include "storage/loader.h"
#include "storage/store.h"

namespace dyad::service {
namespace {

namespace fs = std::filesystem;
using storage::Store;

struct GlobalFlags {
  std::string db;
  std::string predicates;  // a vocabulary file replacing the built-in one
  std::string format;      // table | json; empty: table on a terminal, else json
  bool json() const { return format == "json" || (format.empty() && !::isatty(STDOUT_FILENO)); }
};

// The filters and the --timeout limit every query takes, parsed.
struct Filters {
  storage::Direction direction = storage::Direction::kBoth;
  std::vector<std::string> predicates;
  std::vector<std::string> labels;
  storage::DayCode from = storage::kOpenDay;
  storage::DayCode to = storage::kOpenDay;
  double min_confidence = 0.0;
  std::optional<std::chrono::milliseconds> timeout;

  // For Store::FactsOf (`facts`), which learns the symmetric predicates from
  // the vocabulary here; the graph layer takes them from its own.
  storage::FactFilter ToFactFilter(const graph::Vocabulary& vocabulary) const {
    storage::FactFilter f = Fill<storage::FactFilter>();
    f.symmetric_predicates = vocabulary.SymmetricPredicates();
    return f;
  }

  graph::TraversalFilter ToTraversal() const { return Fill<graph::TraversalFilter>(); }

  // The two filter types name their common fields alike.
  template <class Filter>
  Filter Fill() const {
    Filter f;
    f.direction = direction;
    f.predicates = predicates;
    f.labels = labels;
    f.from = from;
    f.to = to;
    f.min_confidence = min_confidence;
    return f;
  }

  // The deadline of a query that starts now; called just before the query,
  // so that opening the store and the snapshot does not eat into it.
  std::optional<std::chrono::steady_clock::time_point> DeadlineFromNow() const {
    if (!timeout) return std::nullopt;
    return std::chrono::steady_clock::now() + *timeout;
  }
};

// The flags behind Filters, shared by facts, neighbours, path and dyad.
struct FilterFlags {
  std::string direction = "both";
  std::vector<std::string> predicates;
  std::vector<std::string> labels;
  std::string from, to, min_confidence, timeout;

  void AddTo(CLI::App* cmd) {
    cmd->add_option("--direction", direction,
                    "Follow facts out of, into, or both ways (default both)")
        ->check(CLI::IsMember({"out", "in", "both"}));
    cmd->add_option("--predicate", predicates, "Only these predicates (repeatable)");
    cmd->add_option("--label", labels,
                    "Only facts whose other end has one of these labels (repeatable)");
    cmd->add_option("--from", from, "Facts valid at any point on or after this date (YYYY-MM-DD)");
    cmd->add_option("--to", to, "Facts valid at any point on or before this date (YYYY-MM-DD)");
    cmd->add_option("--min-confidence", min_confidence,
                    "Facts with at least this confidence, in [0, 1]");
    cmd->add_option(
        "--timeout", timeout,
        "Stop after this many milliseconds and answer what was found, marked truncated");
  }

  // InvalidArgument naming the flag for a malformed value (exit 3).
  Result<Filters> Parse() const {
    Filters f;
    f.direction = direction == "out"  ? storage::Direction::kOut
                  : direction == "in" ? storage::Direction::kIn
                                      : storage::Direction::kBoth;
    f.predicates = predicates;
    f.labels = labels;
    if (!from.empty()) {
      Result<storage::DayCode> d = storage::ParseDay(from);
      if (!d.ok()) return d.status().WithContext("--from");
      f.from = *d;
    }
    if (!to.empty()) {
      Result<storage::DayCode> d = storage::ParseDay(to);
      if (!d.ok()) return d.status().WithContext("--to");
      f.to = *d;
    }
    if (f.from != storage::kOpenDay && f.to != storage::kOpenDay && f.to < f.from) {
      return Status::InvalidArgument("--to: must not be before --from");
    }
    if (!min_confidence.empty()) {
      char* end = nullptr;
      errno = 0;
      double c = std::strtod(min_confidence.c_str(), &end);
      if (errno != 0 || end == min_confidence.c_str() || *end != '\0' || !(c >= 0.0 && c <= 1.0)) {
        return Status::InvalidArgument(
            fmt::format("--min-confidence: \"{}\" is not a number in [0, 1]", min_confidence));
      }
      f.min_confidence = c;
    }
    if (!timeout.empty()) {
      char* end = nullptr;
      errno = 0;
      long long ms = std::strtoll(timeout.c_str(), &end, 10);
      if (errno != 0 || end == timeout.c_str() || *end != '\0' || ms < 0) {
        return Status::InvalidArgument(
            fmt::format("--timeout: \"{}\" is not a number of milliseconds", timeout));
      }
      f.timeout = std::chrono::milliseconds(ms);
    }
    return f;
  }
};

// Prints a failure the way cli.md asks (JSON error object on stdout in json
// mode, the message on stderr always) and returns its exit code.
int Fail(const GlobalFlags& g, const Status& status, const Store* store = nullptr) {
  std::vector<storage::Node> candidates;
  if (store != nullptr) {
    for (const auto& id : status.candidates()) {
      Result<storage::NodeId> nid = store->Resolve(id);
      if (!nid.ok()) continue;
      Result<storage::Node> n = store->GetNode(*nid);
      if (n.ok()) candidates.push_back(std::move(*n));
    }
  }
  if (g.json()) std::cout << ErrorJson(status, candidates) << "\n";
  std::cerr << "dyad: " << status.message() << "\n";
  return ToExitCode(status);
}

Result<std::unique_ptr<Store>> OpenStore(const GlobalFlags& g, bool create) {
  storage::StoreOptions options;
  options.create_if_missing = create;
  options.query_only = !create;  // only `load` writes
  return Store::Open(g.db, options);
}

// Progress on stderr when it is a terminal, at most a few times a second.
class ProgressLine {
 public:
  ProgressLine() : enabled_(::isatty(STDERR_FILENO)) {}
  ~ProgressLine() {
    if (shown_) std::fputs("\n", stderr);
  }
  void Update(const storage::LoadProgress& p) {
    if (!enabled_ || p.seconds - last_ < 0.25) return;
    last_ = p.seconds;
    shown_ = true;
    double rate = p.seconds > 0 ? static_cast<double>(p.facts) / p.seconds : 0;
    std::string eta;
    if (p.bytes_total > 0 && p.bytes_read > 0) {
      double left =
          p.seconds * (static_cast<double>(p.bytes_total) / static_cast<double>(p.bytes_read) - 1);
      eta = fmt::format(
          "  {:.0f}%  ETA {:.0f} s",
          100.0 * static_cast<double>(p.bytes_read) / static_cast<double>(p.bytes_total), left);
    }
    std::fprintf(stderr, "\r%llu lines  %.0f facts/s%s   ",
                 static_cast<unsigned long long>(p.lines), rate, eta.c_str());
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  bool shown_ = false;
  double last_ = -1;
};

// Brings the graph image beside the store up to date, so that the next
// query maps it instead of scanning the store.
Status PersistGraph(Store& store) {
  DYAD_ASSIGN_OR_RETURN(std::unique_ptr<graph::SnapshotManager> graphs,
                        graph::SnapshotManager::Open(store, graph::SnapshotOptions{}));
  // Open treats the image as a cache (a store on a read-only medium still
  // answers); after a load the write is the point, so report a failure.
  Status persisted = graphs->info().persisted;
  return persisted.ok() ? persisted : persisted.WithContext("writing the graph image");
}

int RunLoad(const GlobalFlags& g, const std::vector<std::string>& files, bool skip_bad, bool sync,
            size_t batch) {
  std::vector<storage::LoadInput> inputs;
  std::vector<int> to_close;
  for (const auto& f : files) {
    if (f == "-") {
      inputs.push_back({"<stdin>", STDIN_FILENO});
      continue;
    }
    int fd = ::open(f.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      for (int c : to_close) ::close(c);
      return Fail(g, Status::IOError(fmt::format("cannot read {}: {}", f, std::strerror(errno))));
    }
    to_close.push_back(fd);
    inputs.push_back({f, fd});
  }
  Result<std::unique_ptr<Store>> store = OpenStore(g, /*create=*/true);
  if (!store.ok()) {
    for (int c : to_close) ::close(c);
    return Fail(g, store.status());
  }
  storage::LoadOptions options;
  options.skip_bad = skip_bad;
  options.sync = sync;
  options.batch_records = batch;
  storage::LoadSummary summary;
  Status s;
  {
    ProgressLine progress;
    options.on_progress = [&](const storage::LoadProgress& p) { progress.Update(p); };
    storage::Loader loader(**store, options);
    s = loader.Load(inputs, &summary);
  }
  for (int c : to_close) ::close(c);
  if (!s.ok() && !s.IsInvalidArgument()) return Fail(g, s);
  std::cout << (g.json() ? LoadSummaryJson(summary) + "\n" : LoadSummaryTable(summary))
            << std::flush;
  if (!s.ok()) std::cerr << "dyad: " << s.message() << "\n";
  if (summary.committed_lines > 0) {
    // The summary is out already: what was committed stays committed
    // whatever happens here, and stdout keeps its one object.
    Status persisted = PersistGraph(**store);
    if (!persisted.ok()) {
      std::cerr << "dyad: " << persisted.WithContext("graph snapshot").message() << "\n";
      return kExitError;
    }
  }
  return ToExitCode(s);
}

int RunFind(const GlobalFlags& g, std::string name, std::string label) {
  Result<std::unique_ptr<Store>> store = OpenStore(g, false);
  if (!store.ok()) return Fail(g, store.status());
  if (label.empty()) {
    // "Label:Name" qualifies a name as on every other command.
    if (size_t colon = name.find(':');
        colon != std::string::npos && (*store)->LabelIdOf(name.substr(0, colon))) {
      label = name.substr(0, colon);
      name = name.substr(colon + 1);
    }
  }
  std::optional<std::string_view> scope;
  if (!label.empty()) scope = label;
  Result<std::vector<storage::NodeId>> ids = (*store)->FindByName(name, scope);
  if (!ids.ok()) return Fail(g, ids.status().WithContext("NAME"));
  if (ids->empty() && label.empty()) {
    // An external id is a name too ("Q159"; "Person:ashfaq-parvez-kayani"
    // is also Label:Name). With --label, only that label's names count.
    Result<storage::NodeId> by_id = (*store)->Resolve(name);
    if (by_id.ok()) ids->push_back(*by_id);
  }
  std::vector<storage::Node> matches;
  for (storage::NodeId id : *ids) {
    Result<storage::Node> n = (*store)->GetNode(id);
    if (!n.ok()) return Fail(g, n.status());
    matches.push_back(std::move(*n));
  }
  std::cout << (g.json() ? FindJson(matches) + "\n" : FindTable(matches));
  if (matches.empty()) {
    std::cerr << "dyad: no node named \"" << name << "\"\n";
    return kExitNotFound;
  }
  if (matches.size() > 1) {
    std::cerr << "dyad: \"" << name << "\" is ambiguous: " << matches.size()
              << " nodes match; qualify it as Label:Name\n";
    return kExitAmbiguous;
  }
  return kExitOk;
}

// The vocabulary of --predicates (or DYAD_PREDICATES), else the built-in one.
Result<graph::Vocabulary> LoadVocabulary(const GlobalFlags& g) {
  if (g.predicates.empty()) return graph::Vocabulary::Default();
  return graph::Vocabulary::LoadFile(g.predicates);
}

// The nodes an answer names, each read from the store once.
class NodeCache {
 public:
  explicit NodeCache(const Store& store) : store_(store) {}
  Result<storage::Node> Get(storage::NodeId id) {
    if (auto it = nodes_.find(id); it != nodes_.end()) return it->second;
    DYAD_ASSIGN_OR_RETURN(storage::Node n, store_.GetNode(id));
    nodes_.emplace(id, n);
    return n;
  }
  // Reads the nodes not cached yet in one batch (an answer names thousands).
  Status Prefetch(std::vector<storage::NodeId> ids) {
    std::erase_if(ids, [&](storage::NodeId id) { return nodes_.contains(id); });
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    DYAD_ASSIGN_OR_RETURN(std::vector<storage::Node> found, store_.GetNodes(ids));
    for (auto& n : found) nodes_.emplace(n.id, std::move(n));
    return Status::OK();
  }

 private:
  const Store& store_;
  std::unordered_map<storage::NodeId, storage::Node> nodes_;
};

Result<std::vector<FactView>> ViewsOf(std::vector<storage::Fact> facts, NodeCache& nodes) {
  std::vector<storage::NodeId> ends;
  ends.reserve(2 * facts.size());
  for (const auto& f : facts) {
    ends.push_back(f.subject);
    ends.push_back(f.object);
  }
  DYAD_RETURN_IF_ERROR(nodes.Prefetch(std::move(ends)));
  std::vector<FactView> views;
  views.reserve(facts.size());
  for (auto& f : facts) {
    DYAD_ASSIGN_OR_RETURN(storage::Node s, nodes.Get(f.subject));
    DYAD_ASSIGN_OR_RETURN(storage::Node o, nodes.Get(f.object));
    views.push_back({std::move(f), std::move(s), std::move(o)});
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
  std::sort(facts.begin(), facts.end(),
            [&](const FactView& a, const FactView& b) { return key(a) < key(b); });
}

int RunFacts(const GlobalFlags& g, const std::string& node_ref, const FilterFlags& flags) {
  Result<graph::Vocabulary> vocabulary = LoadVocabulary(g);
  if (!vocabulary.ok()) return Fail(g, vocabulary.status());
  Result<Filters> filters = flags.Parse();
  if (!filters.ok()) return Fail(g, filters.status());
  storage::FactFilter filter = filters->ToFactFilter(*vocabulary);
  Result<std::unique_ptr<Store>> store = OpenStore(g, false);
  if (!store.ok()) return Fail(g, store.status());
  const Store& st = **store;
  Result<storage::NodeId> id = st.Resolve(node_ref);
  if (!id.ok()) return Fail(g, id.status(), &st);
  NodeCache nodes(st);
  Result<storage::Node> node = nodes.Get(*id);
  if (!node.ok()) return Fail(g, node.status());
  filter.deadline = filters->DeadlineFromNow();
  Result<storage::FactList> facts = st.FactsOf(*id, filter);
  if (!facts.ok()) return Fail(g, facts.status());
  Result<std::vector<FactView>> views = ViewsOf(std::move(facts->facts), nodes);
  if (!views.ok()) return Fail(g, views.status());
  std::cout << (g.json() ? FactsJson(*node, *views, facts->truncated) + "\n"
                         : FactsTable(*node, *views, facts->truncated));
  return kExitOk;
}

// What a graph query works with. The store is declared before the
// snapshot manager, which must close first.
struct GraphQuery {
  graph::Vocabulary vocabulary;
  Filters filters;
  std::unique_ptr<Store> store;
  std::unique_ptr<graph::SnapshotManager> graphs;

  // Maps the image persisted beside the store, or builds and persists one
  // when it is missing or stale.
  Result<std::shared_ptr<const graph::Snapshot>> OpenSnapshot() {
    if (!graphs) {
      DYAD_ASSIGN_OR_RETURN(graphs, graph::SnapshotManager::Open(*store, graph::SnapshotOptions{}));
    }
    return graphs->Current();
  }

  graph::QueryLimits Limits() const {
    graph::QueryLimits limits;
    limits.deadline = filters.DeadlineFromNow();
    return limits;
  }
};

// Flags first, then the store, so that a malformed flag is reported (exit
// 3) whether or not the store is there.
Result<GraphQuery> OpenGraphQuery(const GlobalFlags& g, const FilterFlags& flags) {
  GraphQuery q;
  DYAD_ASSIGN_OR_RETURN(q.vocabulary, LoadVocabulary(g));
  DYAD_ASSIGN_OR_RETURN(q.filters, flags.Parse());
  DYAD_ASSIGN_OR_RETURN(q.store, OpenStore(g, false));
  return q;
}

// The facts of `keys` with provenance and end nodes, in the order of `facts`.
Result<std::vector<FactView>> FetchViews(const graph::QueryEngine& engine,
                                         const std::vector<storage::FactKey>& keys,
                                         NodeCache& nodes) {
  DYAD_ASSIGN_OR_RETURN(std::vector<storage::Fact> facts, engine.FetchFacts(keys));
  DYAD_ASSIGN_OR_RETURN(std::vector<FactView> views, ViewsOf(std::move(facts), nodes));
  SortFacts(views);
  return views;
}

Result<NeighboursView> Neighbours(GraphQuery& q, storage::NodeId start, int depth, size_t limit) {
  DYAD_ASSIGN_OR_RETURN(std::shared_ptr<const graph::Snapshot> snap, q.OpenSnapshot());
  const graph::QueryEngine engine(*q.store, q.vocabulary);
  graph::QueryLimits limits = q.Limits();
  limits.max_nodes = limit;
  DYAD_ASSIGN_OR_RETURN(graph::Neighbourhood n,
                        engine.Neighbours(*snap, start, depth, q.filters.ToTraversal(), limits));
  NodeCache nodes(*q.store);
  NeighboursView view;
  DYAD_ASSIGN_OR_RETURN(view.start, nodes.Get(start));
  view.depth = depth;
  std::vector<storage::NodeId> ids;
  ids.reserve(n.nodes.size());
  for (const auto& [id, hops] : n.nodes) ids.push_back(id);
  DYAD_RETURN_IF_ERROR(nodes.Prefetch(std::move(ids)));
  for (const auto& [id, hops] : n.nodes) {
    DYAD_ASSIGN_OR_RETURN(storage::Node node, nodes.Get(id));
    view.nodes.push_back({std::move(node), hops});
  }
  std::sort(view.nodes.begin(), view.nodes.end(), [](const auto& a, const auto& b) {
    return std::tie(a.hops, a.node.name, a.node.id) < std::tie(b.hops, b.node.name, b.node.id);
  });
  DYAD_ASSIGN_OR_RETURN(view.facts, FetchViews(engine, n.facts, nodes));
  view.truncated_by = graph::LimitName(n.truncated_by);
  return view;
}

int RunNeighbours(const GlobalFlags& g, const std::string& node_ref, int depth, size_t limit,
                  const FilterFlags& flags) {
  Result<GraphQuery> q = OpenGraphQuery(g, flags);
  if (!q.ok()) return Fail(g, q.status());
  Result<storage::NodeId> id = q->store->Resolve(node_ref);
  if (!id.ok()) return Fail(g, id.status(), q->store.get());
  Result<NeighboursView> view = Neighbours(*q, *id, depth, limit);
  if (!view.ok()) return Fail(g, view.status());
  std::cout << (g.json() ? NeighboursJson(*view) + "\n" : NeighboursTable(*view));
  return kExitOk;
}

struct PathFlags {
  bool all = false;
  size_t k = 0;  // 0: not given
  bool weighted = false;
  int max_depth = graph::QueryLimits{}.max_depth;
  size_t limit = graph::QueryLimits{}.max_paths;
};

Result<PathsView> Paths(GraphQuery& q, storage::NodeId from, storage::NodeId to,
                        const PathFlags& flags) {
  DYAD_ASSIGN_OR_RETURN(std::shared_ptr<const graph::Snapshot> snap, q.OpenSnapshot());
  const graph::QueryEngine engine(*q.store, q.vocabulary);
  graph::PathQuery query;
  query.weighted = flags.weighted;
  if (flags.all) {
    query.mode = graph::PathMode::kAllShortest;
  } else if (flags.k > 0) {
    query.mode = graph::PathMode::kKShortest;
    query.k = flags.k;
  }
  graph::QueryLimits limits = q.Limits();
  limits.max_depth = flags.max_depth;
  limits.max_paths = flags.limit;
  DYAD_ASSIGN_OR_RETURN(graph::PathResult result,
                        engine.Paths(*snap, from, to, query, q.filters.ToTraversal(), limits));
  NodeCache nodes(*q.store);
  PathsView view;
  DYAD_ASSIGN_OR_RETURN(view.from, nodes.Get(from));
  DYAD_ASSIGN_OR_RETURN(view.to, nodes.Get(to));
  view.hops = result.hops;
  for (const graph::Path& path : result.paths) {
    PathView p;
    p.cost = path.cost;
    for (storage::NodeId id : path.nodes) {
      DYAD_ASSIGN_OR_RETURN(storage::Node node, nodes.Get(id));
      p.nodes.push_back(std::move(node));
    }
    for (const auto& step : path.steps) {
      DYAD_ASSIGN_OR_RETURN(std::vector<FactView> facts, FetchViews(engine, step, nodes));
      p.steps.push_back(std::move(facts));
    }
    view.paths.push_back(std::move(p));
  }
  view.truncated_by = graph::LimitName(result.truncated_by);
  return view;
}

int RunPath(const GlobalFlags& g, const std::string& from_ref, const std::string& to_ref,
            const PathFlags& path_flags, const FilterFlags& flags) {
  Result<GraphQuery> q = OpenGraphQuery(g, flags);
  if (!q.ok()) return Fail(g, q.status());
  Result<storage::NodeId> from = q->store->Resolve(from_ref);
  if (!from.ok()) return Fail(g, from.status(), q->store.get());
  Result<storage::NodeId> to = q->store->Resolve(to_ref);
  if (!to.ok()) return Fail(g, to.status(), q->store.get());
  Result<PathsView> view = Paths(*q, *from, *to, path_flags);
  if (!view.ok()) return Fail(g, view.status());
  std::cout << (g.json() ? PathsJson(*view) + "\n" : PathsTable(*view));
  return kExitOk;
}

// A table shows counts only, so it leaves the facts behind the buckets
// unfetched.
Result<DyadView> Dyad(GraphQuery& q, storage::NodeId a, storage::NodeId b, const std::string& by,
                      bool with_facts) {
  DYAD_ASSIGN_OR_RETURN(std::shared_ptr<const graph::Snapshot> snap, q.OpenSnapshot());
  const graph::QueryEngine engine(*q.store, q.vocabulary);
  const graph::Period period = by == "year" ? graph::Period::kYear : graph::Period::kMonth;
  DYAD_ASSIGN_OR_RETURN(
      graph::DyadTimeline timeline,
      engine.Dyad(*snap, a, b, period, q.filters.ToTraversal(), q.Limits(), with_facts));
  NodeCache nodes(*q.store);
  DyadView view;
  DYAD_ASSIGN_OR_RETURN(view.a, nodes.Get(a));
  DYAD_ASSIGN_OR_RETURN(view.b, nodes.Get(b));
  view.by = by;
  for (const graph::DyadBucket& bucket : timeline.buckets) {
    DyadBucketView v{bucket.period, bucket.a_to_b, bucket.events, bucket.goldstein, {}};
    DYAD_ASSIGN_OR_RETURN(v.facts, FetchViews(engine, bucket.facts, nodes));
    view.buckets.push_back(std::move(v));
  }
  view.a_to_b = timeline.a_to_b;
  view.b_to_a = timeline.b_to_a;
  view.truncated_by = graph::LimitName(timeline.truncated_by);
  return view;
}

int RunDyad(const GlobalFlags& g, const std::string& a_ref, const std::string& b_ref,
            const std::string& by, const FilterFlags& flags) {
  Result<GraphQuery> q = OpenGraphQuery(g, flags);
  if (!q.ok()) return Fail(g, q.status());
  Result<storage::NodeId> a = q->store->Resolve(a_ref);
  if (!a.ok()) return Fail(g, a.status(), q->store.get());
  Result<storage::NodeId> b = q->store->Resolve(b_ref);
  if (!b.ok()) return Fail(g, b.status(), q->store.get());
  Result<DyadView> view = Dyad(*q, *a, *b, by, g.json());
  if (!view.ok()) return Fail(g, view.status());
  std::cout << (g.json() ? DyadJson(*view) + "\n" : DyadTable(*view));
  return kExitOk;
}

int RunStats(const GlobalFlags& g) {
  Result<std::unique_ptr<Store>> store = OpenStore(g, false);
  if (!store.ok()) return Fail(g, store.status());
  storage::Stats stats = (*store)->GetStats();
  std::cout << (g.json() ? StatsJson(stats) + "\n" : StatsTable(stats));
  return kExitOk;
}

int Main(int argc, char** argv) {
  CLI::App app{"dyad: a knowledge graph store for relations between countries", "dyad"};
  app.set_version_flag("--version", "dyad 0.1.0");
  app.require_subcommand(1);
  app.fallthrough();  // global flags may follow the command: `dyad find X --db D`
  GlobalFlags g;
  app.add_option("--db", g.db, "Store directory (embedded mode)")->envname("DYAD_DB");
  app.add_option("--predicates", g.predicates,
                 "Predicate vocabulary (TSV as graph/predicates.tsv) replacing the built-in one")
      ->envname("DYAD_PREDICATES");
  app.add_option("--format", g.format, "Output: table (default on a terminal) or json")
      ->check(CLI::IsMember({"table", "json"}));

  std::vector<std::string> files;
  bool skip_bad = false, sync = false;
  size_t batch = storage::LoadOptions{}.batch_records;
  CLI::App* load =
      app.add_subcommand("load", "Load JSON Lines fact files (or - for stdin) into the store");
  load->add_option("files", files, "Fact files, or - for standard input")->required();
  load->add_flag("--skip-bad", skip_bad,
                 "Load every good line and list every bad one (exit 3 if any)");
  load->add_flag("--sync", sync, "fsync each committed chunk");
  load->add_option("--batch", batch, "Records per atomic chunk")
      ->check(CLI::Range(size_t{1}, size_t{10'000'000}))
      ->capture_default_str();

  std::string name, label;
  CLI::App* find = app.add_subcommand("find", "Find nodes by name or alias");
  find->add_option("name", name, "A name or alias, optionally Label:Name")->required();
  find->add_option("--label", label, "Only nodes of this label");

  std::string node_ref;
  FilterFlags filters;
  CLI::App* facts = app.add_subcommand("facts", "A node's facts with their sources");
  facts->add_option("node", node_ref, "A name, alias, Label:Name or id")->required();
  filters.AddTo(facts);

  int depth = 1;
  size_t neighbour_limit = graph::QueryLimits{}.max_nodes;
  CLI::App* neighbours = app.add_subcommand(
      "neighbours", "The nodes within K hops of a node, and the facts crossed to reach them");
  neighbours->add_option("node", node_ref, "A name, alias, Label:Name or id")->required();
  neighbours->add_option("--depth", depth, "Hops from the node")
      ->check(CLI::Range(0, 1'000'000))
      ->capture_default_str();
  neighbours->add_option("--limit", neighbour_limit, "At most this many nodes (then truncated)")
      ->check(CLI::Range(size_t{1}, size_t{1'000'000'000}))
      ->capture_default_str();
  filters.AddTo(neighbours);

  PathFlags path_flags;
  std::string from_ref, to_ref;
  CLI::App* path = app.add_subcommand(
      "path", "Shortest paths between two nodes, with every fact along each step");
  path->add_option("from", from_ref, "Where the path starts: a name, alias, Label:Name or id")
      ->required();
  path->add_option("to", to_ref, "Where it ends")->required();
  CLI::Option* all = path->add_flag("--all", path_flags.all, "Every shortest path");
  CLI::Option* k = path->add_option("--k", path_flags.k, "The N shortest loop-free paths (Yen)")
                       ->check(CLI::Range(size_t{1}, size_t{1'000'000}));
  all->excludes(k);
  path->add_flag("--weighted", path_flags.weighted,
                 "Least total -log(confidence) instead of fewest hops");
  path->add_option("--max-depth", path_flags.max_depth, "At most this many hops")
      ->check(CLI::Range(0, 1'000'000))
      ->capture_default_str();
  path->add_option("--limit", path_flags.limit, "At most this many paths (then truncated)")
      ->check(CLI::Range(size_t{1}, size_t{1'000'000'000}))
      ->capture_default_str();
  filters.AddTo(path);

  std::string a_ref, b_ref, by = "month";
  CLI::App* dyad = app.add_subcommand(
      "dyad", "Events between two countries' actors, per month or year and direction");
  dyad->add_option("a", a_ref, "A country (or any node): a name, alias, Label:Name or id")
      ->required();
  dyad->add_option("b", b_ref, "The other one")->required();
  dyad->add_option("--by", by, "Bucket events by month or year")
      ->check(CLI::IsMember({"month", "year"}))
      ->capture_default_str();
  filters.AddTo(dyad);

  CLI::App* stats =
      app.add_subcommand("stats", "Counts of nodes, facts, sources, labels, predicates");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (g.db.empty()) {
    std::cerr << "dyad: --db: no store given (use --db DIR or set DYAD_DB)\n";
    return kExitUsage;
  }
  if (!g.predicates.empty()) {  // a bad vocabulary fails every command, not only those using it
    Result<graph::Vocabulary> vocabulary = LoadVocabulary(g);
    if (!vocabulary.ok()) return Fail(g, vocabulary.status());
  }
  if (*load) return RunLoad(g, files, skip_bad, sync, batch);
  if (*find) return RunFind(g, name, label);
  if (*facts) return RunFacts(g, node_ref, filters);
  if (*neighbours) return RunNeighbours(g, node_ref, depth, neighbour_limit, filters);
  if (*path) return RunPath(g, from_ref, to_ref, path_flags, filters);
  if (*dyad) return RunDyad(g, a_ref, b_ref, by, filters);
  if (*stats) return RunStats(g);
  return kExitUsage;
}

}  // namespace
}  // namespace dyad::service

int main(int argc, char** argv) { return dyad::service::Main(argc, argv); }
