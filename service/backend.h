// The questions a front end asks dyad, and the one interface that answers
// them whether the store is embedded in this process (EmbeddedBackend) or
// held by a server (RemoteBackend). Both answer in the views of render.h, so
// the command line renders an answer the same way whichever way it came;
// the server answers RPCs from an EmbeddedBackend.
// A Backend is used from one thread at a time unless its own header says
// otherwise.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "graph/query.h"
#include "service/export.h"
#include "service/render.h"
#include "storage/loader.h"
#include "storage/model.h"
#include "storage/status.h"

namespace dyad::service {

using Clock = std::chrono::steady_clock;

// The filters and time limits every query takes (cli.md's filters).
struct QueryFilters {
  storage::Direction direction = storage::Direction::kBoth;
  std::vector<std::string> predicates;
  std::vector<std::string> labels;
  storage::DayCode from = storage::kOpenDay;
  storage::DayCode to = storage::kOpenDay;
  double min_confidence = 0.0;
  // --timeout: counted from the moment the query starts, after the store
  // and the snapshot are open.
  std::optional<std::chrono::milliseconds> timeout;
  // A point the query must not run past whatever the timeout (a server
  // call's own deadline).
  std::optional<Clock::time_point> deadline;
  // True once the caller has gone (a cancelled call): the query stops.
  std::function<bool()> cancelled;

  // The deadline of a query starting now: the earlier of the two limits.
  std::optional<Clock::time_point> DeadlineFromNow() const;
};

// Checks the parts of a filter that a flag or a request can get wrong
// (--to before --from, a confidence outside [0, 1]); `prefix` names the
// fields ("--" for flags, "filters." for a request).
Status CheckFilters(const QueryFilters& filters, std::string_view prefix);

struct FactsRequest {
  std::string node;  // a name, alias, Label:Name or id
  QueryFilters filters;
};

struct FactsView {
  storage::Node node;
  std::vector<FactView> facts;  // ordered by subject, predicate, object, valid_from
  bool truncated = false;
};

struct NeighboursRequest {
  std::string node;
  int depth = 1;
  size_t limit = graph::QueryLimits{}.max_nodes;
  QueryFilters filters;
  bool with_facts = true;  // false: nodes only
};

struct PathsRequest {
  std::string from;
  std::string to;
  graph::PathMode mode = graph::PathMode::kShortest;  // kShortest, kAllShortest or kKShortest
  size_t k = 1;                                       // for kKShortest
  bool weighted = false;
  int max_depth = graph::QueryLimits{}.max_depth;
  size_t limit = graph::QueryLimits{}.max_paths;
  QueryFilters filters;
};

struct DyadRequest {
  std::string a;
  std::string b;
  graph::Period by = graph::Period::kMonth;
  QueryFilters filters;
  bool with_facts = true;  // false: counts and weights only
};

// What `dyad export` and the Export RPC write (service/export.h): the
// whole store, a neighbourhood (around + depth) or the facts of a dyad.
struct ExportRequest {
  ExportFormat format = ExportFormat::kJsonl;
  enum class Scope { kStore, kAround, kDyad };
  Scope scope = Scope::kStore;
  std::string around;                             // kAround: the centre
  int depth = 1;                                  // kAround: hops
  size_t limit = graph::QueryLimits{}.max_nodes;  // kAround: most nodes
  std::string a, b;                               // kDyad: the two countries (or any nodes)
  // The query filters; a whole-store export has no direction (every fact
  // counts once), so it takes only kBoth.
  QueryFilters filters;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // Loads the inputs (each read to its end) and fills *summary, also on
  // failure; the Status is the Loader's (InvalidArgument for bad lines).
  virtual Status Load(const std::vector<storage::LoadInput>& inputs,
                      const storage::LoadOptions& options, storage::LoadSummary* summary) = 0;
  // Nodes whose name or alias matches, with their aliases; an empty label
  // means any. Several matches are an answer, not an error.
  virtual Result<std::vector<storage::Node>> Find(const std::string& name,
                                                  const std::string& label) = 0;
  virtual Result<FactsView> Facts(const FactsRequest& request) = 0;
  virtual Result<NeighboursView> Neighbours(const NeighboursRequest& request) = 0;
  virtual Result<PathsView> Paths(const PathsRequest& request) = 0;
  virtual Result<DyadView> Dyad(const DyadRequest& request) = 0;
  virtual Result<storage::Stats> Stats() = 0;
  // Writes the export into `sink` as it goes (a whole store in memory
  // that does not grow with it). The summary says how much was written and
  // which limit, if any, cut it short; the output is a whole document in
  // either case.
  virtual Result<ExportSummary> Export(const ExportRequest& request, const ExportSink& sink) = 0;
  // A consistent copy of the store in `dest` (a new directory, on the
  // machine that holds the store), taken while it serves and loads
  // (Store::Backup); the RocksDB sequence number the copy reflects.
  virtual Result<uint64_t> Backup(const std::string& dest) = 0;

  // The nodes an Ambiguous status names, for cli.md's error JSON.
  virtual std::vector<storage::Node> CandidatesOf(const Status& status) = 0;
};

}  // namespace dyad::service
