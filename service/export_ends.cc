#include "service/export_ends.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

#include "service/export_arena.h"
#include "service/fact_lines.h"

namespace dyad::service {
namespace {

// A slot holds [label size][ref size][label][ref]. An end that does not fit
// (or has an empty label, which would read as an empty slot) is kept in the
// overflow file as [label size, ref size: 4 bytes each][label][ref], and its
// slot holds kOverflow, then at byte 8 the record's offset and size.
constexpr size_t kSlotBytes = 64;
constexpr uint8_t kOverflow = 0xFF;

// A resolved object is [its offset in the bucket's range: 4 bytes][label
// size][ref size][label][ref]; sizes of kOverflow and up are kOverflow
// followed by both sizes in 4 bytes each.
constexpr size_t kOffsetBytes = 4;

// The slots and the resolved ends are written this much at a time.
constexpr size_t kWriteBytes = 1 << 16;
// What the buckets' buffers share, within a block size of 4 to 64 KiB.
constexpr size_t kBucketBuffersBytes = 512 << 10;
// The fact pass reads the slots of this many subjects at a time.
constexpr size_t kWindowSlots = 1024;
// The overflow file is read this much at a time (FactEnds::OverflowWindow).
constexpr size_t kOverflowWindowBytes = 64 << 10;

size_t BlockBytes(uint64_t range_nodes, uint64_t expected_nodes) {
  const uint64_t buckets = expected_nodes / std::max<uint64_t>(range_nodes, 1) + 1;
  return std::clamp<size_t>(kBucketBuffersBytes / buckets, 4 << 10, 64 << 10);
}

uint32_t LoadU32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

void AppendU32(std::string& out, uint32_t v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

Status OutOfStep(std::string_view what) {
  return Status::Corruption(
      fmt::format("export: the facts' ends are out of step with the facts: {}", what));
}

}  // namespace

// A file in the temporary directory, unlinked from the start, written and
// read at offsets.
class TempFile {
 public:
  explicit TempFile(std::filesystem::path dir) : dir_(std::move(dir)) {}
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  Status Open() {
    fd_ = ::open(dir_.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      // A file system without O_TMPFILE: a named file, unlinked at once.
      std::string name = (dir_ / "dyad-export-XXXXXX").string();
      fd_ = ::mkstemp(name.data());
      if (fd_ >= 0) ::unlink(name.c_str());
    }
    if (fd_ < 0) {
      return Status::IOError(fmt::format("export: cannot make a temporary file in {}: {}",
                                         dir_.string(), std::strerror(errno)));
    }
    return Status::OK();
  }

  uint64_t size() const { return size_; }

  Status Write(std::string_view data, uint64_t offset) {
    size_ = std::max(size_, offset + data.size());
    while (!data.empty()) {
      const ssize_t n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        return Status::IOError(fmt::format("export: writing a temporary file in {}: {}",
                                           dir_.string(), std::strerror(errno)));
      }
      data.remove_prefix(static_cast<size_t>(n));
      offset += static_cast<uint64_t>(n);
    }
    return Status::OK();
  }

  Status Append(std::string_view data) { return Write(data, size_); }

  // Zeros past the end of the file.
  Status Read(char* out, size_t size, uint64_t offset) const {
    while (size > 0) {
      const ssize_t n = ::pread(fd_, out, size, static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        return Status::IOError(fmt::format("export: reading a temporary file in {}: {}",
                                           dir_.string(), std::strerror(errno)));
      }
      if (n == 0) {
        std::memset(out, 0, size);
        return Status::OK();
      }
      out += n;
      size -= static_cast<size_t>(n);
      offset += static_cast<uint64_t>(n);
    }
    return Status::OK();
  }

 private:
  const std::filesystem::path dir_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

struct FactEnds::Bucket {
  // LogObject: offsets in the range not yet written, and where the others
  // are in objects_ (offset, size).
  std::string logged;
  std::vector<std::pair<uint64_t, uint32_t>> blocks;
  // Resolve: the bucket's ends in `resolved`, from `next` to `end`.
  TempFile* resolved = nullptr;
  uint64_t next = 0, end = 0;
  // Ends: what was read of them and not yet used, from `at` on.
  std::string buffer;
  size_t at = 0;
};

FactEnds::FactEnds(uint64_t range_nodes, uint64_t expected_nodes)
    : range_nodes_(std::max<uint64_t>(range_nodes, 1)),
      block_bytes_(BlockBytes(range_nodes_, expected_nodes)) {}

FactEnds::~FactEnds() = default;

Status FactEnds::Open() {
  std::error_code ec;
  dir_ = std::filesystem::temp_directory_path(ec);
  if (ec) {
    return Status::IOError(fmt::format(
        "export: no directory for temporary files ($TMPDIR, else /tmp): {}", ec.message()));
  }
  for (auto* file : {&slots_, &overflow_, &objects_, &resolved_[0], &resolved_[1]}) {
    *file = std::make_unique<TempFile>(dir_);
    DYAD_RETURN_IF_ERROR((*file)->Open());
  }
  return Status::OK();
}

Status FactEnds::PutNode(const storage::Node& node) {
  const std::string ref = NodeRefJson(node);
  if (pending_.empty() || pending_first_ + pending_.size() / kSlotBytes != node.id) {
    DYAD_RETURN_IF_ERROR(FinishNodes());
    pending_first_ = node.id;
  }
  const size_t at = pending_.size();
  pending_.resize(at + kSlotBytes, '\0');
  char* slot = pending_.data() + at;
  if (!node.label.empty() && node.label.size() < kOverflow &&
      2 + node.label.size() + ref.size() <= kSlotBytes) {
    slot[0] = static_cast<char>(node.label.size());
    slot[1] = static_cast<char>(ref.size());
    std::memcpy(slot + 2, node.label.data(), node.label.size());
    std::memcpy(slot + 2 + node.label.size(), ref.data(), ref.size());
  } else {
    std::string record;
    AppendU32(record, static_cast<uint32_t>(node.label.size()));
    AppendU32(record, static_cast<uint32_t>(ref.size()));
    record += node.label;
    record += ref;
    const uint64_t where[2] = {overflow_->size(), record.size()};
    DYAD_RETURN_IF_ERROR(overflow_->Append(record));
    slot[0] = static_cast<char>(kOverflow);
    std::memcpy(slot + 8, where, sizeof where);
  }
  if (pending_.size() >= kWriteBytes) return FinishNodes();
  return Status::OK();
}

Status FactEnds::FinishNodes() {
  if (pending_.empty()) return Status::OK();
  Status s = slots_->Write(pending_, pending_first_ * kSlotBytes);
  pending_.clear();
  return s;
}

Status FactEnds::LogObject(storage::NodeId object) {
  const uint64_t index = object / range_nodes_;
  if (index >= buckets_.size()) buckets_.resize(index + 1);
  Bucket& bucket = buckets_[index];
  if (bucket.logged.capacity() < block_bytes_) bucket.logged.reserve(block_bytes_);
  AppendU32(bucket.logged, static_cast<uint32_t>(object - index * range_nodes_));
  if (bucket.logged.size() >= block_bytes_) return WriteObjects(bucket);
  return Status::OK();
}

Status FactEnds::WriteObjects(Bucket& bucket) {
  bucket.blocks.emplace_back(objects_->size(), static_cast<uint32_t>(bucket.logged.size()));
  Status s = objects_->Append(bucket.logged);
  bucket.logged.clear();
  return s;
}

Status FactEnds::FinishObjects() {
  for (Bucket& bucket : buckets_) {
    if (!bucket.logged.empty()) DYAD_RETURN_IF_ERROR(WriteObjects(bucket));
    std::string().swap(bucket.logged);
  }
  return Status::OK();
}

Status FactEnds::ReadEnd(const char* slot, storage::NodeId id, OverflowWindow* overflow,
                         FactEnd* end) const {
  const auto label_size = static_cast<uint8_t>(slot[0]);
  if (label_size == 0) {
    return Status::Corruption(fmt::format("export: a fact's end n{} is not a node", id));
  }
  if (label_size != kOverflow) {
    const std::string_view text(slot + 2, label_size + static_cast<uint8_t>(slot[1]));
    *end = FactEnd{text.substr(0, label_size), text.substr(label_size)};
    return Status::OK();
  }
  uint64_t where[2];
  std::memcpy(where, slot + 8, sizeof where);
  if (where[1] < 8) {
    return Status::Corruption(fmt::format("export: the slot of n{} is damaged", id));
  }
  std::string& bytes = overflow->bytes;
  if (where[0] < overflow->first || where[0] + where[1] > overflow->first + bytes.size()) {
    const uint64_t to_end = overflow_->size() > where[0] ? overflow_->size() - where[0] : 0;
    bytes.resize(std::max<uint64_t>(where[1], std::min<uint64_t>(kOverflowWindowBytes, to_end)));
    DYAD_RETURN_IF_ERROR(overflow_->Read(bytes.data(), bytes.size(), where[0]));
    overflow->first = where[0];
  }
  const std::string_view text(bytes.data() + (where[0] - overflow->first), where[1]);
  const uint32_t label = LoadU32(text.data());
  *end = FactEnd{text.substr(8, label), text.substr(8 + label, LoadU32(text.data() + 4))};
  return Status::OK();
}

Status FactEnds::Resolve(const std::function<Status()>& check, std::optional<unsigned> arena) {
  // Two threads, each with every other bucket and a file of its own: the
  // fact pass cannot start before the last bucket is resolved. The first
  // to fail stops the other, whose own result is then OK.
  std::atomic<bool> abandon = false;
  Status helped;
  std::jthread helper([&] {
    ExportArenaScope scope(arena);
    helped = ResolveShare(1, *resolved_[1], nullptr, abandon);
    if (!helped.ok()) abandon = true;
  });
  Status mine = ResolveShare(0, *resolved_[0], &check, abandon);
  if (!mine.ok()) abandon = true;
  helper.join();
  return mine.ok() ? helped : mine;
}

Status FactEnds::ResolveShare(size_t share, TempFile& file, const std::function<Status()>* check,
                              const std::atomic<bool>& abandon) {
  std::string range(range_nodes_ * kSlotBytes, '\0');
  std::string objects, out;
  OverflowWindow overflow;
  for (size_t index = share; index < buckets_.size(); index += 2) {
    Bucket& bucket = buckets_[index];
    if (bucket.blocks.empty()) continue;
    if (abandon) return Status::OK();
    if (check != nullptr) DYAD_RETURN_IF_ERROR((*check)());
    const storage::NodeId first = index * range_nodes_;
    DYAD_RETURN_IF_ERROR(slots_->Read(range.data(), range.size(), first * kSlotBytes));
    bucket.resolved = &file;
    bucket.next = file.size() + out.size();
    for (const auto& [at, size] : bucket.blocks) {
      objects.resize(size);
      DYAD_RETURN_IF_ERROR(objects_->Read(objects.data(), size, at));
      for (size_t i = 0; i + kOffsetBytes <= objects.size(); i += kOffsetBytes) {
        const uint32_t offset = LoadU32(objects.data() + i);
        FactEnd end;
        DYAD_RETURN_IF_ERROR(
            ReadEnd(range.data() + offset * kSlotBytes, first + offset, &overflow, &end));
        AppendU32(out, offset);
        if (end.label.size() < kOverflow && end.ref_json.size() < kOverflow) {
          out += static_cast<char>(end.label.size());
          out += static_cast<char>(end.ref_json.size());
        } else {
          out += static_cast<char>(kOverflow);
          AppendU32(out, static_cast<uint32_t>(end.label.size()));
          AppendU32(out, static_cast<uint32_t>(end.ref_json.size()));
        }
        out += end.label;
        out += end.ref_json;
        if (out.size() >= kWriteBytes) {
          DYAD_RETURN_IF_ERROR(file.Append(out));
          out.clear();
        }
      }
    }
    bucket.end = file.size() + out.size();
    std::vector<std::pair<uint64_t, uint32_t>>().swap(bucket.blocks);
  }
  return file.Append(out);
}

// Makes `bytes` of the bucket's ends readable from bucket.at.
Status FactEnds::Fill(Bucket& bucket, size_t bytes) {
  const size_t have = bucket.buffer.size() - bucket.at;
  if (have >= bytes) return Status::OK();
  bucket.buffer.erase(0, bucket.at);
  bucket.at = 0;
  const uint64_t left = bucket.end - bucket.next;
  if (have + left < bytes) return OutOfStep("more facts than the scan of their keys found");
  const size_t read =
      static_cast<size_t>(std::min<uint64_t>(left, std::max(block_bytes_, bytes - have)));
  bucket.buffer.resize(have + read);
  DYAD_RETURN_IF_ERROR(bucket.resolved->Read(bucket.buffer.data() + have, read, bucket.next));
  bucket.next += read;
  return Status::OK();
}

Status FactEnds::Ends(storage::NodeId subject, storage::NodeId object, FactEnd* subject_end,
                      FactEnd* object_end) {
  // The subjects of a scan come in id order: the window moves forward.
  if (window_.empty() || subject < window_first_ || subject - window_first_ >= kWindowSlots) {
    window_.resize(kWindowSlots * kSlotBytes);
    DYAD_RETURN_IF_ERROR(slots_->Read(window_.data(), window_.size(), subject * kSlotBytes));
    window_first_ = subject;
  }
  DYAD_RETURN_IF_ERROR(ReadEnd(window_.data() + (subject - window_first_) * kSlotBytes, subject,
                               &subject_overflow_, subject_end));

  const uint64_t index = object / range_nodes_;
  if (index >= buckets_.size()) return OutOfStep(fmt::format("n{} was never logged", object));
  Bucket& bucket = buckets_[index];
  DYAD_RETURN_IF_ERROR(Fill(bucket, kOffsetBytes + 2));
  const char* p = bucket.buffer.data() + bucket.at;
  const uint32_t offset = LoadU32(p);
  if (offset != object - index * range_nodes_) {
    return OutOfStep(
        fmt::format("n{} came where n{} was logged", object, index * range_nodes_ + offset));
  }
  size_t header = kOffsetBytes + 2;
  size_t label = static_cast<uint8_t>(p[kOffsetBytes]);
  size_t ref = static_cast<uint8_t>(p[kOffsetBytes + 1]);
  if (label == kOverflow) {
    header = kOffsetBytes + 1 + 8;
    DYAD_RETURN_IF_ERROR(Fill(bucket, header));
    p = bucket.buffer.data() + bucket.at;
    label = LoadU32(p + kOffsetBytes + 1);
    ref = LoadU32(p + kOffsetBytes + 5);
  }
  DYAD_RETURN_IF_ERROR(Fill(bucket, header + label + ref));
  const std::string_view text(bucket.buffer.data() + bucket.at + header, label + ref);
  *object_end = FactEnd{text.substr(0, label), text.substr(label)};
  bucket.at += header + label + ref;
  return Status::OK();
}

Status FactEnds::AllRead() const {
  for (const Bucket& bucket : buckets_) {
    if (bucket.at != bucket.buffer.size() || bucket.next != bucket.end) {
      return OutOfStep("fewer facts than the scan of their keys found");
    }
  }
  return Status::OK();
}

}  // namespace dyad::service
