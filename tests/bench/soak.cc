// dyad_soak: a long mixed workload on a running `dyad serve`, for
// scripts/soak.sh. Loads a generated base graph, then runs --clients client
// threads for --duration-s: one in eight streams LoadFacts chunks, the
// others ask a random mix of Neighbourhood, Paths, DyadTimeline, GetFacts,
// Find and Stats, each call with a deadline. The loads cycle through a
// fixed set of facts, so after the first pass the store stops growing and
// the server's memory should too (the script samples its RSS).
//
//   dyad_soak --server HOST:PORT [--clients 32] [--duration-s 600]
//             [--warmup-s 60] [--deadline-ms 5000] [--token T]
//
// Prints one JSON object: per call kind the calls, errors and p50/p99
// latency in ms (calls that started after the warm-up), the errors by
// status code with examples, and a timeline of calls, errors and p99 per
// 10 s. Exit 0 when the run completed (errors are in the JSON), 1 when the
// set-up failed (no server, the base load failed), 2 on bad flags.
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "dyad/v1/dyad.grpc.pb.h"

namespace dyad::bench {
namespace {

namespace v1 = dyad::v1;
using Clock = std::chrono::steady_clock;

constexpr int kCountries = 60;
constexpr int kPersons = 3000;
// The facts loaders cycle through: the store holds all of them after the
// first pass, and later passes change nothing.
constexpr uint64_t kCycledFacts = 100000;
constexpr uint64_t kFactsPerLoad = 2000;
constexpr size_t kErrorExamples = 8;
constexpr double kWindowS = 10;

enum Kind { kLoad, kNeighbours, kPath, kDyad, kFacts, kFind, kStats, kKinds };
constexpr std::string_view kKindNames[kKinds] = {"load",  "neighbours", "path", "dyad",
                                                 "facts", "find",       "stats"};

struct Args {
  std::string server;
  std::string token;
  int clients = 32;
  double duration_s = 600;
  double warmup_s = 60;
  int64_t deadline_ms = 5000;
};

std::string Country(int i) { return fmt::format("Country {:03}", i); }
std::string Person(int i) { return fmt::format("Person {:04}", i); }

// The base graph: every person holds office in a country, so that the
// dyad timelines of two countries roll their people's events up.
std::string BaseFacts() {
  std::string text;
  for (int c = 0; c < kCountries; ++c) {
    text += fmt::format(R"({{"kind":"entity","label":"Country","name":"{}"}})"
                        "\n",
                        Country(c));
  }
  for (int p = 0; p < kPersons; ++p) {
    text += fmt::format(
        R"({{"kind":"fact","subject":{{"label":"Person","name":"{}"}},"predicate":"HOLDS_OFFICE",)"
        R"("object":{{"label":"Country","name":"{}"}},"valid_from":"2010-01-01",)"
        R"("source":{{"doc":"soak-base-{}"}}}})"
        "\n",
        Person(p), Country(p % kCountries), p / 100);
  }
  return text;
}

// Fact number i of the cycle: always the same fact and source for the same i.
std::string CycledFact(uint64_t i) {
  static constexpr std::string_view kPredicates[] = {"MET",     "VISITED",   "HOSTED",
                                                     "PRAISED", "CONSULTED", "NEGOTIATED"};
  std::mt19937_64 rng(i * 0x9E3779B97F4A7C15ull + 1);
  const int subject = static_cast<int>(rng() % kPersons);
  const int object = static_cast<int>(rng() % kPersons);
  const auto predicate = kPredicates[rng() % std::size(kPredicates)];
  const int month = static_cast<int>(rng() % 72);
  return fmt::format(
      R"({{"kind":"fact","subject":{{"label":"Person","name":"{}"}},"predicate":"{}",)"
      R"("object":{{"label":"Person","name":"{}"}},"valid_from":"{}-{:02}-15",)"
      R"("confidence":0.{},"source":{{"doc":"soak-{}","outlet":"Soak"}}}})"
      "\n",
      Person(subject), predicate, Person(object), 2010 + month / 12, month % 12 + 1, 5 + rng() % 5,
      i % 5000);
}

class Report {
 public:
  Report(Clock::time_point start, double warmup_s) : start_(start), warmup_s_(warmup_s) {}

  void Add(Kind kind, Clock::time_point began, Clock::time_point ended, const grpc::Status& s) {
    const double at = std::chrono::duration<double>(began - start_).count();
    const double ms = std::chrono::duration<double, std::milli>(ended - began).count();
    std::lock_guard lock(mu_);
    const size_t window = static_cast<size_t>(at / kWindowS);
    if (windows_.size() <= window) windows_.resize(window + 1);
    windows_[window].calls++;
    windows_[window].latencies.push_back(ms);
    if (!s.ok()) {
      windows_[window].errors++;
      errors_[s.error_code()]++;
      if (examples_.size() < kErrorExamples) {
        examples_.push_back(fmt::format("{}: {} {}", kKindNames[kind],
                                        static_cast<int>(s.error_code()), s.error_message()));
      }
    }
    if (at < warmup_s_) return;
    kinds_[kind].latencies.push_back(ms);
    if (!s.ok()) kinds_[kind].errors++;
  }

  std::string Json(const Args& args, uint64_t loaded_facts) {
    std::lock_guard lock(mu_);
    std::string out = fmt::format(
        R"({{"clients":{},"duration_s":{},"warmup_s":{},"deadline_ms":{},"facts_streamed":{},)",
        args.clients, args.duration_s, args.warmup_s, args.deadline_ms, loaded_facts);
    out += R"("kinds":{)";
    for (int k = 0; k < kKinds; ++k) {
      auto& lat = kinds_[k].latencies;
      out += fmt::format(R"({}"{}":{{"calls":{},"errors":{},"p50_ms":{},"p99_ms":{}}})",
                         k ? "," : "", kKindNames[k], lat.size(), kinds_[k].errors,
                         Num(Percentile(lat, 0.50)), Num(Percentile(lat, 0.99)));
    }
    uint64_t total_errors = 0;
    out += R"(},"errors_by_code":{)";
    bool first = true;
    for (const auto& [code, n] : errors_) {
      out += fmt::format(R"({}"{}":{})", first ? "" : ",", static_cast<int>(code), n);
      total_errors += n;
      first = false;
    }
    out += fmt::format(R"(}},"errors":{},"error_examples":[)", total_errors);
    for (size_t i = 0; i < examples_.size(); ++i) {
      out += (i ? "," : "") + Quote(examples_[i]);
    }
    out += R"(],"timeline":[)";
    for (size_t w = 0; w < windows_.size(); ++w) {
      out += fmt::format(R"({}{{"t_s":{},"calls":{},"errors":{},"p99_ms":{}}})", w ? "," : "",
                         static_cast<double>(w) * kWindowS, windows_[w].calls, windows_[w].errors,
                         Num(Percentile(windows_[w].latencies, 0.99)));
    }
    return out + "]}";
  }

 private:
  struct Window {
    uint64_t calls = 0, errors = 0;
    std::vector<double> latencies;
  };
  struct PerKind {
    std::vector<double> latencies;
    uint64_t errors = 0;
  };
  // Nearest rank.
  static double Percentile(std::vector<double>& v, double q) {
    if (v.empty()) return NAN;
    size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
    rank = std::clamp<size_t>(rank, 1, v.size());
    std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(rank - 1), v.end());
    return v[rank - 1];
  }
  static std::string Num(double x) { return std::isfinite(x) ? fmt::format("{:.4g}", x) : "null"; }
  static std::string Quote(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') out += '\\';
      if (static_cast<unsigned char>(c) < 0x20) {
        out += ' ';
        continue;
      }
      out += c;
    }
    return out + "\"";
  }

  const Clock::time_point start_;
  const double warmup_s_;
  std::mutex mu_;
  PerKind kinds_[kKinds];
  std::vector<Window> windows_;
  std::map<grpc::StatusCode, uint64_t> errors_;
  std::vector<std::string> examples_;
};

class Client {
 public:
  Client(const Args& args, int index)
      : args_(args), rng_(static_cast<uint64_t>(index) * 7919 + 17) {
    grpc::ChannelArguments channel_args;
    channel_args.SetInt("dyad.soak.channel", index);  // a connection of its own
    channel_args.SetMaxReceiveMessageSize(256 << 20);
    stub_ = v1::DyadService::NewStub(
        grpc::CreateCustomChannel(args.server, grpc::InsecureChannelCredentials(), channel_args));
  }

  void Prepare(grpc::ClientContext& ctx, bool deadline) const {
    if (deadline && args_.deadline_ms > 0) {
      ctx.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(args_.deadline_ms));
    }
    if (!args_.token.empty()) ctx.AddMetadata("authorization", "Bearer " + args_.token);
  }

  // Streams `text` as one LoadFacts call, in pieces of about 64 KiB.
  grpc::Status Load(const std::string& text, v1::LoadSummary* summary, bool deadline) {
    grpc::ClientContext ctx;
    Prepare(ctx, deadline);
    auto writer = stub_->LoadFacts(&ctx, summary);
    v1::LoadFactsRequest m;
    m.mutable_options()->set_batch(1000);
    for (size_t at = 0; at < text.size();) {
      size_t end = std::min(text.size(), at + (64 << 10));
      end = text.rfind('\n', end - 1) + 1;
      m.set_data(text.substr(at, end - at));
      if (!writer->Write(m)) break;
      m.clear_options();
      at = end;
    }
    writer->WritesDone();
    return writer->Finish();
  }

  std::string RandomNode() {
    return rng_() % 4 == 0 ? "Country:" + Country(static_cast<int>(rng_() % kCountries))
                           : "Person:" + Person(static_cast<int>(rng_() % kPersons));
  }

  grpc::Status Query(Kind kind) {
    grpc::ClientContext ctx;
    Prepare(ctx, true);
    switch (kind) {
      case kNeighbours: {
        v1::NeighbourhoodRequest r;
        r.set_node(RandomNode());
        r.set_depth(1 + static_cast<uint32_t>(rng_() % 2));
        r.set_limit(100);
        v1::NeighbourhoodResponse a;
        return stub_->Neighbourhood(&ctx, r, &a);
      }
      case kPath: {
        v1::PathsRequest r;
        r.set_from(RandomNode());
        do {
          r.set_to(RandomNode());
        } while (r.to() == r.from());
        r.set_max_depth(6);
        r.set_limit(10);
        v1::PathsResponse a;
        return stub_->Paths(&ctx, r, &a);
      }
      case kDyad: {
        v1::DyadTimelineRequest r;
        r.set_a("Country:" + Country(static_cast<int>(rng_() % kCountries)));
        do {
          r.set_b("Country:" + Country(static_cast<int>(rng_() % kCountries)));
        } while (r.b() == r.a());
        r.set_by(rng_() % 2 ? v1::PERIOD_MONTH : v1::PERIOD_YEAR);
        v1::DyadTimelineResponse a;
        return stub_->DyadTimeline(&ctx, r, &a);
      }
      case kFacts: {
        v1::GetFactsRequest r;
        r.set_node(RandomNode());
        v1::GetFactsResponse a;
        return stub_->GetFacts(&ctx, r, &a);
      }
      case kFind: {
        v1::FindRequest r;
        r.set_name(Person(static_cast<int>(rng_() % kPersons)));
        v1::FindResponse a;
        return stub_->Find(&ctx, r, &a);
      }
      default: {
        v1::StatsRequest r;
        v1::StatsResponse a;
        return stub_->Stats(&ctx, r, &a);
      }
    }
  }

  Kind PickQuery() {
    // neighbours 30%, path 20%, dyad 15%, facts 15%, find 10%, stats 10%
    const uint64_t r = rng_() % 100;
    if (r < 30) return kNeighbours;
    if (r < 50) return kPath;
    if (r < 65) return kDyad;
    if (r < 80) return kFacts;
    if (r < 90) return kFind;
    return kStats;
  }

 private:
  const Args& args_;
  std::mt19937_64 rng_;
  std::unique_ptr<v1::DyadService::Stub> stub_;
};

bool ParseArgs(int argc, char** argv, Args* a) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view flag = argv[i], value = argv[i + 1];
    auto number = [&](auto* out) {
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), *out);
      return ec == std::errc() && p == value.data() + value.size();
    };
    bool ok = true;
    if (flag == "--server") {
      a->server = value;
    } else if (flag == "--token") {
      a->token = value;
    } else if (flag == "--clients") {
      ok = number(&a->clients) && a->clients >= 2 && a->clients <= 1024;
    } else if (flag == "--duration-s") {
      ok = number(&a->duration_s) && a->duration_s > 0;
    } else if (flag == "--warmup-s") {
      ok = number(&a->warmup_s) && a->warmup_s >= 0;
    } else if (flag == "--deadline-ms") {
      ok = number(&a->deadline_ms) && a->deadline_ms >= 0;
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "dyad_soak: bad flag or value: %s %s\n", argv[i], argv[i + 1]);
      return false;
    }
  }
  return argc % 2 == 1 && !a->server.empty();
}

int Main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(argc, argv, &args)) {
    std::fputs(
        "usage: dyad_soak --server HOST:PORT [--clients 32] [--duration-s 600] [--warmup-s 60]\n"
        "                 [--deadline-ms 5000] [--token T]\n",
        stderr);
    return 2;
  }
  {
    Client setup(args, -1);
    v1::LoadSummary summary;
    grpc::Status s = setup.Load(BaseFacts(), &summary, /*deadline=*/false);
    if (!s.ok()) {
      std::fprintf(stderr, "dyad_soak: loading the base graph: %s\n", s.error_message().c_str());
      return 1;
    }
  }
  const Clock::time_point start = Clock::now();
  const Clock::time_point end = start + std::chrono::duration_cast<Clock::duration>(
                                            std::chrono::duration<double>(args.duration_s));
  Report report(start, args.warmup_s);
  std::atomic<uint64_t> next_fact{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < args.clients; ++i) {
    threads.emplace_back([&, i] {
      Client client(args, i);
      const bool loader = i % 8 == 0;
      while (Clock::now() < end) {
        const Clock::time_point began = Clock::now();
        grpc::Status s;
        Kind kind;
        if (loader) {
          kind = kLoad;
          const uint64_t first = next_fact.fetch_add(kFactsPerLoad);
          std::string text;
          for (uint64_t f = first; f < first + kFactsPerLoad; ++f) {
            text += CycledFact(f % kCycledFacts);
          }
          v1::LoadSummary summary;
          s = client.Load(text, &summary, /*deadline=*/false);
        } else {
          kind = client.PickQuery();
          s = client.Query(kind);
        }
        report.Add(kind, began, Clock::now(), s);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::printf("%s\n", report.Json(args, next_fact.load()).c_str());
  return 0;
}

}  // namespace
}  // namespace dyad::bench

int main(int argc, char** argv) { return dyad::bench::Main(argc, argv); }
