// Rendering of answers for the command line: the JSON shapes of cli.md (a
// contract: names and shapes stay stable) and free-form tables for people.
// The same functions render an embedded answer and one from a server, which
// is what makes the two byte-for-byte equal.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "graph/query.h"
#include "service/json_writer.h"
#include "storage/loader.h"
#include "storage/model.h"
#include "storage/status.h"

namespace dyad::service {

// A fact with its two end nodes, as a front end shows it.
struct FactView {
  storage::Fact fact;
  storage::Node subject;
  storage::Node object;
};

std::string LoadSummaryJson(const storage::LoadSummary& summary);
std::string LoadSummaryTable(const storage::LoadSummary& summary);

// `find`: {"matches": [node + "aliases"]}.
std::string FindJson(const std::vector<storage::Node>& matches);
std::string FindTable(const std::vector<storage::Node>& matches);

// `facts`: {"node": node, "facts": [fact...], "truncated": false}; truncated
// when --timeout ran out (cli.md: the answer so far, exit 0).
std::string FactsJson(const storage::Node& node, const std::vector<FactView>& facts,
                      bool truncated);
void WriteFactsJson(JsonWriter& w, const storage::Node& node, const std::vector<FactView>& facts,
                    bool truncated);
std::string FactsTable(const storage::Node& node, const std::vector<FactView>& facts,
                       bool truncated);

// The answers of `neighbours`, `path` and `dyad` with their nodes and facts
// fetched. Each XJson has a WriteXJson twin that writes into a JsonWriter,
// which may be one that sends a big answer out as it goes. In each, `truncated_by` names the limit
// that cut the answer short
// ("nodes", "facts", "paths", "depth", "deadline"), empty when none did; the
// JSON then has "truncated": true and that name as "truncated_by" (cli.md
// allows the added field).

struct NeighbourView {
  storage::Node node;
  int hops = 0;
};

// `neighbours`: {"start": node, "depth": K, "nodes": [node + "hops"],
// "facts": [fact...], "truncated": false}, in the order given.
struct NeighboursView {
  storage::Node start;
  int depth = 0;
  std::vector<NeighbourView> nodes;
  std::vector<FactView> facts;
  std::string truncated_by;
};
std::string NeighboursJson(const NeighboursView& answer);
void WriteNeighboursJson(JsonWriter& w, const NeighboursView& answer);
std::string NeighboursTable(const NeighboursView& answer);

struct PathView {
  std::vector<storage::Node> nodes;
  // steps[i]: the facts between nodes[i] and nodes[i + 1].
  std::vector<std::vector<FactView>> steps;
  double cost = 0;
};

// `path`: {"from": node, "to": node, "hops": 2 | null, "paths": [{"nodes",
// "facts" (every step's, in step order), "cost"}], "truncated": false}.
struct PathsView {
  storage::Node from;
  storage::Node to;
  std::optional<int> hops;  // nullopt: no path
  std::vector<PathView> paths;
  std::string truncated_by;
};
std::string PathsJson(const PathsView& answer);
void WritePathsJson(JsonWriter& w, const PathsView& answer);
std::string PathsTable(const PathsView& answer);

struct DyadBucketView {
  std::string period;  // "2012-10", "2012" or "undated"
  bool a_to_b = true;  // else b_to_a
  uint64_t events = 0;
  double goldstein = 0;
  std::vector<FactView> facts;
};

// `dyad`: {"a": node, "b": node, "by": "month", "buckets": [{"period",
// "direction": "a_to_b" | "b_to_a", "events", "goldstein", "facts"}],
// "totals": {"a_to_b": {"events", "goldstein"}, "b_to_a": {...}},
// "truncated": false}.
struct DyadView {
  storage::Node a;
  storage::Node b;
  std::string by;  // "month" or "year"
  std::vector<DyadBucketView> buckets;
  graph::DyadTotals a_to_b;
  graph::DyadTotals b_to_a;
  std::string truncated_by;
};
std::string DyadJson(const DyadView& answer);
void WriteDyadJson(JsonWriter& w, const DyadView& answer);
std::string DyadTable(const DyadView& answer);

std::string StatsJson(const storage::Stats& stats);
std::string StatsTable(const storage::Stats& stats);

// {"error": {"code", "message", "candidates": [node...]}}; candidates only
// for an ambiguous name.
std::string ErrorJson(const Status& status, const std::vector<storage::Node>& candidates);

}  // namespace dyad::service
