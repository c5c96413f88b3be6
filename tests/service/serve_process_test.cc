// `dyad serve` as a process on 127.0.0.1 with a free port: health checking
// and reflection as generic tools see them, the command line's --server
// mode (the same bytes as embedded, the exit codes of cli.md), and
// shutdown on SIGTERM during a streaming load (nothing acknowledged lost;
// a second signal exits at once and leaves whole chunks only).
#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <google/protobuf/descriptor.pb.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "dyad/v1/dyad.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "storage/store.h"
#include "tests/test_util.h"

namespace dyad::testing {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

std::string Facts(int first, int count) {
  std::string text;
  for (int i = first; i < first + count; ++i) {
    text += fmt::format(
        R"({{"kind":"fact","subject":{{"label":"Person","name":"P{}"}},"predicate":"MET",)"
        R"("object":{{"label":"Person","name":"P{}"}},"source":{{"doc":"d{}"}}}})"
        "\n",
        i, i + 1, i);
  }
  return text;
}

uint64_t FactsIn(const std::filesystem::path& db) {
  std::unique_ptr<storage::Store> store = OpenStore(db);
  return store ? store->GetStats().facts : 0;
}

class ServeProcessTest : public ::testing::Test {
 protected:
  TempDir dir_;
};

TEST_F(ServeProcessTest, HealthAndReflectionAnswerWithoutTheToken) {
  ServeProcess server(dir_ / "db", dir_ / "log", {"--token", "t0k3n", "--token-reads"});
  ASSERT_FALSE(server.address().empty()) << ReadFile(dir_ / "log");
  auto channel = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
  auto health = grpc::health::v1::Health::NewStub(channel);
  for (const char* service : {"", "dyad.v1.DyadService"}) {
    grpc::ClientContext ctx;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status s = health->Check(&ctx, request, &response);
    ASSERT_TRUE(s.ok()) << service << ": " << s.error_message();
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  }
  auto reflection = grpc::reflection::v1alpha::ServerReflection::NewStub(channel);
  grpc::ClientContext ctx;
  auto stream = reflection->ServerReflectionInfo(&ctx);
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_list_services("");
  ASSERT_TRUE(stream->Write(request));
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  ASSERT_TRUE(stream->Read(&response));
  std::vector<std::string> services;
  for (const auto& s : response.list_services_response().service()) services.push_back(s.name());
  EXPECT_THAT(services, ::testing::IsSupersetOf({"dyad.v1.DyadService", "grpc.health.v1.Health"}));
  request.set_file_containing_symbol("dyad.v1.DyadService");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  ASSERT_GE(response.file_descriptor_response().file_descriptor_proto_size(), 1);
  google::protobuf::FileDescriptorProto file;
  ASSERT_TRUE(file.ParseFromString(response.file_descriptor_response().file_descriptor_proto(0)));
  EXPECT_EQ(file.name(), "dyad/v1/dyad.proto");
  ASSERT_EQ(file.service_size(), 1);
  std::vector<std::string> methods;
  for (const auto& m : file.service(0).method()) methods.push_back(m.name());
  EXPECT_THAT(methods, ::testing::ElementsAre("LoadFacts", "UpsertEntity", "Find", "GetFacts",
                                              "Neighbourhood", "Paths", "DyadTimeline", "Stats",
                                              "Export", "Backup"));
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
  // The token still guards dyad's own calls.
  RunResult stats = RunDyad({"stats", "--server", server.address(), "--format", "json"});
  EXPECT_EQ(stats.exit_code, 6) << stats.err;
  EXPECT_THAT(stats.out, HasSubstr(R"("code":"UNAUTHENTICATED")"));
}

TEST_F(ServeProcessTest, TheCommandLineThroughTheServerPrintsTheEmbeddedBytes) {
  const std::string local = (dir_ / "local").string();
  ASSERT_EQ(RunDyad({"load", "--db", local, SeedFacts().string()}).exit_code, 0);
  ServeProcess server(dir_ / "served", dir_ / "log", {"--token", "t0k3n"});
  ASSERT_FALSE(server.address().empty()) << ReadFile(dir_ / "log");
  const std::string& at = server.address();
  // Loads need the token (exit 6); with it, the summary is the embedded one
  // but for its seconds.
  RunResult refused = RunDyad({"load", "--server", at, SeedFacts().string(), "--format", "json"});
  EXPECT_EQ(refused.exit_code, 6) << refused.out << refused.err;
  RunResult loaded = RunDyad(
      {"load", "--server", at, "--token", "t0k3n", SeedFacts().string(), "--format", "json"});
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
  EXPECT_THAT(loaded.out, HasSubstr(R"("facts_added":27,"facts_corroborated":7)"));

  const std::vector<std::vector<std::string>> commands = {
      {"stats"},
      {"find", "Moscow"},
      {"find", "Kiani", "--label", "Person"},
      {"find", "Nobody"},
      {"facts", "Kiani"},
      {"facts", "Moscow"},
      {"facts", "Russia", "--direction", "out", "--predicate", "VISIT", "--from", "2012-10-01"},
      {"neighbours", "Pakistan", "--depth", "2"},
      {"neighbours", "Pakistan", "--depth", "2", "--limit", "4"},
      {"neighbours", "Russia", "--label", "Person", "--min-confidence", "0.9"},
      {"path", "Lavrov", "Kiani"},
      {"path", "Lavrov", "Kiani", "--all"},
      {"path", "Lavrov", "Kiani", "--k", "3", "--weighted"},
      {"path", "Russia", "Atlantis"},
      {"dyad", "Russia", "Pakistan"},
      {"dyad", "Russia", "Pakistan", "--by", "year"},
      {"neighbours", "Pakistan", "--from", "2013-01-01", "--to", "2012-01-01"},
      {"export", "--to", "graphml"},
      {"export", "--to", "dot", "--dyad", "Russia", "Pakistan"},
      {"export", "--to", "cytoscape", "--around", "Kiani", "--depth", "2"},
      {"export", "--to", "jsonl"},
      {"export", "--to", "dot", "--around", "Atlantis"},
  };
  for (const auto& format : {"json", "table"}) {
    for (auto args : commands) {
      args.insert(args.end(), {"--format", format});
      auto embedded_args = args, remote_args = args;
      embedded_args.insert(embedded_args.end(), {"--db", local});
      remote_args.insert(remote_args.end(), {"--server", at});
      RunResult embedded = RunDyad(embedded_args);
      RunResult remote = RunDyad(remote_args);
      const std::string what = fmt::format("{}", fmt::join(args, " "));
      EXPECT_EQ(remote.exit_code, embedded.exit_code) << what << "\n" << remote.err;
      EXPECT_EQ(remote.out, embedded.out) << what;
      EXPECT_EQ(remote.err, embedded.err) << what;
    }
  }
  // No server there: exit 7, and the JSON error says so.
  RunResult nowhere = RunDyad({"stats", "--server", "127.0.0.1:1", "--format", "json"});
  EXPECT_EQ(nowhere.exit_code, 7);
  EXPECT_THAT(nowhere.out, HasSubstr(R"("code":"UNAVAILABLE")"));
  // Reads need no token here; every call was logged with its status.
  server.Signal(SIGTERM);
  EXPECT_EQ(server.Wait(milliseconds(20000)), 0);
  const std::string log = ReadFile(dir_ / "log");
  EXPECT_THAT(log, HasSubstr("call dyad.v1.DyadService/LoadFacts UNAUTHENTICATED"));
  EXPECT_THAT(log, HasSubstr("call dyad.v1.DyadService/Paths NOT_FOUND"));
  EXPECT_THAT(log, HasSubstr("stopped"));
}

TEST_F(ServeProcessTest, SigtermDuringALoadLetsItFinishAndLosesNothing) {
  ServeProcess server(dir_ / "db", dir_ / "log");
  ASSERT_FALSE(server.address().empty()) << ReadFile(dir_ / "log");
  auto stub = v1::DyadService::NewStub(
      grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  v1::LoadSummary summary;
  auto writer = stub->LoadFacts(&ctx, &summary);
  v1::LoadFactsRequest m;
  m.mutable_options()->set_batch(1000);
  constexpr int kParts = 20, kPerPart = 1000;
  for (int part = 0; part < kParts; ++part) {
    if (part == kParts / 2) {
      server.Signal(SIGTERM);
      std::this_thread::sleep_for(milliseconds(200));  // the server is shutting down now
    }
    m.set_data(Facts(part * kPerPart, kPerPart));
    ASSERT_TRUE(writer->Write(m)) << "part " << part;
    m.clear_options();
  }
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(summary.facts_added(), uint64_t{kParts * kPerPart});
  EXPECT_EQ(server.Wait(milliseconds(30000)), 0) << ReadFile(dir_ / "log");
  EXPECT_EQ(FactsIn(dir_ / "db"), uint64_t{kParts * kPerPart});
  EXPECT_THAT(ReadFile(dir_ / "log"), HasSubstr("finishing the calls in flight"));
}

TEST_F(ServeProcessTest, ASecondSignalExitsAtOnceAndLeavesWholeChunks) {
  ServeProcess server(dir_ / "db", dir_ / "log", {"--grace", "60"});
  ASSERT_FALSE(server.address().empty()) << ReadFile(dir_ / "log");
  auto stub = v1::DyadService::NewStub(
      grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  v1::LoadSummary summary;
  auto writer = stub->LoadFacts(&ctx, &summary);
  v1::LoadFactsRequest m;
  constexpr int kBatch = 700;
  m.mutable_options()->set_batch(kBatch);
  for (int part = 0; part < 10; ++part) {
    m.set_data(Facts(part * 1000, 1000));
    ASSERT_TRUE(writer->Write(m));
    m.clear_options();
  }
  std::this_thread::sleep_for(milliseconds(300));  // some chunks commit
  server.Signal(SIGTERM);
  std::this_thread::sleep_for(milliseconds(100));
  server.Signal(SIGTERM);  // the load is still open: only this ends the server
  EXPECT_EQ(server.Wait(milliseconds(5000)), 128 + SIGTERM);
  ctx.TryCancel();
  EXPECT_FALSE(writer->Finish().ok());
  // The store opens, and holds whole chunks only: every fact here is new,
  // so the count is a multiple of the chunk size.
  uint64_t facts = FactsIn(dir_ / "db");
  EXPECT_GT(facts, 0u) << "no chunk committed in 300 ms";
  EXPECT_EQ(facts % kBatch, 0u) << facts;
}

// `serve --ack-log`: each chunk a load commits is written down, in order,
// by the time the load's answer comes.
TEST_F(ServeProcessTest, TheAckLogNamesEveryChunkTheServerCommitted) {
  const std::filesystem::path ack = dir_ / "ack.jsonl";
  ServeProcess server(dir_ / "db", dir_ / "log", {"--ack-log", ack.string()});
  ASSERT_FALSE(server.address().empty()) << ReadFile(dir_ / "log");
  WriteFile(dir_ / "facts.jsonl", Facts(0, 2500));
  RunResult r = RunDyad({"load", "--server", server.address(), (dir_ / "facts.jsonl").string(),
                         "--batch", "1000", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(ack),
            "{\"chunk\":1,\"committed_lines\":1000}\n"
            "{\"chunk\":2,\"committed_lines\":2000}\n"
            "{\"chunk\":3,\"committed_lines\":2500}\n");
}

}  // namespace
}  // namespace dyad::testing
