#include "storage/node_cache.h"

#include <algorithm>

#include "absl/hash/hash.h"

namespace dyad::storage {
namespace {

// Called with the shard's lock held.
template <typename Shard, typename Key, typename Value>
void Insert(Shard& shard, Key&& key, Value&& value, size_t generation_size) {
  if (shard.young.size() >= generation_size) {
    shard.old = std::move(shard.young);
    shard.young.clear();
  }
  shard.young.insert_or_assign(std::forward<Key>(key), std::forward<Value>(value));
}

}  // namespace

NodeCache::NodeCache(size_t capacity)
    : generation_size_(std::max<size_t>(capacity / (2 * kShards), 1)) {}

void NodeCache::Put(std::shared_ptr<const Node> node, uint64_t read_generation) {
  auto& shard = nodes_[absl::HashOf(node->id) % kShards];
  std::lock_guard lock(shard.mu);
  if (generation() != read_generation) return;
  NodeId id = node->id;
  Insert(shard, id, std::move(node), generation_size_);
}

std::optional<NodeId> NodeCache::Resolved(std::string_view ref) const {
  std::optional<NodeId> found;
  // Debian's Abseil has a string_view of its own.
  VisitIn(refs_[absl::HashOf(ref) % kShards], absl::string_view(ref.data(), ref.size()),
          [&](NodeId id) { found = id; });
  return found;
}

void NodeCache::PutResolved(std::string_view ref, NodeId id, uint64_t read_generation) {
  auto& shard = refs_[absl::HashOf(ref) % kShards];
  std::lock_guard lock(shard.mu);
  if (generation() != read_generation) return;
  Insert(shard, std::string(ref), id, generation_size_);
}

void NodeCache::Forget(const std::vector<NodeId>& ids) {
  if (ids.empty()) return;
  generation_.fetch_add(1, std::memory_order_acq_rel);
  for (NodeId id : ids) {
    auto& shard = nodes_[absl::HashOf(id) % kShards];
    std::lock_guard lock(shard.mu);
    shard.young.erase(id);
    shard.old.erase(id);
  }
  for (auto& shard : refs_) {
    std::lock_guard lock(shard.mu);
    shard.young.clear();
    shard.old.clear();
  }
}

}  // namespace dyad::storage
