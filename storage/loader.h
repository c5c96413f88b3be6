// Loader: reads JSON Lines fact files (fact-format.md) into a Store.
// Records are applied in chunks; each chunk lands in one atomic write (a
// RocksDB WriteBatch, or for big chunks SST files ingested together with
// IngestExternalFiles), so a fact, its new nodes, index entries and
// provenance are visible together or not at all. Loading the same file
// twice changes nothing; a second source doc corroborates a fact.
//   Loader loader(*store, LoadOptions{});
//   LoadSummary summary;
//   Status s = loader.Load({{"facts.jsonl", fd}}, &summary);
// One Loader per load; it holds the store's write lock while Load() runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "storage/status.h"
#include "storage/store.h"

namespace dyad::storage {

struct LoadProgress {
  uint64_t lines = 0;  // records read so far (blank and comment lines aside)
  uint64_t facts = 0;  // fact records applied so far
  uint64_t bytes_read = 0;
  uint64_t bytes_total = 0;  // 0 when unknown (a pipe)
  double seconds = 0;
};

// A chunk that has landed in the store (loader.h's LoadOptions::on_commit).
struct ChunkCommitted {
  uint64_t chunk = 0;            // 1-based, in the order of the input
  uint64_t committed_lines = 0;  // records in this and every earlier chunk
};

struct LoadOptions {
  // Records per chunk; a chunk is committed whole or not at all.
  // Default: 50000
  size_t batch_records = 50000;
  // Skip bad lines, load every good one and report all bad ones; otherwise
  // stop at the first bad line with nothing of its chunk committed.
  // Default: false
  bool skip_bad = false;
  // fsync each chunk's write before going on. Bulk-ingested chunks are
  // always synced. Default: false (the WAL still survives a process crash)
  bool sync = false;
  // A chunk writing at least this many keys goes through SST ingestion
  // instead of a WriteBatch (RocksDB's memtable path is the bottleneck of
  // big loads). Default: 20000
  size_t bulk_min_keys = 20000;
  // A load into a store without facts keeps the facts of the chunks that
  // landed last, as written, up to this many bytes (about 8 chunks of the
  // generator's records), so that a fact met again soon after (another
  // outlet's report) is not read back from the store. Default: 64 MiB
  size_t recent_fact_bytes = size_t{64} << 20;
  // Called on the loading thread once a chunk's write has landed (and,
  // with `sync`, reached the disk), chunk after chunk; what it is told a
  // crash of the process cannot undo. It may be told a moment late: the
  // next chunk may have landed too when the process dies. An error it
  // returns stops the load there (the chunk stays). Default: none
  std::function<Status(const ChunkCommitted&)> on_commit;
  // Called every few thousand records from the loading thread.
  std::function<void(const LoadProgress&)> on_progress;
};

struct BadLine {
  std::string file;
  uint64_t line = 0;  // 1-based line number in the file
  std::string field;
  std::string reason;
  std::string ToString() const;  // "file:line: field: reason"
};

// cli.md's load summary.
struct LoadSummary {
  uint64_t lines = 0;  // records read (blank and comment lines aside)
  uint64_t entities = 0;
  uint64_t facts_added = 0;
  uint64_t facts_corroborated = 0;
  uint64_t facts_unchanged = 0;
  uint64_t committed_lines = 0;  // records in committed chunks
  std::vector<BadLine> bad_lines;
  double seconds = 0;
};

// One input: a display name for messages and an open file descriptor,
// read to its end (not closed); or, when `read` is set, a function that
// fills up to `capacity` bytes of `buf` and returns how many (0 at the end),
// for bytes that arrive from elsewhere (a server's stream). `read` runs on
// the loader's parser thread, one call at a time, and may be called after
// Load() returned early (until it returns 0 or an error): what it captures
// must stay valid on its own, not borrow from the caller's stack.
struct LoadInput {
  std::string name;
  int fd = -1;
  std::function<Result<size_t>(char* buf, size_t capacity)> read;
};

class Loader {
 public:
  Loader(Store& store, LoadOptions options);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // Loads the inputs in order and fills *summary (also on failure).
  // Returns OK when every line was good. InvalidArgument "file:line: field:
  // reason" for the first bad line: without skip_bad the load stopped there
  // and nothing of that chunk was committed; with skip_bad every good line
  // was loaded and summary->bad_lines lists every bad one. IOError if the
  // store or an input failed; chunks committed before stay.
  Status Load(const std::vector<LoadInput>& inputs, LoadSummary* summary);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dyad::storage
