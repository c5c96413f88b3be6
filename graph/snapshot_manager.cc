#include "graph/snapshot_manager.h"

#include <chrono>

namespace dyad::graph {

namespace fs = std::filesystem;

fs::path SnapshotManager::ImagePath(const fs::path& store_dir) { return store_dir / "graph.csr"; }

SnapshotManager::SnapshotManager(storage::Store& store, const SnapshotOptions& options)
    : store_(store), options_(options) {}

Result<std::unique_ptr<SnapshotManager>> SnapshotManager::Open(storage::Store& store,
                                                               const SnapshotOptions& options) {
  auto manager = std::unique_ptr<SnapshotManager>(new SnapshotManager(store, options));
  // Listen before reading the store: a chunk that lands while the base is
  // built is kept and applied on top of it (Install skips what the base
  // already holds).
  manager->listener_ = store.AddCommitListener(
      [m = manager.get()](const storage::CommittedChange& change) { m->OnCommit(change); });
  const fs::path image_path = ImagePath(store.dir());
  const auto start = std::chrono::steady_clock::now();
  std::shared_ptr<const CsrImage> base;
  bool mapped = false;
  if (options.persist) {
    Result<std::shared_ptr<const CsrImage>> image = CsrImage::Map(image_path);
    // Anything but a current image (missing, stale, damaged) is rebuilt.
    if (image.ok() && (*image)->sequence() == store.LatestSequence()) {
      base = std::move(image).value();
      mapped = true;
    }
  }
  if (!base) {
    DYAD_ASSIGN_OR_RETURN(base, CsrImage::Build(store));
    // A store on a read-only medium still answers, from memory.
    if (options.persist) manager->info_.persisted = base->Persist(image_path);
  }
  manager->info_.mapped = mapped;
  manager->info_.build_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  manager->Install(std::move(base));
  manager->rebuilder_ = std::thread([m = manager.get()] { m->RebuildLoop(); });
  return manager;
}

SnapshotManager::~SnapshotManager() {
  store_.RemoveCommitListener(listener_);
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (rebuilder_.joinable()) rebuilder_.join();
}

std::shared_ptr<const Snapshot> SnapshotManager::Current() const {
  std::lock_guard lock(mu_);
  return current_;
}

SnapshotInfo SnapshotManager::info() const {
  std::lock_guard lock(mu_);
  return info_;
}

void SnapshotManager::OnCommit(const storage::CommittedChange& change) {
  auto kept = std::make_shared<const storage::CommittedChange>(change);
  std::lock_guard lock(mu_);
  pending_.push_back(kept);
  if (!current_) return;  // the first base is being built; Install applies it
  // Copy on write: readers keep the delta they hold.
  auto delta = delta_ ? std::make_shared<Delta>(*delta_) : std::make_shared<Delta>();
  delta->Apply(current_->base(), change);
  delta_ = delta;
  current_ = std::make_shared<const Snapshot>(current_->base_ptr(), delta_);
  const double threshold = std::max<double>(options_.rebuild_min_edges,
                                            options_.rebuild_ratio * current_->base().edge_count());
  if (delta->edge_count() > threshold) {
    rebuild_wanted_ = true;
    wake_.notify_all();
  }
}

void SnapshotManager::Install(std::shared_ptr<const CsrImage> base) {
  std::lock_guard lock(mu_);
  std::erase_if(pending_, [&](const auto& c) { return c->sequence <= base->sequence(); });
  std::shared_ptr<Delta> delta;
  for (const auto& change : pending_) {
    if (!delta) delta = std::make_shared<Delta>();
    delta->Apply(*base, *change);
  }
  delta_ = delta;
  current_ = std::make_shared<const Snapshot>(std::move(base), delta_);
}

Status SnapshotManager::Rebuild() {
  std::lock_guard build(rebuild_mu_);
  const auto start = std::chrono::steady_clock::now();
  DYAD_ASSIGN_OR_RETURN(std::shared_ptr<const CsrImage> base, CsrImage::Build(store_));
  Status persisted = options_.persist ? base->Persist(ImagePath(store_.dir())) : Status::OK();
  Install(base);
  std::lock_guard lock(mu_);
  info_.mapped = false;
  info_.persisted = persisted;
  info_.build_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return persisted;
}

void SnapshotManager::RebuildLoop() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || rebuild_wanted_; });
    if (stopping_) return;
    rebuild_wanted_ = false;
    lock.unlock();
    // A failed rebuild leaves the delta in place; the next commit retries.
    Rebuild().IgnoreError();
    lock.lock();
    ++info_.rebuilds;
  }
}

}  // namespace dyad::graph
