// Exports of the graph for other tools: GraphML (Gephi, networkx), DOT
// (Graphviz), Cytoscape.js `elements` JSON, the fact format itself (JSON
// Lines, which loads back into an equal store) and CSV in the
// `neo4j-admin database import` convention (nodes.csv and edges.csv).
//
// One fact is one edge. The graph formats (GraphML, Cytoscape, CSV) carry,
// per node, its label, name, aliases and external id, and per edge its
// predicate, validity dates, confidence, number of sources and Goldstein
// weight (from the vocabulary; none for a structural predicate); DOT shows
// them for people (docs/export.md); the fact format has what a load needs.
// Nodes are named `n<id>` after their internal id in every format, so two
// exports of one store name a node alike.
//
// A whole store streams from one consistent view of it, in memory that
// does not grow with the store: nodes first, then facts in key order, with
// the nodes at their ends when a format or a filter needs them
// (service/export_ends.h). A subgraph (a neighbourhood, the facts of
// a dyad) is small and goes through Boost.Graph's own writers for GraphML
// and DOT; the streaming writers give the same bytes for the same graph.
// Pure functions of their inputs; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "graph/vocabulary.h"
#include "storage/model.h"
#include "storage/status.h"
#include "storage/store.h"

namespace dyad::service {

enum class ExportFormat { kGraphml, kDot, kCytoscape, kJsonl, kCsv };

// "graphml", "dot", "cytoscape", "jsonl", "csv".
std::string_view ExportFormatName(ExportFormat format);
std::optional<ExportFormat> ParseExportFormat(std::string_view name);
// Every format's name, in the order of ExportFormat.
std::vector<std::string> ExportFormatNames();

// The files of a CSV export; every other format is one stream.
inline constexpr std::string_view kCsvNodesFile = "nodes.csv";
inline constexpr std::string_view kCsvEdgesFile = "edges.csv";

// Receives an export in pieces, in order. `file` is empty for the formats
// of one stream and names the file for CSV (all of nodes.csv comes before
// edges.csv). A failure the sink returns stops the export.
using ExportSink = std::function<Status(std::string_view file, std::string_view data)>;

// What an export wrote, and the limit that cut it short ("deadline",
// "nodes", ...), empty when none did.
struct ExportSummary {
  uint64_t nodes = 0;
  uint64_t edges = 0;
  std::string truncated_by;
};

// Which part of a whole store goes out, and when to stop. Nodes of other labels are left
// out, and so is every fact with an end among them; facts must pass the
// predicate, window and confidence filters. Nodes without a fact that
// passes are still exported (a store's isolated entities too).
struct StoreExportOptions {
  std::vector<std::string> predicates;  // empty: any
  std::vector<std::string> labels;      // empty: any
  storage::DayCode from = storage::kOpenDay;
  storage::DayCode to = storage::kOpenDay;
  double min_confidence = 0.0;
  // Stops the export with truncated_by "deadline" (the output so far is
  // still a whole document); a check that returns true stops it as
  // Cancelled.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  std::function<bool()> cancelled;
  // A format that names the nodes at a fact's ends (JSON Lines), or a
  // label filter, finds them through temporary files ($TMPDIR, else /tmp;
  // unlinked from the start), holding the ends of this many nodes in memory
  // at once (64 bytes each; service/export_ends.h).
  uint64_t end_range_nodes = 8192;
};

// The whole store (or its filtered part) in `format`, into `sink`.
Result<ExportSummary> ExportStore(const storage::Store& store, const StoreExportOptions& options,
                                  ExportFormat format, const graph::Vocabulary& vocabulary,
                                  const ExportSink& sink);

// A small graph: nodes, and facts whose ends are all among them.
struct Subgraph {
  std::vector<storage::Node> nodes;
  std::vector<storage::Fact> facts;
};

// A subgraph in `format`; GraphML and DOT through Boost.Graph's writers.
// InvalidArgument if a fact's end is not among the nodes.
Result<ExportSummary> ExportSubgraph(const Subgraph& subgraph, ExportFormat format,
                                     const graph::Vocabulary& vocabulary, const ExportSink& sink);

// The same subgraph through the streaming writers a whole-store export
// uses (tests hold the two to the same bytes).
Result<ExportSummary> ExportSubgraphStreaming(const Subgraph& subgraph, ExportFormat format,
                                              const graph::Vocabulary& vocabulary,
                                              const ExportSink& sink);

}  // namespace dyad::service
