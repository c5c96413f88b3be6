#include "graph/snapshot.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace dyad::graph {

namespace fs = std::filesystem;

namespace {

// The persisted image: this header, then the block PointInto() reads.
constexpr char kMagic[8] = {'D', 'Y', 'A', 'D', 'C', 'S', 'R', '\0'};
// 2: a vertex's out- and in-steps side by side in one array (version 1 kept
// them in two). 3: each vertex's in-step predicates summarised in 32 bits.
// An image of another version is rebuilt.
constexpr uint32_t kImageVersion = 3;
struct FileHeader {
  char magic[8];
  uint32_t version;
  uint32_t header_bytes;
  uint64_t sequence;
  uint64_t vertex_count;
  uint64_t edge_count;
  uint64_t block_bytes;
  uint64_t reserved[2];
};
static_assert(sizeof(FileHeader) == 64);

constexpr size_t Align8(size_t n) { return (n + 7) & ~size_t{7}; }

// Byte sizes of the block's arrays, in block order.
struct Layout {
  size_t offsets, props, ends, in_edges, labels, in_predicates;
  size_t total() const { return offsets + props + ends + in_edges + labels + in_predicates; }
};

Layout LayoutOf(uint64_t vertices, uint64_t edges) {
  return Layout{(vertices + 1) * 16, edges * 16,           Align8(edges * 8),
                Align8(edges * 4),   Align8(vertices * 2), Align8(vertices * 4)};
}

uint64_t KeyHash(const storage::FactKey& k) {
  uint64_t h = k.subject * 0x9E3779B97F4A7C15ull;
  h ^= (k.object + 0x632BE59BD9B4E019ull) * 0xC2B2AE3D27D4EB4Full;
  h ^= (uint64_t{k.predicate} << 32 | k.valid_from) * 0x165667B19E3779F9ull;
  return h ^ (h >> 29);
}

Status ErrnoStatus(const std::string& what) {
  return Status::IOError(fmt::format("{}: {}", what, std::strerror(errno)));
}

}  // namespace

CsrImage::~CsrImage() {
  if (mapping_ != nullptr) munmap(mapping_, mapping_size_);
}

void CsrImage::PointInto(const char* base) {
  Layout l = LayoutOf(vertex_count_, edge_count_);
  const char* p = base;
  offsets_ = reinterpret_cast<const uint64_t*>(p);
  p += l.offsets;
  props_ = reinterpret_cast<const EdgeProps*>(p);
  p += l.props;
  ends_ = reinterpret_cast<const VertexId*>(p);
  p += l.ends;
  in_edges_ = reinterpret_cast<const EdgeIndex*>(p);
  p += l.in_edges;
  labels_ = reinterpret_cast<const uint16_t*>(p);
  p += l.labels;
  in_predicates_ = reinterpret_cast<const uint32_t*>(p);
}

PredicateSet::PredicateSet(std::vector<uint8_t> wanted) : wanted_(std::move(wanted)) {
  wanted_.resize(std::min<size_t>(wanted_.size(), size_t{UINT16_MAX} + 1));
  for (size_t p = 0; p < wanted_.size(); ++p) {
    if (!wanted_[p]) continue;
    const auto id = static_cast<uint16_t>(p);
    if (!ranges_.empty() && ranges_.back().second + 1 == id) {
      ranges_.back().second = id;
    } else {
      ranges_.emplace_back(id, id);
    }
    summary_ |= uint32_t{1} << (p % 32);
  }
}

uint64_t CsrImage::bytes() const { return LayoutOf(vertex_count_, edge_count_).total(); }

Result<std::shared_ptr<const CsrImage>> CsrImage::Build(const storage::Store& store) {
  // Two scanning threads (the machines have two cores): each fills its own
  // part, in object order, and the parts are joined in order.
  constexpr size_t kParts = 2;
  struct Part {
    std::vector<VertexId> subjects, objects;
    std::vector<EdgeProps> props;
    Status bad;
  };
  std::vector<Part> parts(kParts);
  std::vector<std::pair<NodeId, LabelId>> nodes;
  uint64_t sequence = 0;
  DYAD_RETURN_IF_ERROR(store.ScanGraph(
      [&](NodeId id, LabelId label) { nodes.emplace_back(id, label); },
      [&](size_t which, const storage::EdgeEntry& e) {
        Part& part = parts[which];
        if (!part.bad.ok()) return;
        if (e.key.subject > UINT32_MAX - 1 || e.key.object > UINT32_MAX - 1 ||
            e.key.predicate > UINT16_MAX) {
          part.bad = Status::ResourceExhausted(
              "the store has more nodes or predicates than a graph snapshot can index");
          return;
        }
        part.subjects.push_back(static_cast<VertexId>(e.key.subject));
        part.objects.push_back(static_cast<VertexId>(e.key.object));
        part.props.push_back(EdgeProps{
            e.key.valid_from, e.valid_to, e.confidence, static_cast<uint16_t>(e.key.predicate),
            static_cast<uint16_t>(std::min<uint32_t>(e.sources, UINT16_MAX))});
      },
      kParts, &sequence));
  uint64_t m = 0;
  for (const Part& part : parts) {
    DYAD_RETURN_IF_ERROR(part.bad);
    m += part.subjects.size();
  }
  // The parts, in order, are the in-index: edge i of the scan. They are read
  // where they lie, not joined into one more copy.
  auto for_each_edge = [&](auto&& fn) {
    uint64_t i = 0;
    for (const Part& part : parts) {
      for (size_t j = 0; j < part.subjects.size(); ++j, ++i)
        fn(i, part.subjects[j], part.objects[j], part.props[j]);
    }
  };
  if (m >= UINT32_MAX) {
    return Status::ResourceExhausted("the store has more facts than a graph snapshot can index");
  }

  auto image = std::shared_ptr<CsrImage>(new CsrImage());
  uint64_t max_id = 0;
  for (const auto& [id, label] : nodes) {
    if (id >= UINT32_MAX - 1 || label >= Snapshot::kNoLabel) {
      return Status::ResourceExhausted(
          "the store has more nodes or labels than a graph snapshot can index");
    }
    max_id = std::max(max_id, id);
  }
  for_each_edge([&](uint64_t, VertexId subject, VertexId object, const EdgeProps&) {
    max_id = std::max<uint64_t>(max_id, std::max(subject, object));
  });
  const uint64_t n = max_id + 1;
  image->sequence_ = sequence;
  image->vertex_count_ = static_cast<VertexId>(n);
  image->edge_count_ = static_cast<EdgeIndex>(m);
  Layout l = LayoutOf(n, m);
  // Anonymous memory in huge pages where the kernel allows (madvise mode):
  // traversals jump around the arrays, and 4 KiB pages would cost them a
  // TLB miss at nearly every step of a big graph. Zeroed by the kernel.
  const size_t block_bytes = std::max<size_t>(l.total(), 8);
  void* mem =
      ::mmap(nullptr, block_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return ErrnoStatus("cannot allocate a graph snapshot");
  ::madvise(mem, block_bytes, MADV_HUGEPAGE);
  image->mapping_ = mem;
  image->mapping_size_ = block_bytes;
  char* block = static_cast<char*>(mem);
  image->PointInto(block);
  auto* offsets = const_cast<uint64_t*>(image->offsets_);
  auto* props = const_cast<EdgeProps*>(image->props_);
  auto* ends = const_cast<VertexId*>(image->ends_);
  auto* in_edges = const_cast<EdgeIndex*>(image->in_edges_);
  auto* labels = const_cast<uint16_t*>(image->labels_);
  auto* in_predicates = const_cast<uint32_t*>(image->in_predicates_);

  std::fill(labels, labels + n, Snapshot::kNoLabel);
  for (const auto& [id, label] : nodes) labels[id] = static_cast<uint16_t>(label);
  // The scan is in object order, which is the in-index already; the
  // out-index is a counting sort by subject, stable, so each subject's
  // edges stay in (object, predicate, valid_from) order.
  // Vertex v's out-steps are edges [offsets[2v], offsets[2v+2]) and its
  // in-steps in-index entries [offsets[2v+1], offsets[2v+3]); in `ends`, its
  // run starts after all steps of the vertices before it, offsets[2v] +
  // offsets[2v+1].
  for_each_edge([&](uint64_t, VertexId subject, VertexId object, const EdgeProps&) {
    ++offsets[2 * (uint64_t{subject} + 1)];
    ++offsets[2 * (uint64_t{object} + 1) + 1];
  });
  for (uint64_t i = 2; i < 2 * (n + 1); ++i) offsets[i] += offsets[i - 2];
  std::vector<uint64_t> cursor(n);
  for (uint64_t v = 0; v < n; ++v) cursor[v] = offsets[2 * v];
  for_each_edge([&](uint64_t i, VertexId subject, VertexId object, const EdgeProps& p) {
    const uint64_t pos = cursor[subject]++;
    props[pos] = p;
    ends[pos + offsets[2 * uint64_t{subject} + 1]] = object;
    ends[offsets[2 * (uint64_t{object} + 1)] + i] = subject;
    in_edges[i] = static_cast<EdgeIndex>(pos);
    in_predicates[object] |= uint32_t{1} << (p.predicate % 32);
  });
  return std::shared_ptr<const CsrImage>(std::move(image));
}

Status CsrImage::Persist(const fs::path& file) const {
  fs::path tmp = file;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("cannot write " + tmp.string());
  FileHeader h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.version = kImageVersion;
  h.header_bytes = sizeof(FileHeader);
  h.sequence = sequence_;
  h.vertex_count = vertex_count_;
  h.edge_count = edge_count_;
  h.block_bytes = bytes();
  auto write_all = [&](const void* data, size_t size) {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
      ssize_t w = ::write(fd, p, size);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      p += w;
      size -= static_cast<size_t>(w);
    }
    return true;
  };
  const char* block = reinterpret_cast<const char*>(offsets_);
  bool ok = write_all(&h, sizeof h) && write_all(block, h.block_bytes) && ::fsync(fd) == 0;
  Status s = ok ? Status::OK() : ErrnoStatus("cannot write " + tmp.string());
  ::close(fd);
  if (s.ok() && ::rename(tmp.c_str(), file.c_str()) != 0) {
    s = ErrnoStatus("cannot rename " + tmp.string());
  }
  if (!s.ok()) ::unlink(tmp.c_str());
  return s;
}

Result<std::shared_ptr<const CsrImage>> CsrImage::Map(const fs::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound("no graph image at " + file.string());
    return ErrnoStatus("cannot open " + file.string());
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    Status s = ErrnoStatus("cannot stat " + file.string());
    ::close(fd);
    return s;
  }
  auto corrupt = [&](std::string_view why) {
    return Status::Corruption(fmt::format("graph image {} is unusable: {}", file.string(), why));
  };
  const auto size = static_cast<size_t>(st.st_size);
  if (size < sizeof(FileHeader)) {
    ::close(fd);
    return corrupt("too short");
  }
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return ErrnoStatus("cannot map " + file.string());
  auto image = std::shared_ptr<CsrImage>(new CsrImage());
  image->mapping_ = map;
  image->mapping_size_ = size;
  image->from_file_ = true;
  FileHeader h;
  std::memcpy(&h, map, sizeof h);
  if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0) return corrupt("not a dyad graph image");
  if (h.version != kImageVersion || h.header_bytes != sizeof(FileHeader)) {
    return corrupt(fmt::format("image version {}, this dyad writes {}", h.version, kImageVersion));
  }
  if (h.vertex_count >= UINT32_MAX || h.edge_count >= UINT32_MAX ||
      LayoutOf(h.vertex_count, h.edge_count).total() != h.block_bytes ||
      sizeof(FileHeader) + h.block_bytes != size) {
    return corrupt("its sizes do not add up (a partial write?)");
  }
  image->sequence_ = h.sequence;
  image->vertex_count_ = static_cast<VertexId>(h.vertex_count);
  image->edge_count_ = static_cast<EdgeIndex>(h.edge_count);
  image->PointInto(static_cast<const char*>(map) + sizeof(FileHeader));
  const uint64_t* last = image->offsets_ + 2 * h.vertex_count;
  if (image->offsets_[0] != 0 || image->offsets_[1] != 0 || last[0] != h.edge_count ||
      last[1] != h.edge_count) {
    return corrupt("bad offsets");
  }
  // The arrays are not scanned here (a scan of the in-index alone faults in
  // 40 MB at 10M facts, a tenth of a one-off query's time): traversals
  // check every vertex and edge index as they read it
  // (Snapshot::ForEachOut/In, the Boost adaptor).
  return std::shared_ptr<const CsrImage>(std::move(image));
}

std::optional<EdgeIndex> CsrImage::FindEdge(const storage::FactKey& key) const {
  if (key.subject >= vertex_count_) return std::nullopt;
  const Runs r = RunsOf(static_cast<VertexId>(key.subject));
  uint64_t lo = 0, hi = r.out_count;
  auto order = [&](uint64_t j) {
    const EdgeProps& p = props_[r.first_edge + j];
    return std::make_tuple(r.out[j], p.predicate, p.valid_from);
  };
  const auto want = std::make_tuple(static_cast<VertexId>(key.object),
                                    static_cast<uint16_t>(key.predicate), key.valid_from);
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (order(mid) < want) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo < r.out_count && order(lo) == want) return static_cast<EdgeIndex>(r.first_edge + lo);
  return std::nullopt;
}

void Delta::Apply(const CsrImage& base, const storage::CommittedChange& change) {
  sequence = std::max(sequence, change.sequence);
  vertex_count = std::max(vertex_count, base.vertex_count());
  auto grow = [&](uint64_t v) {
    if (v >= vertex_count) vertex_count = static_cast<VertexId>(v + 1);
  };
  for (const auto& [id, label] : change.nodes) {
    grow(id);
    if (id >= base.vertex_count()) labels[static_cast<VertexId>(id)] = static_cast<uint16_t>(label);
  }
  for (const auto& e : change.edges) {
    grow(e.key.subject);
    grow(e.key.object);
  }
  touched.resize((uint64_t{vertex_count} + 63) / 64, 0);
  auto touch = [&](uint64_t v) { touched[v >> 6] |= uint64_t{1} << (v & 63); };
  for (const auto& e : change.edges) {
    EdgeProps p{e.key.valid_from, e.valid_to, e.confidence, static_cast<uint16_t>(e.key.predicate),
                static_cast<uint16_t>(std::min<uint32_t>(e.sources, UINT16_MAX))};
    auto& same_hash = by_key[KeyHash(e.key)];
    auto known = std::find_if(same_hash.begin(), same_hash.end(),
                              [&](const auto& kv) { return kv.first == e.key; });
    if (known != same_hash.end()) {
      props[known->second - base.edge_count()] = p;
      continue;
    }
    if (std::optional<EdgeIndex> old = base.FindEdge(e.key)) hidden.insert(*old);
    const auto index = static_cast<EdgeIndex>(base.edge_count() + props.size());
    props.push_back(p);
    const auto s = static_cast<VertexId>(e.key.subject);
    const auto o = static_cast<VertexId>(e.key.object);
    adjacency[s].out.push_back(Step{o, index});
    adjacency[o].in.push_back(Step{s, index});
    touch(s);
    touch(o);
    same_hash.emplace_back(e.key, index);
  }
}

Snapshot::Snapshot(std::shared_ptr<const CsrImage> base, std::shared_ptr<const Delta> delta)
    : base_(std::move(base)), delta_(std::move(delta)) {
  if (delta_ && delta_->edge_count() == 0 && delta_->labels.empty()) delta_.reset();
  base_edges_ = base_->edge_count();
  vertex_count_ = std::max(base_->vertex_count(), delta_ ? delta_->vertex_count : 0);
  edge_bound_ = base_edges_ + static_cast<EdgeIndex>(delta_ ? delta_->edge_count() : 0);
}

uint64_t Snapshot::edge_count() const {
  return uint64_t{base_->edge_count()} +
         (delta_ ? delta_->edge_count() - delta_->hidden.size() : 0);
}

uint64_t Snapshot::Degree(VertexId v) const {
  uint64_t d = 0;
  if (v < base_->vertex_count()) {
    const CsrImage::Runs r = base_->RunsOf(v);
    d = r.out_count + r.in_count;
  }
  if (Touched(v)) {
    auto it = delta_->adjacency.find(v);
    if (it != delta_->adjacency.end()) d += it->second.out.size() + it->second.in.size();
  }
  return d;
}

}  // namespace dyad::graph
