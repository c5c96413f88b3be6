#include "storage/loader.h"

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <absl/hash/hash.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/metadata.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/write_batch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "dyad/v1/records.pb.h"
#include "storage/fact_parser.h"
#include "storage/internal/keys.h"
#include "storage/names.h"

namespace dyad::storage {

using namespace internal;  // NOLINT: key helpers

std::string BadLine::ToString() const {
  return fmt::format("{}:{}: {}: {}", file, line, field, reason);
}

namespace {

// Reads lines from a file descriptor through a large buffer. A line longer
// than kMaxLineBytes is not kept: the reader skips to its end and reports
// its length, so one runaway line cannot exhaust memory.
class LineReader {
 public:
  explicit LineReader(const LoadInput& input)
      : fd_(input.fd), read_(input.read), buf_(kBufferBytes) {}

  // Returns false at end of input. *line stays valid until the next call.
  // On a too-long line, *line is empty and *too_long_bytes its length.
  Result<bool> Next(std::string_view* line, size_t* too_long_bytes) {
    *too_long_bytes = 0;
    size_t skipped = 0;
    bool skipping = false;
    for (;;) {
      char* nl = static_cast<char*>(std::memchr(buf_.data() + pos_, '\n', end_ - pos_));
      if (nl != nullptr) {
        size_t len = static_cast<size_t>(nl - (buf_.data() + pos_));
        std::string_view l(buf_.data() + pos_, len);
        pos_ += len + 1;
        bytes_consumed_ += len + 1;
        if (skipping) {
          *too_long_bytes = skipped + len;
          *line = {};
        } else {
          *line = l;
        }
        return true;
      }
      if (eof_) {
        if (pos_ == end_ && !skipping) return false;
        size_t len = end_ - pos_;
        *line = skipping ? std::string_view() : std::string_view(buf_.data() + pos_, len);
        if (skipping) *too_long_bytes = skipped + len;
        bytes_consumed_ += len;
        pos_ = end_;
        return true;
      }
      // Already too long, even if what we hold ends in the '\r' of a CRLF
      // (the parser ignores that one): drop what we have.
      if (end_ - pos_ > kMaxLineBytes + 1) {
        skipping = true;
        skipped += end_ - pos_;
        bytes_consumed_ += end_ - pos_;
        pos_ = end_ = 0;
      } else if (pos_ > 0) {
        std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
        end_ -= pos_;
        pos_ = 0;
      }
      DYAD_ASSIGN_OR_RETURN(size_t n, Read(buf_.data() + end_, buf_.size() - end_));
      if (n == 0) eof_ = true;
      end_ += n;
    }
  }

  uint64_t bytes_consumed() const { return bytes_consumed_; }

 private:
  Result<size_t> Read(char* buf, size_t capacity) {
    if (read_) return read_(buf, capacity);
    ssize_t n;
    do {
      n = ::read(fd_, buf, capacity);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return Status::IOError(std::string("read failed: ") + std::strerror(errno));
    return static_cast<size_t>(n);
  }

  static constexpr size_t kBufferBytes = 4 * kMaxLineBytes;
  int fd_;
  std::function<Result<size_t>(char*, size_t)> read_;
  std::vector<char> buf_;
  size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
  uint64_t bytes_consumed_ = 0;
};

// The node a reference will resolve to once the record is applied: an
// existing node, or one to create.
struct NodePlan {
  std::optional<NodeId> existing;
  std::string label;  // for a new node
  std::string name;
  std::string normalized;
  std::string external_id;
};

const std::string* StringField(const PropList& fields, std::string_view key) {
  for (const auto& f : fields) {
    if (f.key() == key) return &f.value().string_value();
  }
  return nullptr;
}

// Overwrites `into` key by key with `from`; both sorted by key.
void MergeProps(google::protobuf::RepeatedPtrField<dyad::v1::Prop>* into, const PropList& from) {
  std::map<std::string, dyad::v1::Prop> merged;
  for (const auto& p : *into) merged[p.key()] = p;
  for (const auto& p : from) merged[p.key()] = p;
  into->Clear();
  for (auto& [k, p] : merged) *into->Add() = std::move(p);
}

EdgeSummary SummaryOf(const dyad::v1::EdgeRecord& rec) {
  EdgeSummary s{kOpenDay, 0.0f, static_cast<uint32_t>(rec.sources_size())};
  double miss = 1.0;
  bool open = false;
  for (const auto& src : rec.sources()) {
    miss *= 1.0 - src.confidence();
    if (src.valid_to() == kOpenDay) open = true;
    s.valid_to = std::max(s.valid_to, src.valid_to());
  }
  if (open) s.valid_to = kOpenDay;
  s.confidence = static_cast<float>(1.0 - miss);
  return s;
}

}  // namespace

// A landed chunk's facts as they were written: encoded records back to
// back, found by key.
struct LandedFacts {
  std::string values;
  absl::flat_hash_map<EdgeKeyParts, std::pair<uint32_t, uint32_t>> where;  // offset, size
  size_t Bytes() const { return values.capacity() + where.capacity() * (sizeof(EdgeKeyParts) + 9); }
};

class Loader::Impl {
 public:
  Impl(Store& store, LoadOptions options) : store_(store), options_(std::move(options)) {}

  Status Load(const std::vector<LoadInput>& inputs, LoadSummary* summary);

 private:
  // Everything a chunk changes, applied to the store only by Commit().
  // Pending `names` or `ids` entries: key -> node.
  using IndexMap = absl::flat_hash_map<std::string, NodeId>;
  struct Chunk {
    absl::flat_hash_map<NodeId, dyad::v1::NodeRecord> nodes;
    IndexMap names;  // NameKey -> node
    IndexMap ids;    // external id -> node
    // Edge records live on the arena: a chunk's millions of small protobuf
    // allocations are freed at once when the next chunk starts.
    std::unique_ptr<google::protobuf::Arena> arena = std::make_unique<google::protobuf::Arena>();
    // A fact's key parts -> its record. Parts, not the encoded key: a
    // look-up then reads the map's slot and not a string on the heap too.
    absl::flat_hash_map<EdgeKeyParts, dyad::v1::EdgeRecord*> edges;
    absl::flat_hash_map<std::string, dyad::v1::DocRecord> docs;
    absl::flat_hash_map<std::string, NodeId> resolved;  // raw (label, name) -> node
    std::vector<std::string> new_labels, new_predicates;
    NodeId next_node_id = 0;
    uint64_t nodes_added = 0, facts_added_total = 0, docs_added = 0;
    std::unordered_map<LabelId, int64_t> label_delta;
    std::unordered_map<PredicateId, int64_t> predicate_delta;
    uint64_t records = 0, entities = 0, added = 0, corroborated = 0, unchanged = 0;
    // Filled by the writer thread when the load keeps its facts (see
    // recent_facts_), read once the write has landed.
    LandedFacts landed;
  };

  void StartChunk() {
    chunk_ = Chunk{};
    std::shared_lock lock(store_.dict_mu_);
    chunk_.next_node_id = store_.counters_.next_node_id;
  }

  std::optional<LabelId> FindLabel(std::string_view label) const;
  LabelId LabelFor(const std::string& label);
  PredicateId PredicateFor(const std::string& predicate);
  // A `names` or `ids` entry: this chunk's, the sealed chunk's, or the store's.
  Result<std::optional<NodeId>> LookupIndex(Column column, IndexMap Chunk::*pending,
                                            const std::string& key);
  Result<std::optional<NodeId>> LookupName(std::optional<LabelId> label,
                                           const std::string& normalized);
  Result<std::optional<NodeId>> LookupId(const std::string& external_id);
  Result<dyad::v1::NodeRecord> NodeRecordOf(NodeId id);
  Result<std::string> Describe(NodeId id);  // "Person:kiani (Kiani)"
  std::optional<LineError> PlanRef(const NodeRef& ref, const std::string& field, NodePlan* plan);
  NodeId Materialize(const NodePlan& plan);
  NodeId CreateNode(LabelId label, const std::string& name, const std::string& normalized,
                    const std::string& external_id, bool declared);
  std::optional<LineError> ApplyEntity(const EntityRecord& e);
  std::optional<LineError> ApplyFact(const FactRecord& f);
  // What a sealed chunk's keys are numbered from, captured by Seal().
  struct SealInfo {
    size_t label_base = 0;
    size_t predicate_base = 0;
    Store::Counters next;
  };
  // Waits for the chunk in flight, publishes this chunk and hands it to a
  // writer thread, and starts the next chunk. One chunk is in flight at most.
  Status Seal();
  // Waits for the chunk in flight and counts it in the summary once it has
  // landed.
  Status WaitForWrite();
  // `landed`, unless null, receives the facts as written.
  Status WriteChunk(const Chunk& c, const SealInfo& info, LandedFacts* landed);
  // One column family's part of a chunk: `size` rows, and how to encode
  // row i (rows are in key order) into a key and a value.
  using RowWriter = std::function<void(size_t i, std::string* key, std::string* value)>;
  struct ColumnRows {
    size_t size = 0;
    RowWriter row;
  };
  using ChunkRows = std::array<ColumnRows, kColumnCount>;
  Status WriteWithBatch(const ChunkRows& rows);
  Status WriteWithIngest(const ChunkRows& rows);
  // Lets level 0 collect more ingested files before compaction merges
  // them (see the definition), or puts back the store's own triggers.
  Status WidenLevelZero(bool widen);
  // Merges each family's level-0 files into one level-0 file (see the
  // definition).
  Status MergeLevelZero();
  // Waits until RocksDB has merged the files this load ingested into the
  // levels below (see the definition).
  Status WaitForCompactions();

  // An error of the store (not of the input) met while applying a record.
  Status store_error_;

  Store& store_;
  LoadOptions options_;
  Chunk chunk_;
  // The chunk being written (read-only) and its write; lookups see it
  // between chunk_ and the store.
  std::unique_ptr<Chunk> sealed_;
  std::future<Status> write_;
  LoadSummary* summary_ = nullptr;
  uint64_t chunks_committed_ = 0;
  // Caches of committed state, valid for this load (the write lock is held).
  absl::flat_hash_map<std::string, NodeId> resolved_;
  absl::flat_hash_set<std::string> known_docs_;
  // Hashes of the facts this load committed, used instead of a RocksDB
  // read per fact while the store had no facts when the load began: a fact
  // not in the set cannot exist; one in it (or a hash collision) is read.
  // Such a store had no docs either.
  bool store_was_empty_ = false;
  absl::flat_hash_set<uint64_t> committed_facts_;
  // The facts of the chunks that landed last, newest first, as the writer
  // encoded them, kept while they hold at most options_.recent_fact_bytes:
  // a fact met again soon after it landed (another outlet's report of the
  // same event) is decoded from here, not read back from level 0, where a
  // read looks at every file (12 us a fact at M). Used with
  // committed_facts_.
  std::deque<LandedFacts> recent_facts_;
  size_t recent_fact_bytes_ = 0;
  // The encoded record of `key` if a recent chunk wrote it; else empty.
  std::string_view FindRecentFact(const EdgeKeyParts& key) const;
  // The same for the `names` and `ids` entries of a store that had no
  // nodes: a name or id whose hash is not here needs no read.
  bool store_had_no_nodes_ = false;
  absl::flat_hash_set<uint64_t> committed_index_;
  uint64_t ingest_seq_ = 0;
  bool level_zero_widened_ = false;
  std::array<std::array<int, 3>, kColumnCount> level_zero_own_{};  // the store's own triggers
};

Loader::Loader(Store& store, LoadOptions options)
    : impl_(std::make_unique<Impl>(store, std::move(options))) {}
Loader::~Loader() = default;

Status Loader::Load(const std::vector<LoadInput>& inputs, LoadSummary* summary) {
  return impl_->Load(inputs, summary);
}

std::optional<LabelId> Loader::Impl::FindLabel(std::string_view label) const {
  if (auto id = store_.LabelIdOf(label)) return id;
  for (size_t i = 0; i < chunk_.new_labels.size(); ++i) {
    if (chunk_.new_labels[i] == label) {
      std::shared_lock lock(store_.dict_mu_);
      return static_cast<LabelId>(store_.labels_.size() + i);
    }
  }
  return std::nullopt;
}

LabelId Loader::Impl::LabelFor(const std::string& label) {
  if (auto id = FindLabel(label)) return *id;
  chunk_.new_labels.push_back(label);
  std::shared_lock lock(store_.dict_mu_);
  return static_cast<LabelId>(store_.labels_.size() + chunk_.new_labels.size() - 1);
}

PredicateId Loader::Impl::PredicateFor(const std::string& predicate) {
  if (auto id = store_.PredicateIdOf(predicate)) return *id;
  std::shared_lock lock(store_.dict_mu_);
  for (size_t i = 0; i < chunk_.new_predicates.size(); ++i) {
    if (chunk_.new_predicates[i] == predicate)
      return static_cast<PredicateId>(store_.predicates_.size() + i);
  }
  chunk_.new_predicates.push_back(predicate);
  return static_cast<PredicateId>(store_.predicates_.size() + chunk_.new_predicates.size() - 1);
}

Result<std::optional<NodeId>> Loader::Impl::LookupIndex(Column column, IndexMap Chunk::*pending,
                                                        const std::string& key) {
  if (auto it = (chunk_.*pending).find(key); it != (chunk_.*pending).end()) {
    return std::optional<NodeId>(it->second);
  }
  if (sealed_) {
    const IndexMap& sealed = (*sealed_).*pending;
    if (auto it = sealed.find(key); it != sealed.end()) return std::optional<NodeId>(it->second);
  }
  if (store_had_no_nodes_ && !committed_index_.contains(absl::HashOf(column, key))) {
    return std::optional<NodeId>();
  }
  return store_.GetNodeIndex(column, key);
}

Result<std::optional<NodeId>> Loader::Impl::LookupName(std::optional<LabelId> label,
                                                       const std::string& normalized) {
  if (!label) return std::optional<NodeId>();
  return LookupIndex(Column::kNames, &Chunk::names, NameKey(*label, normalized));
}

Result<std::optional<NodeId>> Loader::Impl::LookupId(const std::string& external_id) {
  return LookupIndex(Column::kIds, &Chunk::ids, external_id);
}

Result<dyad::v1::NodeRecord> Loader::Impl::NodeRecordOf(NodeId id) {
  if (auto it = chunk_.nodes.find(id); it != chunk_.nodes.end()) return it->second;
  if (sealed_) {
    if (auto it = sealed_->nodes.find(id); it != sealed_->nodes.end()) return it->second;
  }
  std::string value;
  DYAD_RETURN_IF_ERROR(store_.Get(Column::kNodes, NodeKey(id), &value));
  dyad::v1::NodeRecord rec;
  if (!rec.ParseFromString(value))
    return Status::Corruption(fmt::format("node {} cannot be decoded", id));
  return rec;
}

Result<std::string> Loader::Impl::Describe(NodeId id) {
  DYAD_ASSIGN_OR_RETURN(dyad::v1::NodeRecord rec, NodeRecordOf(id));
  return fmt::format("{} (\"{}\")", rec.external_id(), rec.name());
}

// Records a store failure and returns a LineError that stops the record;
// Load() reports store_error_ instead of the line.
#define DYAD_STORE_CHECK(expr)                           \
  do {                                                   \
    Status dyad_check_ = (expr);                         \
    if (!dyad_check_.ok()) {                             \
      store_error_ = dyad_check_;                        \
      return LineError{"store", dyad_check_.ToString()}; \
    }                                                    \
  } while (0)

#define DYAD_STORE_ASSIGN(lhs, rexpr)                    \
  auto DYAD_CONCAT_(r_, __LINE__) = (rexpr);             \
  DYAD_STORE_CHECK(DYAD_CONCAT_(r_, __LINE__).status()); \
  lhs = std::move(DYAD_CONCAT_(r_, __LINE__)).value()

std::optional<LineError> Loader::Impl::PlanRef(const NodeRef& ref, const std::string& field,
                                               NodePlan* plan) {
  *plan = NodePlan{};
  if (!ref.id.empty()) {
    DYAD_STORE_ASSIGN(std::optional<NodeId> id, LookupId(ref.id));
    if (!id) return LineError{field + ".id", fmt::format("no node has id \"{}\"", ref.id)};
    plan->existing = id;
    return std::nullopt;
  }
  std::optional<LabelId> label = FindLabel(ref.label);
  std::string raw_key;
  if (label) {
    raw_key.reserve(4 + ref.name.size());
    PutBE32(&raw_key, *label);
    raw_key += ref.name;
    // Committed chunks first: past the first chunk most names were met
    // before it, and the two maps agree (a name never changes its node).
    if (auto it = resolved_.find(raw_key); it != resolved_.end()) {
      plan->existing = it->second;
      return std::nullopt;
    }
    if (auto it = chunk_.resolved.find(raw_key); it != chunk_.resolved.end()) {
      plan->existing = it->second;
      return std::nullopt;
    }
  }
  Result<std::string> norm = NormalizeName(ref.name);
  if (!norm.ok()) return LineError{field + ".name", norm.status().message()};
  DYAD_STORE_ASSIGN(std::optional<NodeId> found, LookupName(label, *norm));
  if (found) {
    plan->existing = found;
    if (label) chunk_.resolved.emplace(std::move(raw_key), *found);
    return std::nullopt;
  }
  plan->label = ref.label;
  plan->name = ref.name;
  plan->normalized = std::move(*norm);
  plan->external_id = ref.label + ":" + SlugOf(plan->normalized);
  DYAD_STORE_ASSIGN(std::optional<NodeId> taken, LookupId(plan->external_id));
  if (taken) {
    DYAD_STORE_ASSIGN(std::string other, Describe(*taken));
    return LineError{field + ".name",
                     fmt::format("\"{}\" is unknown, and its default id {} already belongs to {}",
                                 ref.name, plan->external_id, other)};
  }
  return std::nullopt;
}

NodeId Loader::Impl::CreateNode(LabelId label, const std::string& name,
                                const std::string& normalized, const std::string& external_id,
                                bool declared) {
  NodeId id = chunk_.next_node_id++;
  dyad::v1::NodeRecord& rec = chunk_.nodes[id];
  rec.set_external_id(external_id);
  rec.set_label_id(label);
  rec.set_name(name);
  rec.set_declared(declared);
  chunk_.names[NameKey(label, normalized)] = id;
  chunk_.ids[external_id] = id;
  chunk_.nodes_added++;
  chunk_.label_delta[label]++;
  return id;
}

NodeId Loader::Impl::Materialize(const NodePlan& plan) {
  if (plan.existing) return *plan.existing;
  // The subject may have created this very node (a self loop).
  if (auto it = chunk_.ids.find(plan.external_id); it != chunk_.ids.end()) return it->second;
  LabelId label = LabelFor(plan.label);
  NodeId id = CreateNode(label, plan.name, plan.normalized, plan.external_id, false);
  std::string raw_key;
  PutBE32(&raw_key, label);
  raw_key += plan.name;
  chunk_.resolved.emplace(std::move(raw_key), id);
  return id;
}

std::optional<LineError> Loader::Impl::ApplyEntity(const EntityRecord& e) {
  // Phase 1: decide everything and find every conflict; change nothing.
  std::optional<LabelId> label = FindLabel(e.label);
  Result<std::string> norm = NormalizeName(e.name);
  if (!norm.ok()) return LineError{"name", norm.status().message()};
  DYAD_STORE_ASSIGN(std::optional<NodeId> name_owner, LookupName(label, *norm));
  std::optional<NodeId> target;
  std::string external_id;
  if (!e.id.empty()) {
    DYAD_STORE_ASSIGN(target, LookupId(e.id));
    if (name_owner && name_owner != target) {
      DYAD_STORE_ASSIGN(std::string other, Describe(*name_owner));
      return LineError{"name", fmt::format("\"{}\" already names {}, not the node with id \"{}\"",
                                           e.name, other, e.id)};
    }
    external_id = e.id;
  } else if (name_owner) {
    target = name_owner;
  } else {
    external_id = e.label + ":" + SlugOf(*norm);
    DYAD_STORE_ASSIGN(std::optional<NodeId> taken, LookupId(external_id));
    if (taken) {
      DYAD_STORE_ASSIGN(std::string other, Describe(*taken));
      return LineError{"name",
                       fmt::format("its default id {} already belongs to {}", external_id, other)};
    }
  }
  if (target) {
    DYAD_STORE_ASSIGN(dyad::v1::NodeRecord rec, NodeRecordOf(*target));
    if (store_.LabelName(rec.label_id()) != e.label && FindLabel(e.label) != rec.label_id()) {
      return LineError{"label", fmt::format("id \"{}\" names a node of label {}, not {}", e.id,
                                            store_.LabelName(rec.label_id()), e.label)};
    }
  }
  std::vector<std::string> alias_norms;
  for (size_t i = 0; i < e.aliases.size(); ++i) {
    Result<std::string> an = NormalizeName(e.aliases[i]);
    if (!an.ok()) return LineError{fmt::format("aliases[{}]", i), an.status().message()};
    DYAD_STORE_ASSIGN(std::optional<NodeId> owner, LookupName(label, *an));
    if (owner && owner != target) {
      DYAD_STORE_ASSIGN(std::string other, Describe(*owner));
      std::string self = external_id + " (\"" + e.name + "\")";
      if (target) {
        DYAD_STORE_ASSIGN(self, Describe(*target));
      }
      return LineError{fmt::format("aliases[{}]", i),
                       fmt::format("\"{}\" already names {}; it cannot also name {}", e.aliases[i],
                                   other, self)};
    }
    alias_norms.push_back(std::move(*an));
  }

  // Phase 2: apply.
  LabelId label_id = LabelFor(e.label);
  NodeId id = target ? *target : CreateNode(label_id, e.name, *norm, external_id, true);
  if (target) {
    DYAD_STORE_ASSIGN(chunk_.nodes[id], NodeRecordOf(id));
  }
  dyad::v1::NodeRecord& rec = chunk_.nodes[id];
  rec.set_declared(true);
  auto add_alias = [&](const std::string& surface, const std::string& normalized) {
    std::string key = NameKey(label_id, normalized);
    if (!chunk_.names.count(key)) {
      // Absent from the chunk; phase 1 proved it is absent or ours in the store.
      chunk_.names.emplace(std::move(key), id);
    }
    if (surface == rec.name()) return;
    for (const auto& a : rec.aliases()) {
      if (a == surface) return;
    }
    rec.add_aliases(surface);
  };
  if (target && *norm != NormalizeName(rec.name()).value()) add_alias(e.name, *norm);
  for (size_t i = 0; i < e.aliases.size(); ++i) add_alias(e.aliases[i], alias_norms[i]);
  MergeProps(rec.mutable_props(), e.props);
  chunk_.entities++;
  return std::nullopt;
}

std::optional<LineError> Loader::Impl::ApplyFact(const FactRecord& f) {
  NodePlan subject, object;
  if (auto err = PlanRef(f.subject, "subject", &subject)) return err;
  if (auto err = PlanRef(f.object, "object", &object)) return err;

  NodeId s = Materialize(subject);
  NodeId o = Materialize(object);
  PredicateId p = PredicateFor(f.predicate);
  const EdgeKeyParts key{s, p, o, f.valid_from};

  // One probe finds this chunk's copy or makes its slot; a record that
  // changes nothing gives the slot back below.
  auto [slot, fresh] = chunk_.edges.try_emplace(key, nullptr);
  dyad::v1::EdgeRecord* rec = slot->second;         // this chunk's copy, to append to
  const dyad::v1::EdgeRecord* in_sealed = nullptr;  // read-only: the chunk being written
  if (rec == nullptr && sealed_ != nullptr) {
    if (auto it = sealed_->edges.find(key); it != sealed_->edges.end()) in_sealed = it->second;
  }
  if (rec == nullptr && in_sealed == nullptr &&
      (!store_was_empty_ || committed_facts_.contains(absl::HashOf(key)))) {
    std::string read;
    std::string_view value = store_was_empty_ ? FindRecentFact(key) : std::string_view();
    Status st = Status::OK();
    if (value.empty()) {
      st = store_.Get(Column::kOut, EdgeKey(s, p, o, f.valid_from), &read);
      value = read;
    }
    if (st.ok()) {
      rec = google::protobuf::Arena::CreateMessage<dyad::v1::EdgeRecord>(chunk_.arena.get());
      if (!rec->ParseFromArray(value.data(), static_cast<int>(value.size()))) {
        chunk_.edges.erase(slot);
        DYAD_STORE_CHECK(Status::Corruption("a fact cannot be decoded"));
      }
    } else if (!st.IsNotFound()) {
      chunk_.edges.erase(slot);
      DYAD_STORE_CHECK(st);
    }
  }
  const dyad::v1::EdgeRecord* existing = rec != nullptr ? rec : in_sealed;
  const bool exists = existing != nullptr;
  if (exists) {
    for (const auto& src : existing->sources()) {
      if (src.doc() == f.doc) {
        chunk_.unchanged++;
        if (fresh) chunk_.edges.erase(slot);
        return std::nullopt;
      }
    }
  }
  if (rec == nullptr) {
    rec = google::protobuf::Arena::CreateMessage<dyad::v1::EdgeRecord>(chunk_.arena.get());
    if (in_sealed != nullptr) rec->CopyFrom(*in_sealed);  // never change what is being written
  }
  slot->second = rec;
  dyad::v1::SourceRecord* src = rec->add_sources();
  src->set_doc(f.doc);
  src->set_confidence(f.confidence);
  src->set_valid_to(f.valid_to);
  for (const auto& prop : f.props) *src->add_props() = prop;
  for (const auto& field : f.source_fields) *src->add_fields() = field;
  if (exists) {
    chunk_.corroborated++;
  } else {
    chunk_.added++;
    chunk_.facts_added_total++;
    chunk_.predicate_delta[p]++;
  }

  if (!known_docs_.count(f.doc) && !chunk_.docs.count(f.doc)) {
    // Docs come with facts: a store that had none when the load began
    // holds no doc but those of this load's chunks (known_docs_).
    std::string value;
    Status st = store_was_empty_ ? Status::NotFound("") : store_.Get(Column::kDocs, f.doc, &value);
    if (st.IsNotFound()) {
      dyad::v1::DocRecord doc;
      if (const auto* v = StringField(f.source_fields, "outlet")) doc.set_outlet(*v);
      if (const auto* v = StringField(f.source_fields, "published")) doc.set_published(*v);
      if (const auto* v = StringField(f.source_fields, "url")) doc.set_url(*v);
      chunk_.docs.emplace(f.doc, std::move(doc));
      chunk_.docs_added++;
    } else {
      DYAD_STORE_CHECK(st);
      known_docs_.insert(f.doc);
    }
  }
  return std::nullopt;
}

std::string_view Loader::Impl::FindRecentFact(const EdgeKeyParts& key) const {
  for (const LandedFacts& facts : recent_facts_) {  // newest first: the latest version
    if (auto it = facts.where.find(key); it != facts.where.end()) {
      return std::string_view(facts.values).substr(it->second.first, it->second.second);
    }
  }
  return {};
}

Status Loader::Impl::Seal() {
  DYAD_RETURN_IF_ERROR(WaitForWrite());
  if (chunk_.records == 0) return Status::OK();
  SealInfo info;
  {
    std::shared_lock lock(store_.dict_mu_);
    info.label_base = store_.labels_.size();
    info.predicate_base = store_.predicates_.size();
    info.next = store_.counters_;
  }
  Store::Counters& next = info.next;
  next.next_node_id = chunk_.next_node_id;
  next.nodes += chunk_.nodes_added;
  next.facts += chunk_.facts_added_total;
  next.docs += chunk_.docs_added;
  for (const auto& [label, delta] : chunk_.label_delta) next.label_counts[label] += delta;
  for (const auto& [pred, delta] : chunk_.predicate_delta) next.predicate_counts[pred] += delta;

  // Publish the chunk's dictionary entries, counters and caches now: the
  // next chunk numbers its labels, predicates and nodes after them while
  // this one is written. WaitForWrite() reloads them from the store if the
  // write fails, and the load stops.
  {
    std::unique_lock lock(store_.dict_mu_);
    for (const auto& l : chunk_.new_labels) {
      store_.label_ids_[l] = static_cast<LabelId>(store_.labels_.size());
      store_.labels_.push_back(l);
    }
    for (const auto& p : chunk_.new_predicates) {
      store_.predicate_ids_[p] = static_cast<PredicateId>(store_.predicates_.size());
      store_.predicates_.push_back(p);
    }
    store_.counters_ = next;
  }
  for (auto& [k, v] : chunk_.resolved) resolved_.emplace(k, v);
  if (store_was_empty_) {
    for (const auto& [key, rec] : chunk_.edges) committed_facts_.insert(absl::HashOf(key));
  }
  if (store_had_no_nodes_) {
    for (const auto& [key, id] : chunk_.names)
      committed_index_.insert(absl::HashOf(Column::kNames, key));
    for (const auto& [key, id] : chunk_.ids)
      committed_index_.insert(absl::HashOf(Column::kIds, key));
  }
  for (auto& [k, v] : chunk_.docs) known_docs_.insert(k);

  // The sealed chunk is read-only from here: the writer thread encodes it
  // while this thread reads it as an overlay for the next chunk.
  sealed_ = std::make_unique<Chunk>(std::move(chunk_));
  LandedFacts* landed = store_was_empty_ ? &sealed_->landed : nullptr;
  write_ = std::async(std::launch::async, [this, info = std::move(info), landed] {
    return WriteChunk(*sealed_, info, landed);
  });
  StartChunk();
  return Status::OK();
}

Status Loader::Impl::WaitForWrite() {
  if (!write_.valid()) return Status::OK();
  Status s = write_.get();
  if (!s.ok()) {
    // Forget what Seal() published: the store's meta is the truth.
    Status reloaded = store_.ReloadMeta();
    resolved_.clear();
    known_docs_.clear();
    committed_facts_.clear();
    store_was_empty_ = false;
    recent_facts_.clear();
    recent_fact_bytes_ = 0;
    committed_index_.clear();
    store_had_no_nodes_ = false;
    sealed_.reset();
    return reloaded.ok() ? s : reloaded.WithContext(s.ToString());
  }
  summary_->entities += sealed_->entities;
  summary_->facts_added += sealed_->added;
  summary_->facts_corroborated += sealed_->corroborated;
  summary_->facts_unchanged += sealed_->unchanged;
  summary_->committed_lines += sealed_->records;
  if (!sealed_->landed.where.empty()) {
    recent_fact_bytes_ += sealed_->landed.Bytes();
    recent_facts_.push_front(std::move(sealed_->landed));
    while (recent_fact_bytes_ > options_.recent_fact_bytes) {
      recent_fact_bytes_ -= recent_facts_.back().Bytes();
      recent_facts_.pop_back();
    }
  }
  sealed_.reset();
  if (options_.on_commit)
    return options_.on_commit({++chunks_committed_, summary_->committed_lines});
  return Status::OK();
}

// Runs on the writer thread; touches nothing but `c` (read-only), `info`,
// `landed`, the store's thread-safe RocksDB handle and, at the load's first
// ingestion, the level-0 triggers (WidenLevelZero). The loading thread
// reads `landed` and level_zero_* only after it has waited for the write.
//
// The chunk's rows are sorted as small records (ids and key parts, or
// pointers into the chunk) and each key and value is encoded only as it is
// written, into one reused buffer. Sorting a chunk's encoded keys and values
// as pairs of strings spent most of the writer's time in allocation,
// copying and byte-wise comparison.
Status Loader::Impl::WriteChunk(const Chunk& c, const SealInfo& info, LandedFacts* landed) {
  const Store::Counters& next = info.next;
  std::vector<std::pair<std::string, std::string>> meta;
  for (size_t i = 0; i < c.new_labels.size(); ++i) {
    meta.emplace_back(MetaIdKey(kMetaLabelPrefix, static_cast<uint32_t>(info.label_base + i)),
                      c.new_labels[i]);
  }
  for (size_t i = 0; i < c.new_predicates.size(); ++i) {
    meta.emplace_back(
        MetaIdKey(kMetaPredicatePrefix, static_cast<uint32_t>(info.predicate_base + i)),
        c.new_predicates[i]);
  }
  for (const auto& [label, delta] : c.label_delta) {
    meta.emplace_back(MetaIdKey(kMetaLabelCountPrefix, label),
                      EncodeU64(next.label_counts.at(label)));
  }
  for (const auto& [pred, delta] : c.predicate_delta) {
    meta.emplace_back(MetaIdKey(kMetaPredicateCountPrefix, pred),
                      EncodeU64(next.predicate_counts.at(pred)));
  }
  meta.emplace_back(std::string(kMetaNextNodeId), EncodeU64(next.next_node_id));
  meta.emplace_back(std::string(kMetaNodeCount), EncodeU64(next.nodes));
  meta.emplace_back(std::string(kMetaFactCount), EncodeU64(next.facts));
  meta.emplace_back(std::string(kMetaDocCount), EncodeU64(next.docs));
  std::sort(meta.begin(), meta.end());

  // Entries of a chunk's map, sorted by key; node keys are big-endian ids,
  // so id order is key order.
  auto by_key = [](const auto& map) {
    std::vector<const typename std::decay_t<decltype(map)>::value_type*> sorted;
    sorted.reserve(map.size());
    for (const auto& entry : map) sorted.push_back(&entry);
    std::sort(sorted.begin(), sorted.end(),
              [](const auto* a, const auto* b) { return a->first < b->first; });
    return sorted;
  };
  const auto nodes = by_key(c.nodes);
  const auto names = by_key(c.names);
  const auto ids = by_key(c.ids);
  const auto docs = by_key(c.docs);

  struct EdgeRow {
    EdgeKeyParts key;  // `out` order: (subject, predicate, object, valid_from)
    EdgeSummary summary;
    const dyad::v1::EdgeRecord* record;
  };
  auto key_less = [](const EdgeRow& a, const EdgeRow& b) {
    return std::tie(a.key.from, a.key.predicate, a.key.to, a.key.valid_from) <
           std::tie(b.key.from, b.key.predicate, b.key.to, b.key.valid_from);
  };
  std::vector<EdgeRow> out_rows;
  out_rows.reserve(c.edges.size());
  for (const auto& [key, rec] : c.edges) out_rows.push_back(EdgeRow{key, SummaryOf(*rec), rec});
  std::sort(out_rows.begin(), out_rows.end(), key_less);
  std::vector<EdgeRow> in_rows = out_rows;  // ends swapped: `in` order
  for (auto& row : in_rows) std::swap(row.key.from, row.key.to);
  std::sort(in_rows.begin(), in_rows.end(), key_less);

  ChunkRows rows;
  auto set = [&rows](Column column, size_t size, RowWriter row) {
    rows[static_cast<int>(column)] = ColumnRows{size, std::move(row)};
  };
  set(Column::kMeta, meta.size(), [&](size_t i, std::string* k, std::string* v) {
    *k = meta[i].first;
    *v = meta[i].second;
  });
  set(Column::kNodes, nodes.size(), [&](size_t i, std::string* k, std::string* v) {
    *k = NodeKey(nodes[i]->first);
    nodes[i]->second.SerializeToString(v);
  });
  set(Column::kNames, names.size(), [&](size_t i, std::string* k, std::string* v) {
    *k = names[i]->first;
    *v = EncodeU64(names[i]->second);
  });
  set(Column::kIds, ids.size(), [&](size_t i, std::string* k, std::string* v) {
    *k = ids[i]->first;
    *v = EncodeU64(ids[i]->second);
  });
  if (landed != nullptr) landed->where.reserve(out_rows.size());
  set(Column::kOut, out_rows.size(), [&](size_t i, std::string* k, std::string* v) {
    const EdgeRow& row = out_rows[i];
    k->clear();
    AppendEdgeKey(k, row.key.from, row.key.predicate, row.key.to, row.key.valid_from);
    row.record->SerializeToString(v);
    if (landed != nullptr) {
      landed->where[row.key] = {static_cast<uint32_t>(landed->values.size()),
                                static_cast<uint32_t>(v->size())};
      landed->values += *v;
    }
  });
  set(Column::kIn, in_rows.size(), [&](size_t i, std::string* k, std::string* v) {
    const EdgeRow& row = in_rows[i];
    k->clear();
    AppendEdgeKey(k, row.key.from, row.key.predicate, row.key.to, row.key.valid_from);
    v->clear();
    AppendEdgeSummary(v, row.summary);
  });
  set(Column::kDocs, docs.size(), [&](size_t i, std::string* k, std::string* v) {
    *k = docs[i]->first;
    docs[i]->second.SerializeToString(v);
  });

  size_t keys = 0;
  for (const ColumnRows& column : rows) keys += column.size;
  DYAD_RETURN_IF_ERROR(keys >= options_.bulk_min_keys ? WriteWithIngest(rows)
                                                      : WriteWithBatch(rows));
  if (store_.WantsCommits()) {
    // In key order, as a scan of the store gives them: the chunk's hash
    // maps iterate in an order that differs from run to run, and a graph
    // that adds these in that order would cut a limited answer
    // differently each time.
    CommittedChange change;
    change.sequence = store_.LatestSequence();
    change.nodes.reserve(nodes.size());
    for (const auto* node : nodes) change.nodes.emplace_back(node->first, node->second.label_id());
    change.edges.reserve(out_rows.size());
    for (const EdgeRow& row : out_rows) {
      change.edges.push_back(
          EdgeEntry{FactKey{row.key.from, row.key.predicate, row.key.to, row.key.valid_from},
                    row.summary.valid_to, row.summary.confidence, row.summary.sources});
    }
    store_.NotifyCommit(change);
  }
  return Status::OK();
}

Status Loader::Impl::WriteWithBatch(const ChunkRows& rows) {
  rocksdb::WriteBatch batch;
  std::string key, value;
  for (int i = 0; i < kColumnCount; ++i) {
    for (size_t j = 0; j < rows[i].size; ++j) {
      rows[i].row(j, &key, &value);
      rocksdb::Status s = batch.Put(store_.handles_[i], key, value);
      if (!s.ok()) return Status::IOError("building a write batch: " + s.ToString());
    }
  }
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  rocksdb::Status s = store_.db_->Write(wo, &batch);
  if (!s.ok()) return Status::IOError("writing a chunk: " + s.ToString());
  return Status::OK();
}

Status Loader::Impl::WriteWithIngest(const ChunkRows& rows) {
  namespace fs = std::filesystem;
  fs::path tmp = store_.dir_ / "ingest";
  std::error_code ec;
  if (ingest_seq_ == 0) fs::remove_all(tmp, ec);  // files a killed load left behind
  fs::create_directories(tmp, ec);
  if (ec) return Status::IOError(fmt::format("cannot create {}: {}", tmp.string(), ec.message()));
  // Ingested files are synced; chunks before this one that went through
  // the WAL may not be (no --sync). Sync the WAL first, so that after a
  // power loss no ingested chunk survives an earlier chunk it builds on.
  if (!options_.sync) {
    rocksdb::Status synced = store_.db_->FlushWAL(/*sync=*/true);
    if (!synced.ok()) return Status::IOError("syncing the WAL: " + synced.ToString());
  }
  if (!level_zero_widened_) DYAD_RETURN_IF_ERROR(WidenLevelZero(true));
  std::vector<rocksdb::IngestExternalFileArg> args;
  std::vector<std::string> files;
  auto cleanup = [&] {
    for (const auto& f : files) fs::remove(f, ec);
  };
  std::string key, value;
  for (int i = 0; i < kColumnCount; ++i) {
    if (rows[i].size == 0) continue;
    rocksdb::ColumnFamilyDescriptor desc;
    store_.handles_[i]->GetDescriptor(&desc).PermitUncheckedError();
    rocksdb::Options opts(rocksdb::DBOptions(), desc.options);
    // No compression on the load path: compaction compresses what it
    // writes with the column family's own choice, and until then the
    // loader's own reads of these files (corroborations across chunks)
    // decompress nothing.
    opts.compression = opts.bottommost_compression = rocksdb::kNoCompression;
    rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), opts, store_.handles_[i]);
    std::string file =
        (tmp / fmt::format("chunk-{}-{}.sst", ++ingest_seq_, ColumnName(static_cast<Column>(i))))
            .string();
    files.push_back(file);
    rocksdb::Status s = writer.Open(file);
    for (size_t j = 0; s.ok() && j < rows[i].size; ++j) {
      rows[i].row(j, &key, &value);
      s = writer.Put(key, value);
    }
    if (s.ok()) s = writer.Finish();
    if (!s.ok()) {
      cleanup();
      return Status::IOError("writing an SST file for bulk loading: " + s.ToString());
    }
    rocksdb::IngestExternalFileArg arg;
    arg.column_family = store_.handles_[i];
    arg.external_files = {file};
    arg.options.move_files = true;
    args.push_back(std::move(arg));
  }
  // All column families in one atomic step: every file lands, or none.
  rocksdb::Status s = store_.db_->IngestExternalFiles(args);
  cleanup();
  if (!s.ok()) return Status::IOError("ingesting a chunk: " + s.ToString());
  return Status::OK();
}

// Each chunk's files span the whole key range, so each compaction of level
// 0 rewrites every file below it, and the level below grows with the load:
// with RocksDB's trigger of 4 files an L load rewrote its bottom level about
// 25 times (4.65 GB written for a store of 1.1 GB). While a load ingests,
// level 0 waits for 16 files (and slows writes only at 40), which merges 4
// times as many chunks in each such rewrite. The load puts the store's own
// triggers back before it waits for compactions, so no store is left with
// files in level 0 that its triggers would have merged.
Status Loader::Impl::WidenLevelZero(bool widen) {
  static constexpr std::array<int, 3> kWide = {16, 40, 56};
  static constexpr std::array<std::string_view, 3> kNames = {"level0_file_num_compaction_trigger",
                                                             "level0_slowdown_writes_trigger",
                                                             "level0_stop_writes_trigger"};
  for (int i = 0; i < kColumnCount; ++i) {
    rocksdb::ColumnFamilyHandle* handle = store_.handles_[i];
    std::array<int, 3>& own = level_zero_own_[i];
    if (widen) {
      const rocksdb::Options current = store_.db_->GetOptions(handle);
      own = {current.level0_file_num_compaction_trigger, current.level0_slowdown_writes_trigger,
             current.level0_stop_writes_trigger};
    }
    std::unordered_map<std::string, std::string> set;
    for (size_t j = 0; j < kNames.size(); ++j) {
      set[std::string(kNames[j])] = std::to_string(widen ? std::max(kWide[j], own[j]) : own[j]);
    }
    rocksdb::Status s = store_.db_->SetOptions(handle, set);
    if (!s.ok()) return Status::IOError("setting level-0 triggers for a load: " + s.ToString());
  }
  level_zero_widened_ = widen;
  return Status::OK();
}

// At the end of an ingesting load up to 15 of its chunks' files wait in
// level 0 of each family. Putting the store's trigger (4) back would merge
// them into the bottom level, which rewrites all of it: 12 s of a 104 s L
// load, after the last chunk. Merged with each other into one level-0 file
// (RocksDB's intra-L0 compaction, asked for with CompactFiles) they cost
// only their own size, and leave level 0 below the trigger too.
Status Loader::Impl::MergeLevelZero() {
  DYAD_RETURN_IF_ERROR(WaitForCompactions());  // none may hold the files
  for (int i = 0; i < kColumnCount; ++i) {
    rocksdb::ColumnFamilyMetaData meta;
    store_.db_->GetColumnFamilyMetaData(store_.handles_[i], &meta);
    if (meta.levels.empty() || meta.levels[0].files.size() < 2) continue;
    std::vector<std::string> files;
    for (const auto& f : meta.levels[0].files) files.push_back(f.name);
    rocksdb::CompactionOptions options;
    options.compression = rocksdb::kDisableCompressionOption;  // the family's own
    rocksdb::Status s = store_.db_->CompactFiles(options, store_.handles_[i], files, 0);
    if (!s.ok()) return Status::IOError("merging a load's level-0 files: " + s.ToString());
  }
  return Status::OK();
}

// Each chunk's files overlap every other's and land in level 0, where
// every read must look at each of them until compaction merges them. A
// process that closes the store abandons the compactions still running,
// and a one-off query never compacts: the load waits, so that it ends
// with a store that queries read quickly.
Status Loader::Impl::WaitForCompactions() {
  if (ingest_seq_ == 0) return Status::OK();
  for (;;) {
    uint64_t pending = 0, running = 0;
    store_.db_->GetIntProperty(rocksdb::DB::Properties::kCompactionPending, &pending);
    store_.db_->GetIntProperty(rocksdb::DB::Properties::kNumRunningCompactions, &running);
    if (pending == 0 && running == 0) break;
    uint64_t errors = 0;
    store_.db_->GetIntProperty("rocksdb.background-errors", &errors);
    if (errors > 0)
      return Status::IOError("a compaction after the load failed; see the store's LOG");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return Status::OK();
}

namespace {

// One parsed record (blank and comment lines are dropped by the parser
// thread; their line numbers still count).
struct ParsedItem {
  size_t input = 0;
  uint64_t line_no = 0;
  std::optional<LineError> error;
  ParsedLine parsed;
};

struct ParsedBatch {
  std::vector<ParsedItem> items;
  uint64_t bytes_read = 0;  // over all inputs, up to the end of this batch
  Status read_error;        // an input could not be read; the stream ends
  bool end = false;         // no batch follows
};

// A bounded hand-off from the parser thread to the loading thread, so that
// JSON parsing runs on the second core while the first resolves and writes.
class BatchQueue {
 public:
  // Blocks while full; returns false once cancelled.
  bool Push(ParsedBatch batch) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return cancelled_ || queue_.size() < kCapacity; });
    if (cancelled_) return false;
    queue_.push_back(std::move(batch));
    not_empty_.notify_one();
    return true;
  }
  ParsedBatch Pop() {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return !queue_.empty(); });
    ParsedBatch b = std::move(queue_.front());
    queue_.pop_front();
    not_full_.notify_one();
    return b;
  }
  void Cancel() {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    not_full_.notify_all();
  }

 private:
  static constexpr size_t kCapacity = 8;  // batches of 1024 records
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<ParsedBatch> queue_;
  bool cancelled_ = false;
};

// Runs on the parser thread. `inputs` are its own duplicates of the
// caller's descriptors, closed here, so that a parser left reading a pipe
// after an early stop never touches a descriptor the caller reuses.
void ParseInputs(std::vector<LoadInput> inputs, std::shared_ptr<BatchQueue> queue) {
  struct Closer {
    std::vector<LoadInput>& inputs;
    ~Closer() {
      for (const auto& in : inputs) {
        if (in.fd >= 0) ::close(in.fd);
      }
    }
  } closer{inputs};
  constexpr size_t kBatchItems = 1024;
  FactParser parser;
  ParsedBatch batch;
  uint64_t bytes_before = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    LineReader reader(inputs[i]);
    uint64_t line_no = 0;
    for (;;) {
      std::string_view line;
      size_t too_long = 0;
      Result<bool> more = reader.Next(&line, &too_long);
      if (!more.ok()) {
        batch.read_error = more.status().WithContext(inputs[i].name);
        batch.end = true;
        queue->Push(std::move(batch));
        return;
      }
      if (!*more) break;
      ++line_no;
      if (line_no == 1 && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);  // a UTF-8 BOM
      ParsedItem& item = batch.items.emplace_back();
      item.input = i;
      item.line_no = line_no;
      if (too_long > 0) {
        item.error = LineError{
            "line", fmt::format("is {} bytes; the limit is {} bytes", too_long, kMaxLineBytes)};
      } else {
        item.error = parser.Parse(line, &item.parsed);
        if (!item.error && item.parsed.kind == ParsedLine::Kind::kSkip) {
          batch.items.pop_back();
          continue;
        }
      }
      if (batch.items.size() >= kBatchItems) {
        batch.bytes_read = bytes_before + reader.bytes_consumed();
        if (!queue->Push(std::move(batch))) return;
        batch = ParsedBatch{};
      }
    }
    bytes_before += reader.bytes_consumed();
  }
  batch.bytes_read = bytes_before;
  batch.end = true;
  queue->Push(std::move(batch));
}

}  // namespace

Status Loader::Impl::Load(const std::vector<LoadInput>& inputs, LoadSummary* summary) {
  std::lock_guard write_lock(store_.write_mu_);
  *summary = LoadSummary{};
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  LoadProgress progress;
  for (const auto& in : inputs) {
    struct stat st;
    if (!in.read && ::fstat(in.fd, &st) == 0 && S_ISREG(st.st_mode)) {
      progress.bytes_total += static_cast<uint64_t>(st.st_size);
    }
  }
  StartChunk();
  store_was_empty_ = store_.GetStats().facts == 0;
  store_had_no_nodes_ = store_.GetStats().nodes == 0;
  Status first_bad;

  std::vector<LoadInput> owned = inputs;
  bool all_files = true;  // regular files never block a read for long
  for (size_t i = 0; i < owned.size(); ++i) {
    if (inputs[i].read) {  // bytes from elsewhere may take their time
      all_files = false;
      owned[i].fd = -1;
      continue;
    }
    struct stat st;
    all_files = all_files && ::fstat(inputs[i].fd, &st) == 0 && S_ISREG(st.st_mode);
    owned[i].fd = ::fcntl(inputs[i].fd, F_DUPFD_CLOEXEC, 0);
    if (owned[i].fd < 0) {
      Status s = Status::IOError(fmt::format("{}: {}", inputs[i].name, std::strerror(errno)));
      for (size_t j = 0; j < i; ++j) {
        if (owned[j].fd >= 0) ::close(owned[j].fd);
      }
      return s;
    }
  }
  auto queue_owner = std::make_shared<BatchQueue>();
  BatchQueue& queue = *queue_owner;
  std::thread parser_thread(ParseInputs, std::move(owned), queue_owner);
  bool parser_done = all_files;
  // Whatever way Load() returns, the parser thread stops. When the load
  // stops early the parser may be blocked reading a pipe that stays open
  // (`producer | dyad load -`): it owns all it touches then and is
  // detached, to end at its next read or push.
  struct Stopper {
    BatchQueue& queue;
    std::thread& thread;
    const bool& done;
    ~Stopper() {
      queue.Cancel();
      if (done) {
        thread.join();
      } else {
        thread.detach();
      }
    }
  } stopper{queue, parser_thread, parser_done};

  summary_ = summary;
  // Every way out waits for the chunk in flight: what it wrote stays (and
  // is counted), what the current chunk held is dropped.
  auto finish = [&](Status s) {
    Status written = WaitForWrite();
    Status merged = level_zero_widened_ ? MergeLevelZero() : Status::OK();
    Status restored = level_zero_widened_ ? WidenLevelZero(false) : Status::OK();
    if (!merged.ok()) restored = merged;
    Status compacted = restored.ok() ? WaitForCompactions() : restored;
    summary->seconds = elapsed();
    if (!s.ok()) return s;
    return written.ok() ? compacted : written;
  };

  uint64_t next_progress = 4096;
  for (bool end = false; !end;) {
    ParsedBatch batch = queue.Pop();
    end = batch.end;
    parser_done = parser_done || end;
    for (ParsedItem& item : batch.items) {
      const std::string& file = inputs[item.input].name;
      std::optional<LineError> err = std::move(item.error);
      if (!err) {
        err = item.parsed.kind == ParsedLine::Kind::kEntity ? ApplyEntity(item.parsed.entity)
                                                            : ApplyFact(item.parsed.fact);
      }
      ++summary->lines;
      ++chunk_.records;
      if (!store_error_.ok()) {
        return finish(store_error_.WithContext(fmt::format("{}:{}", file, item.line_no)));
      }
      if (err) {
        BadLine bad{file, item.line_no, std::move(err->field), std::move(err->reason)};
        if (first_bad.ok()) first_bad = Status::InvalidArgument(bad.ToString());
        summary->bad_lines.push_back(std::move(bad));
        if (!options_.skip_bad) {
          StartChunk();  // nothing of this chunk is committed
          return finish(first_bad);
        }
      }
      if (chunk_.records >= options_.batch_records) {
        Status sealed = Seal();
        if (!sealed.ok()) return finish(sealed);
      }
    }
    if (!batch.read_error.ok()) return finish(batch.read_error);
    if (options_.on_progress && summary->lines >= next_progress) {
      next_progress = summary->lines + 4096;
      progress.lines = summary->lines;
      progress.facts = summary->facts_added + summary->facts_corroborated +
                       summary->facts_unchanged + chunk_.added + chunk_.corroborated +
                       chunk_.unchanged;
      if (sealed_) progress.facts += sealed_->added + sealed_->corroborated + sealed_->unchanged;
      progress.bytes_read = batch.bytes_read;
      progress.seconds = elapsed();
      options_.on_progress(progress);
    }
  }
  DYAD_RETURN_IF_ERROR(finish(Seal()));
  if (!first_bad.ok() && summary->bad_lines.size() > 1) {
    first_bad = Status::InvalidArgument(
        fmt::format("{} bad lines; the first: {}", summary->bad_lines.size(), first_bad.message()));
  }
  return finish(first_bad);
}

}  // namespace dyad::storage
