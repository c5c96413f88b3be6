// The graph as the store hands it out: nodes, facts with their provenance,
// and counts. These are plain values, decoded from the on-disk records;
// holding one never pins anything in the store.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "storage/dates.h"
#include "storage/fact_record.h"

namespace dyad::storage {

using NodeId = uint64_t;       // dense, stable across reopen, never reused
using LabelId = uint32_t;      // dictionary id of a label
using PredicateId = uint32_t;  // dictionary id of a predicate

struct Node {
  NodeId id = 0;
  std::string external_id;  // "Person:ashfaq-parvez-kayani"
  std::string label;
  std::string name;
  std::vector<std::string> aliases;
  PropList props;
  bool declared = false;  // an entity record declared it (else a fact created it)
};

// What one document said about a fact.
struct Source {
  std::string doc;
  double confidence = 1.0;
  DayCode valid_to = kOpenDay;
  PropList props;   // the fact's props as this source gave them
  PropList fields;  // outlet, published, url, quote, ... verbatim
};

// A fact: identity (subject, predicate, object, valid_from), and what its
// sources together say (fact-format.md): valid_to is the latest any source
// gives (open if one leaves it open), confidence the noisy-or of the sources,
// props the union (the earliest-loaded source wins a clash).
struct Fact {
  NodeId subject = 0;
  std::string predicate;
  NodeId object = 0;
  DayCode valid_from = kOpenDay;
  DayCode valid_to = kOpenDay;
  double confidence = 1.0;
  PropList props;
  std::vector<Source> sources;  // in load order
};

enum class Direction { kOut, kIn, kBoth };

// Which facts of a node to return. An empty list means "any".
struct FactFilter {
  Direction direction = Direction::kBoth;
  // Predicates that hold both ways (predicates.tsv's `symmetric`): with
  // direction kOut or kIn their facts are followed both ways.
  std::vector<std::string> symmetric_predicates;
  std::vector<std::string> predicates;
  std::vector<std::string> labels;  // label of the node at the other end
  // Facts valid at any point of [from, to]; kOpenDay leaves that side open.
  DayCode from = kOpenDay;
  DayCode to = kOpenDay;
  double min_confidence = 0.0;
  // A limit, not a filter: when it passes, the query stops and returns what
  // it found with `truncated` set. Default: none
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

// Facts of one node, and whether a limit cut the list short.
struct FactList {
  std::vector<Fact> facts;
  bool truncated = false;

  // A FactList reads as the range of its facts.
  auto begin() const { return facts.begin(); }
  auto end() const { return facts.end(); }
  size_t size() const { return facts.size(); }
  bool empty() const { return facts.empty(); }
  const Fact& front() const { return facts.front(); }
};

// True if the fact's validity [valid_from, valid_to] meets [from, to].
bool ValidInWindow(DayCode valid_from, DayCode valid_to, DayCode from, DayCode to);

// A fact's identity: the key of `out`.
struct FactKey {
  NodeId subject = 0;
  PredicateId predicate = 0;
  NodeId object = 0;
  DayCode valid_from = kOpenDay;
  friend bool operator==(const FactKey&, const FactKey&) = default;
};

// What a graph snapshot needs of a fact: its identity and what traversal
// filters look at, never its provenance.
struct EdgeEntry {
  FactKey key;
  DayCode valid_to = kOpenDay;
  float confidence = 1.0f;
  uint32_t sources = 0;
};

// What one committed chunk changed, for a graph layer that keeps a snapshot
// of the store current without rescanning it: the nodes it created or
// changed (with their labels) and the facts it added or corroborated (with
// their merged state).
struct CommittedChange {
  uint64_t sequence = 0;  // the store's sequence number once the chunk landed
  std::vector<std::pair<NodeId, LabelId>> nodes;
  std::vector<EdgeEntry> edges;
};

struct Stats {
  uint64_t nodes = 0;
  uint64_t facts = 0;
  uint64_t sources = 0;  // distinct source documents
  std::map<std::string, uint64_t> labels;
  std::map<std::string, uint64_t> predicates;
};

}  // namespace dyad::storage
