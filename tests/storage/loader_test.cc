// Loading: idempotency, order independence, both write paths, and the
// merge rules of fact-format.md.
#include "storage/loader.h"

#include <rocksdb/db.h>

#include <algorithm>
#include <random>
#include <sstream>

#include "tests/test_util.h"

namespace dyad::testing {
namespace {

using storage::LoadOptions;
using storage::LoadSummary;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

class LoaderTest : public ::testing::Test {
 protected:
  std::unique_ptr<storage::Store> NewStore(std::string_view name) { return OpenStore(dir_ / name); }

  // Loads `text` into a fresh store and returns its canonical dump.
  std::string DumpAfterLoading(std::string_view name, const std::string& text,
                               LoadOptions options = {}) {
    auto store = NewStore(name);
    LoadSummary summary;
    Status s = LoadText(*store, text, &summary, options);
    EXPECT_TRUE(s.ok()) << s.ToString();
    Result<std::string> dump = store->DumpCanonical();
    EXPECT_TRUE(dump.ok());
    return dump.ok() ? *dump : "";
  }

  std::string Describe(storage::Store& store, std::string_view ref) {
    Result<storage::NodeId> id = store.Resolve(ref);
    if (!id.ok()) return id.status().ToString();
    Result<storage::Node> n = store.GetNode(*id);
    std::string out = n->external_id + " " + n->name + " [";
    for (const auto& a : n->aliases) out += a + ";";
    out += "]";
    for (const auto& p : n->props) {
      out += " " + p.key() + "=";
      out += p.value().has_string_value() ? p.value().string_value()
                                          : std::to_string(p.value().number_value());
    }
    return out;
  }

  TempDir dir_;
};

TEST_F(LoaderTest, SummaryCountsOfTheSeeds) {
  auto store = NewStore("s");
  LoadSummary summary;
  ASSERT_OK(LoadPath(*store, SeedFacts(), &summary));
  EXPECT_EQ(summary.lines, 53u);
  EXPECT_EQ(summary.entities, 19u);
  EXPECT_EQ(summary.facts_added, 27u);
  EXPECT_EQ(summary.facts_corroborated, 7u);
  EXPECT_EQ(summary.facts_unchanged, 0u);
  EXPECT_EQ(summary.committed_lines, 53u);
  EXPECT_TRUE(summary.bad_lines.empty());
}

TEST_F(LoaderTest, LoadingTwiceChangesNothing) {
  auto store = NewStore("s");
  LoadSummary first, second;
  ASSERT_OK(LoadPath(*store, SeedFacts(), &first));
  const std::string raw = RawScan(*store);
  ASSERT_OK(LoadPath(*store, SeedFacts(), &second));
  EXPECT_EQ(second.facts_added, 0u);
  EXPECT_EQ(second.facts_corroborated, 0u);
  EXPECT_EQ(second.facts_unchanged, 34u);
  EXPECT_EQ(RawScan(*store), raw);  // byte for byte
}

TEST_F(LoaderTest, FactOrderDoesNotChangeTheStore) {
  std::vector<std::string> entities, hindu, dawn;
  for (const auto& l : Lines(ReadFile(SeedFacts()))) {
    if (l.find("\"kind\": \"entity\"") != std::string::npos) {
      entities.push_back(l);
    } else if (l.find("hindu-2012") != std::string::npos) {
      hindu.push_back(l);
    } else if (l.find("dawn-2012") != std::string::npos) {
      dawn.push_back(l);
    }
  }
  ASSERT_EQ(entities.size(), 19u);
  ASSERT_EQ(hindu.size() + dawn.size(), 34u);
  const std::string reference = DumpAfterLoading("ref", ReadFile(SeedFacts()));

  std::vector<std::string> dawn_first = entities, hindu_first = entities, shuffled_facts;
  dawn_first.insert(dawn_first.end(), dawn.begin(), dawn.end());
  dawn_first.insert(dawn_first.end(), hindu.begin(), hindu.end());
  hindu_first.insert(hindu_first.end(), hindu.begin(), hindu.end());
  hindu_first.insert(hindu_first.end(), dawn.begin(), dawn.end());
  shuffled_facts = hindu;
  shuffled_facts.insert(shuffled_facts.end(), dawn.begin(), dawn.end());
  std::mt19937 rng(42);
  std::shuffle(shuffled_facts.begin(), shuffled_facts.end(), rng);
  std::vector<std::string> shuffled = entities;
  shuffled.insert(shuffled.end(), shuffled_facts.begin(), shuffled_facts.end());

  EXPECT_EQ(DumpAfterLoading("dawn-first", Join(dawn_first)), reference);
  EXPECT_EQ(DumpAfterLoading("hindu-first", Join(hindu_first)), reference);
  EXPECT_EQ(DumpAfterLoading("shuffled", Join(shuffled)), reference);
  EXPECT_NE(
      reference.find("fact Person:ashfaq-parvez-kayani VISITED Location:moscow from=2012-10-03"),
      std::string::npos);
}

TEST_F(LoaderTest, BulkIngestionAndWriteBatchesGiveTheSameStore) {
  const std::string seeds = ReadFile(SeedFacts());
  LoadOptions batch_path;
  batch_path.bulk_min_keys = SIZE_MAX;
  LoadOptions ingest_path;
  ingest_path.bulk_min_keys = 1;
  LoadOptions small_chunks = ingest_path;
  small_chunks.batch_records = 5;  // many ingestions, corroborations across chunks
  auto a = NewStore("batch"), b = NewStore("ingest"), c = NewStore("small");
  LoadSummary sa, sb, sc;
  ASSERT_OK(LoadText(*a, seeds, &sa, batch_path));
  ASSERT_OK(LoadText(*b, seeds, &sb, ingest_path));
  ASSERT_OK(LoadText(*c, seeds, &sc, small_chunks));
  EXPECT_EQ(RawScan(*a), RawScan(*b));
  EXPECT_EQ(RawScan(*a), RawScan(*c));
  EXPECT_EQ(sc.facts_corroborated, 7u);
  // The ingest path is idempotent too.
  LoadSummary again;
  ASSERT_OK(LoadText(*c, seeds, &again, small_chunks));
  EXPECT_EQ(again.facts_unchanged, 34u);
  EXPECT_EQ(RawScan(*a), RawScan(*c));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "small/ingest") &&
               !std::filesystem::is_empty(dir_ / "small/ingest"));
}

// A load that ingests lets level 0 collect more files than the store's
// trigger (4) before compaction, and puts the trigger back before it waits
// for compactions: the store must not be left with level-0 files that its
// own trigger would have merged, or every read would look at each of them.
// What still waits in level 0 at the end is merged into one file.
TEST_F(LoaderTest, AnIngestingLoadLeavesAtMostOneLevelZeroFilePerFamily) {
  LoadOptions one_by_one;
  one_by_one.batch_records = 1;  // each of the seeds' 53 records ingested on its own
  one_by_one.bulk_min_keys = 1;
  {
    auto store = NewStore("s");
    LoadSummary summary;
    ASSERT_OK(LoadText(*store, ReadFile(SeedFacts()), &summary, one_by_one));
    ASSERT_EQ(summary.committed_lines, 53u);
  }
  const std::string path = (dir_ / "s").string();
  std::vector<std::string> families;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &families).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& f : families) descriptors.emplace_back(f, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(
      rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), path, descriptors, &handles, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  std::vector<std::string> level_zero(handles.size());
  for (size_t i = 0; i < handles.size(); ++i) {
    if (!db->GetProperty(handles[i], "rocksdb.num-files-at-level0", &level_zero[i])) {
      level_zero[i] = "unknown";
    }
    db->DestroyColumnFamilyHandle(handles[i]).PermitUncheckedError();
  }
  for (size_t i = 0; i < handles.size(); ++i) {
    // The load merges what waits in level 0 into one file before it puts
    // the trigger back.
    EXPECT_TRUE(level_zero[i] == "0" || level_zero[i] == "1")
        << families[i] << " has " << level_zero[i] << " files in level 0";
  }
}

// A fact reported again chunks after it landed: its latest record comes
// from the facts the load keeps of recent chunks, or, once they are
// dropped, from the store; both must give the same store.
TEST_F(LoaderTest, AFactCorroboratedInLaterChunksKeepsEverySource) {
  const std::string fact =
      R"({"kind":"fact","subject":{"label":"Person","name":"Lavrov"},"predicate":"VISITED",)"
      R"("object":{"label":"Location","name":"Islamabad"},"valid_from":"2012-10-03",)"
      R"("confidence":0.5,"source":{"doc":"DOC"}})";
  auto with_doc = [&](std::string_view doc) {
    std::string line = fact;
    line.replace(line.find("DOC"), 3, doc);
    return line + "\n";
  };
  const std::string text = with_doc("d1") + with_doc("d2") + with_doc("d1") + with_doc("d3");
  LoadOptions kept;
  kept.batch_records = 1;  // each line its own chunk
  kept.bulk_min_keys = 1;
  LoadOptions dropped = kept;
  dropped.recent_fact_bytes = 0;  // every earlier fact is read from the store
  std::string dumps[2];
  for (int i = 0; i < 2; ++i) {
    auto store = NewStore(i == 0 ? "kept" : "dropped");
    LoadSummary summary;
    ASSERT_OK(LoadText(*store, text, &summary, i == 0 ? kept : dropped));
    EXPECT_EQ(summary.facts_added, 1u);
    EXPECT_EQ(summary.facts_corroborated, 2u);
    EXPECT_EQ(summary.facts_unchanged, 1u);
    Result<storage::NodeId> lavrov = store->Resolve("Lavrov");
    ASSERT_OK(lavrov.status());
    Result<storage::FactList> facts = store->FactsOf(*lavrov, storage::FactFilter{});
    ASSERT_OK(facts.status());
    ASSERT_EQ(facts->size(), 1u);
    const storage::Fact& f = facts->front();
    ASSERT_EQ(f.sources.size(), 3u);
    EXPECT_EQ(f.sources[0].doc, "d1");
    EXPECT_EQ(f.sources[1].doc, "d2");
    EXPECT_EQ(f.sources[2].doc, "d3");
    EXPECT_NEAR(f.confidence, 0.875, 1e-6);
    dumps[i] = store->DumpCanonical().value();
  }
  EXPECT_EQ(dumps[0], dumps[1]);
}

TEST_F(LoaderTest, GeneratedGraphLoadsWithTheGeneratorsCounts) {
  std::optional<std::filesystem::path> shared = SharedDir();
  if (!shared) GTEST_SKIP() << "../shared/bench is not here";
  TempDir data;
  std::string cmd = "python3 " + (*shared / "bench/gen_facts.py").string() + " --scale XS --out " +
                    data.path().string() + " >/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const std::string text = ReadFile(data / "facts.jsonl");
  const size_t edges = Lines(ReadFile(data / "edges.csv")).size() - 1;
  const size_t nodes = Lines(ReadFile(data / "nodes.csv")).size() - 1;
  LoadOptions ingest;
  ingest.batch_records = 3000;
  ingest.bulk_min_keys = 1;
  LoadOptions batches;
  batches.batch_records = 3000;
  batches.bulk_min_keys = SIZE_MAX;
  auto a = NewStore("a"), b = NewStore("b");
  LoadSummary sa, sb;
  ASSERT_OK(LoadText(*a, text, &sa, ingest));
  ASSERT_OK(LoadText(*b, text, &sb, batches));
  EXPECT_EQ(sa.facts_added, edges);
  EXPECT_EQ(a->GetStats().facts, edges);
  EXPECT_EQ(a->GetStats().nodes, nodes);
  EXPECT_GT(sa.facts_corroborated, 0u);
  EXPECT_EQ(RawScan(*a), RawScan(*b));
}

TEST_F(LoaderTest, RedeclaringAnEntityUnionsAliasesAndOverwritesPropsKeyByKey) {
  auto store = NewStore("s");
  LoadSummary s;
  ASSERT_OK(LoadText(
      *store,
      R"({"kind":"entity","label":"Person","name":"Imran Khan","aliases":["Khan"],"props":{"party":"PTI","born":1952}})"
      "\n"
      R"({"kind":"entity","label":"Person","name":"imran  KHAN","aliases":["IK","Khan"],"props":{"party":"PTI-2","office":"PM"}})",
      &s));
  EXPECT_EQ(s.entities, 2u);
  EXPECT_EQ(store->GetStats().nodes, 1u);
  EXPECT_EQ(Describe(*store, "IK"),
            "Person:imran-khan Imran Khan [Khan;IK;] born=1952.000000 office=PM party=PTI-2");
}

TEST_F(LoaderTest, AliasConflictLaterThanAPlainNodeNamesBothNodes) {
  auto store = NewStore("s");
  LoadSummary s;
  ASSERT_OK(LoadText(
      *store,
      R"({"kind":"fact","subject":{"label":"Person","name":"Kiani"},"predicate":"VISITED","object":{"label":"Location","name":"Moscow"},"source":{"doc":"d1"}})",
      &s));
  Status st = LoadText(
      *store,
      R"({"kind":"entity","label":"Person","name":"Ashfaq Parvez Kayani","aliases":["Kayani","Kiani"]})",
      &s);
  ASSERT_TRUE(st.IsInvalidArgument()) << st.ToString();
  EXPECT_THAT(st.message(), ::testing::HasSubstr("facts.jsonl:1: aliases[1]:"));
  EXPECT_THAT(st.message(), ::testing::HasSubstr("Person:kiani"));
  EXPECT_THAT(st.message(), ::testing::HasSubstr("Person:ashfaq-parvez-kayani"));
  EXPECT_TRUE(store->Resolve("Ashfaq Parvez Kayani").status().IsNotFound());
  EXPECT_EQ(store->GetStats().nodes, 2u);
}

TEST_F(LoaderTest, SameNameUnderAnotherLabelIsAnotherNode) {
  auto store = NewStore("s");
  LoadSummary s;
  ASSERT_OK(LoadText(*store,
                     R"({"kind":"entity","label":"Country","name":"Russia","aliases":["Moscow"]})"
                     "\n"
                     R"({"kind":"entity","label":"Location","name":"Moscow"})",
                     &s));
  EXPECT_EQ(store->GetStats().nodes, 2u);
  EXPECT_TRUE(store->Resolve("Moscow").status().IsAmbiguous());
}

TEST_F(LoaderTest, ReferencesByIdAndExplicitIds) {
  auto store = NewStore("s");
  LoadSummary s;
  ASSERT_OK(LoadText(
      *store,
      R"({"kind":"entity","label":"Country","name":"Russia","id":"Q159"})"
      "\n"
      R"({"kind":"fact","subject":{"id":"Q159"},"predicate":"MET","object":{"label":"Country","name":"India"},"source":{"doc":"d"}})",
      &s));
  EXPECT_EQ(Describe(*store, "Q159"), "Q159 Russia []");
  EXPECT_EQ(Describe(*store, "India"), "Country:india India []");
  storage::FactFilter all;
  EXPECT_EQ(store->FactsOf(*store->Resolve("Russia"), all)->size(), 1u);
}

TEST_F(LoaderTest, CorroborationTakesLatestValidToOpenWinsAndEarliestProps) {
  auto store = NewStore("s");
  LoadSummary s;
  const std::string head =
      R"({"kind":"fact","subject":{"label":"Country","name":"A"},"predicate":"MET","object":{"label":"Country","name":"B"},"valid_from":"2020-01-01")";
  ASSERT_OK(LoadText(
      *store,
      head +
          R"(,"valid_to":"2020-01-05","props":{"k":"first"},"confidence":0.5,"source":{"doc":"d1"}})"
          "\n" +
          head +
          R"(,"valid_to":"2020-01-09","props":{"k":"second","j":1},"confidence":0.5,"source":{"doc":"d2"}})",
      &s));
  auto facts = store->FactsOf(*store->Resolve("A"), {});
  ASSERT_EQ(facts->size(), 1u);
  const storage::Fact& f = facts->front();
  EXPECT_EQ(storage::FormatDay(f.valid_to), "2020-01-09");
  EXPECT_DOUBLE_EQ(f.confidence, 0.75);
  ASSERT_EQ(f.props.size(), 2u);
  EXPECT_EQ(f.props[1].key(), "k");
  EXPECT_EQ(f.props[1].value().string_value(), "first");
  ASSERT_OK(LoadText(*store, head + R"(,"source":{"doc":"d3"}})", &s));
  facts = store->FactsOf(*store->Resolve("A"), {});
  EXPECT_EQ(facts->front().valid_to, storage::kOpenDay);  // one source leaves it open
  EXPECT_DOUBLE_EQ(facts->front().confidence, 1.0);
}

TEST_F(LoaderTest, SyncLoadsAreDurableAndEqual) {
  LoadOptions sync;
  sync.sync = true;
  sync.batch_records = 10;
  EXPECT_EQ(DumpAfterLoading("sync", ReadFile(SeedFacts()), sync),
            DumpAfterLoading("plain", ReadFile(SeedFacts())));
}

// The loader tells of each chunk once it is in the store: the store at
// that moment holds exactly the records the chunk's committed_lines counts.
TEST_F(LoaderTest, EveryCommittedChunkIsToldInOrderAndIsInTheStore) {
  const std::vector<std::string> seeds = Lines(ReadFile(SeedFacts()));
  const std::string text = Join(seeds);
  auto store = NewStore("told");
  std::vector<storage::ChunkCommitted> told;
  std::vector<uint64_t> facts_then;
  LoadOptions options;
  options.batch_records = 10;
  options.on_commit = [&](const storage::ChunkCommitted& c) {
    told.push_back(c);
    facts_then.push_back(store->GetStats().facts);
    return Status::OK();
  };
  LoadSummary summary;
  ASSERT_OK(LoadText(*store, text, &summary, options));
  ASSERT_EQ(told.size(), 6u);  // 53 records in chunks of 10
  for (size_t i = 0; i < told.size(); ++i) {
    EXPECT_EQ(told[i].chunk, i + 1);
    EXPECT_EQ(told[i].committed_lines, std::min<uint64_t>(10 * (i + 1), 53));
  }
  // Each chunk's facts are in the store when it is told (compare with
  // a load of just that prefix).
  size_t records = 0;
  std::string prefix;
  for (size_t i = 0, chunk = 0; i < seeds.size() && chunk < told.size(); ++i) {
    prefix += seeds[i] + "\n";
    const std::string& l = seeds[i];
    if (l.empty() || l[0] == '#') continue;
    if (++records != told[chunk].committed_lines) continue;
    auto alone = NewStore("prefix" + std::to_string(chunk));
    LoadSummary s;
    ASSERT_OK(LoadText(*alone, prefix, &s));
    EXPECT_EQ(alone->GetStats().facts, facts_then[chunk]) << "chunk " << chunk + 1;
    ++chunk;
  }
}

TEST_F(LoaderTest, AFailureToTellAChunkStopsTheLoadWithTheChunkKept) {
  auto store = NewStore("stopped");
  LoadOptions options;
  options.batch_records = 10;
  options.on_commit = [&](const storage::ChunkCommitted& c) {
    return c.chunk == 2 ? Status::IOError("the ack log is gone") : Status::OK();
  };
  LoadSummary summary;
  Status s = LoadText(*store, ReadFile(SeedFacts()), &summary, options);
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  EXPECT_THAT(s.message(), ::testing::HasSubstr("the ack log is gone"));
  EXPECT_EQ(summary.committed_lines, 20u);
  Result<storage::CheckReport> report = store->Check();
  ASSERT_OK(report.status());
  EXPECT_TRUE(report->ok()) << ::testing::PrintToString(report->problems);
}

}  // namespace
}  // namespace dyad::testing
