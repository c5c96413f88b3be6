// The store against ../shared/data/seeds/expected.md, and opening, reopening
// and refusing directories.
#include "storage/store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <rocksdb/db.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include "tests/test_util.h"

namespace dyad::testing {
namespace {

using storage::Fact;
using storage::FactFilter;
using storage::Node;
using storage::NodeId;

// Opens a closed store with plain RocksDB and lets `write` change it
// behind dyad's back, the way a bug or a broken disk would.
using Handles = std::function<rocksdb::ColumnFamilyHandle*(storage::Column)>;
void WriteRaw(const std::filesystem::path& dir,
              const std::function<void(rocksdb::DB*, const Handles&)>& write) {
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {{rocksdb::kDefaultColumnFamilyName, {}}};
  for (int i = 0; i < storage::kColumnCount; ++i) {
    cfs.emplace_back(std::string(storage::ColumnName(static_cast<storage::Column>(i))),
                     rocksdb::ColumnFamilyOptions());
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), dir.string(), cfs, &handles, &db).ok());
  write(db, [&](storage::Column c) { return handles[static_cast<int>(c) + 1]; });
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  delete db;
}

// The first key of column `c`.
std::string FirstKey(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator({}, cf));
  it->SeekToFirst();
  return it->Valid() ? it->key().ToString() : std::string();
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenStore(dir_.path() / "store");
    ASSERT_NE(store_, nullptr);
    storage::LoadSummary summary;
    ASSERT_OK(LoadPath(*store_, SeedFacts(), &summary));
  }

  NodeId Id(std::string_view ref) {
    Result<NodeId> id = store_->Resolve(ref);
    EXPECT_TRUE(id.ok()) << ref << ": " << id.status().ToString();
    return id.ok() ? *id : 0;
  }
  std::string ExternalId(std::string_view ref) {
    Result<Node> n = store_->GetNode(Id(ref));
    return n.ok() ? n->external_id : "ERROR";
  }
  // The one fact subject -predicate-> object (any valid_from).
  Fact FactOf(std::string_view subject, std::string_view predicate, std::string_view object) {
    FactFilter f;
    f.direction = storage::Direction::kOut;
    f.predicates = {std::string(predicate)};
    Result<storage::FactList> facts = store_->FactsOf(Id(subject), f);
    EXPECT_TRUE(facts.ok());
    NodeId o = Id(object);
    for (const Fact& fact : *facts) {
      if (fact.object == o) return fact;
    }
    ADD_FAILURE() << "no fact " << subject << " " << predicate << " " << object;
    return {};
  }

  TempDir dir_;
  std::unique_ptr<storage::Store> store_;
};

TEST_F(StoreTest, SeedCounts) {
  storage::Stats s = store_->GetStats();
  EXPECT_EQ(s.nodes, 19u);
  EXPECT_EQ(s.facts, 27u);
  EXPECT_EQ(s.sources, 2u);
  EXPECT_EQ(s.labels["Country"], 6u);
  EXPECT_EQ(s.labels["Person"], 7u);
  EXPECT_EQ(s.predicates["HOLDS_OFFICE"], 7u);
  // United States is declared and has no facts.
  Result<storage::FactList> us = store_->FactsOf(Id("United States"), {});
  ASSERT_TRUE(us.ok());
  EXPECT_TRUE(us->empty());
}

TEST_F(StoreTest, SevenFactsHaveTwoSourcesWithNoisyOrConfidence) {
  struct Case {
    const char *s, *p, *o;
    double confidence;
  };
  for (const Case& c :
       {Case{"Sergey Lavrov", "HOLDS_OFFICE", "Country:Russia", 1.0},
        Case{"Ashfaq Parvez Kayani", "HOLDS_OFFICE", "Country:Pakistan", 1.0},
        Case{"Vladimir Putin", "CANCELLED_VISIT", "Country:Pakistan", 0.9975},
        Case{"Sergey Lavrov", "VISITED", "Location:Islamabad", 0.9975},
        Case{"Sergey Lavrov", "MET", "Hina Rabbani Khar", 0.96},
        Case{"Ashfaq Parvez Kayani", "VISITED", "Location:Moscow", 0.99},
        Case{"Country:Russia", "COOPERATED_MILITARILY", "Country:Pakistan", 0.94}}) {
    SCOPED_TRACE(std::string(c.s) + " " + c.p + " " + c.o);
    Fact f = FactOf(c.s, c.p, c.o);
    EXPECT_EQ(f.sources.size(), 2u);
    EXPECT_NEAR(f.confidence, c.confidence, 1e-9);
  }
  // Every other fact has one source.
  size_t two = 0, total = 0;
  ASSERT_OK(store_->ForEachRaw([&](storage::Column c, std::string_view key, std::string_view) {
    if (c != storage::Column::kOut) return;
    ++total;
    (void)key;
  }));
  for (const char* n :
       {"Sergey Lavrov", "Ashfaq Parvez Kayani", "Vladimir Putin", "Country:Russia"}) {
    FactFilter out;
    out.direction = storage::Direction::kOut;
    Result<storage::FactList> facts = store_->FactsOf(Id(n), out);
    ASSERT_TRUE(facts.ok());
    for (const Fact& f : *facts) two += f.sources.size() == 2;
  }
  EXPECT_EQ(total, 27u);
  EXPECT_EQ(two, 7u);
}

TEST_F(StoreTest, CorroboratedFactsMergeValidToAndProps) {
  Fact visit = FactOf("Sergey Lavrov", "VISITED", "Location:Islamabad");
  EXPECT_EQ(storage::FormatDay(visit.valid_from), "2012-10-03");
  EXPECT_EQ(storage::FormatDay(visit.valid_to), "2012-10-04");
  ASSERT_EQ(visit.props.size(), 1u);  // only Dawn gave a purpose
  EXPECT_EQ(visit.props[0].key(), "purpose");
  EXPECT_EQ(visit.sources[0].doc, "hindu-2012-10-04-lavrov-amends");  // load order
  EXPECT_EQ(visit.sources[1].doc, "dawn-2012-10-04-lavrov-islamabad");
  // Each source keeps its own confidence and quote.
  Fact met = FactOf("Sergey Lavrov", "MET", "Hina Rabbani Khar");
  EXPECT_DOUBLE_EQ(met.sources[0].confidence, 0.9);
  EXPECT_DOUBLE_EQ(met.sources[1].confidence, 0.6);
}

TEST_F(StoreTest, NamesResolveThroughAliasesScopedByLabel) {
  EXPECT_EQ(ExternalId("Kiani"), "Person:ashfaq-parvez-kayani");
  EXPECT_EQ(ExternalId("Ashfaq Pervez Kiani"), "Person:ashfaq-parvez-kayani");
  EXPECT_EQ(ExternalId("gen kayani"), "Person:ashfaq-parvez-kayani");
  EXPECT_EQ(ExternalId("Person:ashfaq-parvez-kayani"), "Person:ashfaq-parvez-kayani");
  EXPECT_EQ(ExternalId("ISPR"), "Organization:inter-services-public-relations");
  EXPECT_EQ(ExternalId("Location:Moscow"), "Location:moscow");
  EXPECT_EQ(ExternalId("Country:Moscow"), "Country:russia");
  for (const char* ambiguous : {"Moscow", "Islamabad"}) {
    Result<NodeId> r = store_->Resolve(ambiguous);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.status().IsAmbiguous());
    EXPECT_EQ(r.status().candidates().size(), 2u);
  }
  EXPECT_THAT(store_->Resolve("Moscow").status().candidates(),
              ::testing::UnorderedElementsAre("Country:russia", "Location:moscow"));
  EXPECT_TRUE(store_->Resolve("Nobody").status().IsNotFound());
  // One node, however many surface forms the two outlets used.
  EXPECT_EQ(Id("Kayani"), Id("Kiani"));
}

TEST_F(StoreTest, ReopenKeepsEverythingAndIdsAreStable) {
  const std::string before = RawScan(*store_);
  const NodeId kayani = Id("Kiani");
  store_.reset();
  store_ = OpenStore(dir_.path() / "store");
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(RawScan(*store_), before);
  EXPECT_EQ(Id("Kiani"), kayani);
  EXPECT_EQ(store_->GetStats().facts, 27u);
  // New nodes after reopen get new ids, never reused ones.
  storage::LoadSummary summary;
  ASSERT_OK(LoadText(*store_, R"({"kind":"entity","label":"Country","name":"Nepal"})", &summary));
  EXPECT_GT(Id("Nepal"), Id("Defence cooperation"));
  EXPECT_EQ(store_->GetStats().nodes, 20u);
}

// RocksDB 7.8 starts a WAL at every open and kept the empty ones
// (facebook/rocksdb#11313): a store queried a hundred times had a hundred
// empty .log files, which every open read.
TEST_F(StoreTest, OpensLeaveNoPileOfEmptyWals) {
  const std::string before = RawScan(*store_);
  auto wals = [&] {
    int n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir_.path() / "store"))
      n += e.path().extension() == ".log";
    return n;
  };
  for (int i = 0; i < 12; ++i) {
    store_.reset();
    storage::StoreOptions options;
    options.query_only = i % 2 == 0;
    Result<std::unique_ptr<storage::Store>> s =
        storage::Store::Open(dir_.path() / "store", options);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  EXPECT_LE(wals(), 2);
  EXPECT_EQ(RawScan(*store_), before);
  EXPECT_EQ(store_->GetStats().facts, 27u);
  // Writes after all that still land, and survive a reopen.
  storage::LoadSummary summary;
  ASSERT_OK(LoadText(*store_, R"({"kind":"entity","label":"Country","name":"Nepal"})", &summary));
  store_.reset();
  store_ = OpenStore(dir_.path() / "store");
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(store_->GetStats().nodes, 20u);
}

TEST_F(StoreTest, SecondOpenOfTheSameStoreIsBusy) {
  for (bool query_only : {false, true}) {
    storage::StoreOptions options;
    options.query_only = query_only;
    Result<std::unique_ptr<storage::Store>> second =
        storage::Store::Open(dir_.path() / "store", options);
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.status().code(), StatusCode::kBusy);
    EXPECT_THAT(second.status().message(), ::testing::HasSubstr("in use"));
  }
  // The refusals left the first open whole: it still writes.
  storage::LoadSummary summary;
  ASSERT_OK(LoadText(*store_, R"({"kind":"entity","label":"Country","name":"Nepal"})", &summary));
  EXPECT_EQ(store_->GetStats().nodes, 20u);
}

// Whether a process other than this one would find DIR/LOCK taken (fcntl
// locks are per process, so a child asks).
bool LockedForAnotherProcess(const std::filesystem::path& dir) {
  const std::string lock = (dir / "LOCK").string();
  const pid_t child = ::fork();
  if (child == 0) {
    int fd = ::open(lock.c_str(), O_RDONLY | O_CLOEXEC);
    struct flock probe = {};
    probe.l_type = F_WRLCK;
    probe.l_whence = SEEK_SET;
    const bool locked = fd >= 0 && ::fcntl(fd, F_GETLK, &probe) == 0 && probe.l_type != F_UNLCK;
    ::_exit(locked ? 1 : 0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 1;
}

// A query's open writes nothing into the store (no options file, manifest,
// log or rotated info log), yet holds the store's lock as a writer does,
// so that a loader elsewhere finds it in use; and it lets go at close.
TEST_F(StoreTest, AQueryWritesNothingIntoTheStoreYetHoldsItsLock) {
  const size_t kayani_facts = store_->FactsOf(Id("Kayani"), {}).value().size();
  ASSERT_GT(kayani_facts, 0u);
  store_.reset();
  const std::filesystem::path dir = dir_.path() / "store";
  EXPECT_FALSE(LockedForAnotherProcess(dir));
  auto listing = [&] {
    std::map<std::string, std::pair<uintmax_t, std::filesystem::file_time_type>> files;
    for (const auto& e : std::filesystem::directory_iterator(dir))
      files[e.path().filename().string()] = {e.file_size(), e.last_write_time()};
    return files;
  };
  const auto before = listing();
  {
    storage::StoreOptions options;
    options.query_only = true;
    Result<std::unique_ptr<storage::Store>> query = storage::Store::Open(dir, options);
    ASSERT_OK(query.status());
    EXPECT_EQ((*query)->GetStats().facts, 27u);
    Result<NodeId> kayani = (*query)->Resolve("Kayani");
    ASSERT_OK(kayani.status());
    EXPECT_EQ((*query)->FactsOf(*kayani, {}).value().size(), kayani_facts);
    EXPECT_TRUE(LockedForAnotherProcess(dir));
  }
  EXPECT_EQ(listing(), before);
  EXPECT_FALSE(LockedForAnotherProcess(dir));
  store_ = OpenStore(dir);
  ASSERT_NE(store_, nullptr);
  EXPECT_TRUE(LockedForAnotherProcess(dir));
}

TEST(StoreOpenTest, MissingDirectoryIsRefusedUnlessCreating) {
  TempDir dir;
  Result<std::unique_ptr<storage::Store>> s = storage::Store::Open(dir / "nope", {});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.status().message(), ::testing::HasSubstr("no dyad store"));
  EXPECT_FALSE(std::filesystem::exists(dir / "nope"));
}

TEST(StoreOpenTest, ForeignDirectoryIsRefusedAndUntouched) {
  TempDir dir;
  WriteFile(dir / "notes.txt", "hello");
  storage::StoreOptions create;
  create.create_if_missing = true;
  Result<std::unique_ptr<storage::Store>> s = storage::Store::Open(dir.path(), create);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.status().message(), ::testing::HasSubstr("not a dyad store"));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

TEST(StoreOpenTest, PlainRocksDbIsNotADyadStore) {
  TempDir dir;
  {
    rocksdb::Options o;
    o.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(o, (dir / "db").string(), &db).ok());
    delete db;
  }
  Result<std::unique_ptr<storage::Store>> s = storage::Store::Open(dir / "db", {});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.status().message(), ::testing::HasSubstr("not a dyad store"));
}

TEST(StoreOpenTest, AnotherFormatVersionIsRefusedNamingBoth) {
  TempDir dir;
  OpenStore(dir / "store").reset();
  // Rewrite the version the way a future dyad would.
  WriteRaw(dir / "store", [](rocksdb::DB* db, const Handles& cf) {
    std::string v(8, '\0');
    v[7] = 2;
    ASSERT_TRUE(db->Put({}, cf(storage::Column::kMeta), "format_version", v).ok());
  });
  Result<std::unique_ptr<storage::Store>> s = storage::Store::Open(dir / "store", {});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.status().message(), ::testing::HasSubstr("format version 2"));
  EXPECT_THAT(s.status().message(), ::testing::HasSubstr("version 1"));
}

// A process killed while it created a store leaves the creation marker and
// part of a RocksDB database: queries say so, and the next load clears it
// and creates the store anew.
TEST(StoreOpenTest, AnInterruptedCreationIsClearedByTheNextLoad) {
  TempDir dir;
  const std::filesystem::path store_dir = dir / "store";
  {
    // What a kill between two column families leaves.
    rocksdb::Options o;
    o.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(o, store_dir.string(), &db).ok());
    rocksdb::ColumnFamilyHandle* meta = nullptr;
    ASSERT_TRUE(db->CreateColumnFamily({}, "meta", &meta).ok());
    db->DestroyColumnFamilyHandle(meta);
    delete db;
    WriteFile(store_dir / ".dyad-creating", "");
  }
  Result<std::unique_ptr<storage::Store>> query = storage::Store::Open(store_dir, {});
  ASSERT_FALSE(query.ok());
  EXPECT_EQ(query.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(query.status().message(), ::testing::HasSubstr("creation was interrupted"));

  std::unique_ptr<storage::Store> store = OpenStore(store_dir);
  ASSERT_NE(store, nullptr);
  storage::LoadSummary summary;
  ASSERT_OK(LoadPath(*store, SeedFacts(), &summary));
  EXPECT_EQ(store->GetStats().facts, 27u);
  EXPECT_FALSE(std::filesystem::exists(store_dir / ".dyad-creating"));
  store.reset();
  Result<std::unique_ptr<storage::Store>> reopened = storage::Store::Open(store_dir, {});
  ASSERT_OK(reopened.status());
  EXPECT_EQ((*reopened)->GetStats().facts, 27u);
}

// Without the marker, the same half database is not dyad's to touch.
TEST(StoreOpenTest, AHalfDatabaseWithoutTheMarkerIsRefused) {
  TempDir dir;
  {
    rocksdb::Options o;
    o.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(o, (dir / "store").string(), &db).ok());
    delete db;
  }
  storage::StoreOptions create;
  create.create_if_missing = true;
  Result<std::unique_ptr<storage::Store>> s = storage::Store::Open(dir / "store", create);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), ::testing::HasSubstr("not a dyad store"));
}

TEST(StoreOpenTest, SeedCopyEqualsSharedOriginals) {
  std::optional<std::filesystem::path> shared = SharedDir();
  if (!shared) GTEST_SKIP() << "../shared is not here (a user's clone); nothing to compare";
  EXPECT_EQ(ReadFile(SeedFacts()), ReadFile(*shared / "data/seeds/facts.jsonl"));
  EXPECT_EQ(ReadFile(SourceDir() / "graph/predicates.tsv"),
            ReadFile(*shared / "spec/predicates.tsv"));
}

}  // namespace
}  // namespace dyad::testing

namespace dyad::testing {
namespace {

// Everything a fact holds, as text, to compare two reads of it.
std::string FactText(const Fact& f) {
  auto props = [](const storage::PropList& list) {
    std::string out;
    for (const auto& p : list) out += p.key() + "=" + p.value().SerializeAsString() + ";";
    return out;
  };
  std::string out = fmt::format("{} {} {} {} {} {} [{}]", f.subject, f.predicate, f.object,
                                f.valid_from, f.valid_to, f.confidence, props(f.props));
  for (const auto& s : f.sources) {
    out += fmt::format(" ({} {} {} [{}] [{}])", s.doc, s.confidence, s.valid_to, props(s.props),
                       props(s.fields));
  }
  return out;
}

// A whole-store scan decodes every fact into one Fact that it reuses: what
// one fact had (more sources, props, fields) must not show in the next.
TEST_F(StoreTest, AScanGivesEachFactAsItsOwnReadDoes) {
  storage::LoadSummary summary;
  ASSERT_OK(LoadText(
      *store_,
      R"({"kind":"fact","subject":{"label":"Person","name":"Aaron Abel"},"predicate":"MET","object":{"label":"Person","name":"Zed Zane"},"valid_from":"2020-01-01","props":{"venue":"Geneva","rounds":3},"source":{"doc":"a1","outlet":"Reuters","published":"2020-01-02"}}
{"kind":"fact","subject":{"label":"Person","name":"Aaron Abel"},"predicate":"MET","object":{"label":"Person","name":"Zed Zane"},"valid_from":"2020-01-01","confidence":0.5,"props":{"venue":"Bern"},"source":{"doc":"a2","outlet":"AP","url":"http://example.org/a2","quote":"in Islāmābād"}}
{"kind":"fact","subject":{"label":"Person","name":"Aaron Abel"},"predicate":"MET","object":{"label":"Person","name":"Zed Zane"},"valid_from":"2020-01-01","valid_to":"2020-02-01","source":{"doc":"a3"}}
{"kind":"fact","subject":{"label":"Person","name":"Zed Zane"},"predicate":"VISITED","object":{"label":"Country","name":"Pakistan"},"source":{"doc":"a4"}}
)",
      &summary));
  ASSERT_TRUE(summary.bad_lines.empty()) << summary.bad_lines[0].ToString();
  std::vector<std::string> scanned;
  std::unique_ptr<storage::StoreView> view = store_->NewView();
  ASSERT_OK(view->ForEachFact([&](Fact& f) {
    scanned.push_back(FactText(f));
    return Status::OK();
  }));
  ASSERT_EQ(scanned.size(), 29u);
  // Each subject's own facts, read one by one, in the scan's order.
  std::vector<std::string> read;
  for (NodeId id = 1; id <= 21; ++id) {
    FactFilter out;
    out.direction = storage::Direction::kOut;
    Result<storage::FactList> facts = store_->FactsOf(id, out);
    ASSERT_OK(facts.status());
    std::vector<std::string> own;
    for (const Fact& f : facts->facts) {
      if (f.subject == id) own.push_back(FactText(f));
    }
    std::sort(own.begin(), own.end());
    read.insert(read.end(), own.begin(), own.end());
  }
  std::vector<std::string> scanned_by_subject = scanned;
  EXPECT_EQ(scanned_by_subject.size(), read.size());
  // The scan is in key order (predicate ids, not names): compare as sets
  // within the whole, and look at the two facts that follow each other.
  std::sort(scanned_by_subject.begin(), scanned_by_subject.end());
  std::sort(read.begin(), read.end());
  EXPECT_EQ(scanned_by_subject, read);
  EXPECT_THAT(scanned[27], ::testing::HasSubstr(" MET "));
  EXPECT_THAT(scanned[27], ::testing::HasSubstr("(a3 "));
  // Not ASCII: this record is decoded by protobuf, the others without it,
  // into the same reused fact.
  EXPECT_THAT(scanned[27], ::testing::HasSubstr("in Islāmābād"));
  EXPECT_THAT(scanned[28], ::testing::HasSubstr(" VISITED "));
  EXPECT_THAT(scanned[28], ::testing::EndsWith("[] (a4 1 0 [] [])"));
}

// A cursor gives every fact once, then stays at its end however often it
// is asked (RocksDB's iterator must not be moved past it).
TEST_F(StoreTest, AFactCursorStaysAtItsEnd) {
  std::unique_ptr<storage::StoreView> view = store_->NewView();
  std::unique_ptr<storage::FactCursor> cursor = view->ScanFacts();
  Fact f;
  int facts = 0;
  while (cursor->Next(&f)) ++facts;
  EXPECT_EQ(facts, 27);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(cursor->Next(&f));
  EXPECT_OK(cursor->status());
}

TEST_F(StoreTest, CheckFindsTheSeedStoreConsistent) {
  Result<storage::CheckReport> report = store_->Check();
  ASSERT_OK(report.status());
  EXPECT_TRUE(report->ok()) << ::testing::PrintToString(report->problems);
  EXPECT_EQ(report->nodes, 19u);
  EXPECT_EQ(report->facts, 27u);
  EXPECT_EQ(report->sources, 2u);
}

// Each row damages a seed store one way; Check must name the damage.
TEST(StoreCheckTest, NamesEachKindOfDamage) {
  using storage::Column;
  struct Damage {
    std::string what;
    std::function<void(rocksdb::DB*, const Handles&)> write;
    std::string expected;
  };
  auto remove_first = [](Column c) {
    return [c](rocksdb::DB* db, const Handles& cf) {
      ASSERT_TRUE(db->Delete({}, cf(c), FirstKey(db, cf(c))).ok());
    };
  };
  auto overwrite_first = [](Column c, std::string value) {
    return [c, value](rocksdb::DB* db, const Handles& cf) {
      ASSERT_TRUE(db->Put({}, cf(c), FirstKey(db, cf(c)), value).ok());
    };
  };
  const std::vector<Damage> damages = {
      {"a fact without its in entry", remove_first(Column::kIn), "no `in` entry"},
      {"an in entry without its fact", remove_first(Column::kOut), "27 `in` entries for 26 facts"},
      {"a fact without a node", remove_first(Column::kNodes), "no subject node"},
      {"a name not indexed", remove_first(Column::kNames), "no `names` entry"},
      {"an external id not indexed", remove_first(Column::kIds), "no `ids` entry"},
      {"a source without its document", remove_first(Column::kDocs), "no `docs` entry"},
      {"an in entry that disagrees", overwrite_first(Column::kIn, std::string(12, '\1')),
       "its `in` entry differs"},
      {"a fact that cannot be decoded", overwrite_first(Column::kOut, "\xff\xff\xff"),
       "cannot be decoded"},
      {"an index entry naming no node",
       [](rocksdb::DB* db, const Handles& cf) {
         std::string id(8, '\0');
         id[7] = 99;
         ASSERT_TRUE(db->Put({}, cf(Column::kIds), "Person:ghost", id).ok());
       },
       "names node 99, which does not exist"},
      {"a counter that disagrees",
       [](rocksdb::DB* db, const Handles& cf) {
         ASSERT_TRUE(db->Put({}, cf(Column::kMeta), "count/facts", std::string(8, '\0')).ok());
       },
       "meta says 0 facts; the scan counts 27"},
  };
  for (const Damage& d : damages) {
    SCOPED_TRACE(d.what);
    TempDir dir;
    {
      std::unique_ptr<storage::Store> store = OpenStore(dir / "store");
      storage::LoadSummary summary;
      ASSERT_OK(LoadPath(*store, SeedFacts(), &summary));
    }
    WriteRaw(dir / "store", d.write);
    std::unique_ptr<storage::Store> store = OpenStore(dir / "store");
    ASSERT_NE(store, nullptr);
    Result<storage::CheckReport> report = store->Check();
    ASSERT_OK(report.status());
    EXPECT_FALSE(report->ok());
    EXPECT_GE(report->problem_count, report->problems.size());
    EXPECT_THAT(report->problems, ::testing::Contains(::testing::HasSubstr(d.expected)));
  }
}

// Found by fuzz_store_records (tests/fuzz/corpus/fuzz_store_records/crash-*-key):
// a `names` key shorter than its label id, or a `nodes` key that is not 8
// bytes, was read past its end by the canonical dump and a view's node scan
// (a name of 2^64 - 2 bytes, a node id from beyond the key).
TEST(StoreDamageTest, ShortKeysAreCorruptionNotReadsPastTheirEnd) {
  using storage::Column;
  const std::vector<std::pair<Column, std::string>> damages = {
      {Column::kNames, std::string("\0\1", 2)}, {Column::kNodes, std::string("\1")}};
  for (const auto& [column, key] : damages) {
    SCOPED_TRACE(storage::ColumnName(column));
    TempDir dir;
    {
      std::unique_ptr<storage::Store> store = OpenStore(dir / "store");
      storage::LoadSummary summary;
      ASSERT_OK(LoadPath(*store, SeedFacts(), &summary));
    }
    WriteRaw(dir / "store", [&](rocksdb::DB* db, const Handles& cf) {
      ASSERT_TRUE(db->Put({}, cf(column), key, std::string(8, '\0')).ok());
    });
    std::unique_ptr<storage::Store> store = OpenStore(dir / "store");
    ASSERT_NE(store, nullptr);
    Result<std::string> dump = store->DumpCanonical();
    EXPECT_EQ(dump.status().code(), StatusCode::kCorruption) << dump.status().ToString();
    Status scan = store->NewView()->ForEachNode([](const Node&) { return Status::OK(); });
    EXPECT_EQ(scan.code(), column == Column::kNodes ? StatusCode::kCorruption : StatusCode::kOk)
        << scan.ToString();
  }
}

// Statistics count labels and predicates by id in meta. A count of an id
// without a name used to be read out of bounds by GetStats (found by
// fuzz_store_records, tests/fuzz/corpus/fuzz_store_records/crash-count-unnamed-label),
// and a name key with a far id sized the dictionary by it; both are now
// refused when the store opens.
TEST(StoreDamageTest, MetaThatCountsOrNamesAnIdOutOfSequenceIsRefusedOnOpen) {
  auto id = [](uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 8), static_cast<char>(v)};
  };
  const std::vector<std::pair<std::string, std::string>> damages = {
      {"count/label/" + id(0x0b000000), std::string(8, '\1')},
      {"count/predicate/" + id(4000), std::string(8, '\1')},
      {"label/" + id(0xfffffffe), "Huge"},
      {"predicate/" + id(900), "FAR_AWAY"},
  };
  for (const auto& [key, value] : damages) {
    SCOPED_TRACE(key.substr(0, key.size() - 4));
    TempDir dir;
    {
      std::unique_ptr<storage::Store> store = OpenStore(dir / "store");
      storage::LoadSummary summary;
      ASSERT_OK(LoadPath(*store, SeedFacts(), &summary));
    }
    WriteRaw(dir / "store", [&](rocksdb::DB* db, const Handles& cf) {
      ASSERT_TRUE(db->Put({}, cf(storage::Column::kMeta), key, value).ok());
    });
    Result<std::unique_ptr<storage::Store>> store =
        storage::Store::Open(dir / "store", storage::StoreOptions{});
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.status().code(), StatusCode::kCorruption) << store.status().ToString();
    EXPECT_THAT(store.status().message(),
                ::testing::HasSubstr(key.starts_with("count/") ? "which has no name" : "after"));
  }
}

// A node record cut inside a fixed-width field (wire types 1 and 5) used to
// be read past its end by the graph scan's label reader and taken for a
// node of label 0; the scan now says the store is damaged.
TEST(StoreDamageTest, ANodeRecordCutInsideAFixedFieldIsCorruption) {
  for (const std::string& value : {std::string("\x09\x01\x02", 3), std::string("\x0d\x01", 2)}) {
    SCOPED_TRACE(::testing::PrintToString(value));
    TempDir dir;
    {
      std::unique_ptr<storage::Store> store = OpenStore(dir / "store");
      storage::LoadSummary summary;
      ASSERT_OK(LoadPath(*store, SeedFacts(), &summary));
    }
    WriteRaw(dir / "store", [&](rocksdb::DB* db, const Handles& cf) {
      std::string key(8, '\0');
      key[7] = 1;  // node 1, big-endian
      ASSERT_TRUE(db->Put({}, cf(storage::Column::kNodes), key, value).ok());
    });
    std::unique_ptr<storage::Store> store = OpenStore(dir / "store");
    ASSERT_NE(store, nullptr);
    uint64_t sequence = 0;
    Status scan = store->ScanGraph([](NodeId, storage::LabelId) {},
                                   [](const storage::EdgeEntry&) {}, &sequence);
    EXPECT_EQ(scan.code(), StatusCode::kCorruption) << scan.ToString();
    EXPECT_THAT(scan.message(), ::testing::HasSubstr("node record cannot be decoded"));
  }
}

// A scan gives the facts before a record it cannot decode, then stops there
// for good and says which fact it was.
TEST(StoreDamageTest, AFactCursorStopsAtARecordItCannotDecode) {
  TempDir dir;
  {
    std::unique_ptr<storage::Store> store = OpenStore(dir / "store");
    storage::LoadSummary summary;
    ASSERT_OK(LoadPath(*store, SeedFacts(), &summary));
  }
  WriteRaw(dir / "store", [](rocksdb::DB* db, const Handles& cf) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator({}, cf(storage::Column::kOut)));
    it->SeekToFirst();
    it->Next();
    ASSERT_TRUE(it->Valid());
    ASSERT_TRUE(db->Put({}, cf(storage::Column::kOut), it->key(), "\x0a\x05\x0a\x01").ok());
  });
  std::unique_ptr<storage::Store> store = OpenStore(dir / "store");
  ASSERT_NE(store, nullptr);
  std::unique_ptr<storage::StoreView> view = store->NewView();
  std::unique_ptr<storage::FactCursor> cursor = view->ScanFacts();
  Fact f;
  ASSERT_TRUE(cursor->Next(&f));
  ASSERT_OK(cursor->status());
  EXPECT_FALSE(f.sources.empty());
  EXPECT_FALSE(cursor->Next(&f));
  EXPECT_EQ(cursor->status().code(), StatusCode::kCorruption) << cursor->status().ToString();
  EXPECT_THAT(cursor->status().message(), ::testing::HasSubstr("cannot be decoded"));
  EXPECT_FALSE(cursor->Next(&f)) << "a cursor that failed goes on";
  int before = 0;
  Status scan = view->ForEachFact([&](Fact&) {
    ++before;
    return Status::OK();
  });
  EXPECT_EQ(before, 1);
  EXPECT_EQ(scan.code(), StatusCode::kCorruption);
}

// What a user of `dyad check` sees of a damaged store.
TEST(StoreCheckTest, TheCommandLineSaysTheStoreIsDamaged) {
  TempDir dir;
  const std::string db = (dir / "store").string();
  ASSERT_EQ(RunDyad({"load", "--db", db, SeedFacts().string()}).exit_code, 0);
  WriteRaw(dir / "store", [](rocksdb::DB* db, const Handles& cf) {
    ASSERT_TRUE(
        db->Delete({}, cf(storage::Column::kIn), FirstKey(db, cf(storage::Column::kIn))).ok());
  });
  RunResult r = RunDyad({"check", "--db", db, "--format", "json"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, ::testing::HasSubstr(R"("ok":false)"));
  EXPECT_THAT(r.out, ::testing::HasSubstr(R"("problem_count":2)"));  // the fact, the count
  EXPECT_THAT(r.out, ::testing::HasSubstr("no `in` entry"));
  EXPECT_THAT(r.err, ::testing::HasSubstr("is damaged: 2 problems; the first: fact "));
}

}  // namespace
}  // namespace dyad::testing
