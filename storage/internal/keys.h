// Key encodings of the RocksDB schema (docs/storage.md). Integers are
// big-endian so that byte order is numeric order and a prefix scan of `out`
// or `in` walks one node's adjacency grouped by predicate.
// Only storage/*.cc include this.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "storage/dates.h"

namespace dyad::storage::internal {

inline void PutBE32(std::string* dst, uint32_t v) {
  char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
               static_cast<char>(v)};
  dst->append(b, 4);
}

inline void PutBE64(std::string* dst, uint64_t v) {
  PutBE32(dst, static_cast<uint32_t>(v >> 32));
  PutBE32(dst, static_cast<uint32_t>(v));
}

inline uint32_t GetBE32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | uint32_t{u[3]};
}

inline uint64_t GetBE64(const char* p) { return (uint64_t{GetBE32(p)} << 32) | GetBE32(p + 4); }

inline std::string NodeKey(uint64_t node) {
  std::string k;
  PutBE64(&k, node);
  return k;
}

// `names`: label id, then the normalised name.
inline std::string NameKey(uint32_t label, std::string_view normalized) {
  std::string k;
  k.reserve(4 + normalized.size());
  PutBE32(&k, label);
  k.append(normalized);
  return k;
}

// `out` (from = subject, to = object) and `in` (from = object, to = subject).
inline constexpr size_t kEdgeKeySize = 24;
inline void AppendEdgeKey(std::string* dst, uint64_t from, uint32_t predicate, uint64_t to,
                          DayCode valid_from) {
  PutBE64(dst, from);
  PutBE32(dst, predicate);
  PutBE64(dst, to);
  PutBE32(dst, valid_from);
}

inline std::string EdgeKey(uint64_t from, uint32_t predicate, uint64_t to, DayCode valid_from) {
  std::string k;
  k.reserve(kEdgeKeySize);
  AppendEdgeKey(&k, from, predicate, to, valid_from);
  return k;
}

struct EdgeKeyParts {
  uint64_t from = 0;
  uint32_t predicate = 0;
  uint64_t to = 0;
  DayCode valid_from = kOpenDay;

  friend bool operator==(const EdgeKeyParts&, const EdgeKeyParts&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const EdgeKeyParts& k) {
    return H::combine(std::move(h), k.from, k.predicate, k.to, k.valid_from);
  }
};

inline bool DecodeEdgeKey(std::string_view k, EdgeKeyParts* out) {
  if (k.size() != kEdgeKeySize) return false;
  out->from = GetBE64(k.data());
  out->predicate = GetBE32(k.data() + 8);
  out->to = GetBE64(k.data() + 12);
  out->valid_from = GetBE32(k.data() + 20);
  return true;
}

// The compact value of `in`: what a graph snapshot needs of a fact, so that
// building one never decodes provenance. valid_to (day code), confidence
// (IEEE float bits), number of sources; all big-endian.
inline constexpr size_t kEdgeSummarySize = 12;
struct EdgeSummary {
  DayCode valid_to;
  float confidence;
  uint32_t sources;
};

inline void AppendEdgeSummary(std::string* dst, const EdgeSummary& s) {
  PutBE32(dst, s.valid_to);
  uint32_t bits;
  std::memcpy(&bits, &s.confidence, 4);
  PutBE32(dst, bits);
  PutBE32(dst, s.sources);
}

inline std::string EncodeEdgeSummary(const EdgeSummary& s) {
  std::string v;
  v.reserve(kEdgeSummarySize);
  AppendEdgeSummary(&v, s);
  return v;
}

inline bool DecodeEdgeSummary(std::string_view v, EdgeSummary* out) {
  if (v.size() != kEdgeSummarySize) return false;
  out->valid_to = GetBE32(v.data());
  uint32_t bits = GetBE32(v.data() + 4);
  std::memcpy(&out->confidence, &bits, 4);
  out->sources = GetBE32(v.data() + 8);
  return true;
}

// `meta` keys.
inline constexpr std::string_view kMetaFormatVersion = "format_version";
inline constexpr std::string_view kMetaNextNodeId = "next_node_id";
inline constexpr std::string_view kMetaNodeCount = "count/nodes";
inline constexpr std::string_view kMetaFactCount = "count/facts";
inline constexpr std::string_view kMetaDocCount = "count/docs";
inline constexpr std::string_view kMetaLabelPrefix = "label/";          // + BE32 id -> name
inline constexpr std::string_view kMetaPredicatePrefix = "predicate/";  // + BE32 id -> name
inline constexpr std::string_view kMetaLabelCountPrefix = "count/label/";
inline constexpr std::string_view kMetaPredicateCountPrefix = "count/predicate/";

inline std::string MetaIdKey(std::string_view prefix, uint32_t id) {
  std::string k(prefix);
  PutBE32(&k, id);
  return k;
}

inline std::string EncodeU64(uint64_t v) {
  std::string s;
  PutBE64(&s, v);
  return s;
}

}  // namespace dyad::storage::internal
