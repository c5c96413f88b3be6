// dyad_bench_query: the graph layer on the peers' query set
// (../shared/bench/gen_facts.py queries.txt, answered as peers/common.py does),
// with the snapshot's build and map times. scripts/bench-query.sh runs it
// beside the bare-CSR limit and ../shared/bench/report.py checks its answers.
//
//   dyad_bench_query --db DIR --queries queries.txt --nodes nodes.csv --scale S
//                    --out RESULTS_DIR [--budget-s 45] [--limit N]
//                    [--snapshot-runs 3] [--load-s SECONDS] [--disk-bytes N]
//
// Writes RESULTS_DIR/dyad.results.tsv (class, args, result: one line per
// query run) and RESULTS_DIR/dyad.summary.json (the peers' summary shape plus
// the snapshot figures). Links the graph and storage layers only. Latencies are wall time around
// one QueryEngine call (and, for Q4, the formatting of its answer, as the peers time theirs);
// the queries' generator ids are translated to node ids before any is timed, as the bare CSR
// uses them as vertex numbers without a look-up. Percentiles are nearest rank. Each class stops
// once its time budget is spent, like common.py's Runner. Exit 1 if the store, files or id mapping
// fail; a query that fails is written as "ERROR ..." and counted, and the
// run goes on (report.py then shows the mismatch).
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "graph/query.h"
#include "graph/snapshot.h"
#include "graph/vocabulary.h"
#include "service/json_writer.h"
#include "storage/status.h"
#include "storage/store.h"

namespace dyad::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using graph::CsrImage;
using graph::QueryEngine;

constexpr const char* kClasses[] = {"Q1", "Q2", "Q3", "Q4"};

using service::JsonWriter;
constexpr int kMaxDepth = 10;  // common.py MAX_DEPTH

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

struct Args {
  fs::path db, queries, nodes, out;
  std::string scale = "?";
  double budget_s = 45;
  size_t limit = 0;  // queries per class; 0 = all
  int snapshot_runs = 3;
  std::optional<double> load_s;
  std::optional<uint64_t> disk_bytes;
};

constexpr std::string_view kUsage =
    "usage: dyad_bench_query --db DIR --queries queries.txt --nodes nodes.csv --scale S\n"
    "                        --out RESULTS_DIR [--budget-s 45] [--limit N]\n"
    "                        [--snapshot-runs 3] [--load-s SECONDS] [--disk-bytes N]\n";

template <class T>
bool ParseNumber(std::string_view text, T* out) {
  if constexpr (std::is_floating_point_v<T>) {
    // std::from_chars for double is in GCC 12's libstdc++, but strtod is
    // enough here and accepts the same inputs.
    std::string s(text);
    char* end = nullptr;
    *out = std::strtod(s.c_str(), &end);
    return !s.empty() && end == s.c_str() + s.size() && std::isfinite(*out);
  } else {
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
    return ec == std::errc() && p == text.data() + text.size();
  }
}

Result<Args> ParseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (flag == "-h" || flag == "--help") return Status::InvalidArgument("help");
    if (i + 1 >= argc) return Status::InvalidArgument(fmt::format("{} needs a value", flag));
    std::string_view value = argv[++i];
    bool ok = true;
    if (flag == "--db") {
      a.db = value;
    } else if (flag == "--queries") {
      a.queries = value;
    } else if (flag == "--nodes") {
      a.nodes = value;
    } else if (flag == "--out") {
      a.out = value;
    } else if (flag == "--scale") {
      a.scale = value;
    } else if (flag == "--budget-s") {
      ok = ParseNumber(value, &a.budget_s) && a.budget_s > 0;
    } else if (flag == "--limit") {
      ok = ParseNumber(value, &a.limit);
    } else if (flag == "--snapshot-runs") {
      ok = ParseNumber(value, &a.snapshot_runs) && a.snapshot_runs > 0;
    } else if (flag == "--load-s") {
      double v = 0;
      ok = ParseNumber(value, &v) && v >= 0;
      a.load_s = v;
    } else if (flag == "--disk-bytes") {
      uint64_t v = 0;
      ok = ParseNumber(value, &v);
      a.disk_bytes = v;
    } else {
      return Status::InvalidArgument(fmt::format("unknown flag '{}'", flag));
    }
    if (!ok) return Status::InvalidArgument(fmt::format("bad value '{}' for {}", value, flag));
  }
  if (a.db.empty() || a.queries.empty() || a.nodes.empty() || a.out.empty())
    return Status::InvalidArgument("--db, --queries, --nodes and --out are required");
  return a;
}

// One line of queries.txt: the class and its gen_facts ids.
struct Query {
  int cls = 0;  // 0..3 for Q1..Q4
  std::vector<uint64_t> ids;
  std::string args;                    // the ids joined by spaces, as the peers write them
  std::vector<storage::NodeId> nodes;  // ids as the store's node ids (MapIds)
};

Result<std::vector<Query>> ReadQueries(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound(fmt::format("cannot read {}", path.string()));
  std::vector<Query> out;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    std::vector<std::string_view> fields;
    std::string_view rest = line;
    while (!rest.empty()) {
      size_t start = rest.find_first_not_of(" \t\r");
      if (start == std::string_view::npos) break;
      rest.remove_prefix(start);
      size_t end = rest.find_first_of(" \t\r");
      fields.push_back(rest.substr(0, end));
      rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
    }
    if (fields.empty()) continue;
    Query q;
    auto it = std::find(std::begin(kClasses), std::end(kClasses), fields[0]);
    if (it == std::end(kClasses))
      return Status::InvalidArgument(
          fmt::format("{}:{}: unknown class '{}'", path.string(), lineno, fields[0]));
    q.cls = static_cast<int>(it - std::begin(kClasses));
    const size_t want = q.cls < 2 ? 1 : 2;
    if (fields.size() != want + 1)
      return Status::InvalidArgument(
          fmt::format("{}:{}: {} wants {} ids", path.string(), lineno, fields[0], want));
    for (size_t i = 1; i < fields.size(); ++i) {
      uint64_t id = 0;
      if (!ParseNumber(fields[i], &id))
        return Status::InvalidArgument(
            fmt::format("{}:{}: bad id '{}'", path.string(), lineno, fields[i]));
      q.ids.push_back(id);
      if (i > 1) q.args += ' ';
      q.args += fields[i];
    }
    out.push_back(std::move(q));
  }
  return out;
}

// gen_facts id -> dyad node id, for the ids the queries use: nodes.csv gives
// each id's label and name, the store resolves them.
Result<std::unordered_map<uint64_t, storage::NodeId>> MapIds(const storage::Store& store,
                                                             const fs::path& nodes_csv,
                                                             const std::vector<Query>& queries) {
  std::unordered_set<uint64_t> wanted;
  for (const Query& q : queries) wanted.insert(q.ids.begin(), q.ids.end());
  std::ifstream in(nodes_csv);
  if (!in) return Status::NotFound(fmt::format("cannot read {}", nodes_csv.string()));
  std::unordered_map<uint64_t, storage::NodeId> out;
  std::string line;
  std::getline(in, line);  // id,label,name
  int lineno = 1;
  while (std::getline(in, line) && out.size() < wanted.size()) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t c1 = line.find(',');
    size_t c2 = c1 == std::string::npos ? c1 : line.find(',', c1 + 1);
    uint64_t id = 0;
    if (c2 == std::string::npos || !ParseNumber(std::string_view(line).substr(0, c1), &id))
      return Status::InvalidArgument(
          fmt::format("{}:{}: not an id,label,name row", nodes_csv.string(), lineno));
    if (!wanted.contains(id)) continue;
    std::string_view label = std::string_view(line).substr(c1 + 1, c2 - c1 - 1);
    std::string_view name = std::string_view(line).substr(c2 + 1);
    DYAD_ASSIGN_OR_RETURN(std::vector<storage::NodeId> found, store.FindByName(name, label));
    if (found.size() != 1)
      return Status::FailedPrecondition(fmt::format("{}:{}: {}:{} names {} nodes in the store",
                                                    nodes_csv.string(), lineno, label, name,
                                                    found.size()));
    out.emplace(id, found.front());
  }
  for (uint64_t id : wanted)
    if (!out.contains(id))
      return Status::NotFound(
          fmt::format("id {} of the queries is not in {}", id, nodes_csv.string()));
  return out;
}

// Nearest rank, as common.py's pct.
double Pct(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  long k = static_cast<long>(std::ceil(p / 100.0 * static_cast<double>(sorted.size()))) - 1;
  k = std::clamp(k, 0L, static_cast<long>(sorted.size()) - 1);
  return sorted[static_cast<size_t>(k)];
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return 0;
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// What one class produced.
struct ClassRun {
  size_t n = 0, total = 0;
  std::vector<double> ms;
  int64_t sum_size = 0;                  // Q1, Q2
  int64_t sum_len = 0, unreachable = 0;  // Q3
  int64_t events = 0;                    // Q4
  double weight = 0;                     // Q4, from the formatted answers
  size_t errors = 0;
  std::map<std::string, size_t> truncated;  // limit name -> answers it cut
};

graph::QueryLimits Unlimited() {
  graph::QueryLimits l;
  l.max_nodes = std::numeric_limits<size_t>::max();
  l.max_facts = std::numeric_limits<size_t>::max();
  l.max_paths = std::numeric_limits<size_t>::max();
  l.max_depth = kMaxDepth;
  return l;
}

// The peers' Q4 answer: "year:count:weightsum;..." by year, both directions
// of a year together, weights "%.2f".
std::string FormatQ4(const graph::DyadTimeline& t) {
  std::map<int, std::pair<uint64_t, double>> by_year;
  for (const graph::DyadBucket& b : t.buckets) {
    int year = 0;  // the peers' year of an undated fact
    if (b.period != "undated") {
      auto [p, ec] = std::from_chars(b.period.data(), b.period.data() + b.period.size(), year);
      if (ec != std::errc()) year = -1;
    }
    auto& [count, weight] = by_year[year];
    count += b.events;
    weight += b.goldstein;
  }
  std::string out;
  for (const auto& [year, cw] : by_year) {
    if (cw.first == 0) continue;
    if (!out.empty()) out += ';';
    out += fmt::format("{}:{}:{:.2f}", year, cw.first, cw.second);
  }
  return out;
}

void AddQ4Checksum(std::string_view r, ClassRun* run) {
  while (!r.empty()) {
    size_t end = r.find(';');
    std::string_view part = r.substr(0, end);
    r.remove_prefix(end == std::string_view::npos ? r.size() : end + 1);
    size_t c1 = part.find(':'), c2 = part.rfind(':');
    if (c1 == std::string_view::npos || c2 == c1) continue;
    int64_t c = 0;
    double w = 0;
    if (ParseNumber(part.substr(c1 + 1, c2 - c1 - 1), &c) && ParseNumber(part.substr(c2 + 1), &w)) {
      run->events += c;
      run->weight += w;
    }
  }
}

class Bench {
 public:
  Bench(const storage::Store& store, const graph::Snapshot& snap)
      : engine_(store, graph::Vocabulary::Default()), snap_(snap) {}

  // Runs one query; returns its answer as the peers write it.
  std::string Run(const Query& q, ClassRun* run) {
    const graph::TraversalFilter filter;  // both directions, any predicate, any time
    const graph::QueryLimits limits = Unlimited();
    const storage::NodeId a = q.nodes[0];
    const storage::NodeId b = q.nodes.size() > 1 ? q.nodes[1] : 0;
    auto note = [&](graph::Limit l) {
      if (l != graph::Limit::kNone) ++run->truncated[std::string(graph::LimitName(l))];
    };
    auto error = [&](const Status& s) {
      ++run->errors;
      if (run->errors <= 3)
        fmt::print(stderr, "bench-query: {} {}: {}\n", kClasses[q.cls], q.args, s.ToString());
      return "ERROR " + s.ToString();
    };
    switch (q.cls) {
      case 0:
      case 1: {
        auto r = engine_.Neighbours(snap_, a, q.cls + 1, filter, limits, /*with_facts=*/false);
        if (!r.ok()) return error(r.status());
        note(r->truncated_by);
        run->sum_size += static_cast<int64_t>(r->nodes.size());
        return std::to_string(r->nodes.size());
      }
      case 2: {
        graph::PathQuery pq;
        pq.mode = graph::PathMode::kLength;
        auto r = engine_.Paths(snap_, a, b, pq, filter, limits);
        if (!r.ok()) return error(r.status());
        // A search that found no path within max_depth ends on the depth
        // limit: that is the answer -1, not a truncation.
        if (r->hops || r->truncated_by != graph::Limit::kDepth) note(r->truncated_by);
        int hops = r->hops && *r->hops <= kMaxDepth ? *r->hops : -1;
        if (hops >= 0)
          run->sum_len += hops;
        else
          ++run->unreachable;
        return std::to_string(hops);
      }
      default: {
        auto r = engine_.Dyad(snap_, a, b, graph::Period::kYear, filter, limits,
                              /*with_facts=*/false);
        if (!r.ok()) return error(r.status());
        note(r->truncated_by);
        return FormatQ4(*r);
      }
    }
  }

 private:
  QueryEngine engine_;
  const graph::Snapshot& snap_;
};

uint64_t DiskBytes(const fs::path& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    std::error_code ec2;
    if (it->is_regular_file(ec2)) total += it->file_size(ec2);
  }
  return total;
}

// The snapshot's figures: seconds of each run, sizes of the image.
struct SnapshotFigures {
  std::vector<double> build_s, persist_s, map_s;
  uint64_t edges = 0, vertices = 0, bytes = 0, file_bytes = 0;
};

// Builds the image `runs` times (one alive at a time; the last is kept),
// then persists it to `image_file` and maps that back `runs` times, and
// removes the file.
Result<std::shared_ptr<const CsrImage>> TimeSnapshot(const storage::Store& store,
                                                     const fs::path& image_file, int runs,
                                                     SnapshotFigures* f) {
  std::shared_ptr<const CsrImage> image;
  for (int i = 0; i < runs; ++i) {
    image.reset();  // one image alive at a time
    auto t0 = Clock::now();
    DYAD_ASSIGN_OR_RETURN(image, CsrImage::Build(store));
    f->build_s.push_back(Seconds(t0, Clock::now()));
  }
  f->edges = image->edge_count();
  f->vertices = image->vertex_count();
  f->bytes = image->bytes();
  for (int i = 0; i < runs; ++i) {
    auto t0 = Clock::now();
    DYAD_RETURN_IF_ERROR(image->Persist(image_file));
    f->persist_s.push_back(Seconds(t0, Clock::now()));
    t0 = Clock::now();
    DYAD_ASSIGN_OR_RETURN(auto mapped, CsrImage::Map(image_file));
    f->map_s.push_back(Seconds(t0, Clock::now()));
    if (mapped->edge_count() != image->edge_count() ||
        mapped->vertex_count() != image->vertex_count())
      return Status::Corruption(fmt::format(
          "{} maps {} edges, {} vertices; built {}, {}", image_file.string(), mapped->edge_count(),
          mapped->vertex_count(), image->edge_count(), image->vertex_count()));
  }
  std::error_code ec;
  f->file_bytes = fs::file_size(image_file, ec);
  fs::remove(image_file, ec);
  return image;
}

// Hub safety (targets.md: no query over its node or path limit, or its
// deadline, by more than 10%): on the ten biggest hubs, a 3-hop
// neighbourhood with a node limit, an unlimited 6-hop one with a deadline,
// and all shortest paths between neighbouring hubs with a path limit.
struct HubSafety {
  size_t hubs = 0;
  size_t node_limit = 1000, max_nodes = 0, node_truncated = 0;
  double deadline_ms = 5;
  std::vector<double> deadline_elapsed_ms;
  size_t deadline_truncated = 0;
  size_t path_limit = 10, max_paths = 0, path_truncated = 0;
};

Result<HubSafety> MeasureHubSafety(const storage::Store& store, const graph::Snapshot& snap) {
  HubSafety h;
  std::vector<std::pair<uint64_t, graph::VertexId>> degree;
  for (graph::VertexId v = 1; v < snap.vertex_count(); ++v) {
    if (snap.has_node(v)) degree.emplace_back(snap.Degree(v), v);
  }
  const size_t n = std::min<size_t>(10, degree.size());
  std::partial_sort(degree.begin(), degree.begin() + n, degree.end(), std::greater<>());
  graph::QueryEngine engine(store, graph::Vocabulary::Default());
  for (size_t i = 0; i < n; ++i) {
    const storage::NodeId hub = degree[i].second;
    graph::QueryLimits limits;
    limits.max_nodes = h.node_limit;
    DYAD_ASSIGN_OR_RETURN(graph::Neighbourhood nb,
                          engine.Neighbours(snap, hub, 3, {}, limits, /*with_facts=*/true));
    h.max_nodes = std::max(h.max_nodes, nb.nodes.size());
    h.node_truncated += nb.truncated_by == graph::Limit::kNodes;

    graph::QueryLimits timed = Unlimited();
    const auto t0 = Clock::now();
    timed.deadline = t0 + std::chrono::microseconds(static_cast<int64_t>(h.deadline_ms * 1000));
    DYAD_ASSIGN_OR_RETURN(graph::Neighbourhood far,
                          engine.Neighbours(snap, hub, 6, {}, timed, /*with_facts=*/false));
    h.deadline_elapsed_ms.push_back(Seconds(t0, Clock::now()) * 1000);
    h.deadline_truncated += far.truncated_by == graph::Limit::kDeadline;

    if (i + 1 < n) {
      graph::QueryLimits paths;
      paths.max_paths = h.path_limit;
      paths.max_depth = 10;
      DYAD_ASSIGN_OR_RETURN(graph::PathResult pr,
                            engine.Paths(snap, hub, degree[i + 1].second,
                                         {graph::PathMode::kAllShortest}, {}, paths));
      h.max_paths = std::max(h.max_paths, pr.paths.size());
      h.path_truncated += pr.truncated_by == graph::Limit::kPaths;
    }
  }
  h.hubs = n;
  return h;
}

void WriteSeconds(JsonWriter& w, std::string_view key, const std::vector<double>& v) {
  w.Key(key).BeginArray();
  for (double x : v) w.Number(x);
  w.EndArray();
}

Status Main(const Args& args) {
  std::error_code ec;
  fs::create_directories(args.out, ec);
  if (ec)
    return Status::IOError(fmt::format("cannot create {}: {}", args.out.string(), ec.message()));
  const uint64_t disk_bytes = args.disk_bytes ? *args.disk_bytes : DiskBytes(args.db);

  auto t_open = Clock::now();
  // Query-only, as a CLI query opens it: no background compaction of the
  // freshly loaded store competes with the timed queries.
  storage::StoreOptions store_options;
  store_options.query_only = true;
  DYAD_ASSIGN_OR_RETURN(std::unique_ptr<storage::Store> store,
                        storage::Store::Open(args.db, store_options));
  const double open_s = Seconds(t_open, Clock::now());

  DYAD_ASSIGN_OR_RETURN(std::vector<Query> queries, ReadQueries(args.queries));
  auto t_ids = Clock::now();
  DYAD_ASSIGN_OR_RETURN(auto ids, MapIds(*store, args.nodes, queries));
  // Translated before any query is timed: the generator's ids are the bare
  // CSR's vertex numbers as they are, and no concept of dyad's.
  for (Query& q : queries)
    for (uint64_t id : q.ids) q.nodes.push_back(ids.at(id));
  const double ids_s = Seconds(t_ids, Clock::now());

  SnapshotFigures sf;
  const fs::path image_file = args.out / "dyad.snapshot.csr";
  DYAD_ASSIGN_OR_RETURN(std::shared_ptr<const CsrImage> image,
                        TimeSnapshot(*store, image_file, args.snapshot_runs, &sf));
  const double build_s = Median(sf.build_s);
  const double map_s = Median(sf.map_s);
  fmt::print(
      stderr,
      "bench-query: [{}] snapshot: {} edges, build {:.3f} s ({:.0f} edges/s, {:.1f} B/edge), "
      "persist {:.3f} s, map {:.6f} s (medians of {})\n",
      args.scale, sf.edges, build_s, build_s > 0 ? sf.edges / build_s : 0.0,
      sf.edges ? static_cast<double>(sf.bytes) / sf.edges : 0.0, Median(sf.persist_s), map_s,
      args.snapshot_runs);

  graph::Snapshot snap(image, nullptr);
  Bench bench(*store, snap);

  const fs::path results_path = args.out / "dyad.results.tsv";
  std::FILE* results = std::fopen(results_path.c_str(), "w");
  if (!results) return Status::IOError(fmt::format("cannot write {}", results_path.string()));

  std::vector<ClassRun> runs(4);
  for (const Query& q : queries) ++runs[q.cls].total;
  for (int cls = 0; cls < 4; ++cls) {
    ClassRun& run = runs[cls];
    const auto t_class = Clock::now();
    for (const Query& q : queries) {
      if (q.cls != cls) continue;
      if (args.limit && run.n >= args.limit) break;
      const auto t0 = Clock::now();
      std::string r = bench.Run(q, &run);
      run.ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      ++run.n;
      if (cls == 3) AddQ4Checksum(r, &run);
      fmt::print(results, "{}\t{}\t{}\n", kClasses[cls], q.args, r);
      if (Seconds(t_class, Clock::now()) > args.budget_s) break;
    }
    std::fflush(results);
    std::vector<double> s = run.ms;
    std::sort(s.begin(), s.end());
    fmt::print(stderr,
               "bench-query: [{}] {}: n {}/{}, p50 {:.4f} ms, p95 {:.4f} ms, p99 {:.4f} ms, "
               "max {:.4f} ms, errors {}\n",
               args.scale, kClasses[cls], run.n, run.total, Pct(s, 50), Pct(s, 95), Pct(s, 99),
               s.empty() ? 0.0 : s.back(), run.errors);
  }
  if (std::fclose(results) != 0)
    return Status::IOError(fmt::format("cannot write {}", results_path.string()));

  JsonWriter w;
  w.BeginObject();
  w.Key("peer").String("dyad");
  w.Key("scale").String(args.scale);
  w.Key("load_s");
  if (args.load_s)
    w.Number(*args.load_s);
  else
    w.Null();
  w.Key("disk_bytes").Uint(disk_bytes);
  w.Key("edges").Uint(sf.edges);
  w.Key("nodes").Uint(store->GetStats().nodes);
  w.Key("classes").BeginObject();
  for (int cls = 0; cls < 4; ++cls) {
    const ClassRun& run = runs[cls];
    std::vector<double> s = run.ms;
    std::sort(s.begin(), s.end());
    double sum = 0;
    for (double x : s) sum += x;
    w.Key(kClasses[cls]).BeginObject();
    w.Key("n").Uint(run.n);
    w.Key("total").Uint(run.total);
    if (s.empty()) {
      for (const char* k : {"p50_ms", "p95_ms", "p99_ms", "mean_ms", "max_ms"}) w.Key(k).Null();
    } else {
      w.Key("p50_ms").Number(Pct(s, 50));
      w.Key("p95_ms").Number(Pct(s, 95));
      w.Key("p99_ms").Number(Pct(s, 99));
      w.Key("mean_ms").Number(sum / static_cast<double>(s.size()));
      w.Key("max_ms").Number(s.back());
    }
    w.Key("checksum").BeginObject();
    if (cls < 2) {
      w.Key("sum_size").Int(run.sum_size);
    } else if (cls == 2) {
      w.Key("sum_len").Int(run.sum_len).Key("unreachable").Int(run.unreachable);
    } else {
      w.Key("events").Int(run.events).Key("weight").Number(std::round(run.weight * 100) / 100);
    }
    w.EndObject();
    w.Key("errors").Uint(run.errors);
    w.Key("truncated").BeginObject();
    for (const auto& [limit, count] : run.truncated) w.Key(limit).Uint(count);
    w.EndObject();
    w.EndObject();
  }
  w.EndObject();
  w.Key("open_s").Number(open_s);
  w.Key("id_mapping_s").Number(ids_s);
  w.Key("snapshot_runs").Int(args.snapshot_runs);
  w.Key("snapshot_build_s").Number(build_s);
  w.Key("snapshot_edges_per_s").Number(build_s > 0 ? static_cast<double>(sf.edges) / build_s : 0);
  w.Key("snapshot_bytes").Uint(sf.bytes);
  w.Key("snapshot_bytes_per_edge")
      .Number(sf.edges ? static_cast<double>(sf.bytes) / static_cast<double>(sf.edges) : 0);
  w.Key("snapshot_vertices").Uint(sf.vertices);
  w.Key("snapshot_persist_s").Number(Median(sf.persist_s));
  w.Key("snapshot_file_bytes").Uint(sf.file_bytes);
  w.Key("snapshot_map_s").Number(map_s);
  WriteSeconds(w, "snapshot_build_s_runs", sf.build_s);
  WriteSeconds(w, "snapshot_persist_s_runs", sf.persist_s);
  WriteSeconds(w, "snapshot_map_s_runs", sf.map_s);
  w.Key("budget_s").Number(args.budget_s);
  DYAD_ASSIGN_OR_RETURN(HubSafety hub, MeasureHubSafety(*store, snap));
  w.Key("hub_safety").BeginObject();
  w.Key("hubs").Uint(hub.hubs);
  w.Key("node_limit").Uint(hub.node_limit).Key("max_nodes").Uint(hub.max_nodes);
  w.Key("node_truncated").Uint(hub.node_truncated);
  w.Key("deadline_ms").Number(hub.deadline_ms);
  w.Key("deadline_max_elapsed_ms")
      .Number(hub.deadline_elapsed_ms.empty() ? 0
                                              : *std::max_element(hub.deadline_elapsed_ms.begin(),
                                                                  hub.deadline_elapsed_ms.end()));
  w.Key("deadline_median_elapsed_ms").Number(Median(hub.deadline_elapsed_ms));
  w.Key("deadline_truncated").Uint(hub.deadline_truncated);
  w.Key("path_limit").Uint(hub.path_limit).Key("max_paths").Uint(hub.max_paths);
  w.Key("path_truncated").Uint(hub.path_truncated);
  w.EndObject();
  fmt::print(stderr,
             "bench-query: [{}] hub safety on {} hubs: at most {} nodes (limit {}, {} truncated); "
             "deadline {} ms: median {:.3f} ms, max {:.3f} ms ({} truncated); at most {} paths "
             "(limit {}, {} truncated)\n",
             args.scale, hub.hubs, hub.max_nodes, hub.node_limit, hub.node_truncated,
             hub.deadline_ms, Median(hub.deadline_elapsed_ms),
             hub.deadline_elapsed_ms.empty() ? 0.0
                                             : *std::max_element(hub.deadline_elapsed_ms.begin(),
                                                                 hub.deadline_elapsed_ms.end()),
             hub.deadline_truncated, hub.max_paths, hub.path_limit, hub.path_truncated);
  w.EndObject();

  const fs::path summary_path = args.out / "dyad.summary.json";
  std::ofstream summary(summary_path);
  summary << w.str() << "\n";
  summary.close();
  if (!summary) return Status::IOError(fmt::format("cannot write {}", summary_path.string()));
  return Status::OK();
}

}  // namespace
}  // namespace dyad::bench

int main(int argc, char** argv) {
  auto args = dyad::bench::ParseArgs(argc, argv);
  if (!args.ok()) {
    if (args.status().message() != "help")
      fmt::print(stderr, "dyad_bench_query: {}\n", args.status().message());
    fmt::print(stderr, "{}", dyad::bench::kUsage);
    return args.status().message() == "help" ? 0 : 2;
  }
  dyad::Status s = dyad::bench::Main(*args);
  if (!s.ok()) {
    fmt::print(stderr, "dyad_bench_query: {}\n", s.ToString());
    return 1;
  }
  return 0;
}
