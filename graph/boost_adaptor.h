// TraversalGraph: a Traversal (a snapshot seen through a query's filters)
// as a Boost.Graph IncidenceGraph and VertexListGraph, so that Boost's
// algorithms (dijkstra_shortest_paths, breadth_first_search, ...) run on
// the snapshot's CSR arrays without copying them. Its out-edges from v are
// exactly the steps Traversal::ForEachStep(v) allows (facts followed in
// either direction the filter permits), optionally narrowed further by a
// predicate on (from, to) pairs, which Yen's algorithm uses to block
// steps.
//   TraversalGraph g{&traversal, {}};
//   boost::breadth_first_search(g, start, boost::visitor(...).vertex_index_map(VertexIndexMap()));
#pragma once

#include <boost/graph/graph_traits.hpp>
#include <boost/graph/properties.hpp>
#include <boost/iterator/counting_iterator.hpp>
#include <boost/iterator/iterator_facade.hpp>
#include <boost/property_map/property_map.hpp>
#include <functional>
#include <utility>

#include "graph/traversal.h"

namespace dyad::graph {

// An out-edge of the traversal graph: one fact, followed from `source`.
struct TraversalEdge {
  VertexId source = 0;
  VertexId target = 0;
  EdgeIndex edge = 0;
  bool forward = true;  // source is the fact's subject
  friend bool operator==(const TraversalEdge& a, const TraversalEdge& b) {
    return a.source == b.source && a.edge == b.edge && a.forward == b.forward;
  }
};

struct TraversalGraph {
  const Traversal* traversal = nullptr;
  // When set, a step from -> to is taken only if allow(from, to).
  std::function<bool(VertexId, VertexId)> allow;
};

// Walks the four segments of a vertex's adjacency (base out, delta out,
// base in, delta in), skipping what the traversal does not allow.
class TraversalEdgeIterator
    : public boost::iterator_facade<TraversalEdgeIterator, TraversalEdge,
                                    boost::forward_traversal_tag, TraversalEdge> {
 public:
  TraversalEdgeIterator() = default;
  TraversalEdgeIterator(const TraversalGraph* g, VertexId v, bool at_end) : g_(g), v_(v) {
    if (at_end) {
      segment_ = 4;
      return;
    }
    Enter(0);
    Settle();
  }

 private:
  friend class boost::iterator_core_access;

  void Enter(int segment) {
    segment_ = segment;
    pos_ = 0;
    end_ = 0;
    const Snapshot& s = g_->traversal->snapshot();
    const CsrImage& b = s.base();
    const bool in_base = v_ < b.vertex_count();
    delta_steps_ = nullptr;
    switch (segment) {
      case 0:
        if (in_base) {
          const CsrImage::Runs r = b.RunsOf(v_);
          run_ = r.out;
          run_first_ = pos_ = r.first_edge;
          end_ = r.first_edge + r.out_count;
        }
        break;
      case 2:
        if (in_base) {
          const CsrImage::Runs r = b.RunsOf(v_);
          run_ = r.in;
          run_first_ = pos_ = r.first_in;
          end_ = r.first_in + r.in_count;
        }
        break;
      case 1:
      case 3:
        if (s.delta_ptr()) {
          auto it = s.delta_ptr()->adjacency.find(v_);
          if (it != s.delta_ptr()->adjacency.end()) {
            delta_steps_ = segment == 1 ? &it->second.out : &it->second.in;
            end_ = delta_steps_->size();
          }
        }
        break;
      default:
        break;
    }
  }

  // Moves forward to the next allowed step (or the end).
  void Settle() {
    while (segment_ < 4) {
      for (; pos_ < end_; ++pos_) {
        Load();
        if (Allowed()) return;
      }
      Enter(segment_ + 1);
    }
  }

  void Load() {
    const Snapshot& s = g_->traversal->snapshot();
    const CsrImage& b = s.base();
    current_.source = v_;
    current_.forward = segment_ < 2;
    switch (segment_) {
      case 0:
        current_.target = run_[pos_ - run_first_];
        current_.edge = static_cast<EdgeIndex>(pos_);
        break;
      case 2:
        current_.target = run_[pos_ - run_first_];
        current_.edge = b.in_edges()[pos_];
        break;
      default:
        current_.target = (*delta_steps_)[pos_].other;
        current_.edge = (*delta_steps_)[pos_].edge;
        break;
    }
  }

  bool Allowed() const {
    const Snapshot& s = g_->traversal->snapshot();
    // A mapped image is bounds-checked as it is read (graph/snapshot.h).
    if (current_.target >= s.vertex_count() || current_.edge >= s.edge_index_bound()) return false;
    if ((segment_ == 0 || segment_ == 2) && s.delta_ptr() &&
        s.delta_ptr()->hidden.contains(current_.edge)) {
      return false;
    }
    const Traversal& t = *g_->traversal;
    if (!t.EdgeOk(current_.edge, current_.forward) || !t.NodeOk(current_.target)) return false;
    return !g_->allow || g_->allow(current_.source, current_.target);
  }

  void increment() {
    ++pos_;
    Settle();
  }
  bool equal(const TraversalEdgeIterator& o) const {
    return segment_ == o.segment_ && (segment_ == 4 || pos_ == o.pos_);
  }
  TraversalEdge dereference() const { return current_; }

  const TraversalGraph* g_ = nullptr;
  VertexId v_ = 0;
  int segment_ = 4;
  // Segments 0 and 2: the base run being read; run_[0] is step run_first_
  // (an edge index out, an in-index position in).
  uint64_t pos_ = 0, end_ = 0;
  const VertexId* run_ = nullptr;
  uint64_t run_first_ = 0;
  const std::vector<Step>* delta_steps_ = nullptr;
  TraversalEdge current_;
};

// Vertices are their own indices.
using VertexIndexMap = boost::typed_identity_property_map<VertexId>;

// The cost of an out-edge on a most-credible path: -log(confidence).
struct CostMap {
  using key_type = TraversalEdge;
  using value_type = double;
  using reference = double;
  using category = boost::readable_property_map_tag;
  const Traversal* traversal;
};
inline double get(const CostMap& m, const TraversalEdge& e) { return m.traversal->Cost(e.edge); }

struct TraversalGraphTraversalCategory : boost::incidence_graph_tag,
                                         boost::vertex_list_graph_tag {};

inline std::pair<TraversalEdgeIterator, TraversalEdgeIterator> out_edges(VertexId v,
                                                                         const TraversalGraph& g) {
  return {TraversalEdgeIterator(&g, v, false), TraversalEdgeIterator(&g, v, true)};
}
inline size_t out_degree(VertexId v, const TraversalGraph& g) {
  auto [b, e] = out_edges(v, g);
  return static_cast<size_t>(std::distance(b, e));
}
inline VertexId source(const TraversalEdge& e, const TraversalGraph&) { return e.source; }
inline VertexId target(const TraversalEdge& e, const TraversalGraph&) { return e.target; }
inline std::pair<boost::counting_iterator<VertexId>, boost::counting_iterator<VertexId>> vertices(
    const TraversalGraph& g) {
  return {boost::counting_iterator<VertexId>(0),
          boost::counting_iterator<VertexId>(g.traversal->snapshot().vertex_count())};
}
inline size_t num_vertices(const TraversalGraph& g) {
  return g.traversal->snapshot().vertex_count();
}

}  // namespace dyad::graph

namespace boost {

template <>
struct graph_traits<dyad::graph::TraversalGraph> {
  using vertex_descriptor = dyad::graph::VertexId;
  using edge_descriptor = dyad::graph::TraversalEdge;
  using directed_category = directed_tag;
  using edge_parallel_category = allow_parallel_edge_tag;
  using traversal_category = dyad::graph::TraversalGraphTraversalCategory;
  using out_edge_iterator = dyad::graph::TraversalEdgeIterator;
  using vertex_iterator = counting_iterator<dyad::graph::VertexId>;
  using degree_size_type = size_t;
  using vertices_size_type = size_t;
  using edges_size_type = size_t;
  static vertex_descriptor null_vertex() { return UINT32_MAX; }
};

template <>
struct property_traits<dyad::graph::CostMap> {
  using key_type = dyad::graph::TraversalEdge;
  using value_type = double;
  using reference = double;
  using category = readable_property_map_tag;
};

}  // namespace boost
