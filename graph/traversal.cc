#include "graph/traversal.h"

namespace dyad::graph {

// Confidences are kept as floats in the snapshot and as doubles in the
// store; a threshold equal to a fact's confidence must let it pass both.
constexpr double kConfidenceSlack = 1e-6;

Traversal::Traversal(const Snapshot& snap, const storage::Store& store,
                     const Vocabulary& vocabulary, const TraversalFilter& filter,
                     std::initializer_list<VertexId> endpoints)
    : snap_(&snap) {
  out_ = filter.direction != storage::Direction::kIn;
  in_ = filter.direction != storage::Direction::kOut;
  // Symmetry matters only when one direction is closed; a default query
  // builds no tables at all, so that a 1-hop query costs microseconds.
  if (!out_ || !in_) {
    for (const std::string& p : vocabulary.SymmetricPredicates()) {
      if (std::optional<PredicateId> id = store.PredicateIdOf(p)) {
        if (*id >= symmetric_.size()) symmetric_.resize(*id + 1, 0);
        symmetric_[*id] = 1;
      }
    }
  }
  any_symmetric_ = !symmetric_.empty();
  if (!filter.predicates.empty()) {
    predicate_ok_.assign(1, 0);  // non-empty even when no name is known: nothing passes
    for (const std::string& p : filter.predicates) {
      if (std::optional<PredicateId> id = store.PredicateIdOf(p)) {
        if (*id >= predicate_ok_.size()) predicate_ok_.resize(*id + 1, 0);
        predicate_ok_[*id] = 1;
      }
    }
  }
  if (!filter.labels.empty()) {
    label_ok_.assign(1, 0);
    for (const std::string& l : filter.labels) {
      if (std::optional<LabelId> id = store.LabelIdOf(l)) {
        if (*id >= label_ok_.size()) label_ok_.resize(*id + 1, 0);
        label_ok_[*id] = 1;
      }
    }
  }
  from_ = filter.from;
  to_ = filter.to;
  min_confidence_ = filter.min_confidence > 0 ? filter.min_confidence - kConfidenceSlack : 0;
  size_t i = 0;
  for (VertexId v : endpoints) {
    if (i < 2) exempt_[i++] = v;
  }
  if (i == 1) exempt_[1] = exempt_[0];
  plain_ = out_ && in_ && predicate_ok_.empty() && label_ok_.empty() &&
           from_ == storage::kOpenDay && to_ == storage::kOpenDay && min_confidence_ <= 0;
}

Traversal Traversal::Reversed() const {
  Traversal r = *this;
  std::swap(r.out_, r.in_);
  return r;
}

}  // namespace dyad::graph
