// NodeCache: decoded nodes of the store's latest state, and what refs
// resolved to, kept in memory for a long-lived process (a server answers
// the same hubs and countries over and over; reading and decoding them from
// RocksDB was most of a small query's cost). Bounded: at most `capacity`
// nodes and as many refs. Private to the store, which fills it on reads and
// empties what a committed chunk changed.
//
// The promise: a read that goes through the cache never sees a node older
// than one a read of RocksDB at the same moment would see. A reader takes
// the generation before reading RocksDB and may only put what it read if no
// commit has touched nodes since (Put checks under the shard's lock); a
// commit bumps the generation after its write is visible and then forgets
// the nodes it changed, so a stale value either never gets in or is
// forgotten after it did.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "storage/model.h"

namespace dyad::storage {

class NodeCache {
 public:
  explicit NodeCache(size_t capacity);

  // Taken before reading RocksDB; handed to Put and PutResolved.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  // Calls fn(node) under the cache's lock if `id` is cached: no reference
  // count is touched, which hot nodes asked by many threads at once made
  // costly. Returns whether it was.
  template <typename Fn>
  bool Visit(NodeId id, Fn&& fn) const;
  void Put(std::shared_ptr<const Node> node, uint64_t read_generation);

  // What a ref (an external id, "Label:Name" or a name) resolved to when it
  // named exactly one node.
  std::optional<NodeId> Resolved(std::string_view ref) const;
  void PutResolved(std::string_view ref, NodeId id, uint64_t read_generation);

  // After a chunk that created or changed `ids` landed: no read from before
  // it may go in, those nodes are forgotten, and so is every resolved ref
  // (a new name or alias can make a name ambiguous, or an id win over it).
  void Forget(const std::vector<NodeId>& ids);

 private:
  // Two generations per shard: a hit moves an entry to the young one, and
  // when the young one is full the old one is dropped, so what is asked
  // often stays and memory stays bounded.
  template <typename Key, typename Value>
  struct Shard {
    mutable std::mutex mu;
    mutable absl::flat_hash_map<Key, Value> young, old;
  };
  // Calls fn(value) under the shard's lock if `key` is in it, moving it to
  // the young generation; returns whether it was.
  template <typename S, typename K, typename Fn>
  static bool VisitIn(S& shard, const K& key, Fn&& fn);
  static constexpr size_t kShards = 16;

  const size_t generation_size_;  // per shard and generation
  std::atomic<uint64_t> generation_{0};
  std::array<Shard<NodeId, std::shared_ptr<const Node>>, kShards> nodes_;
  std::array<Shard<std::string, NodeId>, kShards> refs_;
};

template <typename S, typename K, typename Fn>
bool NodeCache::VisitIn(S& shard, const K& key, Fn&& fn) {
  std::lock_guard lock(shard.mu);
  if (auto it = shard.young.find(key); it != shard.young.end()) {
    fn(it->second);
    return true;
  }
  auto it = shard.old.find(key);
  if (it == shard.old.end()) return false;
  fn(it->second);
  shard.young.emplace(it->first, std::move(it->second));
  shard.old.erase(it);
  return true;
}

template <typename Fn>
bool NodeCache::Visit(NodeId id, Fn&& fn) const {
  return VisitIn(nodes_[absl::HashOf(id) % kShards], id,
                 [&](const std::shared_ptr<const Node>& node) { fn(*node); });
}

}  // namespace dyad::storage
