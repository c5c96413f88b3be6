// Plain brute-force answers to the graph queries, for differential tests of
// graph/query.h: a list of facts and the labels of nodes, walked with maps
// and sets and nothing clever, so that each answer can be read off the
// code. Also a seeded random generator of small fact graphs (JSON Lines).
//   GenGraph gen = RandomGraph(7, {});
//   ASSERT_OK(LoadText(*store, gen.Jsonl(), &summary));
//   RefGraph ref = gen.Reference(*store);
//   RefNeighbourhood n = ref.Neighbours(start, 2, filter);
// Not thread-safe to build; const methods may be called from several threads.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "graph/query.h"
#include "graph/vocabulary.h"
#include "storage/model.h"
#include "storage/store.h"

namespace dyad::testing {

using graph::TraversalFilter;
using storage::DayCode;
using storage::FactKey;
using storage::NodeId;

// FactKeys in a fixed order, for sets and sorting.
struct KeyLess {
  bool operator()(const FactKey& a, const FactKey& b) const {
    return std::tie(a.subject, a.predicate, a.object, a.valid_from) <
           std::tie(b.subject, b.predicate, b.object, b.valid_from);
  }
};
using KeySet = std::set<FactKey, KeyLess>;
KeySet ToSet(const std::vector<FactKey>& keys);

// "Sergey Lavrov -MET-> Hina Rabbani Khar @2012-10-04", for messages.
std::string KeyString(const storage::Store& store, const FactKey& key);
std::string KeysString(const storage::Store& store, const KeySet& keys);
// The key of a fact read from the store.
FactKey KeyOf(const storage::Store& store, const storage::Fact& fact);

// One distinct fact, its sources merged.
struct RefFact {
  FactKey key;
  std::string predicate;
  DayCode valid_to = storage::kOpenDay;
  double confidence = 1.0;  // noisy-or of the sources
  std::string published;    // the earliest source's publication day ("" if none given)
  NodeId subject() const { return key.subject; }
  NodeId object() const { return key.object; }
  DayCode valid_from() const { return key.valid_from; }
};

struct RefNeighbourhood {
  std::vector<std::pair<NodeId, int>> nodes;  // by hops, then id; the start excluded
  KeySet facts;
};

struct RefBucket {
  std::string period;
  bool a_to_b = true;
  uint64_t events = 0;
  double goldstein = 0;
  KeySet facts;
};

class RefGraph {
 public:
  explicit RefGraph(const graph::Vocabulary& vocabulary = graph::Vocabulary::Default())
      : vocabulary_(&vocabulary) {}

  void AddNode(NodeId id, std::string label);
  void AddFact(RefFact fact);
  const std::map<NodeId, std::string>& nodes() const { return labels_; }
  const std::vector<RefFact>& facts() const { return facts_; }
  const RefFact* Find(const FactKey& key) const;

  // The predicate, window and confidence tests of the filter.
  bool Passes(const RefFact& f, const TraversalFilter& filter) const;
  bool Symmetric(const std::string& predicate) const;
  bool LabelAllowed(NodeId v, const TraversalFilter& filter) const;

  // Steps a traversal may take from `u`: (far end, fact index), for each
  // fact that passes the filter, in a direction it allows, to a node of an
  // allowed label (nodes in `exempt` are always allowed).
  std::vector<std::pair<NodeId, size_t>> Steps(NodeId u, const TraversalFilter& filter,
                                               const std::set<NodeId>& exempt) const;
  // Facts a traversal may cross from u to v.
  KeySet StepFacts(NodeId u, NodeId v, const TraversalFilter& filter) const;
  // The cheapest of them: min -log(confidence); nullopt if none.
  std::optional<double> StepCost(NodeId u, NodeId v, const TraversalFilter& filter) const;

  // BFS to `depth`; facts: those crossable from a node at hop < depth to a
  // node of the answer (or the start).
  RefNeighbourhood Neighbours(NodeId start, int depth, const TraversalFilter& filter) const;

  // Fewest hops from `from` to `to` (at most max_depth).
  std::optional<int> Hops(NodeId from, NodeId to, const TraversalFilter& filter,
                          int max_depth) const;
  // Every path of fewest hops, by walking the BFS layers back from `to`;
  // stops after `cap` paths.
  std::vector<std::vector<NodeId>> AllShortest(NodeId from, NodeId to,
                                               const TraversalFilter& filter, int max_depth,
                                               size_t cap) const;
  // Every loop-free path of at most max_depth hops, by depth-first search;
  // stops after `cap` paths.
  std::vector<std::vector<NodeId>> AllSimplePaths(NodeId from, NodeId to,
                                                  const TraversalFilter& filter, int max_depth,
                                                  size_t cap) const;
  // Sum of StepCost along the path; nullopt if a step has no fact.
  std::optional<double> PathCost(const std::vector<NodeId>& path,
                                 const TraversalFilter& filter) const;
  // Least total -log(confidence), by Dijkstra (no hop limit).
  std::optional<double> MinCost(NodeId from, NodeId to, const TraversalFilter& filter) const;

  // Nodes rolled up to `country`: itself, and every node that reaches it
  // through HOLDS_OFFICE, MEMBER_OF or LOCATED_IN facts, subject to object.
  std::set<NodeId> Members(NodeId country) const;
  // Events (facts whose predicate has a Goldstein weight) between the two
  // countries' members that pass the filter's predicates, window and
  // confidence, by period and direction (a_to_b first); direction kOut
  // keeps a_to_b only, kIn b_to_a only.
  std::vector<RefBucket> Dyad(NodeId a, NodeId b, graph::Period by,
                              const TraversalFilter& filter) const;

 private:
  const graph::Vocabulary* vocabulary_;
  std::map<NodeId, std::string> labels_;
  std::vector<RefFact> facts_;
  std::map<NodeId, std::vector<size_t>> incident_;  // fact indices by either end
  std::map<std::tuple<NodeId, uint32_t, NodeId, DayCode>, size_t> by_key_;
};

// Every node and fact the store holds, read through Store::GetNode and
// Store::FactsOf (for graphs not generated here, such as the seeds). The
// published day of a fact is its earliest source's `published` field.
RefGraph RefFromStore(const storage::Store& store);

// A generated graph: nodes (label, name) and facts between them, each with
// one or two sources.
struct GenFact {
  int subject = 0, object = 0;  // indices into GenGraph::nodes
  std::string predicate;
  std::string valid_from, valid_to;  // "" for open
  std::vector<double> confidences;   // one per source
  std::string published;             // of every source
};

struct GenGraph {
  std::vector<std::pair<std::string, std::string>> nodes;  // (label, name)
  std::vector<GenFact> facts;

  // Entity records, then each fact's first source, then the second sources.
  std::string Jsonl() const;
  // The facts with the store's ids (the graph must have been loaded).
  RefGraph Reference(const storage::Store& store) const;
  // The store's id of node i.
  NodeId Id(const storage::Store& store, int i) const;
};

struct GenOptions {
  int countries = 3;
  int nodes = 30;           // countries included
  int events = 80;          // event and other non-structural facts
  double structural = 0.8;  // chance that a non-country node has a structural fact
  double corroborated = 0.15;
  double undated = 0.1;
};

// A random graph from a fixed-seed std::mt19937: Country, Person,
// Organization and Location nodes; structural facts forming a forest
// (person -> organization -> country, person/location -> country);
// events of a few predicates (MET and COOPERATED_ECONOMICALLY symmetric,
// VISITED, CRITICIZED, STATED), PARTICIPANT_IN and an unknown ADVISED;
// dates in 2010-2013 (some with valid_to, some undated), confidences from
// {0.55, 0.6, 0.75, 0.9, 1.0}, some facts corroborated by a second source.
GenGraph RandomGraph(uint32_t seed, const GenOptions& options);

}  // namespace dyad::testing
