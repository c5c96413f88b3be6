// The rows of docs/errors.md that no other suite asserts, as a user meets
// them: the real `dyad` binary (and a real `dyad serve` on 127.0.0.1), the
// exit code, the JSON error's code and the row's message, and that a
// failure left nothing half-written. A full disk is a tiny tmpfs and a
// read-only directory a read-only bind mount, both in an unprivileged user
// and mount namespace (`unshare`), so they work as root too; the tests that
// need one skip where namespaces are unavailable. docs/errors.md lists,
// row by row, the test of every row.
#include <fmt/format.h>
#include <simdjson.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/test_util.h"

namespace dyad::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// No command here may hang: each runs under coreutils' `timeout`, which
// exits 124 when it ends one.
constexpr const char* kTimeout = "60";

RunResult Dyad(std::vector<std::string> args) {
  args.insert(args.begin(), {"timeout", kTimeout, DYAD_BINARY});
  return RunCommand(args);
}

// A command's stdout as JSON: the error object's code and message, or a
// field of the top-level object.
class JsonOut {
 public:
  explicit JsonOut(const std::string& text) : padded_(text) {
    ok_ = parser_.parse(padded_).get(root_) == simdjson::SUCCESS;
  }
  bool ok() const { return ok_; }
  std::string ErrorCode() { return Text("/error/code"); }
  std::string ErrorMessage() { return Text("/error/message"); }
  std::string Text(std::string_view pointer) {
    std::string_view s;
    return ok_ && root_.at_pointer(pointer).get(s) == simdjson::SUCCESS ? std::string(s) : "";
  }
  int64_t Int(std::string_view pointer) {
    int64_t i = -1;
    if (ok_ && root_.at_pointer(pointer).get(i) != simdjson::SUCCESS) i = -1;
    return i;
  }

 private:
  simdjson::padded_string padded_;
  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
  bool ok_ = false;
};

// One row: exit code, JSON code, and the message in the JSON error and on
// stderr as `dyad: <message>` (after what gRPC may log there itself).
void ExpectError(const RunResult& r, int exit_code, std::string_view code,
                 const std::string& message) {
  EXPECT_EQ(r.exit_code, exit_code) << r.out << r.err;
  JsonOut j(r.out);
  ASSERT_TRUE(j.ok()) << "stdout is not one JSON object: " << r.out;
  EXPECT_EQ(j.ErrorCode(), code) << r.out;
  EXPECT_THAT(j.ErrorMessage(), HasSubstr(message)) << r.out;
  EXPECT_THAT(r.err, HasSubstr("dyad: " + j.ErrorMessage() + "\n")) << r.err;
}

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Shell steps run inside one user + mount namespace; each dyad command's
// stdout, stderr and exit code land in files of `dir` (outside any mount
// the script makes), read back with Result().
class Namespace {
 public:
  explicit Namespace(const TempDir& dir) : dir_(dir) {}

  static bool Available() {
    static const bool available =
        RunCommand({"unshare", "--user", "--map-root-user", "--mount", "true"}).exit_code == 0;
    return available;
  }

  Namespace& Sh(const std::string& line) {
    script_ += line + "\n";
    return *this;
  }
  // `dyad ARGS...` as step `name`.
  Namespace& Dyad(const std::string& name, const std::vector<std::string>& args) {
    std::string cmd = std::string("timeout ") + kTimeout + " " + Quote(DYAD_BINARY);
    for (const auto& a : args) cmd += " " + Quote(a);
    const std::string base = (dir_ / ("step-" + name)).string();
    return Sh("rc=0; " + cmd + " >" + Quote(base + ".out") + " 2>" + Quote(base + ".err") +
              " || rc=$?; echo $rc >" + Quote(base + ".rc"));
  }
  // Runs the script; false (with the reason) if the namespace or a mount
  // failed.
  ::testing::AssertionResult Run() {
    RunResult r =
        RunCommand({"unshare", "--user", "--map-root-user", "--mount", "sh", "-euc", script_});
    if (r.exit_code != 0) return ::testing::AssertionFailure() << script_ << r.out << r.err;
    return ::testing::AssertionSuccess();
  }
  RunResult Result(const std::string& name) const {
    const std::string base = "step-" + name;
    RunResult r;
    r.out = ReadFile(dir_ / (base + ".out"));
    r.err = ReadFile(dir_ / (base + ".err"));
    const std::string rc = ReadFile(dir_ / (base + ".rc"));
    r.exit_code = rc.empty() ? -1 : std::stoi(rc);
    return r;
  }

 private:
  const TempDir& dir_;
  std::string script_;
};

#define SKIP_WITHOUT_NAMESPACES()                                                        \
  if (!Namespace::Available())                                                           \
  GTEST_SKIP() << "unprivileged user and mount namespaces are unavailable here "         \
                  "(unshare --user --map-root-user --mount fails), so no tmpfs or read-" \
                  "only mount can be made without root"

std::vector<std::string> Listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// ---------------------------------------------------------------- full disk

TEST(ErrorsCatalogueTest, AFullDiskStopsALoadKeepingTheChunksCommittedBefore) {
  SKIP_WITHOUT_NAMESPACES();
  TempDir dir;
  const fs::path facts = dir / "facts.jsonl";
  WriteFile(facts, DenseGraph(3000, 10));  // 30,000 facts: more than 2 MiB of store
  const std::string mnt = (dir / "mnt").string(), db = mnt + "/db";
  Namespace ns(dir);
  ns.Sh("mkdir " + Quote(mnt))
      .Sh("mount -t tmpfs -o size=2m tmpfs " + Quote(mnt))
      // Room set aside, to give back once the load has failed.
      .Sh("head -c 262144 /dev/zero >" + Quote(mnt + "/ballast"));
  // Chunks of 1000 records go through the WAL, chunks of 5000 are ingested
  // as tables: both ways meet the full disk.
  for (const std::string batch : {"1000", "5000"}) {
    const std::string store = db + batch;
    ns.Dyad("load" + batch,
            {"load", "--db", store, facts.string(), "--batch", batch, "--format", "json"})
        // A query answers on the full disk (it opens the store read-only).
        .Dyad("full" + batch, {"stats", "--db", store, "--format", "json"})
        .Sh("rm -f " + Quote(mnt + "/ballast"))
        .Dyad("stats" + batch, {"stats", "--db", store, "--format", "json"})
        .Dyad("check" + batch, {"check", "--db", store, "--format", "json"})
        .Sh("rm -rf " + Quote(store))
        .Sh("head -c 262144 /dev/zero >" + Quote(mnt + "/ballast"));
  }
  ASSERT_TRUE(ns.Run());
  for (const std::string batch : {"1000", "5000"}) {
    SCOPED_TRACE("--batch " + batch);
    RunResult load = ns.Result("load" + batch);
    EXPECT_EQ(load.exit_code, 1) << load.out << load.err;
    EXPECT_THAT(load.err, HasSubstr("No space left on device")) << load.err;
    EXPECT_THAT(load.err, StartsWith("dyad: ")) << load.err;
    // The summary comes first and says how far the load got.
    JsonOut summary(load.out);
    ASSERT_TRUE(summary.ok()) << load.out;
    const int64_t committed = summary.Int("/committed_lines");
    const int64_t added = summary.Int("/facts_added");
    EXPECT_GT(committed, 0) << load.out;
    EXPECT_LT(committed, 30000) << load.out;
    EXPECT_EQ(committed % std::stoi(batch), 0) << "whole chunks only: " << load.out;
    EXPECT_EQ(added, committed) << load.out;
    // Every committed fact is there, no other, and the store keeps its
    // promises (no fact without its nodes, index entries and source).
    for (const std::string step : {"full", "stats"}) {
      RunResult stats = ns.Result(step + batch);
      ASSERT_EQ(stats.exit_code, 0) << step << ": " << stats.out << stats.err;
      EXPECT_EQ(JsonOut(stats.out).Int("/facts"), added) << step << ": " << stats.out;
    }
    RunResult check = ns.Result("check" + batch);
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
    EXPECT_THAT(check.out, HasSubstr("\"ok\":true")) << check.out;
  }
}

TEST(ErrorsCatalogueTest, AFullDiskBeforeTheFirstChunkIsAnIoErrorAndLoadsNothing) {
  SKIP_WITHOUT_NAMESPACES();
  TempDir dir;
  const fs::path facts = dir / "facts.jsonl";
  WriteFile(facts, DenseGraph(3000, 10));
  const std::string mnt = (dir / "mnt").string(), db = mnt + "/db";
  Namespace ns(dir);
  ns.Sh("mkdir " + Quote(mnt))
      .Sh("mount -t tmpfs -o size=512k tmpfs " + Quote(mnt))
      .Dyad("load", {"load", "--db", db, facts.string(), "--format", "json"})
      .Dyad("stats", {"stats", "--db", db, "--format", "json"});
  ASSERT_TRUE(ns.Run());
  // One chunk of 30,000 records, ingested as tables: no chunk committed,
  // so the error is the whole answer.
  ExpectError(ns.Result("load"), 1, "IO_ERROR", "No space left on device");
  RunResult stats = ns.Result("stats");
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_EQ(JsonOut(stats.out).Int("/facts"), 0) << stats.out;
  EXPECT_EQ(JsonOut(stats.out).Int("/nodes"), 0) << stats.out;
}

TEST(ErrorsCatalogueTest, ExportAndBackupOnAFullDiskLeaveNothingBehind) {
  SKIP_WITHOUT_NAMESPACES();
  TempDir dir;
  const std::string db = (dir / "db").string();
  ASSERT_EQ(Dyad({"load", "--db", db, SeedFacts().string()}).exit_code, 0);
  const std::string mnt = (dir / "mnt").string();
  Namespace ns(dir);
  ns.Sh("mkdir " + Quote(mnt))
      .Sh("mount -t tmpfs -o size=8k tmpfs " + Quote(mnt))
      .Dyad("export", {"export", "--db", db, "--to", "jsonl", "--out", mnt + "/all.jsonl",
                       "--format", "json"})
      .Dyad("backup", {"backup", mnt + "/backup", "--db", db, "--format", "json"})
      .Sh("ls -A " + Quote(mnt) + " >" + Quote((dir / "left").string()));
  ASSERT_TRUE(ns.Run());
  ExpectError(ns.Result("export"), 1, "IO_ERROR",
              "--out: cannot write " + mnt + "/all.jsonl.partial: No space left on device");
  ExpectError(ns.Result("backup"), 1, "IO_ERROR", "cannot back up into " + mnt + "/backup: ");
  EXPECT_THAT(ns.Result("backup").err, HasSubstr("No space left on device"));
  // Neither a file nor a .partial, nor a backup or its temporary directory.
  EXPECT_EQ(ReadFile(dir / "left"), "");
  // The store is untouched and still answers.
  RunResult stats = Dyad({"stats", "--db", db, "--format", "json"});
  EXPECT_EQ(JsonOut(stats.out).Int("/facts"), 27) << stats.out << stats.err;
}

TEST(ErrorsCatalogueTest, ExportToDevFullIsAnIoError) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "this system has no /dev/full";
  TempDir dir;
  const std::string db = (dir / "db").string();
  ASSERT_EQ(Dyad({"load", "--db", db, SeedFacts().string()}).exit_code, 0);
  // A whole-store export fails on a write; a small one when the file is
  // closed. Neither may crash.
  for (const auto& scope : std::vector<std::vector<std::string>>{
           {"--to", "jsonl"}, {"--to", "dot", "--around", "Kiani", "--depth", "1"}}) {
    std::vector<std::string> args = {"export",    "--db",     db,    "--out",
                                     "/dev/full", "--format", "json"};
    args.insert(args.end(), scope.begin(), scope.end());
    SCOPED_TRACE(scope[1]);
    ExpectError(Dyad(args), 1, "IO_ERROR",
                "--out: cannot write /dev/full: No space left on device");
  }
}

// ---------------------------------------------------------------- read-only

TEST(ErrorsCatalogueTest, AStoreOnAReadOnlyFileSystemAnswersQueriesAndRefusesWrites) {
  SKIP_WITHOUT_NAMESPACES();
  TempDir dir;
  const fs::path ro = dir / "ro";
  const std::string db = (ro / "db").string(), empty = (ro / "empty").string();
  ASSERT_EQ(Dyad({"load", "--db", db, SeedFacts().string()}).exit_code, 0);
  fs::create_directories(empty);
  const std::string rw = (dir / "rw").string();
  ASSERT_EQ(Dyad({"load", "--db", rw, SeedFacts().string()}).exit_code, 0);
  const std::vector<std::string> before = Listing(db);
  const std::string r = Quote(ro.string());
  Namespace ns(dir);
  ns.Sh("mount --bind " + r + " " + r)
      .Sh("mount -o remount,bind,ro " + r + " " + r)
      .Dyad("stats", {"stats", "--db", db, "--format", "json"})
      .Dyad("facts", {"facts", "Kiani", "--db", db, "--format", "json"})
      .Dyad("path", {"path", "Lavrov", "Kiani", "--db", db, "--format", "json"})
      .Dyad("load", {"load", "--db", db, SeedFacts().string(), "--format", "json"})
      .Dyad("serve", {"--db", db, "serve", "--listen", "127.0.0.1:0", "--format", "json"})
      .Dyad("create", {"load", "--db", empty, SeedFacts().string(), "--format", "json"})
      .Dyad("export", {"export", "--db", rw, "--to", "jsonl", "--out", (ro / "all.jsonl").string(),
                       "--format", "json"})
      .Dyad("backup", {"backup", (ro / "backup").string(), "--db", rw, "--format", "json"});
  ASSERT_TRUE(ns.Run());

  RunResult stats = ns.Result("stats");
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_EQ(JsonOut(stats.out).Int("/facts"), 27) << stats.out;
  EXPECT_EQ(ns.Result("facts").exit_code, 0) << ns.Result("facts").err;
  EXPECT_EQ(ns.Result("path").exit_code, 0) << ns.Result("path").err;
  const std::string refused =
      "store " + db + " is on a read-only file system; only queries can open it there (read-only)";
  ExpectError(ns.Result("load"), 1, "IO_ERROR", refused);
  ExpectError(ns.Result("serve"), 1, "IO_ERROR", refused);
  ExpectError(ns.Result("create"), 1, "IO_ERROR",
              "cannot create a store in " + empty + ": it is on a read-only file system");
  ExpectError(
      ns.Result("export"), 1, "IO_ERROR",
      "--out: cannot write " + (ro / "all.jsonl.partial").string() + ": Read-only file system");
  ExpectError(ns.Result("backup"), 1, "IO_ERROR",
              "cannot back up into " + (ro / "backup").string());
  // Nothing was written there (RocksDB's read-write open would at least
  // have rotated its LOG).
  EXPECT_EQ(Listing(db), before);
  EXPECT_EQ(Listing(ro), (std::vector<std::string>{"db", "empty"}));
}

// ---------------------------------------------------------------- in use

TEST(ErrorsCatalogueTest, AStoreAServerHoldsIsInUseForEveryOtherProcess) {
  TempDir dir;
  const fs::path db = dir / "db";
  ASSERT_EQ(Dyad({"load", "--db", db.string(), SeedFacts().string()}).exit_code, 0);
  ServeProcess server(db, dir / "log");
  ASSERT_FALSE(server.address().empty()) << ReadFile(dir / "log");
  const std::vector<std::string> before = Listing(db);
  const std::string in_use = "store " + db.string() + " is in use by another process (";
  // Each answers at once (none waits for the lock; `timeout` would end one
  // that hung, exit 124).
  ExpectError(Dyad({"stats", "--db", db.string(), "--format", "json"}), 1, "BUSY", in_use);
  ExpectError(Dyad({"facts", "Kiani", "--db", db.string(), "--format", "json"}), 1, "BUSY", in_use);
  ExpectError(Dyad({"load", "--db", db.string(), SeedFacts().string(), "--format", "json"}), 1,
              "BUSY", in_use);
  ExpectError(Dyad({"backup", (dir / "backup").string(), "--db", db.string(), "--format", "json"}),
              1, "BUSY", in_use);
  ExpectError(Dyad({"--db", db.string(), "serve", "--listen", "127.0.0.1:0", "--format", "json"}),
              1, "BUSY", in_use);
  // restore copies files: not those of a store another process has open.
  ExpectError(Dyad({"restore", db.string(), "--db", (dir / "copy").string(), "--format", "json"}),
              1, "BUSY",
              in_use + "restore copies a closed store; back up an open one with dyad backup)");
  EXPECT_FALSE(fs::exists(dir / "copy"));
  EXPECT_FALSE(fs::exists(dir / "copy.partial"));
  EXPECT_FALSE(fs::exists(dir / "backup"));
  // The refused processes touched nothing (not even the server's LOG).
  EXPECT_EQ(Listing(db), before);
  // The server serves on, and `backup --server` is the way to copy it.
  RunResult stats = Dyad({"stats", "--server", server.address(), "--format", "json"});
  EXPECT_EQ(JsonOut(stats.out).Int("/facts"), 27) << stats.out << stats.err;
  server.Signal(SIGTERM);
  EXPECT_EQ(server.Wait(std::chrono::milliseconds(30000)), 0);
}

// ---------------------------------------------------------------- server

TEST(ErrorsCatalogueTest, ThroughAServerTokensAndServerSideFailuresKeepTheirRows) {
  TempDir dir;
  ServeProcess server(dir / "db", dir / "log", {"--token", "t0k3n"});
  const std::string& at = server.address();
  ASSERT_FALSE(at.empty()) << ReadFile(dir / "log");
  ExpectError(Dyad({"load", "--server", at, SeedFacts().string(), "--format", "json"}), 6,
              "UNAUTHENTICATED", "this server needs a token: send `authorization: Bearer <token>`");
  ExpectError(
      Dyad({"load", "--server", at, "--token", "wrong", SeedFacts().string(), "--format", "json"}),
      6, "UNAUTHENTICATED", "the token is not this server's");
  RunResult stats = Dyad({"stats", "--server", at, "--format", "json"});
  EXPECT_EQ(JsonOut(stats.out).Int("/facts"), 0) << "a refused load loads nothing: " << stats.out;

  // The server's own I/O error (gRPC INTERNAL) comes back as IO_ERROR, an
  // existing DEST as ALREADY_EXISTS.
  const std::string nowhere = (dir / "no" / "such" / "dir").string();
  ExpectError(Dyad({"backup", nowhere, "--server", at, "--token", "t0k3n", "--format", "json"}), 1,
              "IO_ERROR", "cannot back up into " + nowhere + ": ");
  ExpectError(Dyad({"backup", (dir / "db").string(), "--server", at, "--token", "t0k3n", "--format",
                    "json"}),
              3, "ALREADY_EXISTS",
              (dir / "db").string() + " exists; a backup goes into a new directory");

  // A second server cannot listen where the first one does.
  ExpectError(Dyad({"--db", (dir / "other").string(), "serve", "--listen", at, "--format", "json"}),
              1, "IO_ERROR", "cannot listen on " + at);
  server.Signal(SIGTERM);
  EXPECT_EQ(server.Wait(std::chrono::milliseconds(30000)), 0);
}

// ---------------------------------------------------------------- flags

TEST(ErrorsCatalogueTest, CommandLineRowsEachGetTheirCodeAndMessage) {
  TempDir dir;
  const std::string db = (dir / "db").string();
  ASSERT_EQ(Dyad({"load", "--db", db, SeedFacts().string()}).exit_code, 0);
  fs::create_directories(dir / "empty");
  WriteFile(dir / "file", "not a directory\n");
  WriteFile(dir / "bad.tsv", "MET\tx\n");
  const std::string empty = (dir / "empty").string(), file = (dir / "file").string();
  const std::string tsv = (dir / "bad.tsv").string(), none = (dir / "none").string();
  ExpectError(Dyad({"stats", "--db", empty, "--format", "json"}), 1, "FAILED_PRECONDITION",
              "no dyad store at " + empty + " (the directory is empty)");
  ExpectError(Dyad({"stats", "--db", file, "--format", "json"}), 1, "FAILED_PRECONDITION",
              file + " is not a directory");
  ExpectError(Dyad({"find", "!!!", "--db", db, "--format", "json"}), 3, "INVALID_ARGUMENT",
              "NAME: normalises to nothing (no letters or digits)");
  ExpectError(Dyad({"facts", "!!!", "--db", db, "--format", "json"}), 3, "INVALID_ARGUMENT",
              "node \"!!!\": normalises to nothing (no letters or digits)");
  ExpectError(Dyad({"facts", "Kiani", "--db", db, "--predicates", none, "--format", "json"}), 1,
              "IO_ERROR", "cannot read predicate vocabulary " + none);
  ExpectError(Dyad({"facts", "Kiani", "--db", db, "--predicates", tsv, "--format", "json"}), 3,
              "INVALID_ARGUMENT", tsv + ":1: line: ");
  ExpectError(Dyad({"stats", "--server", "127.0.0.1:1", "--tls-ca", none, "--format", "json"}), 1,
              "IO_ERROR", "--tls-ca: cannot read " + none);
  ExpectError(
      Dyad({"--db", db, "serve", "--listen", "127.0.0.1:0", "--token-reads", "--format", "json"}),
      3, "INVALID_ARGUMENT", "--token-reads: needs --token or --token-file");
  ExpectError(Dyad({"restore", none, "--db", (dir / "copy").string(), "--format", "json"}), 1,
              "FAILED_PRECONDITION", "no backup at " + none);

  // A missing input file: nothing loaded, no store made.
  ExpectError(Dyad({"load", "--db", none, (dir / "more.jsonl").string(), "--format", "json"}), 1,
              "IO_ERROR",
              "cannot read " + (dir / "more.jsonl").string() + ": No such file or directory");
  EXPECT_FALSE(fs::exists(none));

  // Usage errors: exit 2, CLI11's or dyad's message, no JSON.
  ::unsetenv("DYAD_DB");
  RunResult no_db = Dyad({"stats", "--format", "json"});
  EXPECT_EQ(no_db.exit_code, 2);
  EXPECT_EQ(no_db.out, "");
  EXPECT_THAT(
      no_db.err,
      HasSubstr("--db: no store given (use --db DIR or set DYAD_DB, or --server HOST:PORT)"));
  RunResult predicates = Dyad({"facts", "Kiani", "--server", "127.0.0.1:1", "--predicates", tsv});
  EXPECT_EQ(predicates.exit_code, 2);
  EXPECT_THAT(
      predicates.err,
      HasSubstr("--predicates: a server uses its own vocabulary (dyad serve --predicates)"));
}

TEST(ErrorsCatalogueTest, SkipBadWithSeveralBadLinesNamesTheFirst) {
  TempDir dir;
  const fs::path file = dir / "bad.jsonl";
  WriteFile(file, R"({"kind":"entity","label":"Person","name":"Ann"})"
                  "\n"
                  R"({"kind":"relation"})"
                  "\n"
                  R"({"kind":"entity","label":"Person","name":"Bo"})"
                  "\n"
                  R"({"kind":"entity","label":"Person","name":"!!!"})"
                  "\n");
  const std::string db = (dir / "db").string();
  RunResult r = Dyad({"load", "--db", db, file.string(), "--skip-bad", "--format", "json"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_EQ(r.err, "dyad: 2 bad lines; the first: " + file.string() +
                       ":2: kind: must be \"entity\" or \"fact\", not \"relation\"\n");
  JsonOut summary(r.out);
  ASSERT_TRUE(summary.ok()) << r.out;
  EXPECT_EQ(summary.Int("/entities"), 2);
  EXPECT_EQ(summary.Int("/bad_lines/1/line"), 4);
  EXPECT_EQ(summary.Text("/bad_lines/1/field"), "name");
  EXPECT_THAT(r.out, Not(HasSubstr("\"error\"")));
}

}  // namespace
}  // namespace dyad::testing
