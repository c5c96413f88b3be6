// dyad_bench_service: closed-loop load on a running `dyad serve`, one RPC
// kind at a time, from N client threads over 127.0.0.1 (or any address).
// scripts/bench-service.sh runs it for each RPC and client count against
// one server and sets the query RPCs beside the empty-RPC ceiling.
//
//   dyad_bench_service --server HOST:PORT --rpc stats|health|neighbours|path
//                      [--clients 1] [--duration-s 10] [--warmup-s 1]
//                      [--queries queries.txt --nodes nodes.csv]
//                      [--depth 1] [--limit 100] [--max-depth 10] [--deadline-ms 10000]
//
//   stats       DyadService/Stats, the cheapest call of the service
//   health      grpc.health.v1.Health/Check of "dyad.v1.DyadService": gRPC's
//               own handler, no dyad code at all
//   neighbours  DyadService/Neighbourhood of the Q1 ids of queries.txt:
//               depth 1, limit 100, omit_facts (node ids and names only)
//   path        DyadService/Paths, PATH_MODE_SHORTEST, of the Q3 pairs
//
// --deadline-ms is each call's deadline (0: none), so that a stuck server
// shows as errors instead of a hang.
//
// queries.txt holds gen_facts.py's numeric ids; nodes.csv (id,label,name)
// names them, and a Find RPC per id turns each into the store's external id
// before the clock starts. The requests then cycle through those ids, each
// client starting at its own offset.
//
// Each client thread has its own channel (a distinct channel argument, so
// gRPC does not share one connection among them) and a synchronous stub, and
// sends its next call as soon as the last one answered (closed loop); it
// decodes answers into a protobuf arena, as docs/clients.md advises. Calls
// that start after the warm-up and end before its end count: qps is their
// number over --duration-s; percentiles are nearest rank over their wall
// times. Every failed call counts as an error, the warm-up's too. Prints
// one JSON object on stdout; exit 1 when the set-up fails (no server, an id
// that does not resolve), 0 otherwise (errors are in the JSON).
#include <fmt/format.h>
#include <google/protobuf/arena.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/client_unary_call.h>
#include <grpcpp/impl/rpc_method.h>
#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "dyad/v1/dyad.grpc.pb.h"

namespace dyad::bench {
namespace {

namespace v1 = dyad::v1;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kUsage =
    "usage: dyad_bench_service --server HOST:PORT --rpc stats|health|neighbours|path\n"
    "                          [--clients 1] [--duration-s 10] [--warmup-s 1]\n"
    "                          [--queries queries.txt --nodes nodes.csv]\n"
    "                          [--depth 1] [--limit 100] [--max-depth 10] [--deadline-ms 10000]\n";

// The service the health check asks about, and its answer's wire form:
// HealthCheckResponse{status: SERVING (1)}.
constexpr std::string_view kHealthService = "dyad.v1.DyadService";
constexpr std::string_view kServing = "\x08\x01";
// Error messages kept for the report.
constexpr size_t kErrorExamples = 5;

enum class Rpc { kStats, kHealth, kNeighbours, kPath };

struct Args {
  std::string server;
  Rpc rpc = Rpc::kStats;
  std::string rpc_name;
  int clients = 1;
  double duration_s = 10;
  double warmup_s = 1;
  std::string queries, nodes;
  uint32_t depth = 1;
  uint64_t limit = 100;
  uint32_t max_depth = 10;  // Q3: shortest paths of at most 10 hops
  int64_t deadline_ms = 10000;
};

template <class T>
bool ParseNumber(std::string_view text, T* out) {
  if constexpr (std::is_floating_point_v<T>) {
    std::string s(text);
    char* end = nullptr;
    *out = std::strtod(s.c_str(), &end);
    return !s.empty() && end == s.c_str() + s.size() && std::isfinite(*out);
  } else {
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
    return ec == std::errc() && p == text.data() + text.size();
  }
}

// Empty: the arguments are fine; "help": -h; else what is wrong.
std::string ParseArgs(int argc, char** argv, Args* a) {
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (flag == "-h" || flag == "--help") return "help";
    if (i + 1 >= argc) return fmt::format("{} needs a value", flag);
    std::string_view value = argv[++i];
    bool ok = true;
    if (flag == "--server") {
      a->server = value;
    } else if (flag == "--rpc") {
      a->rpc_name = value;
      if (value == "stats") {
        a->rpc = Rpc::kStats;
      } else if (value == "health") {
        a->rpc = Rpc::kHealth;
      } else if (value == "neighbours") {
        a->rpc = Rpc::kNeighbours;
      } else if (value == "path") {
        a->rpc = Rpc::kPath;
      } else {
        ok = false;
      }
    } else if (flag == "--clients") {
      ok = ParseNumber(value, &a->clients) && a->clients > 0 && a->clients <= 4096;
    } else if (flag == "--duration-s") {
      ok = ParseNumber(value, &a->duration_s) && a->duration_s > 0;
    } else if (flag == "--warmup-s") {
      ok = ParseNumber(value, &a->warmup_s) && a->warmup_s >= 0;
    } else if (flag == "--queries") {
      a->queries = value;
    } else if (flag == "--nodes") {
      a->nodes = value;
    } else if (flag == "--depth") {
      ok = ParseNumber(value, &a->depth);
    } else if (flag == "--limit") {
      ok = ParseNumber(value, &a->limit);
    } else if (flag == "--max-depth") {
      ok = ParseNumber(value, &a->max_depth);
    } else if (flag == "--deadline-ms") {
      ok = ParseNumber(value, &a->deadline_ms) && a->deadline_ms >= 0;
    } else {
      return fmt::format("unknown flag '{}'", flag);
    }
    if (!ok) return fmt::format("bad value '{}' for {}", value, flag);
  }
  if (a->server.empty() || a->rpc_name.empty()) return "--server and --rpc are required";
  if ((a->rpc == Rpc::kNeighbours || a->rpc == Rpc::kPath) &&
      (a->queries.empty() || a->nodes.empty())) {
    return fmt::format("--rpc {} needs --queries and --nodes", a->rpc_name);
  }
  return "";
}

// A string as a JSON string literal.
std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (u < 0x20) {
      out += fmt::format("\\u{:04x}", u);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// A number as JSON: rounded to the microsecond scale the figures need.
std::string Num(double x) { return std::isfinite(x) ? fmt::format("{:.6g}", x) : "null"; }

std::vector<std::string_view> Fields(std::string_view line, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    size_t end = line.find(sep);
    out.push_back(line.substr(0, end));
    if (end == std::string_view::npos) break;
    line.remove_prefix(end + 1);
  }
  return out;
}

// The gen_facts ids the RPC asks about: one per request (Q1) or two (Q3).
std::optional<std::vector<std::vector<uint64_t>>> ReadQueries(const std::string& path,
                                                              std::string_view cls, size_t arity,
                                                              std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = fmt::format("cannot read {}", path);
    return std::nullopt;
  }
  std::vector<std::vector<uint64_t>> out;
  std::string line;
  for (int lineno = 1; std::getline(in, line); ++lineno) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string_view> f = Fields(line, '\t');
    if (f[0] != cls) continue;
    if (f.size() != arity + 1) {
      *error = fmt::format("{}:{}: {} wants {} ids", path, lineno, cls, arity);
      return std::nullopt;
    }
    std::vector<uint64_t> ids(arity);
    for (size_t i = 0; i < arity; ++i) {
      if (!ParseNumber(f[i + 1], &ids[i])) {
        *error = fmt::format("{}:{}: bad id '{}'", path, lineno, f[i + 1]);
        return std::nullopt;
      }
    }
    out.push_back(std::move(ids));
  }
  if (out.empty()) {
    *error = fmt::format("{} has no {} line", path, cls);
    return std::nullopt;
  }
  return out;
}

grpc::ChannelArguments ChannelArgs(int client) {
  grpc::ChannelArguments args;
  // A distinct argument makes a distinct subchannel: one TCP connection
  // per client, as separate client processes would have.
  args.SetInt("dyad.bench.channel", client);
  args.SetMaxReceiveMessageSize(-1);
  return args;
}

std::string StatusText(const grpc::Status& s) {
  return fmt::format("{} {}", static_cast<int>(s.error_code()), s.error_message());
}

// gen_facts id -> the store's external id: nodes.csv names the node, Find
// looks it up; exactly one node of that label and name must answer.
std::optional<std::unordered_map<uint64_t, std::string>> Resolve(v1::DyadService::Stub& stub,
                                                                 const std::string& nodes_csv,
                                                                 const std::set<uint64_t>& wanted,
                                                                 int64_t deadline_ms,
                                                                 std::string* error) {
  std::ifstream in(nodes_csv);
  if (!in) {
    *error = fmt::format("cannot read {}", nodes_csv);
    return std::nullopt;
  }
  std::unordered_map<uint64_t, std::string> out;
  std::string line;
  std::getline(in, line);  // id,label,name
  for (int lineno = 2; out.size() < wanted.size() && std::getline(in, line); ++lineno) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t c1 = line.find(',');
    const size_t c2 = c1 == std::string::npos ? c1 : line.find(',', c1 + 1);
    uint64_t id = 0;
    if (c2 == std::string::npos || !ParseNumber(std::string_view(line).substr(0, c1), &id)) {
      *error = fmt::format("{}:{}: not an id,label,name row", nodes_csv, lineno);
      return std::nullopt;
    }
    if (!wanted.contains(id)) continue;
    v1::FindRequest request;
    request.set_label(line.substr(c1 + 1, c2 - c1 - 1));
    request.set_name(line.substr(c2 + 1));
    v1::FindResponse response;
    grpc::ClientContext ctx;
    if (deadline_ms > 0) {
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms));
    }
    grpc::Status s = stub.Find(&ctx, request, &response);
    if (!s.ok()) {
      *error =
          fmt::format("Find {}:{} (id {}): {}", request.label(), request.name(), id, StatusText(s));
      return std::nullopt;
    }
    // A name may also be another node's alias: the node of that very name.
    std::vector<std::string> exact;
    for (const auto& n : response.matches()) {
      if (n.name() == request.name() && n.label() == request.label()) exact.push_back(n.id());
    }
    if (exact.size() != 1) {
      *error = fmt::format("{}:{}: {}:{} names {} nodes on the server", nodes_csv, lineno,
                           request.label(), request.name(), exact.size());
      return std::nullopt;
    }
    out.emplace(id, std::move(exact.front()));
  }
  for (uint64_t id : wanted) {
    if (!out.contains(id)) {
      *error = fmt::format("id {} of the queries is not in {}", id, nodes_csv);
      return std::nullopt;
    }
  }
  return out;
}

// What one answer held: nodes returned (neighbours), whether a path was
// found and its hops (path), whether a limit cut it short.
struct Answer {
  uint64_t nodes = 0, found = 0, hops = 0, truncated = 0;
};

// What one client thread saw.
struct ClientRun {
  std::vector<double> ms;  // calls in the measured window
  uint64_t calls = 0;      // every call, warm-up included
  uint64_t errors = 0;     // every failed call, warm-up included
  uint64_t window_errors = 0;
  std::vector<std::string> error_examples;
  // Answers in the window: nodes returned (neighbours) or paths found and
  // their hops (path), and how many were cut short by a limit.
  uint64_t answers = 0, answer_nodes = 0, found = 0, hops = 0, truncated = 0;
};

// The calls a client makes. Each returns the status and what the answer
// held.
class Caller {
 public:
  Caller(const Args& args, int client, const std::vector<v1::NeighbourhoodRequest>* neighbours,
         const std::vector<v1::PathsRequest>* paths)
      : args_(args),
        channel_(grpc::CreateCustomChannel(args.server, grpc::InsecureChannelCredentials(),
                                           ChannelArgs(client))),
        stub_(v1::DyadService::NewStub(channel_)),
        neighbours_(neighbours),
        paths_(paths),
        health_method_("/grpc.health.v1.Health/Check", grpc::internal::RpcMethod::NORMAL_RPC) {
    const size_t n = neighbours ? neighbours->size() : paths ? paths->size() : 1;
    next_ = n * static_cast<size_t>(client) / static_cast<size_t>(args.clients);
    // HealthCheckRequest{service: kHealthService}: field 1, length-delimited.
    std::string wire;
    wire += '\x0a';
    wire += static_cast<char>(kHealthService.size());
    wire += kHealthService;
    grpc::Slice slice(wire);
    health_request_ = grpc::ByteBuffer(&slice, 1);
  }

  bool Connect(Clock::time_point until) {
    const auto wall = std::chrono::system_clock::now() + (until - Clock::now());
    return channel_->WaitForConnected(wall);
  }

  grpc::Status Call(Answer* answer) {
    grpc::ClientContext ctx;
    if (args_.deadline_ms > 0) {
      ctx.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(args_.deadline_ms));
    }
    switch (args_.rpc) {
      case Rpc::kStats: {
        google::protobuf::Arena arena(ArenaOptionsOf(arena_block_));
        auto* response = google::protobuf::Arena::CreateMessage<v1::StatsResponse>(&arena);
        return stub_->Stats(&ctx, v1::StatsRequest(), response);
      }
      case Rpc::kHealth: {
        // The generic form of a unary call, as the generated stubs make it;
        // the health messages are not among dyad's protos.
        grpc::ByteBuffer response;
        grpc::Status s = grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer,
                                                           grpc::ByteBuffer, grpc::ByteBuffer>(
            channel_.get(), health_method_, &ctx, health_request_, &response);
        if (!s.ok()) return s;
        std::vector<grpc::Slice> slices;
        std::string bytes;
        if (response.Dump(&slices).ok()) {
          for (const auto& sl : slices) {
            bytes.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
          }
        }
        if (bytes != kServing) {
          return grpc::Status(grpc::StatusCode::UNKNOWN, "health: the service is not SERVING");
        }
        return s;
      }
      case Rpc::kNeighbours: {
        const v1::NeighbourhoodRequest& request = (*neighbours_)[next_++ % neighbours_->size()];
        google::protobuf::Arena arena(ArenaOptionsOf(arena_block_));
        auto* response = google::protobuf::Arena::CreateMessage<v1::NeighbourhoodResponse>(&arena);
        grpc::Status s = stub_->Neighbourhood(&ctx, request, response);
        answer->nodes = static_cast<uint64_t>(response->nodes_size());
        answer->truncated = response->truncated();
        return s;
      }
      case Rpc::kPath: {
        const v1::PathsRequest& request = (*paths_)[next_++ % paths_->size()];
        google::protobuf::Arena arena(ArenaOptionsOf(arena_block_));
        auto* response = google::protobuf::Arena::CreateMessage<v1::PathsResponse>(&arena);
        grpc::Status s = stub_->Paths(&ctx, request, response);
        answer->found = response->has_hops();
        answer->hops = response->hops();
        answer->truncated = response->truncated();
        return s;
      }
    }
    return grpc::Status(grpc::StatusCode::INTERNAL, "unknown rpc");
  }

 private:
  // Answers are decoded into an arena on a block reused from call to call,
  // as a C++ client that cares about its CPU would (docs/clients.md): most
  // of a small answer's decoding was allocating and freeing its strings.
  static google::protobuf::ArenaOptions ArenaOptionsOf(std::vector<char>& block) {
    google::protobuf::ArenaOptions options;
    options.initial_block = block.data();
    options.initial_block_size = block.size();
    return options;
  }
  std::vector<char> arena_block_ = std::vector<char>(64 << 10);
  const Args& args_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::DyadService::Stub> stub_;
  const std::vector<v1::NeighbourhoodRequest>* neighbours_;
  const std::vector<v1::PathsRequest>* paths_;
  grpc::internal::RpcMethod health_method_;
  grpc::ByteBuffer health_request_;
  size_t next_ = 0;
};

// Nearest rank.
double Pct(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return NAN;
  long k = static_cast<long>(std::ceil(p / 100.0 * static_cast<double>(sorted.size()))) - 1;
  k = std::clamp(k, 0L, static_cast<long>(sorted.size()) - 1);
  return sorted[static_cast<size_t>(k)];
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

int Main(const Args& args) {
  std::vector<v1::NeighbourhoodRequest> neighbours;
  std::vector<v1::PathsRequest> paths;
  size_t distinct = 1;
  double resolve_s = 0;
  if (args.rpc == Rpc::kNeighbours || args.rpc == Rpc::kPath) {
    const bool q1 = args.rpc == Rpc::kNeighbours;
    std::string error;
    auto queries = ReadQueries(args.queries, q1 ? "Q1" : "Q3", q1 ? 1 : 2, &error);
    if (!queries) {
      fmt::print(stderr, "dyad_bench_service: {}\n", error);
      return 1;
    }
    std::set<uint64_t> wanted;
    for (const auto& q : *queries) wanted.insert(q.begin(), q.end());
    const auto t0 = Clock::now();
    auto stub = v1::DyadService::NewStub(grpc::CreateCustomChannel(
        args.server, grpc::InsecureChannelCredentials(), ChannelArgs(-1)));
    auto ids = Resolve(*stub, args.nodes, wanted, args.deadline_ms, &error);
    if (!ids) {
      fmt::print(stderr, "dyad_bench_service: {}\n", error);
      return 1;
    }
    resolve_s = std::chrono::duration<double>(Clock::now() - t0).count();
    for (const auto& q : *queries) {
      if (q1) {
        v1::NeighbourhoodRequest& r = neighbours.emplace_back();
        r.set_node(ids->at(q[0]));
        r.set_depth(args.depth);
        r.set_limit(args.limit);
        r.set_omit_facts(true);
      } else {
        v1::PathsRequest& r = paths.emplace_back();
        r.set_from(ids->at(q[0]));
        r.set_to(ids->at(q[1]));
        r.set_mode(v1::PATH_MODE_SHORTEST);
        r.set_max_depth(args.max_depth);
      }
    }
    distinct = q1 ? neighbours.size() : paths.size();
  }

  // Every client connects first; then all start together.
  std::vector<std::unique_ptr<Caller>> callers;
  const auto connect_by = Clock::now() + std::chrono::seconds(10);
  for (int i = 0; i < args.clients; ++i) {
    callers.push_back(std::make_unique<Caller>(args, i,
                                               args.rpc == Rpc::kNeighbours ? &neighbours : nullptr,
                                               args.rpc == Rpc::kPath ? &paths : nullptr));
    if (!callers.back()->Connect(connect_by)) {
      fmt::print(stderr, "dyad_bench_service: client {} cannot connect to {}\n", i, args.server);
      return 1;
    }
  }

  std::vector<ClientRun> runs(static_cast<size_t>(args.clients));
  const auto expected = static_cast<size_t>(
      std::min(args.duration_s * 200000.0 / args.clients, 5e6));  // a generous guess
  for (auto& r : runs) r.ms.reserve(expected);
  std::mutex mu;
  std::condition_variable go;
  bool started = false;
  Clock::time_point window_start, window_end;
  std::vector<std::thread> threads;
  for (int i = 0; i < args.clients; ++i) {
    threads.emplace_back([&, i] {
      {
        std::unique_lock lock(mu);
        go.wait(lock, [&] { return started; });
      }
      Caller& caller = *callers[static_cast<size_t>(i)];
      ClientRun& run = runs[static_cast<size_t>(i)];
      for (;;) {
        const auto t0 = Clock::now();
        if (t0 >= window_end) break;
        const bool in_window = t0 >= window_start;
        Answer answer;
        grpc::Status s = caller.Call(&answer);
        const auto t1 = Clock::now();
        const bool count = in_window && t1 <= window_end;
        ++run.calls;
        if (!s.ok()) {
          ++run.errors;
          if (count) ++run.window_errors;
          if (run.error_examples.size() < kErrorExamples) {
            run.error_examples.push_back(StatusText(s));
          }
        } else if (count) {
          run.ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
          ++run.answers;
          run.answer_nodes += answer.nodes;
          run.found += answer.found;
          run.hops += answer.hops;
          run.truncated += answer.truncated;
        }
      }
    });
  }
  const double cpu0 = CpuSeconds();
  {
    std::lock_guard lock(mu);
    const auto now = Clock::now();
    window_start = now + std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>(args.warmup_s));
    window_end = window_start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(args.duration_s));
    started = true;
  }
  go.notify_all();
  for (auto& t : threads) t.join();
  const double cpu_s = CpuSeconds() - cpu0;

  std::vector<double> ms;
  ClientRun total;
  std::vector<uint64_t> per_client;
  for (auto& r : runs) {
    ms.insert(ms.end(), r.ms.begin(), r.ms.end());
    per_client.push_back(r.ms.size());
    total.calls += r.calls;
    total.errors += r.errors;
    total.window_errors += r.window_errors;
    total.answers += r.answers;
    total.answer_nodes += r.answer_nodes;
    total.found += r.found;
    total.hops += r.hops;
    total.truncated += r.truncated;
    for (auto& e : r.error_examples) {
      if (total.error_examples.size() < kErrorExamples) total.error_examples.push_back(e);
    }
  }
  std::sort(ms.begin(), ms.end());
  double sum = 0;
  for (double x : ms) sum += x;
  const double qps = static_cast<double>(ms.size()) / args.duration_s;
  const double n = static_cast<double>(ms.size());

  std::string j;
  auto put = [&](std::string_view k, std::string_view v) {
    j += j.empty() ? "{" : ", ";
    j += Quote(k);
    j += ": ";
    j += v;
  };
  auto count = [](uint64_t x) { return fmt::format("{}", x); };
  put("rpc", Quote(args.rpc_name));
  put("server", Quote(args.server));
  put("clients", count(static_cast<uint64_t>(args.clients)));
  put("duration_s", Num(args.duration_s));
  put("warmup_s", Num(args.warmup_s));
  put("calls", count(ms.size()));
  put("qps", Num(qps));
  put("p50_ms", Num(Pct(ms, 50)));
  put("p90_ms", Num(Pct(ms, 90)));
  put("p99_ms", Num(Pct(ms, 99)));
  put("p999_ms", Num(Pct(ms, 99.9)));
  put("max_ms", Num(ms.empty() ? NAN : ms.back()));
  put("mean_ms", Num(ms.empty() ? NAN : sum / n));
  put("errors", count(total.errors));
  put("window_errors", count(total.window_errors));
  put("calls_all", count(total.calls));
  std::string examples = "[";
  for (size_t i = 0; i < total.error_examples.size(); ++i) {
    examples += (i ? ", " : "") + Quote(total.error_examples[i]);
  }
  put("error_examples", examples + "]");
  put("per_client_calls", fmt::format("{{\"min\": {}, \"max\": {}}}",
                                      *std::min_element(per_client.begin(), per_client.end()),
                                      *std::max_element(per_client.begin(), per_client.end())));
  put("client_cpu_s", Num(cpu_s));
  put("client_cpu_us_per_call", Num(ms.empty() ? NAN : cpu_s * 1e6 / n));
  put("distinct_requests", count(distinct));
  put("resolve_s", Num(resolve_s));
  put("deadline_ms", count(static_cast<uint64_t>(args.deadline_ms)));
  if (args.rpc == Rpc::kNeighbours) {
    put("request", fmt::format("{{\"depth\": {}, \"limit\": {}, \"omit_facts\": true}}", args.depth,
                               args.limit));
    put("mean_nodes", Num(total.answers ? static_cast<double>(total.answer_nodes) /
                                              static_cast<double>(total.answers)
                                        : NAN));
    put("truncated", count(total.truncated));
  } else if (args.rpc == Rpc::kPath) {
    put("request",
        fmt::format("{{\"mode\": \"PATH_MODE_SHORTEST\", \"max_depth\": {}}}", args.max_depth));
    put("found", count(total.found));
    put("mean_hops",
        Num(total.found ? static_cast<double>(total.hops) / static_cast<double>(total.found)
                        : NAN));
    put("truncated", count(total.truncated));
  }
  j += "}";
  fmt::print("{}\n", j);
  return 0;
}

}  // namespace
}  // namespace dyad::bench

int main(int argc, char** argv) {
  dyad::bench::Args args;
  std::string error = dyad::bench::ParseArgs(argc, argv, &args);
  if (!error.empty()) {
    if (error != "help") fmt::print(stderr, "dyad_bench_service: {}\n", error);
    fmt::print(stderr, "{}", dyad::bench::kUsage);
    return error == "help" ? 0 : 2;
  }
  return dyad::bench::Main(args);
}
