// Exports (service/export.h, `dyad export`): every format of the seeds
// written alike by Boost.Graph's writers and the streaming ones, the fact
// format's round trip to an equal store, filters, scopes and limits, and
// the tools that read each format: networkx for GraphML, Graphviz's `dot`,
// a JSON parser for Cytoscape.js, a CSV reader for neo4j-admin's files.
#include "service/export.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <initializer_list>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "service/embedded_backend.h"
#include "service/export_arena.h"
#include "service/export_ends.h"
#include "service/fact_lines.h"
#include "tests/test_util.h"

namespace dyad::service {
namespace {

namespace fs = std::filesystem;
using dyad::testing::DenseGraph;
using dyad::testing::RunCommand;
using dyad::testing::RunDyad;
using dyad::testing::RunResult;
using dyad::testing::SeedFacts;
using dyad::testing::TempDir;
using ::testing::HasSubstr;

constexpr ExportFormat kAllFormats[] = {ExportFormat::kGraphml, ExportFormat::kDot,
                                        ExportFormat::kCytoscape, ExportFormat::kJsonl,
                                        ExportFormat::kCsv};

// An export's files by name ("" for the formats of one stream).
using Files = std::map<std::string, std::string>;

ExportSink Into(Files& files) {
  return [&files](std::string_view file, std::string_view data) {
    files[std::string(file)] += data;
    return Status::OK();
  };
}

bool HasProgram(const std::string& name) {
  return RunCommand({"sh", "-c", "command -v " + name}).exit_code == 0;
}

// Python with networkx: Debian's own interpreter, whatever else is on PATH.
std::string Python() { return fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3"; }

bool HasNetworkx() { return RunCommand({Python(), "-c", "import networkx"}).exit_code == 0; }

class ExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = dyad::testing::OpenStore(dir_ / "seeds");
    storage::LoadSummary summary;
    ASSERT_OK(dyad::testing::LoadPath(*store_, SeedFacts(), &summary));
  }

  // Everything in the store, as a subgraph.
  Subgraph Whole() const {
    Subgraph g;
    std::unique_ptr<storage::StoreView> view = store_->NewView();
    EXPECT_OK(view->ForEachNode([&](const storage::Node& n) {
      g.nodes.push_back(n);
      return Status::OK();
    }));
    EXPECT_OK(view->ForEachFact([&](storage::Fact& f) {
      g.facts.push_back(std::move(f));
      return Status::OK();
    }));
    return g;
  }

  Files ExportWhole(ExportFormat format, StoreExportOptions options = {}) const {
    Files files;
    Result<ExportSummary> summary =
        ExportStore(*store_, options, format, graph::Vocabulary::Default(), Into(files));
    EXPECT_TRUE(summary.ok()) << summary.status().ToString();
    return files;
  }

  TempDir dir_;
  std::unique_ptr<storage::Store> store_;
};

TEST_F(ExportTest, BoostWritersAndStreamingWritersWriteTheSameBytes) {
  const Subgraph whole = Whole();
  ASSERT_EQ(whole.nodes.size(), 19u);
  ASSERT_EQ(whole.facts.size(), 27u);
  for (ExportFormat format : kAllFormats) {
    SCOPED_TRACE(std::string(ExportFormatName(format)));
    Files through_boost, streamed;
    Result<ExportSummary> a =
        ExportSubgraph(whole, format, graph::Vocabulary::Default(), Into(through_boost));
    Result<ExportSummary> b =
        ExportSubgraphStreaming(whole, format, graph::Vocabulary::Default(), Into(streamed));
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->nodes, 19u);
    EXPECT_EQ(a->edges, 27u);
    EXPECT_EQ(through_boost, streamed);
    // And a whole-store export, which streams from the store, is the same.
    EXPECT_EQ(ExportWhole(format), streamed);
  }
}

// Names with everything that needs escaping somewhere.
Subgraph OddNames() {
  Subgraph g;
  auto node = [&](storage::NodeId id, std::string label, std::string name,
                  std::vector<std::string> aliases = {}) {
    storage::Node n;
    n.id = id;
    n.label = std::move(label);
    n.name = std::move(name);
    n.aliases = std::move(aliases);
    g.nodes.push_back(n);
  };
  node(1, "Person", R"(Tom & "Jerry" <x>)", {"O'Brien", "   "});
  node(2, "Person", "back\\slash\\");
  node(3, "Organization", "-1.5");
  node(4, "Mystery", "_plain_id9");
  node(5, "Location", "Zürich\tbell\x07");
  node(6, "Country", "a,b \"c\"\nnext line");
  auto fact = [&](storage::NodeId s, std::string p, storage::NodeId o) {
    storage::Fact f;
    f.subject = s;
    f.predicate = std::move(p);
    f.object = o;
    f.confidence = 0.1 + 0.2;  // not a short decimal
    f.sources.resize(2);
    g.facts.push_back(f);
  };
  fact(1, "MET", 2);
  fact(2, "THREATENED", 3);
  fact(3, "VISITED", 4);
  fact(4, "HOLDS_OFFICE", 5);
  fact(5, "QUOTED \"x\"", 6);
  fact(6, "MET", 1);
  return g;
}

TEST(ExportEscapingTest, OddNamesComeOutTheSameThroughBoostAndAreWellFormed) {
  const Subgraph g = OddNames();
  TempDir dir;
  for (ExportFormat format : {ExportFormat::kGraphml, ExportFormat::kDot}) {
    SCOPED_TRACE(std::string(ExportFormatName(format)));
    Files through_boost, streamed;
    ASSERT_TRUE(ExportSubgraph(g, format, graph::Vocabulary::Default(), Into(through_boost)).ok());
    ASSERT_TRUE(
        ExportSubgraphStreaming(g, format, graph::Vocabulary::Default(), Into(streamed)).ok());
    EXPECT_EQ(through_boost, streamed);
    const fs::path file = dir / (std::string("odd.") + std::string(ExportFormatName(format)));
    dyad::testing::WriteFile(file, streamed[""]);
    if (format == ExportFormat::kGraphml && HasProgram("xmllint")) {
      RunResult r = RunCommand({"xmllint", "--noout", file.string()});
      EXPECT_EQ(r.exit_code, 0) << r.err;
    }
    if (format == ExportFormat::kDot && HasProgram("dot")) {
      RunResult r = RunCommand({"dot", "-Tsvg", file.string()});
      EXPECT_EQ(r.exit_code, 0) << r.err;
      EXPECT_EQ(r.err, "");
      EXPECT_THAT(r.out, HasSubstr("back\\slash\\"));  // one backslash each, as named
    }
  }
  Files csv;
  ASSERT_TRUE(ExportSubgraph(g, ExportFormat::kCsv, graph::Vocabulary::Default(), Into(csv)).ok());
  EXPECT_THAT(csv[std::string(kCsvNodesFile)],
              HasSubstr("n6,Country,\"a,b \"\"c\"\"\xEF\xBF\xBDnext line\","));
  EXPECT_THAT(csv[std::string(kCsvEdgesFile)], HasSubstr("n1,n2,MET,,,0.30000000000000004,2,"));
}

TEST(ExportEscapingTest, AFactWithAnEndOutsideTheSubgraphIsRefused) {
  Subgraph g = OddNames();
  g.nodes.pop_back();  // node 6, an end of two facts
  Files files;
  Result<ExportSummary> s =
      ExportSubgraph(g, ExportFormat::kGraphml, graph::Vocabulary::Default(), Into(files));
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.status().IsInvalidArgument());
  EXPECT_THAT(s.status().message(), HasSubstr("outside the subgraph"));
}

TEST_F(ExportTest, TheFactFormatLoadsBackIntoAnEqualStore) {
  // Plus 12,000 facts whose 1,500 nodes only facts created, so that the
  // ends of facts are read through a small cache, over and over.
  // And nodes whose names do not fit the export's 64-byte slot for a
  // node's name (service/export.cc, EndFile), between themselves and the
  // dense graph.
  const std::string long_name(150, 'x');
  std::string facts = DenseGraph(1500, 8, 5);
  for (int i = 0; i < 40; ++i) {
    facts += fmt::format(
        R"({{"kind":"fact","subject":{{"label":"Organization","name":"{} \"{}\""}},)"
        R"("predicate":"MET","object":{{"label":"Person","name":"{}"}},"source":{{"doc":"long{}"}}}})"
        "\n",
        long_name, i, i % 2 ? "P7" : long_name + "y", i);
  }
  dyad::testing::WriteFile(dir_ / "dense.jsonl", facts);
  storage::LoadSummary summary;
  ASSERT_OK(dyad::testing::LoadPath(*store_, dir_ / "dense.jsonl", &summary));
  ASSERT_TRUE(summary.bad_lines.empty()) << summary.bad_lines[0].ToString();
  StoreExportOptions small_cache;
  small_cache.end_range_nodes = 64;
  const Files exported = ExportWhole(ExportFormat::kJsonl, small_cache);
  EXPECT_EQ(exported, ExportWhole(ExportFormat::kJsonl));  // the cache changes nothing
  ASSERT_EQ(exported.size(), 1u);
  dyad::testing::WriteFile(dir_ / "export.jsonl", exported.at(""));
  std::unique_ptr<storage::Store> copy = dyad::testing::OpenStore(dir_ / "copy");
  ASSERT_OK(dyad::testing::LoadPath(*copy, dir_ / "export.jsonl", &summary));
  EXPECT_TRUE(summary.bad_lines.empty());
  Result<std::string> original = store_->DumpCanonical();
  Result<std::string> reloaded = copy->DumpCanonical();
  ASSERT_TRUE(original.ok() && reloaded.ok());
  EXPECT_EQ(*reloaded, *original);
  EXPECT_THAT(*original, HasSubstr("node Person:ashfaq-parvez-kayani"));
}

// Rows of a CSV file without its header (the tests' names have no newlines).
std::vector<std::string> Rows(const std::string& csv) {
  std::vector<std::string> rows;
  size_t at = csv.find('\n') + 1;
  while (at < csv.size()) {
    size_t end = csv.find('\n', at);
    rows.push_back(csv.substr(at, end - at));
    at = end + 1;
  }
  return rows;
}

std::string Column(const std::string& row, int index) {
  size_t at = 0;
  for (int i = 0; i < index; ++i) at = row.find(',', at) + 1;
  return row.substr(at, row.find(',', at) - at);
}

TEST_F(ExportTest, FiltersChooseTheSameFactsAsAPlainScan) {
  const Subgraph whole = Whole();
  std::map<storage::NodeId, std::string> label_of;
  for (const auto& n : whole.nodes) label_of[n.id] = n.label;
  struct Case {
    std::string name;
    StoreExportOptions options;
  };
  std::vector<Case> cases(5);
  cases[0].name = "countries";
  cases[0].options.labels = {"Country"};
  cases[1].name = "visits and meetings";
  cases[1].options.predicates = {"VISITED", "MET"};
  cases[2].name = "October 2012";
  cases[2].options.from = *storage::ParseDay("2012-10-01");
  cases[2].options.to = *storage::ParseDay("2012-10-31");
  cases[3].name = "confident";
  cases[3].options.min_confidence = 0.9;
  cases[4].name = "people and countries, confident";
  cases[4].options.labels = {"Person", "Country"};
  cases[4].options.min_confidence = 0.8;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const StoreExportOptions& o = c.options;
    auto label_ok = [&](storage::NodeId id) {
      return o.labels.empty() ||
             std::find(o.labels.begin(), o.labels.end(), label_of[id]) != o.labels.end();
    };
    size_t nodes = 0, facts = 0;
    for (const auto& n : whole.nodes) nodes += label_ok(n.id);
    for (const auto& f : whole.facts) {
      facts += label_ok(f.subject) && label_ok(f.object) &&
               (o.predicates.empty() || std::find(o.predicates.begin(), o.predicates.end(),
                                                  f.predicate) != o.predicates.end()) &&
               f.confidence >= o.min_confidence &&
               storage::ValidInWindow(f.valid_from, f.valid_to, o.from, o.to);
    }
    Files csv = ExportWhole(ExportFormat::kCsv, o);
    std::vector<std::string> node_rows = Rows(csv[std::string(kCsvNodesFile)]);
    std::vector<std::string> edge_rows = Rows(csv[std::string(kCsvEdgesFile)]);
    EXPECT_EQ(node_rows.size(), nodes);
    EXPECT_EQ(edge_rows.size(), facts);
    EXPECT_GT(edge_rows.size(), 0u);
    EXPECT_LT(edge_rows.size(), 27u);
    for (const auto& row : edge_rows) {
      if (!o.predicates.empty()) {
        EXPECT_NE(std::find(o.predicates.begin(), o.predicates.end(), Column(row, 2)),
                  o.predicates.end())
            << row;
      }
    }
  }
}

TEST_F(ExportTest, AnExpiredDeadlineStillGivesAWholeDocument) {
  StoreExportOptions options;
  options.deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  Files files;
  Result<ExportSummary> s = ExportStore(*store_, options, ExportFormat::kGraphml,
                                        graph::Vocabulary::Default(), Into(files));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->truncated_by, "deadline");
  EXPECT_LT(s->nodes, 19u);
  EXPECT_THAT(files[""], HasSubstr("</graphml>\n"));
  if (HasProgram("xmllint")) {
    dyad::testing::WriteFile(dir_ / "cut.graphml", files[""]);
    RunResult r = RunCommand({"xmllint", "--noout", (dir_ / "cut.graphml").string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
}

TEST_F(ExportTest, ACancelledExportStopsAndSaysSo) {
  StoreExportOptions options;
  options.cancelled = [] { return true; };
  Files files;
  Result<ExportSummary> s = ExportStore(*store_, options, ExportFormat::kJsonl,
                                        graph::Vocabulary::Default(), Into(files));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kCancelled);
}

TEST_F(ExportTest, TheSinksFailureEndsTheExport) {
  int calls = 0;
  Result<ExportSummary> s =
      ExportStore(*store_, {}, ExportFormat::kCsv, graph::Vocabulary::Default(),
                  [&](std::string_view, std::string_view) {
                    ++calls;
                    return Status::IOError("disk full");
                  });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kIOError);
  EXPECT_EQ(calls, 1);  // nothing more after the first failure
}

// An export stopped in the middle of its facts (a cancel, a sink that
// fails) stops the threads that read ahead of it and says why.
TEST_F(ExportTest, AnExportStoppedAmongItsFactsStopsEveryPass) {
  storage::LoadSummary summary;
  ASSERT_OK(dyad::testing::LoadText(*store_, DenseGraph(1500, 8, 5), &summary));
  for (ExportFormat format : {ExportFormat::kJsonl, ExportFormat::kDot}) {
    SCOPED_TRACE(std::string(ExportFormatName(format)));
    std::atomic<int> asked{0};
    StoreExportOptions options;
    // The export asks every 1,024 elements, on two threads: about 30 times.
    options.cancelled = [&] { return ++asked > 12; };
    Files files;
    Result<ExportSummary> s =
        ExportStore(*store_, options, format, graph::Vocabulary::Default(), Into(files));
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().code(), StatusCode::kCancelled);
    EXPECT_GT(asked.load(), 12);

    int calls = 0;
    s = ExportStore(*store_, {}, format, graph::Vocabulary::Default(),
                    [&](std::string_view, std::string_view) {
                      return ++calls < 3 ? Status::OK() : Status::IOError("disk full");
                    });
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().code(), StatusCode::kIOError);
    EXPECT_EQ(calls, 3);
  }
}

bool HugePagesOff() { return ::prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) == 1; }

// A server's exports run without transparent huge pages (with them, each
// region an export touched stayed resident in 2 MiB pages), and its queries
// get them back when the last export ends.
TEST(ExportArenaScopeTest, HugePagesAreOffWhileAnyExportRuns) {
  ASSERT_FALSE(HugePagesOff()) << "the test process starts with huge pages";
  {
    ExportArenaScope first;
    EXPECT_TRUE(HugePagesOff());
    {
      ExportArenaScope second(ExportArenaScope::ThreadArena());
      EXPECT_TRUE(HugePagesOff());
    }
    EXPECT_TRUE(HugePagesOff()) << "the first export still runs";
  }
  EXPECT_FALSE(HugePagesOff());
  // A process that had them off (the command line's export) keeps them off.
  ASSERT_EQ(::prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0), 0);
  { ExportArenaScope scope; }
  EXPECT_TRUE(HugePagesOff());
  ASSERT_EQ(::prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0), 0);
}

storage::Node EndNode(storage::NodeId id, std::string label, std::string name) {
  storage::Node n;
  n.id = id;
  n.label = std::move(label);
  n.name = std::move(name);
  return n;
}

// FactEnds (service/export_ends.h) on its own: facts whose objects fall in
// many buckets, and names too long for a node's slot.
TEST(FactEndsTest, EndsComeBackInTheOrderTheFactsWereLogged) {
  std::vector<storage::Node> nodes{storage::Node{}};  // ids start at 1
  for (storage::NodeId id = 1; id <= 300; ++id) {
    nodes.push_back(EndNode(
        id, id % 7 == 0 ? std::string(70, 'L') : "Person",
        id % 5 == 0 ? std::string(80, 'n') + std::to_string(id) : "P" + std::to_string(id)));
  }
  std::vector<std::pair<storage::NodeId, storage::NodeId>> facts;
  for (storage::NodeId subject = 1; subject <= 300; subject += 3) {
    for (storage::NodeId k = 0; k < 4; ++k) {
      facts.emplace_back(subject, (subject * 7919 + k * 104729) % 300 + 1);
    }
  }
  FactEnds ends(/*range_nodes=*/16, /*expected_nodes=*/300);
  ASSERT_OK(ends.Open());
  for (size_t id = 1; id < nodes.size(); ++id) ASSERT_OK(ends.PutNode(nodes[id]));
  ASSERT_OK(ends.FinishNodes());
  for (const auto& fact : facts) ASSERT_OK(ends.LogObject(fact.second));
  ASSERT_OK(ends.FinishObjects());
  ASSERT_OK(ends.Resolve([] { return Status::OK(); }));
  for (const auto& [subject, object] : facts) {
    SCOPED_TRACE(fmt::format("n{} -> n{}", subject, object));
    FactEnd s, o;
    ASSERT_OK(ends.Ends(subject, object, &s, &o));
    EXPECT_EQ(s.label, nodes[subject].label);
    EXPECT_EQ(s.ref_json, NodeRefJson(nodes[subject]));
    EXPECT_EQ(o.label, nodes[object].label);
    EXPECT_EQ(o.ref_json, NodeRefJson(nodes[object]));
  }
  EXPECT_OK(ends.AllRead());
}

// Opens `ends` over the people P1..P`people`, logs `objects` and resolves
// them; what Resolve returns.
Status ResolvePeople(FactEnds& ends, storage::NodeId people,
                     std::initializer_list<storage::NodeId> objects) {
  DYAD_RETURN_IF_ERROR(ends.Open());
  for (storage::NodeId id = 1; id <= people; ++id) {
    DYAD_RETURN_IF_ERROR(ends.PutNode(EndNode(id, "Person", "P" + std::to_string(id))));
  }
  DYAD_RETURN_IF_ERROR(ends.FinishNodes());
  for (storage::NodeId object : objects) DYAD_RETURN_IF_ERROR(ends.LogObject(object));
  DYAD_RETURN_IF_ERROR(ends.FinishObjects());
  return ends.Resolve([] { return Status::OK(); });
}

// What goes wrong between the passes is Corruption, never another node's
// name in a fact.
TEST(FactEndsTest, FactsOutOfStepWithTheLoggedObjectsAreCorruption) {
  FactEnds ends(/*range_nodes=*/8, /*expected_nodes=*/40);
  ASSERT_OK(ResolvePeople(ends, 40, {5, 30, 6}));
  FactEnd s, o;
  ASSERT_OK(ends.Ends(1, 5, &s, &o));
  EXPECT_EQ(o.ref_json, R"({"label":"Person","name":"P5"})");
  Status wrong = ends.Ends(2, 7, &s, &o);  // 6 was logged next in its bucket
  EXPECT_EQ(wrong.code(), StatusCode::kCorruption) << wrong.ToString();
  EXPECT_THAT(wrong.message(), HasSubstr("out of step"));
  Status unread = ends.AllRead();
  EXPECT_EQ(unread.code(), StatusCode::kCorruption);
  EXPECT_THAT(unread.message(), HasSubstr("fewer facts"));
  ASSERT_OK(ends.Ends(2, 30, &s, &o));
  ASSERT_OK(ends.Ends(3, 6, &s, &o));
  EXPECT_OK(ends.AllRead());
  Status extra = ends.Ends(4, 5, &s, &o);
  EXPECT_EQ(extra.code(), StatusCode::kCorruption);
  EXPECT_THAT(extra.message(), HasSubstr("more facts"));
}

TEST(FactEndsTest, AnObjectThatIsNoNodeIsCorruption) {
  // Buckets 0 and 1 are resolved by two threads; whichever fails says so.
  FactEnds second_bucket(/*range_nodes=*/8, /*expected_nodes=*/10);
  Status s = ResolvePeople(second_bucket, 10, {3, 12, 4});
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_THAT(s.message(), HasSubstr("n12 is not a node"));

  // Only bucket 0 fails (ids start at 1); bucket 1's n9 is a node. With
  // both failing, the thread that failed first stopped the other before
  // its bucket, and either message could come back.
  FactEnds first_bucket(/*range_nodes=*/8, /*expected_nodes=*/10);
  s = ResolvePeople(first_bucket, 9, {0, 9});
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_THAT(s.message(), HasSubstr("n0 is not a node"));
}

TEST_F(ExportTest, BackendScopesExportANeighbourhoodAndADyad) {
  store_.reset();
  Result<std::unique_ptr<EmbeddedBackend>> backend =
      EmbeddedBackend::Open(dir_ / "seeds", graph::Vocabulary::Default(), {});
  ASSERT_TRUE(backend.ok()) << backend.status().ToString();
  EmbeddedBackend& b = **backend;

  ExportRequest around;
  around.format = ExportFormat::kCsv;
  around.scope = ExportRequest::Scope::kAround;
  around.around = "Kiani";
  around.depth = 1;
  Result<NeighboursView> neighbours = b.Neighbours(NeighboursRequest{"Kiani", 1, 10000, {}, true});
  ASSERT_TRUE(neighbours.ok());
  Files files;
  Result<ExportSummary> s = b.Export(around, Into(files));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->nodes, neighbours->nodes.size() + 1);  // and the start
  EXPECT_EQ(s->edges, neighbours->facts.size());
  EXPECT_EQ(Rows(files[std::string(kCsvEdgesFile)]).size(), neighbours->facts.size());
  EXPECT_EQ(s->truncated_by, "");

  around.limit = 1;
  s = b.Export(around, Into(files));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->truncated_by, "nodes");

  ExportRequest dyad;
  dyad.format = ExportFormat::kJsonl;
  dyad.scope = ExportRequest::Scope::kDyad;
  dyad.a = "Russia";
  dyad.b = "Pakistan";
  Result<DyadView> timeline =
      b.Dyad(DyadRequest{"Russia", "Pakistan", graph::Period::kMonth, {}, true});
  ASSERT_TRUE(timeline.ok());
  size_t dyad_facts = 0;
  for (const auto& bucket : timeline->buckets) dyad_facts += bucket.facts.size();
  ASSERT_GT(dyad_facts, 0u);
  files.clear();
  s = b.Export(dyad, Into(files));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->edges, dyad_facts);
  EXPECT_GE(s->nodes, 2u);

  ExportRequest unknown = dyad;
  unknown.a = "Atlantis";
  EXPECT_TRUE(b.Export(unknown, Into(files)).status().IsNotFound());

  ExportRequest directed;
  directed.filters.direction = storage::Direction::kOut;
  Result<ExportSummary> refused = b.Export(directed, Into(files));
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.status().IsInvalidArgument());
  EXPECT_THAT(refused.status().message(), HasSubstr("direction"));
}

// ------------------------------------------------------------ the command line

class ExportCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    RunResult r = RunDyad({"load", "--db", Db(), SeedFacts().string(), "--format", "json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string Db() { return (*dir_ / "seeds").string(); }

  static RunResult Export(std::vector<std::string> args) {
    args.insert(args.begin(), {"export", "--db", Db()});
    return RunDyad(args);
  }

  static TempDir* dir_;
};

TempDir* ExportCliTest::dir_ = nullptr;

TEST_F(ExportCliTest, NetworkxReadsTheGraphml) {
  if (!HasNetworkx()) GTEST_SKIP() << "python3-networkx is not installed";
  const std::string file = (*dir_ / "seeds.graphml").string();
  RunResult r = Export({"--to", "graphml", "--out", file, "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"format\":\"graphml\",\"out\":\"" + file +
                       "\",\"nodes\":19,\"edges\":27,\"truncated\":false}\n");
  const std::string script = R"(
import math, sys, networkx as nx
g = nx.read_graphml(sys.argv[1])
kayani = [d for _, d in g.nodes(data=True) if d["name"] == "Ashfaq Parvez Kayani"][0]
edges = list(g.edges(data=True))
print(g.number_of_nodes(), g.number_of_edges(), g.is_directed())
print(kayani["label"], "Kiani" in kayani["aliases"].split(";"), kayani["external_id"])
print(sum(1 for _, _, d in edges if d["sources"] == 2))
print(all(isinstance(d["confidence"], float) and 0 < d["confidence"] <= 1 for _, _, d in edges))
visits = [d for _, _, d in edges if d["predicate"] == "VISITED"]
print(len(visits), visits[0]["goldstein"], visits[0]["valid_from"])
print(sum(1 for _, _, d in edges if math.isnan(d["goldstein"])))
)";
  RunResult py = RunCommand({Python(), "-c", script, file});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  std::vector<std::string> lines;
  for (size_t at = 0; at < py.out.size();) {
    size_t end = py.out.find('\n', at);
    lines.push_back(py.out.substr(at, end - at));
    at = end + 1;
  }
  ASSERT_EQ(lines.size(), 6u) << py.out;
  EXPECT_EQ(lines[0], "19 27 True");
  EXPECT_EQ(lines[1], "Person True Person:ashfaq-parvez-kayani");
  EXPECT_EQ(lines[2], "7");  // the seven facts both outlets reported
  EXPECT_EQ(lines[3], "True");
  EXPECT_THAT(lines[4], HasSubstr(" 1.9 2012-"));
  EXPECT_NE(lines[5], "0");  // structural facts (HOLDS_OFFICE, ...) carry no weight
}

TEST_F(ExportCliTest, DotDrawsTheDotWithoutWarnings) {
  if (!HasProgram("dot")) GTEST_SKIP() << "graphviz is not installed";
  RunResult r = Export({"--to", "dot"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  RunResult svg = RunCommand({"dot", "-Tsvg"}, r.out);
  ASSERT_EQ(svg.exit_code, 0) << svg.err;
  EXPECT_EQ(svg.err, "");
  auto count = [&](std::string_view needle) {
    size_t n = 0;
    for (size_t at = svg.out.find(needle); at != std::string::npos;
         at = svg.out.find(needle, at + 1)) {
      ++n;
    }
    return n;
  };
  EXPECT_EQ(count("class=\"node\""), 19u);
  EXPECT_EQ(count("class=\"edge\""), 27u);
  EXPECT_GT(count("stroke=\"#1a9850\""), 0u);  // cooperation in green
}

TEST_F(ExportCliTest, CytoscapeJsonHasEveryElement) {
  RunResult r = Export({"--to", "cytoscape"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string script = R"(
import json, sys
e = json.load(sys.stdin)["elements"]
ids = {n["data"]["id"] for n in e["nodes"]}
print(len(e["nodes"]), len(e["edges"]), len(ids),
      all(x["data"]["source"] in ids and x["data"]["target"] in ids for x in e["edges"]),
      sorted(e["edges"][0]["data"].keys()))
)";
  RunResult py = RunCommand({Python(), "-c", script}, r.out);
  ASSERT_EQ(py.exit_code, 0) << py.err;
  EXPECT_EQ(py.out,
            "19 27 19 True ['confidence', 'goldstein', 'id', 'predicate', 'source', 'sources', "
            "'target', 'valid_from', 'valid_to']\n");
}

TEST_F(ExportCliTest, CsvFollowsTheNeo4jImportConvention) {
  const std::string out = (*dir_ / "csv").string();
  RunResult r = Export({"--to", "csv", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string script = R"(
import csv, sys
nodes = list(csv.reader(open(sys.argv[1] + "/nodes.csv", newline="")))
edges = list(csv.reader(open(sys.argv[1] + "/edges.csv", newline="")))
ids = {row[0] for row in nodes[1:]}
print(",".join(nodes[0]))
print(",".join(edges[0]))
print(len(nodes) - 1, len(edges) - 1, all(e[0] in ids and e[1] in ids for e in edges[1:]))
)";
  RunResult py = RunCommand({Python(), "-c", script, out});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  EXPECT_EQ(py.out,
            "id:ID,:LABEL,name,aliases:string[],external_id\n"
            ":START_ID,:END_ID,:TYPE,valid_from:date,valid_to:date,confidence:double,sources:int,"
            "goldstein:double\n"
            "19 27 True\n");
  EXPECT_FALSE(fs::exists(out + "/nodes.csv.partial"));
}

TEST_F(ExportCliTest, TheFactFormatRoundTripsThroughTheCommandLine) {
  RunResult exported = Export({"--to", "jsonl"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  const std::string copy = (*dir_ / "copy").string();
  RunResult loaded = RunDyad({"load", "--db", copy, "-", "--format", "json"}, exported.out);
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
  for (std::vector<std::string> query : std::vector<std::vector<std::string>>{
           {"stats"},
           {"facts", "Ashfaq Parvez Kayani"},
           {"dyad", "Russia", "Pakistan"},
       }) {
    std::vector<std::string> original = query, reloaded = query;
    for (auto* args : {&original, &reloaded}) args->push_back("--format=json");
    original.insert(original.end(), {"--db", Db()});
    reloaded.insert(reloaded.end(), {"--db", copy});
    RunResult a = RunDyad(original), b = RunDyad(reloaded);
    EXPECT_EQ(a.exit_code, 0);
    EXPECT_EQ(a.out, b.out) << query[0];
  }
}

TEST_F(ExportCliTest, ScopesTakeTheQueryFlags) {
  RunResult neighbours = RunDyad({"neighbours", "Kiani", "--depth", "1", "--db", Db(), "--format",
                                  "json", "--predicate", "VISITED"});
  ASSERT_EQ(neighbours.exit_code, 0);
  RunResult r =
      Export({"--to", "cytoscape", "--around", "Kiani", "--depth", "1", "--predicate", "VISITED"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string count = R"(
import json, sys
d = json.loads(sys.argv[1]); e = json.load(sys.stdin)["elements"]
print(len(e["nodes"]) == len(d["nodes"]) + 1, len(e["edges"]) == len(d["facts"]), len(e["edges"]))
)";
  RunResult py = RunCommand({Python(), "-c", count, neighbours.out}, r.out);
  ASSERT_EQ(py.exit_code, 0) << py.err;
  EXPECT_THAT(py.out, HasSubstr("True True "));
  EXPECT_NE(py.out, "True True 0\n");

  r = Export({"--to", "dot", "--dyad", "Russia", "Pakistan", "--from", "2012-10-01", "--until",
              "2012-10-31"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("label=Russia"));
  EXPECT_THAT(r.out, HasSubstr("label=Pakistan"));

  r = Export({"--to", "graphml", "--around", "Kiani", "--limit", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("truncated: the nodes limit"));
}

// The "THP_enabled" line of /proc/PID/status: "1", "0", or "" when the
// kernel does not report it (before Linux 5.0) or the process is gone.
std::string ThpEnabled(pid_t pid) {
  std::ifstream status(fmt::format("/proc/{}/status", pid));
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("THP_enabled:")) {
      std::istringstream fields(line.substr(12));
      std::string value;
      fields >> value;
      return value;
    }
  }
  return "";
}

// An export streams and gains nothing from huge pages, which cost it 2 MiB
// of resident memory per region it touches: its process turns them off for
// itself (PR_SET_THP_DISABLE), while a query keeps them. Seen from outside
// as a user would: the export writes to a FIFO that nobody reads yet, so it
// waits there, and its /proc status says whether huge pages are on.
TEST_F(ExportCliTest, AnExportRunsWithoutHugePages) {
  const std::filesystem::path fifo = *dir_ / "export.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string db = Db(), out = fifo.string();
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::execl(DYAD_BINARY, DYAD_BINARY, "export", "--to", "dot", "--db", db.c_str(), "--out",
            out.c_str(), "--format", "json", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // The export blocks opening the FIFO until a reader comes, having turned
  // huge pages off first (30 s at most), unless it failed before that.
  std::string thp = ThpEnabled(pid);
  int status = 0;
  bool exited = false;
  for (int i = 0; i < 600 && thp != "0" && !exited; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    thp = ThpEnabled(pid);
    exited = ::waitpid(pid, &status, WNOHANG) == pid;
  }
  // Opened without blocking, so that an export that failed on its way to
  // the FIFO cannot hang the test; a read before the export opens its end
  // sees EOF, and the reading goes on until the export has exited (60 s).
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(reader, 0);
  ::fcntl(reader, F_SETFL, ::fcntl(reader, F_GETFL) & ~O_NONBLOCK);
  std::string dot;
  char buf[4096];
  for (int i = 0; i < 6000 && !exited;) {
    const ssize_t n = ::read(reader, buf, sizeof buf);
    if (n > 0) {
      dot.append(buf, static_cast<size_t>(n));
      continue;
    }
    exited = ::waitpid(pid, &status, WNOHANG) == pid;
    if (!exited) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      ++i;
    }
  }
  for (ssize_t n; (n = ::read(reader, buf, sizeof buf)) > 0;) dot.append(buf, n);
  ::close(reader);
  if (!exited) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  ASSERT_TRUE(exited) << "the export did not finish";
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_TRUE(dot.starts_with("digraph")) << dot.substr(0, 200);
  EXPECT_NE(dot.find("Ashfaq Parvez Kayani"), std::string::npos);
  if (thp.empty()) GTEST_SKIP() << "this kernel does not report THP_enabled in /proc/PID/status";
  EXPECT_EQ(thp, "0") << "the export ran with huge pages on";
  // This process, like a query, keeps them.
  EXPECT_EQ(ThpEnabled(::getpid()), "1");
}

TEST_F(ExportCliTest, BadRequestsGetTheirExitCodes) {
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--to", "csv"}, 3, "--out: a CSV export is two files"},
      {{"--to", "gexf"}, 2, "--to"},
      {{"--to", "dot", "--depth", "2"}, 2, "--depth requires --around"},
      {{"--to", "dot", "--dyad", "Russia"}, 2, "--dyad"},
      {{"--to", "dot", "--dyad", "Russia", "Pakistan", "--around", "Kiani"}, 2, "excludes"},
      {{"--to", "dot", "--direction", "out"}, 3, "--direction: a whole-store export"},
      {{"--to", "dot", "--from", "2013-01-01", "--until", "2012-01-01"},
       3,
       "--until: must not be before --from"},
      {{"--to", "dot", "--around", "Atlantis"}, 4, "Atlantis"},
      {{"--to", "dot", "--around", "Moscow"}, 5, "qualify it as Label:Name"},
  };
  for (const Case& c : cases) {
    RunResult r = Export(c.args);
    EXPECT_EQ(r.exit_code, c.exit_code) << c.args[1] << " " << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.message));
  }
  // JSON Lines keeps the nodes' names in a temporary file: without a
  // directory for it, the export fails before it writes anything.
  {
    RunResult r =
        dyad::testing::RunCommand({"/usr/bin/env", "TMPDIR=" + (*dir_ / "no-such-dir").string(),
                                   DYAD_BINARY, "export", "--db", Db(), "--to", "jsonl"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_THAT(r.err, HasSubstr("no directory for temporary files ($TMPDIR, else /tmp)"));
    // stdout, not a terminal, has the error in JSON and nothing of the export.
    EXPECT_THAT(r.out, ::testing::StartsWith("{\"error\":{\"code\":\"IO_ERROR\""));
    EXPECT_THAT(r.out, Not(HasSubstr("\"kind\"")));
  }
  // A failed export leaves no file behind.
  const fs::path out = *dir_ / "never.graphml";
  RunResult r = Export({"--to", "graphml", "--out", out.string(), "--around", "Atlantis"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(out.string() + ".partial"));
}

}  // namespace
}  // namespace dyad::service
