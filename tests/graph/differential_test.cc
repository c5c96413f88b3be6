// Every query type against a brute-force reference (tests/graph/reference.h)
// on generated graphs: random small graphs from a fixed seed, and the
// benchmark's XS data set (../shared/bench/gen_facts.py), whose Q1-Q4
// answers are also checked against the peers' oracle.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "graph/query.h"
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

DayCode Day(std::string_view text) {
  Result<DayCode> d = storage::ParseDay(text);
  EXPECT_TRUE(d.ok()) << text;
  return d.ok() ? *d : storage::kOpenDay;
}

// A store with a graph loaded, its snapshot, an engine and the reference.
struct Loaded {
  TempDir dir;
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<SnapshotManager> manager;
  std::shared_ptr<const Snapshot> snap;
  std::unique_ptr<QueryEngine> engine;
  RefGraph ref;
  std::vector<NodeId> ids;  // generator index -> node id

  std::string Name(NodeId id) const {
    Result<storage::Node> n = store->GetNode(id);
    return n.ok() ? n->name : "#" + std::to_string(id);
  }
  std::string PathString(const std::vector<NodeId>& nodes) const {
    std::string out;
    for (NodeId v : nodes) out += (out.empty() ? "" : " > ") + Name(v);
    return out;
  }
};

// Loads `jsonl` and opens a snapshot; the caller fills ref and ids.
std::unique_ptr<Loaded> LoadJsonl(const std::string& jsonl) {
  auto l = std::make_unique<Loaded>();
  l->store = OpenStore(l->dir / "store");
  if (l->store == nullptr) return nullptr;
  storage::LoadSummary summary;
  Status s = LoadText(*l->store, jsonl, &summary);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!s.ok()) return nullptr;
  Result<std::unique_ptr<SnapshotManager>> m = SnapshotManager::Open(*l->store, {});
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  if (!m.ok()) return nullptr;
  l->manager = std::move(m).value();
  l->snap = l->manager->Current();
  l->engine = std::make_unique<QueryEngine>(*l->store, Vocabulary::Default());
  return l;
}

std::unique_ptr<Loaded> LoadGenerated(const GenGraph& gen) {
  std::unique_ptr<Loaded> l = LoadJsonl(gen.Jsonl());
  if (l == nullptr) return nullptr;
  l->ref = gen.Reference(*l->store);
  for (size_t i = 0; i < gen.nodes.size(); ++i) {
    l->ids.push_back(gen.Id(*l->store, static_cast<int>(i)));
  }
  EXPECT_EQ(l->store->GetStats().facts, l->ref.facts().size());
  EXPECT_EQ(l->snap->edge_count(), l->ref.facts().size());
  return l;
}

// As LoadGenerated, but the snapshot is built after the first half of the
// lines, and the second half reaches it as a delta: queries then read base
// and delta steps of the same vertices.
std::unique_ptr<Loaded> LoadGeneratedWithDelta(const GenGraph& gen) {
  const std::string jsonl = gen.Jsonl();
  size_t half = jsonl.size() / 2;
  half = jsonl.find('\n', half) + 1;
  std::unique_ptr<Loaded> l = LoadJsonl(jsonl.substr(0, half));
  if (l == nullptr) return nullptr;
  storage::LoadSummary summary;
  Status s = LoadText(*l->store, jsonl.substr(half), &summary);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!s.ok()) return nullptr;
  l->snap = l->manager->Current();
  EXPECT_GT(l->snap->delta_edges(), 0u);
  l->ref = gen.Reference(*l->store);
  for (size_t i = 0; i < gen.nodes.size(); ++i) {
    l->ids.push_back(gen.Id(*l->store, static_cast<int>(i)));
  }
  EXPECT_EQ(l->snap->edge_count(), l->ref.facts().size());
  return l;
}

// The filters every query is tried with, named for messages.
using NamedFilter = std::pair<std::string, TraversalFilter>;
std::vector<NamedFilter> Filters(double confidence) {
  std::vector<NamedFilter> out;
  out.emplace_back("any", TraversalFilter{});
  TraversalFilter f;
  f.direction = Direction::kOut;
  out.emplace_back("out", f);
  f.direction = Direction::kIn;
  out.emplace_back("in", f);
  f = {};
  f.predicates = {"MET"};  // symmetric only
  out.emplace_back("MET", f);
  f.predicates = {"VISITED", "HOLDS_OFFICE", "CRITICIZED"};
  out.emplace_back("VISITED|HOLDS_OFFICE|CRITICIZED", f);
  f.direction = Direction::kOut;
  f.predicates = {"MET", "VISITED", "HOLDS_OFFICE"};
  out.emplace_back("out MET|VISITED|HOLDS_OFFICE", f);
  f = {};
  f.labels = {"Person", "Country"};
  out.emplace_back("Person|Country", f);
  f = {};
  f.from = Day("2011-01-01");
  f.to = Day("2011-12-31");
  out.emplace_back("2011", f);
  f.to = storage::kOpenDay;
  f.from = Day("2012-06-01");
  out.emplace_back("from 2012-06-01", f);
  f.from = storage::kOpenDay;
  f.to = Day("2011-06-30");
  out.emplace_back("to 2011-06-30", f);
  f = {};
  f.min_confidence = confidence;
  out.emplace_back("confidence", f);
  f = {};
  f.direction = Direction::kOut;
  f.predicates = {"MET", "VISITED", "HOLDS_OFFICE", "MEMBER_OF", "CRITICIZED", "LOCATED_IN"};
  f.labels = {"Person", "Organization", "Country"};
  f.from = Day("2010-06-01");
  f.to = Day("2013-06-01");
  f.min_confidence = confidence;
  out.emplace_back("combined out", f);
  f.direction = Direction::kIn;
  f.labels = {"Person", "Location", "Country"};
  f.predicates.clear();
  out.emplace_back("combined in", f);
  return out;
}

// Stops a test after this many mismatches, so that one bug does not bury
// the output.
constexpr int kMaxMismatches = 8;

// ---- the checks ----------------------------------------------------------------

// One neighbourhood against the reference; false on a mismatch.
bool CheckNeighbours(const Loaded& l, NodeId start, int depth, const NamedFilter& filter) {
  SCOPED_TRACE("neighbours of " + l.Name(start) + " depth " + std::to_string(depth) + ", " +
               filter.first);
  Result<Neighbourhood> got = l.engine->Neighbours(*l.snap, start, depth, filter.second, {});
  EXPECT_TRUE(got.ok()) << got.status().ToString();
  if (!got.ok()) return false;
  const RefNeighbourhood want = l.ref.Neighbours(start, depth, filter.second);
  bool ok = true;
  if (got->nodes != want.nodes) {
    ok = false;
    std::string g, w;
    for (const auto& [v, h] : got->nodes) g += " " + l.Name(v) + "@" + std::to_string(h);
    for (const auto& [v, h] : want.nodes) w += " " + l.Name(v) + "@" + std::to_string(h);
    ADD_FAILURE() << "nodes differ\n got:" << g << "\nwant:" << w;
  }
  const KeySet facts = ToSet(got->facts);
  if (facts.size() != got->facts.size()) {
    ok = false;
    ADD_FAILURE() << "a fact is listed twice";
  }
  if (facts != want.facts) {
    ok = false;
    KeySet extra, missing;
    std::set_difference(facts.begin(), facts.end(), want.facts.begin(), want.facts.end(),
                        std::inserter(extra, extra.end()), KeyLess());
    std::set_difference(want.facts.begin(), want.facts.end(), facts.begin(), facts.end(),
                        std::inserter(missing, missing.end()), KeyLess());
    ADD_FAILURE() << "facts differ; extra:" << KeysString(*l.store, extra)
                  << "\nmissing:" << KeysString(*l.store, missing);
  }
  if (got->truncated_by != Limit::kNone) {
    ok = false;
    ADD_FAILURE() << "truncated by " << graph::LimitName(got->truncated_by);
  }
  // Counting (no facts) takes its own loop when nothing filters: the same
  // nodes, in any order, and with a node limit the same cut.
  auto sorted = [](const graph::HopList& list) {
    std::vector<std::pair<NodeId, int>> nodes(list.begin(), list.end());
    std::sort(nodes.begin(), nodes.end());
    return nodes;
  };
  for (size_t max_nodes : {std::numeric_limits<size_t>::max(), size_t{3}}) {
    graph::QueryLimits limits;
    limits.max_nodes = max_nodes;
    Result<Neighbourhood> counted =
        l.engine->Neighbours(*l.snap, start, depth, filter.second, limits, /*with_facts=*/false);
    Result<Neighbourhood> listed =
        l.engine->Neighbours(*l.snap, start, depth, filter.second, limits, /*with_facts=*/true);
    if (!counted.ok() || !listed.ok()) {
      ok = false;
      ADD_FAILURE() << counted.status().ToString() << " " << listed.status().ToString();
      continue;
    }
    if (sorted(counted->nodes) != sorted(listed->nodes) ||
        counted->truncated_by != listed->truncated_by) {
      ok = false;
      ADD_FAILURE() << "counting with a limit of " << max_nodes << " found "
                    << counted->nodes.size() << " nodes, listing " << listed->nodes.size();
    }
  }
  return ok;
}

// A returned path is a loop-free walk from `from` to `to` whose steps list
// exactly the facts the filter allows between each pair, and whose cost is
// the sum of the cheapest step facts.
bool CheckPathShape(const Loaded& l, const Path& p, NodeId from, NodeId to,
                    const TraversalFilter& filter, int max_depth) {
  SCOPED_TRACE("path " + l.PathString(p.nodes));
  bool ok = true;
  auto fail = [&](const std::string& why) {
    ok = false;
    ADD_FAILURE() << why;
  };
  if (p.nodes.empty() || p.nodes.front() != from || p.nodes.back() != to) {
    fail("does not run from start to end");
    return false;
  }
  if (std::set<NodeId>(p.nodes.begin(), p.nodes.end()).size() != p.nodes.size()) fail("a loop");
  if (static_cast<int>(p.nodes.size()) - 1 > max_depth) fail("longer than max_depth");
  if (p.steps.size() + 1 != p.nodes.size()) {
    fail("steps and nodes do not match");
    return false;
  }
  for (size_t i = 0; i + 1 < p.nodes.size(); ++i) {
    const KeySet want = l.ref.StepFacts(p.nodes[i], p.nodes[i + 1], filter);
    if (want.empty()) fail("no fact allows step " + std::to_string(i));
    if (ToSet(p.steps[i]) != want) {
      fail("step " + std::to_string(i) + " facts:" + KeysString(*l.store, ToSet(p.steps[i])) +
           "\nwant:" + KeysString(*l.store, want));
    }
    if (i > 0 && !l.ref.LabelAllowed(p.nodes[i], filter)) fail("crosses a node of another label");
  }
  std::optional<double> cost = l.ref.PathCost(p.nodes, filter);
  if (cost && std::abs(*cost - p.cost) > 1e-4) {
    fail("cost " + std::to_string(p.cost) + ", want " + std::to_string(*cost));
  }
  return ok;
}

// Fewest hops, one shortest path (the smallest node ids), and every
// shortest path, against BFS.
bool CheckPaths(const Loaded& l, NodeId from, NodeId to, const NamedFilter& filter, int max_depth,
                size_t max_paths = 1000) {
  SCOPED_TRACE("paths " + l.Name(from) + " to " + l.Name(to) + ", " + filter.first +
               ", max_depth " + std::to_string(max_depth));
  const TraversalFilter& f = filter.second;
  QueryLimits limits;
  limits.max_depth = max_depth;
  limits.max_paths = max_paths;
  const std::optional<int> want_hops = l.ref.Hops(from, to, f, max_depth);
  const std::optional<int> unlimited = l.ref.Hops(from, to, f, 1 << 20);
  bool ok = true;
  auto check_common = [&](const Result<PathResult>& r, const char* mode) {
    EXPECT_TRUE(r.ok()) << mode << ": " << r.status().ToString();
    if (!r.ok()) return false;
    if (r->hops != want_hops) {
      ADD_FAILURE() << mode << ": hops " << (r->hops ? std::to_string(*r->hops) : "none")
                    << ", want " << (want_hops ? std::to_string(*want_hops) : "none");
      return false;
    }
    if (!want_hops && unlimited && r->truncated_by != Limit::kDepth) {
      ADD_FAILURE() << mode << ": a path of " << *unlimited << " hops lies beyond max_depth "
                    << max_depth << " but the answer is not truncated by depth";
      return false;
    }
    if (!want_hops && !r->paths.empty()) {
      ADD_FAILURE() << mode << ": paths without hops";
      return false;
    }
    return true;
  };

  Result<PathResult> length = l.engine->Paths(*l.snap, from, to, {PathMode::kLength}, f, limits);
  ok &= check_common(length, "length");
  if (length.ok() && !length->paths.empty()) {
    ok = false;
    ADD_FAILURE() << "length: paths";
  }

  constexpr size_t kCap = 100000;  // the reference gives up beyond
  const std::vector<std::vector<NodeId>> all = want_hops
                                                   ? l.ref.AllShortest(from, to, f, max_depth, kCap)
                                                   : std::vector<std::vector<NodeId>>{};
  Result<PathResult> one = l.engine->Paths(*l.snap, from, to, {PathMode::kShortest}, f, limits);
  ok &= check_common(one, "shortest");
  if (one.ok() && want_hops) {
    if (one->paths.size() != 1) {
      ok = false;
      ADD_FAILURE() << "shortest: " << one->paths.size() << " paths";
    } else {
      ok &= CheckPathShape(l, one->paths[0], from, to, f, max_depth);
      const std::vector<NodeId> smallest = *std::min_element(all.begin(), all.end());
      if (all.size() < kCap && one->paths[0].nodes != smallest) {
        ok = false;
        ADD_FAILURE() << "shortest: " << l.PathString(one->paths[0].nodes)
                      << "; ties go to the smaller node ids: " << l.PathString(smallest);
      }
    }
    if (one->truncated_by != Limit::kNone) {
      ok = false;
      ADD_FAILURE() << "shortest: truncated by " << graph::LimitName(one->truncated_by);
    }
  }

  Result<PathResult> every =
      l.engine->Paths(*l.snap, from, to, {PathMode::kAllShortest}, f, limits);
  ok &= check_common(every, "all shortest");
  if (every.ok() && want_hops) {
    std::set<std::vector<NodeId>> got;
    for (const Path& p : every->paths) {
      ok &= CheckPathShape(l, p, from, to, f, max_depth);
      if (static_cast<int>(p.nodes.size()) - 1 != *want_hops) {
        ok = false;
        ADD_FAILURE() << "all shortest: not shortest: " << l.PathString(p.nodes);
      }
      if (!got.insert(p.nodes).second) {
        ok = false;
        ADD_FAILURE() << "all shortest: twice: " << l.PathString(p.nodes);
      }
    }
    std::vector<std::vector<NodeId>> order;
    for (const Path& p : every->paths) order.push_back(p.nodes);
    if (!std::is_sorted(order.begin(), order.end())) {
      ok = false;
      ADD_FAILURE() << "all shortest: not in the order of node ids";
    }
    const std::set<std::vector<NodeId>> want(all.begin(), all.end());
    if (all.size() <= max_paths) {
      if (got != want || every->truncated_by != Limit::kNone) {
        ok = false;
        ADD_FAILURE() << "all shortest: " << got.size() << " paths, want " << want.size()
                      << "; truncated by " << graph::LimitName(every->truncated_by);
      }
    } else {
      const bool subset =
          all.size() >= kCap || std::includes(want.begin(), want.end(), got.begin(), got.end());
      if (got.size() != max_paths || every->truncated_by != Limit::kPaths || !subset) {
        ok = false;
        ADD_FAILURE() << "all shortest, more than " << max_paths << ": got " << got.size()
                      << " truncated by " << graph::LimitName(every->truncated_by);
      }
    }
  }
  return ok;
}

// The most credible path against Dijkstra.
bool CheckWeighted(const Loaded& l, NodeId from, NodeId to, const NamedFilter& filter) {
  SCOPED_TRACE("weighted " + l.Name(from) + " to " + l.Name(to) + ", " + filter.first);
  QueryLimits limits;
  limits.max_depth = 1 << 20;
  const std::optional<double> want = l.ref.MinCost(from, to, filter.second);
  Result<PathResult> r =
      l.engine->Paths(*l.snap, from, to, {PathMode::kShortest, 1, true}, filter.second, limits);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return false;
  if (!want) {
    if (r->hops || !r->paths.empty()) {
      ADD_FAILURE() << "a path where there is none";
      return false;
    }
    return true;
  }
  if (r->paths.size() != 1) {
    ADD_FAILURE() << r->paths.size() << " paths, want 1 of cost " << *want;
    return false;
  }
  const Path& p = r->paths[0];
  bool ok = CheckPathShape(l, p, from, to, filter.second, limits.max_depth);
  if (std::abs(p.cost - *want) > 1e-4) {
    ok = false;
    ADD_FAILURE() << "cost " << p.cost << ", want " << *want << ": " << l.PathString(p.nodes);
  }
  if (!r->hops || static_cast<size_t>(*r->hops) + 1 != p.nodes.size()) {
    ok = false;
    ADD_FAILURE() << "hops do not match the path";
  }
  return ok;
}

// Yen's k shortest loop-free paths against every loop-free path, sorted by
// hops (or cost).
bool CheckKShortest(const Loaded& l, NodeId from, NodeId to, const NamedFilter& filter, size_t k,
                    bool weighted) {
  SCOPED_TRACE((weighted ? "weighted k shortest " : "k shortest ") + l.Name(from) + " to " +
               l.Name(to) + ", " + filter.first + ", k " + std::to_string(k));
  const TraversalFilter& f = filter.second;
  QueryLimits limits;
  limits.max_depth = 64;
  const std::vector<std::vector<NodeId>> all = l.ref.AllSimplePaths(from, to, f, 64, 1000000);
  EXPECT_LT(all.size(), 1000000u) << "graph too big for brute force";
  std::vector<double> want;
  for (const auto& p : all) {
    want.push_back(weighted ? *l.ref.PathCost(p, f) : static_cast<double>(p.size() - 1));
  }
  std::sort(want.begin(), want.end());
  if (want.size() > k) want.resize(k);

  Result<PathResult> r =
      l.engine->Paths(*l.snap, from, to, {PathMode::kKShortest, k, weighted}, f, limits);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return false;
  bool ok = true;
  if (r->paths.size() != want.size()) {
    ADD_FAILURE() << r->paths.size() << " paths, want " << want.size() << " (of " << all.size()
                  << ")";
    return false;
  }
  std::set<std::vector<NodeId>> distinct;
  std::vector<double> got;
  for (const Path& p : r->paths) {
    ok &= CheckPathShape(l, p, from, to, f, limits.max_depth);
    if (!distinct.insert(p.nodes).second) {
      ok = false;
      ADD_FAILURE() << "twice: " << l.PathString(p.nodes);
    }
    got.push_back(weighted ? p.cost : static_cast<double>(p.nodes.size() - 1));
  }
  if (!std::is_sorted(got.begin(), got.end(), [](double a, double b) { return a < b - 1e-9; })) {
    ok = false;
    ADD_FAILURE() << "not in order";
  }
  std::sort(got.begin(), got.end());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::abs(got[i] - want[i]) > 1e-4) {
      ok = false;
      ADD_FAILURE() << "path " << i << ": " << got[i] << ", want " << want[i];
    }
  }
  if (!want.empty() && !weighted && r->hops != static_cast<int>(want[0])) {
    ok = false;
    ADD_FAILURE() << "hops";
  }
  if (want.empty() && r->hops) {
    ok = false;
    ADD_FAILURE() << "hops without a path";
  }
  if (r->truncated_by != Limit::kNone) {
    ok = false;
    ADD_FAILURE() << "truncated by " << graph::LimitName(r->truncated_by);
  }
  return ok;
}

bool CheckDyad(const Loaded& l, NodeId a, NodeId b, Period by, const NamedFilter& filter) {
  SCOPED_TRACE("dyad " + l.Name(a) + " - " + l.Name(b) +
               (by == Period::kMonth ? " by month, " : " by year, ") + filter.first);
  Result<graph::DyadTimeline> got = l.engine->Dyad(*l.snap, a, b, by, filter.second, {});
  EXPECT_TRUE(got.ok()) << got.status().ToString();
  if (!got.ok()) return false;
  const std::vector<RefBucket> want = l.ref.Dyad(a, b, by, filter.second);
  bool ok = true;
  if (got->buckets.size() != want.size()) {
    ok = false;
    ADD_FAILURE() << got->buckets.size() << " buckets, want " << want.size();
  }
  graph::DyadTotals to_b, to_a;
  for (size_t i = 0; i < std::min(got->buckets.size(), want.size()); ++i) {
    const graph::DyadBucket& g = got->buckets[i];
    const RefBucket& w = want[i];
    if (g.period != w.period || g.a_to_b != w.a_to_b || g.events != w.events ||
        std::abs(g.goldstein - w.goldstein) > 1e-9 || ToSet(g.facts) != w.facts ||
        g.facts.size() != w.facts.size()) {
      ok = false;
      ADD_FAILURE() << "bucket " << i << ": " << g.period << (g.a_to_b ? " a_to_b " : " b_to_a ")
                    << g.events << " " << g.goldstein << KeysString(*l.store, ToSet(g.facts))
                    << "\nwant " << w.period << (w.a_to_b ? " a_to_b " : " b_to_a ") << w.events
                    << " " << w.goldstein << KeysString(*l.store, w.facts);
    }
  }
  for (const RefBucket& w : want) {
    graph::DyadTotals& t = w.a_to_b ? to_b : to_a;
    t.events += w.events;
    t.goldstein += w.goldstein;
  }
  if (got->a_to_b.events != to_b.events || got->b_to_a.events != to_a.events ||
      std::abs(got->a_to_b.goldstein - to_b.goldstein) > 1e-9 ||
      std::abs(got->b_to_a.goldstein - to_a.goldstein) > 1e-9) {
    ok = false;
    ADD_FAILURE() << "totals differ";
  }
  return ok;
}

// ---- the reference itself, and the seeds ----------------------------------------

std::unique_ptr<Loaded> LoadSeeds() {
  std::unique_ptr<Loaded> l = LoadJsonl(ReadFile(SeedFacts()));
  if (l == nullptr) return nullptr;
  l->ref = RefFromStore(*l->store);
  for (const auto& [id, label] : l->ref.nodes()) l->ids.push_back(id);
  return l;
}

// The brute-force reference gives expected.md's answers, so that a
// mismatch elsewhere points at the engine, not at the reference.
TEST(ReferenceTest, AnswersExpectedMdOnTheSeeds) {
  std::unique_ptr<Loaded> l = LoadSeeds();
  ASSERT_NE(l, nullptr);
  const RefGraph& ref = l->ref;
  auto id = [&](std::string_view name) { return *l->store->Resolve(name); };
  EXPECT_EQ(ref.nodes().size(), 19u);
  EXPECT_EQ(ref.facts().size(), 27u);
  EXPECT_EQ(ref.Neighbours(id("Country:Pakistan"), 1, {}).nodes.size(), 11u);
  EXPECT_EQ(ref.Neighbours(id("Country:Pakistan"), 1, {}).facts.size(), 13u);
  EXPECT_EQ(ref.Neighbours(id("Country:Pakistan"), 2, {}).nodes.size(), 16u);
  EXPECT_EQ(ref.Hops(id("Kiani"), id("Lavrov"), {}, 8), 2);
  EXPECT_EQ(ref.AllShortest(id("Kiani"), id("Lavrov"), {}, 8, 100).size(), 1u);
  EXPECT_EQ(ref.Hops(id("Asim Bajwa"), id("Putin"), {}, 8), 3);
  EXPECT_EQ(ref.AllShortest(id("India"), id("Location:Moscow"), {}, 8, 100).size(), 2u);
  EXPECT_EQ(ref.Hops(id("United States"), id("Country:Russia"), {}, 8), std::nullopt);
  EXPECT_NEAR(*ref.MinCost(id("Kiani"), id("Lavrov"), {}), -std::log(0.9975), 1e-9);
  const std::vector<RefBucket> d =
      ref.Dyad(id("Country:Russia"), id("Country:Pakistan"), Period::kMonth, {});
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0].period, "2012-01");
  EXPECT_EQ(d[0].events, 1u);
  EXPECT_NEAR(d[0].goldstein, 6.4, 1e-9);
  EXPECT_FALSE(d[1].a_to_b);
  EXPECT_NEAR(d[1].goldstein, 4.0, 1e-9);
  EXPECT_EQ(d[2].events, 7u);
  EXPECT_NEAR(d[2].goldstein, 14.2, 1e-9);
  EXPECT_EQ(d[3].period, "2012-10");
  EXPECT_NEAR(d[3].goldstein, 1.9, 1e-9);
  // Yen's reference: every loop-free path, Kayani to Lavrov.
  std::vector<size_t> lengths;
  for (const auto& p : ref.AllSimplePaths(id("Kiani"), id("Lavrov"), {}, 64, 100000)) {
    lengths.push_back(p.size() - 1);
  }
  std::sort(lengths.begin(), lengths.end());
  ASSERT_GE(lengths.size(), 6u);
  EXPECT_EQ(std::vector<size_t>(lengths.begin(), lengths.begin() + 6),
            std::vector<size_t>({2, 3, 3, 3, 3, 3}));
}

// Every query on the seeds, every node and pair, every filter.
TEST(SeedDifferentialTest, EveryQueryMatchesTheReference) {
  std::unique_ptr<Loaded> l = LoadSeeds();
  ASSERT_NE(l, nullptr);
  int mismatches = 0;
  for (const NamedFilter& filter : Filters(0.85)) {
    for (NodeId a : l->ids) {
      for (int depth : {1, 2, 3}) {
        if (!CheckNeighbours(*l, a, depth, filter)) ++mismatches;
      }
      for (NodeId b : l->ids) {
        if (a == b) continue;
        if (!CheckPaths(*l, a, b, filter, 8)) ++mismatches;
        if (!CheckPaths(*l, a, b, filter, 2, 1)) ++mismatches;
        if (!CheckWeighted(*l, a, b, filter)) ++mismatches;
        if (!CheckKShortest(*l, a, b, filter, 3, false)) ++mismatches;
        if (l->ref.nodes().at(a) == "Country" && l->ref.nodes().at(b) == "Country") {
          for (Period by : {Period::kMonth, Period::kYear}) {
            if (!CheckDyad(*l, a, b, by, filter)) ++mismatches;
          }
        }
        ASSERT_LT(mismatches, kMaxMismatches);
      }
    }
  }
}

// ---- random graphs -------------------------------------------------------------

// Confidences are drawn from {0.55, 0.6, 0.75, 0.9, 1}; no noisy-or of two
// of them is 0.7.
constexpr double kRandomConfidence = 0.7;

TEST(RandomGraphTest, NeighbourhoodsMatchBreadthFirstSearch) {
  int mismatches = 0;
  for (uint32_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    GenOptions options;
    options.nodes = 40;
    options.events = 110;
    std::unique_ptr<Loaded> l = LoadGenerated(RandomGraph(seed, options));
    ASSERT_NE(l, nullptr);
    for (const NamedFilter& filter : Filters(kRandomConfidence)) {
      for (NodeId start : l->ids) {
        for (int depth : {1, 2, 3}) {
          if (!CheckNeighbours(*l, start, depth, filter)) ++mismatches;
          ASSERT_LT(mismatches, kMaxMismatches);
        }
      }
    }
  }
}

// Calls check(loaded graph, from, to, filter, i) for `pairs` random pairs
// of nodes per filter, on a random graph of 40 nodes and 110 events per
// seed, its snapshot with a delta or without; counts the checks that fail.
template <class Check>
void ForRandomPairs(std::initializer_list<uint32_t> seeds, bool with_delta, int pairs,
                    Check check) {
  int mismatches = 0;
  for (uint32_t seed : seeds) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    GenOptions options;
    options.nodes = 40;
    options.events = 110;
    std::unique_ptr<Loaded> l = with_delta ? LoadGeneratedWithDelta(RandomGraph(seed, options))
                                           : LoadGenerated(RandomGraph(seed, options));
    ASSERT_NE(l, nullptr);
    std::mt19937 rng(seed);
    std::uniform_int_distribution<size_t> pick(0, l->ids.size() - 1);
    for (const NamedFilter& filter : Filters(kRandomConfidence)) {
      for (int i = 0; i < pairs; ++i) {
        const NodeId from = l->ids[pick(rng)], to = l->ids[pick(rng)];
        if (from == to) continue;
        if (!check(*l, from, to, filter, i)) ++mismatches;
        ASSERT_LT(mismatches, kMaxMismatches);
      }
    }
  }
}

TEST(RandomGraphTest, PathsMatchBreadthFirstSearch) {
  ForRandomPairs({4u, 5u, 6u}, false, 120,
                 [](const Loaded& l, NodeId from, NodeId to, const NamedFilter& filter, int i) {
                   const int max_depth = i % 4 == 0 ? 2 : 8;
                   const size_t max_paths = i % 5 == 0 ? 2 : 1000;
                   return CheckPaths(l, from, to, filter, max_depth, max_paths);
                 });
}

TEST(RandomGraphTest, PathsMatchBreadthFirstSearchWithADelta) {
  ForRandomPairs({7u, 8u}, true, 60,
                 [](const Loaded& l, NodeId from, NodeId to, const NamedFilter& filter, int i) {
                   return CheckPaths(l, from, to, filter, i % 4 == 0 ? 2 : 8, 1000);
                 });
}

// A thread's marks stamp the vertices a query reaches with a 16-bit number
// (a search for a path's length takes two), and clear themselves when the
// numbers wrap. A search that comes back to the very stamps of an earlier
// one, a full cycle of 65,535 later, must not see that one's marks.
TEST(RandomGraphTest, PathLengthsStayRightWhenStampsWrap) {
  GenOptions options;
  options.nodes = 30;
  options.events = 80;
  std::unique_ptr<Loaded> l = LoadGenerated(RandomGraph(12, options));
  ASSERT_NE(l, nullptr);
  QueryLimits limits;
  limits.max_depth = 10;
  // The two nodes farthest apart, so that the search marks several.
  NodeId from = 0, to = 0;
  int farthest = 0;
  for (NodeId a : l->ids) {
    for (NodeId b : l->ids) {
      std::optional<int> hops = l->ref.Hops(a, b, {}, limits.max_depth);
      if (hops && *hops > farthest) std::tie(from, to, farthest) = std::tie(a, b, *hops);
    }
  }
  ASSERT_GE(farthest, 3);
  auto length = [&] {
    Result<PathResult> r = l->engine->Paths(*l->snap, from, to, {PathMode::kLength}, {}, limits);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->hops : std::nullopt;
  };
  EXPECT_EQ(length(), farthest);
  // A neighbourhood of depth 0 takes one stamp and marks its start alone.
  for (int i = 0; i < 65535 - 2; ++i) {
    ASSERT_TRUE(l->engine->Neighbours(*l->snap, from, 0, {}, limits, false).ok());
  }
  EXPECT_EQ(length(), farthest) << l->PathString({from, to});
}

TEST(RandomGraphTest, WeightedPathsMatchDijkstra) {
  ForRandomPairs({7u, 8u}, false, 60,
                 [](const Loaded& l, NodeId from, NodeId to, const NamedFilter& filter, int) {
                   return CheckWeighted(l, from, to, filter);
                 });
}

// Tiny graphs (at most 12 nodes), where every loop-free path can be listed.
void CheckKShortestOnTinyGraphs(bool weighted) {
  int mismatches = 0;
  const std::vector<NamedFilter> all_filters = Filters(kRandomConfidence);
  for (uint32_t seed = 1; seed <= 8; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    GenOptions options;
    options.countries = 2;
    options.nodes = 10 + static_cast<int>(seed % 3);
    options.events = 14;
    options.structural = 0.6;
    std::unique_ptr<Loaded> l = LoadGenerated(RandomGraph(100 + seed, options));
    ASSERT_NE(l, nullptr);
    for (size_t fi : {0u, 1u, 6u, 10u}) {  // any, out, labels, confidence
      for (NodeId from : l->ids) {
        for (NodeId to : l->ids) {
          if (from == to) continue;
          if (!CheckKShortest(*l, from, to, all_filters[fi], weighted ? 3 : 4, weighted)) {
            ++mismatches;
          }
          ASSERT_LT(mismatches, kMaxMismatches);
        }
      }
    }
  }
}

TEST(RandomGraphTest, KShortestPathsMatchEveryLoopFreePath) { CheckKShortestOnTinyGraphs(false); }

TEST(RandomGraphTest, WeightedKShortestPathsMatchEveryLoopFreePath) {
  CheckKShortestOnTinyGraphs(true);
}

TEST(RandomGraphTest, DyadsMatchAPlainCount) {
  int mismatches = 0;
  for (uint32_t seed : {9u, 10u, 11u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    GenOptions options;
    options.countries = 4;
    options.nodes = 40;
    options.events = 160;
    options.undated = 0.2;
    std::unique_ptr<Loaded> l = LoadGenerated(RandomGraph(seed, options));
    ASSERT_NE(l, nullptr);
    std::vector<NamedFilter> filters;
    filters.emplace_back("any", TraversalFilter{});
    TraversalFilter window;
    window.from = Day("2011-01-01");
    window.to = Day("2012-06-30");
    filters.emplace_back("2011-01-01..2012-06-30", window);
    TraversalFilter f;
    f.direction = Direction::kOut;
    f.predicates = {"MET", "VISITED", "STATED", "HOLDS_OFFICE"};
    filters.emplace_back("out MET|VISITED|STATED|HOLDS_OFFICE", f);
    f = {};
    f.direction = Direction::kIn;
    f.min_confidence = kRandomConfidence;
    filters.emplace_back("in, confidence", f);
    for (int a = 0; a < options.countries; ++a) {
      for (int b = 0; b < options.countries; ++b) {
        if (a == b) continue;
        for (Period by : {Period::kMonth, Period::kYear}) {
          for (const NamedFilter& f : filters) {
            if (!CheckDyad(*l, l->ids[a], l->ids[b], by, f)) ++mismatches;
            ASSERT_LT(mismatches, kMaxMismatches);
          }
        }
      }
    }
  }
}

TEST(RandomGraphTest, DyadsMatchAPlainCountWithADelta) {
  int mismatches = 0;
  for (uint32_t seed : {13u, 14u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    GenOptions options;
    options.countries = 4;
    options.nodes = 40;
    options.events = 160;
    std::unique_ptr<Loaded> l = LoadGeneratedWithDelta(RandomGraph(seed, options));
    ASSERT_NE(l, nullptr);
    TraversalFilter in;
    in.direction = Direction::kIn;
    for (const NamedFilter& f : {NamedFilter{"any", {}}, NamedFilter{"in", in}}) {
      for (int a = 0; a < options.countries; ++a) {
        for (int b = 0; b < options.countries; ++b) {
          if (a == b) continue;
          if (!CheckDyad(*l, l->ids[a], l->ids[b], Period::kMonth, f)) ++mismatches;
          ASSERT_LT(mismatches, kMaxMismatches);
        }
      }
    }
  }
}

// ---- the benchmark's XS data set -----------------------------------------------

std::vector<std::string> Split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, sep)) out.push_back(field);
  if (!line.empty() && line.back() == sep) out.emplace_back();
  return out;
}

// gen_facts.py --scale XS, loaded once; the reference is read from its
// nodes.csv and edges.csv (one row per distinct fact), not from the store.
class GeneratedXsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::optional<std::filesystem::path> shared = SharedDir();
    if (!shared) return;
    data_ = new TempDir;
    const std::string cmd = "python3 " + (*shared / "bench/gen_facts.py").string() +
                            " --scale XS --out " + data_->path().string() + " > /dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    loaded_ = LoadJsonl(ReadFile(data_->path() / "facts.jsonl")).release();
    ASSERT_NE(loaded_, nullptr);
    Loaded& l = *loaded_;

    std::ifstream nodes(data_->path() / "nodes.csv");
    std::string line;
    std::getline(nodes, line);  // header
    while (std::getline(nodes, line)) {
      std::vector<std::string> f = Split(line, ',');
      ASSERT_EQ(f.size(), 3u) << line;
      Result<NodeId> id = l.store->Resolve(f[1] + ":" + f[2]);
      ASSERT_TRUE(id.ok()) << line << ": " << id.status().ToString();
      ASSERT_EQ(std::stoul(f[0]), l.ids.size());
      l.ids.push_back(*id);
      l.ref.AddNode(*id, f[1]);
      if (f[1] == "Country") ++countries_;
    }
    std::ifstream edges(data_->path() / "edges.csv");
    std::getline(edges, line);
    while (std::getline(edges, line)) {
      std::vector<std::string> f = Split(line, ',');
      ASSERT_EQ(f.size(), 5u) << line;
      RefFact fact;
      fact.key.subject = l.ids[std::stoul(f[0])];
      fact.key.object = l.ids[std::stoul(f[1])];
      fact.predicate = f[2];
      fact.key.predicate = l.store->PredicateIdOf(f[2]).value_or(0);
      fact.key.valid_from = f[3].empty() ? storage::kOpenDay : Day(f[3]);
      fact.confidence = std::stod(f[4]);
      l.ref.AddFact(std::move(fact));
    }
    ASSERT_EQ(l.store->GetStats().facts, l.ref.facts().size());
    ASSERT_EQ(l.snap->edge_count(), l.ref.facts().size());
  }
  static void TearDownTestSuite() {
    delete loaded_;
    delete data_;
    loaded_ = nullptr;
    data_ = nullptr;
  }
  void SetUp() override {
    if (!SharedDir()) GTEST_SKIP() << "../shared is absent";
    ASSERT_NE(loaded_, nullptr);
  }

  // Nodes by falling degree.
  std::vector<NodeId> Hubs() const {
    std::map<NodeId, size_t> degree;
    for (const RefFact& f : loaded_->ref.facts()) {
      ++degree[f.subject()];
      ++degree[f.object()];
    }
    std::vector<NodeId> out = loaded_->ids;
    std::stable_sort(out.begin(), out.end(),
                     [&](NodeId a, NodeId b) { return degree[a] > degree[b]; });
    return out;
  }

  static TempDir* data_;
  static Loaded* loaded_;
  static int countries_;
};

TempDir* GeneratedXsTest::data_ = nullptr;
Loaded* GeneratedXsTest::loaded_ = nullptr;
int GeneratedXsTest::countries_ = 0;

// A confidence threshold near `near` with no fact within 1e-5 of it: the
// snapshot keeps confidences as floats, so a threshold a hair above a
// fact's confidence may let it pass.
double QuietThreshold(const RefGraph& ref, double near) {
  for (double t = near;; t += 0.0001) {
    if (std::none_of(ref.facts().begin(), ref.facts().end(),
                     [&](const RefFact& f) { return std::abs(f.confidence - t) < 1e-5; })) {
      return t;
    }
  }
}

TEST_F(GeneratedXsTest, OracleAnswersQ1ToQ4) {
  const Loaded& l = *loaded_;
  const std::optional<std::filesystem::path> shared = SharedDir();
  std::ifstream oracle(*shared / "bench/oracle/XS.expected.tsv");
  std::ifstream queries(data_->path() / "queries.txt");
  ASSERT_TRUE(oracle.is_open());
  std::string line, query;
  int checked = 0, mismatches = 0;
  while (std::getline(oracle, line)) {
    const std::vector<std::string> f = Split(line, '\t');
    ASSERT_EQ(f.size(), 3u) << line;
    // The oracle answers the queries the generator wrote, in order.
    ASSERT_TRUE(std::getline(queries, query));
    std::vector<std::string> q = Split(query, '\t');
    ASSERT_EQ(q[0], f[0]);
    std::vector<std::string> args = Split(f[1], ' ');
    ASSERT_EQ(std::vector<std::string>(q.begin() + 1, q.end()), args) << "queries.txt changed";
    std::vector<NodeId> ids;
    for (const std::string& a : args) ids.push_back(l.ids.at(std::stoul(a)));

    std::string got;
    if (f[0] == "Q1" || f[0] == "Q2") {
      Result<Neighbourhood> n =
          l.engine->Neighbours(*l.snap, ids[0], f[0] == "Q1" ? 1 : 2, {}, {}, /*with_facts=*/false);
      ASSERT_TRUE(n.ok()) << n.status().ToString();
      got = std::to_string(n->nodes.size());
    } else if (f[0] == "Q3") {
      QueryLimits limits;
      limits.max_depth = 10;
      Result<PathResult> p =
          l.engine->Paths(*l.snap, ids[0], ids[1], {PathMode::kLength}, {}, limits);
      ASSERT_TRUE(p.ok()) << p.status().ToString();
      got = std::to_string(p->hops.value_or(-1));
    } else {
      Result<graph::DyadTimeline> d =
          l.engine->Dyad(*l.snap, ids[0], ids[1], Period::kYear, {}, {}, /*with_facts=*/false);
      ASSERT_TRUE(d.ok()) << d.status().ToString();
      std::map<std::string, std::pair<uint64_t, double>> years;
      for (const graph::DyadBucket& b : d->buckets) {
        years[b.period].first += b.events;
        years[b.period].second += b.goldstein;
      }
      for (const auto& [year, sums] : years) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%s%s:%llu:%.2f", got.empty() ? "" : ";", year.c_str(),
                      static_cast<unsigned long long>(sums.first), sums.second);
        got += buf;
      }
    }
    ++checked;
    if (got != f[2]) {
      ++mismatches;
      ADD_FAILURE() << line << ": got " << got;
      ASSERT_LT(mismatches, kMaxMismatches);
    }
  }
  EXPECT_EQ(checked, 1000);
}

// The brute-force reference answers the oracle too (so that the other
// XS tests compare against something right).
TEST_F(GeneratedXsTest, ReferenceAgreesWithTheOracle) {
  const Loaded& l = *loaded_;
  std::ifstream oracle(*SharedDir() / "bench/oracle/XS.expected.tsv");
  std::string line;
  int mismatches = 0;
  while (std::getline(oracle, line)) {
    const std::vector<std::string> f = Split(line, '\t');
    ASSERT_EQ(f.size(), 3u) << line;
    std::vector<NodeId> ids;
    for (const std::string& a : Split(f[1], ' ')) ids.push_back(l.ids.at(std::stoul(a)));
    std::string got;
    if (f[0] == "Q1" || f[0] == "Q2") {
      got = std::to_string(l.ref.Neighbours(ids[0], f[0] == "Q1" ? 1 : 2, {}).nodes.size());
    } else if (f[0] == "Q3") {
      got = std::to_string(l.ref.Hops(ids[0], ids[1], {}, 10).value_or(-1));
    } else {
      std::map<std::string, std::pair<uint64_t, double>> years;
      for (const RefBucket& b : l.ref.Dyad(ids[0], ids[1], Period::kYear, {})) {
        years[b.period].first += b.events;
        years[b.period].second += b.goldstein;
      }
      for (const auto& [year, sums] : years) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%s%s:%llu:%.2f", got.empty() ? "" : ";", year.c_str(),
                      static_cast<unsigned long long>(sums.first), sums.second);
        got += buf;
      }
    }
    if (got != f[2]) {
      ++mismatches;
      ADD_FAILURE() << line << ": the reference says " << got;
      ASSERT_LT(mismatches, kMaxMismatches);
    }
  }
}

TEST_F(GeneratedXsTest, NeighbourhoodsMatchBreadthFirstSearch) {
  const Loaded& l = *loaded_;
  std::vector<NodeId> starts = Hubs();
  starts.resize(2);
  std::mt19937 rng(20240601);
  std::uniform_int_distribution<size_t> pick(0, l.ids.size() - 1);
  for (int i = 0; i < 10; ++i) starts.push_back(l.ids[pick(rng)]);
  int mismatches = 0;
  const std::vector<NamedFilter> filters = Filters(QuietThreshold(l.ref, 0.8));
  for (size_t fi : {0u, 1u, 2u, 3u, 6u, 7u, 10u, 11u}) {
    for (NodeId start : starts) {
      for (int depth : {1, 2, 3}) {
        if (!CheckNeighbours(l, start, depth, filters[fi])) ++mismatches;
        ASSERT_LT(mismatches, kMaxMismatches);
      }
    }
  }
}

TEST_F(GeneratedXsTest, PathsMatchBreadthFirstSearchAndDijkstra) {
  const Loaded& l = *loaded_;
  std::mt19937 rng(7);
  std::uniform_int_distribution<size_t> pick(0, l.ids.size() - 1);
  std::vector<NodeId> hubs = Hubs();
  int mismatches = 0;
  const std::vector<NamedFilter> filters = Filters(QuietThreshold(l.ref, 0.8));
  for (size_t fi : {0u, 1u, 3u, 6u, 7u, 10u, 11u}) {
    for (int i = 0; i < 25; ++i) {
      // Some paths start at a hub, where the shortest paths are many.
      const NodeId from = i % 5 == 0 ? hubs[static_cast<size_t>(i) % 3] : l.ids[pick(rng)];
      const NodeId to = l.ids[pick(rng)];
      if (from == to) continue;
      if (!CheckPaths(l, from, to, filters[fi], 8, 50)) ++mismatches;
      if (!CheckWeighted(l, from, to, filters[fi])) ++mismatches;
      ASSERT_LT(mismatches, kMaxMismatches);
    }
  }
}

TEST_F(GeneratedXsTest, DyadsMatchAPlainCount) {
  const Loaded& l = *loaded_;
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> pick(0, countries_ - 1);
  NamedFilter any{"any", {}};
  TraversalFilter window;
  window.from = Day("2015-01-01");
  window.to = Day("2018-12-31");
  NamedFilter years{"2015..2018", window};
  int mismatches = 0;
  // The biggest countries have the most events.
  std::vector<std::pair<int, int>> pairs{{0, 1}, {1, 2}, {0, 2}};
  for (int i = 0; i < 20; ++i) pairs.emplace_back(pick(rng), pick(rng));
  for (const auto& [a, b] : pairs) {
    if (a == b) continue;
    for (Period by : {Period::kYear, Period::kMonth}) {
      for (const NamedFilter* f : {&any, &years}) {
        if (!CheckDyad(l, l.ids[a], l.ids[b], by, *f)) ++mismatches;
        ASSERT_LT(mismatches, kMaxMismatches);
      }
    }
  }
}

TEST_F(GeneratedXsTest, NodeLimitTruncatesTheBiggestHub) {
  const Loaded& l = *loaded_;
  const NodeId hub = Hubs()[0];
  const RefNeighbourhood full = l.ref.Neighbours(hub, 2, {});
  ASSERT_GT(full.nodes.size(), 50u);
  QueryLimits limits;
  limits.max_nodes = 50;
  Result<Neighbourhood> n = l.engine->Neighbours(*l.snap, hub, 2, {}, limits);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->nodes.size(), 50u);
  EXPECT_EQ(n->truncated_by, Limit::kNodes);
  const std::set<std::pair<NodeId, int>> all(full.nodes.begin(), full.nodes.end());
  std::set<NodeId> in_answer{hub};
  for (const auto& node : n->nodes) {
    EXPECT_TRUE(all.contains(node)) << l.Name(node.first);
    in_answer.insert(node.first);
  }
  for (const FactKey& k : n->facts) {
    EXPECT_TRUE(in_answer.contains(k.subject) && in_answer.contains(k.object));
  }

  limits.max_nodes = 10000;
  limits.max_facts = 10;
  n = l.engine->Neighbours(*l.snap, hub, 2, {}, limits);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->nodes.size(), full.nodes.size());
  EXPECT_EQ(n->facts.size(), 10u);
  EXPECT_EQ(n->truncated_by, Limit::kFacts);
}

}  // namespace
}  // namespace dyad::testing
