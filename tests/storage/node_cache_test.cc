// A store with a node cache (StoreOptions::node_cache_entries, what a
// server opens) answers exactly like one without: every chunk that lands is
// seen by the next read, a name that becomes ambiguous stops resolving, and
// readers racing a loader never keep an old node.
#include <atomic>
#include <thread>

#include "storage/store.h"
#include "tests/test_util.h"

namespace dyad::testing {
namespace {

using storage::Node;
using storage::NodeId;
using storage::Store;

std::unique_ptr<Store> OpenCached(const std::filesystem::path& dir, size_t entries) {
  storage::StoreOptions options;
  options.create_if_missing = true;
  options.node_cache_entries = entries;
  Result<std::unique_ptr<Store>> store = Store::Open(dir, options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

// The seeds in a new store with a node cache of `entries`.
std::unique_ptr<Store> CachedSeeds(const std::filesystem::path& dir, size_t entries) {
  auto store = OpenCached(dir / "store", entries);
  if (store == nullptr) return nullptr;
  storage::LoadSummary summary;
  Status loaded = LoadPath(*store, SeedFacts(), &summary);
  EXPECT_OK(loaded);
  return loaded.ok() ? std::move(store) : nullptr;
}

// Every node as the store's latest state holds it, read around the cache.
std::vector<Node> Uncached(const Store& store, const std::vector<NodeId>& ids) {
  Result<std::vector<Node>> nodes = store.NewView()->GetNodes(ids);
  EXPECT_TRUE(nodes.ok()) << nodes.status().ToString();
  return nodes.ok() ? *nodes : std::vector<Node>{};
}

std::string Describe(const Node& n) {
  std::string s = n.external_id + "|" + n.label + "|" + n.name + "|" + (n.declared ? "d" : "-");
  for (const auto& a : n.aliases) s += "|a:" + a;
  for (const auto& p : n.props) s += "|p:" + p.SerializeAsString();
  return s;
}

std::vector<std::string> Describe(const std::vector<Node>& nodes) {
  std::vector<std::string> out;
  for (const auto& n : nodes) out.push_back(Describe(n));
  return out;
}

std::vector<NodeId> AllIds(const Store& store) {
  std::vector<NodeId> ids;
  EXPECT_OK(store.NewView()->ForEachNode([&](const Node& n) {
    ids.push_back(n.id);
    return Status::OK();
  }));
  return ids;
}

TEST(NodeCacheTest, ALoadedChunkIsSeenByTheNextRead) {
  TempDir dir;
  auto store = CachedSeeds(dir.path(), 64);
  ASSERT_NE(store, nullptr);

  // Fill the cache: the node, and what "Kiani" resolves to.
  Result<NodeId> kiani = store->Resolve("Kiani");
  ASSERT_OK(kiani.status());
  Result<Node> before = store->GetNode(*kiani);
  ASSERT_OK(before.status());
  ASSERT_OK(store->GetNodes({*kiani}).status());
  EXPECT_EQ(before->aliases.size(), 5u);

  // A new alias for him, and a place that is also called Kiani.
  storage::LoadSummary loaded;
  ASSERT_OK(LoadText(
      *store,
      R"({"kind":"entity","label":"Person","name":"Ashfaq Parvez Kayani","aliases":["COAS Kayani"]}
{"kind":"entity","label":"Location","name":"Kiani"}
)",
      &loaded, {}, "more.jsonl"));
  Result<Node> after = store->GetNode(*kiani);
  ASSERT_OK(after.status());
  EXPECT_EQ(after->aliases.size(), 6u);
  EXPECT_EQ(after->aliases.back(), "COAS Kayani");
  Result<std::vector<Node>> many = store->GetNodes({*kiani});
  ASSERT_OK(many.status());
  EXPECT_EQ(Describe(many->front()), Describe(*after));

  Result<NodeId> again = store->Resolve("Kiani");
  EXPECT_TRUE(again.status().IsAmbiguous()) << again.status().ToString();
  EXPECT_EQ(again.status().candidates().size(), 2u);
  Result<NodeId> by_alias = store->Resolve("COAS Kayani");
  ASSERT_OK(by_alias.status());
  EXPECT_EQ(*by_alias, *kiani);
}

TEST(NodeCacheTest, ATinyCacheStillAnswersEveryNodeWithOrWithoutProps) {
  TempDir dir;
  auto store = CachedSeeds(dir.path(), 4);
  ASSERT_NE(store, nullptr);
  std::vector<NodeId> ids = AllIds(*store);
  ASSERT_EQ(ids.size(), 19u);
  const std::vector<std::string> truth = Describe(Uncached(*store, ids));
  for (int round = 0; round < 3; ++round) {
    Result<std::vector<Node>> nodes = store->GetNodes(ids);
    ASSERT_OK(nodes.status());
    EXPECT_EQ(Describe(*nodes), truth) << "round " << round;
    for (size_t i = 0; i < ids.size(); ++i) {
      Result<Node> one = store->GetNode(ids[i]);
      ASSERT_OK(one.status());
      EXPECT_EQ(Describe(*one), truth[i]);
    }
  }
  Result<std::vector<Node>> bare = store->GetNodes(ids, Store::NodeProps::kWithout);
  ASSERT_OK(bare.status());
  bool some_had_props = false;
  for (size_t i = 0; i < ids.size(); ++i) {
    Node expected = Uncached(*store, {ids[i]}).front();
    some_had_props |= !expected.props.empty();
    expected.props.clear();
    EXPECT_EQ(Describe((*bare)[i]), Describe(expected));
  }
  EXPECT_TRUE(some_had_props);  // Pakistan's iso
}

// Readers fill the cache while a loader adds an alias to every node, one
// small chunk at a time. A reader may see a chunk late by the time it takes
// to land, but never goes back, and once the load is over every read
// through the cache equals the store.
TEST(NodeCacheTest, ReadersRacingALoaderKeepNoOldNode) {
  TempDir dir;
  auto store = OpenCached(dir.path() / "store", 1024);
  ASSERT_NE(store, nullptr);
  storage::LoadSummary summary;
  std::string base;
  for (int i = 0; i < 200; ++i) {
    base += R"({"kind":"entity","label":"Country","name":"Country )" + std::to_string(i) + R"("})" +
            "\n";
  }
  ASSERT_OK(LoadText(*store, base, &summary));
  std::vector<NodeId> ids = AllIds(*store);
  ASSERT_EQ(ids.size(), 200u);

  std::atomic<bool> done{false};
  std::atomic<int> went_back{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      std::vector<size_t> seen(ids.size(), 0);
      while (!done.load()) {
        Result<std::vector<Node>> nodes = store->GetNodes(ids);
        if (!nodes.ok()) continue;
        for (size_t i = 0; i < ids.size(); ++i) {
          if ((*nodes)[i].aliases.size() < seen[i]) went_back++;
          seen[i] = (*nodes)[i].aliases.size();
        }
      }
    });
  }
  for (int round = 0; round < 5; ++round) {
    std::string more;
    for (int i = 0; i < 200; ++i) {
      more += R"({"kind":"entity","label":"Country","name":"Country )" + std::to_string(i) +
              R"(","aliases":["C)" + std::to_string(i) + "-" + std::to_string(round) + R"("]})" +
              "\n";
    }
    storage::LoadOptions options;
    options.batch_records = 7;
    ASSERT_OK(LoadText(*store, more, &summary, options, "round.jsonl"));
  }
  done = true;
  for (auto& r : readers) r.join();
  EXPECT_EQ(went_back.load(), 0);

  const std::vector<std::string> truth = Describe(Uncached(*store, ids));
  Result<std::vector<Node>> cached = store->GetNodes(ids);
  ASSERT_OK(cached.status());
  EXPECT_EQ(Describe(*cached), truth);
  for (size_t i = 0; i < ids.size(); ++i) {
    Result<Node> one = store->GetNode(ids[i]);
    ASSERT_OK(one.status());
    EXPECT_EQ(one->aliases.size(), 5u);
    EXPECT_EQ(Describe(*one), truth[i]);
  }
}

}  // namespace
}  // namespace dyad::testing
