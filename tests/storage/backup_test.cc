// Backup and restore (Store::Backup, Store::Restore, `dyad backup` and
// `dyad restore`): a backup is an equal store, also when taken in the
// middle of a load (then it holds whole chunks: a prefix of the load), and
// neither a backup nor a restore overwrites anything.
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "storage/store.h"
#include "tests/test_util.h"

namespace dyad::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// Opens a store that must exist.
std::unique_ptr<storage::Store> OpenExisting(const fs::path& dir) {
  Result<std::unique_ptr<storage::Store>> s = storage::Store::Open(dir, storage::StoreOptions{});
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(*s) : nullptr;
}

// The fact lines of a canonical dump (those naming a predicate between two nodes).
std::set<std::string> FactLinesOf(const std::string& dump) {
  std::set<std::string> lines;
  std::istringstream in(dump);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("fact ", 0) == 0) lines.insert(line);
  }
  return lines;
}

TEST(BackupTest, ABackupIsAnEqualStoreAndRestoresIntoOne) {
  TempDir dir;
  std::unique_ptr<storage::Store> store = OpenStore(dir / "store");
  storage::LoadSummary summary;
  ASSERT_OK(LoadPath(*store, SeedFacts(), &summary));
  Result<uint64_t> sequence = store->Backup(dir / "backup");
  ASSERT_TRUE(sequence.ok()) << sequence.status().ToString();
  EXPECT_EQ(*sequence, store->LatestSequence());
  Result<std::string> original = store->DumpCanonical();
  ASSERT_TRUE(original.ok());

  ASSERT_OK(storage::Store::Restore(dir / "backup", dir / "restored"));
  EXPECT_FALSE(fs::exists(dir / "restored.partial"));
  std::unique_ptr<storage::Store> restored = OpenExisting(dir / "restored");
  ASSERT_NE(restored, nullptr);
  EXPECT_EQ(*restored->DumpCanonical(), *original);
  restored.reset();

  std::unique_ptr<storage::Store> backup = OpenExisting(dir / "backup");
  ASSERT_NE(backup, nullptr);
  EXPECT_EQ(*backup->DumpCanonical(), *original);
  EXPECT_EQ(backup->GetStats().facts, 27u);
}

TEST(BackupTest, NothingIsOverwrittenAndANonStoreIsNotRestored) {
  TempDir dir;
  std::unique_ptr<storage::Store> store = OpenStore(dir / "store");
  fs::create_directories(dir / "taken");
  Result<uint64_t> over = store->Backup(dir / "taken");
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), StatusCode::kAlreadyExists);
  EXPECT_THAT(over.status().message(), HasSubstr("taken exists"));

  Status into_taken = storage::Store::Restore(dir / "store", dir / "taken");
  EXPECT_EQ(into_taken.code(), StatusCode::kAlreadyExists);

  fs::create_directories(dir / "holiday-photos");
  WriteFile(dir / "holiday-photos" / "beach.jpg", "not a store");
  Status foreign = storage::Store::Restore(dir / "holiday-photos", dir / "restored");
  EXPECT_EQ(foreign.code(), StatusCode::kFailedPrecondition) << foreign.ToString();
  EXPECT_THAT(foreign.message(), HasSubstr("is not a dyad store to restore"));
  EXPECT_FALSE(fs::exists(dir / "restored"));
  EXPECT_FALSE(fs::exists(dir / "restored.partial"));

  Status missing = storage::Store::Restore(dir / "nowhere", dir / "restored");
  EXPECT_EQ(missing.code(), StatusCode::kFailedPrecondition);
}

TEST(BackupTest, ABackupDuringALoadHoldsWholeChunks) {
  TempDir dir;
  std::unique_ptr<storage::Store> store = OpenStore(dir / "store");
  WriteFile(dir / "dense.jsonl", DenseGraph(3000, 20, 3));
  // The fact count after every committed chunk: a backup must show one of them.
  std::mutex mu;
  std::set<uint64_t> committed = {0};
  uint64_t listener = store->AddCommitListener([&](const storage::CommittedChange&) {
    std::lock_guard lock(mu);
    committed.insert(store->GetStats().facts);
  });
  storage::LoadOptions options;
  options.batch_records = 500;
  std::thread loader([&] {
    storage::LoadSummary summary;
    EXPECT_OK(LoadPath(*store, dir / "dense.jsonl", &summary, options));
  });
  // Once a few chunks are in, back up while the rest goes on.
  for (int i = 0; i < 2000; ++i) {
    {
      std::lock_guard lock(mu);
      if (committed.size() > 3) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  Result<uint64_t> sequence = store->Backup(dir / "backup");
  loader.join();
  store->RemoveCommitListener(listener);
  ASSERT_TRUE(sequence.ok()) << sequence.status().ToString();

  std::unique_ptr<storage::Store> backup = OpenExisting(dir / "backup");
  ASSERT_NE(backup, nullptr);
  const uint64_t facts = backup->GetStats().facts;
  EXPECT_GT(facts, 0u);
  EXPECT_LT(facts, store->GetStats().facts) << "the load went on after the backup";
  EXPECT_TRUE(committed.count(facts)) << facts << " facts is not the end of a chunk";
  // A prefix: every fact the backup has, the finished store has too.
  Result<std::string> in_backup = backup->DumpCanonical();
  Result<std::string> in_store = store->DumpCanonical();
  ASSERT_TRUE(in_backup.ok() && in_store.ok());
  const std::set<std::string> all = FactLinesOf(*in_store);
  const std::set<std::string> some = FactLinesOf(*in_backup);
  EXPECT_EQ(some.size(), facts);
  for (const auto& line : some) EXPECT_TRUE(all.count(line)) << line;
}

TEST(BackupCliTest, BackupAndRestoreFromTheCommandLine) {
  TempDir dir;
  const std::string db = (dir / "store").string();
  ASSERT_EQ(RunDyad({"load", "--db", db, SeedFacts().string()}).exit_code, 0);
  RunResult b = RunDyad({"backup", (dir / "backup").string(), "--db", db, "--format", "json"});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_THAT(b.out, HasSubstr("{\"backup\":\"" + (dir / "backup").string() + "\",\"sequence\":"));
  RunResult again = RunDyad({"backup", (dir / "backup").string(), "--db", db});
  EXPECT_EQ(again.exit_code, 3);
  EXPECT_THAT(again.err, HasSubstr("exists"));

  const std::string copy = (dir / "copy").string();
  RunResult r = RunDyad({"restore", (dir / "backup").string(), "--db", copy, "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"restored\":\"" + copy + "\",\"from\":\"" + (dir / "backup").string() + "\"}\n");
  RunResult a = RunDyad({"dyad", "Russia", "Pakistan", "--db", db, "--format", "json"});
  RunResult c = RunDyad({"dyad", "Russia", "Pakistan", "--db", copy, "--format", "json"});
  EXPECT_EQ(a.out, c.out);
  EXPECT_THAT(c.out, HasSubstr("\"events\""));

  RunResult onto = RunDyad({"restore", (dir / "backup").string(), "--db", db});
  EXPECT_EQ(onto.exit_code, 3);
  RunResult remote = RunDyad({"restore", (dir / "backup").string(), "--server", "127.0.0.1:1"});
  EXPECT_EQ(remote.exit_code, 3);
  EXPECT_THAT(remote.err, HasSubstr("--server: restore makes a local --db directory"));
}

}  // namespace
}  // namespace dyad::testing
