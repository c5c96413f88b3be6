// The `dyad` command line (cli.md is the contract): load, find, facts and
// stats on an embedded store given by --db (or DYAD_DB).
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "graph/vocabulary.h"
#include "service/exit_codes.h"
#include "service/render.h"
#include "storage/dates.h"
#include "storage/loader.h"
#include "storage/store.h"

namespace dyad::service {
namespace {

namespace fs = std::filesystem;
using storage::Store;

struct GlobalFlags {
  std::string db;
  std::string predicates;  // a vocabulary file replacing the built-in one
  std::string format;      // table | json; empty: table on a terminal, else json
  bool json() const { return format == "json" || (format.empty() && !::isatty(STDOUT_FILENO)); }
};

struct FilterFlags {
  std::string direction = "both";
  std::vector<std::string> predicates;
  std::vector<std::string> labels;
  std::string from, to, min_confidence, timeout;

  void AddTo(CLI::App* cmd) {
    cmd->add_option("--direction", direction,
                    "Follow facts out of, into, or both ways (default both)")
        ->check(CLI::IsMember({"out", "in", "both"}));
    cmd->add_option("--predicate", predicates, "Only these predicates (repeatable)");
    cmd->add_option("--label", labels,
                    "Only facts whose other end has one of these labels (repeatable)");
    cmd->add_option("--from", from, "Facts valid at any point on or after this date (YYYY-MM-DD)");
    cmd->add_option("--to", to, "Facts valid at any point on or before this date (YYYY-MM-DD)");
    cmd->add_option("--min-confidence", min_confidence,
                    "Facts with at least this confidence, in [0, 1]");
    cmd->add_option(
        "--timeout", timeout,
        "Stop after this many milliseconds and answer what was found, marked truncated");
  }

  // Set by ToFilter(); the deadline itself starts when the query does.
  mutable std::optional<long long> timeout_ms;

  Result<storage::FactFilter> ToFilter(const graph::Vocabulary& vocabulary) const {
    storage::FactFilter f;
    f.symmetric_predicates = vocabulary.SymmetricPredicates();
    f.direction = direction == "out"  ? storage::Direction::kOut
                  : direction == "in" ? storage::Direction::kIn
                                      : storage::Direction::kBoth;
    f.predicates = predicates;
    f.labels = labels;
    if (!from.empty()) {
      Result<storage::DayCode> d = storage::ParseDay(from);
      if (!d.ok()) return d.status().WithContext("--from");
      f.from = *d;
    }
    if (!to.empty()) {
      Result<storage::DayCode> d = storage::ParseDay(to);
      if (!d.ok()) return d.status().WithContext("--to");
      f.to = *d;
    }
    if (f.from != storage::kOpenDay && f.to != storage::kOpenDay && f.to < f.from) {
      return Status::InvalidArgument("--to: must not be before --from");
    }
    if (!min_confidence.empty()) {
      char* end = nullptr;
      errno = 0;
      double c = std::strtod(min_confidence.c_str(), &end);
      if (errno != 0 || end == min_confidence.c_str() || *end != '\0' || !(c >= 0.0 && c <= 1.0)) {
        return Status::InvalidArgument(
            fmt::format("--min-confidence: \"{}\" is not a number in [0, 1]", min_confidence));
      }
      f.min_confidence = c;
    }
    if (!timeout.empty()) {
      char* end = nullptr;
      errno = 0;
      long long ms = std::strtoll(timeout.c_str(), &end, 10);
      if (errno != 0 || end == timeout.c_str() || *end != '\0' || ms < 0) {
        return Status::InvalidArgument(
            fmt::format("--timeout: \"{}\" is not a number of milliseconds", timeout));
      }
      timeout_ms = ms;
    }
    return f;
  }
};

// Prints a failure the way cli.md asks (JSON error object on stdout in json
// mode, the message on stderr always) and returns its exit code.
int Fail(const GlobalFlags& g, const Status& status, const Store* store = nullptr) {
  std::vector<storage::Node> candidates;
  if (store != nullptr) {
    for (const auto& id : status.candidates()) {
      Result<storage::NodeId> nid = store->Resolve(id);
      if (!nid.ok()) continue;
      Result<storage::Node> n = store->GetNode(*nid);
      if (n.ok()) candidates.push_back(std::move(*n));
    }
  }
  if (g.json()) std::cout << ErrorJson(status, candidates) << "\n";
  std::cerr << "dyad: " << status.message() << "\n";
  return ToExitCode(status);
}

Result<std::unique_ptr<Store>> OpenStore(const GlobalFlags& g, bool create) {
  storage::StoreOptions options;
  options.create_if_missing = create;
  return Store::Open(g.db, options);
}

// Progress on stderr when it is a terminal, at most a few times a second.
class ProgressLine {
 public:
  ProgressLine() : enabled_(::isatty(STDERR_FILENO)) {}
  ~ProgressLine() {
    if (shown_) std::fputs("\n", stderr);
  }
  void Update(const storage::LoadProgress& p) {
    if (!enabled_ || p.seconds - last_ < 0.25) return;
    last_ = p.seconds;
    shown_ = true;
    double rate = p.seconds > 0 ? static_cast<double>(p.facts) / p.seconds : 0;
    std::string eta;
    if (p.bytes_total > 0 && p.bytes_read > 0) {
      double left =
          p.seconds * (static_cast<double>(p.bytes_total) / static_cast<double>(p.bytes_read) - 1);
      eta = fmt::format(
          "  {:.0f}%  ETA {:.0f} s",
          100.0 * static_cast<double>(p.bytes_read) / static_cast<double>(p.bytes_total), left);
    }
    std::fprintf(stderr, "\r%llu lines  %.0f facts/s%s   ",
                 static_cast<unsigned long long>(p.lines), rate, eta.c_str());
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  bool shown_ = false;
  double last_ = -1;
};

int RunLoad(const GlobalFlags& g, const std::vector<std::string>& files, bool skip_bad, bool sync,
            size_t batch) {
  std::vector<storage::LoadInput> inputs;
  std::vector<int> to_close;
  for (const auto& f : files) {
    if (f == "-") {
      inputs.push_back({"<stdin>", STDIN_FILENO});
      continue;
    }
    int fd = ::open(f.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      for (int c : to_close) ::close(c);
      return Fail(g, Status::IOError(fmt::format("cannot read {}: {}", f, std::strerror(errno))));
    }
    to_close.push_back(fd);
    inputs.push_back({f, fd});
  }
  Result<std::unique_ptr<Store>> store = OpenStore(g, /*create=*/true);
  if (!store.ok()) {
    for (int c : to_close) ::close(c);
    return Fail(g, store.status());
  }
  storage::LoadOptions options;
  options.skip_bad = skip_bad;
  options.sync = sync;
  options.batch_records = batch;
  storage::LoadSummary summary;
  Status s;
  {
    ProgressLine progress;
    options.on_progress = [&](const storage::LoadProgress& p) { progress.Update(p); };
    storage::Loader loader(**store, options);
    s = loader.Load(inputs, &summary);
  }
  for (int c : to_close) ::close(c);
  if (!s.ok() && !s.IsInvalidArgument()) return Fail(g, s);
  std::cout << (g.json() ? LoadSummaryJson(summary) + "\n" : LoadSummaryTable(summary));
  if (!s.ok()) std::cerr << "dyad: " << s.message() << "\n";
  return ToExitCode(s);
}

int RunFind(const GlobalFlags& g, std::string name, std::string label) {
  Result<std::unique_ptr<Store>> store = OpenStore(g, false);
  if (!store.ok()) return Fail(g, store.status());
  if (label.empty()) {
    // "Label:Name" qualifies a name as on every other command.
    if (size_t colon = name.find(':');
        colon != std::string::npos && (*store)->LabelIdOf(name.substr(0, colon))) {
      label = name.substr(0, colon);
      name = name.substr(colon + 1);
    }
  }
  std::optional<std::string_view> scope;
  if (!label.empty()) scope = label;
  Result<std::vector<storage::NodeId>> ids = (*store)->FindByName(name, scope);
  if (!ids.ok()) return Fail(g, ids.status().WithContext("NAME"));
  if (ids->empty() && label.empty()) {
    // An external id is a name too ("Q159"; "Person:ashfaq-parvez-kayani"
    // is also Label:Name). With --label, only that label's names count.
    Result<storage::NodeId> by_id = (*store)->Resolve(name);
    if (by_id.ok()) ids->push_back(*by_id);
  }
  std::vector<storage::Node> matches;
  for (storage::NodeId id : *ids) {
    Result<storage::Node> n = (*store)->GetNode(id);
    if (!n.ok()) return Fail(g, n.status());
    matches.push_back(std::move(*n));
  }
  std::cout << (g.json() ? FindJson(matches) + "\n" : FindTable(matches));
  if (matches.empty()) {
    std::cerr << "dyad: no node named \"" << name << "\"\n";
    return kExitNotFound;
  }
  if (matches.size() > 1) {
    std::cerr << "dyad: \"" << name << "\" is ambiguous: " << matches.size()
              << " nodes match; qualify it as Label:Name\n";
    return kExitAmbiguous;
  }
  return kExitOk;
}

// The vocabulary of --predicates (or DYAD_PREDICATES), else the built-in one.
Result<graph::Vocabulary> LoadVocabulary(const GlobalFlags& g) {
  if (g.predicates.empty()) return graph::Vocabulary::Default();
  return graph::Vocabulary::LoadFile(g.predicates);
}

int RunFacts(const GlobalFlags& g, const std::string& node_ref, const FilterFlags& flags) {
  Result<graph::Vocabulary> vocabulary = LoadVocabulary(g);
  if (!vocabulary.ok()) return Fail(g, vocabulary.status());
  Result<storage::FactFilter> filter = flags.ToFilter(*vocabulary);
  if (!filter.ok()) return Fail(g, filter.status());
  Result<std::unique_ptr<Store>> store = OpenStore(g, false);
  if (!store.ok()) return Fail(g, store.status());
  const Store& st = **store;
  Result<storage::NodeId> id = st.Resolve(node_ref);
  if (!id.ok()) return Fail(g, id.status(), &st);
  Result<storage::Node> node = st.GetNode(*id);
  if (!node.ok()) return Fail(g, node.status());
  if (flags.timeout_ms) {
    filter->deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(*flags.timeout_ms);
  }
  Result<storage::FactList> facts = st.FactsOf(*id, *filter);
  if (!facts.ok()) return Fail(g, facts.status());
  std::vector<FactView> views;
  std::unordered_map<storage::NodeId, storage::Node> nodes;
  auto node_of = [&](storage::NodeId nid) -> Result<storage::Node> {
    if (auto it = nodes.find(nid); it != nodes.end()) return it->second;
    DYAD_ASSIGN_OR_RETURN(storage::Node n, st.GetNode(nid));
    nodes.emplace(nid, n);
    return n;
  };
  for (auto& f : facts->facts) {
    Result<storage::Node> s = node_of(f.subject);
    Result<storage::Node> o = node_of(f.object);
    if (!s.ok()) return Fail(g, s.status());
    if (!o.ok()) return Fail(g, o.status());
    views.push_back({std::move(f), std::move(*s), std::move(*o)});
  }
  std::cout << (g.json() ? FactsJson(*node, views, facts->truncated) + "\n"
                         : FactsTable(*node, views, facts->truncated));
  return kExitOk;
}

int RunStats(const GlobalFlags& g) {
  Result<std::unique_ptr<Store>> store = OpenStore(g, false);
  if (!store.ok()) return Fail(g, store.status());
  storage::Stats stats = (*store)->GetStats();
  std::cout << (g.json() ? StatsJson(stats) + "\n" : StatsTable(stats));
  return kExitOk;
}

int Main(int argc, char** argv) {
  CLI::App app{"dyad: a knowledge graph store for relations between countries", "dyad"};
  app.set_version_flag("--version", "dyad 0.1.0");
  app.require_subcommand(1);
  app.fallthrough();  // global flags may follow the command: `dyad find X --db D`
  GlobalFlags g;
  app.add_option("--db", g.db, "Store directory (embedded mode)")->envname("DYAD_DB");
  app.add_option("--predicates", g.predicates,
                 "Predicate vocabulary (TSV as graph/predicates.tsv) replacing the built-in one")
      ->envname("DYAD_PREDICATES");
  app.add_option("--format", g.format, "Output: table (default on a terminal) or json")
      ->check(CLI::IsMember({"table", "json"}));

  std::vector<std::string> files;
  bool skip_bad = false, sync = false;
  size_t batch = storage::LoadOptions{}.batch_records;
  CLI::App* load =
      app.add_subcommand("load", "Load JSON Lines fact files (or - for stdin) into the store");
  load->add_option("files", files, "Fact files, or - for standard input")->required();
  load->add_flag("--skip-bad", skip_bad,
                 "Load every good line and list every bad one (exit 3 if any)");
  load->add_flag("--sync", sync, "fsync each committed chunk");
  load->add_option("--batch", batch, "Records per atomic chunk")
      ->check(CLI::Range(size_t{1}, size_t{10'000'000}))
      ->capture_default_str();

  std::string name, label;
  CLI::App* find = app.add_subcommand("find", "Find nodes by name or alias");
  find->add_option("name", name, "A name or alias, optionally Label:Name")->required();
  find->add_option("--label", label, "Only nodes of this label");

  std::string node_ref;
  FilterFlags filters;
  CLI::App* facts = app.add_subcommand("facts", "A node's facts with their sources");
  facts->add_option("node", node_ref, "A name, alias, Label:Name or id")->required();
  filters.AddTo(facts);

  CLI::App* stats =
      app.add_subcommand("stats", "Counts of nodes, facts, sources, labels, predicates");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (g.db.empty()) {
    std::cerr << "dyad: --db: no store given (use --db DIR or set DYAD_DB)\n";
    return kExitUsage;
  }
  if (!g.predicates.empty()) {  // a bad vocabulary fails every command, not only those using it
    Result<graph::Vocabulary> vocabulary = LoadVocabulary(g);
    if (!vocabulary.ok()) return Fail(g, vocabulary.status());
  }
  if (*load) return RunLoad(g, files, skip_bad, sync, batch);
  if (*find) return RunFind(g, name, label);
  if (*facts) return RunFacts(g, node_ref, filters);
  if (*stats) return RunStats(g);
  return kExitUsage;
}

}  // namespace
}  // namespace dyad::service

int main(int argc, char** argv) { return dyad::service::Main(argc, argv); }
