// Store: one dyad store, a RocksDB database in a directory, and the only
// source of truth (docs/storage.md has the schema). It answers look-ups by
// id, name or alias and lists a node's facts with their provenance; a
// storage::Loader writes to it.
//   DYAD_ASSIGN_OR_RETURN(auto store, Store::Open(dir, StoreOptions{}));
//   DYAD_ASSIGN_OR_RETURN(NodeId id, store->Resolve("Location:Moscow"));
// A Store is safe to use from several threads; one Loader writes at a time.
// Only one process may open a store: a second gets Busy.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "storage/model.h"
#include "storage/status.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class Iterator;
class Snapshot;
}  // namespace rocksdb

namespace dyad::v1 {
class EdgeRecord;
}  // namespace dyad::v1

namespace dyad::storage {

// Version of the on-disk layout; a store of another version is refused.
inline constexpr uint32_t kFormatVersion = 1;

struct StoreOptions {
  // Create an empty store when `dir` does not exist or is empty.
  // Default: false (reading commands must not create stores by accident)
  bool create_if_missing = false;
  // The process only queries and exits soon (a CLI query). It then does
  // not compact in the background (a compaction it started would be thrown
  // away at exit) and does not read Bloom filters (they serve a loader's
  // look-ups, which mostly miss; a query's mostly hit, and reading every
  // file's filter would cost a short query most of its time).
  // Default: false
  bool query_only = false;
  // Keep up to this many decoded nodes (and as many resolved names) in
  // memory for reads of the latest state; 0: none. For a long-lived
  // process that answers many small queries (a server); a one-off command
  // would only fill it.
  // Default: 0
  size_t node_cache_entries = 0;
};

// Column families, in the order ForEachRaw() visits them.
enum class Column { kMeta = 0, kNodes, kNames, kIds, kOut, kIn, kDocs };
inline constexpr int kColumnCount = 7;
std::string_view ColumnName(Column c);

class StoreView;
class StoreHold;
class NodeCache;

// What Store::Check found: the store's size as the scan counted it, and
// every broken promise (the first kListed of them spelled out).
struct CheckReport {
  static constexpr size_t kListed = 20;
  uint64_t nodes = 0;
  uint64_t facts = 0;
  uint64_t sources = 0;  // distinct source documents
  uint64_t problem_count = 0;
  std::vector<std::string> problems;
  bool ok() const { return problem_count == 0; }
};

class Store {
 public:
  // Opens the store in `dir`. FailedPrecondition if `dir` does not exist or
  // is empty (and create_if_missing is false), if it holds something that
  // is not a dyad store, or a store of another format version (the message
  // names both versions); Busy if another process has it open.
  static Result<std::unique_ptr<Store>> Open(const std::filesystem::path& dir,
                                             const StoreOptions& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::filesystem::path& dir() const { return dir_; }

  // The node with internal id `id`; NotFound if there is none.
  Result<Node> GetNode(NodeId id) const;

  // Nodes whose name or alias normalises like `name`, under `label` when
  // given (else under every label), ordered by id. Empty if none;
  // InvalidArgument if `name` normalises to nothing.
  Result<std::vector<NodeId>> FindByName(std::string_view name,
                                         std::optional<std::string_view> label) const;

  // Resolves what a user typed for a node: an external id
  // ("Person:ashfaq-parvez-kayani"), a `Label:Name` ("Location:Moscow"), or a
  // bare name or alias. NotFound if nothing matches; Ambiguous if a bare name
  // matches several nodes, with their external ids as candidates.
  Result<NodeId> Resolve(std::string_view ref) const;

  // The facts with `node` at one end that pass `filter`, ordered by subject
  // name, predicate, object name, valid_from. When filter.deadline passes
  // first, the facts found so far with truncated = true. NotFound if `node`
  // is unknown.
  Result<FactList> FactsOf(NodeId node, const FactFilter& filter) const;

  // The fact with this identity, with its provenance; NotFound if absent.
  Result<Fact> GetFact(const FactKey& key) const;

  // Many nodes or facts at once, in the order asked, from one consistent
  // view: one sorted RocksDB MultiGet, which reads each block once for all
  // the keys in it (a hub's thousand facts share a few blocks). NotFound
  // names the first one missing. With a node cache (StoreOptions), nodes
  // found in it come from the latest state instead; a chunk landing during
  // the call may then show in some of them and not yet in others.
  // kWithoutProps leaves Node::props empty, for answers that do not show
  // them (copying them was a tenth of a small query's cost).
  enum class NodeProps { kWith, kWithout };
  Result<std::vector<Node>> GetNodes(const std::vector<NodeId>& ids,
                                     NodeProps props = NodeProps::kWith) const;
  Result<std::vector<Fact>> GetFacts(std::span<const FactKey> keys) const;

  // The RocksDB sequence number of the last committed write. A derived
  // image of the store (the graph snapshot) is current when it was made at
  // this number.
  uint64_t LatestSequence() const;

  // Everything a graph snapshot needs, read from one consistent view: the
  // label of every node, then every fact as an EdgeEntry ordered by
  // (object, predicate, subject, valid_from). *sequence receives the
  // view's sequence number. Reads a few bytes per fact (the `in` family),
  // never provenance.
  Status ScanGraph(const std::function<void(NodeId, LabelId)>& on_node,
                   const std::function<void(const EdgeEntry&)>& on_edge, uint64_t* sequence) const;
  // The same, on `parts` threads: the facts are split into `parts` ranges of
  // object id of about equal size on disk; on_edge(part, entry) is called on
  // the thread of `part`, in order within it, and part i's objects all
  // precede part i+1's. on_node runs on the thread of part 0.
  Status ScanGraph(const std::function<void(NodeId, LabelId)>& on_node,
                   const std::function<void(size_t part, const EdgeEntry&)>& on_edge, size_t parts,
                   uint64_t* sequence) const;

  // Calls `listener` on the loader's writer thread after each chunk has
  // landed, with what the chunk changed. Returns a handle for
  // RemoveCommitListener. Listeners must be quick and must not write.
  using CommitListener = std::function<void(const CommittedChange&)>;
  uint64_t AddCommitListener(CommitListener listener);
  void RemoveCommitListener(uint64_t handle);
  bool HasCommitListeners() const;

  // Counts kept with every committed batch; no scan.
  Stats GetStats() const;

  // A consistent view of the whole store as it is now, for a long read (an
  // export) while loads go on: a chunk committed later is not in it.
  std::unique_ptr<StoreView> NewView() const;

  // A copy of the store as it is now in `dest`, which must not exist, taken
  // while queries and loads go on: a RocksDB checkpoint (hard links to the
  // immutable table files where `dest` is on the same file system, copies
  // elsewhere, and a copy of the write-ahead log, so that nothing is written
  // into this store). A chunk committed meanwhile is in the copy whole or
  // not at all. The copy is a store: open it, or Restore it. Returns the
  // sequence number the copy reflects. AlreadyExists if `dest` exists,
  // IOError if it cannot be written.
  Result<uint64_t> Backup(const std::filesystem::path& dest) const;

  // Copies the backup (or store) in `backup` into `dir`, which must not
  // exist, leaving `backup` untouched; the copy is opened once to check it
  // is a dyad store of this format version (FailedPrecondition otherwise,
  // as Open says) and only then gets its name. AlreadyExists if `dir`
  // exists; the backup must not be open in another process.
  static Status Restore(const std::filesystem::path& backup, const std::filesystem::path& dir);

  // Reads the whole store at one moment and checks what every committed
  // chunk promises: each node decodes, has a known label and a node id
  // below next_node_id, and its external id, name and aliases are indexed
  // to it; each `names` and `ids` entry names an existing node (of the
  // entry's label); each fact decodes, has a known predicate, existing ends
  // and at least one source whose document is recorded, and its mirror in
  // `in` carries the same summary; no `in` entry lacks its fact; and the
  // counters in `meta` equal what the scan counts. Waits for a running
  // load to finish, and holds the next one off, so that the counters hold
  // still. What is broken is in the report; an error means the scan
  // itself failed.
  Result<CheckReport> Check() const;

  // Calls `fn` for every key and value of every column family, in Column
  // order then key order (tests compare whole stores with it).
  Status ForEachRaw(
      const std::function<void(Column, std::string_view key, std::string_view value)>& fn) const;

  // A text rendering of the whole store that does not depend on internal
  // ids or load order: nodes by external id, facts by (subject id,
  // predicate, object id, valid_from), sources by doc.
  Result<std::string> DumpCanonical() const;

  // Dictionary look-ups; nullopt when the name was never stored.
  std::optional<LabelId> LabelIdOf(std::string_view label) const;
  std::optional<PredicateId> PredicateIdOf(std::string_view predicate) const;
  std::string LabelName(LabelId id) const;
  std::string PredicateName(PredicateId id) const;

 private:
  friend class Loader;
  friend class StoreView;
  friend class FactCursor;
  struct Counters {
    NodeId next_node_id = 1;
    uint64_t nodes = 0, facts = 0, docs = 0;
    std::unordered_map<LabelId, uint64_t> label_counts;
    std::unordered_map<PredicateId, uint64_t> predicate_counts;
  };

  Store() = default;
  Status LoadMeta();
  // Forgets the dictionaries and counters and reads them again from `meta`
  // (after a failed write, whose chunk the loader had published early).
  Status ReloadMeta();
  rocksdb::ColumnFamilyHandle* cf(Column c) const { return handles_[static_cast<int>(c)]; }
  // NotFound if absent. `snapshot` (optional) pins the view of a multi-read query.
  Status Get(Column c, std::string_view key, std::string* value,
             const rocksdb::Snapshot* snapshot = nullptr) const;
  // The node a `names` or `ids` entry points to; nullopt when there is no
  // entry, Corruption when its value is not a node id.
  Result<std::optional<NodeId>> GetNodeIndex(Column c, std::string_view key) const;
  Result<NodeId> ResolveUncached(std::string_view ref) const;
  Result<Fact> DecodeFact(std::string_view out_key, std::string_view out_value) const;
  // The predicates' names by id, as a long scan meets them: each asked of
  // the dictionary, under its lock, once (a lock for every fact was a
  // tenth of a scan's time).
  using PredicateNames = std::vector<std::optional<std::string>>;
  // DecodeFact into *f, reusing the memory of *f and of *rec (scratch);
  // predicates' names from and into `names`, if not null.
  Status DecodeFactInto(std::string_view out_key, std::string_view out_value,
                        dyad::v1::EdgeRecord* rec, Fact* f, PredicateNames* names = nullptr) const;
  // Values of `keys` in column `c` (empty optional: absent), in order.
  // `snapshot` (optional) pins the view; else MultiGet pins one of its own.
  Result<std::vector<std::optional<std::string>>> MultiGet(
      Column c, const std::vector<std::string>& keys, const rocksdb::Snapshot* snapshot = nullptr,
      bool fill_cache = true) const;
  Result<std::vector<Node>> GetNodesAt(const std::vector<NodeId>& ids,
                                       const rocksdb::Snapshot* snapshot, bool fill_cache,
                                       NodeProps props = NodeProps::kWith) const;

  std::filesystem::path dir_;
  // The store's LOCK as this process holds it (ProcessHold in store.cc):
  // released after the database closes.
  std::unique_ptr<StoreHold> hold_;
  // A one-off query process (StoreOptions::query_only): its batched reads
  // keep no blocks, each of which would be fresh memory to fault in.
  bool query_only_ = false;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;

  mutable std::shared_mutex dict_mu_;    // guards the dictionaries and counters
  std::vector<std::string> labels_;      // index = LabelId
  std::vector<std::string> predicates_;  // index = PredicateId
  std::unordered_map<std::string, LabelId> label_ids_;
  std::unordered_map<std::string, PredicateId> predicate_ids_;
  Counters counters_;

  mutable std::mutex write_mu_;  // one Loader (or Check) at a time

  // After a chunk landed: forgets the cached nodes it changed, then tells
  // the listeners.
  void NotifyCommit(const CommittedChange& change) const;
  // The loader builds a CommittedChange only when something will read it.
  bool WantsCommits() const;
  std::unique_ptr<NodeCache> node_cache_;  // null when StoreOptions asked for none
  mutable std::mutex listeners_mu_;
  uint64_t next_listener_ = 1;
  std::vector<std::pair<uint64_t, CommitListener>> listeners_;
};

// One pass over every fact of a StoreView, in ForEachFact's order, read
// as the caller asks (StoreView::ScanFacts). Each fact is decoded into the
// caller's Fact, whose memory is reused: a caller that keeps a few Facts
// and fills them in turn allocates almost nothing. Must not outlive its
// view; one thread at a time.
class FactCursor {
 public:
  ~FactCursor();
  FactCursor(const FactCursor&) = delete;
  FactCursor& operator=(const FactCursor&) = delete;

  // Decodes the next fact into *f: true if there was one; false at the
  // end, or on a failure, which status() then gives, and from then on.
  bool Next(Fact* f);
  const Status& status() const { return status_; }

 private:
  friend class StoreView;
  FactCursor(const Store& store, std::unique_ptr<rocksdb::Iterator> it);
  const Store& store_;
  std::unique_ptr<rocksdb::Iterator> it_;
  // Scratch for the records that protobuf decodes (Store::DecodeFactInto).
  std::unique_ptr<dyad::v1::EdgeRecord> rec_;
  std::vector<std::optional<std::string>> predicate_names_;  // Store::PredicateNames
  bool started_ = false, done_ = false;
  Status status_;
};

// What Store::NewView gives: reads at one moment of the store, however
// long they take. Holds a RocksDB snapshot (old versions of what loads
// overwrite are kept while it lives), so it is for one long read, not to
// keep. Must not outlive its Store. Thread-safe.
class StoreView {
 public:
  ~StoreView();
  StoreView(const StoreView&) = delete;
  StoreView& operator=(const StoreView&) = delete;

  // Every node in id order, then (ForEachFact) every fact with its
  // provenance in key order (subject, predicate, object, valid_from).
  // Read sequentially, one record at a time, around the block cache. Stop
  // at the first failure `fn` returns, and return it.
  Status ForEachNode(const std::function<Status(const Node&)>& fn) const;
  // ForEachFact decodes every fact into one Fact that it reuses: `fn` may
  // move the fact out, or swap another in, whose memory the scan reuses.
  Status ForEachFact(const std::function<Status(Fact&)>& fn) const;
  // The facts of ForEachFact, one at a time as the caller asks.
  std::unique_ptr<FactCursor> ScanFacts() const;
  // The subject and object of every fact, in ForEachFact's order, from
  // the keys alone: a pass that decodes no provenance.
  Status ForEachFactEnds(const std::function<Status(NodeId subject, NodeId object)>& fn) const;
  // Store::GetNodes, in this view; what it reads stays out of the block
  // cache too (a long read must not crowd the queries' blocks out, nor
  // grow the process by the size of the store).
  Result<std::vector<Node>> GetNodes(const std::vector<NodeId>& ids) const;

 private:
  friend class Store;
  StoreView(const Store& store, const rocksdb::Snapshot* snapshot)
      : store_(store), snapshot_(snapshot) {}
  // An iterator over column `c` in this view, for one pass over all of it.
  std::unique_ptr<rocksdb::Iterator> NewScan(Column c) const;
  const Store& store_;
  const rocksdb::Snapshot* const snapshot_;
};

// Confidence of a fact with these per-source confidences: 1 - Π(1 - c_i).
double NoisyOr(const std::vector<Source>& sources);

}  // namespace dyad::storage
