// The snapshot and its manager: a load is visible to the next query, the
// image persisted beside the store is mapped when current and never when
// stale or damaged, Boost's algorithms run on the adaptor, and readers see
// a consistent snapshot while a loader writes.
#include "graph/snapshot.h"

#include <atomic>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/visitors.hpp>
#include <cstdio>
#include <filesystem>
#include <random>
#include <thread>

#include "graph/boost_adaptor.h"
#include "graph/query.h"
#include "graph/snapshot_manager.h"
#include "graph/traversal.h"
#include "storage/dates.h"
#include "tests/graph/reference.h"
#include "tests/test_util.h"

namespace dyad::testing {
namespace {

namespace fs = std::filesystem;
using graph::CsrImage;
using graph::EdgeProps;
using graph::Limit;
using graph::Neighbourhood;
using graph::PathMode;
using graph::PathResult;
using graph::QueryEngine;
using graph::QueryLimits;
using graph::Snapshot;
using graph::SnapshotManager;
using graph::SnapshotOptions;
using graph::Step;
using graph::VertexId;
using graph::Vocabulary;
using ::testing::UnorderedElementsAre;

std::string EdgeLine(uint64_t subject, uint64_t object, uint32_t predicate, DayCode from,
                     DayCode to, float confidence, uint32_t sources) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "edge %llu -%u-> %llu from %u to %u conf %.9g sources %u",
                static_cast<unsigned long long>(subject), predicate,
                static_cast<unsigned long long>(object), from, to, static_cast<double>(confidence),
                sources);
  return buf;
}

std::string Join(std::vector<std::string> lines) {
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

// Every node (with its label) and every fact (with what filters look at)
// that a snapshot holds, in a canonical order.
std::string SnapshotDigest(const Snapshot& snap) {
  std::vector<std::string> lines;
  for (VertexId v = 0; v < snap.vertex_count(); ++v) {
    if (snap.has_node(v))
      lines.push_back("node " + std::to_string(v) + " label " + std::to_string(snap.label(v)));
    snap.ForEachOut(v, [&](Step s) {
      const EdgeProps& p = snap.props(s.edge);
      lines.push_back(
          EdgeLine(v, s.other, p.predicate, p.valid_from, p.valid_to, p.confidence, p.sources));
    });
  }
  return Join(std::move(lines));
}

// The same, read from the store.
std::string StoreDigest(const storage::Store& store) {
  std::vector<std::string> lines;
  uint64_t sequence = 0;
  Status s = store.ScanGraph(
      [&](NodeId id, storage::LabelId label) {
        lines.push_back("node " + std::to_string(id) + " label " + std::to_string(label));
      },
      [&](const storage::EdgeEntry& e) {
        lines.push_back(EdgeLine(e.key.subject, e.key.object, e.key.predicate, e.key.valid_from,
                                 e.valid_to, e.confidence, std::min<uint32_t>(e.sources, 65535)));
      },
      &sequence);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return Join(std::move(lines));
}

// Each fact is listed once out of its subject and once into its object,
// under the same edge index.
void ExpectInMirrorsOut(const Snapshot& snap) {
  std::vector<std::tuple<VertexId, VertexId, graph::EdgeIndex>> out, in;
  for (VertexId v = 0; v < snap.vertex_count(); ++v) {
    snap.ForEachOut(v, [&](Step s) { out.emplace_back(v, s.other, s.edge); });
    snap.ForEachIn(v, [&](Step s) { in.emplace_back(s.other, v, s.edge); });
  }
  std::sort(out.begin(), out.end());
  std::sort(in.begin(), in.end());
  EXPECT_EQ(out, in);
  EXPECT_EQ(out.size(), snap.edge_count());
}

// Answers to a spread of queries, as text, to compare snapshots by.
std::string Answers(const storage::Store& store, const Snapshot& snap) {
  QueryEngine engine(store, Vocabulary::Default());
  std::string out;
  const uint64_t nodes = store.GetStats().nodes;
  for (NodeId v = 1; v <= nodes; ++v) {
    Result<Neighbourhood> n = engine.Neighbours(snap, v, 2, {}, {});
    if (!n.ok()) return "error " + n.status().ToString();
    out += "N" + std::to_string(v) + ":";
    for (const auto& [id, h] : n->nodes) out += " " + std::to_string(id) + "@" + std::to_string(h);
    out += KeysString(store, ToSet(n->facts)) + "\n";
    const NodeId to = nodes + 1 - v;
    if (to == v) continue;
    Result<PathResult> p = engine.Paths(snap, v, to, {PathMode::kAllShortest}, {}, QueryLimits{});
    if (!p.ok()) return "error " + p.status().ToString();
    out += "P" + std::to_string(v) + "-" + std::to_string(to) + ":" +
           (p->hops ? std::to_string(*p->hops) : "none");
    for (const auto& path : p->paths) {
      out += " [";
      for (NodeId x : path.nodes) out += " " + std::to_string(x);
      out += " ]";
    }
    out += "\n";
  }
  return out;
}

// Facts that add a person (through a fact that names him) and corroborate
// Russia COOPERATED_ECONOMICALLY Pakistan (0.7 -> 1 - 0.3 * 0.1 = 0.97).
constexpr const char* kMoreFacts =
    R"({"kind":"fact","subject":{"label":"Person","name":"Ashfaq Parvez Kayani"},"predicate":"MET","object":{"label":"Person","name":"Anatoly Serdyukov"},"valid_from":"2012-10-04","confidence":0.8,"source":{"doc":"ria-2012-10-05","published":"2012-10-05"}}
{"kind":"fact","subject":{"label":"Person","name":"Anatoly Serdyukov"},"predicate":"HOLDS_OFFICE","object":{"label":"Country","name":"Russia"},"source":{"doc":"ria-2012-10-05","published":"2012-10-05"}}
{"kind":"fact","subject":{"label":"Country","name":"Russia"},"predicate":"COOPERATED_ECONOMICALLY","object":{"label":"Country","name":"Pakistan"},"valid_from":"2012-01-01","confidence":0.9,"source":{"doc":"ria-2012-10-05","published":"2012-10-05"}}
)";

class SnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    store_ = OpenStore(dir_ / "store");
    ASSERT_NE(store_, nullptr);
  }
  void Close() {
    manager_.reset();
    store_.reset();
  }
  void LoadSeeds() {
    storage::LoadSummary summary;
    ASSERT_OK(LoadPath(*store_, SeedFacts(), &summary));
  }
  void LoadMore() {
    storage::LoadSummary summary;
    ASSERT_OK(LoadText(*store_, kMoreFacts, &summary, {}, "more.jsonl"));
    EXPECT_EQ(summary.facts_added, 2u);
    EXPECT_EQ(summary.facts_corroborated, 1u);
  }
  void OpenManager(SnapshotOptions options = {}) {
    Result<std::unique_ptr<SnapshotManager>> m = SnapshotManager::Open(*store_, options);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    manager_ = std::move(m).value();
    ASSERT_NE(manager_->Current(), nullptr);
  }

  NodeId Id(std::string_view ref) const {
    Result<NodeId> id = store_->Resolve(ref);
    EXPECT_TRUE(id.ok()) << ref << ": " << id.status().ToString();
    return id.ok() ? *id : 0;
  }
  std::vector<std::string> NeighbourNames(const Snapshot& snap, std::string_view start) const {
    QueryEngine engine(*store_, Vocabulary::Default());
    Result<Neighbourhood> n = engine.Neighbours(snap, Id(start), 1, {}, {});
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    std::vector<std::string> out;
    if (!n.ok()) return out;
    for (const auto& [id, h] : n->nodes) out.push_back(store_->GetNode(id)->name);
    return out;
  }
  // Russia's facts of confidence 0.95 or more.
  size_t CredibleFactsOfRussia(const Snapshot& snap) const {
    QueryEngine engine(*store_, Vocabulary::Default());
    TraversalFilter f;
    f.min_confidence = 0.95;
    Limit truncated;
    Result<std::vector<FactKey>> facts =
        engine.FactsOf(snap, Id("Country:Russia"), f, {}, &truncated);
    EXPECT_TRUE(facts.ok());
    return facts.ok() ? facts->size() : 0;
  }
  fs::path ImagePath() const { return SnapshotManager::ImagePath(store_->dir()); }

  TempDir dir_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<SnapshotManager> manager_;
};

TEST_F(SnapshotTest, ALoadIsVisibleToTheNextQuery) {
  LoadSeeds();
  OpenManager();
  const std::shared_ptr<const Snapshot> before = manager_->Current();
  const std::string before_digest = SnapshotDigest(*before);
  EXPECT_EQ(before->edge_count(), 27u);
  EXPECT_EQ(before_digest, StoreDigest(*store_));
  EXPECT_THAT(NeighbourNames(*before, "Kiani"), UnorderedElementsAre("Moscow", "Pakistan"));
  // Lavrov and Putin HOLDS_OFFICE, Moscow LOCATED_IN.
  EXPECT_EQ(CredibleFactsOfRussia(*before), 3u);

  LoadMore();
  const std::shared_ptr<const Snapshot> after = manager_->Current();
  EXPECT_EQ(after->edge_count(), 29u);
  EXPECT_TRUE(after->has_node(static_cast<VertexId>(Id("Anatoly Serdyukov"))));
  EXPECT_THAT(NeighbourNames(*after, "Kiani"),
              UnorderedElementsAre("Moscow", "Pakistan", "Anatoly Serdyukov"));
  EXPECT_THAT(NeighbourNames(*after, "Anatoly Serdyukov"),
              UnorderedElementsAre("Ashfaq Parvez Kayani", "Russia"));
  // Serdyukov, and COOPERATED_ECONOMICALLY now at 0.97.
  EXPECT_EQ(CredibleFactsOfRussia(*after), 5u);
  EXPECT_EQ(SnapshotDigest(*after), StoreDigest(*store_));
  ExpectInMirrorsOut(*after);

  // The most credible fact between Pakistan and Russia is the corroborated
  // one: it sets the cost of the step.
  QueryEngine engine(*store_, Vocabulary::Default());
  Result<PathResult> p = engine.Paths(*after, Id("Country:Pakistan"), Id("Country:Russia"),
                                      {PathMode::kShortest}, {}, {});
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->paths.size(), 1u);
  EXPECT_NEAR(p->paths[0].cost, -std::log(0.97), 1e-5);

  // A snapshot a reader holds never changes.
  EXPECT_EQ(SnapshotDigest(*before), before_digest);
  EXPECT_EQ(before->edge_count(), 27u);
  EXPECT_EQ(CredibleFactsOfRussia(*before), 3u);
  EXPECT_THAT(NeighbourNames(*before, "Kiani"), UnorderedElementsAre("Moscow", "Pakistan"));

  // Loading the same file again changes nothing.
  storage::LoadSummary summary;
  ASSERT_OK(LoadText(*store_, kMoreFacts, &summary, {}, "more.jsonl"));
  EXPECT_EQ(manager_->Current()->edge_count(), 29u);
  EXPECT_EQ(SnapshotDigest(*manager_->Current()), StoreDigest(*store_));
}

TEST_F(SnapshotTest, FactsAndNodesOfTheDeltaAreUpdatedInPlace) {
  LoadSeeds();
  OpenManager();
  LoadMore();  // MET Serdyukov 0.8 is a delta fact now
  storage::LoadSummary summary;
  ASSERT_OK(LoadText(
      *store_,
      R"({"kind":"entity","label":"Person","name":"Anatoly Serdyukov","aliases":["Serdyukov"]}
{"kind":"entity","label":"Topic","name":"Arms trade"}
{"kind":"fact","subject":{"label":"Person","name":"Ashfaq Parvez Kayani"},"predicate":"MET","object":{"label":"Person","name":"Anatoly Serdyukov"},"valid_from":"2012-10-04","confidence":0.5,"source":{"doc":"tass-2012-10-05"}}
)",
      &summary, {}, "again.jsonl"));
  EXPECT_EQ(summary.facts_corroborated, 1u);
  const std::shared_ptr<const Snapshot> snap = manager_->Current();
  EXPECT_EQ(snap->edge_count(), 29u);
  EXPECT_EQ(SnapshotDigest(*snap), StoreDigest(*store_));  // MET at 1 - 0.2 * 0.5 = 0.9
  EXPECT_TRUE(snap->has_node(static_cast<VertexId>(Id("Topic:Arms trade"))));
  EXPECT_EQ(snap->label(static_cast<VertexId>(Id("Topic:Arms trade"))),
            store_->LabelIdOf("Topic").value_or(0));
  ExpectInMirrorsOut(*snap);
  QueryEngine engine(*store_, Vocabulary::Default());
  TraversalFilter f;
  f.min_confidence = 0.85;
  f.predicates = {"MET"};
  Result<Neighbourhood> n = engine.Neighbours(*snap, Id("Kiani"), 1, f, {});
  ASSERT_TRUE(n.ok());
  ASSERT_EQ(n->nodes.size(), 1u);
  EXPECT_EQ(n->nodes[0].first, Id("Serdyukov"));
}

// One engine answers dyads on snapshots old and new: the actors it rolled
// up for one snapshot never answer for another. Serdyukov becomes an actor
// of Russia in `after`, and Kayani's meeting with him a Pakistan -> Russia
// event there, and only there.
TEST_F(SnapshotTest, ADyadSeesTheActorsOfItsOwnSnapshot) {
  LoadSeeds();
  OpenManager();
  QueryEngine engine(*store_, Vocabulary::Default());
  auto events = [&](const Snapshot& snap) {
    Result<graph::DyadTimeline> d = engine.Dyad(snap, Id("Country:Russia"), Id("Country:Pakistan"),
                                                graph::Period::kYear, {}, {});
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? std::pair(d->a_to_b.events, d->b_to_a.events) : std::pair<uint64_t, uint64_t>();
  };
  const std::shared_ptr<const Snapshot> before = manager_->Current();
  const auto seeds = events(*before);
  EXPECT_EQ(events(*before), seeds);  // asked twice, the second from what it remembers

  LoadMore();
  const std::shared_ptr<const Snapshot> after = manager_->Current();
  // COOPERATED_ECONOMICALLY was there already (now corroborated); the
  // meeting is new.
  EXPECT_EQ(events(*after), std::pair(seeds.first, seeds.second + 1));
  EXPECT_EQ(events(*before), seeds);
  EXPECT_EQ(events(*after), std::pair(seeds.first, seeds.second + 1));
}

TEST_F(SnapshotTest, AnEmptyStoreHasAnEmptySnapshotUntilALoad) {
  OpenManager();
  EXPECT_EQ(manager_->Current()->edge_count(), 0u);
  LoadSeeds();
  const std::shared_ptr<const Snapshot> snap = manager_->Current();
  EXPECT_EQ(snap->edge_count(), 27u);
  EXPECT_EQ(SnapshotDigest(*snap), StoreDigest(*store_));
  ExpectInMirrorsOut(*snap);
  EXPECT_THAT(NeighbourNames(*snap, "Kiani"), UnorderedElementsAre("Moscow", "Pakistan"));
}

TEST_F(SnapshotTest, PersistedImageIsMappedOnReopen) {
  LoadSeeds();
  OpenManager();
  EXPECT_FALSE(manager_->info().mapped);
  EXPECT_TRUE(fs::exists(ImagePath()));
  const std::string digest = SnapshotDigest(*manager_->Current());
  const std::string answers = Answers(*store_, *manager_->Current());
  Close();

  Open();
  OpenManager();
  EXPECT_TRUE(manager_->info().mapped);
  EXPECT_TRUE(manager_->Current()->base().mapped());
  EXPECT_EQ(SnapshotDigest(*manager_->Current()), digest);
  EXPECT_EQ(Answers(*store_, *manager_->Current()), answers);
  ExpectInMirrorsOut(*manager_->Current());

  // A load on the mapped image lands in the delta as usual.
  LoadMore();
  EXPECT_EQ(SnapshotDigest(*manager_->Current()), StoreDigest(*store_));
}

TEST_F(SnapshotTest, WithoutPersistNoImageIsWritten) {
  LoadSeeds();
  SnapshotOptions options;
  options.persist = false;
  OpenManager(options);
  EXPECT_FALSE(fs::exists(ImagePath()));
  EXPECT_EQ(SnapshotDigest(*manager_->Current()), StoreDigest(*store_));
}

TEST_F(SnapshotTest, StaleImageIsNotUsedAfterALoadInAnotherSession) {
  LoadSeeds();
  OpenManager();
  Close();

  // Another session loads without the graph layer.
  Open();
  LoadMore();
  Close();

  Open();
  OpenManager();
  EXPECT_FALSE(manager_->info().mapped);
  EXPECT_EQ(SnapshotDigest(*manager_->Current()), StoreDigest(*store_));
  EXPECT_THAT(NeighbourNames(*manager_->Current(), "Kiani"),
              UnorderedElementsAre("Moscow", "Pakistan", "Anatoly Serdyukov"));
  EXPECT_EQ(CredibleFactsOfRussia(*manager_->Current()), 5u);
  const std::string answers = Answers(*store_, *manager_->Current());
  Close();

  // The image built then is current now.
  Open();
  OpenManager();
  EXPECT_TRUE(manager_->info().mapped);
  EXPECT_EQ(Answers(*store_, *manager_->Current()), answers);
}

TEST_F(SnapshotTest, ALoadWhileOpenIsThereAfterReopen) {
  LoadSeeds();
  OpenManager();
  LoadMore();
  Close();

  Open();
  OpenManager();
  EXPECT_EQ(SnapshotDigest(*manager_->Current()), StoreDigest(*store_));
  EXPECT_THAT(NeighbourNames(*manager_->Current(), "Kiani"),
              UnorderedElementsAre("Moscow", "Pakistan", "Anatoly Serdyukov"));
}

TEST_F(SnapshotTest, DamagedImageIsRebuilt) {
  LoadSeeds();
  OpenManager();
  const std::string answers = Answers(*store_, *manager_->Current());
  Close();
  const fs::path image = SnapshotManager::ImagePath(dir_ / "store");
  ASSERT_TRUE(fs::exists(image));

  // Cut short.
  fs::resize_file(image, fs::file_size(image) / 2);
  Result<std::shared_ptr<const CsrImage>> mapped = CsrImage::Map(image);
  ASSERT_FALSE(mapped.ok());
  EXPECT_EQ(mapped.status().code(), StatusCode::kCorruption) << mapped.status().ToString();
  Open();
  OpenManager();
  EXPECT_FALSE(manager_->info().mapped);
  EXPECT_EQ(Answers(*store_, *manager_->Current()), answers);
  Close();

  // Not an image at all.
  WriteFile(image, "not a graph image");
  EXPECT_EQ(CsrImage::Map(image).status().code(), StatusCode::kCorruption);
  Open();
  OpenManager();
  EXPECT_FALSE(manager_->info().mapped);
  EXPECT_EQ(Answers(*store_, *manager_->Current()), answers);
  Close();

  // Gone.
  fs::remove(image);
  EXPECT_EQ(CsrImage::Map(image).status().code(), StatusCode::kNotFound);
  Open();
  OpenManager();
  EXPECT_FALSE(manager_->info().mapped);
  EXPECT_EQ(Answers(*store_, *manager_->Current()), answers);
}

TEST_F(SnapshotTest, RebuildFoldsTheDeltaIntoANewBase) {
  LoadSeeds();
  OpenManager();
  LoadMore();
  EXPECT_GT(manager_->Current()->delta_edges(), 0u);
  const std::string answers = Answers(*store_, *manager_->Current());
  ASSERT_OK(manager_->Rebuild());
  EXPECT_EQ(manager_->Current()->delta_edges(), 0u);
  EXPECT_EQ(manager_->Current()->base().edge_count(), 29u);
  EXPECT_EQ(SnapshotDigest(*manager_->Current()), StoreDigest(*store_));
  EXPECT_EQ(Answers(*store_, *manager_->Current()), answers);
  Close();

  Open();
  OpenManager();
  EXPECT_TRUE(manager_->info().mapped) << "Rebuild persists the new base";
  EXPECT_EQ(Answers(*store_, *manager_->Current()), answers);
}

TEST_F(SnapshotTest, BackgroundRebuildsLoseNoFact) {
  // Rebuild after every chunk, while the load goes on.
  SnapshotOptions options;
  options.rebuild_min_edges = 1;
  options.rebuild_ratio = 0;
  OpenManager(options);
  GenOptions gen;
  gen.nodes = 200;
  gen.events = 1500;
  storage::LoadOptions load;
  load.batch_records = 40;
  storage::LoadSummary summary;
  ASSERT_OK(LoadText(*store_, RandomGraph(31, gen).Jsonl(), &summary, load));
  const std::shared_ptr<const Snapshot> snap = manager_->Current();
  EXPECT_EQ(snap->edge_count(), store_->GetStats().facts);
  EXPECT_EQ(SnapshotDigest(*snap), StoreDigest(*store_));
  ExpectInMirrorsOut(*snap);
}

// Boost's breadth_first_search on the adaptor finds the hops Neighbours
// reports, for every start and a few filters.
TEST_F(SnapshotTest, BoostBreadthFirstSearchRunsOnTheSnapshot) {
  LoadSeeds();
  OpenManager();
  LoadMore();  // a delta too
  const std::shared_ptr<const Snapshot> snap = manager_->Current();
  QueryEngine engine(*store_, Vocabulary::Default());
  std::vector<TraversalFilter> filters(4);
  filters[1].direction = storage::Direction::kOut;
  filters[2].labels = {"Person", "Country"};
  filters[3].min_confidence = 0.9;
  for (size_t fi = 0; fi < filters.size(); ++fi) {
    for (VertexId start = 1; start < snap->vertex_count(); ++start) {
      if (!snap->has_node(start)) continue;
      SCOPED_TRACE("filter " + std::to_string(fi) + ", start " + std::to_string(start));
      graph::Traversal traversal(*snap, *store_, Vocabulary::Default(), filters[fi], {start});
      graph::TraversalGraph g{&traversal, {}};
      std::vector<int> hops(graph::num_vertices(g), -1);
      hops[start] = 0;
      boost::breadth_first_search(g, start,
                                  boost::visitor(boost::make_bfs_visitor(boost::record_distances(
                                                     hops.data(), boost::on_tree_edge())))
                                      .vertex_index_map(graph::VertexIndexMap()));
      std::vector<std::pair<NodeId, int>> want;
      for (VertexId v = 0; v < hops.size(); ++v) {
        if (hops[v] > 0) want.emplace_back(v, hops[v]);
      }
      std::sort(want.begin(), want.end(), [](const auto& a, const auto& b) {
        return std::tie(a.second, a.first) < std::tie(b.second, b.first);
      });
      Result<Neighbourhood> n = engine.Neighbours(*snap, start, 64, filters[fi], {});
      ASSERT_TRUE(n.ok());
      EXPECT_EQ(n->nodes, want);
    }
  }
}

// Readers query Current() while a loader commits small chunks: each
// snapshot is whole (every fact's ends are nodes of it), and nothing a
// reader saw disappears from the next snapshot.
TEST_F(SnapshotTest, ReadersSeeConsistentSnapshotsDuringALoad) {
  SnapshotOptions options;
  options.rebuild_min_edges = 300;  // a few background rebuilds on the way
  options.rebuild_ratio = 0.05;
  OpenManager(options);
  GenOptions gen;
  gen.countries = 6;
  gen.nodes = 500;
  gen.events = 3000;
  const std::string jsonl = RandomGraph(77, gen).Jsonl();

  std::atomic<bool> done{false};
  std::atomic<uint64_t> reads{0}, dangling{0}, shrank{0}, miscounted{0}, query_errors{0},
      unknown_nodes{0};
  auto reader = [&](uint32_t seed) {
    QueryEngine engine(*store_, Vocabulary::Default());
    std::mt19937 rng(seed);
    uint64_t last_sequence = 0, last_nodes = 0, last_edges = 0;
    for (bool last = false; !last;) {
      last = done.load();
      const std::shared_ptr<const Snapshot> snap = manager_->Current();
      uint64_t nodes = 0, edges = 0;
      std::vector<VertexId> present;
      for (VertexId v = 0; v < snap->vertex_count(); ++v) {
        if (snap->has_node(v)) {
          ++nodes;
          present.push_back(v);
        }
        snap->ForEachOut(v, [&](Step s) {
          ++edges;
          if (!snap->has_node(v) || !snap->has_node(s.other)) ++dangling;
        });
      }
      if (snap->sequence() < last_sequence || nodes < last_nodes || edges < last_edges) ++shrank;
      if (snap->edge_count() != edges) ++miscounted;
      last_sequence = snap->sequence();
      last_nodes = nodes;
      last_edges = edges;
      if (!present.empty()) {
        const VertexId start = present[rng() % present.size()];
        Result<Neighbourhood> n = engine.Neighbours(*snap, start, 2, {}, {});
        if (!n.ok()) {
          ++query_errors;
        } else {
          for (const auto& [v, h] : n->nodes) {
            if (!snap->has_node(static_cast<VertexId>(v))) ++unknown_nodes;
          }
        }
        const VertexId to = present[rng() % present.size()];
        if (!engine.Paths(*snap, start, to, {PathMode::kShortest}, {}, {}).ok()) ++query_errors;
      }
      ++reads;
    }
  };
  std::vector<std::thread> readers;
  for (uint32_t i = 0; i < 3; ++i) readers.emplace_back(reader, i + 1);
  storage::LoadOptions load;
  load.batch_records = 50;
  storage::LoadSummary summary;
  Status loaded = LoadText(*store_, jsonl, &summary, load);
  done = true;
  for (std::thread& t : readers) t.join();
  ASSERT_OK(loaded);

  EXPECT_GT(reads.load(), 0u);
  EXPECT_EQ(dangling.load(), 0u) << "facts whose ends are not nodes of the snapshot";
  EXPECT_EQ(shrank.load(), 0u) << "a snapshot with less than the one before";
  EXPECT_EQ(miscounted.load(), 0u) << "edge_count() differs from the facts listed";
  EXPECT_EQ(query_errors.load(), 0u);
  EXPECT_EQ(unknown_nodes.load(), 0u);
  const std::shared_ptr<const Snapshot> snap = manager_->Current();
  EXPECT_EQ(snap->edge_count(), store_->GetStats().facts);
  EXPECT_EQ(SnapshotDigest(*snap), StoreDigest(*store_));
  ExpectInMirrorsOut(*snap);
}

}  // namespace
}  // namespace dyad::testing
