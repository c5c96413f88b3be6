// SnapshotManager: keeps the graph snapshot of one store current and hands
// it to readers. On open it maps the image a previous process persisted
// beside the store when that image is current (tagged with the store's
// sequence number), and otherwise builds one from a scan and persists it,
// so that a one-off CLI query on a big store does not wait for a rebuild.
// While it is open, every chunk a loader commits is added to a delta and
// published at once; when the delta grows past a share of the base, a new
// base is built in the background and swapped in.
//   DYAD_ASSIGN_OR_RETURN(auto graphs, SnapshotManager::Open(*store, {}));
//   std::shared_ptr<const Snapshot> snap = graphs->Current();
// Current() never blocks on a writer or a rebuild. The store must outlive
// the manager.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "graph/snapshot.h"
#include "storage/status.h"
#include "storage/store.h"

namespace dyad::graph {

struct SnapshotOptions {
  // Map a current persisted image, and persist what was built.
  // Default: true
  bool persist = true;
  // Rebuild the base in the background once the delta holds more than
  // max(rebuild_min_edges, base edges * rebuild_ratio) edges.
  size_t rebuild_min_edges = 200000;
  double rebuild_ratio = 0.125;
};

// How the current base came to be, for `stats` and benchmarks.
struct SnapshotInfo {
  bool mapped = false;  // from the persisted file
  double build_seconds = 0;
  uint64_t rebuilds = 0;  // background rebuilds since open
  // Whether the last image built was written beside the store (OK when
  // persisting is off or the image was mapped). Queries work either way;
  // `dyad load` reports a failure.
  Status persisted;
};

class SnapshotManager {
 public:
  static Result<std::unique_ptr<SnapshotManager>> Open(storage::Store& store,
                                                       const SnapshotOptions& options);
  ~SnapshotManager();
  SnapshotManager(const SnapshotManager&) = delete;
  SnapshotManager& operator=(const SnapshotManager&) = delete;

  std::shared_ptr<const Snapshot> Current() const;
  SnapshotInfo info() const;

  // Builds a new base from the store now (the caller waits) and, if
  // options.persist, writes it beside the store. For the end of a load.
  Status Rebuild();

  // Where the image of a store in `store_dir` is persisted.
  static std::filesystem::path ImagePath(const std::filesystem::path& store_dir);

 private:
  SnapshotManager(storage::Store& store, const SnapshotOptions& options);
  void OnCommit(const storage::CommittedChange& change);
  void RebuildLoop();
  // Installs a new base and re-applies the changes it does not contain.
  void Install(std::shared_ptr<const CsrImage> base);

  storage::Store& store_;
  SnapshotOptions options_;
  uint64_t listener_ = 0;

  mutable std::mutex mu_;
  std::shared_ptr<const Snapshot> current_;
  std::shared_ptr<const Delta> delta_;
  // Changes since the base's sequence number, kept while a rebuild runs so
  // that they can be applied on top of its result.
  std::vector<std::shared_ptr<const storage::CommittedChange>> pending_;
  SnapshotInfo info_;

  std::mutex rebuild_mu_;  // one build at a time
  std::condition_variable wake_;
  bool rebuild_wanted_ = false;
  bool stopping_ = false;
  std::thread rebuilder_;
};

}  // namespace dyad::graph
