// The `dyad` command line as a user or a script sees it (cli.md is the
// contract): the real binary on real stores, JSON answers parsed, exit codes
// checked, the seeds' answers taken from data/seeds/expected.md.
#include <fcntl.h>
#include <fmt/format.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "graph/snapshot_manager.h"
#include "tests/test_util.h"

namespace dyad::testing {
namespace {

namespace fs = std::filesystem;
namespace dom = simdjson::dom;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

constexpr std::string_view kKayaniId = "Person:ashfaq-parvez-kayani";
constexpr std::string_view kHinduDoc = "hindu-2012-10-04-lavrov-amends";
constexpr std::string_view kDawnDoc = "dawn-2012-10-04-lavrov-islamabad";

// One JSON document (a command's stdout), parsed. Elements point into it, so
// it is neither copied nor moved.
class Json {
 public:
  explicit Json(const std::string& text) : text_(text), padded_(text) {
    error_ = parser_.parse(padded_).get(root_);
  }
  Json(const Json&) = delete;
  Json& operator=(const Json&) = delete;

  bool ok() const { return error_ == simdjson::SUCCESS; }
  dom::element root() const { return root_; }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  simdjson::padded_string padded_;
  dom::parser parser_;
  dom::element root_;
  simdjson::error_code error_ = simdjson::UNINITIALIZED;
};

// Field access that fails the test naming the field, instead of throwing.
std::optional<dom::element> Field(dom::element e, std::string_view key) {
  dom::element v;
  if (e[key].get(v) != simdjson::SUCCESS) {
    ADD_FAILURE() << "no field \"" << key << "\" in " << simdjson::to_string(e);
    return std::nullopt;
  }
  return v;
}

std::string Str(dom::element e, std::string_view key) {
  std::optional<dom::element> v = Field(e, key);
  std::string_view s;
  if (v && v->get(s) != simdjson::SUCCESS) {
    ADD_FAILURE() << "\"" << key << "\" is not a string: " << simdjson::to_string(*v);
  }
  return std::string(s);
}

int64_t Int(dom::element e, std::string_view key) {
  std::optional<dom::element> v = Field(e, key);
  int64_t i = -1;
  if (v && v->get(i) != simdjson::SUCCESS) {
    ADD_FAILURE() << "\"" << key << "\" is not an integer: " << simdjson::to_string(*v);
  }
  return i;
}

double Num(dom::element e, std::string_view key) {
  std::optional<dom::element> v = Field(e, key);
  double d = std::nan("");
  if (v && v->get(d) != simdjson::SUCCESS) {
    ADD_FAILURE() << "\"" << key << "\" is not a number: " << simdjson::to_string(*v);
  }
  return d;
}

std::vector<dom::element> Arr(dom::element e, std::string_view key) {
  std::optional<dom::element> v = Field(e, key);
  std::vector<dom::element> out;
  dom::array a;
  if (!v) return out;
  if (v->get(a) != simdjson::SUCCESS) {
    ADD_FAILURE() << "\"" << key << "\" is not an array: " << simdjson::to_string(*v);
    return out;
  }
  for (dom::element x : a) out.push_back(x);
  return out;
}

// A string or null field: nullopt for null.
std::optional<std::string> StrOrNull(dom::element e, std::string_view key) {
  std::optional<dom::element> v = Field(e, key);
  if (!v || v->is_null()) return std::nullopt;
  std::string_view s;
  if (v->get(s) != simdjson::SUCCESS) {
    ADD_FAILURE() << "\"" << key << "\" is neither a string nor null: " << simdjson::to_string(*v);
  }
  return std::string(s);
}

// An object of integers, e.g. stats' "labels".
std::map<std::string, int64_t> Counts(dom::element e, std::string_view key) {
  std::map<std::string, int64_t> out;
  std::optional<dom::element> v = Field(e, key);
  dom::object o;
  if (!v) return out;
  if (v->get(o) != simdjson::SUCCESS) {
    ADD_FAILURE() << "\"" << key << "\" is not an object: " << simdjson::to_string(*v);
    return out;
  }
  for (dom::key_value_pair kv : o) {
    int64_t n = -1;
    EXPECT_EQ(kv.value.get(n), simdjson::SUCCESS) << kv.key;
    out[std::string(kv.key)] = n;
  }
  return out;
}

// cli.md's node, plus the aliases `find` adds.
struct NodeJson {
  std::string id, label, name;
  std::vector<std::string> aliases;
};

NodeJson ParseNode(dom::element e) {
  NodeJson n{Str(e, "id"), Str(e, "label"), Str(e, "name"), {}};
  dom::element aliases;
  if (e["aliases"].get(aliases) == simdjson::SUCCESS) {
    for (dom::element a : Arr(e, "aliases")) {
      std::string_view s;
      EXPECT_EQ(a.get(s), simdjson::SUCCESS);
      n.aliases.emplace_back(s);
    }
  }
  return n;
}

struct SourceJson {
  std::string doc;
  std::optional<std::string> outlet, published;
};

// cli.md's fact; props values as their JSON text for numbers and booleans.
struct FactJson {
  NodeJson subject;
  std::string predicate;
  NodeJson object;
  std::optional<std::string> valid_from, valid_to;
  double confidence = 0;
  std::vector<SourceJson> sources;
  std::map<std::string, std::string> props;
};

FactJson ParseFact(dom::element e) {
  FactJson f;
  if (auto s = Field(e, "subject")) f.subject = ParseNode(*s);
  f.predicate = Str(e, "predicate");
  if (auto o = Field(e, "object")) f.object = ParseNode(*o);
  f.valid_from = StrOrNull(e, "valid_from");
  f.valid_to = StrOrNull(e, "valid_to");
  f.confidence = Num(e, "confidence");
  for (dom::element s : Arr(e, "sources")) {
    f.sources.push_back({Str(s, "doc"), StrOrNull(s, "outlet"), StrOrNull(s, "published")});
  }
  if (auto props = Field(e, "props")) {
    dom::object o;
    EXPECT_EQ(props->get(o), simdjson::SUCCESS) << simdjson::to_string(*props);
    for (dom::key_value_pair kv : o) {
      std::string_view s;
      if (kv.value.get(s) == simdjson::SUCCESS) {
        f.props[std::string(kv.key)] = std::string(s);
      } else {
        f.props[std::string(kv.key)] = simdjson::to_string(kv.value);
      }
    }
  }
  return f;
}

std::vector<FactJson> FactsOf(const Json& j) {
  std::vector<FactJson> out;
  for (dom::element f : Arr(j.root(), "facts")) out.push_back(ParseFact(f));
  return out;
}

std::vector<NodeJson> MatchesOf(const Json& j) {
  std::vector<NodeJson> out;
  for (dom::element m : Arr(j.root(), "matches")) out.push_back(ParseNode(m));
  return out;
}

std::vector<std::string> IdsOf(const std::vector<NodeJson>& nodes) {
  std::vector<std::string> ids;
  for (const auto& n : nodes) ids.push_back(n.id);
  return ids;
}

const FactJson* FindFact(const std::vector<FactJson>& facts, std::string_view predicate,
                         std::string_view object_name) {
  for (const auto& f : facts) {
    if (f.predicate == predicate && f.object.name == object_name) return &f;
  }
  return nullptr;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string ShellQuote(const std::string& a) {
  std::string q = "'";
  for (char c : a) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// A record line of fact-format.md.
std::string FactLine(std::string_view subject, std::string_view predicate,
                     std::string_view object_label, std::string_view object) {
  return std::string(R"({"kind": "fact", "subject": {"label": "Person", "name": ")") +
         std::string(subject) + R"("}, "predicate": ")" + std::string(predicate) +
         R"(", "object": {"label": ")" + std::string(object_label) + R"(", "name": ")" +
         std::string(object) + R"("}, "source": {"doc": "d1"}})" + "\n";
}

// Line 3 has a predicate that is not upper case; the other lines are good.
std::string FileWithABadLine3() {
  return std::string(R"({"kind": "entity", "label": "Person", "name": "Alice"})") + "\n" +
         FactLine("Alice", "MET", "Person", "Bob") +
         FactLine("Alice", "visited", "Location", "Paris") +
         FactLine("Bob", "VISITED", "Location", "Paris");
}

// "Subject PREDICATE Object", to compare lists of facts.
std::string Describe(const FactJson& f) {
  return f.subject.name + " " + f.predicate + " " + f.object.name;
}

std::vector<std::string> Describe(const std::vector<FactJson>& facts) {
  std::vector<std::string> out;
  for (const auto& f : facts) out.push_back(Describe(f));
  return out;
}

std::vector<std::string> NamesOf(const std::vector<NodeJson>& nodes) {
  std::vector<std::string> names;
  for (const auto& n : nodes) names.push_back(n.name);
  return names;
}

// "truncated" must be a boolean; "truncated_by" is there exactly when it is true.
std::optional<std::string> TruncatedBy(const Json& j) {
  std::optional<dom::element> t = Field(j.root(), "truncated");
  bool truncated = false;
  if (t && t->get(truncated) != simdjson::SUCCESS) {
    ADD_FAILURE() << "\"truncated\" is not a boolean: " << j.text();
  }
  dom::element by;
  const bool has_by = j.root()["truncated_by"].get(by) == simdjson::SUCCESS;
  EXPECT_EQ(has_by, truncated) << j.text();
  if (!truncated) return std::nullopt;
  return Str(j.root(), "truncated_by");
}

// A `neighbours` answer's nodes with their hops.
struct NeighbourJson {
  NodeJson node;
  int64_t hops = -1;
};

std::vector<NeighbourJson> NeighboursOf(const Json& j) {
  std::vector<NeighbourJson> out;
  for (dom::element n : Arr(j.root(), "nodes")) out.push_back({ParseNode(n), Int(n, "hops")});
  return out;
}

std::vector<std::string> NamesOf(const std::vector<NeighbourJson>& nodes) {
  std::vector<std::string> names;
  for (const auto& n : nodes) names.push_back(n.node.name);
  return names;
}

struct PathJson {
  std::vector<NodeJson> nodes;
  std::vector<FactJson> facts;
  double cost = 0;
};

std::vector<PathJson> PathsOf(const Json& j) {
  std::vector<PathJson> out;
  for (dom::element p : Arr(j.root(), "paths")) {
    PathJson path;
    for (dom::element n : Arr(p, "nodes")) path.nodes.push_back(ParseNode(n));
    for (dom::element f : Arr(p, "facts")) path.facts.push_back(ParseFact(f));
    path.cost = Num(p, "cost");
    out.push_back(std::move(path));
  }
  return out;
}

// "hops": an integer, or nullopt for null (no path).
std::optional<int64_t> HopsOf(const Json& j) {
  std::optional<dom::element> h = Field(j.root(), "hops");
  if (!h || h->is_null()) return std::nullopt;
  return Int(j.root(), "hops");
}

struct BucketJson {
  std::string period, direction;
  int64_t events = 0;
  double goldstein = 0;
  std::vector<FactJson> facts;
};

std::vector<BucketJson> BucketsOf(const Json& j) {
  std::vector<BucketJson> out;
  for (dom::element b : Arr(j.root(), "buckets")) {
    BucketJson bucket{
        Str(b, "period"), Str(b, "direction"), Int(b, "events"), Num(b, "goldstein"), {}};
    for (dom::element f : Arr(b, "facts")) bucket.facts.push_back(ParseFact(f));
    out.push_back(std::move(bucket));
  }
  return out;
}

// One direction of a dyad's "totals".
std::pair<int64_t, double> TotalOf(const Json& j, std::string_view direction) {
  std::optional<dom::element> totals = Field(j.root(), "totals");
  if (!totals) return {-1, 0};
  std::optional<dom::element> t = Field(*totals, direction);
  if (!t) return {-1, 0};
  return {Int(*t, "events"), Num(*t, "goldstein")};
}

class CliTest : public ::testing::Test {
 protected:
  // One store with the seeds, shared by the tests that only read.
  static void SetUpTestSuite() {
    seeded_ = new TempDir();
    RunResult r = RunDyad({"load", "--db", SeededDb(), SeedFacts().string(), "--format", "json"});
    seed_exit_ = r.exit_code;
    seed_output_ = r.out + r.err;
  }
  static void TearDownTestSuite() {
    delete seeded_;
    seeded_ = nullptr;
  }
  void SetUp() override {
    ASSERT_EQ(seed_exit_, 0) << "loading the seeds failed: " << seed_output_;
  }

  static std::string SeededDb() { return (seeded_->path() / "store").string(); }

  // `dyad <args> --db <the seeded store> --format json`.
  static RunResult Query(std::vector<std::string> args) {
    args.insert(args.end(), {"--db", SeededDb(), "--format", "json"});
    return RunDyad(args);
  }

  // `dyad facts <node> <filters...>` on the seeds; fails the test unless it
  // exits 0 with a facts answer.
  static std::vector<FactJson> Facts(const std::string& node,
                                     std::vector<std::string> filters = {}) {
    std::vector<std::string> args = {"facts", node};
    args.insert(args.end(), filters.begin(), filters.end());
    RunResult r = Query(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    Json j(r.out);
    EXPECT_TRUE(j.ok()) << r.out;
    if (!j.ok()) return {};
    return FactsOf(j);
  }

  // `dyad <args>` on the seeds, parsed; fails the test unless it exits 0
  // with a JSON answer.
  static std::unique_ptr<Json> QueryJson(std::vector<std::string> args) {
    RunResult r = Query(args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << ": " << r.err;
    auto j = std::make_unique<Json>(r.out);
    EXPECT_TRUE(j->ok()) << r.out;
    return j;
  }

  // Checks a load summary against cli.md's example for the seeds.
  static void ExpectSeedSummary(const Json& j) {
    dom::element s = j.root();
    EXPECT_EQ(Int(s, "lines"), 53);
    EXPECT_EQ(Int(s, "entities"), 19);
    EXPECT_EQ(Int(s, "facts_added"), 27);
    EXPECT_EQ(Int(s, "facts_corroborated"), 7);
    EXPECT_EQ(Int(s, "facts_unchanged"), 0);
    EXPECT_EQ(Int(s, "committed_lines"), 53);
    EXPECT_TRUE(Arr(s, "bad_lines").empty());
    std::optional<dom::element> seconds = Field(s, "seconds");
    ASSERT_TRUE(seconds.has_value());
    EXPECT_TRUE(seconds->is_number()) << simdjson::to_string(*seconds);
    EXPECT_GE(Num(s, "seconds"), 0);
  }

  static inline TempDir* seeded_ = nullptr;
  static inline int seed_exit_ = -1;
  static inline std::string seed_output_;
};

// ---------------------------------------------------------------- load

TEST_F(CliTest, LoadOfTheSeedsPrintsTheSummary) {
  TempDir dir;
  RunResult r =
      RunDyad({"load", "--db", (dir / "db").string(), SeedFacts().string(), "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  ExpectSeedSummary(j);
}

TEST_F(CliTest, LoadingTheSeedsAgainChangesNothing) {
  TempDir dir;
  const std::string db = (dir / "db").string();
  ASSERT_EQ(RunDyad({"load", "--db", db, SeedFacts().string()}).exit_code, 0);
  RunResult r = RunDyad({"load", "--db", db, SeedFacts().string(), "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  EXPECT_EQ(Int(j.root(), "lines"), 53);
  EXPECT_EQ(Int(j.root(), "facts_added"), 0);
  EXPECT_EQ(Int(j.root(), "facts_corroborated"), 0);
  EXPECT_EQ(Int(j.root(), "facts_unchanged"), 34);
  EXPECT_TRUE(Arr(j.root(), "bad_lines").empty());

  RunResult stats = RunDyad({"stats", "--db", db, "--format", "json"});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  Json s(stats.out);
  ASSERT_TRUE(s.ok()) << stats.out;
  EXPECT_EQ(Int(s.root(), "nodes"), 19);
  EXPECT_EQ(Int(s.root(), "facts"), 27);
}

TEST_F(CliTest, LoadReadsStandardInputForDash) {
  TempDir dir;
  const std::string db = (dir / "db").string();
  RunResult r = RunDyad({"load", "--db", db, "-", "--format", "json"}, ReadFile(SeedFacts()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  ExpectSeedSummary(j);

  RunResult find = RunDyad({"find", "Kiani", "--db", db, "--format", "json"});
  EXPECT_EQ(find.exit_code, 0) << find.err;
}

TEST_F(CliTest, LoadStopsAtABadLineAndCommitsNothingOfItsChunk) {
  TempDir dir;
  const fs::path file = dir / "bad.jsonl";
  WriteFile(file, FileWithABadLine3());
  const std::string db = (dir / "db").string();
  RunResult r = RunDyad({"load", "--db", db, file.string(), "--format", "json"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr(":3"));
  Json j(r.out);
  ASSERT_TRUE(j.ok()) << "the summary is printed also on a bad line: " << r.out;
  EXPECT_EQ(Int(j.root(), "committed_lines"), 0);
  EXPECT_EQ(Int(j.root(), "facts_added"), 0);
  std::vector<dom::element> bad = Arr(j.root(), "bad_lines");
  ASSERT_EQ(bad.size(), 1u) << r.out;
  EXPECT_EQ(Int(bad[0], "line"), 3);
  EXPECT_EQ(Str(bad[0], "field"), "predicate");
  EXPECT_THAT(Str(bad[0], "file"), HasSubstr("bad.jsonl"));
  EXPECT_FALSE(Str(bad[0], "reason").empty());

  // Lines 1 and 2 were in the chunk that stopped: neither is visible.
  RunResult find = RunDyad({"find", "Alice", "--db", db, "--format", "json"});
  EXPECT_EQ(find.exit_code, 4) << find.out << find.err;
}

TEST_F(CliTest, LoadWithSkipBadLoadsTheGoodLinesAndStillExits3) {
  TempDir dir;
  const fs::path file = dir / "bad.jsonl";
  WriteFile(file, FileWithABadLine3());
  const std::string db = (dir / "db").string();
  RunResult r = RunDyad({"load", "--db", db, file.string(), "--skip-bad", "--format", "json"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  EXPECT_EQ(Int(j.root(), "entities"), 1);
  EXPECT_EQ(Int(j.root(), "facts_added"), 2);
  std::vector<dom::element> bad = Arr(j.root(), "bad_lines");
  ASSERT_EQ(bad.size(), 1u) << r.out;
  EXPECT_EQ(Int(bad[0], "line"), 3);
  EXPECT_EQ(Str(bad[0], "field"), "predicate");

  RunResult facts = RunDyad({"facts", "Bob", "--db", db, "--format", "json"});
  ASSERT_EQ(facts.exit_code, 0) << facts.err;
  Json f(facts.out);
  ASSERT_TRUE(f.ok()) << facts.out;
  std::vector<FactJson> bob = FactsOf(f);
  ASSERT_EQ(bob.size(), 2u) << facts.out;
  EXPECT_NE(FindFact(bob, "MET", "Bob"), nullptr) << facts.out;
  EXPECT_NE(FindFact(bob, "VISITED", "Paris"), nullptr) << facts.out;
}

TEST_F(CliTest, LoadWithBatchZeroIsAUsageError) {
  TempDir dir;
  RunResult r = RunDyad({"load", "--db", (dir / "db").string(), SeedFacts().string(), "--batch",
                         "0", "--format", "json"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
}

TEST_F(CliTest, LoadOfAMissingFileIsAnIoError) {
  TempDir dir;
  RunResult r = RunDyad({"load", "--db", (dir / "db").string(),
                         (dir / "no-such-file.jsonl").string(), "--format", "json"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("no-such-file.jsonl"));
}

TEST_F(CliTest, LoadWithAnAckLogWritesALinePerCommittedChunk) {
  TempDir dir;
  const std::string ack = (dir / "ack.jsonl").string();
  RunResult r = RunDyad({"load", "--db", (dir / "db").string(), SeedFacts().string(), "--batch",
                         "20", "--ack-log", ack, "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(ack),
            "{\"chunk\":1,\"committed_lines\":20}\n"
            "{\"chunk\":2,\"committed_lines\":40}\n"
            "{\"chunk\":3,\"committed_lines\":53}\n");
}

TEST_F(CliTest, AnAckLogIsTheServersThroughAServer) {
  RunResult r = RunDyad({"load", "--server", "127.0.0.1:1", SeedFacts().string(), "--ack-log",
                         "ack.jsonl", "--format", "json"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("--ack-log: a server's loader commits the chunks"));
  EXPECT_THAT(r.err, HasSubstr("dyad serve --ack-log FILE"));
}

TEST_F(CliTest, AnAckLogThatCannotBeWrittenLoadsNothing) {
  TempDir dir;
  RunResult r = RunDyad({"load", "--db", (dir / "db").string(), SeedFacts().string(), "--ack-log",
                         (dir / "no" / "such" / "ack").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("--ack-log: cannot write"));
  EXPECT_FALSE(std::filesystem::exists(dir / "db"));
}

// ---------------------------------------------------------------- check

TEST_F(CliTest, CheckFindsTheSeedStoreConsistent) {
  std::unique_ptr<Json> j = QueryJson({"check"});
  dom::element root = j->root();
  EXPECT_TRUE(bool(root["ok"].get_bool().value_unsafe()));
  EXPECT_EQ(Int(root, "nodes"), 19);
  EXPECT_EQ(Int(root, "facts"), 27);
  EXPECT_EQ(Int(root, "sources"), 2);
  EXPECT_EQ(Int(root, "problem_count"), 0);
  EXPECT_TRUE(Arr(root, "problems").empty());
}

// The canonical dump says the same of two stores with the same content,
// however they were loaded, and tells stores apart otherwise.
TEST_F(CliTest, CheckDumpsEqualStoresEqually) {
  TempDir dir;
  const std::string db = (dir / "db").string();
  ASSERT_EQ(RunDyad({"load", "--db", db, SeedFacts().string(), "--batch", "7"}).exit_code, 0);
  ASSERT_EQ(Query({"check", "--dump", (dir / "a.txt").string()}).exit_code, 0);
  ASSERT_EQ(RunDyad({"check", "--db", db, "--dump", (dir / "b.txt").string()}).exit_code, 0);
  EXPECT_EQ(ReadFile(dir / "a.txt"), ReadFile(dir / "b.txt"));
  EXPECT_THAT(ReadFile(dir / "a.txt"), HasSubstr("stats nodes=19 facts=27 sources=2"));
  WriteFile(dir / "more.jsonl", R"({"kind":"entity","label":"Person","name":"Somebody New"})"
                                "\n");
  ASSERT_EQ(RunDyad({"load", "--db", db, (dir / "more.jsonl").string()}).exit_code, 0);
  ASSERT_EQ(RunDyad({"check", "--db", db, "--dump", (dir / "b.txt").string()}).exit_code, 0);
  EXPECT_NE(ReadFile(dir / "a.txt"), ReadFile(dir / "b.txt"));
}

TEST_F(CliTest, CheckWorksOnALocalStoreOnly) {
  RunResult r = RunDyad({"check", "--server", "127.0.0.1:1", "--format", "json"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.err, HasSubstr("--server: check reads a local --db store"));
  TempDir dir;
  r = RunDyad({"check", "--db", (dir / "none").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("no dyad store at"));
}

// ---------------------------------------------------------------- stats

TEST_F(CliTest, StatsCountsTheSeeds) {
  RunResult r = Query({"stats"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  EXPECT_EQ(Int(j.root(), "nodes"), 19);
  EXPECT_EQ(Int(j.root(), "facts"), 27);
  EXPECT_EQ(Int(j.root(), "sources"), 2);
  std::map<std::string, int64_t> labels = Counts(j.root(), "labels");
  EXPECT_EQ(labels["Country"], 6);
  EXPECT_EQ(labels["Person"], 7);
  EXPECT_EQ(labels["Location"], 2);
  EXPECT_EQ(labels["Organization"], 1);
  EXPECT_EQ(labels["Event"], 1);
  EXPECT_EQ(labels["Topic"], 2);
  std::map<std::string, int64_t> predicates = Counts(j.root(), "predicates");
  EXPECT_EQ(predicates["HOLDS_OFFICE"], 7);
  EXPECT_EQ(predicates["PARTICIPANT_IN"], 4);
  int64_t facts = 0;
  for (const auto& [p, n] : predicates) facts += n;
  EXPECT_EQ(facts, 27) << r.out;
}

TEST_F(CliTest, OutputIsJsonByDefaultWhenStdoutIsNotATerminal) {
  RunResult r = RunDyad({"stats", "--db", SeededDb()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  EXPECT_EQ(Int(j.root(), "nodes"), 19);
}

// ---------------------------------------------------------------- find

TEST_F(CliTest, FindResolvesAnAlias) {
  RunResult r = Query({"find", "Kiani"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  std::vector<NodeJson> m = MatchesOf(j);
  ASSERT_EQ(m.size(), 1u) << r.out;
  EXPECT_EQ(m[0].id, kKayaniId);
  EXPECT_EQ(m[0].label, "Person");
  EXPECT_EQ(m[0].name, "Ashfaq Parvez Kayani");
  EXPECT_THAT(m[0].aliases, ::testing::Contains("Kiani"));
  EXPECT_THAT(m[0].aliases, ::testing::Contains("Ashfaq Pervez Kiani"));
}

TEST_F(CliTest, FindIgnoresCaseOfAnAlias) {
  RunResult r = Query({"find", "gen kayani"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  EXPECT_THAT(IdsOf(MatchesOf(j)), ::testing::ElementsAre(kKayaniId));
}

TEST_F(CliTest, FindResolvesAnAcronym) {
  RunResult r = Query({"find", "ISPR"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  std::vector<NodeJson> m = MatchesOf(j);
  ASSERT_EQ(m.size(), 1u) << r.out;
  EXPECT_EQ(m[0].label, "Organization");
  EXPECT_EQ(m[0].name, "Inter-Services Public Relations");
}

TEST_F(CliTest, FindOfAnAmbiguousNameExits5WithEveryMatch) {
  RunResult r = Query({"find", "Moscow"});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  EXPECT_THAT(IdsOf(MatchesOf(j)), UnorderedElementsAre("Country:russia", "Location:moscow"));
}

TEST_F(CliTest, FindIslamabadIsAmbiguous) {
  RunResult r = Query({"find", "Islamabad"});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  EXPECT_THAT(IdsOf(MatchesOf(j)), UnorderedElementsAre("Country:pakistan", "Location:islamabad"));
}

TEST_F(CliTest, FindWithALabelPicksOne) {
  RunResult r = Query({"find", "Moscow", "--label", "Location"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  std::vector<NodeJson> m = MatchesOf(j);
  ASSERT_EQ(m.size(), 1u) << r.out;
  EXPECT_EQ(m[0].id, "Location:moscow");
  EXPECT_EQ(m[0].label, "Location");
  EXPECT_EQ(m[0].name, "Moscow");
}

TEST_F(CliTest, FindAcceptsLabelColonName) {
  RunResult city = Query({"find", "Location:Moscow"});
  ASSERT_EQ(city.exit_code, 0) << city.err;
  Json c(city.out);
  ASSERT_TRUE(c.ok()) << city.out;
  EXPECT_THAT(IdsOf(MatchesOf(c)), ::testing::ElementsAre("Location:moscow"));

  RunResult country = Query({"find", "Country:Moscow"});
  ASSERT_EQ(country.exit_code, 0) << country.err;
  Json k(country.out);
  ASSERT_TRUE(k.ok()) << country.out;
  EXPECT_THAT(IdsOf(MatchesOf(k)), ::testing::ElementsAre("Country:russia"));
}

TEST_F(CliTest, FindWithNoMatchExits4AndPrintsNoMatches) {
  RunResult r = Query({"find", "Nobody"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  std::optional<dom::element> m = Field(j.root(), "matches");
  ASSERT_TRUE(m.has_value()) << r.out;
  EXPECT_TRUE(m->is_array()) << r.out;
  EXPECT_TRUE(MatchesOf(j).empty()) << r.out;
  EXPECT_THAT(r.err, HasSubstr("Nobody"));
}

// ---------------------------------------------------------------- facts

TEST_F(CliTest, FactsOfKayaniShowTheVisitWithBothSources) {
  RunResult r = Query({"facts", "Ashfaq Parvez Kayani"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  std::optional<dom::element> node = Field(j.root(), "node");
  ASSERT_TRUE(node.has_value());
  NodeJson n = ParseNode(*node);
  EXPECT_EQ(n.id, kKayaniId);
  EXPECT_EQ(n.label, "Person");
  EXPECT_EQ(n.name, "Ashfaq Parvez Kayani");

  std::vector<FactJson> facts = FactsOf(j);
  ASSERT_EQ(facts.size(), 2u) << r.out;
  for (const FactJson& f : facts) {
    for (const NodeJson* end : {&f.subject, &f.object}) {
      EXPECT_FALSE(end->id.empty()) << r.out;
      EXPECT_FALSE(end->label.empty()) << r.out;
      EXPECT_FALSE(end->name.empty()) << r.out;
    }
  }
  const FactJson* visit = FindFact(facts, "VISITED", "Moscow");
  ASSERT_NE(visit, nullptr) << r.out;
  EXPECT_EQ(visit->subject.id, kKayaniId);
  EXPECT_EQ(visit->subject.name, "Ashfaq Parvez Kayani");
  EXPECT_EQ(visit->object.id, "Location:moscow");
  EXPECT_EQ(visit->object.label, "Location");
  EXPECT_DOUBLE_EQ(visit->confidence, 0.99);
  EXPECT_EQ(visit->valid_from, "2012-10-03");
  EXPECT_FALSE(visit->valid_to.has_value()) << *visit->valid_to;
  ASSERT_EQ(visit->sources.size(), 2u) << r.out;
  std::map<std::string, std::optional<std::string>> outlet_of;
  for (const auto& s : visit->sources) outlet_of[s.doc] = s.outlet;
  EXPECT_EQ(outlet_of[std::string(kHinduDoc)], "The Hindu");
  EXPECT_EQ(outlet_of[std::string(kDawnDoc)], "Dawn");
  for (const auto& s : visit->sources) EXPECT_EQ(s.published, "2012-10-04");
  EXPECT_EQ(visit->props.count("purpose"), 1u) << r.out;
  EXPECT_EQ(visit->props.at("purpose"), "defence cooperation");

  const FactJson* office = FindFact(facts, "HOLDS_OFFICE", "Pakistan");
  ASSERT_NE(office, nullptr) << r.out;
  EXPECT_DOUBLE_EQ(office->confidence, 1.0);
  EXPECT_FALSE(office->valid_from.has_value()) << *office->valid_from;
  EXPECT_EQ(office->sources.size(), 2u);
}

TEST_F(CliTest, FactsFindTheSameNodeByAliasOrId) {
  for (const std::string& ref :
       std::vector<std::string>{"Kiani", "Ashfaq Pervez Kiani", std::string(kKayaniId)}) {
    RunResult r = Query({"facts", ref});
    ASSERT_EQ(r.exit_code, 0) << ref << ": " << r.err;
    Json j(r.out);
    ASSERT_TRUE(j.ok()) << r.out;
    std::optional<dom::element> node = Field(j.root(), "node");
    ASSERT_TRUE(node.has_value());
    EXPECT_EQ(ParseNode(*node).id, kKayaniId) << ref;
    EXPECT_EQ(FactsOf(j).size(), 2u) << ref;
  }
}

TEST_F(CliTest, CorroboratedConfidencesAreNoisyOrRoundedTo6Decimals) {
  RunResult putin = Query({"facts", "Vladimir Putin"});
  ASSERT_EQ(putin.exit_code, 0) << putin.err;
  EXPECT_THAT(putin.out, HasSubstr("0.9975"));
  EXPECT_THAT(putin.out, Not(HasSubstr("0.99749")));
  Json p(putin.out);
  ASSERT_TRUE(p.ok()) << putin.out;
  std::vector<FactJson> putin_facts = FactsOf(p);
  const FactJson* cancelled = FindFact(putin_facts, "CANCELLED_VISIT", "Pakistan");
  ASSERT_NE(cancelled, nullptr) << putin.out;
  EXPECT_EQ(cancelled->confidence, 0.9975);
  EXPECT_EQ(cancelled->valid_from, "2012-10-02");

  RunResult lavrov = Query({"facts", "Sergey Lavrov"});
  ASSERT_EQ(lavrov.exit_code, 0) << lavrov.err;
  EXPECT_THAT(lavrov.out, HasSubstr("0.96"));
  Json l(lavrov.out);
  ASSERT_TRUE(l.ok()) << lavrov.out;
  std::vector<FactJson> lavrov_facts = FactsOf(l);
  const FactJson* met = FindFact(lavrov_facts, "MET", "Hina Rabbani Khar");
  ASSERT_NE(met, nullptr) << lavrov.out;
  EXPECT_EQ(met->confidence, 0.96);
  EXPECT_EQ(met->sources.size(), 2u);

  RunResult russia = Query({"facts", "Russia", "--predicate", "COOPERATED_MILITARILY"});
  ASSERT_EQ(russia.exit_code, 0) << russia.err;
  EXPECT_THAT(russia.out, HasSubstr("0.94"));
  Json m(russia.out);
  ASSERT_TRUE(m.ok()) << russia.out;
  std::vector<FactJson> military = FactsOf(m);
  ASSERT_EQ(military.size(), 1u) << russia.out;
  EXPECT_EQ(military[0].confidence, 0.94);
  EXPECT_EQ(military[0].subject.name, "Russia");
  EXPECT_EQ(military[0].object.name, "Pakistan");
  EXPECT_EQ(military[0].sources.size(), 2u);
}

TEST_F(CliTest, FactsDirectionSplitsAPlainNodesFacts) {
  // Location:Islamabad: LOCATED_IN Pakistan (out), Lavrov VISITED it (in).
  std::vector<FactJson> out = Facts("Location:Islamabad", {"--direction", "out"});
  std::vector<FactJson> in = Facts("Location:Islamabad", {"--direction", "in"});
  std::vector<FactJson> both = Facts("Location:Islamabad", {"--direction", "both"});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].predicate, "LOCATED_IN");
  ASSERT_EQ(in.size(), 1u);
  EXPECT_EQ(in[0].predicate, "VISITED");
  EXPECT_EQ(both.size(), 2u);
  EXPECT_EQ(Facts("Location:Islamabad").size(), 2u);  // both is the default

  EXPECT_EQ(Facts("Kiani", {"--direction", "out"}).size(), 2u);
  EXPECT_EQ(Facts("Kiani", {"--direction", "in"}).size(), 0u);
}

TEST_F(CliTest, FactsDirectionOnPakistanFollowsSymmetricPredicatesBothWays) {
  // expected.md: 13 facts have Pakistan at one end. As subject: PARTICIPANT_IN
  // the summit, COOPERATED_DIPLOMATICALLY India; as object the other 11, three
  // of them Russia's symmetric COOPERATED_* facts. cli.md: "a symmetric
  // predicate is followed both ways" (predicates.tsv: symmetric = yes).
  const std::set<std::string> symmetric = {"COOPERATED_DIPLOMATICALLY", "COOPERATED_ECONOMICALLY",
                                           "COOPERATED_MILITARILY", "MET"};
  std::vector<FactJson> both = Facts("Pakistan", {"--direction", "both"});
  std::vector<FactJson> out = Facts("Pakistan", {"--direction", "out"});
  std::vector<FactJson> in = Facts("Pakistan", {"--direction", "in"});
  EXPECT_EQ(both.size(), 13u);
  EXPECT_EQ(Facts("Pakistan").size(), 13u);

  int as_subject = 0, as_object = 0;
  for (const auto& f : both) {
    as_subject += f.subject.name == "Pakistan";
    as_object += f.object.name == "Pakistan";
  }
  EXPECT_EQ(as_subject, 2);
  EXPECT_EQ(as_object, 11);

  for (const auto& f : out) {
    EXPECT_TRUE(f.subject.name == "Pakistan" || symmetric.count(f.predicate))
        << "out: " << f.subject.name << " " << f.predicate << " " << f.object.name;
  }
  for (const auto& f : in) {
    EXPECT_TRUE(f.object.name == "Pakistan" || symmetric.count(f.predicate))
        << "in: " << f.subject.name << " " << f.predicate << " " << f.object.name;
  }
  // out: the 2 as subject + Russia COOPERATED_{MILITARILY,ECONOMICALLY,
  // DIPLOMATICALLY} Pakistan; in: the 11 as object + Pakistan
  // COOPERATED_DIPLOMATICALLY India.
  EXPECT_EQ(out.size(), 5u);
  EXPECT_EQ(in.size(), 12u);
}

TEST_F(CliTest, FactsPredicateFilter) {
  std::vector<FactJson> offices = Facts("Pakistan", {"--predicate", "HOLDS_OFFICE"});
  ASSERT_EQ(offices.size(), 4u);
  std::set<std::string> holders;
  for (const auto& f : offices) {
    EXPECT_EQ(f.predicate, "HOLDS_OFFICE");
    holders.insert(f.subject.name);
  }
  EXPECT_EQ(holders, (std::set<std::string>{"Hina Rabbani Khar", "Raja Pervez Ashraf",
                                            "Asif Ali Zardari", "Ashfaq Parvez Kayani"}));
  // --predicate is repeatable.
  EXPECT_EQ(Facts("Pakistan", {"--predicate", "HOLDS_OFFICE", "--predicate", "MEMBER_OF"}).size(),
            5u);
  EXPECT_EQ(Facts("Pakistan", {"--predicate", "ATTACKED"}).size(), 0u);
}

TEST_F(CliTest, FactsDateWindow) {
  // Lavrov on 2012-10-04: all but Khar's invitation (2012-01-01..2012-09-30);
  // his undated HOLDS_OFFICE is valid at all times.
  std::vector<FactJson> day =
      Facts("Sergey Lavrov", {"--from", "2012-10-04", "--to", "2012-10-04"});
  std::multiset<std::string> predicates;
  for (const auto& f : day) predicates.insert(f.predicate);
  EXPECT_EQ(predicates, (std::multiset<std::string>{"HOLDS_OFFICE", "VISITED", "MET", "MET",
                                                    "STATED", "PRAISED"}));
  EXPECT_EQ(Facts("Sergey Lavrov").size(), 7u);

  // Pakistan up to 2012-09-30: the 6 undated facts and the economic
  // cooperation valid from 2012-01-01.
  std::vector<FactJson> before = Facts("Pakistan", {"--to", "2012-09-30"});
  EXPECT_EQ(before.size(), 7u);
  for (const auto& f : before) {
    EXPECT_TRUE(!f.valid_from || *f.valid_from <= "2012-09-30") << f.predicate;
  }
}

TEST_F(CliTest, FactsMinConfidence) {
  // Pakistan: the 6 structural facts (1.0) and Putin's cancelled visit (0.9975).
  std::vector<FactJson> sure = Facts("Pakistan", {"--min-confidence", "0.95"});
  EXPECT_EQ(sure.size(), 7u);
  for (const auto& f : sure) EXPECT_GE(f.confidence, 0.95) << f.predicate;
  EXPECT_NE(FindFact(sure, "CANCELLED_VISIT", "Pakistan"), nullptr);
  EXPECT_EQ(Facts("Pakistan", {"--min-confidence", "0"}).size(), 13u);
}

TEST_F(CliTest, FactsLabelFilter) {
  // Pakistan's facts with a Person at the other end: four office holders,
  // Putin's cancelled visit and Lavrov's praise.
  std::vector<FactJson> people = Facts("Pakistan", {"--label", "Person"});
  EXPECT_EQ(people.size(), 6u);
  for (const auto& f : people) {
    const NodeJson& other = f.subject.name == "Pakistan" ? f.object : f.subject;
    EXPECT_EQ(other.label, "Person") << other.name;
  }
}

// ---------------------------------------------------------------- errors

TEST_F(CliTest, FactsOfAnAmbiguousNameExits5AndListsTheCandidates) {
  RunResult r = Query({"facts", "Moscow"});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  std::optional<dom::element> error = Field(j.root(), "error");
  ASSERT_TRUE(error.has_value()) << r.out;
  EXPECT_EQ(Str(*error, "code"), "AMBIGUOUS");
  const std::string message = Str(*error, "message");
  EXPECT_FALSE(message.empty());
  EXPECT_THAT(r.err, HasSubstr(message));
  std::vector<NodeJson> candidates;
  for (dom::element c : Arr(*error, "candidates")) candidates.push_back(ParseNode(c));
  EXPECT_THAT(IdsOf(candidates), UnorderedElementsAre("Country:russia", "Location:moscow"));
  for (const auto& c : candidates) {
    EXPECT_FALSE(c.label.empty());
    EXPECT_FALSE(c.name.empty());
  }
  // cli.md: "the message and JSON list the candidates".
  EXPECT_THAT(Lower(message), HasSubstr("russia")) << message;
  EXPECT_THAT(Lower(message), HasSubstr("location")) << message;
}

TEST_F(CliTest, FactsOfAnUnknownNodeExits4) {
  RunResult r = Query({"facts", "Nobody"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  std::optional<dom::element> error = Field(j.root(), "error");
  ASSERT_TRUE(error.has_value()) << r.out;
  EXPECT_EQ(Str(*error, "code"), "NOT_FOUND");
  const std::string message = Str(*error, "message");
  EXPECT_THAT(message, HasSubstr("Nobody"));
  EXPECT_THAT(r.err, HasSubstr(message));
}

TEST_F(CliTest, MalformedDateExits3) {
  RunResult r = Query({"facts", "Pakistan", "--from", "2012-13-01"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("2012-13-01"));
  Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  EXPECT_TRUE(Field(j.root(), "error").has_value());
}

TEST_F(CliTest, MalformedConfidenceExits3) {
  RunResult r = Query({"facts", "Pakistan", "--min-confidence", "abc"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("abc"));
}

TEST_F(CliTest, UnknownFlagExits2) {
  RunResult r = Query({"facts", "Pakistan", "--bogus"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("--bogus"));
}

TEST_F(CliTest, MissingArgumentExits2) {
  EXPECT_EQ(Query({"facts"}).exit_code, 2);
  EXPECT_EQ(Query({"find"}).exit_code, 2);
  EXPECT_EQ(RunDyad({"load"}).exit_code, 2);
}

TEST_F(CliTest, NoSubcommandExits2) {
  EXPECT_EQ(RunDyad({}).exit_code, 2);
  EXPECT_EQ(RunDyad({"--db", SeededDb()}).exit_code, 2);
}

TEST_F(CliTest, UnknownSubcommandExits2) { EXPECT_EQ(Query({"frobnicate"}).exit_code, 2); }

TEST_F(CliTest, HelpOnEveryCommandExits0WithUsage) {
  const std::vector<std::vector<std::string>> commands = {
      {"--help"},          {"load", "--help"},       {"find", "--help"},
      {"facts", "--help"}, {"neighbours", "--help"}, {"path", "--help"},
      {"dyad", "--help"},  {"stats", "--help"}};
  for (const auto& args : commands) {
    RunResult r = RunDyad(args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << ": " << r.err;
    EXPECT_THAT(Lower(r.out + r.err), HasSubstr("usage")) << args[0];
  }
  EXPECT_THAT(RunDyad({"facts", "--help"}).out, HasSubstr("--min-confidence"));
  EXPECT_THAT(RunDyad({"load", "--help"}).out, HasSubstr("--skip-bad"));
  RunResult neighbours = RunDyad({"neighbours", "--help"});
  for (std::string_view flag : {"--depth", "--limit", "--predicate", "--timeout"}) {
    EXPECT_THAT(neighbours.out, HasSubstr(flag));
  }
  RunResult path = RunDyad({"path", "--help"});
  for (std::string_view flag :
       {"--all", "--k", "--weighted", "--max-depth", "--limit", "--label"}) {
    EXPECT_THAT(path.out, HasSubstr(flag));
  }
  RunResult dyad = RunDyad({"dyad", "--help"});
  for (std::string_view flag : {"--by", "--from", "--to"}) EXPECT_THAT(dyad.out, HasSubstr(flag));
}

TEST_F(CliTest, MissingStoreExits1) {
  TempDir dir;
  const fs::path missing = dir / "no-store-here";
  RunResult r = RunDyad({"stats", "--db", missing.string(), "--format", "json"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("no dyad store"));
  EXPECT_FALSE(fs::exists(missing)) << "a reading command must not create a store";
}

TEST_F(CliTest, DirectoryWithOtherFilesIsNotAStore) {
  TempDir dir;
  WriteFile(dir / "notes.txt", "my notes\n");
  RunResult r = RunDyad({"stats", "--db", dir.path().string(), "--format", "json"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("not a dyad store"));
  // Loading there is refused too, and the file is left alone.
  RunResult load = RunDyad({"load", "--db", dir.path().string(), SeedFacts().string()});
  EXPECT_EQ(load.exit_code, 1) << load.out << load.err;
  EXPECT_EQ(ReadFile(dir / "notes.txt"), "my notes\n");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

TEST_F(CliTest, GlobalFlagsGoBeforeOrAfterTheSubcommand) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--db", SeededDb(), "--format", "json", "stats"},
           {"stats", "--db", SeededDb(), "--format", "json"},
           {"--format", "json", "stats", "--db", SeededDb()},
       }) {
    RunResult r = RunDyad(args);
    ASSERT_EQ(r.exit_code, 0) << args[0] << ": " << r.err;
    Json j(r.out);
    ASSERT_TRUE(j.ok()) << r.out;
    EXPECT_EQ(Int(j.root(), "nodes"), 19) << args[0];
  }
  RunResult find = RunDyad({"--db", SeededDb(), "find", "Kiani", "--format", "json"});
  EXPECT_EQ(find.exit_code, 0) << find.err;
}

TEST_F(CliTest, DyadDbEnvironmentVariableGivesTheStore) {
  struct EnvGuard {
    explicit EnvGuard(const std::string& value) { ::setenv("DYAD_DB", value.c_str(), 1); }
    ~EnvGuard() { ::unsetenv("DYAD_DB"); }
  } env(SeededDb());
  RunResult r = RunDyad({"stats", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  EXPECT_EQ(Int(j.root(), "facts"), 27);
  RunResult find = RunDyad({"find", "ISPR", "--format", "json"});
  EXPECT_EQ(find.exit_code, 0) << find.err;
}

// A `dyad load` reading its stdin from a FIFO the test holds open, so it keeps
// the store open until the test closes the FIFO.
class BackgroundLoad {
 public:
  BackgroundLoad(const TempDir& dir, const fs::path& db) : dir_(dir), fifo_(dir / "stdin") {
    if (::mkfifo(fifo_.c_str(), 0600) != 0) {
      ADD_FAILURE() << "mkfifo failed";
      return;
    }
    auto q = [](const fs::path& p) { return ShellQuote(p.string()); };
    const std::string cmd = "( " + ShellQuote(DYAD_BINARY) + " load --db " + q(db) +
                            " - --format json <" + q(fifo_) + " >" + q(dir_ / "out") + " 2>" +
                            q(dir_ / "err") + "; echo $? >" + q(dir_ / "rc.tmp") + "; mv " +
                            q(dir_ / "rc.tmp") + " " + q(dir_ / "rc") + " ) >/dev/null 2>&1 &";
    if (std::system(cmd.c_str()) != 0) {
      ADD_FAILURE() << "cannot start " << cmd;
      return;
    }
    launched_ = true;
    // The writer's open fails with ENXIO until the loader has the FIFO open
    // for reading.
    for (int i = 0; i < 600 && fd_ < 0; ++i) {
      fd_ = ::open(fifo_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
      if (fd_ < 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (fd_ < 0) {
      ADD_FAILURE() << "the background load never opened its stdin";
      return;
    }
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
  }
  ~BackgroundLoad() { Finish(); }
  BackgroundLoad(const BackgroundLoad&) = delete;
  BackgroundLoad& operator=(const BackgroundLoad&) = delete;

  bool started() const { return fd_ >= 0; }

  void Write(std::string_view text) {
    while (fd_ >= 0 && !text.empty()) {
      ssize_t n = ::write(fd_, text.data(), text.size());
      if (n <= 0) break;
      text.remove_prefix(static_cast<size_t>(n));
    }
  }

  // Closes the loader's stdin and waits (up to a minute) for it to exit;
  // returns its exit code, or -1.
  int Finish() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (!launched_) return exit_code_;
    launched_ = false;
    for (int i = 0; i < 1200; ++i) {
      if (fs::exists(dir_ / "rc")) {
        exit_code_ = std::atoi(ReadFile(dir_ / "rc").c_str());
        return exit_code_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "the background load did not finish: " << err();
    return exit_code_;
  }

  std::string out() const { return ReadFile(dir_ / "out"); }
  std::string err() const { return ReadFile(dir_ / "err"); }

 private:
  const TempDir& dir_;
  fs::path fifo_;
  int fd_ = -1;
  bool launched_ = false;
  int exit_code_ = -1;
};

// True once some process holds a POSIX lock on `lock_file` (RocksDB's LOCK).
bool LockedByAnotherProcess(const fs::path& lock_file) {
  int fd = ::open(lock_file.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  struct flock fl = {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  bool locked = ::fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
  ::close(fd);
  return locked;
}

TEST_F(CliTest, SecondProcessOnAnOpenStoreFailsWithInUse) {
  TempDir dir;
  const fs::path db = dir / "db";
  // A store that exists, so the second process meets a complete one that is
  // merely open (not one still being created).
  ASSERT_EQ(RunDyad({"load", "--db", db.string(), SeedFacts().string()}).exit_code, 0);
  BackgroundLoad load(dir, db);
  ASSERT_TRUE(load.started());
  // Wait until the loader holds the store's LOCK (at most 30 s), then give
  // its open a moment to finish.
  for (int i = 0; i < 600 && !LockedByAnotherProcess(db / "LOCK"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  RunResult r = RunDyad({"stats", "--db", db.string(), "--format", "json"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("in use"));
  Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  std::optional<dom::element> error = Field(j.root(), "error");
  ASSERT_TRUE(error.has_value()) << r.out;
  EXPECT_THAT(Str(*error, "message"), HasSubstr("in use"));

  // The first process is unaffected: it loads what it reads, then lets go.
  load.Write(ReadFile(SeedFacts()));
  EXPECT_EQ(load.Finish(), 0) << load.err();
  Json summary(load.out());
  ASSERT_TRUE(summary.ok()) << load.out();
  EXPECT_EQ(Int(summary.root(), "facts_unchanged"), 34);
  RunResult after = RunDyad({"stats", "--db", db.string(), "--format", "json"});
  EXPECT_EQ(after.exit_code, 0) << after.err;
}

// ---------------------------------------------------------------- neighbours

// expected.md: Pakistan's neighbourhood at depth 1, by name.
const std::vector<std::string> kPakistanDepth1 = {"Ashfaq Parvez Kayani",
                                                  "Asif Ali Zardari",
                                                  "Hina Rabbani Khar",
                                                  "India",
                                                  "Inter-Services Public Relations",
                                                  "Islamabad",
                                                  "Quadrilateral summit on Afghanistan 2012",
                                                  "Raja Pervez Ashraf",
                                                  "Russia",
                                                  "Sergey Lavrov",
                                                  "Vladimir Putin"};

TEST_F(CliTest, NeighboursOfPakistanAtDepth1AreItsElevenNodesAndThirteenFacts) {
  auto j = QueryJson({"neighbours", "Pakistan"});
  ASSERT_TRUE(j->ok());
  std::optional<dom::element> start = Field(j->root(), "start");
  ASSERT_TRUE(start.has_value());
  EXPECT_EQ(ParseNode(*start).id, "Country:pakistan");
  EXPECT_EQ(Int(j->root(), "depth"), 1);
  std::vector<NeighbourJson> nodes = NeighboursOf(*j);
  EXPECT_EQ(NamesOf(nodes), kPakistanDepth1) << j->text();  // ordered by hops, then name
  for (const auto& n : nodes) {
    EXPECT_EQ(n.hops, 1) << n.node.name;
    EXPECT_FALSE(n.node.id.empty());
    EXPECT_FALSE(n.node.label.empty());
  }
  EXPECT_EQ(FactsOf(*j).size(), 13u) << j->text();
  EXPECT_EQ(TruncatedBy(*j), std::nullopt);
}

TEST_F(CliTest, NeighboursFactsComeInTheOrderOfFactsWithTheirSources) {
  auto j = QueryJson({"neighbours", "Pakistan"});
  ASSERT_TRUE(j->ok());
  std::vector<FactJson> crossed = FactsOf(*j);
  std::vector<FactJson> facts = Facts("Pakistan");
  EXPECT_EQ(Describe(crossed), Describe(facts));
  const FactJson* cancelled = FindFact(crossed, "CANCELLED_VISIT", "Pakistan");
  ASSERT_NE(cancelled, nullptr) << j->text();
  EXPECT_EQ(cancelled->confidence, 0.9975);
  EXPECT_EQ(cancelled->valid_from, "2012-10-02");
  EXPECT_EQ(cancelled->sources.size(), 2u);
}

TEST_F(CliTest, NeighboursOfPakistanAtDepth2AddFiveNodesAtHop2) {
  auto j = QueryJson({"neighbours", "Pakistan", "--depth", "2"});
  ASSERT_TRUE(j->ok());
  EXPECT_EQ(Int(j->root(), "depth"), 2);
  std::vector<NeighbourJson> nodes = NeighboursOf(*j);
  ASSERT_EQ(nodes.size(), 16u) << j->text();
  std::vector<std::string> expected = kPakistanDepth1;
  expected.insert(expected.end(), {"Afghanistan", "Asim Bajwa", "Kashmir", "Moscow", "Tajikistan"});
  EXPECT_EQ(NamesOf(nodes), expected);
  for (size_t i = 0; i < nodes.size(); ++i) EXPECT_EQ(nodes[i].hops, i < 11 ? 1 : 2) << i;
  // Every fact but Asim Bajwa STATED Defence cooperation, which is 3 hops out.
  std::vector<FactJson> facts = FactsOf(*j);
  EXPECT_EQ(facts.size(), 26u) << j->text();
  for (const auto& f : facts) EXPECT_NE(f.object.name, "Defence cooperation");
}

TEST_F(CliTest, NeighboursOfKayaniAreMoscowAndPakistan) {
  auto j = QueryJson({"neighbours", "Kiani"});
  ASSERT_TRUE(j->ok());
  std::vector<NeighbourJson> nodes = NeighboursOf(*j);
  EXPECT_EQ(NamesOf(nodes), (std::vector<std::string>{"Moscow", "Pakistan"}));
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0].node.id, "Location:moscow");
  EXPECT_THAT(Describe(FactsOf(*j)),
              ::testing::ElementsAre("Ashfaq Parvez Kayani HOLDS_OFFICE Pakistan",
                                     "Ashfaq Parvez Kayani VISITED Moscow"));
}

TEST_F(CliTest, NeighboursLimitTruncatesByNodes) {
  auto j = QueryJson({"neighbours", "Pakistan", "--limit", "3"});
  ASSERT_TRUE(j->ok());
  EXPECT_THAT(j->text(), HasSubstr("\"truncated\":true,\"truncated_by\":\"nodes\""));
  EXPECT_EQ(TruncatedBy(*j), "nodes");
  std::vector<NeighbourJson> nodes = NeighboursOf(*j);
  ASSERT_EQ(nodes.size(), 3u) << j->text();
  // Facts only join nodes of the answer.
  std::set<std::string> answer = {"Country:pakistan"};
  for (const auto& n : nodes) answer.insert(n.node.id);
  for (const auto& f : FactsOf(*j)) {
    EXPECT_TRUE(answer.count(f.subject.id) && answer.count(f.object.id)) << Describe(f);
  }
}

TEST_F(CliTest, NeighboursFiltersChangeTheAnswer) {
  auto visits = QueryJson({"neighbours", "Kiani", "--predicate", "VISITED"});
  ASSERT_TRUE(visits->ok());
  EXPECT_EQ(NamesOf(NeighboursOf(*visits)), (std::vector<std::string>{"Moscow"}));
  EXPECT_THAT(Describe(FactsOf(*visits)),
              ::testing::ElementsAre("Ashfaq Parvez Kayani VISITED Moscow"));

  auto offices = QueryJson({"neighbours", "Pakistan", "--predicate", "HOLDS_OFFICE"});
  ASSERT_TRUE(offices->ok());
  EXPECT_EQ(NamesOf(NeighboursOf(*offices)),
            (std::vector<std::string>{"Ashfaq Parvez Kayani", "Asif Ali Zardari",
                                      "Hina Rabbani Khar", "Raja Pervez Ashraf"}));
  EXPECT_EQ(FactsOf(*offices).size(), 4u);

  // --label: nodes of other labels are neither returned nor crossed, so
  // depth 2 reaches no further than depth 1 (Lavrov's other ends are a
  // Country, a Location and a Topic).
  for (std::string depth : {"1", "2"}) {
    auto people = QueryJson({"neighbours", "Pakistan", "--label", "Person", "--depth", depth});
    ASSERT_TRUE(people->ok());
    EXPECT_EQ(
        NamesOf(NeighboursOf(*people)),
        (std::vector<std::string>{"Ashfaq Parvez Kayani", "Asif Ali Zardari", "Hina Rabbani Khar",
                                  "Raja Pervez Ashraf", "Sergey Lavrov", "Vladimir Putin"}))
        << "depth " << depth;
  }

  // Facts valid on or before 2012-09-30: the undated ones and Russia's
  // economic cooperation from 2012-01-01.
  auto before = QueryJson({"neighbours", "Pakistan", "--to", "2012-09-30"});
  ASSERT_TRUE(before->ok());
  EXPECT_EQ(FactsOf(*before).size(), 7u) << before->text();
}

TEST_F(CliTest, NeighboursAtDepth0AreNone) {
  auto j = QueryJson({"neighbours", "Pakistan", "--depth", "0"});
  ASSERT_TRUE(j->ok());
  EXPECT_TRUE(NeighboursOf(*j).empty()) << j->text();
  EXPECT_TRUE(FactsOf(*j).empty()) << j->text();
}

TEST_F(CliTest, NeighboursOfANodeWithoutFactsAreEmptyAndExit0) {
  auto j = QueryJson({"neighbours", "United States", "--depth", "3"});
  ASSERT_TRUE(j->ok());
  EXPECT_TRUE(NeighboursOf(*j).empty()) << j->text();
  EXPECT_EQ(TruncatedBy(*j), std::nullopt);
}

// ---------------------------------------------------------------- path

TEST_F(CliTest, PathFromKayaniToLavrovGoesThroughPakistan) {
  auto j = QueryJson({"path", "Ashfaq Parvez Kayani", "Sergey Lavrov"});
  ASSERT_TRUE(j->ok());
  std::optional<dom::element> from = Field(j->root(), "from");
  std::optional<dom::element> to = Field(j->root(), "to");
  ASSERT_TRUE(from && to);
  EXPECT_EQ(ParseNode(*from).id, kKayaniId);
  EXPECT_EQ(ParseNode(*to).id, "Person:sergey-lavrov");
  EXPECT_EQ(HopsOf(*j), 2);
  EXPECT_EQ(TruncatedBy(*j), std::nullopt);
  std::vector<PathJson> paths = PathsOf(*j);
  ASSERT_EQ(paths.size(), 1u) << j->text();
  EXPECT_EQ(NamesOf(paths[0].nodes),
            (std::vector<std::string>{"Ashfaq Parvez Kayani", "Pakistan", "Sergey Lavrov"}));
  // The facts of each step, in step order; Lavrov's praise is the one fact
  // between Pakistan and him.
  EXPECT_EQ(Describe(paths[0].facts),
            (std::vector<std::string>{"Ashfaq Parvez Kayani HOLDS_OFFICE Pakistan",
                                      "Sergey Lavrov PRAISED Pakistan"}));
  EXPECT_EQ(paths[0].facts[1].sources.size(), 1u);
  EXPECT_NEAR(paths[0].cost, -std::log(0.8), 1e-5);  // the cheapest fact of each step
}

TEST_F(CliTest, PathFromAsimBajwaToPutinGoesThroughIsprAndPakistan) {
  auto j = QueryJson({"path", "Asim Bajwa", "Putin"});
  ASSERT_TRUE(j->ok());
  EXPECT_EQ(HopsOf(*j), 3);
  std::vector<PathJson> paths = PathsOf(*j);
  ASSERT_EQ(paths.size(), 1u) << j->text();
  EXPECT_EQ(NamesOf(paths[0].nodes),
            (std::vector<std::string>{"Asim Bajwa", "Inter-Services Public Relations", "Pakistan",
                                      "Vladimir Putin"}));
  EXPECT_EQ(Describe(paths[0].facts),
            (std::vector<std::string>{"Asim Bajwa HOLDS_OFFICE Inter-Services Public Relations",
                                      "Inter-Services Public Relations MEMBER_OF Pakistan",
                                      "Vladimir Putin CANCELLED_VISIT Pakistan"}));
}

// The two shortest paths from India to the city of Moscow, as node names.
const std::set<std::vector<std::string>> kIndiaToMoscow = {
    {"India", "Pakistan", "Ashfaq Parvez Kayani", "Moscow"},
    {"India", "Pakistan", "Russia", "Moscow"}};

TEST_F(CliTest, PathFromIndiaToMoscowIsOneOfTwoOfThreeHops) {
  auto j = QueryJson({"path", "India", "Location:Moscow"});
  ASSERT_TRUE(j->ok());
  EXPECT_EQ(HopsOf(*j), 3);
  std::vector<PathJson> paths = PathsOf(*j);
  ASSERT_EQ(paths.size(), 1u) << j->text();
  // cli.md: ties go to the smaller node ids along the way; Russia, declared
  // first in the seeds, has a smaller id than Kayani.
  EXPECT_EQ(NamesOf(paths[0].nodes),
            (std::vector<std::string>{"India", "Pakistan", "Russia", "Moscow"}));
  // Every fact between Pakistan and Russia: the three COOPERATED_*.
  EXPECT_EQ(
      Describe(paths[0].facts),
      (std::vector<std::string>{
          "Pakistan COOPERATED_DIPLOMATICALLY India", "Russia COOPERATED_DIPLOMATICALLY Pakistan",
          "Russia COOPERATED_ECONOMICALLY Pakistan", "Russia COOPERATED_MILITARILY Pakistan",
          "Moscow LOCATED_IN Russia"}));
}

TEST_F(CliTest, PathAllGivesBothShortestPathsFromIndiaToMoscow) {
  auto j = QueryJson({"path", "India", "Location:Moscow", "--all"});
  ASSERT_TRUE(j->ok());
  EXPECT_EQ(HopsOf(*j), 3);
  std::vector<PathJson> paths = PathsOf(*j);
  ASSERT_EQ(paths.size(), 2u) << j->text();
  std::set<std::vector<std::string>> found;
  for (const auto& p : paths) {
    found.insert(NamesOf(p.nodes));
    const bool via_kayani = p.nodes[2].name == "Ashfaq Parvez Kayani";
    EXPECT_EQ(p.facts.size(), via_kayani ? 3u : 5u) << j->text();
  }
  EXPECT_EQ(found, kIndiaToMoscow);
}

TEST_F(CliTest, PathKGivesTheKShortestPaths) {
  auto two = QueryJson({"path", "India", "Location:Moscow", "--k", "2"});
  ASSERT_TRUE(two->ok());
  std::vector<PathJson> paths = PathsOf(*two);
  ASSERT_EQ(paths.size(), 2u) << two->text();
  std::set<std::vector<std::string>> found;
  for (const auto& p : paths) found.insert(NamesOf(p.nodes));
  EXPECT_EQ(found, kIndiaToMoscow);

  // The third is longer than the shortest.
  auto three = QueryJson({"path", "India", "Location:Moscow", "--k", "3"});
  ASSERT_TRUE(three->ok());
  paths = PathsOf(*three);
  ASSERT_EQ(paths.size(), 3u) << three->text();
  EXPECT_EQ(HopsOf(*three), 3);
  EXPECT_GT(paths[2].nodes.size(), 4u);
}

TEST_F(CliTest, PathBetweenUnconnectedNodesIsNullHopsAndNoPaths) {
  RunResult r = Query({"path", "United States", "Russia"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  EXPECT_THAT(r.out, HasSubstr("\"hops\":null,\"paths\":[]"));
  EXPECT_EQ(HopsOf(j), std::nullopt);
  EXPECT_TRUE(PathsOf(j).empty());
  EXPECT_EQ(TruncatedBy(j), std::nullopt);
}

TEST_F(CliTest, PathFiltersChangeTheAnswer) {
  // Only offices: Kayani reaches Pakistan, Lavrov Russia, and nothing joins them.
  auto offices = QueryJson({"path", "Kiani", "Lavrov", "--predicate", "HOLDS_OFFICE"});
  ASSERT_TRUE(offices->ok());
  EXPECT_EQ(HopsOf(*offices), std::nullopt) << offices->text();
  // Up to 2012-10-03, Lavrov had not yet praised Pakistan: the shortest
  // way from Kayani to him takes a third hop.
  auto before = QueryJson({"path", "Kiani", "Lavrov", "--to", "2012-10-03"});
  ASSERT_TRUE(before->ok());
  EXPECT_EQ(HopsOf(*before), 3) << before->text();
  std::vector<PathJson> paths = PathsOf(*before);
  ASSERT_EQ(paths.size(), 1u) << before->text();
  EXPECT_EQ(paths[0].nodes.front().name, "Ashfaq Parvez Kayani");
  EXPECT_EQ(paths[0].nodes.back().name, "Sergey Lavrov");
  for (const auto& f : paths[0].facts) {
    EXPECT_TRUE(!f.valid_from || *f.valid_from <= "2012-10-03") << Describe(f);
  }
  // A path longer than --max-depth is no path, and the answer says why.
  auto shallow = QueryJson({"path", "Asim Bajwa", "Putin", "--max-depth", "2"});
  ASSERT_TRUE(shallow->ok());
  EXPECT_EQ(HopsOf(*shallow), std::nullopt) << shallow->text();
  EXPECT_TRUE(PathsOf(*shallow).empty());
  EXPECT_EQ(TruncatedBy(*shallow), "depth");
}

TEST_F(CliTest, PathWeightedCostIsTheLeastTotalMinusLogConfidence) {
  // From India every path starts with Pakistan COOPERATED_DIPLOMATICALLY
  // India (0.6); the cheapest way on to Moscow crosses one fact of 0.9975
  // (Putin's cancelled visit, or Lavrov's to Islamabad) and facts of 1.0.
  auto j = QueryJson({"path", "India", "Location:Moscow", "--weighted"});
  ASSERT_TRUE(j->ok());
  std::vector<PathJson> paths = PathsOf(*j);
  ASSERT_EQ(paths.size(), 1u) << j->text();
  EXPECT_NEAR(paths[0].cost, -std::log(0.6) - std::log(0.9975), 1e-5) << j->text();
  EXPECT_EQ(paths[0].nodes.front().name, "India");
  EXPECT_EQ(paths[0].nodes.back().id, "Location:moscow");
}

TEST_F(CliTest, PathWeightedPrefersTwoSureStepsToOneDoubtfulOne) {
  TempDir dir;
  const std::string db = (dir / "db").string();
  auto met = [](std::string_view a, std::string_view b, std::string_view confidence) {
    return std::string(R"({"kind": "fact", "subject": {"label": "Person", "name": ")") +
           std::string(a) + R"("}, "predicate": "MET", "object": {"label": "Person", "name": ")" +
           std::string(b) + R"("}, "confidence": )" + std::string(confidence) +
           R"(, "source": {"doc": "d1"}})" + "\n";
  };
  WriteFile(dir / "f.jsonl", met("A", "C", "0.5") + met("A", "B", "0.9") + met("B", "C", "0.9"));
  ASSERT_EQ(RunDyad({"load", "--db", db, (dir / "f.jsonl").string()}).exit_code, 0);

  RunResult fewest = RunDyad({"path", "A", "C", "--db", db, "--format", "json"});
  ASSERT_EQ(fewest.exit_code, 0) << fewest.err;
  Json f(fewest.out);
  ASSERT_TRUE(f.ok()) << fewest.out;
  std::vector<PathJson> hops = PathsOf(f);
  ASSERT_EQ(hops.size(), 1u) << fewest.out;
  EXPECT_EQ(NamesOf(hops[0].nodes), (std::vector<std::string>{"A", "C"}));
  EXPECT_NEAR(hops[0].cost, -std::log(0.5), 1e-5);

  RunResult surest = RunDyad({"path", "A", "C", "--weighted", "--db", db, "--format", "json"});
  ASSERT_EQ(surest.exit_code, 0) << surest.err;
  Json s(surest.out);
  ASSERT_TRUE(s.ok()) << surest.out;
  std::vector<PathJson> weighted = PathsOf(s);
  ASSERT_EQ(weighted.size(), 1u) << surest.out;
  EXPECT_EQ(NamesOf(weighted[0].nodes), (std::vector<std::string>{"A", "B", "C"}));
  EXPECT_NEAR(weighted[0].cost, -2 * std::log(0.9), 1e-5);
  EXPECT_EQ(HopsOf(s), 2);

  // The k cheapest, cheapest first.
  RunResult two =
      RunDyad({"path", "A", "C", "--weighted", "--k", "2", "--db", db, "--format", "json"});
  ASSERT_EQ(two.exit_code, 0) << two.err;
  Json t(two.out);
  ASSERT_TRUE(t.ok()) << two.out;
  std::vector<PathJson> ranked = PathsOf(t);
  ASSERT_EQ(ranked.size(), 2u) << two.out;
  EXPECT_EQ(NamesOf(ranked[0].nodes), (std::vector<std::string>{"A", "B", "C"}));
  EXPECT_EQ(NamesOf(ranked[1].nodes), (std::vector<std::string>{"A", "C"}));
  EXPECT_NEAR(ranked[1].cost, -std::log(0.5), 1e-5);
}

TEST_F(CliTest, PathLimitCapsThePaths) {
  auto j = QueryJson({"path", "India", "Location:Moscow", "--all", "--limit", "1"});
  ASSERT_TRUE(j->ok());
  EXPECT_EQ(PathsOf(*j).size(), 1u) << j->text();
  EXPECT_EQ(TruncatedBy(*j), "paths");
}

TEST_F(CliTest, PathAllWithKIsAUsageError) {
  RunResult r = Query({"path", "India", "Location:Moscow", "--all", "--k", "2"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_EQ(Query({"path", "India"}).exit_code, 2);
  EXPECT_EQ(Query({"path", "India", "Russia", "--k", "0"}).exit_code, 2);
}

// ---------------------------------------------------------------- dyad

TEST_F(CliTest, DyadRussiaPakistanByMonth) {
  auto j = QueryJson({"dyad", "Russia", "Pakistan"});
  ASSERT_TRUE(j->ok());
  std::optional<dom::element> a = Field(j->root(), "a");
  std::optional<dom::element> b = Field(j->root(), "b");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(ParseNode(*a).id, "Country:russia");
  EXPECT_EQ(ParseNode(*b).id, "Country:pakistan");
  EXPECT_EQ(Str(j->root(), "by"), "month");
  EXPECT_EQ(TruncatedBy(*j), std::nullopt);

  std::vector<BucketJson> buckets = BucketsOf(*j);
  ASSERT_EQ(buckets.size(), 4u) << j->text();
  // By period, then direction.
  const struct {
    std::string period, direction;
    int64_t events;
    double goldstein;
  } expected[] = {{"2012-01", "a_to_b", 1, 6.4},
                  {"2012-01", "b_to_a", 1, 4.0},
                  {"2012-10", "a_to_b", 7, 14.2},
                  {"2012-10", "b_to_a", 1, 1.9}};
  for (size_t i = 0; i < buckets.size(); ++i) {
    EXPECT_EQ(buckets[i].period, expected[i].period) << i;
    EXPECT_EQ(buckets[i].direction, expected[i].direction) << i;
    EXPECT_EQ(buckets[i].events, expected[i].events) << i;
    EXPECT_NEAR(buckets[i].goldstein, expected[i].goldstein, 1e-9) << i;
    EXPECT_EQ(buckets[i].facts.size(), static_cast<size_t>(expected[i].events)) << i;
  }
  EXPECT_THAT(Describe(buckets[0].facts),
              ::testing::ElementsAre("Russia COOPERATED_ECONOMICALLY Pakistan"));
  EXPECT_THAT(Describe(buckets[1].facts),
              ::testing::ElementsAre("Hina Rabbani Khar INVITED Sergey Lavrov"));
  EXPECT_THAT(Describe(buckets[3].facts),
              ::testing::ElementsAre("Ashfaq Parvez Kayani VISITED Moscow"));
  EXPECT_THAT(Describe(buckets[2].facts),
              ::testing::UnorderedElementsAre(
                  "Vladimir Putin CANCELLED_VISIT Pakistan", "Sergey Lavrov VISITED Islamabad",
                  "Sergey Lavrov MET Hina Rabbani Khar", "Sergey Lavrov MET Raja Pervez Ashraf",
                  "Russia COOPERATED_MILITARILY Pakistan",
                  "Russia COOPERATED_DIPLOMATICALLY Pakistan", "Sergey Lavrov PRAISED Pakistan"));
  // The facts come with their provenance.
  const FactJson* visit = FindFact(buckets[3].facts, "VISITED", "Moscow");
  ASSERT_NE(visit, nullptr);
  EXPECT_EQ(visit->sources.size(), 2u);

  auto [ab_events, ab_goldstein] = TotalOf(*j, "a_to_b");
  auto [ba_events, ba_goldstein] = TotalOf(*j, "b_to_a");
  EXPECT_EQ(ab_events, 8);
  EXPECT_NEAR(ab_goldstein, 20.6, 1e-9);
  EXPECT_EQ(ba_events, 2);
  EXPECT_NEAR(ba_goldstein, 5.9, 1e-9);
  // Sums print rounded to 6 decimals, not as 14.200000000000001.
  EXPECT_THAT(j->text(), HasSubstr("\"goldstein\":14.2,"));
  EXPECT_THAT(j->text(), HasSubstr("\"goldstein\":20.6}"));
}

TEST_F(CliTest, DyadRussiaPakistanByYear) {
  auto j = QueryJson({"dyad", "Russia", "Pakistan", "--by", "year"});
  ASSERT_TRUE(j->ok());
  EXPECT_EQ(Str(j->root(), "by"), "year");
  std::vector<BucketJson> buckets = BucketsOf(*j);
  ASSERT_EQ(buckets.size(), 2u) << j->text();
  EXPECT_EQ(buckets[0].period, "2012");
  EXPECT_EQ(buckets[0].direction, "a_to_b");
  EXPECT_EQ(buckets[0].events, 8);
  EXPECT_NEAR(buckets[0].goldstein, 20.6, 1e-9);
  EXPECT_EQ(buckets[1].period, "2012");
  EXPECT_EQ(buckets[1].direction, "b_to_a");
  EXPECT_EQ(buckets[1].events, 2);
  EXPECT_NEAR(buckets[1].goldstein, 5.9, 1e-9);
  EXPECT_EQ(TotalOf(*j, "a_to_b").first, 8);
  EXPECT_EQ(TotalOf(*j, "b_to_a").first, 2);
}

TEST_F(CliTest, DyadTheOtherWayRoundSwapsTheDirections) {
  auto j = QueryJson({"dyad", "Islamic Republic of Pakistan", "Russian Federation"});
  ASSERT_TRUE(j->ok());
  auto [ab_events, ab_goldstein] = TotalOf(*j, "a_to_b");
  auto [ba_events, ba_goldstein] = TotalOf(*j, "b_to_a");
  EXPECT_EQ(ab_events, 2);
  EXPECT_NEAR(ab_goldstein, 5.9, 1e-9);
  EXPECT_EQ(ba_events, 8);
  EXPECT_NEAR(ba_goldstein, 20.6, 1e-9);
}

TEST_F(CliTest, DyadDateWindowKeepsEventsValidInIt) {
  // From October on: Khar's invitation (valid to 2012-09-30) drops out; the
  // economic cooperation, valid from 2012-01-01 with no end, stays in its
  // month.
  auto j = QueryJson({"dyad", "Russia", "Pakistan", "--from", "2012-10-01"});
  ASSERT_TRUE(j->ok());
  std::vector<BucketJson> buckets = BucketsOf(*j);
  ASSERT_EQ(buckets.size(), 3u) << j->text();
  EXPECT_EQ(buckets[0].period + " " + buckets[0].direction, "2012-01 a_to_b");
  EXPECT_EQ(buckets[1].period + " " + buckets[1].direction, "2012-10 a_to_b");
  EXPECT_EQ(buckets[2].period + " " + buckets[2].direction, "2012-10 b_to_a");
  EXPECT_EQ(TotalOf(*j, "a_to_b").first, 8);
  EXPECT_EQ(TotalOf(*j, "b_to_a").first, 1);
  EXPECT_NEAR(TotalOf(*j, "b_to_a").second, 1.9, 1e-9);

  auto visits = QueryJson({"dyad", "Russia", "Pakistan", "--predicate", "VISITED"});
  ASSERT_TRUE(visits->ok());
  EXPECT_EQ(TotalOf(*visits, "a_to_b").first, 1);  // Lavrov to Islamabad
  EXPECT_EQ(TotalOf(*visits, "b_to_a").first, 1);  // Kayani to Moscow
}

TEST_F(CliTest, DyadWithABadByIsAUsageError) {
  EXPECT_EQ(Query({"dyad", "Russia", "Pakistan", "--by", "week"}).exit_code, 2);
  EXPECT_EQ(Query({"dyad", "Russia"}).exit_code, 2);
}

bool PlotXmllintInstalled() { return std::system("command -v xmllint >/dev/null 2>&1") == 0; }

// xmllint's complaints about the file at `path`: "" when it is well-formed XML.
std::string PlotXmlErrorsOf(const fs::path& path) {
  TempDir dir;
  const std::string cmd =
      "xmllint --noout " + ShellQuote(path.string()) + " 2>" + ShellQuote((dir / "err").string());
  if (std::system(cmd.c_str()) == 0) return "";
  const std::string errors = ReadFile(dir / "err");
  return errors.empty() ? "xmllint failed" : errors;
}

// The <rect class="bar"> elements of one series of a --plot chart, each
// with its <title>, in document order.
std::vector<std::string> PlotBarsOf(const std::string& svg, std::string_view direction) {
  std::vector<std::string> bars;
  const size_t start = svg.find("<g class=\"series " + std::string(direction) + "\"");
  if (start == std::string::npos) return bars;
  const size_t end = svg.find("</g>", start);
  for (size_t at = svg.find("<rect class=\"bar\"", start); at < end;
       at = svg.find("<rect class=\"bar\"", at + 1)) {
    bars.push_back(svg.substr(at, svg.find("</rect>", at) - at));
  }
  return bars;
}

TEST_F(CliTest, DyadPlotWritesAChartWithOneBarPerBucketAndTheSameAnswer) {
  TempDir dir;
  for (const std::vector<std::string>& by :
       {std::vector<std::string>{}, std::vector<std::string>{"--by", "year"}}) {
    SCOPED_TRACE(by.empty() ? "by month" : "by year");
    std::vector<std::string> args = {"dyad", "Russia", "Pakistan"};
    args.insert(args.end(), by.begin(), by.end());
    const fs::path svg = dir / (by.empty() ? "month.svg" : "year.svg");
    std::vector<std::string> plot_args = args;
    plot_args.insert(plot_args.end(), {"--plot", svg.string()});

    RunResult plain = Query(args);
    RunResult plotted = Query(plot_args);
    ASSERT_EQ(plain.exit_code, 0) << plain.err;
    ASSERT_EQ(plotted.exit_code, 0) << plotted.err;
    EXPECT_EQ(plotted.out, plain.out);  // stdout is the answer, unchanged
    EXPECT_EQ(plotted.err, "");

    // One bar per bucket of the answer, in its direction's series, each
    // with the bucket's period and count on hover.
    Json j(plain.out);
    ASSERT_TRUE(j.ok()) << plain.out;
    const std::string chart = ReadFile(svg);
    ASSERT_FALSE(chart.empty());
    std::map<std::string, std::vector<std::string>> expected_titles;
    for (const BucketJson& b : BucketsOf(j)) {
      const bool a_to_b = b.direction == "a_to_b";
      expected_titles[b.direction].push_back(
          fmt::format("<title>{}, {}: {} event{},", b.period,
                      a_to_b ? "Russia \u2192 Pakistan" : "Pakistan \u2192 Russia", b.events,
                      b.events == 1 ? "" : "s"));
    }
    size_t bars = 0;
    for (const std::string direction : {"a_to_b", "b_to_a"}) {
      const std::vector<std::string> drawn = PlotBarsOf(chart, direction);
      const std::vector<std::string>& titles = expected_titles[direction];
      ASSERT_EQ(drawn.size(), titles.size()) << direction << "\n" << chart;
      for (size_t i = 0; i < drawn.size(); ++i) EXPECT_THAT(drawn[i], HasSubstr(titles[i]));
      bars += drawn.size();
    }
    EXPECT_EQ(bars, by.empty() ? 4u : 2u);
    EXPECT_THAT(chart, HasSubstr(by.empty() ? "Russia \u2013 Pakistan: Goldstein sum per month"
                                            : "Russia \u2013 Pakistan: Goldstein sum per year"));
    if (PlotXmllintInstalled()) {
      EXPECT_EQ(PlotXmlErrorsOf(svg), "");
    }

    // The table is unchanged too, and the chart the same.
    std::vector<std::string> table_args = args;
    table_args.insert(table_args.end(), {"--db", SeededDb(), "--format", "table"});
    const fs::path table_svg = dir / "table.svg";
    std::vector<std::string> table_plot_args = table_args;
    table_plot_args.insert(table_plot_args.end(), {"--plot", table_svg.string()});
    RunResult table = RunDyad(table_args);
    RunResult table_plotted = RunDyad(table_plot_args);
    EXPECT_EQ(table_plotted.exit_code, 0) << table_plotted.err;
    EXPECT_EQ(table_plotted.out, table.out);
    EXPECT_EQ(ReadFile(table_svg), chart);
  }
  if (!PlotXmllintInstalled()) GTEST_SKIP() << "no xmllint: the charts were not checked as XML";
}

TEST_F(CliTest, DyadPlotOfNoEventsIsAChartSayingSo) {
  TempDir dir;
  const fs::path svg = dir / "none.svg";
  RunResult r = Query({"dyad", "Russia", "United States", "--plot", svg.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  EXPECT_TRUE(BucketsOf(j).empty()) << r.out;
  const std::string chart = ReadFile(svg);
  EXPECT_THAT(chart, HasSubstr(">no events</text>"));
  EXPECT_THAT(chart, Not(HasSubstr("<rect class=\"bar\"")));
  if (!PlotXmllintInstalled()) GTEST_SKIP() << "no xmllint";
  EXPECT_EQ(PlotXmlErrorsOf(svg), "");
}

TEST_F(CliTest, DyadPlotToAFileThatCannotBeWrittenIsAnIoErrorNamingIt) {
  TempDir dir;
  const std::string svg = (dir / "no-such-dir" / "chart.svg").string();
  RunResult r = Query({"dyad", "Russia", "Pakistan", "--plot", svg});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("--plot: cannot write " + svg));
  Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  std::optional<dom::element> error = Field(j.root(), "error");
  ASSERT_TRUE(error.has_value()) << r.out;
  EXPECT_EQ(Str(*error, "code"), "IO_ERROR");
  EXPECT_THAT(Str(*error, "message"), HasSubstr(svg));
}

TEST_F(CliTest, PlotIsAFlagOfDyadOnly) {
  TempDir dir;
  RunResult r = Query({"facts", "Russia", "--plot", (dir / "x.svg").string()});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_FALSE(fs::exists(dir / "x.svg"));
}

// ---------------------------------------------------------------- graph queries

TEST_F(CliTest, GraphQueriesOfAnUnknownNodeExit4) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"neighbours", "Atlantis"},
                                                                {"path", "Atlantis", "Russia"},
                                                                {"path", "Russia", "Atlantis"},
                                                                {"dyad", "Russia", "Atlantis"}}) {
    RunResult r = Query(args);
    EXPECT_EQ(r.exit_code, 4) << args[0] << ": " << r.out << r.err;
    Json j(r.out);
    ASSERT_TRUE(j.ok()) << r.out;
    std::optional<dom::element> error = Field(j.root(), "error");
    ASSERT_TRUE(error.has_value()) << r.out;
    EXPECT_EQ(Str(*error, "code"), "NOT_FOUND");
    EXPECT_THAT(r.err, HasSubstr("Atlantis"));
  }
}

TEST_F(CliTest, GraphQueriesOfAnAmbiguousNameExit5WithTheCandidates) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"neighbours", "Moscow"}, {"path", "India", "Moscow"}, {"dyad", "Moscow", "Pakistan"}}) {
    RunResult r = Query(args);
    EXPECT_EQ(r.exit_code, 5) << args[0] << ": " << r.out << r.err;
    Json j(r.out);
    ASSERT_TRUE(j.ok()) << r.out;
    std::optional<dom::element> error = Field(j.root(), "error");
    ASSERT_TRUE(error.has_value()) << r.out;
    EXPECT_EQ(Str(*error, "code"), "AMBIGUOUS");
    std::vector<NodeJson> candidates;
    for (dom::element c : Arr(*error, "candidates")) candidates.push_back(ParseNode(c));
    EXPECT_THAT(IdsOf(candidates), UnorderedElementsAre("Country:russia", "Location:moscow"));
  }
}

TEST_F(CliTest, GraphQueriesWithATimeoutThatRanOutAreTruncatedAndExit0) {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"neighbours", "Pakistan", "--depth", "2"},
                                             {"path", "India", "Location:Moscow", "--all"},
                                             {"dyad", "Russia", "Pakistan"}}) {
    std::vector<std::string> timed = args;
    timed.insert(timed.end(), {"--timeout", "0"});
    RunResult r = Query(timed);
    EXPECT_EQ(r.exit_code, 0) << args[0] << ": " << r.err;
    Json j(r.out);
    ASSERT_TRUE(j.ok()) << r.out;
    EXPECT_EQ(TruncatedBy(j), "deadline") << args[0] << ": " << r.out;

    std::vector<std::string> ample = args;
    ample.insert(ample.end(), {"--timeout", "60000"});
    auto k = QueryJson(ample);
    ASSERT_TRUE(k->ok());
    EXPECT_EQ(TruncatedBy(*k), std::nullopt) << args[0];
  }
}

TEST_F(CliTest, GraphQueriesRejectMalformedFilters) {
  EXPECT_EQ(Query({"neighbours", "Pakistan", "--from", "2012-13-01"}).exit_code, 3);
  EXPECT_EQ(Query({"path", "India", "Russia", "--min-confidence", "2"}).exit_code, 3);
  EXPECT_EQ(Query({"dyad", "Russia", "Pakistan", "--timeout", "soon"}).exit_code, 3);
  EXPECT_EQ(Query({"neighbours", "Pakistan", "--direction", "sideways"}).exit_code, 2);
  EXPECT_EQ(Query({"neighbours", "Pakistan", "--depth", "-1"}).exit_code, 2);
  EXPECT_EQ(Query({"neighbours", "Pakistan", "--limit", "0"}).exit_code, 2);
}

// ---------------------------------------------------------------- graph image

TEST_F(CliTest, LoadPersistsTheGraphImageAndQueriesSeeLaterLoads) {
  TempDir dir;
  const fs::path db = dir / "db";
  ASSERT_EQ(RunDyad({"load", "--db", db.string(), SeedFacts().string()}).exit_code, 0);
  const fs::path image = graph::SnapshotManager::ImagePath(db);
  EXPECT_TRUE(fs::exists(image)) << image;

  RunResult before = RunDyad({"neighbours", "Kiani", "--db", db.string(), "--format", "json"});
  ASSERT_EQ(before.exit_code, 0) << before.err;
  Json b(before.out);
  ASSERT_TRUE(b.ok()) << before.out;
  EXPECT_EQ(NamesOf(NeighboursOf(b)), (std::vector<std::string>{"Moscow", "Pakistan"}));

  WriteFile(dir / "more.jsonl", FactLine("Ashfaq Parvez Kayani", "MET", "Person", "Bob"));
  ASSERT_EQ(RunDyad({"load", "--db", db.string(), (dir / "more.jsonl").string()}).exit_code, 0);
  EXPECT_TRUE(fs::exists(image));
  RunResult after = RunDyad({"neighbours", "Kiani", "--db", db.string(), "--format", "json"});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  Json a(after.out);
  ASSERT_TRUE(a.ok()) << after.out;
  EXPECT_EQ(NamesOf(NeighboursOf(a)), (std::vector<std::string>{"Bob", "Moscow", "Pakistan"}));
  RunResult path = RunDyad({"path", "Bob", "Putin", "--db", db.string(), "--format", "json"});
  ASSERT_EQ(path.exit_code, 0) << path.err;
  Json p(path.out);
  ASSERT_TRUE(p.ok()) << path.out;
  EXPECT_EQ(HopsOf(p), 3);  // Bob, Kayani, Pakistan, Putin
}

TEST_F(CliTest, ALoadThatStopsAtABadLinePersistsWhatItCommitted) {
  TempDir dir;
  const fs::path db = dir / "db";
  WriteFile(dir / "bad.jsonl", FileWithABadLine3());
  RunResult r = RunDyad({"load", "--db", db.string(), (dir / "bad.jsonl").string(), "--batch", "1",
                         "--format", "json"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  Json j(r.out);
  ASSERT_TRUE(j.ok()) << r.out;
  EXPECT_EQ(Int(j.root(), "committed_lines"), 2);
  EXPECT_TRUE(fs::exists(graph::SnapshotManager::ImagePath(db)));
  RunResult n = RunDyad({"neighbours", "Alice", "--db", db.string(), "--format", "json"});
  ASSERT_EQ(n.exit_code, 0) << n.err;
  Json k(n.out);
  ASSERT_TRUE(k.ok()) << n.out;
  EXPECT_EQ(NamesOf(NeighboursOf(k)), (std::vector<std::string>{"Bob"}));
}

TEST_F(CliTest, AGraphImageThatCannotBeWrittenFailsTheLoadAfterItsSummary) {
  TempDir dir;
  const fs::path db = dir / "db";
  ASSERT_EQ(RunDyad({"load", "--db", db.string(), SeedFacts().string()}).exit_code, 0);
  // A non-empty directory where the image goes: it can be neither read nor
  // replaced.
  const fs::path image = graph::SnapshotManager::ImagePath(db);
  fs::remove(image);
  fs::create_directories(image / "in-the-way");
  WriteFile(dir / "more.jsonl", FactLine("Ashfaq Parvez Kayani", "MET", "Person", "Bob"));
  RunResult r =
      RunDyad({"load", "--db", db.string(), (dir / "more.jsonl").string(), "--format", "json"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  Json j(r.out);
  ASSERT_TRUE(j.ok()) << "the summary comes first, alone on stdout: " << r.out;
  EXPECT_EQ(Int(j.root(), "facts_added"), 1);
  EXPECT_THAT(r.err, HasSubstr("graph snapshot"));
  EXPECT_THAT(r.err, HasSubstr(image.string()));
  // What was loaded stays loaded, and a query still answers (from memory).
  RunResult facts = RunDyad({"facts", "Bob", "--db", db.string(), "--format", "json"});
  ASSERT_EQ(facts.exit_code, 0) << facts.err;
  Json f(facts.out);
  ASSERT_TRUE(f.ok()) << facts.out;
  EXPECT_EQ(FactsOf(f).size(), 1u);
  RunResult n = RunDyad({"neighbours", "Bob", "--db", db.string(), "--format", "json"});
  ASSERT_EQ(n.exit_code, 0) << n.err;
  Json k(n.out);
  ASSERT_TRUE(k.ok()) << n.out;
  EXPECT_EQ(NamesOf(NeighboursOf(k)), (std::vector<std::string>{"Ashfaq Parvez Kayani"}));
}

// ---------------------------------------------------------------- tables

TEST_F(CliTest, TableFormatIsTextForPeople) {
  RunResult find = RunDyad({"find", "Kiani", "--db", SeededDb(), "--format", "table"});
  EXPECT_EQ(find.exit_code, 0) << find.err;
  EXPECT_THAT(find.out, HasSubstr("Ashfaq Parvez Kayani"));
  EXPECT_THAT(find.out, Not(HasSubstr("{")));

  RunResult facts = RunDyad({"facts", "Kiani", "--db", SeededDb(), "--format", "table"});
  EXPECT_EQ(facts.exit_code, 0) << facts.err;
  EXPECT_THAT(facts.out, HasSubstr("Ashfaq Parvez Kayani"));
  EXPECT_THAT(facts.out, HasSubstr("Moscow"));
  EXPECT_THAT(facts.out, HasSubstr("VISITED"));
  EXPECT_THAT(facts.out, Not(HasSubstr("{")));

  RunResult neighbours = RunDyad({"neighbours", "Kiani", "--db", SeededDb(), "--format", "table"});
  EXPECT_EQ(neighbours.exit_code, 0) << neighbours.err;
  EXPECT_THAT(neighbours.out, HasSubstr("1 hop away: 2 nodes"));
  EXPECT_THAT(neighbours.out, HasSubstr("Location:moscow"));
  EXPECT_THAT(neighbours.out, HasSubstr("VISITED"));
  EXPECT_THAT(neighbours.out, Not(HasSubstr("{")));

  RunResult path = RunDyad({"path", "Kiani", "Lavrov", "--db", SeededDb(), "--format", "table"});
  EXPECT_EQ(path.exit_code, 0) << path.err;
  EXPECT_THAT(path.out, HasSubstr("Ashfaq Parvez Kayani —HOLDS_OFFICE→ Pakistan —PRAISED← "
                                  "Sergey Lavrov"));
  EXPECT_THAT(path.out, Not(HasSubstr("{")));
  RunResult none =
      RunDyad({"path", "United States", "Russia", "--db", SeededDb(), "--format", "table"});
  EXPECT_EQ(none.exit_code, 0) << none.err;
  EXPECT_THAT(none.out, HasSubstr("no path"));

  RunResult dyad = RunDyad({"dyad", "Russia", "Pakistan", "--db", SeededDb(), "--format", "table"});
  EXPECT_EQ(dyad.exit_code, 0) << dyad.err;
  EXPECT_THAT(dyad.out, HasSubstr("2012-10"));
  EXPECT_THAT(dyad.out, HasSubstr("+14.2"));
  EXPECT_THAT(dyad.out, HasSubstr("+20.6"));
  EXPECT_THAT(dyad.out, Not(HasSubstr("{")));

  RunResult stats = RunDyad({"stats", "--db", SeededDb(), "--format", "table"});
  EXPECT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_THAT(stats.out, HasSubstr("19"));
  EXPECT_THAT(stats.out, HasSubstr("HOLDS_OFFICE"));
  EXPECT_THAT(stats.out, HasSubstr("Person"));
  EXPECT_THAT(stats.out, Not(HasSubstr("{")));
}

}  // namespace
}  // namespace dyad::testing

namespace dyad::testing {
namespace {

TEST_F(CliTest, NoStoreGivenIsAUsageError) {
  unsetenv("DYAD_DB");
  RunResult r = RunDyad({"stats", "--format", "json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, ::testing::HasSubstr("--db"));
}

TEST_F(CliTest, FindWithALabelNeverFallsBackToOtherLabels) {
  RunResult r = Query({"find", "Kashmir", "--label", "Person"});
  EXPECT_EQ(r.exit_code, 4) << r.out;
  EXPECT_EQ(r.out, "{\"matches\":[]}\n");
}

TEST_F(CliTest, ABadVocabularyFailsEveryCommand) {
  TempDir dir;
  WriteFile(dir / "p.tsv", "MET\t040\tlots\tyes\tmeets\n");
  RunResult r = Query({"stats", "--predicates", (dir / "p.tsv").string()});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.err, ::testing::HasSubstr("p.tsv:1: goldstein:"));
}

TEST_F(CliTest, AVocabularyWithoutSymmetricPredicatesChangesDirections) {
  TempDir dir;
  WriteFile(dir / "p.tsv", "MET\t040\t1.0\tno\tmeets\n");
  // Lavrov MET Khar: with MET symmetric, Khar's --direction out has it.
  EXPECT_EQ(Facts("Hina Rabbani Khar", {"--direction", "out", "--predicate", "MET"}).size(), 1u);
  RunResult r = Query({"facts", "Hina Rabbani Khar", "--direction", "out", "--predicate", "MET",
                       "--predicates", (dir / "p.tsv").string()});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, ::testing::HasSubstr("\"facts\":[]"));
}

TEST_F(CliTest, ProgressGoesToATerminalStderrOnlyNeverStdout) {
  if (std::system("command -v script >/dev/null 2>&1") != 0) GTEST_SKIP() << "no script(1)";
  TempDir dir;
  // Enough records for a few progress updates.
  std::string text;
  for (int i = 0; i < 20000; ++i) {
    text += "{\"kind\":\"fact\",\"subject\":{\"label\":\"Country\",\"name\":\"A" +
            std::to_string(i % 97) +
            "\"},\"predicate\":\"MET\",\"object\":{\"label\":\"Country\",\"name\":\"B" +
            std::to_string(i) + "\"},\"source\":{\"doc\":\"d\"}}\n";
  }
  WriteFile(dir / "f.jsonl", text);
  // script(1) gives the process a terminal; stdout goes to a file.
  std::string cmd = "script -qec \"" + std::string(DYAD_BINARY) + " load --db " +
                    (dir / "db").string() + " " + (dir / "f.jsonl").string() + " --format json > " +
                    (dir / "out").string() + "\" /dev/null > " + (dir / "tty").string() + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_THAT(ReadFile(dir / "tty"), ::testing::HasSubstr("facts/s"));
  EXPECT_THAT(ReadFile(dir / "out"), ::testing::StartsWith("{\"lines\":20000,"));
  EXPECT_THAT(ReadFile(dir / "out"), ::testing::Not(::testing::HasSubstr("facts/s")));
}

}  // namespace
}  // namespace dyad::testing

namespace dyad::testing {
namespace {

TEST_F(CliTest, FactsTimeoutIsALimitReportedAsTruncated) {
  RunResult fast = Query({"facts", "Pakistan", "--timeout", "0"});
  EXPECT_EQ(fast.exit_code, 0) << fast.err;
  EXPECT_THAT(fast.out, ::testing::HasSubstr("\"truncated\":true"));
  Json j(fast.out);
  ASSERT_TRUE(j.ok());
  EXPECT_TRUE(FactsOf(j).empty());  // a deadline already past stops before the first fact

  RunResult ample = Query({"facts", "Pakistan", "--timeout", "60000"});
  EXPECT_EQ(ample.exit_code, 0);
  EXPECT_THAT(ample.out, ::testing::HasSubstr("\"truncated\":false"));
  Json k(ample.out);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(FactsOf(k).size(), 13u);

  EXPECT_EQ(Query({"facts", "Pakistan", "--timeout", "soon"}).exit_code, 3);
  EXPECT_EQ(Query({"facts", "Pakistan", "--timeout", "-5"}).exit_code, 3);
}

}  // namespace
}  // namespace dyad::testing
