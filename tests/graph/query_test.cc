// The query layer on the seed facts: every path, neighbourhood and dyad
// answer of ../shared/data/seeds/expected.md, a node's facts against the
// store's own FactsOf, and each filter and limit on its own and combined.
#include "graph/query.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <set>

#include "graph/snapshot_manager.h"
#include "storage/dates.h"
#include "tests/graph/reference.h"
#include "tests/test_util.h"

namespace dyad::testing {
namespace {

using graph::Limit;
using graph::Neighbourhood;
using graph::Path;
using graph::PathMode;
using graph::PathQuery;
using graph::PathResult;
using graph::Period;
using graph::QueryEngine;
using graph::QueryLimits;
using graph::Snapshot;
using graph::SnapshotManager;
using graph::Vocabulary;
using storage::Direction;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;
using ::testing::UnorderedElementsAreArray;

DayCode Day(std::string_view text) {
  Result<DayCode> d = storage::ParseDay(text);
  EXPECT_TRUE(d.ok()) << text;
  return d.ok() ? *d : storage::kOpenDay;
}

// The seeds, loaded once for the whole suite (no test writes to them).
class SeedQueryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    store_ = OpenStore(dir_->path() / "store").release();
    ASSERT_NE(store_, nullptr);
    storage::LoadSummary summary;
    ASSERT_OK(LoadPath(*store_, SeedFacts(), &summary));
    Result<std::unique_ptr<SnapshotManager>> m = SnapshotManager::Open(*store_, {});
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    manager_ = std::move(m).value().release();
    engine_ = new QueryEngine(*store_, Vocabulary::Default());
  }
  static void TearDownTestSuite() {
    delete engine_;
    delete manager_;
    delete store_;
    delete dir_;
  }
  void SetUp() override {
    ASSERT_NE(manager_, nullptr);
    snap_ = manager_->Current();
    ASSERT_NE(snap_, nullptr);
  }

  NodeId Id(std::string_view ref) const {
    Result<NodeId> id = store_->Resolve(ref);
    EXPECT_TRUE(id.ok()) << ref << ": " << id.status().ToString();
    return id.ok() ? *id : 0;
  }
  std::string Name(NodeId id) const {
    Result<storage::Node> n = store_->GetNode(id);
    return n.ok() ? n->name : "#" + std::to_string(id);
  }
  std::vector<std::string> Names(const std::vector<NodeId>& ids) const {
    std::vector<std::string> out;
    for (NodeId id : ids) out.push_back(Name(id));
    return out;
  }
  std::vector<std::string> Names(const Neighbourhood& n) const {
    std::vector<std::string> out;
    for (const auto& [id, hops] : n.nodes) out.push_back(Name(id));
    return out;
  }
  // The one fact subject -predicate-> object.
  FactKey Key(std::string_view subject, std::string_view predicate, std::string_view object) {
    storage::FactFilter f;
    f.direction = Direction::kOut;
    f.predicates = {std::string(predicate)};
    Result<storage::FactList> facts = store_->FactsOf(Id(subject), f);
    EXPECT_TRUE(facts.ok());
    for (const storage::Fact& fact : *facts) {
      if (fact.object == Id(object)) return KeyOf(*store_, fact);
    }
    ADD_FAILURE() << "no fact " << subject << " " << predicate << " " << object;
    return {};
  }
  // Every fact with `node` at one end, from the store.
  KeySet StoreFacts(NodeId node) const {
    Result<storage::FactList> facts = store_->FactsOf(node, {});
    EXPECT_TRUE(facts.ok());
    KeySet out;
    for (const storage::Fact& f : *facts) out.insert(KeyOf(*store_, f));
    return out;
  }

  Neighbourhood Neighbours(std::string_view start, int depth, const TraversalFilter& filter = {},
                           const QueryLimits& limits = {}) const {
    Result<Neighbourhood> n = engine_->Neighbours(*snap_, Id(start), depth, filter, limits);
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return n.ok() ? *n : Neighbourhood{};
  }
  PathResult Paths(std::string_view from, std::string_view to, PathQuery query,
                   const TraversalFilter& filter = {}, const QueryLimits& limits = {}) const {
    Result<PathResult> p = engine_->Paths(*snap_, Id(from), Id(to), query, filter, limits);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? *p : PathResult{};
  }
  graph::DyadTimeline Dyad(std::string_view a, std::string_view b, Period by,
                           const TraversalFilter& filter = {}, bool with_facts = true) const {
    Result<graph::DyadTimeline> d =
        engine_->Dyad(*snap_, Id(a), Id(b), by, filter, QueryLimits{}, with_facts);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? *d : graph::DyadTimeline{};
  }
  std::string Keys(const KeySet& keys) const { return KeysString(*store_, keys); }

  static TempDir* dir_;
  static storage::Store* store_;
  static SnapshotManager* manager_;
  static QueryEngine* engine_;
  std::shared_ptr<const Snapshot> snap_;
};

TempDir* SeedQueryTest::dir_ = nullptr;
storage::Store* SeedQueryTest::store_ = nullptr;
SnapshotManager* SeedQueryTest::manager_ = nullptr;
QueryEngine* SeedQueryTest::engine_ = nullptr;

// ---- expected.md: shortest paths --------------------------------------------

TEST_F(SeedQueryTest, KayaniToLavrovIsTwoHopsViaPakistan) {
  PathResult p = Paths("Kiani", "Lavrov", {PathMode::kShortest});
  ASSERT_EQ(p.hops, 2);
  ASSERT_EQ(p.paths.size(), 1u);
  EXPECT_THAT(Names(p.paths[0].nodes),
              ElementsAre("Ashfaq Parvez Kayani", "Pakistan", "Sergey Lavrov"));
  ASSERT_EQ(p.paths[0].steps.size(), 2u);
  EXPECT_EQ(ToSet(p.paths[0].steps[0]),
            KeySet({Key("Ashfaq Parvez Kayani", "HOLDS_OFFICE", "Pakistan")}));
  EXPECT_EQ(ToSet(p.paths[0].steps[1]), KeySet({Key("Sergey Lavrov", "PRAISED", "Pakistan")}));
  EXPECT_NEAR(p.paths[0].cost, -std::log(0.8), 1e-6);  // HOLDS_OFFICE 1.0, PRAISED 0.8
  EXPECT_EQ(p.truncated_by, Limit::kNone);

  PathResult all = Paths("Kiani", "Lavrov", {PathMode::kAllShortest});
  EXPECT_EQ(all.hops, 2);
  ASSERT_EQ(all.paths.size(), 1u);
  EXPECT_EQ(all.paths[0].nodes, p.paths[0].nodes);

  PathResult length = Paths("Kiani", "Lavrov", {PathMode::kLength});
  EXPECT_EQ(length.hops, 2);
  EXPECT_TRUE(length.paths.empty());
}

TEST_F(SeedQueryTest, BajwaToPutinIsThreeHopsViaIsprAndPakistan) {
  for (PathMode mode : {PathMode::kShortest, PathMode::kAllShortest}) {
    PathResult p = Paths("Asim Bajwa", "Putin", {mode});
    ASSERT_EQ(p.hops, 3);
    ASSERT_EQ(p.paths.size(), 1u);
    EXPECT_THAT(
        Names(p.paths[0].nodes),
        ElementsAre("Asim Bajwa", "Inter-Services Public Relations", "Pakistan", "Vladimir Putin"));
    ASSERT_EQ(p.paths[0].steps.size(), 3u);
    EXPECT_EQ(ToSet(p.paths[0].steps[2]),
              KeySet({Key("Vladimir Putin", "CANCELLED_VISIT", "Pakistan")}));
  }
}

TEST_F(SeedQueryTest, IndiaToMoscowHasTwoShortestPaths) {
  PathResult all = Paths("India", "Location:Moscow", {PathMode::kAllShortest});
  ASSERT_EQ(all.hops, 3);
  std::vector<std::vector<std::string>> names;
  for (const Path& p : all.paths) names.push_back(Names(p.nodes));
  EXPECT_THAT(names, UnorderedElementsAre(
                         ElementsAre("India", "Pakistan", "Ashfaq Parvez Kayani", "Moscow"),
                         ElementsAre("India", "Pakistan", "Russia", "Moscow")));
  EXPECT_EQ(all.truncated_by, Limit::kNone);

  // One shortest path: ties go to the smaller node ids along the way.
  PathResult one = Paths("India", "Location:Moscow", {PathMode::kShortest});
  ASSERT_EQ(one.hops, 3);
  ASSERT_EQ(one.paths.size(), 1u);
  const std::string via =
      Id("Country:Russia") < Id("Ashfaq Parvez Kayani") ? "Russia" : "Ashfaq Parvez Kayani";
  EXPECT_THAT(Names(one.paths[0].nodes), ElementsAre("India", "Pakistan", via, "Moscow"));
  // Russia -> Moscow is LOCATED_IN; Pakistan -> Russia has three facts.
  if (via == "Russia") {
    EXPECT_EQ(ToSet(one.paths[0].steps[1]),
              KeySet({Key("Russia", "COOPERATED_MILITARILY", "Pakistan"),
                      Key("Russia", "COOPERATED_ECONOMICALLY", "Pakistan"),
                      Key("Russia", "COOPERATED_DIPLOMATICALLY", "Pakistan")}));
  }
}

TEST_F(SeedQueryTest, UnitedStatesHasNoPathToRussia) {
  for (PathMode mode :
       {PathMode::kLength, PathMode::kShortest, PathMode::kAllShortest, PathMode::kKShortest}) {
    PathResult p = Paths("United States", "Country:Russia", {mode, 3});
    EXPECT_EQ(p.hops, std::nullopt);
    EXPECT_TRUE(p.paths.empty());
    EXPECT_EQ(p.truncated_by, Limit::kNone) << graph::LimitName(p.truncated_by);
  }
  PathResult weighted = Paths("United States", "Country:Russia", {PathMode::kShortest, 1, true});
  EXPECT_EQ(weighted.hops, std::nullopt);
  EXPECT_TRUE(weighted.paths.empty());
}

TEST_F(SeedQueryTest, KShortestPathsAreLoopFreeAndInOrder) {
  PathResult p = Paths("Kiani", "Lavrov", {PathMode::kKShortest, 3});
  ASSERT_EQ(p.hops, 2);
  ASSERT_EQ(p.paths.size(), 3u);
  // Via Pakistan (2); via Moscow and Russia, via Pakistan and Russia,
  // via Pakistan and Islamabad, via Pakistan and Khar/Ashraf (3 each).
  EXPECT_THAT(Names(p.paths[0].nodes),
              ElementsAre("Ashfaq Parvez Kayani", "Pakistan", "Sergey Lavrov"));
  std::set<std::vector<NodeId>> distinct;
  for (const Path& path : p.paths) {
    EXPECT_TRUE(distinct.insert(path.nodes).second);
    std::set<NodeId> seen(path.nodes.begin(), path.nodes.end());
    EXPECT_EQ(seen.size(), path.nodes.size()) << "a loop";
  }
  EXPECT_EQ(p.paths[1].nodes.size(), 4u);
  EXPECT_EQ(p.paths[2].nodes.size(), 4u);
}

TEST_F(SeedQueryTest, WeightedPathIsTheMostCredible) {
  // Kayani -> Lavrov: via Pakistan alone costs -log(0.8) (PRAISED). Two
  // paths cost only -log(0.9975): via Pakistan and Islamabad (VISITED
  // 0.9975 from two sources; HOLDS_OFFICE and LOCATED_IN are certain), and
  // via Pakistan, Putin and Russia (CANCELLED_VISIT 0.9975). Next comes
  // via Moscow and Russia (VISITED 0.99).
  PathResult p = Paths("Kiani", "Lavrov", {PathMode::kShortest, 1, true});
  ASSERT_EQ(p.paths.size(), 1u);
  EXPECT_THAT(Names(p.paths[0].nodes),
              ::testing::AnyOf(
                  ElementsAre("Ashfaq Parvez Kayani", "Pakistan", "Islamabad", "Sergey Lavrov"),
                  ElementsAre("Ashfaq Parvez Kayani", "Pakistan", "Vladimir Putin", "Russia",
                              "Sergey Lavrov")));
  EXPECT_NEAR(p.paths[0].cost, -std::log(0.9975), 1e-5);
  ASSERT_TRUE(p.hops.has_value());
  EXPECT_EQ(static_cast<size_t>(*p.hops) + 1, p.paths[0].nodes.size())
      << "the hops of the path found";

  PathResult k = Paths("Kiani", "Lavrov", {PathMode::kKShortest, 4, true});
  ASSERT_EQ(k.paths.size(), 4u);
  EXPECT_NEAR(k.paths[0].cost, -std::log(0.9975), 1e-5);
  EXPECT_NEAR(k.paths[1].cost, -std::log(0.9975), 1e-5);
  EXPECT_NEAR(k.paths[2].cost, -std::log(0.99), 1e-5);
  EXPECT_THAT(Names(k.paths[2].nodes),
              ElementsAre("Ashfaq Parvez Kayani", "Moscow", "Russia", "Sergey Lavrov"));
  // Then via Moscow, Russia, Putin, Pakistan and Islamabad.
  EXPECT_NEAR(k.paths[3].cost, -std::log(0.99) - 2 * std::log(0.9975), 1e-5);
  EXPECT_NE(k.paths[0].nodes, k.paths[1].nodes);
}

// ---- expected.md: neighbourhoods --------------------------------------------

TEST_F(SeedQueryTest, PakistanDepthOneHasElevenNodesAndThirteenFacts) {
  Neighbourhood n = Neighbours("Country:Pakistan", 1);
  EXPECT_EQ(n.start, Id("Country:Pakistan"));
  EXPECT_EQ(n.depth, 1);
  EXPECT_THAT(Names(n),
              UnorderedElementsAre("Ashfaq Parvez Kayani", "Asif Ali Zardari", "Hina Rabbani Khar",
                                   "India", "Inter-Services Public Relations", "Islamabad",
                                   "Quadrilateral summit on Afghanistan 2012", "Raja Pervez Ashraf",
                                   "Russia", "Sergey Lavrov", "Vladimir Putin"));
  EXPECT_EQ(Name(Id("Location:Islamabad")), "Islamabad");
  EXPECT_TRUE(std::any_of(n.nodes.begin(), n.nodes.end(),
                          [&](const auto& p) { return p.first == Id("Location:Islamabad"); }));
  for (const auto& [id, hops] : n.nodes) EXPECT_EQ(hops, 1) << Name(id);
  EXPECT_TRUE(std::is_sorted(n.nodes.begin(), n.nodes.end())) << "ordered by hops, then id";
  EXPECT_EQ(n.facts.size(), 13u);
  EXPECT_EQ(ToSet(n.facts), StoreFacts(Id("Country:Pakistan"))) << Keys(ToSet(n.facts));
  EXPECT_EQ(n.truncated_by, Limit::kNone);
}

TEST_F(SeedQueryTest, PakistanDepthTwoHasSixteenNodes) {
  Neighbourhood n = Neighbours("Country:Pakistan", 2);
  ASSERT_EQ(n.nodes.size(), 16u);
  std::map<std::string, int> hops;
  for (const auto& [id, h] : n.nodes) hops[Name(id)] = h;
  for (const char* far : {"Afghanistan", "Asim Bajwa", "Kashmir", "Moscow", "Tajikistan"}) {
    EXPECT_EQ(hops[far], 2) << far;
  }
  EXPECT_EQ(hops["Russia"], 1);
  EXPECT_TRUE(std::is_sorted(n.nodes.begin(), n.nodes.end(), [](const auto& a, const auto& b) {
    return std::tie(a.second, a.first) < std::tie(b.second, b.first);
  }));
  // Every fact with one end at hop 0 or 1 and the other in the answer: all
  // but Bajwa STATED Defence cooperation (out of reach), as no fact joins
  // two nodes at hop 2.
  KeySet all;
  for (NodeId id = 1; id <= 19; ++id) {
    for (const FactKey& k : StoreFacts(id)) all.insert(k);
  }
  KeySet expected;
  std::set<NodeId> in_answer{Id("Country:Pakistan")};
  for (const auto& [id, h] : n.nodes) in_answer.insert(id);
  for (const FactKey& k : all) {
    if (in_answer.contains(k.subject) && in_answer.contains(k.object)) expected.insert(k);
  }
  EXPECT_EQ(expected.size(), 26u);
  EXPECT_EQ(ToSet(n.facts), expected) << Keys(ToSet(n.facts));
}

TEST_F(SeedQueryTest, KayaniDepthOneIsMoscowAndPakistan) {
  Neighbourhood n = Neighbours("Gen Kayani", 1);
  EXPECT_THAT(Names(n), UnorderedElementsAre("Moscow", "Pakistan"));
  EXPECT_THAT(ToSet(n.facts),
              UnorderedElementsAre(Key("Ashfaq Parvez Kayani", "HOLDS_OFFICE", "Pakistan"),
                                   Key("Ashfaq Parvez Kayani", "VISITED", "Location:Moscow")));
}

TEST_F(SeedQueryTest, WithoutFactsANeighbourhoodCountsNodesOnly) {
  Result<Neighbourhood> n =
      engine_->Neighbours(*snap_, Id("Country:Pakistan"), 2, {}, {}, /*with_facts=*/false);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->nodes.size(), 16u);
  EXPECT_TRUE(n->facts.empty());
}

TEST_F(SeedQueryTest, UnitedStatesHasNoNeighbours) {
  Neighbourhood n = Neighbours("United States", 3);
  EXPECT_TRUE(n.nodes.empty());
  EXPECT_TRUE(n.facts.empty());
  EXPECT_EQ(n.truncated_by, Limit::kNone);
}

// ---- expected.md: the Russia-Pakistan dyad ------------------------------------

TEST_F(SeedQueryTest, DyadRussiaPakistanByMonth) {
  graph::DyadTimeline d = Dyad("Country:Russia", "Country:Pakistan", Period::kMonth);
  EXPECT_EQ(d.a, Id("Country:Russia"));
  EXPECT_EQ(d.b, Id("Country:Pakistan"));
  EXPECT_EQ(d.by, Period::kMonth);
  ASSERT_EQ(d.buckets.size(), 4u);
  struct Want {
    const char* period;
    bool a_to_b;
    uint64_t events;
    double goldstein;
  };
  const Want want[] = {{"2012-01", true, 1, 6.4},
                       {"2012-01", false, 1, 4.0},
                       {"2012-10", true, 7, 14.2},
                       {"2012-10", false, 1, 1.9}};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(d.buckets[i].period, want[i].period) << i;
    EXPECT_EQ(d.buckets[i].a_to_b, want[i].a_to_b) << i;
    EXPECT_EQ(d.buckets[i].events, want[i].events) << i;
    EXPECT_NEAR(d.buckets[i].goldstein, want[i].goldstein, 1e-9) << i;
    EXPECT_EQ(d.buckets[i].facts.size(), want[i].events) << i;
  }
  EXPECT_EQ(ToSet(d.buckets[0].facts),
            KeySet({Key("Russia", "COOPERATED_ECONOMICALLY", "Pakistan")}));
  EXPECT_EQ(ToSet(d.buckets[1].facts),
            KeySet({Key("Hina Rabbani Khar", "INVITED", "Sergey Lavrov")}));
  EXPECT_EQ(ToSet(d.buckets[2].facts),
            KeySet({Key("Vladimir Putin", "CANCELLED_VISIT", "Pakistan"),
                    Key("Sergey Lavrov", "VISITED", "Location:Islamabad"),
                    Key("Sergey Lavrov", "MET", "Hina Rabbani Khar"),
                    Key("Sergey Lavrov", "MET", "Raja Pervez Ashraf"),
                    Key("Russia", "COOPERATED_MILITARILY", "Pakistan"),
                    Key("Russia", "COOPERATED_DIPLOMATICALLY", "Pakistan"),
                    Key("Sergey Lavrov", "PRAISED", "Pakistan")}))
      << Keys(ToSet(d.buckets[2].facts));
  EXPECT_EQ(ToSet(d.buckets[3].facts),
            KeySet({Key("Ashfaq Parvez Kayani", "VISITED", "Location:Moscow")}));
  EXPECT_EQ(d.a_to_b.events, 8u);
  EXPECT_NEAR(d.a_to_b.goldstein, 20.6, 1e-9);
  EXPECT_EQ(d.b_to_a.events, 2u);
  EXPECT_NEAR(d.b_to_a.goldstein, 5.9, 1e-9);
  EXPECT_EQ(d.truncated_by, Limit::kNone);
}

TEST_F(SeedQueryTest, DyadRussiaPakistanByYear) {
  graph::DyadTimeline d = Dyad("Country:Russia", "Country:Pakistan", Period::kYear);
  ASSERT_EQ(d.buckets.size(), 2u);
  EXPECT_EQ(d.buckets[0].period, "2012");
  EXPECT_TRUE(d.buckets[0].a_to_b);
  EXPECT_EQ(d.buckets[0].events, 8u);
  EXPECT_NEAR(d.buckets[0].goldstein, 20.6, 1e-9);
  EXPECT_EQ(d.buckets[0].facts.size(), 8u);
  EXPECT_EQ(d.buckets[1].period, "2012");
  EXPECT_FALSE(d.buckets[1].a_to_b);
  EXPECT_EQ(d.buckets[1].events, 2u);
  EXPECT_NEAR(d.buckets[1].goldstein, 5.9, 1e-9);
  EXPECT_EQ(ToSet(d.buckets[1].facts),
            KeySet({Key("Hina Rabbani Khar", "INVITED", "Sergey Lavrov"),
                    Key("Ashfaq Parvez Kayani", "VISITED", "Location:Moscow")}));
}

TEST_F(SeedQueryTest, DyadTheOtherWayRoundSwapsDirections) {
  graph::DyadTimeline d = Dyad("Country:Islamabad", "Country:Moscow", Period::kYear);  // aliases
  EXPECT_EQ(d.a, Id("Country:Pakistan"));
  EXPECT_EQ(d.a_to_b.events, 2u);
  EXPECT_NEAR(d.a_to_b.goldstein, 5.9, 1e-9);
  EXPECT_EQ(d.b_to_a.events, 8u);
  EXPECT_NEAR(d.b_to_a.goldstein, 20.6, 1e-9);
}

TEST_F(SeedQueryTest, DyadCountsOnlyWithoutFacts) {
  graph::DyadTimeline d =
      Dyad("Country:Russia", "Country:Pakistan", Period::kMonth, {}, /*with_facts=*/false);
  ASSERT_EQ(d.buckets.size(), 4u);
  EXPECT_EQ(d.buckets[2].events, 7u);
  for (const graph::DyadBucket& b : d.buckets) EXPECT_TRUE(b.facts.empty());
  EXPECT_EQ(d.a_to_b.events, 8u);
}

TEST_F(SeedQueryTest, DyadWindowKeepsTheEventsValidInIt) {
  TraversalFilter october;
  october.from = Day("2012-10-01");
  october.to = Day("2012-10-31");
  graph::DyadTimeline d = Dyad("Country:Russia", "Country:Pakistan", Period::kMonth, october);
  // COOPERATED_ECONOMICALLY from 2012-01-01 has no end: still valid in
  // October, but it is bucketed by valid_from (January). INVITED ended in
  // September.
  std::vector<std::string> periods;
  for (const auto& b : d.buckets) periods.push_back(b.period + (b.a_to_b ? ">" : "<"));
  EXPECT_THAT(periods, ElementsAre("2012-01>", "2012-10>", "2012-10<"));
  EXPECT_EQ(d.a_to_b.events, 8u);
  EXPECT_EQ(d.b_to_a.events, 1u);
}

TEST_F(SeedQueryTest, DyadFiltersApplyToEvents) {
  TraversalFilter out;
  out.direction = Direction::kOut;  // a_to_b only
  graph::DyadTimeline d = Dyad("Country:Russia", "Country:Pakistan", Period::kYear, out);
  ASSERT_EQ(d.buckets.size(), 1u);
  EXPECT_TRUE(d.buckets[0].a_to_b);
  EXPECT_EQ(d.a_to_b.events, 8u);
  EXPECT_EQ(d.b_to_a.events, 0u);

  TraversalFilter in;
  in.direction = Direction::kIn;  // b_to_a only
  d = Dyad("Country:Russia", "Country:Pakistan", Period::kYear, in);
  ASSERT_EQ(d.buckets.size(), 1u);
  EXPECT_FALSE(d.buckets[0].a_to_b);
  EXPECT_EQ(d.b_to_a.events, 2u);

  // Membership ignores the filters: MET alone still rolls Lavrov up to
  // Russia and Khar and Ashraf up to Pakistan.
  TraversalFilter met;
  met.predicates = {"MET"};
  d = Dyad("Country:Russia", "Country:Pakistan", Period::kMonth, met);
  ASSERT_EQ(d.buckets.size(), 1u);
  EXPECT_EQ(d.buckets[0].period, "2012-10");
  EXPECT_EQ(d.buckets[0].events, 2u);
  EXPECT_NEAR(d.buckets[0].goldstein, 2.0, 1e-9);

  TraversalFilter credible;
  // CANCELLED_VISIT 0.9975, VISITED 0.9975, MET Khar 0.96; back, VISITED 0.99.
  credible.min_confidence = 0.95;
  d = Dyad("Country:Russia", "Country:Pakistan", Period::kMonth, credible);
  EXPECT_EQ(d.a_to_b.events, 3u);
  EXPECT_NEAR(d.a_to_b.goldstein, -4.0 + 1.9 + 1.0, 1e-9);
  EXPECT_EQ(d.b_to_a.events, 1u);
}

TEST_F(SeedQueryTest, DyadOfCountriesWithoutEventsIsEmpty) {
  graph::DyadTimeline d = Dyad("United States", "India", Period::kMonth);
  EXPECT_TRUE(d.buckets.empty());
  EXPECT_EQ(d.a_to_b.events, 0u);
  EXPECT_EQ(d.b_to_a.events, 0u);
}

// ---- a node's facts, through the snapshot and from the store ---------------

std::vector<std::pair<std::string, TraversalFilter>> FactFilters() {
  std::vector<std::pair<std::string, TraversalFilter>> out;
  out.emplace_back("any", TraversalFilter{});
  TraversalFilter f;
  f.direction = Direction::kOut;
  out.emplace_back("out", f);
  f.direction = Direction::kIn;
  out.emplace_back("in", f);
  f = {};
  f.predicates = {"MET", "HOLDS_OFFICE"};
  out.emplace_back("MET|HOLDS_OFFICE", f);
  f.direction = Direction::kIn;
  out.emplace_back("in MET|HOLDS_OFFICE", f);
  f = {};
  f.labels = {"Person"};
  out.emplace_back("Person", f);
  f.labels = {"Country", "Location"};
  out.emplace_back("Country|Location", f);
  f = {};
  f.from = Day("2012-10-03");
  f.to = Day("2012-10-03");
  out.emplace_back("on 2012-10-03", f);
  f.to = storage::kOpenDay;
  out.emplace_back("from 2012-10-03", f);
  f.from = storage::kOpenDay;
  f.to = Day("2012-09-30");
  out.emplace_back("to 2012-09-30", f);
  f = {};
  f.min_confidence = 0.95;
  out.emplace_back("confidence 0.95", f);
  f = {};
  f.direction = Direction::kOut;
  f.predicates = {"MET", "VISITED", "PRAISED", "COOPERATED_MILITARILY"};
  f.labels = {"Person", "Country", "Location"};
  f.from = Day("2012-10-04");
  f.min_confidence = 0.85;
  out.emplace_back("combined", f);
  f = {};
  f.predicates = {"NO_SUCH_PREDICATE"};
  out.emplace_back("unknown predicate", f);
  return out;
}

TEST_F(SeedQueryTest, FactsOfEveryNodeMatchTheStore) {
  const std::vector<std::string> symmetric = Vocabulary::Default().SymmetricPredicates();
  for (NodeId node = 1; node <= 19; ++node) {
    for (const auto& [what, filter] : FactFilters()) {
      SCOPED_TRACE(Name(node) + ", " + what);
      storage::FactFilter sf;
      sf.direction = filter.direction;
      sf.symmetric_predicates = symmetric;
      sf.predicates = filter.predicates;
      sf.labels = filter.labels;
      sf.from = filter.from;
      sf.to = filter.to;
      sf.min_confidence = filter.min_confidence;
      Result<storage::FactList> want = store_->FactsOf(node, sf);
      ASSERT_TRUE(want.ok());

      Limit truncated = Limit::kDeadline;
      Result<std::vector<FactKey>> got = engine_->FactsOf(*snap_, node, filter, {}, &truncated);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      EXPECT_EQ(truncated, Limit::kNone);
      EXPECT_EQ(ToSet(*got).size(), got->size()) << "a fact twice";

      KeySet want_keys;
      for (const storage::Fact& f : *want) want_keys.insert(KeyOf(*store_, f));
      EXPECT_EQ(ToSet(*got), want_keys)
          << "snapshot:" << Keys(ToSet(*got)) << "\nstore:" << Keys(want_keys);

      // With provenance, fetched by key: the same facts as the store's.
      Result<std::vector<storage::Fact>> fetched = engine_->FetchFacts(*got);
      ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
      ASSERT_EQ(fetched->size(), got->size());
      std::map<std::tuple<NodeId, std::string, NodeId, DayCode>, const storage::Fact*> by_id;
      for (const storage::Fact& f : *want) {
        by_id[{f.subject, f.predicate, f.object, f.valid_from}] = &f;
      }
      for (size_t i = 0; i < fetched->size(); ++i) {
        const storage::Fact& f = (*fetched)[i];
        EXPECT_EQ(KeyOf(*store_, f), (*got)[i]) << "in the order given";
        auto it = by_id.find({f.subject, f.predicate, f.object, f.valid_from});
        ASSERT_NE(it, by_id.end()) << KeyString(*store_, KeyOf(*store_, f));
        EXPECT_EQ(f.valid_to, it->second->valid_to);
        EXPECT_DOUBLE_EQ(f.confidence, it->second->confidence);
        ASSERT_EQ(f.sources.size(), it->second->sources.size());
        for (size_t s = 0; s < f.sources.size(); ++s) {
          EXPECT_EQ(f.sources[s].doc, it->second->sources[s].doc);
        }
      }
    }
  }
}

// Only a snapshot names facts, and the store never deletes: a key the store
// lacks means the two disagree, which is corruption, not a user's typo.
TEST_F(SeedQueryTest, FetchFactsOfAKeyTheStoreLacksIsCorruption) {
  FactKey bogus = Key("Sergey Lavrov", "MET", "Hina Rabbani Khar");
  bogus.valid_from = Day("1999-01-01");
  Result<std::vector<storage::Fact>> f = engine_->FetchFacts(std::span(&bogus, 1));
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), dyad::StatusCode::kCorruption) << f.status().ToString();
}

TEST_F(SeedQueryTest, UnknownNodesAreNotFound) {
  const NodeId none = 999;
  EXPECT_TRUE(engine_->Neighbours(*snap_, none, 1, {}, {}).status().IsNotFound());
  EXPECT_TRUE(engine_->Paths(*snap_, none, Id("India"), {PathMode::kShortest}, {}, {})
                  .status()
                  .IsNotFound());
  EXPECT_TRUE(engine_->Paths(*snap_, Id("India"), none, {PathMode::kShortest}, {}, {})
                  .status()
                  .IsNotFound());
  EXPECT_TRUE(
      engine_->Dyad(*snap_, Id("India"), none, Period::kYear, {}, {}).status().IsNotFound());
  Limit truncated;
  EXPECT_TRUE(engine_->FactsOf(*snap_, none, {}, {}, &truncated).status().IsNotFound());
}

// ---- filters -----------------------------------------------------------------

TEST_F(SeedQueryTest, EachFilterAloneOnPakistan) {
  TraversalFilter out;
  out.direction = Direction::kOut;
  // Pakistan's own facts, and the symmetric ones it is the object of.
  EXPECT_THAT(Names(Neighbours("Country:Pakistan", 1, out)),
              UnorderedElementsAre("Quadrilateral summit on Afghanistan 2012", "India", "Russia"));

  TraversalFilter in;
  in.direction = Direction::kIn;
  EXPECT_THAT(
      Names(Neighbours("Country:Pakistan", 1, in)),
      UnorderedElementsAre("Ashfaq Parvez Kayani", "Asif Ali Zardari", "Hina Rabbani Khar", "India",
                           "Inter-Services Public Relations", "Islamabad", "Raja Pervez Ashraf",
                           "Russia", "Sergey Lavrov", "Vladimir Putin"));

  TraversalFilter holds;
  holds.predicates = {"HOLDS_OFFICE"};
  EXPECT_THAT(Names(Neighbours("Country:Pakistan", 1, holds)),
              UnorderedElementsAre("Ashfaq Parvez Kayani", "Asif Ali Zardari", "Hina Rabbani Khar",
                                   "Raja Pervez Ashraf"));

  TraversalFilter people;
  people.labels = {"Person"};
  EXPECT_THAT(Names(Neighbours("Country:Pakistan", 1, people)),
              UnorderedElementsAre("Ashfaq Parvez Kayani", "Asif Ali Zardari", "Hina Rabbani Khar",
                                   "Raja Pervez Ashraf", "Sergey Lavrov", "Vladimir Putin"));
  // Nodes of other labels are not crossed either: Russia is not a Person,
  // so Putin's and Lavrov's Moscow is out of reach at depth 3.
  Neighbourhood deep = Neighbours("Country:Pakistan", 3, people);
  EXPECT_THAT(Names(deep),
              UnorderedElementsAre("Ashfaq Parvez Kayani", "Asif Ali Zardari", "Hina Rabbani Khar",
                                   "Raja Pervez Ashraf", "Sergey Lavrov", "Vladimir Putin"));

  TraversalFilter day;
  day.from = Day("2012-10-03");
  day.to = Day("2012-10-03");
  // Undated facts always; facts from 2012-10-02 or 2012-01-01 with no end
  // still hold; those of 2012-10-04 do not yet.
  EXPECT_THAT(
      Names(Neighbours("Country:Pakistan", 1, day)),
      UnorderedElementsAre("Ashfaq Parvez Kayani", "Asif Ali Zardari", "Hina Rabbani Khar",
                           "Raja Pervez Ashraf", "Inter-Services Public Relations", "Islamabad",
                           "Quadrilateral summit on Afghanistan 2012", "Vladimir Putin", "Russia"));

  TraversalFilter credible;
  credible.min_confidence = 0.95;
  EXPECT_THAT(Names(Neighbours("Country:Pakistan", 1, credible)),
              UnorderedElementsAre("Ashfaq Parvez Kayani", "Asif Ali Zardari", "Hina Rabbani Khar",
                                   "Raja Pervez Ashraf", "Inter-Services Public Relations",
                                   "Islamabad", "Vladimir Putin"));
}

TEST_F(SeedQueryTest, FiltersCombined) {
  TraversalFilter f;
  f.direction = Direction::kIn;
  f.labels = {"Person"};
  f.min_confidence = 0.95;
  Neighbourhood n = Neighbours("Country:Pakistan", 1, f);
  EXPECT_THAT(Names(n),
              UnorderedElementsAre("Ashfaq Parvez Kayani", "Asif Ali Zardari", "Hina Rabbani Khar",
                                   "Raja Pervez Ashraf", "Vladimir Putin"));
  EXPECT_EQ(n.facts.size(), 5u);  // four HOLDS_OFFICE, CANCELLED_VISIT

  // Without PRAISED, Kayani -> Lavrov takes 3 hops: through Moscow and
  // Russia, or through Pakistan and Khar, Ashraf or Islamabad.
  TraversalFilter no_praise;
  no_praise.predicates = {"HOLDS_OFFICE", "VISITED", "LOCATED_IN", "MET"};
  PathResult p = Paths("Kiani", "Lavrov", {PathMode::kAllShortest}, no_praise);
  EXPECT_EQ(p.hops, 3);
  std::vector<std::vector<std::string>> names;
  for (const Path& path : p.paths) names.push_back(Names(path.nodes));
  EXPECT_THAT(
      names,
      UnorderedElementsAre(
          ElementsAre("Ashfaq Parvez Kayani", "Moscow", "Russia", "Sergey Lavrov"),
          ElementsAre("Ashfaq Parvez Kayani", "Pakistan", "Hina Rabbani Khar", "Sergey Lavrov"),
          ElementsAre("Ashfaq Parvez Kayani", "Pakistan", "Raja Pervez Ashraf", "Sergey Lavrov"),
          ElementsAre("Ashfaq Parvez Kayani", "Pakistan", "Islamabad", "Sergey Lavrov")));

  // Directed: out from Kayani, MET is symmetric so Khar -> Lavrov counts,
  // but HOLDS_OFFICE cannot be walked back from Pakistan to Khar.
  no_praise.direction = Direction::kOut;
  PathResult directed = Paths("Kiani", "Lavrov", {PathMode::kAllShortest}, no_praise);
  EXPECT_EQ(directed.hops, std::nullopt);

  // The end points are exempt from the label filter (two Persons here):
  // with only Countries crossed, Kayani reaches Lavrov through Pakistan,
  // not through Moscow (a Location) or Khar (a Person).
  TraversalFilter countries;
  countries.labels = {"Country"};
  PathResult c = Paths("Kiani", "Lavrov", {PathMode::kAllShortest}, countries);
  ASSERT_EQ(c.hops, 2);
  ASSERT_EQ(c.paths.size(), 1u);
  EXPECT_THAT(Names(c.paths[0].nodes),
              ElementsAre("Ashfaq Parvez Kayani", "Pakistan", "Sergey Lavrov"));
}

TEST_F(SeedQueryTest, PathStepsListEveryFactTheFilterAllows) {
  // Russia and Pakistan are linked by three facts; the path's step lists
  // them all, in whichever direction.
  PathResult p = Paths("Country:Pakistan", "Country:Russia", {PathMode::kShortest});
  ASSERT_EQ(p.hops, 1);
  ASSERT_EQ(p.paths.size(), 1u);
  ASSERT_EQ(p.paths[0].steps.size(), 1u);
  EXPECT_EQ(ToSet(p.paths[0].steps[0]),
            KeySet({Key("Russia", "COOPERATED_MILITARILY", "Pakistan"),
                    Key("Russia", "COOPERATED_ECONOMICALLY", "Pakistan"),
                    Key("Russia", "COOPERATED_DIPLOMATICALLY", "Pakistan")}));
  // The cheapest of them (0.94) sets the cost.
  EXPECT_NEAR(p.paths[0].cost, -std::log(0.94), 1e-5);

  TraversalFilter credible;
  credible.min_confidence = 0.75;
  p = Paths("Country:Pakistan", "Country:Russia", {PathMode::kShortest}, credible);
  ASSERT_EQ(p.paths.size(), 1u);
  EXPECT_EQ(ToSet(p.paths[0].steps[0]),
            KeySet({Key("Russia", "COOPERATED_MILITARILY", "Pakistan"),
                    Key("Russia", "COOPERATED_DIPLOMATICALLY", "Pakistan")}));
}

// ---- limits --------------------------------------------------------------------

TEST_F(SeedQueryTest, NodeLimitTruncatesAHub) {
  const Neighbourhood full = Neighbours("Country:Pakistan", 2);
  const std::set<std::pair<NodeId, int>> all(full.nodes.begin(), full.nodes.end());
  for (size_t max_nodes : {1u, 5u, 11u, 15u}) {
    QueryLimits limits;
    limits.max_nodes = max_nodes;
    Neighbourhood n = Neighbours("Country:Pakistan", 2, {}, limits);
    EXPECT_EQ(n.nodes.size(), max_nodes);
    EXPECT_EQ(n.truncated_by, Limit::kNodes) << max_nodes;
    std::set<NodeId> in_answer{n.start};
    for (const auto& node : n.nodes) {
      EXPECT_TRUE(all.contains(node)) << Name(node.first) << " at " << node.second;
      in_answer.insert(node.first);
    }
    for (const FactKey& k : n.facts) {
      EXPECT_TRUE(in_answer.contains(k.subject) && in_answer.contains(k.object))
          << "a fact to a node not in the answer: " << KeyString(*store_, k);
    }
  }
  // A limit the answer fits in exactly cuts nothing.
  QueryLimits exact;
  exact.max_nodes = 16;
  Neighbourhood n = Neighbours("Country:Pakistan", 2, {}, exact);
  EXPECT_EQ(n.nodes.size(), 16u);
  EXPECT_EQ(n.truncated_by, Limit::kNone);
}

TEST_F(SeedQueryTest, FactLimitTruncates) {
  QueryLimits limits;
  limits.max_facts = 4;
  Neighbourhood n = Neighbours("Country:Pakistan", 1, {}, limits);
  EXPECT_EQ(n.facts.size(), 4u);
  EXPECT_EQ(n.truncated_by, Limit::kFacts);
  const KeySet all = StoreFacts(Id("Country:Pakistan")), got = ToSet(n.facts);
  EXPECT_TRUE(std::includes(all.begin(), all.end(), got.begin(), got.end(), KeyLess()));

  Limit truncated = Limit::kNone;
  Result<std::vector<FactKey>> facts =
      engine_->FactsOf(*snap_, Id("Country:Pakistan"), {}, limits, &truncated);
  ASSERT_TRUE(facts.ok());
  EXPECT_EQ(facts->size(), 4u);
  EXPECT_EQ(truncated, Limit::kFacts);
}

TEST_F(SeedQueryTest, PathLimitTruncatesAllShortest) {
  QueryLimits limits;
  limits.max_paths = 1;
  PathResult p = Paths("India", "Location:Moscow", {PathMode::kAllShortest}, {}, limits);
  EXPECT_EQ(p.hops, 3);
  EXPECT_EQ(p.paths.size(), 1u);
  EXPECT_EQ(p.truncated_by, Limit::kPaths);

  limits.max_paths = 2;
  p = Paths("India", "Location:Moscow", {PathMode::kAllShortest}, {}, limits);
  EXPECT_EQ(p.paths.size(), 2u);
  EXPECT_EQ(p.truncated_by, Limit::kNone) << "two paths fit in a limit of two";
}

TEST_F(SeedQueryTest, DepthLimitStopsAPathSearch) {
  QueryLimits limits;
  limits.max_depth = 2;
  PathResult p = Paths("Asim Bajwa", "Putin", {PathMode::kShortest}, {}, limits);
  EXPECT_EQ(p.hops, std::nullopt);
  EXPECT_TRUE(p.paths.empty());
  EXPECT_EQ(p.truncated_by, Limit::kDepth) << graph::LimitName(p.truncated_by);
  limits.max_depth = 3;
  p = Paths("Asim Bajwa", "Putin", {PathMode::kShortest}, {}, limits);
  EXPECT_EQ(p.hops, 3);
}

TEST(LimitNameTest, NamesEachLimit) {
  EXPECT_EQ(graph::LimitName(Limit::kNone), "");
  EXPECT_EQ(graph::LimitName(Limit::kNodes), "nodes");
  EXPECT_EQ(graph::LimitName(Limit::kFacts), "facts");
  EXPECT_EQ(graph::LimitName(Limit::kPaths), "paths");
  EXPECT_EQ(graph::LimitName(Limit::kDepth), "depth");
  EXPECT_EQ(graph::LimitName(Limit::kDeadline), "deadline");
}

// An already expired deadline, on a graph big enough that every query has
// work left to do: each comes back promptly, truncated by the deadline.
TEST(QueryDeadlineTest, ExpiredDeadlineTruncatesEveryQuery) {
  TempDir dir;
  std::unique_ptr<storage::Store> store = OpenStore(dir / "store");
  ASSERT_NE(store, nullptr);
  GenOptions options;
  options.countries = 10;
  options.nodes = 3000;
  options.events = 12000;
  GenGraph gen = RandomGraph(99, options);
  storage::LoadSummary summary;
  ASSERT_OK(LoadText(*store, gen.Jsonl(), &summary));
  Result<std::unique_ptr<SnapshotManager>> manager = SnapshotManager::Open(*store, {});
  ASSERT_TRUE(manager.ok());
  std::shared_ptr<const Snapshot> snap = (*manager)->Current();
  QueryEngine engine(*store, Vocabulary::Default());

  // The busiest node.
  NodeId hub = 0;
  uint64_t degree = 0;
  for (graph::VertexId v = 1; v < snap->vertex_count(); ++v) {
    if (snap->Degree(v) > degree) {
      degree = snap->Degree(v);
      hub = v;
    }
  }
  // A quiet node away from it.
  std::set<NodeId> near{hub};
  snap->ForEachOut(hub, [&](graph::Step s) { near.insert(s.other); });
  snap->ForEachIn(hub, [&](graph::Step s) { near.insert(s.other); });
  NodeId far = 0;
  for (graph::VertexId v = 1; v < snap->vertex_count(); ++v) {
    const uint64_t d = snap->Degree(v);
    if (d > 0 && !near.contains(v) && (far == 0 || d < snap->Degree(far))) {
      far = v;
    }
  }
  ASSERT_NE(far, 0u);
  QueryLimits limits;
  limits.deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  const auto t0 = std::chrono::steady_clock::now();

  Result<Neighbourhood> n = engine.Neighbours(*snap, hub, 3, {}, limits);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->truncated_by, Limit::kDeadline);
  EXPECT_LT(n->nodes.size(), static_cast<size_t>(options.nodes - 1));

  for (PathMode mode :
       {PathMode::kLength, PathMode::kShortest, PathMode::kAllShortest, PathMode::kKShortest}) {
    for (bool weighted : {false, true}) {
      if (weighted && mode != PathMode::kShortest && mode != PathMode::kKShortest) continue;
      Result<PathResult> p = engine.Paths(*snap, hub, far, {mode, 50, weighted}, {}, limits);
      ASSERT_TRUE(p.ok());
      EXPECT_EQ(p->truncated_by, Limit::kDeadline)
          << static_cast<int>(mode) << (weighted ? " weighted" : "");
    }
  }

  Result<graph::DyadTimeline> d =
      engine.Dyad(*snap, gen.Id(*store, 0), gen.Id(*store, 1), Period::kMonth, {}, limits);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->truncated_by, Limit::kDeadline);

  Limit truncated = Limit::kNone;
  Result<std::vector<FactKey>> facts = engine.FactsOf(*snap, hub, {}, limits, &truncated);
  ASSERT_TRUE(facts.ok());
  EXPECT_EQ(truncated, Limit::kDeadline);

  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

}  // namespace
}  // namespace dyad::testing
