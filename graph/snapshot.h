// Snapshot: an immutable compressed-sparse-row image of the store's graph,
// which every traversal runs on. Vertices are the store's node ids (dense,
// so vertex v is node v; 0 is unused); each fact is one edge, stored once in
// subject order with its filter properties packed in 16 bytes, and indexed
// a second time by object for incoming traversal. Nothing of provenance is
// here: answers fetch the facts they name from the store.
//
// A Snapshot is a base image (built from a scan of the store, or mapped
// from the file a previous process persisted beside it) plus a small delta
// of the facts committed since, so that a load becomes visible to the next
// query without a rebuild. Readers share it through shared_ptr and never
// block on writers; SnapshotManager (graph/snapshot_manager.h) publishes
// new ones.
//
// Boost.Graph's algorithms run on it through graph/boost_adaptor.h, which
// presents a snapshot seen through a query's filters as an IncidenceGraph
// and VertexListGraph without copying the arrays.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "storage/model.h"
#include "storage/status.h"
#include "storage/store.h"

namespace dyad::graph {

using storage::DayCode;
using storage::LabelId;
using storage::NodeId;
using storage::PredicateId;

using VertexId = uint32_t;   // == the node's id; the store's ids stay below 2^32 here
using EdgeIndex = uint32_t;  // base edges first, then the delta's

// The filter properties of one fact, 16 bytes.
struct EdgeProps {
  DayCode valid_from;
  DayCode valid_to;
  float confidence;
  uint16_t predicate;  // PredicateId; the vocabulary stays far below 2^16
  uint16_t sources;    // saturates at 65535
};
static_assert(sizeof(EdgeProps) == 16);

// One step of an adjacency list: the vertex at the other end and the edge.
struct Step {
  VertexId other;
  EdgeIndex edge;
};

// The predicates a traversal narrows in-steps to (Snapshot::ForEachInAmong):
// a table by predicate id, its members as ranges of consecutive ids, and a
// 32-bit summary (bit p % 32) to test against a vertex's
// CsrImage::in_predicates() before any of its steps is read.
class PredicateSet {
 public:
  explicit PredicateSet(std::vector<uint8_t> wanted);
  bool Has(uint16_t p) const { return p < wanted_.size() && wanted_[p]; }
  // The members as ranges of consecutive ids [first, last], ascending.
  const std::vector<std::pair<uint16_t, uint16_t>>& ranges() const { return ranges_; }
  uint32_t summary() const { return summary_; }

 private:
  std::vector<uint8_t> wanted_;
  std::vector<std::pair<uint16_t, uint16_t>> ranges_;
  uint32_t summary_ = 0;
};

// The arrays of a base image, owned or mapped from a file.
class CsrImage {
 public:
  ~CsrImage();
  CsrImage(const CsrImage&) = delete;
  CsrImage& operator=(const CsrImage&) = delete;

  // Scans the store (Store::ScanGraph) into a new image.
  static Result<std::shared_ptr<const CsrImage>> Build(const storage::Store& store);
  // Maps a file written by Persist. NotFound if there is none; Corruption
  // if it is not a complete image of this format.
  static Result<std::shared_ptr<const CsrImage>> Map(const std::filesystem::path& file);
  // Writes the image to `file` atomically (a temporary file, fsync, rename).
  Status Persist(const std::filesystem::path& file) const;

  uint64_t sequence() const { return sequence_; }          // the store's, when scanned
  VertexId vertex_count() const { return vertex_count_; }  // max node id + 1
  EdgeIndex edge_count() const { return edge_count_; }
  bool mapped() const { return from_file_; }
  // Bytes of the arrays (offsets, targets, properties, the in-index, labels,
  // in-step predicates).
  uint64_t bytes() const;

  // The base steps of one vertex. Its out-steps' targets and its in-steps'
  // sources lie side by side in one array, so that a traversal that ignores
  // direction reads one run per vertex, as a plain undirected CSR does (two
  // runs cost Q2 twice the cache misses). Out-step j is edge first_edge + j;
  // in-step j is edge in_edges()[first_in + j]. The bounds are clamped to
  // the arrays as they are read (a mapped image is not scanned up front):
  // a damaged image can give wrong steps, never a read out of bounds.
  struct Runs {
    const VertexId* out;  // out_count targets, in (object, predicate, valid_from) order
    const VertexId* in;   // in_count sources, in (predicate, subject, valid_from) order
    uint64_t out_count, in_count;
    uint64_t first_edge, first_in;
    std::span<const VertexId> both() const { return {out, out_count + in_count}; }
  };
  Runs RunsOf(VertexId v) const {  // v < vertex_count()
    const uint64_t* o = offsets_ + 2 * uint64_t{v};
    const uint64_t out_end = std::min<uint64_t>(o[2], edge_count_);
    const uint64_t out_begin = std::min(o[0], out_end);
    const uint64_t in_end = std::min<uint64_t>(o[3], edge_count_);
    const uint64_t in_begin = std::min(o[1], in_end);
    // The run of v starts after every step of the vertices before it.
    const VertexId* out = ends_ + out_begin + in_begin;
    return Runs{
        out,     out + (out_end - out_begin), out_end - out_begin, in_end - in_begin, out_begin,
        in_begin};
  }
  const EdgeProps* props() const { return props_; }        // edge_count
  const EdgeIndex* in_edges() const { return in_edges_; }  // edge_count
  const uint16_t* labels() const { return labels_; }       // vertex_count; 0xffff: no node
  // vertex_count: bit p % 32 is set when some in-step of the vertex has
  // predicate p. Most vertices are no country's member, and their in-steps
  // hold none of the structural predicates: rolling a country's actors up
  // learns that here, from 4 bytes a vertex, instead of from each actor's
  // first in-step's properties, two dependent cache misses away.
  const uint32_t* in_predicates() const { return in_predicates_; }

  // The base edge with this identity, or nullopt. Binary search in the
  // subject's adjacency (ordered by object, predicate, valid_from).
  std::optional<EdgeIndex> FindEdge(const storage::FactKey& key) const;

 private:
  CsrImage() = default;
  void PointInto(const char* base);  // sets the array pointers from one block

  uint64_t sequence_ = 0;
  VertexId vertex_count_ = 0;
  EdgeIndex edge_count_ = 0;
  // The block: anonymous memory when built, the file when mapped.
  void* mapping_ = nullptr;
  size_t mapping_size_ = 0;
  bool from_file_ = false;
  // offsets_[2v] and [2v+1]: the out- and in-steps of the vertices before
  // v, side by side, so that one cache line holds a vertex's run bounds.
  const uint64_t* offsets_ = nullptr;  // 2 * (vertex_count + 1)
  const EdgeProps* props_ = nullptr;
  const VertexId* ends_ = nullptr;  // 2 * edge_count: each vertex's out- then in-steps
  const EdgeIndex* in_edges_ = nullptr;
  const uint16_t* labels_ = nullptr;
  const uint32_t* in_predicates_ = nullptr;
};

// The facts committed after a base image was made: new edges, and new
// states of base edges (a second source raises confidence) which hide the
// base's copy. Immutable once published; the manager copies it to extend.
struct Delta {
  struct Adjacency {
    std::vector<Step> out, in;
  };
  uint64_t sequence = 0;  // of the last change applied
  VertexId vertex_count = 0;
  absl::flat_hash_map<VertexId, Adjacency> adjacency;
  absl::flat_hash_map<VertexId, uint16_t> labels;  // nodes the base does not have
  std::vector<EdgeProps> props;                    // edge base.edge_count() + i
  absl::flat_hash_set<EdgeIndex> hidden;           // base edges superseded here
  std::vector<uint64_t> touched;  // bit per vertex: has delta steps or hidden edges
  // Identity of each delta edge, to update it in place on corroboration.
  absl::flat_hash_map<uint64_t, std::vector<std::pair<storage::FactKey, EdgeIndex>>> by_key;

  // Adds what one committed chunk changed.
  void Apply(const CsrImage& base, const storage::CommittedChange& change);
  size_t edge_count() const { return props.size(); }
};

class Snapshot {
 public:
  Snapshot(std::shared_ptr<const CsrImage> base, std::shared_ptr<const Delta> delta);

  const CsrImage& base() const { return *base_; }
  const std::shared_ptr<const CsrImage>& base_ptr() const { return base_; }
  const std::shared_ptr<const Delta>& delta_ptr() const { return delta_; }
  uint64_t sequence() const { return delta_ ? delta_->sequence : base_->sequence(); }
  VertexId vertex_count() const { return vertex_count_; }
  // Edge indices run below this (base edges, then delta edges).
  EdgeIndex edge_index_bound() const { return edge_bound_; }
  uint64_t edge_count() const;  // distinct facts
  uint64_t delta_edges() const { return delta_ ? delta_->edge_count() : 0; }

  bool has_node(VertexId v) const { return v < vertex_count_ && label(v) != kNoLabel; }
  static constexpr uint16_t kNoLabel = 0xffff;
  uint16_t label(VertexId v) const {
    if (v < base_->vertex_count()) return base_->labels()[v];
    if (!delta_) return kNoLabel;
    auto it = delta_->labels.find(v);
    return it == delta_->labels.end() ? kNoLabel : it->second;
  }
  const EdgeProps& props(EdgeIndex e) const {
    return e < base_edges_ ? base_->props()[e] : delta_->props[e - base_edges_];
  }

  // Calls fn(Step) for each fact with `v` as subject (ForEachOut) or as
  // object (ForEachIn); Step::other is the far end. Base steps come first,
  // in (other, predicate, valid_from) order for ForEachOut.
  template <class Fn>
  void ForEachOut(VertexId v, Fn&& fn) const {
    const bool touched = Touched(v);
    if (v < base_->vertex_count()) {
      // Vertex ids are checked as they are read (a mapped image is not
      // scanned up front, so that a one-off query maps it in microseconds).
      const CsrImage::Runs r = base_->RunsOf(v);
      const VertexId n = base_->vertex_count();
      for (uint64_t j = 0; j < r.out_count; ++j) {
        const auto e = static_cast<EdgeIndex>(r.first_edge + j);
        if (r.out[j] >= n) continue;
        if (touched && delta_->hidden.contains(e)) continue;
        fn(Step{r.out[j], e});
      }
    }
    if (touched) {
      auto it = delta_->adjacency.find(v);
      if (it != delta_->adjacency.end())
        for (const Step& s : it->second.out) fn(s);
    }
  }
  template <class Fn>
  void ForEachIn(VertexId v, Fn&& fn) const {
    const bool touched = Touched(v);
    if (v < base_->vertex_count()) {
      const CsrImage::Runs r = base_->RunsOf(v);
      const EdgeIndex* idx = base_->in_edges() + r.first_in;
      const VertexId n = base_->vertex_count();
      const EdgeIndex m = base_->edge_count();
      for (uint64_t j = 0; j < r.in_count; ++j) {
        if (r.in[j] >= n || idx[j] >= m) continue;
        if (touched && delta_->hidden.contains(idx[j])) continue;
        fn(Step{r.in[j], idx[j]});
      }
    }
    if (touched) {
      auto it = delta_->adjacency.find(v);
      if (it != delta_->adjacency.end())
        for (const Step& s : it->second.in) fn(s);
    }
  }
  // ForEachIn narrowed to the predicates of `wanted`. A vertex's base
  // in-steps are ordered by predicate (the image is built from a scan in
  // (object, predicate, subject, valid_from) order), so each range of the
  // set is one run, found by binary search: rolling actors up to a country
  // reads their structural facts, not their events; and a vertex whose
  // in_predicates() share no bit with the set's summary has none to read.
  template <class Fn>
  void ForEachInAmong(VertexId v, const PredicateSet& wanted, Fn&& fn) const {
    const bool touched = Touched(v);
    if (v < base_->vertex_count() && (base_->in_predicates()[v] & wanted.summary()) != 0) {
      const CsrImage::Runs r = base_->RunsOf(v);
      const VertexId* src = r.in;
      const EdgeIndex* idx = base_->in_edges() + r.first_in;
      const EdgeProps* props = base_->props();
      const VertexId n = base_->vertex_count();
      const EdgeIndex m = base_->edge_count();
      // An in-edge outside the image (damage) sorts last and is skipped.
      auto predicate = [&](uint64_t i) -> uint16_t {
        return idx[i] < m ? props[idx[i]].predicate : UINT16_MAX;
      };
      // The first step at or after `from` whose predicate is >= p.
      auto first_at_least = [&](uint64_t from, uint32_t p) {
        uint64_t lo = from, hi = r.in_count;
        while (lo < hi) {
          const uint64_t mid = lo + (hi - lo) / 2;
          if (predicate(mid) < p) {
            lo = mid + 1;
          } else {
            hi = mid;
          }
        }
        return lo;
      };
      // Each range's steps are found by their ends alone: a country's
      // thousands of members are not each looked up in the properties.
      uint64_t from = 0;
      for (const auto& [first, last] : wanted.ranges()) {
        const uint64_t begin = first_at_least(from, first);
        const uint64_t end = first_at_least(begin, uint32_t{last} + 1);
        for (uint64_t i = begin; i < end; ++i) {
          if (idx[i] >= m || src[i] >= n) continue;
          if (touched && delta_->hidden.contains(idx[i])) continue;
          fn(Step{src[i], idx[i]});
        }
        from = end;
      }
    }
    if (touched) {
      auto it = delta_->adjacency.find(v);
      if (it != delta_->adjacency.end())
        for (const Step& s : it->second.in)
          if (wanted.Has(props(s.edge).predicate)) fn(s);
    }
  }

  // Calls fn(Step, forward) for each step of `v` whose far end passes
  // keep(VertexId), out-steps (forward) first: ForEachOut and ForEachIn in
  // one, for a scan that rejects most steps by their far end alone (a dyad's
  // events, whose other end must be an actor of the other country). An
  // in-step's edge index, a second array, is read only when keep passes.
  template <class Keep, class Fn>
  void ForEachStepTo(VertexId v, Keep&& keep, Fn&& fn) const {
    const bool touched = Touched(v);
    if (v < base_->vertex_count()) {
      const CsrImage::Runs r = base_->RunsOf(v);
      const VertexId n = base_->vertex_count();
      for (uint64_t j = 0; j < r.out_count; ++j) {
        const VertexId other = r.out[j];
        if (other >= n || !keep(other)) continue;
        const auto e = static_cast<EdgeIndex>(r.first_edge + j);
        if (touched && delta_->hidden.contains(e)) continue;
        fn(Step{other, e}, true);
      }
      const EdgeIndex* idx = base_->in_edges() + r.first_in;
      const EdgeIndex m = base_->edge_count();
      for (uint64_t j = 0; j < r.in_count; ++j) {
        const VertexId other = r.in[j];
        if (other >= n || !keep(other) || idx[j] >= m) continue;
        if (touched && delta_->hidden.contains(idx[j])) continue;
        fn(Step{other, idx[j]}, false);
      }
    }
    if (touched) {
      auto it = delta_->adjacency.find(v);
      if (it != delta_->adjacency.end()) {
        for (const Step& s : it->second.out)
          if (keep(s.other)) fn(s, true);
        for (const Step& s : it->second.in)
          if (keep(s.other)) fn(s, false);
      }
    }
  }

  // The far ends of `v`'s base steps, out then in, as one run of the base
  // image, when `v` has no delta steps and none hidden (else false): a
  // counting traversal's tight loop, without a call per step. Entries are
  // not bounds-checked; the caller skips those >= vertex_count().
  bool BaseRun(VertexId v, std::span<const VertexId>* both) const {
    if (Touched(v) || v >= base_->vertex_count()) return false;
    *both = base_->RunsOf(v).both();
    return true;
  }

  // Facts with `v` at either end, an upper bound (exact without a delta):
  // the work of expanding `v`, for frontier choices and deadlines.
  uint64_t Degree(VertexId v) const;

 private:
  bool Touched(VertexId v) const {
    return delta_ && (v >> 6) < delta_->touched.size() && (delta_->touched[v >> 6] >> (v & 63) & 1);
  }

  std::shared_ptr<const CsrImage> base_;
  std::shared_ptr<const Delta> delta_;  // null when empty
  VertexId vertex_count_ = 0;
  EdgeIndex base_edges_ = 0;
  EdgeIndex edge_bound_ = 0;
};

}  // namespace dyad::graph
