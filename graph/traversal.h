// Traversal: how a query may move through a snapshot, i.e. a
// TraversalFilter compiled against the store's dictionaries into flat
// tables, so that checking a step costs a few array reads. Every query
// walks the graph through ForEachStep(); the Boost.Graph adaptor
// (graph/boost_adaptor.h) presents the same steps as out-edges.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "graph/query.h"
#include "graph/snapshot.h"
#include "graph/vocabulary.h"
#include "storage/store.h"

namespace dyad::graph {

class Traversal {
 public:
  // Unknown predicate or label names match nothing. `endpoints` are exempt
  // from the label filter (the nodes a query starts and ends at).
  Traversal(const Snapshot& snap, const storage::Store& store, const Vocabulary& vocabulary,
            const TraversalFilter& filter, std::initializer_list<VertexId> endpoints);

  const Snapshot& snapshot() const { return *snap_; }
  // No filter at all: every step passes.
  bool plain() const { return plain_; }

  // The same traversal walked backwards: a step u -> v here is v -> u there.
  Traversal Reversed() const;

  bool EdgeOk(EdgeIndex e, bool forward) const {
    const EdgeProps& p = snap_->props(e);
    if (!(forward ? out_ : in_) && !(p.predicate < symmetric_.size() && symmetric_[p.predicate]))
      return false;
    if (!predicate_ok_.empty() &&
        !(p.predicate < predicate_ok_.size() && predicate_ok_[p.predicate]))
      return false;
    if (static_cast<double>(p.confidence) < min_confidence_) return false;
    return storage::ValidInWindow(p.valid_from, p.valid_to, from_, to_);
  }
  bool NodeOk(VertexId v) const {
    if (label_ok_.empty() || v == exempt_[0] || v == exempt_[1]) return true;
    uint16_t l = snap_->label(v);
    return l < label_ok_.size() && label_ok_[l];
  }

  // Calls fn(other, edge, forward) for each step from `v` the filter
  // allows; forward is true when `v` is the fact's subject.
  template <class Fn>
  void ForEachStep(VertexId v, Fn&& fn) const {
    if (plain_) {
      snap_->ForEachOut(v, [&](Step s) { fn(s.other, s.edge, true); });
      snap_->ForEachIn(v, [&](Step s) { fn(s.other, s.edge, false); });
      return;
    }
    if (out_ || any_symmetric_) {
      snap_->ForEachOut(v, [&](Step s) {
        if (EdgeOk(s.edge, true) && NodeOk(s.other)) fn(s.other, s.edge, true);
      });
    }
    if (in_ || any_symmetric_) {
      snap_->ForEachIn(v, [&](Step s) {
        if (EdgeOk(s.edge, false) && NodeOk(s.other)) fn(s.other, s.edge, false);
      });
    }
  }

  // The fact a step stands for.
  storage::FactKey KeyOf(VertexId from, VertexId to, EdgeIndex e, bool forward) const {
    const EdgeProps& p = snap_->props(e);
    return forward ? storage::FactKey{from, p.predicate, to, p.valid_from}
                   : storage::FactKey{to, p.predicate, from, p.valid_from};
  }

  // -log(confidence) of an edge, the cost of a step on a weighted path.
  double Cost(EdgeIndex e) const {
    double c = std::min(1.0, static_cast<double>(snap_->props(e).confidence));
    return c >= 1.0 ? 0.0 : -std::log(c);
  }

 private:
  const Snapshot* snap_;
  bool out_ = true, in_ = true;
  bool any_symmetric_ = false;
  bool plain_ = true;                  // nothing to check per step
  std::vector<uint8_t> predicate_ok_;  // by predicate id; empty: every predicate
  std::vector<uint8_t> symmetric_;     // by predicate id
  std::vector<uint8_t> label_ok_;      // by label id; empty: every label
  DayCode from_ = storage::kOpenDay, to_ = storage::kOpenDay;
  double min_confidence_ = 0;
  VertexId exempt_[2] = {0, 0};
};

// A deadline checked cheaply: the clock is read on the first call and then
// once per `stride` units of work (adjacency entries about to be read), so
// that a query overshoots its deadline by about the time of `stride` steps
// (tens of microseconds when each is a cache miss), however big the hubs it
// meets. `cancelled`, when given, is asked at every fourth of those moments
// and never at the first (asking costs a server a pass of its network
// poller): a server's call whose client went away stops like one whose
// deadline passed.
class DeadlineCheck {
 public:
  explicit DeadlineCheck(std::optional<std::chrono::steady_clock::time_point> deadline,
                         std::function<bool()> cancelled = {}, uint64_t stride = 1024)
      : deadline_(deadline), cancelled_(std::move(cancelled)), stride_(stride) {}
  bool active() const { return deadline_.has_value() || cancelled_ != nullptr; }
  bool Expired(uint64_t work = 1) {
    if (!active()) return false;
    if (expired_) return true;
    const bool first = done_ == 0 && next_check_ == 0;
    done_ += work;
    // A big step (a hub about to be expanded) is checked before it starts.
    if (!first && done_ < next_check_ && work < stride_) return false;
    next_check_ = done_ + stride_;
    expired_ = (deadline_ && std::chrono::steady_clock::now() >= *deadline_) ||
               (!first && cancelled_ && ++checks_ % kCancelEvery == 0 && cancelled_());
    return expired_;
  }

 private:
  static constexpr uint64_t kCancelEvery = 4;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  std::function<bool()> cancelled_;
  uint64_t stride_;
  uint64_t done_ = 0, next_check_ = 0;
  uint64_t checks_ = 0;  // of `cancelled`'s moments so far
  bool expired_ = false;
};

}  // namespace dyad::graph
