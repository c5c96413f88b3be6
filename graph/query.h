// Queries on a Snapshot: neighbourhoods, paths (fewest hops, all shortest,
// k shortest loop-free, most credible), dyad timelines and a node's facts.
// Every query takes the same filters (direction, predicates, labels, a time
// window, a minimum confidence) and limits (nodes, facts, paths, depth, a
// deadline). A query that hits a limit returns what it found so far and
// names the limit in `truncated_by`; none runs away on a hub.
//
// Answers name facts by identity (storage::FactKey); FetchFacts() turns
// them into facts with provenance. Semantics (ordering, tie-breaking, dyad
// roll-up and bucketing) are in docs/queries.md.
//   QueryEngine engine(*store, Vocabulary::Default());
//   DYAD_ASSIGN_OR_RETURN(Neighbourhood n, engine.Neighbours(*snap, id, 2, {}, {}));
// A QueryEngine is stateless apart from what it reads of the store's
// dictionaries; it is safe to use from several threads.
#pragma once

#include <algorithm>
#include <chrono>
#include <compare>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "graph/snapshot.h"
#include "graph/vocabulary.h"
#include "storage/model.h"
#include "storage/status.h"
#include "storage/store.h"

namespace dyad::graph {

using storage::FactKey;

// Which facts a traversal may cross; empty lists mean "any".
struct TraversalFilter {
  // kOut follows facts from subject to object, kIn against them; facts of
  // a symmetric predicate are followed both ways whatever the direction.
  storage::Direction direction = storage::Direction::kBoth;
  std::vector<std::string> predicates;
  // Nodes of other labels are neither returned nor crossed (the nodes a
  // query starts and ends at are exempt).
  std::vector<std::string> labels;
  // Facts valid at any point of [from, to]; undated facts always are.
  DayCode from = storage::kOpenDay;
  DayCode to = storage::kOpenDay;
  double min_confidence = 0.0;
};

// Which limit cut an answer short.
enum class Limit { kNone, kNodes, kFacts, kPaths, kDepth, kDeadline };
// "nodes", "facts", "paths", "depth", "deadline"; "" for kNone.
std::string_view LimitName(Limit limit);

struct QueryLimits {
  size_t max_nodes = 10000;   // nodes returned (neighbourhoods), or visited by a path search
  size_t max_facts = 100000;  // facts returned
  size_t max_paths = 1000;    // paths returned
  int max_depth = 8;          // hops of a path
  std::optional<std::chrono::steady_clock::time_point> deadline;
  // Asked now and then (with the deadline); true stops the query as if its
  // deadline had passed. For a server call whose client has gone.
  std::function<bool()> cancelled;
};

// An allocator whose resize() leaves new elements uninitialised: a
// traversal sizes a level's room in the answer before scanning it and
// writes into it through a pointer, and zeroing room that a level may never
// use would cost as much as the writes themselves.
template <class T>
struct UninitialisedAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = UninitialisedAllocator<U>;
  };
  UninitialisedAllocator() = default;
  template <class U>
  UninitialisedAllocator(const UninitialisedAllocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

// The nodes of a neighbourhood, level by level: the nodes at hop 1, then
// those at hop 2, and so on. Each is a 4-byte id, and a node's hop count
// is its level, kept as the levels' boundaries. A two-hop answer that
// reaches a hub holds tens of thousands of nodes, and writing them as
// (id, hops) pairs of 16 bytes cost as much as the traversal itself
// (docs/queries.md). Reads as a sequence of (id, hops) pairs.
class HopList {
 public:
  using value_type = std::pair<NodeId, int>;

  // A random-access iterator whose elements are values, not references
  // (like the iterators of std::views::iota).
  class const_iterator {
   public:
    using iterator_concept = std::random_access_iterator_tag;
    using iterator_category = std::input_iterator_tag;
    using value_type = HopList::value_type;
    using reference = value_type;
    using difference_type = std::ptrdiff_t;

    const_iterator() = default;
    value_type operator*() const { return (*list_)[i_]; }
    value_type operator[](difference_type n) const { return (*list_)[i_ + n]; }
    const_iterator& operator++() { return ++i_, *this; }
    const_iterator operator++(int) { return {list_, i_++}; }
    const_iterator& operator--() { return --i_, *this; }
    const_iterator operator--(int) { return {list_, i_--}; }
    const_iterator& operator+=(difference_type n) { return i_ += n, *this; }
    const_iterator& operator-=(difference_type n) { return i_ -= n, *this; }
    friend const_iterator operator+(const_iterator it, difference_type n) { return it += n; }
    friend const_iterator operator+(difference_type n, const_iterator it) { return it += n; }
    friend const_iterator operator-(const_iterator it, difference_type n) { return it -= n; }
    friend difference_type operator-(const const_iterator& a, const const_iterator& b) {
      return static_cast<difference_type>(a.i_) - static_cast<difference_type>(b.i_);
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) {
      return a.i_ == b.i_;
    }
    friend auto operator<=>(const const_iterator& a, const const_iterator& b) {
      return a.i_ <=> b.i_;
    }

   private:
    friend class HopList;
    const_iterator(const HopList* list, size_t i) : list_(list), i_(i) {}
    const HopList* list_ = nullptr;
    size_t i_ = 0;
  };
  using iterator = const_iterator;

  size_t size() const { return ids_.size(); }
  bool empty() const { return ids_.empty(); }
  value_type operator[](size_t i) const { return {ids_[i], hops(i)}; }
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, ids_.size()}; }

  // The hop count of the i-th node: its level.
  int hops(size_t i) const {
    size_t level = 0;
    while (level_ends_[level] <= i) ++level;
    return static_cast<int>(level) + 1;
  }
  // Every node's id, in the list's order.
  std::span<const VertexId> ids() const { return ids_; }

  friend bool operator==(const HopList& a, const std::vector<value_type>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  friend class QueryEngine;
  std::vector<VertexId, UninitialisedAllocator<VertexId>> ids_;
  std::vector<size_t> level_ends_;  // level_ends_[h - 1]: the end of hop h's nodes in ids_
};

struct Neighbourhood {
  NodeId start = 0;
  int depth = 0;
  // Nodes within `depth` hops (the start excluded), ordered by hops; within
  // a level by id when the query collected facts (with_facts).
  HopList nodes;
  // Facts with one end at hop h < depth and the other end in the answer.
  std::vector<FactKey> facts;
  Limit truncated_by = Limit::kNone;
};

enum class PathMode {
  kLength,       // the number of hops only (no path)
  kShortest,     // one path of fewest hops; ties go to the smaller node ids
  kAllShortest,  // every path of fewest hops
  kKShortest,    // the k shortest loop-free paths (Yen)
};

struct PathQuery {
  PathMode mode = PathMode::kShortest;
  size_t k = 1;           // for kKShortest
  bool weighted = false;  // least total -log(confidence) instead of fewest hops
};

struct Path {
  std::vector<NodeId> nodes;
  // For each step i (nodes[i] to nodes[i+1]): every fact between the two
  // that passes the filters, in either direction the filter allows.
  std::vector<std::vector<FactKey>> steps;
  double cost = 0;  // sum over steps of the cheapest fact's -log(confidence)
};

struct PathResult {
  std::optional<int> hops;  // of the shortest path; nullopt if none was found
  std::vector<Path> paths;
  Limit truncated_by = Limit::kNone;
};

enum class Period { kMonth, kYear };

struct DyadBucket {
  std::string period;  // "2012-10", "2012" or "undated"
  bool a_to_b = true;  // else b_to_a
  uint64_t events = 0;
  double goldstein = 0;
  std::vector<FactKey> facts;
};

struct DyadTotals {
  uint64_t events = 0;
  double goldstein = 0;
};

struct DyadTimeline {
  NodeId a = 0, b = 0;
  Period by = Period::kMonth;
  std::vector<DyadBucket> buckets;  // by period, then a_to_b before b_to_a
  DyadTotals a_to_b, b_to_a;
  Limit truncated_by = Limit::kNone;
};

class QueryEngine {
 public:
  // The store supplies dictionaries and, for undated events, the dates of
  // their sources; the vocabulary supplies Goldstein weights and which
  // predicates are symmetric. Both must outlive the engine.
  QueryEngine(const storage::Store& store, const Vocabulary& vocabulary);

  // Nodes within `depth` hops of `start`. With with_facts false the facts
  // are not collected (counting queries).
  Result<Neighbourhood> Neighbours(const Snapshot& snap, NodeId start, int depth,
                                   const TraversalFilter& filter, const QueryLimits& limits,
                                   bool with_facts = true) const;

  // Paths from `from` to `to`: of at most limits.max_depth hops when
  // counted in hops; a weighted (least-cost) search is bounded by the
  // deadline instead, as the cheapest path may take more hops.
  Result<PathResult> Paths(const Snapshot& snap, NodeId from, NodeId to, const PathQuery& query,
                           const TraversalFilter& filter, const QueryLimits& limits) const;

  // Events between the actors of two countries (each rolled up through
  // HOLDS_OFFICE, MEMBER_OF and LOCATED_IN), per period and direction.
  // With with_facts false the buckets carry counts only.
  Result<DyadTimeline> Dyad(const Snapshot& snap, NodeId a, NodeId b, Period by,
                            const TraversalFilter& filter, const QueryLimits& limits,
                            bool with_facts = true) const;

  // The facts with `node` at one end that pass `filter` (as
  // storage::Store::FactsOf, through the snapshot). *truncated is set when
  // a limit cut the list.
  Result<std::vector<FactKey>> FactsOf(const Snapshot& snap, NodeId node,
                                       const TraversalFilter& filter, const QueryLimits& limits,
                                       Limit* truncated_by) const;

  // The facts with their provenance, in the order given. Corruption if the
  // store lacks one (it never deletes, so the two disagree).
  Result<std::vector<storage::Fact>> FetchFacts(std::span<const FactKey> keys) const;

 private:
  // Goldstein weight (NaN: not an event) and whether it rolls actors up, by
  // predicate id; rebuilt when the store has learnt new predicates.
  struct PredicateTables {
    std::vector<double> weight;
    PredicateSet structural{{}};
  };
  std::shared_ptr<const PredicateTables> Tables() const;

  // The actors of `country` in `snap`: itself and every node that reaches
  // it through structural facts, transitively. Remembered per snapshot and
  // predicate tables, since a pipeline asks about the same few hundred
  // countries again and again, and rolling one up reads thousands of
  // adjacency lists that the events loop does not need.
  struct ActorList {
    std::vector<VertexId> ids;
    uint64_t facts = 0;  // Snapshot::Degree summed over them
  };
  using Actors = std::shared_ptr<const ActorList>;
  Actors ActorsOf(const Snapshot& snap, const std::shared_ptr<const PredicateTables>& tables,
                  VertexId country) const;

  const storage::Store& store_;
  const Vocabulary& vocabulary_;
  mutable std::mutex tables_mu_;
  mutable std::shared_ptr<const PredicateTables> tables_;

  // Roll-ups of one snapshot (held weakly, so that a cache never keeps an
  // old image alive) and one set of tables; forgotten when either changes
  // or when they grow past a bound.
  struct ActorCache {
    std::weak_ptr<const CsrImage> base;
    std::weak_ptr<const Delta> delta;
    std::shared_ptr<const PredicateTables> tables;
    std::unordered_map<VertexId, Actors> by_country;
    size_t vertices = 0;  // over all lists
  };
  mutable std::mutex actors_mu_;
  mutable ActorCache actors_;
};

}  // namespace dyad::graph
