// The `dyad` command line (cli.md is the contract): load, find, facts,
// neighbours, path, dyad and stats on an embedded store given by --db (or
// DYAD_DB), or on a server given by --server (or DYAD_SERVER), with the same
// answers either way; and `serve`, the gRPC server. Embedded graph queries
// run on the snapshot persisted beside the store, which `load` brings up to
// date so that a query does not wait for a rebuild.
#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "graph/query.h"
#include "graph/vocabulary.h"
#include "service/ack_log.h"
#include "service/backend.h"
#include "service/embedded_backend.h"
#include "service/exit_codes.h"
#include "service/json_writer.h"
#include "service/remote_backend.h"
#include "service/render.h"
#include "service/server.h"
#include "service/timeline_svg.h"
#include "storage/dates.h"
#include "storage/loader.h"
#include "storage/store.h"

namespace dyad::service {
namespace {

struct GlobalFlags {
  std::string db;
  std::string server;  // host:port: ask a server instead of opening --db
  std::string token;
  std::string tls_ca;
  std::string predicates;  // a vocabulary file replacing the built-in one
  std::string format;      // table | json; empty: table on a terminal, else json
  bool json() const { return format == "json" || (format.empty() && !::isatty(STDOUT_FILENO)); }
};

// The flags behind QueryFilters, shared by facts, neighbours, path and dyad.
struct FilterFlags {
  std::string direction = "both";
  std::vector<std::string> predicates;
  std::vector<std::string> labels;
  std::string from, to, min_confidence, timeout;
  // The flag of the window's end: `export` has --to for its format
  // (cli.md), so there the window ends with --until.
  std::string to_flag = "--to";

  void AddTo(CLI::App* cmd) {
    cmd->add_option("--direction", direction,
                    "Follow facts out of, into, or both ways (default both)")
        ->check(CLI::IsMember({"out", "in", "both"}));
    cmd->add_option("--predicate", predicates, "Only these predicates (repeatable)");
    cmd->add_option("--label", labels,
                    "Only facts whose other end has one of these labels (repeatable)");
    cmd->add_option("--from", from, "Facts valid at any point on or after this date (YYYY-MM-DD)");
    cmd->add_option(to_flag, to, "Facts valid at any point on or before this date (YYYY-MM-DD)");
    cmd->add_option("--min-confidence", min_confidence,
                    "Facts with at least this confidence, in [0, 1]");
    cmd->add_option(
        "--timeout", timeout,
        "Stop after this many milliseconds and answer what was found, marked truncated");
  }

  // InvalidArgument naming the flag for a malformed value (exit 3).
  Result<QueryFilters> Parse() const {
    QueryFilters f;
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
      if (!d.ok()) return d.status().WithContext(to_flag);
      f.to = *d;
    }
    if (f.from != storage::kOpenDay && f.to != storage::kOpenDay && f.to < f.from) {
      return Status::InvalidArgument(fmt::format("{}: must not be before --from", to_flag));
    }
    DYAD_RETURN_IF_ERROR(CheckFilters(f, "--"));
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
      f.timeout = std::chrono::milliseconds(ms);
    }
    return f;
  }
};

// Prints a failure the way cli.md asks (JSON error object on stdout in json
// mode, the message on stderr always) and returns its exit code.
int Fail(const GlobalFlags& g, const Status& status, Backend* backend = nullptr) {
  std::vector<storage::Node> candidates;
  if (backend != nullptr) candidates = backend->CandidatesOf(status);
  if (g.json()) std::cout << ErrorJson(status, candidates) << "\n";
  std::cerr << "dyad: " << status.message() << "\n";
  return ToExitCode(status);
}

// The vocabulary of --predicates (or DYAD_PREDICATES), else the built-in one.
Result<graph::Vocabulary> LoadVocabulary(const GlobalFlags& g) {
  if (g.predicates.empty()) return graph::Vocabulary::Default();
  return graph::Vocabulary::LoadFile(g.predicates);
}

Result<std::string> ReadSmallFile(const std::string& path, std::string_view flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(fmt::format("{}: cannot read {}", flag, path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Writes `text` to `path`, replacing the file; IOError naming `flag` and the
// file when it cannot.
Status WriteSmallFile(const std::string& path, std::string_view text, std::string_view flag) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) {
    return Status::IOError(
        fmt::format("{}: cannot write {}: {}", flag, path, std::strerror(errno)));
  }
  const bool written = std::fwrite(text.data(), 1, text.size(), file) == text.size();
  const int write_errno = errno;
  const bool closed = std::fclose(file) == 0;
  if (!written || !closed) {
    return Status::IOError(fmt::format("{}: cannot write {}: {}", flag, path,
                                       std::strerror(written ? errno : write_errno)));
  }
  return Status::OK();
}

// The store the command works on: the server of --server, else the
// directory of --db. Only `load` creates a store; queries open it
// query-only (no compaction: a one-off question on a big store).
Result<std::unique_ptr<Backend>> OpenBackend(const GlobalFlags& g, bool for_load) {
  if (!g.server.empty()) {
    RemoteOptions options;
    options.address = g.server;
    options.token = g.token;
    if (!g.tls_ca.empty()) {
      DYAD_ASSIGN_OR_RETURN(options.tls_ca_pem, ReadSmallFile(g.tls_ca, "--tls-ca"));
    }
    return std::unique_ptr<Backend>(std::make_unique<RemoteBackend>(options));
  }
  DYAD_ASSIGN_OR_RETURN(graph::Vocabulary vocabulary, LoadVocabulary(g));
  EmbeddedOptions options;
  options.create_if_missing = for_load;
  options.query_only = !for_load;
  options.persist_graph_after_load = for_load;
  DYAD_ASSIGN_OR_RETURN(std::unique_ptr<EmbeddedBackend> backend,
                        EmbeddedBackend::Open(g.db, std::move(vocabulary), options));
  return std::unique_ptr<Backend>(std::move(backend));
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
    // Through a server, only the lines sent are known here.
    const bool facts_known = p.facts > 0 || p.lines == 0;
    const double count = static_cast<double>(facts_known ? p.facts : p.lines);
    const double rate = p.seconds > 0 ? count / p.seconds : 0;
    std::string eta;
    if (p.bytes_total > 0 && p.bytes_read > 0) {
      double left =
          p.seconds * (static_cast<double>(p.bytes_total) / static_cast<double>(p.bytes_read) - 1);
      eta = fmt::format(
          "  {:.0f}%  ETA {:.0f} s",
          100.0 * static_cast<double>(p.bytes_read) / static_cast<double>(p.bytes_total), left);
    }
    std::fprintf(stderr, "\r%llu lines  %.0f %s/s%s   ", static_cast<unsigned long long>(p.lines),
                 rate, facts_known ? "facts" : "lines", eta.c_str());
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  bool shown_ = false;
  double last_ = -1;
};

int RunLoad(const GlobalFlags& g, const std::vector<std::string>& files, bool skip_bad, bool sync,
            size_t batch, const std::string& ack_log_path) {
  if (!ack_log_path.empty() && !g.server.empty()) {
    return Fail(g, Status::InvalidArgument(
                       "--ack-log: a server's loader commits the chunks; give it to the server "
                       "(dyad serve --ack-log FILE)"));
  }
  std::unique_ptr<AckLog> ack_log;
  if (!ack_log_path.empty()) {
    Result<std::unique_ptr<AckLog>> opened = AckLog::Open(ack_log_path);
    if (!opened.ok()) return Fail(g, opened.status());
    ack_log = std::move(*opened);
  }
  std::vector<storage::LoadInput> inputs;
  struct Closer {
    std::vector<int> fds;
    ~Closer() {
      for (int fd : fds) ::close(fd);
    }
  } closer;
  for (const auto& f : files) {
    if (f == "-") {
      inputs.push_back({"<stdin>", STDIN_FILENO, {}});
      continue;
    }
    int fd = ::open(f.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return Fail(g, Status::IOError(fmt::format("cannot read {}: {}", f, std::strerror(errno))));
    }
    closer.fds.push_back(fd);
    inputs.push_back({f, fd, {}});
  }
  Result<std::unique_ptr<Backend>> backend = OpenBackend(g, /*for_load=*/true);
  if (!backend.ok()) return Fail(g, backend.status());
  storage::LoadOptions options;
  options.skip_bad = skip_bad;
  options.sync = sync;
  options.batch_records = batch;
  if (ack_log) {
    options.on_commit = [&](const storage::ChunkCommitted& c) { return ack_log->Record(c); };
  }
  storage::LoadSummary summary;
  Status s;
  {
    ProgressLine progress;
    options.on_progress = [&](const storage::LoadProgress& p) { progress.Update(p); };
    s = (*backend)->Load(inputs, options, &summary);
  }
  // A load that met bad lines, or committed something before failing,
  // still prints its summary: it says how far the load got.
  if (!s.ok() && !s.IsInvalidArgument() && summary.committed_lines == 0) return Fail(g, s);
  std::cout << (g.json() ? LoadSummaryJson(summary) + "\n" : LoadSummaryTable(summary))
            << std::flush;
  if (!s.ok()) std::cerr << "dyad: " << s.message() << "\n";
  return ToExitCode(s);
}

int RunFind(const GlobalFlags& g, const std::string& name, const std::string& label) {
  Result<std::unique_ptr<Backend>> backend = OpenBackend(g, false);
  if (!backend.ok()) return Fail(g, backend.status());
  Result<std::vector<storage::Node>> matches = (*backend)->Find(name, label);
  if (!matches.ok()) return Fail(g, matches.status());
  std::cout << (g.json() ? FindJson(*matches) + "\n" : FindTable(*matches));
  if (matches->empty()) {
    std::cerr << "dyad: no node named \"" << name << "\"\n";
    return kExitNotFound;
  }
  if (matches->size() > 1) {
    std::cerr << "dyad: \"" << name << "\" is ambiguous: " << matches->size()
              << " nodes match; qualify it as Label:Name\n";
    return kExitAmbiguous;
  }
  return kExitOk;
}

// A one-off query has nothing left to write once its answer is out (its
// store was opened query-only; an image it built was persisted before it
// answered). So the process ends there, without unwinding: freeing a hub's
// answer, closing RocksDB and unmapping the graph image took a tenth of a
// cold query at L. The sanitizer build returns and unwinds, so that
// LeakSanitizer still sees everything.
int EndAfterAnswer(int code) {
  std::cout.flush();
#if !defined(DYAD_SANITIZE)
  std::_Exit(code);
#endif
  return code;
}

// An answer as --format says: JSON written out as it is made (a hub's
// answer is megabytes), or a table.
template <class WriteJson, class Table>
void PrintAnswer(const GlobalFlags& g, std::ostream& out, WriteJson write_json, Table table) {
  if (!g.json()) {
    out << table();
    return;
  }
  JsonWriter w(&out);
  write_json(w);
  w.Flush();
  out << "\n";
}

// Runs one query: flags first, then the store, so that a malformed flag is
// reported (exit 3) whether or not the store is there.
template <class Request, class Ask, class Print>
int RunQuery(const GlobalFlags& g, Request request, const FilterFlags& flags, Ask ask,
             Print print) {
  Result<QueryFilters> filters = flags.Parse();
  if (!filters.ok()) return Fail(g, filters.status());
  request.filters = std::move(*filters);
  Result<std::unique_ptr<Backend>> backend = OpenBackend(g, false);
  if (!backend.ok()) return Fail(g, backend.status());
  auto answer = ask(**backend, request);
  if (!answer.ok()) return Fail(g, answer.status(), backend->get());
  print(*answer, std::cout);
  return EndAfterAnswer(kExitOk);
}

int RunStats(const GlobalFlags& g) {
  Result<std::unique_ptr<Backend>> backend = OpenBackend(g, false);
  if (!backend.ok()) return Fail(g, backend.status());
  Result<storage::Stats> stats = (*backend)->Stats();
  if (!stats.ok()) return Fail(g, stats.status());
  std::cout << (g.json() ? StatsJson(*stats) + "\n" : StatsTable(*stats));
  return EndAfterAnswer(kExitOk);
}

struct ExportFlags {
  std::string to;
  std::string out;
  std::string around;
  std::vector<std::string> dyad;  // A B
};

// Where an export goes: stdout, or the --out file (or the files in the
// --out directory, for CSV). Files are written under a ".partial" name and
// renamed when the export is whole, so a failed export leaves none behind
// looking finished; what is not a regular file (/dev/null, a named pipe)
// is written directly.
class ExportFiles {
 public:
  explicit ExportFiles(std::filesystem::path out) : out_(std::move(out)) {}
  ~ExportFiles() {
    for (auto& [name, file] : files_) {
      if (file.stream != nullptr) std::fclose(file.stream);  // null: Commit closed it
      // Still there only if not committed.
      if (file.partial != file.final_path) std::filesystem::remove(file.partial);
    }
  }

  Status Write(std::string_view name, std::string_view data) {
    if (out_.empty()) return Put(stdout, "", "standard output", data);
    auto it = files_.find(std::string(name));
    if (it == files_.end()) {
      const std::filesystem::path final_path = name.empty() ? out_ : out_ / name;
      File file{final_path, final_path.string() + ".partial", nullptr};
      std::error_code ec;
      if (std::filesystem::exists(final_path, ec) &&
          !std::filesystem::is_regular_file(final_path, ec)) {
        file.partial = final_path;  // /dev/null, a pipe: written as it goes
      }
      file.stream = std::fopen(file.partial.c_str(), "wb");
      if (file.stream == nullptr) {
        return Status::IOError(
            fmt::format("--out: cannot write {}: {}", file.partial.string(), std::strerror(errno)));
      }
      it = files_.emplace(std::string(name), std::move(file)).first;
    }
    return Put(it->second.stream, "--out: ", it->second.partial.string(), data);
  }

  // Every file under its own name; false files were never written (an
  // export of no nodes still writes its headers, so there always are some).
  Status Commit() {
    if (out_.empty()) {
      return std::fflush(stdout) == 0 ? Status::OK()
                                      : Status::IOError("cannot write standard output");
    }
    for (auto& [name, file] : files_) {
      const bool closed = std::fclose(file.stream) == 0;
      file.stream = nullptr;
      if (!closed) {
        return Status::IOError(
            fmt::format("--out: cannot write {}: {}", file.partial.string(), std::strerror(errno)));
      }
      if (file.partial == file.final_path) continue;
      std::error_code ec;
      std::filesystem::rename(file.partial, file.final_path, ec);
      if (ec) {
        return Status::IOError(
            fmt::format("--out: cannot write {}: {}", file.final_path.string(), ec.message()));
      }
    }
    files_.clear();
    return Status::OK();
  }

 private:
  struct File {
    std::filesystem::path final_path, partial;
    std::FILE* stream;
  };
  static Status Put(std::FILE* stream, std::string_view flag, const std::string& name,
                    std::string_view data) {
    if (std::fwrite(data.data(), 1, data.size(), stream) != data.size()) {
      return Status::IOError(
          fmt::format("{}cannot write {}: {}", flag, name, std::strerror(errno)));
    }
    return Status::OK();
  }

  std::filesystem::path out_;
  std::map<std::string, File> files_;
};

// `dyad export`: the export on stdout or into --out; with --out, a summary
// on stdout. A limit that cut the export short is reported on stderr (the
// export is still a whole document, exit 0, as a truncated query).
int RunExport(const GlobalFlags& g, ExportRequest request, const ExportFlags& f,
              const FilterFlags& flags) {
  // An export streams: it reads and writes blocks of a few KiB and output
  // pieces of 1 MiB, over and over. Huge pages (service/jemalloc_conf.cc)
  // gain such a process nothing and cost it 2 MiB of resident memory for
  // every region it touches: a whole-store DOT export at L peaked at 54.5 MB
  // with them and 37.0 MB without (a `dyad stats`: 38.5 MB), and ran no
  // slower (scripts/bench-export.sh). So an export process turns them off
  // for itself; a query keeps them. Best effort: a kernel without the
  // switch leaves them on.
  ::prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
  Result<QueryFilters> filters = flags.Parse();
  if (!filters.ok()) return Fail(g, filters.status());
  request.filters = std::move(*filters);
  request.format = *ParseExportFormat(f.to);  // CLI11 checked it
  if (!f.around.empty()) {
    request.scope = ExportRequest::Scope::kAround;
    request.around = f.around;
  } else if (!f.dyad.empty()) {
    request.scope = ExportRequest::Scope::kDyad;
    request.a = f.dyad[0];
    request.b = f.dyad[1];
  }
  if (request.scope == ExportRequest::Scope::kStore &&
      request.filters.direction != storage::Direction::kBoth) {
    return Fail(g, Status::InvalidArgument(
                       "--direction: a whole-store export has every fact once; a direction "
                       "needs --around or --dyad"));
  }
  if (request.format == ExportFormat::kCsv && f.out.empty()) {
    return Fail(g, Status::InvalidArgument(
                       "--out: a CSV export is two files (nodes.csv, edges.csv); give a "
                       "directory"));
  }
  Result<std::unique_ptr<Backend>> backend = OpenBackend(g, false);
  if (!backend.ok()) return Fail(g, backend.status());
  if (request.format == ExportFormat::kCsv) {
    std::error_code ec;
    std::filesystem::create_directories(f.out, ec);
    if (ec) {
      return Fail(g,
                  Status::IOError(fmt::format("--out: cannot make {}: {}", f.out, ec.message())));
    }
  }
  ExportFiles files(f.out);
  Result<ExportSummary> summary = (*backend)->Export(
      request,
      [&](std::string_view file, std::string_view data) { return files.Write(file, data); });
  Status committed = summary.ok() ? files.Commit() : summary.status();
  if (!committed.ok()) return Fail(g, committed, backend->get());
  if (!summary->truncated_by.empty()) {
    std::cerr << "dyad: the export is truncated: the " << summary->truncated_by
              << " limit cut it short\n";
  }
  if (!f.out.empty()) {
    if (g.json()) {
      JsonWriter w;
      w.BeginObject().Key("format").String(f.to).Key("out").String(f.out);
      w.Key("nodes").Uint(summary->nodes).Key("edges").Uint(summary->edges);
      w.Key("truncated").Bool(!summary->truncated_by.empty());
      if (!summary->truncated_by.empty()) w.Key("truncated_by").String(summary->truncated_by);
      w.EndObject();
      std::cout << w.str() << "\n";
    } else {
      std::cout << fmt::format("exported {} nodes and {} edges to {} ({}){}\n", summary->nodes,
                               summary->edges, f.out, f.to,
                               summary->truncated_by.empty()
                                   ? ""
                                   : ", truncated by the " + summary->truncated_by + " limit");
    }
  }
  return kExitOk;
}

// `dyad backup DEST`: a consistent copy of the store, made by this process
// (--db) or by the server that holds the store (--server; DEST is then a
// path on the server's machine).
int RunBackup(const GlobalFlags& g, const std::string& dest) {
  Result<std::unique_ptr<Backend>> backend = OpenBackend(g, false);
  if (!backend.ok()) return Fail(g, backend.status());
  Result<uint64_t> sequence = (*backend)->Backup(dest);
  if (!sequence.ok()) return Fail(g, sequence.status());
  if (g.json()) {
    JsonWriter w;
    w.BeginObject().Key("backup").String(dest).Key("sequence").Uint(*sequence).EndObject();
    std::cout << w.str() << "\n";
  } else {
    std::cout << fmt::format("backed up to {} (sequence {})\n", dest, *sequence);
  }
  return kExitOk;
}

// `dyad restore BACKUP --db DIR`: the backup copied into a new store
// directory, checked to be a dyad store before it gets its name.
int RunRestore(const GlobalFlags& g, const std::string& backup) {
  if (!g.server.empty()) {
    return Fail(g, Status::InvalidArgument(
                       "--server: restore makes a local --db directory; restore the backup "
                       "there, then serve it"));
  }
  Status s = storage::Store::Restore(backup, g.db);
  if (!s.ok()) return Fail(g, s);
  if (g.json()) {
    JsonWriter w;
    w.BeginObject().Key("restored").String(g.db).Key("from").String(backup).EndObject();
    std::cout << w.str() << "\n";
  } else {
    std::cout << fmt::format("restored {} from {}\n", g.db, backup);
  }
  return kExitOk;
}

// `dyad check [--dump FILE]`: every promise of a committed chunk checked
// over the whole store (storage::Store::Check), and optionally the store's
// canonical text, which two stores with the same content share.
int RunCheck(const GlobalFlags& g, const std::string& dump) {
  if (!g.server.empty()) {
    return Fail(g, Status::InvalidArgument(
                       "--server: check reads a local --db store; stop the server, or check a "
                       "backup of it (dyad backup --server)"));
  }
  storage::StoreOptions options;
  options.query_only = true;
  Result<std::unique_ptr<storage::Store>> store = storage::Store::Open(g.db, options);
  if (!store.ok()) return Fail(g, store.status());
  Result<storage::CheckReport> report = (*store)->Check();
  if (!report.ok()) return Fail(g, report.status());
  if (!dump.empty()) {
    Result<std::string> text = (*store)->DumpCanonical();
    if (!text.ok()) return Fail(g, text.status());
    Status written = WriteSmallFile(dump, *text, "--dump");
    if (!written.ok()) return Fail(g, written);
  }
  if (g.json()) {
    JsonWriter w;
    w.BeginObject()
        .Key("ok")
        .Bool(report->ok())
        .Key("nodes")
        .Uint(report->nodes)
        .Key("facts")
        .Uint(report->facts)
        .Key("sources")
        .Uint(report->sources)
        .Key("problem_count")
        .Uint(report->problem_count)
        .Key("problems")
        .BeginArray();
    for (const auto& p : report->problems) w.String(p);
    w.EndArray().EndObject();
    std::cout << w.str() << "\n";
  } else if (report->ok()) {
    std::cout << fmt::format("{}: consistent; {} nodes, {} facts, {} sources\n", g.db,
                             report->nodes, report->facts, report->sources);
  } else {
    for (const auto& p : report->problems) std::cout << "problem: " << p << "\n";
  }
  if (report->ok()) return kExitOk;
  std::cerr << fmt::format("dyad: store {} is damaged: {} problem{}; the first: {}\n", g.db,
                           report->problem_count, report->problem_count == 1 ? "" : "s",
                           report->problems.front());
  return kExitError;
}

struct ServeFlags {
  std::string listen;
  std::string token, token_file;
  bool token_reads = false;
  std::string tls_cert, tls_key;
  double grace_seconds = 30;
  std::string log = "info";
  std::string ack_log;
};

// One line on stderr, timestamped; calls log from many threads.
void LogLine(std::string_view line) {
  static std::mutex mu;
  const auto now = std::chrono::system_clock::now();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  std::string text =
      fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z I {}\n", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000, line);
  std::lock_guard lock(mu);
  std::fputs(text.c_str(), stderr);
}

// `dyad serve`: serves the --db store until SIGTERM or SIGINT, then lets
// the calls in flight finish (up to the grace period), leaves a current
// graph image beside the store and closes it. A second signal exits at
// once; the WAL keeps every chunk a load acknowledged.
int RunServe(const GlobalFlags& g, const ServeFlags& f) {
  if (!g.server.empty()) {
    return Fail(g, Status::InvalidArgument("--server: serve works on a --db store"));
  }
  // Blocked before any thread starts, so every thread inherits the mask
  // and the signals reach only the sigwait below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  ServerOptions options;
  options.listen = f.listen;
  options.token = f.token;
  if (!f.token_file.empty()) {
    Result<std::string> token = ReadSmallFile(f.token_file, "--token-file");
    if (!token.ok()) return Fail(g, token.status());
    options.token = *token;
    while (!options.token.empty() &&
           std::isspace(static_cast<unsigned char>(options.token.back()))) {
      options.token.pop_back();
    }
    if (options.token.empty()) {
      return Fail(g, Status::InvalidArgument("--token-file: the file holds no token"));
    }
  }
  if (f.token_reads && options.token.empty()) {
    return Fail(g, Status::InvalidArgument("--token-reads: needs --token or --token-file"));
  }
  options.token_reads = f.token_reads;
  if (!f.tls_cert.empty()) {
    Result<std::string> pem = ReadSmallFile(f.tls_cert, "--tls-cert");
    if (!pem.ok()) return Fail(g, pem.status());
    options.tls_cert_pem = *pem;
  }
  if (!f.tls_key.empty()) {
    Result<std::string> pem = ReadSmallFile(f.tls_key, "--tls-key");
    if (!pem.ok()) return Fail(g, pem.status());
    options.tls_key_pem = *pem;
  }
  std::shared_ptr<AckLog> ack_log;
  if (!f.ack_log.empty()) {
    Result<std::unique_ptr<AckLog>> opened = AckLog::Open(f.ack_log);
    if (!opened.ok()) return Fail(g, opened.status());
    ack_log = std::move(*opened);
    options.on_commit = [ack_log](const storage::ChunkCommitted& c) { return ack_log->Record(c); };
  }
  if (f.log != "off") options.log = LogLine;
  options.log_failures_only = f.log == "error";

  Result<graph::Vocabulary> vocabulary = LoadVocabulary(g);
  if (!vocabulary.ok()) return Fail(g, vocabulary.status());
  EmbeddedOptions embedded;
  embedded.create_if_missing = true;  // a pipeline may start with an empty store
  embedded.open_graph_now = true;
  // About 10-20 MB when full; the nodes of hubs and countries stay in it.
  embedded.node_cache_entries = 65536;
  Result<std::unique_ptr<EmbeddedBackend>> backend =
      EmbeddedBackend::Open(g.db, std::move(*vocabulary), embedded);
  if (!backend.ok()) return Fail(g, backend.status());
  Result<std::unique_ptr<Server>> server = Server::Start(**backend, options);
  if (!server.ok()) return Fail(g, server.status());

  const std::string address =
      fmt::format("{}:{}", f.listen.substr(0, f.listen.rfind(':')), (*server)->port());
  if (g.json()) {
    JsonWriter w;
    w.BeginObject().Key("listening").String(address).Key("db").String(g.db).EndObject();
    std::cout << w.str() << "\n" << std::flush;
  } else {
    std::cout << "dyad: serving " << g.db << " on " << address
              << (options.tls_cert_pem.empty() ? "" : " (TLS)") << "\n"
              << std::flush;
  }
  LogLine(fmt::format("serving {} on {}{}{}", g.db, address,
                      options.tls_cert_pem.empty() ? "" : ", TLS",
                      options.token.empty() ? ""
                      : options.token_reads ? ", token for every call"
                                            : ", token for writes"));

  int sig = 0;
  while (sigwait(&signals, &sig) != 0) {
  }
  LogLine(
      fmt::format("{}: finishing the calls in flight (up to {} s); a second signal exits at once",
                  strsignal(sig), f.grace_seconds));
  std::atomic<bool> stopped = false;
  Status persisted;
  std::thread stopper([&] {
    (*server)->Shutdown(std::chrono::milliseconds(static_cast<int64_t>(f.grace_seconds * 1000)));
    persisted = (*backend)->PersistGraph();
    stopped = true;
  });
  const timespec tick{0, 50'000'000};
  while (!stopped) {
    int second = sigtimedwait(&signals, nullptr, &tick);
    if (second > 0) {
      LogLine(fmt::format("{} again: exiting now", strsignal(second)));
      std::_Exit(128 + second);
    }
  }
  stopper.join();
  server->reset();
  backend->reset();  // closes the store cleanly
  if (!persisted.ok()) {
    LogLine(fmt::format("the graph image was not written: {}", persisted.message()));
  }
  LogLine("stopped");
  return kExitOk;
}

int Main(int argc, char** argv) {
  CLI::App app{"dyad: a knowledge graph store for relations between countries", "dyad"};
  app.set_version_flag("--version", "dyad 0.1.0");
  app.require_subcommand(1);
  app.fallthrough();  // global flags may follow the command: `dyad find X --db D`
  GlobalFlags g;
  app.add_option("--db", g.db, "Store directory (embedded mode)")->envname("DYAD_DB");
  app.add_option("--server", g.server, "A dyad server, host:port, instead of --db")
      ->envname("DYAD_SERVER");
  app.add_option("--token", g.token, "Token for the server (or for `serve`: the one it asks for)")
      ->envname("DYAD_TOKEN");
  app.add_option("--tls-ca", g.tls_ca, "Connect to the server with TLS, trusting this CA (PEM)");
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

  std::string ack_log;
  load->add_option("--ack-log", ack_log,
                   "Append a line per committed chunk to FILE, on disk before the load goes on");

  std::string name, label;
  CLI::App* find = app.add_subcommand("find", "Find nodes by name or alias");
  find->add_option("name", name, "A name or alias, optionally Label:Name")->required();
  find->add_option("--label", label, "Only nodes of this label");

  FactsRequest facts_request;
  FilterFlags filters;
  CLI::App* facts = app.add_subcommand("facts", "A node's facts with their sources");
  facts->add_option("node", facts_request.node, "A name, alias, Label:Name or id")->required();
  filters.AddTo(facts);

  NeighboursRequest neighbours_request;
  CLI::App* neighbours = app.add_subcommand(
      "neighbours", "The nodes within K hops of a node, and the facts crossed to reach them");
  neighbours->add_option("node", neighbours_request.node, "A name, alias, Label:Name or id")
      ->required();
  neighbours->add_option("--depth", neighbours_request.depth, "Hops from the node")
      ->check(CLI::Range(0, 1'000'000))
      ->capture_default_str();
  neighbours
      ->add_option("--limit", neighbours_request.limit, "At most this many nodes (then truncated)")
      ->check(CLI::Range(size_t{1}, size_t{1'000'000'000}))
      ->capture_default_str();
  filters.AddTo(neighbours);

  PathsRequest paths_request;
  bool all_paths = false;
  size_t k_paths = 0;
  CLI::App* path = app.add_subcommand(
      "path", "Shortest paths between two nodes, with every fact along each step");
  path->add_option("from", paths_request.from,
                   "Where the path starts: a name, alias, Label:Name or id")
      ->required();
  path->add_option("to", paths_request.to, "Where it ends")->required();
  CLI::Option* all = path->add_flag("--all", all_paths, "Every shortest path");
  CLI::Option* k = path->add_option("--k", k_paths, "The N shortest loop-free paths (Yen)")
                       ->check(CLI::Range(size_t{1}, size_t{1'000'000}));
  all->excludes(k);
  path->add_flag("--weighted", paths_request.weighted,
                 "Least total -log(confidence) instead of fewest hops");
  path->add_option("--max-depth", paths_request.max_depth, "At most this many hops")
      ->check(CLI::Range(0, 1'000'000))
      ->capture_default_str();
  path->add_option("--limit", paths_request.limit, "At most this many paths (then truncated)")
      ->check(CLI::Range(size_t{1}, size_t{1'000'000'000}))
      ->capture_default_str();
  filters.AddTo(path);

  DyadRequest dyad_request;
  std::string by = "month";
  CLI::App* dyad = app.add_subcommand(
      "dyad", "Events between two countries' actors, per month or year and direction");
  dyad->add_option("a", dyad_request.a, "A country (or any node): a name, alias, Label:Name or id")
      ->required();
  dyad->add_option("b", dyad_request.b, "The other one")->required();
  dyad->add_option("--by", by, "Bucket events by month or year")
      ->check(CLI::IsMember({"month", "year"}))
      ->capture_default_str();
  std::string plot;
  dyad->add_option("--plot", plot, "Also draw the timeline as an SVG chart into this file");
  filters.AddTo(dyad);

  CLI::App* stats =
      app.add_subcommand("stats", "Counts of nodes, facts, sources, labels, predicates");

  ExportRequest export_request;
  ExportFlags export_flags;
  CLI::App* export_cmd = app.add_subcommand(
      "export",
      "The store, a neighbourhood or a dyad's facts as GraphML, DOT, Cytoscape.js "
      "JSON, the fact format (JSON Lines) or neo4j-admin CSV");
  export_cmd
      ->add_option("--to", export_flags.to,
                   fmt::format("Format: {}", fmt::join(ExportFormatNames(), "|")))
      ->required()
      ->check(CLI::IsMember(ExportFormatNames()));
  export_cmd->add_option("--out", export_flags.out,
                         "Write this file (for csv: this directory) instead of standard output");
  CLI::Option* around = export_cmd->add_option(
      "--around", export_flags.around, "Only the neighbourhood of this node (with --depth)");
  export_cmd->add_option("--depth", export_request.depth, "Hops around the --around node")
      ->check(CLI::Range(0, 1'000'000))
      ->capture_default_str()
      ->needs(around);
  export_cmd
      ->add_option("--limit", export_request.limit,
                   "At most this many nodes around --around (then truncated)")
      ->check(CLI::Range(size_t{1}, size_t{1'000'000'000}))
      ->capture_default_str()
      ->needs(around);
  export_cmd->add_option("--dyad", export_flags.dyad, "Only the facts of the dyad A B")
      ->expected(2)
      ->excludes(around);
  FilterFlags export_filters;
  export_filters.to_flag = "--until";
  export_filters.AddTo(export_cmd);

  std::string backup_dest;
  CLI::App* backup = app.add_subcommand(
      "backup",
      "A consistent copy of the store in a new directory, also while it serves and loads");
  backup
      ->add_option("dest", backup_dest,
                   "The new directory (with --server: a path on the server's machine)")
      ->required();

  std::string restore_from;
  CLI::App* restore =
      app.add_subcommand("restore", "Copy a backup into the --db directory, which must not exist");
  restore->add_option("backup", restore_from, "A directory `dyad backup` made")->required();

  std::string check_dump;
  CLI::App* check = app.add_subcommand(
      "check", "Check the store's consistency: every fact with its nodes, index entries, sources");
  check->add_option("--dump", check_dump,
                    "Also write the store's canonical text to FILE, to compare stores");

  ServeFlags serve_flags;
  CLI::App* serve = app.add_subcommand(
      "serve", "Serve the --db store over gRPC (dyad.v1) until SIGTERM or SIGINT");
  serve->add_option("--listen", serve_flags.listen, "host:port to listen on (port 0: any free)")
      ->required();
  serve->add_option("--token-file", serve_flags.token_file,
                    "A file holding the token writes need (instead of --token)");
  serve->add_flag("--token-reads", serve_flags.token_reads, "Every call needs the token");
  CLI::Option* cert = serve->add_option("--tls-cert", serve_flags.tls_cert,
                                        "Serve TLS with this certificate (PEM)");
  CLI::Option* key = serve->add_option("--tls-key", serve_flags.tls_key, "... and this key (PEM)");
  cert->needs(key);
  key->needs(cert);
  serve
      ->add_option("--grace", serve_flags.grace_seconds,
                   "Seconds the calls in flight get to finish on SIGTERM")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  serve->add_option("--log", serve_flags.log, "Call log on stderr: info (every call), error, off")
      ->check(CLI::IsMember({"info", "error", "off"}))
      ->capture_default_str();
  serve->add_option("--ack-log", serve_flags.ack_log,
                    "Append a line per chunk a load commits to FILE, on disk before it goes on");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (g.db.empty() && (g.server.empty() || *serve)) {
    std::cerr << "dyad: --db: no store given (use --db DIR or set DYAD_DB"
              << (*serve ? ")\n" : ", or --server HOST:PORT)\n");
    return kExitUsage;
  }
  if (!g.server.empty() && !g.db.empty() && !*serve) {
    // DYAD_DB may be set in the environment; a --server given says where to go.
    g.db.clear();
  }
  if (!g.server.empty() && !g.predicates.empty()) {
    std::cerr << "dyad: --predicates: a server uses its own vocabulary (dyad serve "
                 "--predicates)\n";
    return kExitUsage;
  }
  if (!g.predicates.empty()) {  // a bad vocabulary fails every command, not only those using it
    Result<graph::Vocabulary> vocabulary = LoadVocabulary(g);
    if (!vocabulary.ok()) return Fail(g, vocabulary.status());
  }
  if (*load) return RunLoad(g, files, skip_bad, sync, batch, ack_log);
  if (*find) return RunFind(g, name, label);
  if (*facts) {
    return RunQuery(
        g, facts_request, filters, [](Backend& b, const FactsRequest& r) { return b.Facts(r); },
        [&](const FactsView& v, std::ostream& out) {
          PrintAnswer(
              g, out, [&](JsonWriter& w) { WriteFactsJson(w, v.node, v.facts, v.truncated); },
              [&] { return FactsTable(v.node, v.facts, v.truncated); });
        });
  }
  if (*neighbours) {
    return RunQuery(
        g, neighbours_request, filters,
        [](Backend& b, const NeighboursRequest& r) { return b.Neighbours(r); },
        [&](const NeighboursView& v, std::ostream& out) {
          PrintAnswer(
              g, out, [&](JsonWriter& w) { WriteNeighboursJson(w, v); },
              [&] { return NeighboursTable(v); });
        });
  }
  if (*path) {
    if (all_paths) {
      paths_request.mode = graph::PathMode::kAllShortest;
    } else if (k_paths > 0) {
      paths_request.mode = graph::PathMode::kKShortest;
      paths_request.k = k_paths;
    }
    return RunQuery(
        g, paths_request, filters, [](Backend& b, const PathsRequest& r) { return b.Paths(r); },
        [&](const PathsView& v, std::ostream& out) {
          PrintAnswer(
              g, out, [&](JsonWriter& w) { WritePathsJson(w, v); }, [&] { return PathsTable(v); });
        });
  }
  if (*dyad) {
    dyad_request.by = by == "year" ? graph::Period::kYear : graph::Period::kMonth;
    dyad_request.with_facts = g.json();  // a table shows counts only
    // --plot: the chart is written before the answer is printed; a file that
    // cannot be written fails the command instead.
    const auto ask = [&](Backend& b, const DyadRequest& r) -> Result<DyadView> {
      Result<DyadView> answer = b.Dyad(r);
      if (answer.ok() && !plot.empty()) {
        DYAD_RETURN_IF_ERROR(WriteSmallFile(plot, DyadTimelineSvg(*answer), "--plot"));
      }
      return answer;
    };
    return RunQuery(g, dyad_request, filters, ask, [&](const DyadView& v, std::ostream& out) {
      PrintAnswer(
          g, out, [&](JsonWriter& w) { WriteDyadJson(w, v); }, [&] { return DyadTable(v); });
    });
  }
  if (*stats) return RunStats(g);
  if (*backup) return RunBackup(g, backup_dest);
  if (*restore) return RunRestore(g, restore_from);
  if (*check) return RunCheck(g, check_dump);
  if (*export_cmd) return RunExport(g, export_request, export_flags, export_filters);
  if (*serve) {
    serve_flags.token = g.token;
    return RunServe(g, serve_flags);
  }
  return kExitUsage;
}

}  // namespace
}  // namespace dyad::service

int main(int argc, char** argv) { return dyad::service::Main(argc, argv); }
