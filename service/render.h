// Rendering of answers for the command line: the JSON shapes of cli.md (a
// contract: names and shapes stay stable) and free-form tables for people.
// The same functions render an embedded answer and one from a server, which
// is what makes the two byte-for-byte equal.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

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
std::string FactsTable(const storage::Node& node, const std::vector<FactView>& facts,
                       bool truncated);

std::string StatsJson(const storage::Stats& stats);
std::string StatsTable(const storage::Stats& stats);

// {"error": {"code", "message", "candidates": [node...]}}; candidates only
// for an ambiguous name.
std::string ErrorJson(const Status& status, const std::vector<storage::Node>& candidates);

}  // namespace dyad::service
