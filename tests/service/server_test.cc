// The dyad.v1 server in this process, on 127.0.0.1 with a free port, asked
// by real gRPC clients: the command line's RemoteBackend (whose answers
// must equal an embedded store's, byte for byte once rendered) and raw
// stubs (codes, details, auth, TLS, deadlines, loads streaming while
// queries run). serve_process_test.cc runs `dyad serve` itself.
#include "service/server.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "dyad/v1/dyad.grpc.pb.h"
#include "graph/vocabulary.h"
#include "service/embedded_backend.h"
#include "service/grpc_status.h"
#include "service/proto_convert.h"
#include "service/remote_backend.h"
#include "service/render.h"
#include "tests/test_util.h"

namespace dyad::service {
namespace {

using dyad::testing::DenseGraph;
using dyad::testing::SeedFacts;
using dyad::testing::TempDir;
using std::chrono::milliseconds;
using ::testing::HasSubstr;

// Opens an embedded backend on `dir`, creating the store.
std::unique_ptr<EmbeddedBackend> OpenBackend(const std::filesystem::path& dir) {
  EmbeddedOptions options;
  options.create_if_missing = true;
  options.open_graph_now = true;
  Result<std::unique_ptr<EmbeddedBackend>> b =
      EmbeddedBackend::Open(dir, graph::Vocabulary::Default(), options);
  EXPECT_TRUE(b.ok()) << b.status().ToString();
  return b.ok() ? std::move(*b) : nullptr;
}

Status LoadFile(Backend& backend, const std::filesystem::path& file, storage::LoadSummary* summary,
                storage::LoadOptions options = {}) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError("cannot open " + file.string());
  Status s = backend.Load({{"facts.jsonl", fd, {}}}, options, summary);
  ::close(fd);
  return s;
}

// A graph big enough that a search of every path never ends: `nodes`
// people, each meeting `degree` others at random (fixed seed).
class ServerTest : public ::testing::Test {
 protected:
  // Serves a fresh store (seeded unless told otherwise) with `options`.
  void Serve(ServerOptions options = {}, bool seed = true) {
    served_ = OpenBackend(dir_ / "served");
    ASSERT_NE(served_, nullptr);
    if (seed) {
      storage::LoadSummary summary;
      ASSERT_TRUE(LoadFile(*served_, SeedFacts(), &summary).ok());
    }
    options.listen = "127.0.0.1:0";
    options.log = [this](std::string_view line) {
      std::lock_guard lock(log_mu_);
      log_.emplace_back(line);
    };
    Result<std::unique_ptr<Server>> server = Server::Start(*served_, options);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    address_ = fmt::format("127.0.0.1:{}", server_->port());
    channel_ = grpc::CreateChannel(address_, grpc::InsecureChannelCredentials());
    stub_ = v1::DyadService::NewStub(channel_);
  }

  void TearDown() override {
    if (server_) server_->Shutdown(milliseconds(1000));
    server_.reset();
    served_.reset();
  }

  RemoteBackend Remote(std::string token = "") {
    RemoteOptions options;
    options.address = address_;
    options.token = std::move(token);
    return RemoteBackend(options);
  }

  // The logged duration of the last call of `method`, in ms; -1 if none.
  double LoggedMs(std::string_view method) {
    std::lock_guard lock(log_mu_);
    for (auto it = log_.rbegin(); it != log_.rend(); ++it) {
      if (it->find(fmt::format("/{} ", method)) == std::string::npos) continue;
      size_t ms = it->find(" ms ");
      size_t start = it->rfind(' ', ms - 1);
      return std::stod(it->substr(start + 1, ms - start - 1));
    }
    return -1;
  }

  TempDir dir_;
  std::unique_ptr<EmbeddedBackend> served_;
  std::unique_ptr<Server> server_;
  std::string address_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::DyadService::Stub> stub_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

// The JSON the command line would print for an answer or an error.
template <class View, class Render>
std::string JsonOf(Backend& backend, const Result<View>& answer, Render render) {
  if (!answer.ok()) return ErrorJson(answer.status(), backend.CandidatesOf(answer.status()));
  return render(*answer);
}

TEST_F(ServerTest, EveryAnswerThroughTheServerEqualsTheEmbeddedOne) {
  Serve({}, /*seed=*/false);
  RemoteBackend remote = Remote();
  storage::LoadSummary remote_summary, local_summary;
  ASSERT_TRUE(LoadFile(remote, SeedFacts(), &remote_summary).ok());
  std::unique_ptr<EmbeddedBackend> local = OpenBackend(dir_ / "local");
  ASSERT_TRUE(LoadFile(*local, SeedFacts(), &local_summary).ok());
  remote_summary.seconds = local_summary.seconds = 0;
  EXPECT_EQ(LoadSummaryJson(remote_summary), LoadSummaryJson(local_summary));
  EXPECT_EQ(remote_summary.facts_added, 27u);

  std::vector<Backend*> both = {&remote, local.get()};
  std::vector<std::string> answers[2];
  for (int i = 0; i < 2; ++i) {
    Backend& b = *both[i];
    auto& out = answers[i];
    for (const char* name : {"Moscow", "Kiani", "Location:Moscow", "Nobody", "Q159"}) {
      Result<std::vector<storage::Node>> found = b.Find(name, "");
      out.push_back(JsonOf(b, found, FindJson));
    }
    out.push_back(JsonOf(b, b.Find("Moscow", "Location"), FindJson));
    out.push_back(JsonOf(b, b.Stats(), StatsJson));
    auto facts = [](const FactsView& v) { return FactsJson(v.node, v.facts, v.truncated); };
    for (const char* node : {"Kiani", "Moscow", "Nowhere", "Country:pakistan"}) {
      out.push_back(JsonOf(b, b.Facts({node, {}}), facts));
    }
    FactsRequest filtered{"Russia", {}};
    filtered.filters.direction = storage::Direction::kOut;
    filtered.filters.predicates = {"VISIT", "CANCELLED_VISIT"};
    out.push_back(JsonOf(b, b.Facts(filtered), facts));
    for (int depth : {0, 1, 2, 3}) {
      NeighboursRequest n;
      n.node = "Pakistan";
      n.depth = depth;
      out.push_back(JsonOf(b, b.Neighbours(n), NeighboursJson));
    }
    NeighboursRequest limited;
    limited.node = "Russia";
    limited.depth = 2;
    limited.limit = 3;
    limited.filters.min_confidence = 0.5;
    out.push_back(JsonOf(b, b.Neighbours(limited), NeighboursJson));
    PathsRequest p;
    p.from = "Lavrov";
    p.to = "Kiani";
    out.push_back(JsonOf(b, b.Paths(p), PathsJson));
    p.mode = graph::PathMode::kAllShortest;
    out.push_back(JsonOf(b, b.Paths(p), PathsJson));
    p.mode = graph::PathMode::kKShortest;
    p.k = 4;
    out.push_back(JsonOf(b, b.Paths(p), PathsJson));
    p.weighted = true;
    out.push_back(JsonOf(b, b.Paths(p), PathsJson));
    p.to = "Nowhere";
    out.push_back(JsonOf(b, b.Paths(p), PathsJson));
    for (graph::Period by : {graph::Period::kMonth, graph::Period::kYear}) {
      DyadRequest d;
      d.a = "Russia";
      d.b = "Pakistan";
      d.by = by;
      out.push_back(JsonOf(b, b.Dyad(d), DyadJson));
    }
  }
  ASSERT_EQ(answers[0].size(), answers[1].size());
  for (size_t i = 0; i < answers[0].size(); ++i) {
    EXPECT_EQ(answers[0][i], answers[1][i]) << "answer " << i;
  }
  // The seeds' Russia-Pakistan totals (expected.md), so the comparison
  // above compared answers, not two empty errors.
  EXPECT_THAT(answers[0].back(), HasSubstr(R"("a_to_b":{"events":8,"goldstein":20.6})"));
}

// A hub's neighbourhood reads its thousands of facts in chunks on two
// threads: every fact of the hub comes back once, in key order, with its
// sources, as the hub's own facts list them.
TEST(EmbeddedBackendTest, AHubsNeighbourhoodHasEveryFactOfTheHubOnceInOrder) {
  TempDir dir;
  std::unique_ptr<EmbeddedBackend> backend = OpenBackend(dir / "store");
  ASSERT_NE(backend, nullptr);
  std::string text;
  for (int i = 1; i <= 1700; ++i) {
    for (const auto& [from, to, day] : {std::tuple(0, i, 1), std::tuple(i, 0, 15)}) {
      text += fmt::format(
          R"({{"kind":"fact","subject":{{"label":"Person","name":"P{}"}},"predicate":"MET",)"
          R"("object":{{"label":"Person","name":"P{}"}},"valid_from":"2012-{:02}-{:02}",)"
          R"("source":{{"doc":"d{}"}}}})"
          "\n",
          from, to, 1 + i % 12, day, i);
    }
  }
  const std::filesystem::path file = dir / "hub.jsonl";
  dyad::testing::WriteFile(file, text);
  storage::LoadSummary summary;
  ASSERT_TRUE(LoadFile(*backend, file, &summary).ok());

  NeighboursRequest around;
  around.node = "P0";
  Result<NeighboursView> hood = backend->Neighbours(around);
  ASSERT_TRUE(hood.ok()) << hood.status().ToString();
  FactsRequest of;
  of.node = "P0";
  Result<FactsView> own = backend->Facts(of);
  ASSERT_TRUE(own.ok()) << own.status().ToString();
  ASSERT_EQ(own->facts.size(), 3400u);
  EXPECT_EQ(hood->nodes.size(), 1700u);
  ASSERT_EQ(hood->facts.size(), own->facts.size());
  for (size_t i = 0; i < own->facts.size(); ++i) {
    const storage::Fact& a = hood->facts[i].fact;
    const storage::Fact& b = own->facts[i].fact;
    ASSERT_EQ(std::tie(a.subject, a.predicate, a.object, a.valid_from),
              std::tie(b.subject, b.predicate, b.object, b.valid_from))
        << "fact " << i;
    ASSERT_EQ(a.sources.size(), 1u) << "fact " << i;
    EXPECT_EQ(a.sources[0].doc, b.sources[0].doc) << "fact " << i;
    EXPECT_EQ(hood->facts[i].subject.name, own->facts[i].subject.name) << "fact " << i;
    EXPECT_EQ(hood->facts[i].object.name, own->facts[i].object.name) << "fact " << i;
  }
}

TEST_F(ServerTest, StreamingLoadTakesLinesSplitAnywhereAcrossSources) {
  Serve({}, /*seed=*/false);
  const std::string seeds = dyad::testing::ReadFile(SeedFacts());
  const size_t half = seeds.find('\n', seeds.size() / 2) + 1;
  grpc::ClientContext ctx;
  v1::LoadSummary summary;
  auto writer = stub_->LoadFacts(&ctx, &summary);
  v1::LoadFactsRequest m;
  m.add_sources("first.jsonl");
  m.add_sources("second.jsonl");
  m.mutable_options()->set_batch(5);
  // 7-byte pieces: lines and UTF-8 sequences are cut everywhere.
  size_t i = 0;
  while (i < seeds.size()) {
    size_t end = std::min(seeds.size(), i + 7);
    if (i < half && end > half) end = half;
    m.set_source_index(i < half ? 0 : 1);
    m.set_data(seeds.substr(i, end - i));
    ASSERT_TRUE(writer->Write(m));
    m.clear_sources();
    m.clear_options();
    i = end;
  }
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(summary.lines(), 53u);
  EXPECT_EQ(summary.facts_added(), 27u);
  EXPECT_EQ(summary.facts_corroborated(), 7u);
  EXPECT_EQ(summary.committed_lines(), 53u);
  // Visible to the next query at once.
  Result<storage::Stats> stats = Remote().Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->facts, 27u);
}

TEST_F(ServerTest, EmptyMessagesInALoadStreamAreNothing) {
  Serve({}, /*seed=*/false);
  const std::string seeds = dyad::testing::ReadFile(SeedFacts());
  grpc::ClientContext ctx;
  v1::LoadSummary summary;
  auto writer = stub_->LoadFacts(&ctx, &summary);
  v1::LoadFactsRequest m;
  m.add_sources("seeds.jsonl");
  ASSERT_TRUE(writer->Write(m));  // options and sources only
  m.clear_sources();
  m.set_data(seeds.substr(0, 1000));
  ASSERT_TRUE(writer->Write(m));
  m.clear_data();
  ASSERT_TRUE(writer->Write(m));  // empty in the middle
  m.set_data(seeds.substr(1000));
  ASSERT_TRUE(writer->Write(m));
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(summary.lines(), 53u);
  EXPECT_EQ(summary.facts_added(), 27u);
}

TEST_F(ServerTest, ALoadStreamBrokenByAnOversizedMessageCommitsNoPartOfItsChunk) {
  Serve({}, /*seed=*/false);
  const std::string seeds = dyad::testing::ReadFile(SeedFacts());
  grpc::ClientContext ctx;
  v1::LoadSummary summary;
  auto writer = stub_->LoadFacts(&ctx, &summary);
  v1::LoadFactsRequest m;
  m.mutable_options()->set_skip_bad(true);  // a cut-off last line must not pass as a bad one
  m.set_data(seeds.substr(0, seeds.size() / 2));
  ASSERT_TRUE(writer->Write(m));
  m.clear_options();
  m.set_data(std::string(17 << 20, ' '));
  writer->Write(m);
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  // Wait for the server's side of the call to end, then look.
  for (int i = 0; i < 500 && LoggedMs("LoadFacts") < 0; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  Result<storage::Stats> stats = Remote().Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->facts, 0u);
  EXPECT_EQ(stats->nodes, 0u);
}

TEST_F(ServerTest, AtMostEightLoadsRunOrWaitAndQueriesStillAnswer) {
  Serve();
  struct Open {
    grpc::ClientContext ctx;
    v1::LoadSummary summary;
    std::unique_ptr<grpc::ClientWriter<v1::LoadFactsRequest>> writer;
  };
  std::vector<std::unique_ptr<Open>> loads;
  v1::LoadFactsRequest m;
  m.set_data("# a load that has not ended yet\n");
  for (int i = 0; i < 8; ++i) {
    auto& load = loads.emplace_back(std::make_unique<Open>());
    load->writer = stub_->LoadFacts(&load->ctx, &load->summary);
    ASSERT_TRUE(load->writer->Write(m));
  }
  std::this_thread::sleep_for(milliseconds(300));  // every handler has started
  grpc::ClientContext ctx;
  v1::LoadSummary summary;
  auto ninth = stub_->LoadFacts(&ctx, &summary);
  ninth->WritesDone();
  grpc::Status refused = ninth->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(), HasSubstr("8 loads"));
  EXPECT_TRUE(Remote().Stats().ok());
  // End every stream before waiting for any: the one holding the store's
  // write lock may be any of them.
  for (auto& load : loads) load->writer->WritesDone();
  for (auto& load : loads) EXPECT_TRUE(load->writer->Finish().ok());
}

TEST_F(ServerTest, LoadStoppedByABadLineNamesItAndSaysHowFarItGot) {
  Serve({}, /*seed=*/false);
  grpc::ClientContext ctx;
  v1::LoadSummary summary;
  auto writer = stub_->LoadFacts(&ctx, &summary);
  v1::LoadFactsRequest m;
  m.mutable_options()->set_batch(2);
  m.set_data(
      R"({"kind":"entity","label":"Country","name":"A"})"
      "\n"
      R"({"kind":"entity","label":"Country","name":"B"})"
      "\n"
      R"({"kind":"entity","label":"Country","name":"C"})"
      "\n"
      R"({"kind":"fact","subject":"A","predicate":"MET","object":{"label":"Country","name":"B"}})"
      "\n");
  writer->Write(m);
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("<stream>:4: subject:"));
  ErrorExtras extras;
  Status s = FromGrpcStatus(status, &extras);
  EXPECT_TRUE(s.IsInvalidArgument());
  ASSERT_TRUE(extras.load_summary.has_value());
  EXPECT_EQ(extras.load_summary->committed_lines, 2u);  // the first chunk; not C's
  ASSERT_EQ(extras.load_summary->bad_lines.size(), 1u);
  EXPECT_EQ(extras.load_summary->bad_lines[0].line, 4u);
  EXPECT_EQ(extras.load_summary->bad_lines[0].field, "subject");
  Result<storage::Stats> stats = Remote().Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->nodes, 2u);
}

TEST_F(ServerTest, BadRequestsGetTheCodeAndNameTheField) {
  Serve();
  auto code_of = [](const grpc::Status& s) { return s.error_code(); };
  {
    grpc::ClientContext ctx;
    v1::NeighbourhoodRequest r;
    v1::NeighbourhoodResponse out;
    grpc::Status s = stub_->Neighbourhood(&ctx, r, &out);
    EXPECT_EQ(code_of(s), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("node: is required"));
  }
  {
    grpc::ClientContext ctx;
    v1::NeighbourhoodRequest r;
    r.set_node("Pakistan");
    r.mutable_filters()->set_from("2012-13-01");
    v1::NeighbourhoodResponse out;
    grpc::Status s = stub_->Neighbourhood(&ctx, r, &out);
    EXPECT_EQ(code_of(s), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("filters.from"));
  }
  {
    grpc::ClientContext ctx;
    v1::PathsRequest r;
    r.set_from("Russia");
    r.set_to("Pakistan");
    r.set_mode(v1::PATH_MODE_K_SHORTEST);
    v1::PathsResponse out;
    grpc::Status s = stub_->Paths(&ctx, r, &out);
    EXPECT_EQ(code_of(s), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("k: 0 is out of range"));
  }
  {
    grpc::ClientContext ctx;
    v1::DyadTimelineRequest r;
    r.set_a("Russia");
    r.set_b("Pakistan");
    r.mutable_filters()->set_min_confidence(1.5);
    v1::DyadTimelineResponse out;
    grpc::Status s = stub_->DyadTimeline(&ctx, r, &out);
    EXPECT_EQ(code_of(s), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("filters.min-confidence"));
  }
  {
    grpc::ClientContext ctx;
    v1::PathsRequest r;
    r.set_from("Russia");
    r.set_to("Atlantis");
    v1::PathsResponse out;
    grpc::Status s = stub_->Paths(&ctx, r, &out);
    EXPECT_EQ(code_of(s), grpc::StatusCode::NOT_FOUND);
    EXPECT_THAT(s.error_message(), HasSubstr("Atlantis"));
  }
  {
    grpc::ClientContext ctx;
    v1::GetFactsRequest r;
    r.set_node("Moscow");
    v1::GetFactsResponse out;
    grpc::Status s = stub_->GetFacts(&ctx, r, &out);
    EXPECT_EQ(code_of(s), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_THAT(s.error_message(), HasSubstr("Country:russia, Location:moscow"));
    // The candidates, as nodes, in the details any client can decode.
    v1::ErrorDetails details;
    ASSERT_TRUE(details.ParseFromString(s.error_details()));
    EXPECT_EQ(details.code(), static_cast<int>(grpc::StatusCode::FAILED_PRECONDITION));
    ASSERT_EQ(details.details_size(), 1);
    v1::ErrorInfo info;
    ASSERT_TRUE(details.details(0).UnpackTo(&info));
    EXPECT_EQ(info.code(), "AMBIGUOUS");
    ASSERT_EQ(info.candidates_size(), 2);
    EXPECT_EQ(info.candidates(0).name(), "Russia");
    EXPECT_EQ(info.candidates(1).label(), "Location");
  }
  {
    grpc::ClientContext ctx;
    v1::LoadSummary out;
    auto writer = stub_->LoadFacts(&ctx, &out);
    v1::LoadFactsRequest m;
    m.add_sources("a");
    m.add_sources("b");
    m.set_source_index(1);
    m.set_data("# comment\n");
    writer->Write(m);
    m.set_source_index(0);
    writer->Write(m);
    writer->WritesDone();
    grpc::Status s = writer->Finish();
    EXPECT_EQ(code_of(s), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("source_index"));
  }
  {
    grpc::ClientContext ctx;
    v1::LoadSummary out;
    auto writer = stub_->LoadFacts(&ctx, &out);
    v1::LoadFactsRequest m;
    m.mutable_options()->set_batch(20'000'000);
    writer->Write(m);
    writer->WritesDone();
    grpc::Status s = writer->Finish();
    EXPECT_EQ(code_of(s), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("options.batch"));
  }
  {
    // Over the 16 MiB request limit.
    grpc::ClientContext ctx;
    v1::LoadSummary out;
    auto writer = stub_->LoadFacts(&ctx, &out);
    v1::LoadFactsRequest m;
    m.set_data(std::string(17 << 20, '\n'));
    writer->Write(m);
    writer->WritesDone();
    grpc::Status s = writer->Finish();
    EXPECT_EQ(code_of(s), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  }
  {
    grpc::ClientContext ctx;
    v1::UpsertEntityRequest r;
    r.set_label("Country");
    v1::Node out;
    grpc::Status s = stub_->UpsertEntity(&ctx, r, &out);
    EXPECT_EQ(code_of(s), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("name: is required"));
  }
  {
    grpc::ClientContext ctx;
    v1::UpsertEntityRequest r;
    r.set_label("not a label");
    r.set_name("X");
    v1::Node out;
    grpc::Status s = stub_->UpsertEntity(&ctx, r, &out);
    EXPECT_EQ(code_of(s), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("label"));
  }
}

// What an Export call streamed: each file's data, concatenated, and the
// summary of its last chunk.
struct Exported {
  std::map<std::string, std::string> files;
  ExportSummary summary;
};

Result<Exported> ExportThrough(v1::DyadService::Stub& stub, const v1::ExportRequest& request) {
  grpc::ClientContext ctx;
  auto reader = stub.Export(&ctx, request);
  Exported out;
  v1::ExportChunk chunk;
  bool summarised = false;
  while (reader->Read(&chunk)) {
    EXPECT_FALSE(summarised) << "only the last chunk has the summary";
    EXPECT_LE(chunk.data().size(), size_t{2} << 20);
    if (request.format() == v1::EXPORT_FORMAT_JSONL && !chunk.data().empty()) {
      EXPECT_EQ(chunk.data().back(), '\n') << "a chunk holds whole lines";
    }
    if (!chunk.data().empty()) out.files[chunk.file()] += chunk.data();
    if (chunk.has_summary()) {
      out.summary = FromProto(chunk.summary());
      summarised = true;
    }
  }
  grpc::Status s = reader->Finish();
  if (!s.ok()) return FromGrpcStatus(s);
  EXPECT_TRUE(summarised);
  return out;
}

Result<std::string> ExportAll(v1::DyadService::Stub& stub) {
  DYAD_ASSIGN_OR_RETURN(Exported exported, ExportThrough(stub, v1::ExportRequest()));
  return exported.files[""];
}

TEST_F(ServerTest, EveryExportEqualsTheEmbeddedOne) {
  Serve();
  std::vector<ExportRequest> scopes(3);
  scopes[1].scope = ExportRequest::Scope::kAround;
  scopes[1].around = "Kiani";
  scopes[1].depth = 2;
  scopes[2].scope = ExportRequest::Scope::kDyad;
  scopes[2].a = "Russia";
  scopes[2].b = "Pakistan";
  scopes[2].filters.predicates = {"VISITED", "CANCELLED_VISIT", "MET"};
  for (ExportFormat format : {ExportFormat::kGraphml, ExportFormat::kDot, ExportFormat::kCytoscape,
                              ExportFormat::kJsonl, ExportFormat::kCsv}) {
    for (ExportRequest request : scopes) {
      request.format = format;
      SCOPED_TRACE(
          fmt::format("{} of scope {}", ExportFormatName(format), static_cast<int>(request.scope)));
      std::map<std::string, std::string> embedded;
      Result<ExportSummary> expected =
          served_->Export(request, [&](std::string_view file, std::string_view data) {
            embedded[std::string(file)] += data;
            return Status::OK();
          });
      ASSERT_TRUE(expected.ok()) << expected.status().ToString();
      Result<Exported> remote = ExportThrough(*stub_, ToProto(request));
      ASSERT_TRUE(remote.ok()) << remote.status().ToString();
      EXPECT_EQ(remote->files, embedded);
      EXPECT_EQ(remote->summary.nodes, expected->nodes);
      EXPECT_EQ(remote->summary.edges, expected->edges);
      EXPECT_GT(expected->edges, 0u);
    }
  }
}

TEST_F(ServerTest, BadExportRequestsGetTheirCodes) {
  Serve();
  struct Case {
    std::string name;
    v1::ExportRequest request;
    grpc::StatusCode code;
    std::string message;
  };
  std::vector<Case> cases(5);
  cases[0] = {"format", {}, grpc::StatusCode::INVALID_ARGUMENT, "format"};
  cases[0].request.set_format(static_cast<v1::ExportFormat>(99));
  cases[1] = {"around.node", {}, grpc::StatusCode::INVALID_ARGUMENT, "around.node"};
  cases[1].request.mutable_around()->set_depth(1);
  cases[2] = {"unknown", {}, grpc::StatusCode::NOT_FOUND, "Atlantis"};
  cases[2].request.mutable_around()->set_node("Atlantis");
  cases[3] = {"ambiguous", {}, grpc::StatusCode::FAILED_PRECONDITION, "Moscow"};
  cases[3].request.mutable_dyad()->set_a("Moscow");
  cases[3].request.mutable_dyad()->set_b("Pakistan");
  cases[4] = {"direction", {}, grpc::StatusCode::INVALID_ARGUMENT, "filters.direction"};
  cases[4].request.mutable_filters()->set_direction(v1::DIRECTION_OUT);
  for (const Case& c : cases) {
    Result<Exported> r = ExportThrough(*stub_, c.request);
    ASSERT_FALSE(r.ok()) << c.name;
    grpc::Status s = ToGrpcStatus(r.status());
    EXPECT_EQ(s.error_code(), c.code) << c.name;
    EXPECT_THAT(r.status().message(), HasSubstr(c.message)) << c.name;
  }
}

TEST_F(ServerTest, ExportLoadedBackGivesAnEqualStore) {
  Serve();  // the seeds: declared entities, corroborated facts, props
  // Plus nodes that only facts created, and many chunks' worth of lines.
  dyad::testing::WriteFile(dir_ / "dense.jsonl", DenseGraph(1500, 8, 5));
  storage::LoadSummary summary;
  ASSERT_TRUE(LoadFile(*served_, dir_ / "dense.jsonl", &summary).ok());
  Result<std::string> exported = ExportAll(*stub_);
  ASSERT_TRUE(exported.ok()) << exported.status().ToString();
  EXPECT_GT(exported->size(), size_t{1} << 20);
  dyad::testing::WriteFile(dir_ / "export.jsonl", *exported);
  std::unique_ptr<EmbeddedBackend> copy = OpenBackend(dir_ / "copy");
  ASSERT_TRUE(LoadFile(*copy, dir_ / "export.jsonl", &summary).ok());
  EXPECT_TRUE(summary.bad_lines.empty());
  Result<std::string> original = served_->store().DumpCanonical();
  Result<std::string> reloaded = copy->store().DumpCanonical();
  ASSERT_TRUE(original.ok() && reloaded.ok());
  EXPECT_EQ(*reloaded, *original);
  EXPECT_THAT(*original, HasSubstr("node Person:ashfaq-parvez-kayani"));
  // And the answers too.
  Result<storage::Stats> a = served_->Stats(), b = copy->Stats();
  EXPECT_EQ(StatsJson(*a), StatsJson(*b));
}

TEST_F(ServerTest, UpsertEntityDeclaresAndThenMerges) {
  Serve();
  v1::UpsertEntityRequest r;
  r.set_label("Country");
  r.set_name("Ruritania");
  r.add_aliases("Strelsau");
  dyad::v1::Prop* p = r.add_props();
  p->set_key("iso");
  p->mutable_value()->set_string_value("RU-X");
  v1::Node node;
  {
    grpc::ClientContext ctx;
    grpc::Status s = stub_->UpsertEntity(&ctx, r, &node);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_EQ(node.id(), "Country:ruritania");
  EXPECT_THAT(node.aliases(), ::testing::ElementsAre("Strelsau"));
  r.clear_aliases();
  r.add_aliases("Zenda");
  r.clear_props();
  {
    grpc::ClientContext ctx;
    grpc::Status s = stub_->UpsertEntity(&ctx, r, &node);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_THAT(node.aliases(), ::testing::ElementsAre("Strelsau", "Zenda"));
  Result<std::vector<storage::Node>> found = Remote().Find("zenda", "");
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].name, "Ruritania");
  // An alias another country already has is refused.
  r.clear_aliases();
  r.add_aliases("Islamabad");
  r.set_name("Elbonia");
  grpc::ClientContext ctx;
  grpc::Status s = stub_->UpsertEntity(&ctx, r, &node);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("Islamabad"));
}

// Calls with `token` as a bearer token (none when empty).
grpc::Status CallStats(v1::DyadService::Stub& stub, const std::string& token) {
  grpc::ClientContext ctx;
  if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
  v1::StatsResponse out;
  return stub.Stats(&ctx, v1::StatsRequest(), &out);
}

grpc::Status CallUpsert(v1::DyadService::Stub& stub, const std::string& token) {
  grpc::ClientContext ctx;
  if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
  v1::UpsertEntityRequest r;
  r.set_label("Country");
  r.set_name("Freedonia");
  v1::Node out;
  return stub.UpsertEntity(&ctx, r, &out);
}

TEST_F(ServerTest, TokenGuardsWritesAndLeavesReadsOpen) {
  ServerOptions options;
  options.token = "s3cret-token";
  Serve(options);
  EXPECT_EQ(CallUpsert(*stub_, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(CallUpsert(*stub_, "s3cret-tokeN").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(CallUpsert(*stub_, "s3cret").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(CallUpsert(*stub_, "s3cret-token").ok());
  EXPECT_TRUE(CallStats(*stub_, "").ok());
  // A load without the token commits nothing.
  storage::LoadSummary summary;
  RemoteBackend anonymous = Remote();
  Status s = LoadFile(anonymous, SeedFacts(), &summary);
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated) << s.ToString();
  RemoteBackend trusted = Remote("s3cret-token");
  EXPECT_TRUE(LoadFile(trusted, SeedFacts(), &summary).ok());
  EXPECT_EQ(summary.facts_unchanged, 34u);
}

TEST_F(ServerTest, BackupMakesAnEqualStoreWhileServingAndNeedsTheToken) {
  ServerOptions options;
  options.token = "s3cret-token";
  Serve(options);
  const std::string dest = (dir_ / "backup").string();
  Result<uint64_t> refused = Remote().Backup(dest);
  EXPECT_EQ(refused.status().code(), StatusCode::kUnauthenticated);
  EXPECT_FALSE(std::filesystem::exists(dest));

  RemoteBackend trusted = Remote("s3cret-token");
  Result<uint64_t> sequence = trusted.Backup(dest);
  ASSERT_TRUE(sequence.ok()) << sequence.status().ToString();
  EXPECT_EQ(*sequence, served_->store().LatestSequence());
  Result<uint64_t> again = trusted.Backup(dest);
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  Result<uint64_t> nowhere = trusted.Backup("");
  EXPECT_EQ(nowhere.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(nowhere.status().message(), HasSubstr("dest"));

  // The server still serves, and the backup is a store equal to it.
  EXPECT_TRUE(trusted.Stats().ok());
  Result<std::unique_ptr<storage::Store>> copy =
      storage::Store::Open(dest, storage::StoreOptions{});
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(*(*copy)->DumpCanonical(), *served_->store().DumpCanonical());
}

TEST_F(ServerTest, TokenReadsGuardsEveryCall) {
  ServerOptions options;
  options.token = "s3cret-token";
  options.token_reads = true;
  Serve(options);
  EXPECT_EQ(CallStats(*stub_, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(CallStats(*stub_, "wrong").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(CallStats(*stub_, "s3cret-token").ok());
  Result<std::vector<storage::Node>> found = Remote().Find("Kiani", "");
  EXPECT_EQ(found.status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(Remote("s3cret-token").Find("Kiani", "").ok());
}

TEST_F(ServerTest, ServesTlsWithACertificateMadeHere) {
  const auto cert = dir_ / "cert.pem", key = dir_ / "key.pem";
  std::string cmd = fmt::format(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost "
      "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout '{}' -out '{}' 2>/dev/null",
      key.string(), cert.string());
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "openssl could not make a certificate";
  ServerOptions options;
  options.tls_cert_pem = dyad::testing::ReadFile(cert);
  options.tls_key_pem = dyad::testing::ReadFile(key);
  Serve(options);
  RemoteOptions tls;
  tls.address = address_;
  tls.tls_ca_pem = options.tls_cert_pem;
  RemoteBackend secure(tls);
  Result<storage::Stats> stats = secure.Stats();
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->facts, 27u);
  // A plaintext client gets nowhere.
  Result<storage::Stats> plain = Remote().Stats();
  EXPECT_EQ(plain.status().code(), StatusCode::kUnavailable) << plain.status().ToString();
}

class HeavyServerTest : public ServerTest {
 protected:
  void SetUp() override {
    Serve({}, /*seed=*/false);
    dyad::testing::WriteFile(dir_ / "dense.jsonl", DenseGraph(2000, 20));
    storage::LoadSummary summary;
    RemoteBackend remote = Remote();
    ASSERT_TRUE(LoadFile(remote, dir_ / "dense.jsonl", &summary).ok());
    ASSERT_GT(summary.facts_added, 30000u);
  }

  // Every loop-free path up to 8 hops between two people: never ends.
  static v1::PathsRequest EndlessPaths() {
    v1::PathsRequest r;
    r.set_from("P0");
    r.set_to("P1");
    r.set_mode(v1::PATH_MODE_K_SHORTEST);
    r.set_k(1'000'000);
    r.set_limit(1'000'000);
    return r;
  }
};

TEST_F(HeavyServerTest, AOneMillisecondDeadlineEndsAHeavyQueryAtOnce) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + milliseconds(1));
  v1::PathsResponse out;
  const auto start = std::chrono::steady_clock::now();
  grpc::Status s = stub_->Paths(&ctx, EndlessPaths(), &out);
  const double client_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED || (s.ok() && out.truncated()))
      << s.error_message();
  EXPECT_LT(client_ms, 5000);
  // gRPC may drop a call this short before it reaches dyad; if it did
  // reach it, the server's side ended well within 5 s too.
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_LT(LoggedMs("Paths"), 5000);
}

TEST_F(HeavyServerTest, AnExpiredDeadlineStopsTheServersWork) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + milliseconds(300));
  v1::PathsResponse out;
  grpc::Status s = stub_->Paths(&ctx, EndlessPaths(), &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << s.error_message();
  for (int i = 0; i < 500 && LoggedMs("Paths") < 0; ++i)
    std::this_thread::sleep_for(milliseconds(10));
  double server_ms = LoggedMs("Paths");
  EXPECT_GE(server_ms, 0) << "the server's call has not ended";
  EXPECT_LT(server_ms, 5000);
}

TEST_F(HeavyServerTest, ATimeoutInTheRequestAnswersTruncated) {
  grpc::ClientContext ctx;
  v1::PathsRequest r = EndlessPaths();
  r.mutable_filters()->set_timeout_ms(50);
  v1::PathsResponse out;
  grpc::Status s = stub_->Paths(&ctx, r, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(out.truncated());
  EXPECT_EQ(out.truncated_by(), "deadline");
  EXPECT_GT(out.paths_size(), 0);
  EXPECT_LT(LoggedMs("Paths"), 5000);
}

TEST_F(HeavyServerTest, ACancelledCallStopsItsQuery) {
  grpc::ClientContext ctx;  // no deadline: only the cancellation stops it
  std::thread cancel([&] {
    std::this_thread::sleep_for(milliseconds(100));
    ctx.TryCancel();
  });
  v1::PathsResponse out;
  grpc::Status s = stub_->Paths(&ctx, EndlessPaths(), &out);
  cancel.join();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::CANCELLED);
  for (int i = 0; i < 500 && LoggedMs("Paths") < 0; ++i)
    std::this_thread::sleep_for(milliseconds(10));
  double server_ms = LoggedMs("Paths");
  EXPECT_GE(server_ms, 0) << "the server's call is still running";
  EXPECT_LT(server_ms, 5000);
}

TEST_F(ServerTest, QueriesAnswerWhileALoadStreamsIn) {
  Serve();
  dyad::testing::WriteFile(dir_ / "dense.jsonl", DenseGraph(3000, 20, 11));
  std::atomic<bool> loading = true;
  Status loaded;
  storage::LoadSummary summary;
  std::thread loader([&] {
    RemoteBackend remote = Remote();
    storage::LoadOptions options;
    options.batch_records = 2000;  // many commits, each visible at once
    loaded = LoadFile(remote, dir_ / "dense.jsonl", &summary, options);
    loading = false;
  });
  std::atomic<int> failures = 0, answers = 0, growth_seen = 0;
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&, t] {
      RemoteBackend remote = Remote();
      uint64_t last_facts = 0;
      while (loading) {
        Status s;
        if (t == 0) {
          Result<storage::Stats> stats = remote.Stats();
          s = stats.status();
          if (stats.ok()) {
            if (stats->facts < last_facts) ++failures;  // never goes back
            if (last_facts != 0 && stats->facts > last_facts) ++growth_seen;
            last_facts = stats->facts;
          }
        } else if (t == 1) {
          DyadRequest d{"Russia", "Pakistan", graph::Period::kMonth, {}, true};
          Result<DyadView> v = remote.Dyad(d);
          s = v.status();
          if (v.ok() && v->a_to_b.events != 8) ++failures;
        } else {
          NeighboursRequest n;
          n.node = t == 2 ? "Pakistan" : "P5";
          Result<NeighboursView> v = remote.Neighbours(n);
          // P5 may not be loaded yet: NotFound is an answer too.
          s = v.ok() || v.status().IsNotFound() ? Status::OK() : v.status();
        }
        if (!s.ok()) {
          ++failures;
          ADD_FAILURE() << s.ToString();
        }
        ++answers;
      }
    });
  }
  loader.join();
  for (auto& r : readers) r.join();
  ASSERT_TRUE(loaded.ok()) << loaded.ToString();
  EXPECT_EQ(failures, 0);
  EXPECT_GT(answers, 20);
  EXPECT_GT(growth_seen, 0) << "no query saw the load in progress";
  Result<storage::Stats> stats = Remote().Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->facts, 27u + summary.facts_added);
}

TEST_F(ServerTest, AnUnreachableServerIsUnavailable) {
  RemoteOptions options;
  options.address = "127.0.0.1:1";
  RemoteBackend nowhere(options);
  Result<storage::Stats> stats = nowhere.Stats();
  EXPECT_EQ(stats.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(stats.status().message(), HasSubstr("server 127.0.0.1:1"));
}

}  // namespace
}  // namespace dyad::service
