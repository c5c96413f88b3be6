#include "graph/query.h"

#include <fmt/format.h>
#include <sys/mman.h>

#include <algorithm>
#include <boost/graph/dijkstra_shortest_paths_no_color_map.hpp>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <new>
#include <set>

#include "graph/boost_adaptor.h"
#include "graph/traversal.h"
#include "storage/dates.h"

namespace dyad::graph {

std::string_view LimitName(Limit limit) {
  switch (limit) {
    case Limit::kNone:
      return "";
    case Limit::kNodes:
      return "nodes";
    case Limit::kFacts:
      return "facts";
    case Limit::kPaths:
      return "paths";
    case Limit::kDepth:
      return "depth";
    case Limit::kDeadline:
      return "deadline";
  }
  return "";
}

namespace {

// Per-vertex marks that are cleared in O(1): a mark is valid while its
// stamp equals the current epoch. One set per thread and purpose, reused
// across queries, so that a 1-hop query does not pay for a million-entry
// array.
class Marks {
 public:
  void Reset(size_t n) {
    if (size_ < n) {
      // Zeroed and touched once per thread, so that no query pays page
      // faults in its inner loop; huge pages spare the TLB (madvise mode).
      stamps_.reset(static_cast<uint16_t*>(std::malloc(n * sizeof(uint16_t))));
      values_.reset(static_cast<uint32_t*>(std::malloc(n * sizeof(uint32_t))));
      if (!stamps_ || !values_) throw std::bad_alloc();
      ::madvise(stamps_.get(), n * sizeof(uint16_t), MADV_HUGEPAGE);
      ::madvise(values_.get(), n * sizeof(uint32_t), MADV_HUGEPAGE);
      std::memset(static_cast<void*>(stamps_.get()), 0, n * sizeof(uint16_t));
      size_ = n;
      epoch_ = 0;
    }
    Advance();
  }
  bool Has(VertexId v) const { return stamps_[v] == epoch_; }
  uint32_t Get(VertexId v) const { return values_[v]; }
  void Set(VertexId v, uint32_t value) {
    stamps_[v] = epoch_;
    values_[v] = value;
  }
  // Marks `v` without a value: a traversal that keeps its answer elsewhere
  // spares a random write per vertex.
  void Mark(VertexId v) { stamps_[v] = epoch_; }
  void Unmark(VertexId v) { stamps_[v] = static_cast<uint16_t>(epoch_ - 1); }
  // Marks each unmarked v < bound of `run` and writes it to `out`; returns
  // the end of what it wrote. The stamps and epoch are held in locals, and
  // nothing is written but stamps and `out` (of other types): the loop keeps
  // many of its random stamp reads in flight, where a call per step, or a
  // vector's push_back, made the compiler reload every pointer through
  // memory at each step. Q1's and Q2's hot loop.
  VertexId* MarkNew(std::span<const VertexId> run, VertexId bound, VertexId* out) {
    uint16_t* const stamps = stamps_.get();
    const uint16_t epoch = epoch_;
    for (const VertexId v : run) {
      if (v >= bound || stamps[v] == epoch) continue;
      stamps[v] = epoch;
      *out++ = v;
    }
    return out;
  }
  // A second stamp for this query, one past the first (Reset()'s), for a
  // search from both ends that keeps one mark per vertex: the stamp of the
  // side that reached it. Returns it; the first is Stamp() before the call.
  uint16_t NextStamp() {
    Advance();
    return epoch_;
  }
  uint16_t Stamp() const { return epoch_; }
  uint16_t StampOf(VertexId v) const { return stamps_[v]; }
  void MarkWith(VertexId v, uint16_t stamp) { stamps_[v] = stamp; }

 private:
  // 16-bit stamps: Has() is the hottest load of every traversal, and 2
  // bytes a vertex keep a million vertices' stamps in cache. They are
  // cleared once every 65535 stamps.
  void Advance() {
    if (++epoch_ == 0) {
      std::memset(static_cast<void*>(stamps_.get()), 0, size_ * sizeof(uint16_t));
      epoch_ = 1;
    }
  }

  struct Free {
    void operator()(void* p) const { std::free(p); }
  };
  std::unique_ptr<uint16_t[], Free> stamps_;
  std::unique_ptr<uint32_t[], Free> values_;
  size_t size_ = 0;
  uint16_t epoch_ = 0;
};

enum MarkSet { kMarksA = 0, kMarksB, kMarksC, kMarkSets };
Marks& ThreadMarks(MarkSet which, size_t n) {
  thread_local Marks marks[kMarkSets];
  marks[which].Reset(n);
  return marks[which];
}

// Thrown inside Boost's algorithms (from our visitors) and caught in this
// file; never crosses the layer boundary.
struct TargetReached {};
struct DeadlinePassed {};

Status UnknownNode(NodeId id) {
  return Status::NotFound(fmt::format("no node with internal id {}", id));
}

// Sorts `v` by key(element) and keeps the first element of each key.
template <class T, class Key>
void SortUniqueBy(std::vector<T>* v, Key key) {
  std::sort(v->begin(), v->end(), [&](const T& a, const T& b) { return key(a) < key(b); });
  v->erase(
      std::unique(v->begin(), v->end(), [&](const T& a, const T& b) { return key(a) == key(b); }),
      v->end());
}

void SortUnique(std::vector<VertexId>* v) {
  SortUniqueBy(v, [](VertexId x) { return x; });
}

// The facts of one step from -> to that the traversal allows, and the
// cheapest one's cost.
std::vector<FactKey> StepFacts(const Traversal& t, VertexId from, VertexId to, double* cost) {
  std::vector<FactKey> keys;
  std::vector<EdgeIndex> seen;
  double best = std::numeric_limits<double>::infinity();
  t.ForEachStep(from, [&](VertexId other, EdgeIndex e, bool forward) {
    if (other != to || std::find(seen.begin(), seen.end(), e) != seen.end()) return;
    seen.push_back(e);
    keys.push_back(t.KeyOf(from, to, e, forward));
    best = std::min(best, t.Cost(e));
  });
  std::sort(keys.begin(), keys.end(), [](const FactKey& a, const FactKey& b) {
    return std::tie(a.subject, a.predicate, a.object, a.valid_from) <
           std::tie(b.subject, b.predicate, b.object, b.valid_from);
  });
  if (cost) *cost = best;
  return keys;
}

Path MakePath(const Traversal& t, const std::vector<VertexId>& nodes) {
  Path p;
  p.nodes.assign(nodes.begin(), nodes.end());
  for (size_t i = 0; i + 1 < nodes.size(); ++i) {
    double c = 0;
    p.steps.push_back(StepFacts(t, nodes[i], nodes[i + 1], &c));
    p.cost += c;
  }
  return p;
}

// Level-synchronous bidirectional BFS, expanding the side whose frontier
// has fewer adjacency entries. Leaves what each side reached in its
// SideMarks (below), complete up to levels la and lb.
struct Meeting {
  std::optional<int> length;
  int la = 0, lb = 0;
  Limit truncated_by = Limit::kNone;
};

// How a bidirectional BFS marks what each side reached. Visit() is called
// for each step of `side_a`'s (or b's) frontier to v, at the new level; it
// returns whether v is new to that side (and joins the next frontier), and
// lowers *best to the length of a path through v if the other side has it.

// Distances from s in `da` and to t in `db`, which enumerating the
// shortest paths needs afterwards.
struct DistanceMarks {
  Marks& da;
  Marks& db;
  void Start(VertexId s, VertexId t) {
    da.Set(s, 0);
    db.Set(t, 0);
  }
  bool Visit(bool side_a, VertexId v, int level, int /*other_level*/, int* best) {
    Marks& mine = side_a ? da : db;
    Marks& theirs = side_a ? db : da;
    if (mine.Has(v)) return false;
    mine.Set(v, level);
    if (theirs.Has(v)) *best = std::min(*best, level + static_cast<int>(theirs.Get(v)));
    return true;
  }
};

// One stamp per vertex, that of the side that reached it first, when only
// the length is asked for: a step reads one cache line, where two sides'
// marks and distances took three. A vertex the other side has is at its
// last level: had that side reached it earlier, it would have reached this
// side's frontier vertex too, and the searches would have met then.
struct HopMarks {
  Marks& marks;
  uint16_t a = 0, b = 0;
  explicit HopMarks(Marks& m) : marks(m), a(m.Stamp()), b(m.NextStamp()) {}
  void Start(VertexId s, VertexId t) {
    marks.MarkWith(s, a);
    marks.MarkWith(t, b);
  }
  bool Visit(bool side_a, VertexId v, int level, int other_level, int* best) {
    const uint16_t stamp = marks.StampOf(v);
    if (stamp == (side_a ? a : b)) return false;
    if (stamp == (side_a ? b : a)) {
      *best = std::min(*best, level + other_level);
      return false;
    }
    marks.MarkWith(v, side_a ? a : b);
    return true;
  }
};

template <class SideMarks>
Meeting BidirectionalBfs(const Traversal& fwd, const Traversal& bwd, VertexId s, VertexId t,
                         int max_depth, DeadlineCheck& deadline, SideMarks& marks) {
  Meeting m;
  marks.Start(s, t);
  if (s == t) {
    m.length = 0;
    return m;
  }
  const Snapshot& snap = fwd.snapshot();
  std::vector<VertexId> fa{s}, fb{t}, next;
  for (;;) {
    if (fa.empty() || fb.empty()) return m;  // a side ran out: no path at all
    if (m.la + m.lb >= max_depth) {
      m.truncated_by = Limit::kDepth;
      return m;
    }
    uint64_t wa = 0, wb = 0;
    for (VertexId u : fa) wa += snap.Degree(u);
    for (VertexId u : fb) wb += snap.Degree(u);
    const bool side_a = wa <= wb;
    std::vector<VertexId>& frontier = side_a ? fa : fb;
    const Traversal& walk = side_a ? fwd : bwd;
    int& level = side_a ? m.la : m.lb;
    const int other_level = side_a ? m.lb : m.la;
    next.clear();
    int best = std::numeric_limits<int>::max();
    for (VertexId u : frontier) {
      if (deadline.active() && deadline.Expired(1 + snap.Degree(u))) {
        m.truncated_by = Limit::kDeadline;
        return m;
      }
      walk.ForEachStep(u, [&](VertexId v, EdgeIndex, bool) {
        if (marks.Visit(side_a, v, level + 1, other_level, &best)) next.push_back(v);
      });
    }
    ++level;
    frontier.swap(next);
    if (best != std::numeric_limits<int>::max()) {
      m.length = best;
      return m;
    }
  }
}

// Enumerates the shortest paths a bidirectional BFS found, in
// lexicographic order of node ids, calling emit(path) until it returns
// false. Every shortest path crosses from the forward-labelled part to the
// backward-labelled part at position i = min(la, L-1); a node before it is
// on a shortest path iff it leads, through rising forward distances, to a
// node at i with a step to a node at backward distance L-i-1.
void EnumerateShortest(const Traversal& fwd, const Meeting& m, VertexId s, VertexId t, Marks& da,
                       Marks& db, Marks& memo, DeadlineCheck& deadline,
                       const std::function<bool(const std::vector<VertexId>&)>& emit,
                       bool* timed_out) {
  const int length = *m.length;
  if (length == 0) {
    emit({s});
    return;
  }
  const int bridge = std::min(m.la, length - 1);
  std::function<bool(VertexId, int)> good = [&](VertexId x, int j) -> bool {
    if (memo.Has(x)) return memo.Get(x) == 1;
    bool ok = false;
    fwd.ForEachStep(x, [&](VertexId y, EdgeIndex, bool) {
      if (ok) return;
      if (j == bridge) {
        ok = db.Has(y) && static_cast<int>(db.Get(y)) == length - j - 1;
      } else {
        ok = da.Has(y) && static_cast<int>(da.Get(y)) == j + 1 && good(y, j + 1);
      }
    });
    memo.Set(x, ok ? 1 : 2);
    return ok;
  };
  auto successors = [&](VertexId x, int j) {
    std::vector<VertexId> next;
    fwd.ForEachStep(x, [&](VertexId y, EdgeIndex, bool) {
      if (j < bridge) {
        if (da.Has(y) && static_cast<int>(da.Get(y)) == j + 1) next.push_back(y);
      } else if (db.Has(y) && static_cast<int>(db.Get(y)) == length - j - 1) {
        next.push_back(y);
      }
    });
    SortUnique(&next);
    if (j < bridge) std::erase_if(next, [&](VertexId y) { return !good(y, j + 1); });
    return next;
  };
  std::vector<VertexId> path{s};
  bool go_on = true;
  std::function<void(VertexId, int)> walk = [&](VertexId x, int j) {
    if (!go_on) return;
    if (deadline.Expired(64)) {
      *timed_out = true;
      go_on = false;
      return;
    }
    if (j == length) {
      if (x == t) go_on = emit(path);
      return;
    }
    for (VertexId y : successors(x, j)) {
      path.push_back(y);
      walk(y, j + 1);
      path.pop_back();
      if (!go_on) return;
    }
  };
  if (bridge == 0 ? true : good(s, 0)) walk(s, 0);
}

// A least-cost path from s to t on the traversal graph (Boost's Dijkstra),
// with `allow` narrowing the steps. Empty if there is none.
std::vector<VertexId> CheapestPath(const Traversal& fwd, VertexId s, VertexId t,
                                   std::function<bool(VertexId, VertexId)> allow,
                                   DeadlineCheck& deadline) {
  TraversalGraph g{&fwd, std::move(allow)};
  const size_t n = num_vertices(g);
  std::vector<double> dist(n, std::numeric_limits<double>::max());
  std::vector<VertexId> pred(n);
  struct Visitor : boost::default_dijkstra_visitor {
    VertexId target;
    DeadlineCheck* deadline;
    void examine_vertex(VertexId u, const TraversalGraph&) {
      if (u == target) throw TargetReached{};
      if (deadline->Expired(64)) throw DeadlinePassed{};
    }
  } visitor;
  visitor.target = t;
  visitor.deadline = &deadline;
  try {
    boost::dijkstra_shortest_paths_no_color_map(g, s,
                                                boost::predecessor_map(pred.data())
                                                    .distance_map(dist.data())
                                                    .weight_map(CostMap{&fwd})
                                                    .vertex_index_map(VertexIndexMap())
                                                    .visitor(visitor));
  } catch (const TargetReached&) {
  }
  // Boost marks vertices it never reached with the largest double (its
  // default distance_inf), and leaves their predecessor at themselves.
  if (dist[t] >= std::numeric_limits<double>::max() || (t != s && pred[t] == t)) return {};
  std::vector<VertexId> path{t};
  while (path.back() != s) path.push_back(pred[path.back()]);
  std::reverse(path.begin(), path.end());
  return path;
}

// A path of fewest hops from s to t within max_hops, avoiding what `allow`
// forbids; plain BFS from s (Yen's spur searches are short and blocked).
std::vector<VertexId> FewestHopsPath(const Traversal& fwd, VertexId s, VertexId t, int max_hops,
                                     const std::function<bool(VertexId, VertexId)>& allow,
                                     Marks& parent, DeadlineCheck& deadline) {
  parent.Set(s, s);
  std::vector<VertexId> frontier{s}, next;
  bool found = s == t;
  for (int level = 0; level < max_hops && !found && !frontier.empty(); ++level) {
    next.clear();
    for (VertexId u : frontier) {
      const Snapshot& snap = fwd.snapshot();
      if (deadline.active() && deadline.Expired(1 + snap.Degree(u))) throw DeadlinePassed{};
      fwd.ForEachStep(u, [&](VertexId v, EdgeIndex, bool) {
        if (parent.Has(v) || !allow(u, v)) return;
        parent.Set(v, u);
        next.push_back(v);
        if (v == t) found = true;
      });
      if (found) break;
    }
    frontier.swap(next);
  }
  if (!found) return {};
  std::vector<VertexId> path{t};
  while (path.back() != s) path.push_back(parent.Get(path.back()));
  std::reverse(path.begin(), path.end());
  return path;
}

}  // namespace

QueryEngine::QueryEngine(const storage::Store& store, const Vocabulary& vocabulary)
    : store_(store), vocabulary_(vocabulary) {}

std::shared_ptr<const QueryEngine::PredicateTables> QueryEngine::Tables() const {
  std::lock_guard lock(tables_mu_);
  // Predicate ids are dense and never reused: the tables are current while
  // the store knows no id past them.
  if (tables_ && store_.PredicateName(static_cast<PredicateId>(tables_->weight.size())).empty())
    return tables_;
  auto t = std::make_shared<PredicateTables>();
  // Id 0 is never a predicate.
  t->weight.push_back(std::numeric_limits<double>::quiet_NaN());
  std::vector<uint8_t> structural{0};
  for (PredicateId p = 1;; ++p) {
    std::string name = store_.PredicateName(p);
    if (name.empty()) break;
    const PredicateInfo* info = vocabulary_.Find(name);
    t->weight.push_back(info && info->goldstein ? *info->goldstein
                                                : std::numeric_limits<double>::quiet_NaN());
    structural.push_back(name == "HOLDS_OFFICE" || name == "MEMBER_OF" || name == "LOCATED_IN");
  }
  t->structural = PredicateSet(std::move(structural));
  tables_ = t;
  return tables_;
}

QueryEngine::Actors QueryEngine::ActorsOf(const Snapshot& snap,
                                          const std::shared_ptr<const PredicateTables>& tables,
                                          VertexId country) const {
  auto same = [](const auto& weak, const auto& shared) {
    return !weak.owner_before(shared) && !shared.owner_before(weak);
  };
  {
    std::lock_guard lock(actors_mu_);
    if (same(actors_.base, snap.base_ptr()) && same(actors_.delta, snap.delta_ptr()) &&
        actors_.tables == tables) {
      if (auto it = actors_.by_country.find(country); it != actors_.by_country.end())
        return it->second;
    }
  }
  // Asim Bajwa -> ISPR -> Pakistan: breadth first over structural in-steps.
  Marks& members = ThreadMarks(kMarksC, snap.vertex_count());
  auto actors = std::make_shared<ActorList>();
  actors->ids.push_back(country);
  std::vector<VertexId> frontier{country}, next;
  members.Mark(country);
  while (!frontier.empty()) {
    next.clear();
    for (VertexId c : frontier) {
      snap.ForEachInAmong(c, tables->structural, [&](Step st) {
        if (members.Has(st.other)) return;
        members.Mark(st.other);
        next.push_back(st.other);
        actors->ids.push_back(st.other);
      });
    }
    frontier.swap(next);
  }
  actors->ids.shrink_to_fit();
  for (VertexId x : actors->ids) actors->facts += snap.Degree(x);

  // A bound on what the cache holds: four times the vertices, as ids.
  const size_t max_vertices = std::max<size_t>(4 * size_t{snap.vertex_count()}, 1 << 16);
  std::lock_guard lock(actors_mu_);
  if (!same(actors_.base, snap.base_ptr()) || !same(actors_.delta, snap.delta_ptr()) ||
      actors_.tables != tables || actors_.vertices + actors->ids.size() > max_vertices) {
    actors_ = ActorCache{snap.base_ptr(), snap.delta_ptr(), tables, {}, 0};
  }
  if (actors_.by_country.emplace(country, actors).second) actors_.vertices += actors->ids.size();
  return actors;
}

Result<Neighbourhood> QueryEngine::Neighbours(const Snapshot& snap, NodeId start, int depth,
                                              const TraversalFilter& filter,
                                              const QueryLimits& limits, bool with_facts) const {
  if (!snap.has_node(static_cast<VertexId>(start)) || start > UINT32_MAX) return UnknownNode(start);
  if (depth < 0) return Status::InvalidArgument("depth: must be 0 or more");
  const auto s = static_cast<VertexId>(start);
  Traversal t(snap, store_, vocabulary_, filter, {s});
  Marks& hop = ThreadMarks(kMarksA, snap.vertex_count());
  DeadlineCheck deadline(limits.deadline, limits.cancelled);
  Neighbourhood r;
  r.start = start;
  r.depth = depth;
  hop.Mark(s);
  struct Crossed {
    EdgeIndex edge;
    VertexId subject, object;
  };
  std::vector<Crossed> crossed;
  // The answer is written in place: each level's room is sized before the
  // level is scanned (a level finds at most one node per step of its
  // frontier), and the scan writes to it through a pointer. A doubling of a
  // million-entry buffer in mid-traversal would be one step of many
  // milliseconds that no deadline check could interrupt. The room is not
  // zeroed, and its pages are touched only as nodes are found; they are
  // huge pages (service/jemalloc_conf.cc), so that a million-node answer
  // faults a few times, not thousands. Each level is the next one's
  // frontier, where it lies: a query copies no node.
  auto& found = r.nodes.ids_;
  auto& level_ends = r.nodes.level_ends_;
  size_t frontier_begin = 0;
  const bool timed = deadline.active();
  const bool counting = t.plain() && !with_facts && !timed;
  const VertexId vertex_count = snap.base().vertex_count();
  // The nodes of a level beyond the node limit. The level is still scanned
  // to its end, and the nodes it keeps are those with the smallest ids, so
  // that a truncated answer does not depend on the order a snapshot holds
  // its edges in (a rebuilt one and one with a delta give the same).
  thread_local std::vector<VertexId> overflow;
  overflow.clear();
  for (int h = 0; h < depth && r.truncated_by == Limit::kNone; ++h) {
    const size_t level_start = found.size();
    if (h > 0 && frontier_begin == level_start) break;  // the last level found nothing
    auto frontier = [&] {
      return h == 0 ? std::span<const VertexId>(&s, 1)
                    : std::span<const VertexId>(found.data() + frontier_begin,
                                                level_start - frontier_begin);
    };
    uint64_t steps = 0;
    for (VertexId u : frontier()) {
      // Sizing a level of a hub's neighbourhood reads hundreds of thousands
      // of offsets at random: milliseconds that the deadline also bounds.
      if (timed && deadline.Expired()) {
        r.truncated_by = Limit::kDeadline;
        break;
      }
      steps += snap.Degree(u);
    }
    if (r.truncated_by != Limit::kNone) break;
    found.resize(level_start + std::min<uint64_t>(steps, snap.vertex_count()));
    VertexId* const out = found.data();
    size_t n = level_start;  // the level's end so far
    // Adds a node found at this level, or sets it aside past the limit.
    auto add = [&](VertexId v) {
      if (n >= limits.max_nodes) {
        overflow.push_back(v);
        return;
      }
      out[n++] = v;
    };
    for (VertexId u : frontier()) {
      if (timed && deadline.Expired()) {
        r.truncated_by = Limit::kDeadline;
        break;
      }
      std::span<const VertexId> run;
      if (counting && snap.BaseRun(u, &run)) {
        // A counting query without filters or deadline: one tight loop over
        // the base image's run of both directions, writing the new nodes at
        // the level's end; those past the node limit move aside.
        VertexId* const fresh = out + n;
        VertexId* const end = hop.MarkNew(run, vertex_count, fresh);
        const size_t room_left = n < limits.max_nodes ? limits.max_nodes - n : 0;
        const size_t kept = std::min<size_t>(end - fresh, room_left);
        overflow.insert(overflow.end(), fresh + kept, end);
        n += kept;
        continue;
      }
      t.ForEachStep(u, [&](VertexId v, EdgeIndex e, bool forward) {
        // With a deadline every step counts, so that a hub's expansion (tens
        // of thousands of steps) stops within a few thousand of it.
        if (timed && deadline.Expired()) {
          if (r.truncated_by == Limit::kNone) r.truncated_by = Limit::kDeadline;
          return;
        }
        if (with_facts) crossed.push_back(forward ? Crossed{e, u, v} : Crossed{e, v, u});
        if (hop.Has(v)) return;
        hop.Mark(v);
        add(v);
      });
      if (r.truncated_by != Limit::kNone) break;
    }
    if (!overflow.empty()) {
      // Keep the level's smallest ids; the rest leave the answer (and with
      // them the facts that reach them).
      overflow.insert(overflow.end(), out + level_start, out + n);
      const size_t keep = limits.max_nodes - level_start;
      std::nth_element(overflow.begin(), overflow.begin() + static_cast<ptrdiff_t>(keep),
                       overflow.end());
      n = level_start;
      for (size_t i = 0; i < overflow.size(); ++i) {
        if (i < keep) {
          out[n++] = overflow[i];
        } else {
          hop.Unmark(overflow[i]);
        }
      }
      if (r.truncated_by == Limit::kNone) r.truncated_by = Limit::kNodes;
    }
    found.resize(n);
    level_ends.push_back(n);
    frontier_begin = level_start;
  }
  // The BFS appended nodes level by level; order each level by id. A
  // counting query (no facts) needs no order.
  if (with_facts) {
    size_t level_start = 0;
    for (size_t level_end : level_ends) {
      std::sort(found.begin() + static_cast<ptrdiff_t>(level_start),
                found.begin() + static_cast<ptrdiff_t>(level_end));
      level_start = level_end;
    }
  }
  if (with_facts) {
    std::erase_if(crossed,
                  [&](const Crossed& c) { return !hop.Has(c.subject) || !hop.Has(c.object); });
    // A fact between two nodes at hops below the depth is crossed from both.
    SortUniqueBy(&crossed, [](const Crossed& c) { return c.edge; });
    r.facts.reserve(crossed.size());
    for (const Crossed& c : crossed) r.facts.push_back(t.KeyOf(c.subject, c.object, c.edge, true));
    if (r.facts.size() > limits.max_facts) {
      // The first facts in key order, whatever order the snapshot holds
      // them in.
      auto key = [](const FactKey& k) {
        return std::tie(k.subject, k.predicate, k.object, k.valid_from);
      };
      std::nth_element(r.facts.begin(), r.facts.begin() + static_cast<ptrdiff_t>(limits.max_facts),
                       r.facts.end(),
                       [&](const FactKey& a, const FactKey& b) { return key(a) < key(b); });
      r.facts.resize(limits.max_facts);
      if (r.truncated_by == Limit::kNone) r.truncated_by = Limit::kFacts;
    }
  }
  return r;
}

Result<PathResult> QueryEngine::Paths(const Snapshot& snap, NodeId from, NodeId to,
                                      const PathQuery& query, const TraversalFilter& filter,
                                      const QueryLimits& limits) const {
  if (from > UINT32_MAX || !snap.has_node(static_cast<VertexId>(from))) return UnknownNode(from);
  if (to > UINT32_MAX || !snap.has_node(static_cast<VertexId>(to))) return UnknownNode(to);
  if (limits.max_depth < 0) return Status::InvalidArgument("max-depth: must be 0 or more");
  const auto s = static_cast<VertexId>(from);
  const auto t = static_cast<VertexId>(to);
  Traversal fwd(snap, store_, vocabulary_, filter, {s, t});
  DeadlineCheck deadline(limits.deadline, limits.cancelled);
  PathResult r;
  const size_t max_paths = std::max<size_t>(1, limits.max_paths);

  if (query.weighted || query.mode == PathMode::kKShortest) {
    // Yen's k shortest loop-free paths; k = 1 is a plain search. Candidates
    // are ranked by cost (weighted) or hops, then by their node ids.
    const size_t k = query.mode == PathMode::kKShortest ? std::max<size_t>(1, query.k) : 1;
    auto search = [&](VertexId a, int hops_left,
                      const std::function<bool(VertexId, VertexId)>& allow) {
      if (query.weighted) return CheapestPath(fwd, a, t, allow, deadline);
      return FewestHopsPath(fwd, a, t, hops_left, allow, ThreadMarks(kMarksA, snap.vertex_count()),
                            deadline);
    };
    auto rank = [&](const Path& p) {
      return query.weighted ? p.cost : static_cast<double>(p.nodes.size());
    };
    std::vector<Path> found;
    std::set<std::pair<double, std::vector<NodeId>>> candidates;
    std::map<std::vector<NodeId>, Path> candidate_paths;
    try {
      std::vector<VertexId> first =
          search(s, limits.max_depth, [](VertexId, VertexId) { return true; });
      if (!first.empty()) found.push_back(MakePath(fwd, first));
      while (!found.empty() && found.size() < k) {
        const std::vector<NodeId>& prev = found.back().nodes;
        for (size_t i = 0; i + 1 < prev.size(); ++i) {
          const auto spur = static_cast<VertexId>(prev[i]);
          std::vector<VertexId> root(prev.begin(), prev.begin() + i + 1);
          std::set<std::pair<VertexId, VertexId>> blocked_steps;
          for (const Path& p : found) {
            if (p.nodes.size() > i + 1 && std::equal(root.begin(), root.end(), p.nodes.begin()))
              blocked_steps.emplace(p.nodes[i], p.nodes[i + 1]);
          }
          std::set<VertexId> blocked_nodes(root.begin(), root.end() - 1);
          auto allow = [&](VertexId a, VertexId b) {
            return !blocked_nodes.contains(b) && !(a == spur && blocked_steps.contains({a, b}));
          };
          const int hops_left = limits.max_depth - static_cast<int>(i);
          if (!query.weighted && hops_left <= 0) continue;
          std::vector<VertexId> tail = search(spur, hops_left, allow);
          if (tail.empty()) continue;
          std::vector<VertexId> whole(root.begin(), root.end() - 1);
          whole.insert(whole.end(), tail.begin(), tail.end());
          if (!query.weighted && static_cast<int>(whole.size()) - 1 > limits.max_depth) continue;
          Path p = MakePath(fwd, whole);
          std::vector<NodeId> ids(p.nodes.begin(), p.nodes.end());
          if (candidate_paths.contains(ids)) continue;
          if (std::any_of(found.begin(), found.end(),
                          [&](const Path& f) { return f.nodes == ids; }))
            continue;
          candidates.emplace(rank(p), ids);
          candidate_paths.emplace(ids, std::move(p));
        }
        if (candidates.empty()) break;
        auto best = candidates.begin();
        found.push_back(std::move(candidate_paths.at(best->second)));
        candidate_paths.erase(best->second);
        candidates.erase(best);
      }
    } catch (const DeadlinePassed&) {
      r.truncated_by = Limit::kDeadline;
    }
    if (found.size() > max_paths) {
      found.resize(max_paths);
      if (r.truncated_by == Limit::kNone) r.truncated_by = Limit::kPaths;
    }
    if (!found.empty()) r.hops = static_cast<int>(found.front().nodes.size()) - 1;
    r.paths = std::move(found);
    return r;
  }

  Traversal bwd = fwd.Reversed();
  if (query.mode == PathMode::kLength) {
    HopMarks marks(ThreadMarks(kMarksA, snap.vertex_count()));
    Meeting m = BidirectionalBfs(fwd, bwd, s, t, limits.max_depth, deadline, marks);
    r.truncated_by = m.truncated_by;
    r.hops = m.length;
    return r;
  }
  Marks& da = ThreadMarks(kMarksA, snap.vertex_count());
  Marks& db = ThreadMarks(kMarksB, snap.vertex_count());
  DistanceMarks marks{da, db};
  Meeting m = BidirectionalBfs(fwd, bwd, s, t, limits.max_depth, deadline, marks);
  r.truncated_by = m.truncated_by;
  r.hops = m.length;
  if (!m.length) return r;
  Marks& memo = ThreadMarks(kMarksC, snap.vertex_count());
  const size_t want = query.mode == PathMode::kShortest ? 1 : max_paths;
  bool timed_out = false;
  EnumerateShortest(
      fwd, m, s, t, da, db, memo, deadline,
      [&](const std::vector<VertexId>& nodes) {
        if (r.paths.size() == want) {
          // One more exists than may be returned.
          if (query.mode != PathMode::kShortest) r.truncated_by = Limit::kPaths;
          return false;
        }
        r.paths.push_back(MakePath(fwd, nodes));
        return true;
      },
      &timed_out);
  if (timed_out && r.truncated_by == Limit::kNone) r.truncated_by = Limit::kDeadline;
  return r;
}

Result<DyadTimeline> QueryEngine::Dyad(const Snapshot& snap, NodeId a, NodeId b, Period by,
                                       const TraversalFilter& filter, const QueryLimits& limits,
                                       bool with_facts) const {
  if (a > UINT32_MAX || !snap.has_node(static_cast<VertexId>(a))) return UnknownNode(a);
  if (b > UINT32_MAX || !snap.has_node(static_cast<VertexId>(b))) return UnknownNode(b);
  DyadTimeline r;
  r.a = a;
  r.b = b;
  r.by = by;
  std::shared_ptr<const PredicateTables> tables = Tables();
  const std::vector<double>& weight = tables->weight;
  DeadlineCheck deadline(limits.deadline, limits.cancelled);
  const auto va = static_cast<VertexId>(a), vb = static_cast<VertexId>(b);
  // Membership ignores the query's filters: the window and thresholds
  // apply to the events.
  Actors actors_a = ActorsOf(snap, tables, va);
  Actors actors_b = ActorsOf(snap, tables, vb);
  Marks& in_a = ThreadMarks(kMarksA, snap.vertex_count());
  Marks& in_b = ThreadMarks(kMarksB, snap.vertex_count());
  for (VertexId x : actors_a->ids) in_a.Mark(x);
  for (VertexId x : actors_b->ids) in_b.Mark(x);

  // Events pass the same filters as any traversal, directions aside: a
  // dyad counts each fact once, from its subject's country to its
  // object's, and --direction out|in keeps a_to_b or b_to_a only.
  TraversalFilter event_filter = filter;
  event_filter.direction = storage::Direction::kBoth;
  event_filter.labels.clear();
  Traversal t(snap, store_, vocabulary_, event_filter, {});
  const bool keep_a_to_b = filter.direction != storage::Direction::kIn;
  const bool keep_b_to_a = filter.direction != storage::Direction::kOut;

  // Period of an event: its valid_from; else its earliest source's
  // publication date; else "undated". Kept as a number while counting
  // (year * 12 + month, or the year), formatted once per bucket.
  constexpr int kUndated = std::numeric_limits<int>::max();
  auto period_code = [&](DayCode day) {
    if (day == storage::kOpenDay) return kUndated;
    return by == Period::kYear ? storage::YearOf(day)
                               : storage::YearOf(day) * 12 + storage::MonthOf(day) - 1;
  };
  auto period_name = [&](int code) {
    if (code == kUndated) return std::string("undated");
    if (by == Period::kYear) return fmt::format("{:04d}", code);
    return fmt::format("{:04d}-{:02d}", code / 12, code % 12 + 1);
  };
  auto period_of = [&](const FactKey& key) -> Result<int> {
    DayCode day = key.valid_from;
    if (day == storage::kOpenDay) {
      DYAD_ASSIGN_OR_RETURN(storage::Fact f, store_.GetFact(key));
      for (const storage::Source& src : f.sources) {
        for (const auto& field : src.fields) {
          if (field.key() != "published") continue;
          Result<DayCode> d = storage::ParseDay(field.value().string_value());
          if (d.ok() && (day == storage::kOpenDay || *d < day)) day = *d;
        }
      }
    }
    return period_code(day);
  };
  // Counted as found, without a list of events: a dyad of two big
  // countries crosses hundreds of thousands of facts.
  absl::flat_hash_map<int64_t, DyadBucket> buckets;  // period * 2 + (b_to_a ? 1 : 0)
  Status failed;
  auto count = [&](VertexId subject, VertexId object, EdgeIndex e, bool a_to_b, double w) {
    const EdgeProps& props = snap.props(e);
    int period;
    if (props.valid_from != storage::kOpenDay) {
      period = period_code(props.valid_from);
    } else {
      Result<int> p = period_of(t.KeyOf(subject, object, e, true));
      if (!p.ok()) {
        failed = p.status();
        return;
      }
      period = *p;
    }
    DyadBucket& bucket = buckets[int64_t{period} * 2 + (a_to_b ? 0 : 1)];
    if (bucket.events == 0) {
      bucket.period = period_name(period);
      bucket.a_to_b = a_to_b;
    }
    ++bucket.events;
    bucket.goldstein += w;
    if (with_facts) bucket.facts.push_back(t.KeyOf(subject, object, e, true));
    DyadTotals& total = a_to_b ? r.a_to_b : r.b_to_a;
    ++total.events;
    total.goldstein += w;
  };
  // Every event has an actor of A at one end and one of B at the other, so
  // scanning either side's actors finds them all: the side with fewer facts
  // is scanned. A fact counts a_to_b when its subject is of A and its
  // object of B; else b_to_a when its subject is of B and its object of A.
  const bool scan_b = actors_b->facts < actors_a->facts;
  Marks& other = scan_b ? in_a : in_b;
  // From the scanned side, subjects give one direction and objects the other.
  const bool out_a_to_b = !scan_b;
  const bool keep_out = out_a_to_b ? keep_a_to_b : keep_b_to_a;
  const bool keep_in = out_a_to_b ? keep_b_to_a : keep_a_to_b;
  auto event_weight = [&](EdgeIndex e) {
    const uint16_t p = snap.props(e).predicate;
    return p < weight.size() ? weight[p] : std::numeric_limits<double>::quiet_NaN();
  };
  for (VertexId x : (scan_b ? actors_b : actors_a)->ids) {
    if (deadline.active() && deadline.Expired(1 + snap.Degree(x))) {
      r.truncated_by = Limit::kDeadline;
      break;
    }
    const bool x_in_a = in_a.Has(x), x_in_b = in_b.Has(x);
    // Membership first: most facts lead outside the other side, and the
    // marks are smaller (and hotter) than the edge properties.
    snap.ForEachStepTo(
        x, [&](VertexId far) { return other.Has(far); },
        [&](Step st, bool forward) {
          if (!(forward ? keep_out : keep_in)) return;
          // Out: x of B and of A, object of B: a_to_b, counted from the
          // object. In: object of A and of B, subject of A: a_to_b, counted
          // from the subject.
          if (forward ? scan_b && x_in_a && in_b.Has(st.other)
                      : !scan_b && x_in_b && in_a.Has(st.other))
            return;
          const double w = event_weight(st.edge);
          if (std::isnan(w) || !t.EdgeOk(st.edge, true)) return;
          const VertexId subject = forward ? x : st.other, object = forward ? st.other : x;
          count(subject, object, st.edge, forward == out_a_to_b, w);
        });
    DYAD_RETURN_IF_ERROR(failed);
  }
  std::vector<std::pair<int64_t, DyadBucket*>> ordered;
  ordered.reserve(buckets.size());
  for (auto& [key, bucket] : buckets) ordered.emplace_back(key, &bucket);
  std::sort(ordered.begin(), ordered.end(),
            [](const auto& x, const auto& y) { return x.first < y.first; });
  size_t facts = 0;
  for (auto& [key, bucket_ptr] : ordered) {
    DyadBucket& bucket = *bucket_ptr;
    std::sort(bucket.facts.begin(), bucket.facts.end(), [](const FactKey& x, const FactKey& y) {
      return std::tie(x.valid_from, x.subject, x.predicate, x.object) <
             std::tie(y.valid_from, y.subject, y.predicate, y.object);
    });
    if (facts + bucket.facts.size() > limits.max_facts) {
      bucket.facts.resize(limits.max_facts - std::min(facts, limits.max_facts));
      if (r.truncated_by == Limit::kNone) r.truncated_by = Limit::kFacts;
    }
    facts += bucket.facts.size();
    r.buckets.push_back(std::move(bucket));
  }
  return r;
}

Result<std::vector<FactKey>> QueryEngine::FactsOf(const Snapshot& snap, NodeId node,
                                                  const TraversalFilter& filter,
                                                  const QueryLimits& limits,
                                                  Limit* truncated_by) const {
  if (node > UINT32_MAX || !snap.has_node(static_cast<VertexId>(node))) return UnknownNode(node);
  const auto v = static_cast<VertexId>(node);
  Traversal t(snap, store_, vocabulary_, filter, {});
  std::vector<std::pair<EdgeIndex, FactKey>> found;
  *truncated_by = Limit::kNone;
  DeadlineCheck deadline(limits.deadline, limits.cancelled);
  t.ForEachStep(v, [&](VertexId other, EdgeIndex e, bool forward) {
    if (*truncated_by != Limit::kNone || deadline.Expired()) {
      *truncated_by = Limit::kDeadline;
      return;
    }
    found.emplace_back(e, t.KeyOf(v, other, e, forward));
  });
  // A self loop is both an out- and an in-step.
  SortUniqueBy(&found, [](const std::pair<EdgeIndex, FactKey>& f) { return f.first; });
  if (found.size() > limits.max_facts) {
    found.resize(limits.max_facts);
    *truncated_by = Limit::kFacts;
  }
  std::vector<FactKey> keys;
  keys.reserve(found.size());
  for (const auto& [e, key] : found) keys.push_back(key);
  return keys;
}

Result<std::vector<storage::Fact>> QueryEngine::FetchFacts(std::span<const FactKey> keys) const {
  Result<std::vector<storage::Fact>> facts = store_.GetFacts(keys);
  // The snapshot is derived from the store, which never deletes: a fact
  // it names and the store lacks is damage, not a user's unknown name.
  if (!facts.ok() && facts.status().IsNotFound())
    return Status::Corruption(facts.status().message() + " (the graph snapshot names it)");
  return facts;
}

}  // namespace dyad::graph
