// The nodes at the ends of a whole-store export's facts, for a format that
// names them (JSON Lines) and for a label filter, in memory that does not
// grow with the store.
//
// The facts are scanned in key order, so their subjects come in id order,
// but an object can be any node of the store. Looking each object up, in
// RocksDB or in a file of the nodes' names, was a random read per fact and
// most of a JSON Lines export's time at 10M facts. So the ends are found in
// three passes over temporary files, each of them read and written in
// blocks:
//  1. The node pass writes each node's label and fact-format reference
//     (NodeRefJson) into a slot of 64 bytes per node id (PutNode). At the
//     same time, on another thread, a scan of the facts' keys logs each
//     fact's object in the bucket of its id range, in scan order
//     (LogObject).
//  2. Resolve takes one bucket at a time: it reads the bucket's range of
//     slots into memory and writes the ends of the bucket's objects, in
//     their order.
//  3. The fact pass reads each fact's object from its bucket, in order, and
//     its subject from a window that moves along the slots (Ends).
// The files are in $TMPDIR (else /tmp) and unlinked from the start, so a
// killed export leaves nothing behind. They take about 64 bytes a node and
// 10 bytes plus the object's reference a fact, in the page cache rather
// than in the process.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/model.h"
#include "storage/status.h"

namespace dyad::service {

// What a writer may need of a node at an end of a fact: its label (for a
// label filter) and how the fact format names it.
struct FactEnd {
  std::string_view label;
  std::string_view ref_json;  // NodeRefJson
};

class TempFile;

class FactEnds {
 public:
  // `range_nodes`: the nodes whose ends Resolve holds in memory at once
  // (64 bytes each). `expected_nodes`: about how many nodes the store has;
  // it sizes the buckets' buffers, which share about 2 MiB.
  FactEnds(uint64_t range_nodes, uint64_t expected_nodes);
  ~FactEnds();
  FactEnds(const FactEnds&) = delete;
  FactEnds& operator=(const FactEnds&) = delete;

  // Makes the temporary files; IOError with the reason if it cannot.
  Status Open();

  // The node pass, in increasing id order; then FinishNodes.
  Status PutNode(const storage::Node& node);
  Status FinishNodes();

  // The object of every fact in scan order; then FinishObjects. May run on
  // another thread than the node pass: the two touch nothing in common.
  Status LogObject(storage::NodeId object);
  Status FinishObjects();

  // After both, on this thread and one more, which allocates from `arena`
  // (service/export_arena.h). Calls `check` on this thread before each of
  // its buckets and stops with what it returns when that is not OK.
  Status Resolve(const std::function<Status()>& check,
                 std::optional<unsigned> arena = std::nullopt);

  // The ends of the next fact of the scan, which must be the one logged
  // next (else Corruption). Valid until the next call.
  Status Ends(storage::NodeId subject, storage::NodeId object, FactEnd* subject_end,
              FactEnd* object_end);
  // After the last fact of a whole scan: Corruption if a logged object was
  // never asked for.
  Status AllRead() const;

 private:
  struct Bucket;
  // A stretch of the overflow file read at once. The subjects of the fact
  // pass come in id order, and the objects that Resolve reads lie within
  // one bucket's range of ids, whose records are near each other in the
  // file (in id order), so most records are in the last stretch read: one
  // read each was 14% of the facts' reads at M, as many system calls.
  struct OverflowWindow {
    std::string bytes;
    uint64_t first = 0;  // the file's offset of bytes[0]
  };
  Status WriteObjects(Bucket& bucket);
  // Resolves every other bucket, from `share` (0 or 1) on, into `file`.
  Status ResolveShare(size_t share, TempFile& file, const std::function<Status()>* check,
                      const std::atomic<bool>& abandon);
  Status ReadEnd(const char* slot, storage::NodeId id, OverflowWindow* overflow,
                 FactEnd* end) const;
  Status Fill(Bucket& bucket, size_t bytes);

  const uint64_t range_nodes_;
  const size_t block_bytes_;
  std::filesystem::path dir_;
  std::unique_ptr<TempFile> slots_, overflow_, objects_, resolved_[2];
  // The node pass: slots from pending_first_ on, not yet written.
  std::string pending_;
  storage::NodeId pending_first_ = 0;
  std::vector<Bucket> buckets_;
  // The fact pass: the slots from window_first_ on.
  std::string window_;
  storage::NodeId window_first_ = 0;
  OverflowWindow subject_overflow_;
};

}  // namespace dyad::service
