#include "tests/graph/reference.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <queue>
#include <random>

#include "storage/dates.h"

namespace dyad::testing {

KeySet ToSet(const std::vector<FactKey>& keys) { return KeySet(keys.begin(), keys.end()); }

std::string KeyString(const storage::Store& store, const FactKey& key) {
  auto name = [&](NodeId id) {
    Result<storage::Node> n = store.GetNode(id);
    return n.ok() ? n->name : "#" + std::to_string(id);
  };
  return name(key.subject) + " -" + store.PredicateName(key.predicate) + "-> " + name(key.object) +
         " @" + (key.valid_from == storage::kOpenDay ? "-" : storage::FormatDay(key.valid_from));
}

std::string KeysString(const storage::Store& store, const KeySet& keys) {
  std::string out;
  for (const FactKey& k : keys) out += "\n  " + KeyString(store, k);
  return out;
}

FactKey KeyOf(const storage::Store& store, const storage::Fact& fact) {
  FactKey k;
  k.subject = fact.subject;
  k.predicate = store.PredicateIdOf(fact.predicate).value_or(0);
  k.object = fact.object;
  k.valid_from = fact.valid_from;
  return k;
}

// ---- RefGraph --------------------------------------------------------------

void RefGraph::AddNode(NodeId id, std::string label) { labels_[id] = std::move(label); }

void RefGraph::AddFact(RefFact fact) {
  const size_t i = facts_.size();
  by_key_[{fact.key.subject, fact.key.predicate, fact.key.object, fact.key.valid_from}] = i;
  incident_[fact.key.subject].push_back(i);
  if (fact.key.object != fact.key.subject) incident_[fact.key.object].push_back(i);
  facts_.push_back(std::move(fact));
}

const RefFact* RefGraph::Find(const FactKey& key) const {
  auto it = by_key_.find({key.subject, key.predicate, key.object, key.valid_from});
  return it == by_key_.end() ? nullptr : &facts_[it->second];
}

bool RefGraph::Passes(const RefFact& f, const TraversalFilter& filter) const {
  if (!filter.predicates.empty() && std::find(filter.predicates.begin(), filter.predicates.end(),
                                              f.predicate) == filter.predicates.end()) {
    return false;
  }
  // Valid at some day of [from, to]: it starts no later than `to` and ends
  // no earlier than `from`; an open end reaches forever.
  if (filter.to != storage::kOpenDay && f.valid_from() != storage::kOpenDay &&
      f.valid_from() > filter.to) {
    return false;
  }
  if (filter.from != storage::kOpenDay && f.valid_to != storage::kOpenDay &&
      f.valid_to < filter.from) {
    return false;
  }
  return f.confidence >= filter.min_confidence;
}

bool RefGraph::Symmetric(const std::string& predicate) const {
  const graph::PredicateInfo* info = vocabulary_->Find(predicate);
  return info != nullptr && info->symmetric;
}

bool RefGraph::LabelAllowed(NodeId v, const TraversalFilter& filter) const {
  if (filter.labels.empty()) return true;
  auto it = labels_.find(v);
  if (it == labels_.end()) return false;
  return std::find(filter.labels.begin(), filter.labels.end(), it->second) != filter.labels.end();
}

std::vector<std::pair<NodeId, size_t>> RefGraph::Steps(NodeId u, const TraversalFilter& filter,
                                                       const std::set<NodeId>& exempt) const {
  std::vector<std::pair<NodeId, size_t>> out;
  auto it = incident_.find(u);
  if (it == incident_.end()) return out;
  for (size_t i : it->second) {
    const RefFact& f = facts_[i];
    if (!Passes(f, filter)) continue;
    const bool sym = Symmetric(f.predicate);
    std::optional<NodeId> far;
    if (f.subject() == u && (filter.direction != storage::Direction::kIn || sym)) {
      far = f.object();
    } else if (f.object() == u && (filter.direction != storage::Direction::kOut || sym)) {
      far = f.subject();
    }
    if (!far) continue;
    if (!exempt.contains(*far) && !LabelAllowed(*far, filter)) continue;
    out.emplace_back(*far, i);
  }
  return out;
}

KeySet RefGraph::StepFacts(NodeId u, NodeId v, const TraversalFilter& filter) const {
  KeySet out;
  for (const auto& [far, i] : Steps(u, filter, {u, v})) {
    if (far == v) out.insert(facts_[i].key);
  }
  return out;
}

std::optional<double> RefGraph::StepCost(NodeId u, NodeId v, const TraversalFilter& filter) const {
  std::optional<double> best;
  for (const auto& [far, i] : Steps(u, filter, {u, v})) {
    if (far != v) continue;
    const double c = -std::log(facts_[i].confidence);
    if (!best || c < *best) best = c;
  }
  return best;
}

RefNeighbourhood RefGraph::Neighbours(NodeId start, int depth,
                                      const TraversalFilter& filter) const {
  std::map<NodeId, int> hop{{start, 0}};
  std::vector<NodeId> frontier{start};
  for (int h = 0; h < depth && !frontier.empty(); ++h) {
    std::vector<NodeId> next;
    for (NodeId u : frontier) {
      for (const auto& [v, i] : Steps(u, filter, {start})) {
        if (hop.emplace(v, h + 1).second) next.push_back(v);
      }
    }
    frontier = std::move(next);
  }
  RefNeighbourhood n;
  for (const auto& [v, h] : hop) {
    if (v != start) n.nodes.emplace_back(v, h);
  }
  std::sort(n.nodes.begin(), n.nodes.end(), [](const auto& a, const auto& b) {
    return std::tie(a.second, a.first) < std::tie(b.second, b.first);
  });
  for (const auto& [u, h] : hop) {
    if (h >= depth) continue;
    for (const auto& [v, i] : Steps(u, filter, {start})) {
      if (hop.contains(v)) n.facts.insert(facts_[i].key);
    }
  }
  return n;
}

std::optional<int> RefGraph::Hops(NodeId from, NodeId to, const TraversalFilter& filter,
                                  int max_depth) const {
  if (from == to) return 0;
  std::set<NodeId> seen{from};
  std::vector<NodeId> frontier{from};
  for (int h = 0; h < max_depth && !frontier.empty(); ++h) {
    std::vector<NodeId> next;
    for (NodeId u : frontier) {
      for (const auto& [v, i] : Steps(u, filter, {from, to})) {
        if (v == to) return h + 1;
        if (seen.insert(v).second) next.push_back(v);
      }
    }
    frontier = std::move(next);
  }
  return std::nullopt;
}

std::vector<std::vector<NodeId>> RefGraph::AllShortest(NodeId from, NodeId to,
                                                       const TraversalFilter& filter, int max_depth,
                                                       size_t cap) const {
  std::optional<int> k = Hops(from, to, filter, max_depth);
  if (!k) return {};
  // Layers of the BFS, and for each node its predecessors one layer up.
  std::map<NodeId, int> dist{{from, 0}};
  std::map<NodeId, std::set<NodeId>> preds;
  std::vector<NodeId> layer{from};
  for (int h = 0; h < *k; ++h) {
    std::vector<NodeId> next;
    for (NodeId u : layer) {
      if (u == to) continue;
      for (const auto& [v, i] : Steps(u, filter, {from, to})) {
        auto [it, added] = dist.emplace(v, h + 1);
        if (added) next.push_back(v);
        if (it->second == h + 1) preds[v].insert(u);
      }
    }
    layer = std::move(next);
  }
  std::vector<std::vector<NodeId>> paths;
  std::vector<NodeId> suffix{to};
  std::function<void(NodeId)> back = [&](NodeId v) {
    if (paths.size() >= cap) return;
    if (v == from) {
      paths.emplace_back(suffix.rbegin(), suffix.rend());
      return;
    }
    for (NodeId p : preds[v]) {
      suffix.push_back(p);
      back(p);
      suffix.pop_back();
    }
  };
  back(to);
  return paths;
}

std::vector<std::vector<NodeId>> RefGraph::AllSimplePaths(NodeId from, NodeId to,
                                                          const TraversalFilter& filter,
                                                          int max_depth, size_t cap) const {
  std::vector<std::vector<NodeId>> paths;
  std::vector<NodeId> path{from};
  std::set<NodeId> on_path{from};
  std::function<void(NodeId)> walk = [&](NodeId u) {
    if (paths.size() >= cap) return;
    if (u == to) {
      paths.push_back(path);
      return;
    }
    if (static_cast<int>(path.size()) - 1 >= max_depth) return;
    std::set<NodeId> tried;  // parallel facts lead to the same node once
    for (const auto& [v, i] : Steps(u, filter, {from, to})) {
      if (on_path.contains(v) || !tried.insert(v).second) continue;
      path.push_back(v);
      on_path.insert(v);
      walk(v);
      on_path.erase(v);
      path.pop_back();
    }
  };
  walk(from);
  return paths;
}

std::optional<double> RefGraph::PathCost(const std::vector<NodeId>& path,
                                         const TraversalFilter& filter) const {
  double total = 0;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    std::optional<double> c = StepCost(path[i], path[i + 1], filter);
    if (!c) return std::nullopt;
    total += *c;
  }
  return total;
}

std::optional<double> RefGraph::MinCost(NodeId from, NodeId to,
                                        const TraversalFilter& filter) const {
  std::map<NodeId, double> best{{from, 0.0}};
  using Item = std::pair<double, NodeId>;
  std::priority_queue<Item, std::vector<Item>, std::greater<>> queue;
  queue.emplace(0.0, from);
  std::set<NodeId> done;
  while (!queue.empty()) {
    auto [d, u] = queue.top();
    queue.pop();
    if (!done.insert(u).second) continue;
    if (u == to) return d;
    for (const auto& [v, i] : Steps(u, filter, {from, to})) {
      const double nd = d - std::log(facts_[i].confidence);
      auto it = best.find(v);
      if (it == best.end() || nd < it->second) {
        best[v] = nd;
        queue.emplace(nd, v);
      }
    }
  }
  return std::nullopt;
}

std::set<NodeId> RefGraph::Members(NodeId country) const {
  static const std::set<std::string> kStructural = {"HOLDS_OFFICE", "MEMBER_OF", "LOCATED_IN"};
  std::set<NodeId> members{country};
  for (bool grew = true; grew;) {
    grew = false;
    for (const RefFact& f : facts_) {
      if (kStructural.contains(f.predicate) && members.contains(f.object()) &&
          members.insert(f.subject()).second) {
        grew = true;
      }
    }
  }
  return members;
}

std::vector<RefBucket> RefGraph::Dyad(NodeId a, NodeId b, graph::Period by,
                                      const TraversalFilter& filter) const {
  const std::set<NodeId> in_a = Members(a), in_b = Members(b);
  const size_t width = by == graph::Period::kMonth ? 7 : 4;
  std::map<std::pair<std::string, int>, RefBucket> buckets;  // (period, 0 a_to_b / 1 b_to_a)
  for (const RefFact& f : facts_) {
    const graph::PredicateInfo* info = vocabulary_->Find(f.predicate);
    if (info == nullptr || !info->goldstein || !Passes(f, filter)) continue;
    bool a_to_b;
    if (in_a.contains(f.subject()) && in_b.contains(f.object())) {
      a_to_b = true;
    } else if (in_b.contains(f.subject()) && in_a.contains(f.object())) {
      a_to_b = false;
    } else {
      continue;
    }
    // Direction out keeps a_to_b only, in keeps b_to_a only.
    if (a_to_b ? filter.direction == storage::Direction::kIn
               : filter.direction == storage::Direction::kOut) {
      continue;
    }
    std::string period = "undated";
    if (f.valid_from() != storage::kOpenDay) {
      period = storage::FormatDay(f.valid_from()).substr(0, width);
    } else if (!f.published.empty()) {
      period = f.published.substr(0, width);
    }
    RefBucket& bucket = buckets[{period, a_to_b ? 0 : 1}];
    bucket.period = period;
    bucket.a_to_b = a_to_b;
    bucket.events += 1;
    bucket.goldstein += *info->goldstein;
    bucket.facts.insert(f.key);
  }
  std::vector<RefBucket> out;
  for (auto& [k, bucket] : buckets) out.push_back(std::move(bucket));
  return out;
}

RefGraph RefFromStore(const storage::Store& store) {
  RefGraph ref;
  const uint64_t nodes = store.GetStats().nodes;
  for (NodeId id = 1; id <= nodes; ++id) {
    Result<storage::Node> node = store.GetNode(id);
    EXPECT_TRUE(node.ok()) << id;
    if (!node.ok()) continue;
    ref.AddNode(id, node->label);
    storage::FactFilter out;
    out.direction = storage::Direction::kOut;
    Result<storage::FactList> facts = store.FactsOf(id, out);
    EXPECT_TRUE(facts.ok()) << id;
    if (!facts.ok()) continue;
    for (const storage::Fact& fact : *facts) {
      RefFact f;
      f.key = KeyOf(store, fact);
      f.predicate = fact.predicate;
      f.valid_to = fact.valid_to;
      f.confidence = fact.confidence;
      for (const storage::Source& source : fact.sources) {
        for (const auto& field : source.fields) {
          if (field.key() == "published" &&
              (f.published.empty() || field.value().string_value() < f.published)) {
            f.published = field.value().string_value();
          }
        }
      }
      ref.AddFact(std::move(f));
    }
  }
  return ref;
}

// ---- GenGraph --------------------------------------------------------------

namespace {

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string Ref(const std::pair<std::string, std::string>& node) {
  return R"({"label":")" + node.first + R"(","name":")" + node.second + R"("})";
}

}  // namespace

std::string GenGraph::Jsonl() const {
  std::string out;
  for (const auto& [label, name] : nodes) {
    out += R"({"kind":"entity","label":")" + label + R"(","name":")" + name + "\"}\n";
  }
  for (size_t source = 0; source < 2; ++source) {
    for (size_t i = 0; i < facts.size(); ++i) {
      const GenFact& f = facts[i];
      if (source >= f.confidences.size()) continue;
      out += R"({"kind":"fact","subject":)" + Ref(nodes[f.subject]) + R"(,"predicate":")" +
             f.predicate + R"(","object":)" + Ref(nodes[f.object]);
      if (!f.valid_from.empty()) out += R"(,"valid_from":")" + f.valid_from + "\"";
      if (!f.valid_to.empty()) out += R"(,"valid_to":")" + f.valid_to + "\"";
      out += R"(,"confidence":)" + Number(f.confidences[source]);
      out += R"(,"source":{"doc":"doc-)" + std::to_string(i) + "-" + std::to_string(source) + "\"";
      if (!f.published.empty()) out += R"(,"published":")" + f.published + "\"";
      out += "}}\n";
    }
  }
  return out;
}

NodeId GenGraph::Id(const storage::Store& store, int i) const {
  const auto& [label, name] = nodes[i];
  Result<NodeId> id = store.Resolve(label + ":" + name);
  EXPECT_TRUE(id.ok()) << label << ":" << name << ": " << id.status().ToString();
  return id.ok() ? *id : 0;
}

RefGraph GenGraph::Reference(const storage::Store& store) const {
  RefGraph ref;
  std::vector<NodeId> ids;
  for (size_t i = 0; i < nodes.size(); ++i) {
    ids.push_back(Id(store, static_cast<int>(i)));
    ref.AddNode(ids.back(), nodes[i].first);
  }
  auto day = [](const std::string& s) {
    if (s.empty()) return storage::kOpenDay;
    Result<DayCode> d = storage::ParseDay(s);
    EXPECT_TRUE(d.ok()) << s;
    return d.ok() ? *d : storage::kOpenDay;
  };
  for (const GenFact& g : facts) {
    RefFact f;
    f.key.subject = ids[g.subject];
    f.key.object = ids[g.object];
    std::optional<storage::PredicateId> p = store.PredicateIdOf(g.predicate);
    EXPECT_TRUE(p.has_value()) << g.predicate;
    f.key.predicate = p.value_or(0);
    f.key.valid_from = day(g.valid_from);
    f.predicate = g.predicate;
    f.valid_to = day(g.valid_to);
    double miss = 1.0;
    for (double c : g.confidences) miss *= 1.0 - c;
    f.confidence = 1.0 - miss;
    f.published = g.published;
    ref.AddFact(std::move(f));
  }
  return ref;
}

GenGraph RandomGraph(uint32_t seed, const GenOptions& options) {
  std::mt19937 rng(seed);
  auto uniform = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
  static const double kConfidences[] = {0.55, 0.6, 0.75, 0.9, 1.0};
  auto confidences = [&] {
    std::vector<double> c{kConfidences[uniform(5)]};
    if (chance(options.corroborated)) c.push_back(kConfidences[uniform(5)]);
    return c;
  };
  auto date = [&](int year, int month, int day) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
    return std::string(buf);
  };

  GenGraph g;
  std::vector<int> countries, organizations;
  for (int i = 0; i < options.nodes; ++i) {
    std::string label;
    if (i < options.countries) {
      label = "Country";
      countries.push_back(i);
    } else {
      static const char* kLabels[] = {"Person", "Person", "Organization", "Location"};
      label = kLabels[uniform(4)];
      if (label == "Organization") organizations.push_back(i);
    }
    g.nodes.emplace_back(label, label.substr(0, 1) + std::to_string(i));
  }

  // Structural facts: a forest, so that each node rolls up to at most one
  // country (person -> organization -> country at most two levels).
  for (int i = options.countries; i < options.nodes; ++i) {
    if (!chance(options.structural)) continue;
    GenFact f;
    f.subject = i;
    const std::string& label = g.nodes[i].first;
    const int country = countries[uniform(static_cast<int>(countries.size()))];
    if (label == "Person") {
      const bool to_org = !organizations.empty() && chance(0.4);
      f.object = to_org ? organizations[uniform(static_cast<int>(organizations.size()))] : country;
      f.predicate = to_org && chance(0.5) ? "MEMBER_OF" : "HOLDS_OFFICE";
    } else if (label == "Organization") {
      f.object = country;
      f.predicate = "MEMBER_OF";
    } else {
      f.object = country;
      f.predicate = "LOCATED_IN";
    }
    f.confidences = confidences();
    g.facts.push_back(f);
  }

  static const char* kPredicates[] = {"MET",        "MET",    "COOPERATED_ECONOMICALLY", "VISITED",
                                      "CRITICIZED", "STATED", "PARTICIPANT_IN",          "ADVISED"};
  std::set<std::tuple<int, std::string, int, std::string>> seen;
  for (int made = 0; made < options.events;) {
    GenFact f;
    f.subject = uniform(options.nodes);
    f.object = uniform(options.nodes);
    if (f.subject == f.object) continue;
    f.predicate = kPredicates[uniform(8)];
    if (!chance(options.undated)) {
      const int year = 2010 + uniform(4), month = 1 + uniform(12), day = 1 + uniform(28);
      f.valid_from = date(year, month, day);
      f.published = f.valid_from;
      if (chance(0.3)) f.valid_to = date(year + uniform(2), month, 28);
    } else if (chance(0.7)) {
      f.published = date(2010 + uniform(4), 1 + uniform(12), 1 + uniform(28));
    }
    if (!seen.emplace(f.subject, f.predicate, f.object, f.valid_from).second) continue;
    f.confidences = confidences();
    g.facts.push_back(f);
    ++made;
  }
  return g;
}

}  // namespace dyad::testing
