// EmbeddedBackend: the Backend over a store in this process, used by the
// command line (one per command) and by the server (one for its lifetime,
// shared by every call). Graph queries run on the snapshot persisted beside
// the store, opened on first use, or at once with `open_graph_now` (a
// server, so that loads reach the snapshot from the first chunk).
// Thread-safe: queries run concurrently with each other and with a load;
// loads run one at a time (the store's write lock).
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "graph/query.h"
#include "graph/snapshot_manager.h"
#include "graph/vocabulary.h"
#include "service/backend.h"
#include "storage/store.h"

namespace dyad::service {

struct EmbeddedOptions {
  // Create the store if missing (loads do; queries report NotFound).
  bool create_if_missing = false;
  // Open for queries only: no compaction, no Bloom filters (a one-off
  // query on a big store); a load then fails.
  bool query_only = false;
  // Map or build the graph snapshot when opening instead of on first use.
  bool open_graph_now = false;
  // After a load that committed something, write the graph image beside
  // the store so the next process maps it (the command line).
  bool persist_graph_after_load = false;
  // Decoded nodes and resolved names kept in memory (StoreOptions); a
  // server's small queries name the same nodes again and again.
  size_t node_cache_entries = 0;
};

class EmbeddedBackend final : public Backend {
 public:
  static Result<std::unique_ptr<EmbeddedBackend>> Open(const std::filesystem::path& dir,
                                                       graph::Vocabulary vocabulary,
                                                       const EmbeddedOptions& options);
  ~EmbeddedBackend() override;

  Status Load(const std::vector<storage::LoadInput>& inputs, const storage::LoadOptions& options,
              storage::LoadSummary* summary) override;
  Result<std::vector<storage::Node>> Find(const std::string& name,
                                          const std::string& label) override;
  Result<FactsView> Facts(const FactsRequest& request) override;
  Result<NeighboursView> Neighbours(const NeighboursRequest& request) override;
  Result<PathsView> Paths(const PathsRequest& request) override;
  Result<DyadView> Dyad(const DyadRequest& request) override;
  Result<storage::Stats> Stats() override;
  Result<ExportSummary> Export(const ExportRequest& request, const ExportSink& sink) override;
  Result<uint64_t> Backup(const std::string& dest) override;
  std::vector<storage::Node> CandidatesOf(const Status& status) override;

  // Declares or updates one entity through the loader (the same checks as
  // an entity record in a file) and returns the node as it now stands.
  Result<storage::Node> UpsertEntity(const storage::Node& entity, bool sync);

  // Leaves a graph image beside the store that reflects every committed
  // chunk, so the next process maps it instead of rebuilding (a server
  // shutting down). Cheap when the image is current.
  Status PersistGraph();

  storage::Store& store() { return *store_; }

 private:
  EmbeddedBackend() = default;
  Result<std::shared_ptr<const graph::Snapshot>> Snapshot();
  // The queries, with node props (an export writes them) or without (an
  // answer shows none).
  Result<NeighboursView> Neighbours(const NeighboursRequest& request,
                                    storage::Store::NodeProps node_props);
  Result<DyadView> Dyad(const DyadRequest& request, storage::Store::NodeProps node_props);

  graph::Vocabulary vocabulary_;
  EmbeddedOptions options_;
  // Declared before what reads it: members are destroyed in reverse.
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<graph::QueryEngine> engine_;
  std::mutex graphs_mu_;  // guards opening graphs_
  std::unique_ptr<graph::SnapshotManager> graphs_;
};

}  // namespace dyad::service
