// Fuzzes the decoding of the keys and graph images dyad reads back from
// disk (fuzz_store_records does the store's records). The first byte of an
// input picks what the rest is:
//   0  keys: storage/internal/keys.h. DecodeEdgeKey and DecodeEdgeSummary
//      accept exactly their sizes and re-encode to the same bytes; keys
//      built from integers decode back to them and sort as the integers do
//      (big-endian: byte order is numeric order).
//   1  a graph image file (graph.csr): CsrImage::Map must refuse it
//      (Corruption) or map it; a mapped image must then answer every
//      traversal of graph/snapshot.h without reading out of bounds ("a
//      damaged image can never make a traversal read out of bounds"), every
//      step naming a vertex and an edge inside the image.
//   2  a damaged image: the persisted image of a small store built at start
//      (fuzz_util.h) with the input's bytes written over it at an offset the
//      input picks; then as 1.
//   3  a fact record (EdgeRecord): the plain decoder of
//      storage/internal/source_records.h takes only what protobuf's parse
//      takes, and decodes it as protobuf does, into a list that the
//      previous input left full (by either decoder).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "graph/snapshot.h"
#include "storage/internal/keys.h"
#include "storage/internal/source_records.h"
#include "storage/store.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_util.h"
#include "tests/source_records_check.h"

namespace dyad {
namespace {

namespace fs = std::filesystem;
using fuzz::Hex;
using fuzz::Reader;
using fuzz::Template;
using fuzz::Tmp;
using namespace storage;            // NOLINT
using namespace storage::internal;  // NOLINT

// ---- 0: keys ---------------------------------------------------------------

void FuzzKeys(Reader in) {
  const std::string_view raw = in.rest();
  for (size_t len : {raw.size(), kEdgeKeySize, kEdgeSummarySize}) {
    const std::string_view bytes = raw.substr(0, len);
    EdgeKeyParts k;
    const bool key_ok = DecodeEdgeKey(bytes, &k);
    DYAD_FUZZ_CHECK(key_ok == (bytes.size() == kEdgeKeySize), "DecodeEdgeKey of " << Hex(bytes));
    if (key_ok) {
      DYAD_FUZZ_CHECK(EdgeKey(k.from, k.predicate, k.to, k.valid_from) == bytes,
                      "edge key " << Hex(bytes) << " does not re-encode to itself");
    }
    EdgeSummary s;
    const bool summary_ok = DecodeEdgeSummary(bytes, &s);
    DYAD_FUZZ_CHECK(summary_ok == (bytes.size() == kEdgeSummarySize),
                    "DecodeEdgeSummary of " << Hex(bytes));
    if (summary_ok) {
      DYAD_FUZZ_CHECK(EncodeEdgeSummary(s) == bytes,
                      "edge summary " << Hex(bytes) << " does not re-encode to itself");
    }
  }

  using Tuple = std::tuple<uint64_t, uint32_t, uint64_t, uint32_t>;
  const Tuple a{in.U64(), in.U32(), in.U64(), in.U32()};
  const Tuple b{in.U64(), in.U32(), in.U64(), in.U32()};
  auto key_of = [](const Tuple& t) {
    return EdgeKey(std::get<0>(t), std::get<1>(t), std::get<2>(t), std::get<3>(t));
  };
  const std::string ka = key_of(a), kb = key_of(b);
  EdgeKeyParts pa;
  DYAD_FUZZ_CHECK(DecodeEdgeKey(ka, &pa) && Tuple(pa.from, pa.predicate, pa.to, pa.valid_from) == a,
                  "EdgeKey does not decode back: " << Hex(ka));
  DYAD_FUZZ_CHECK((ka < kb) == (a < b) && (ka == kb) == (a == b),
                  "edge keys " << Hex(ka) << ", " << Hex(kb) << " sort unlike their fields");

  const uint64_t x = std::get<0>(a), y = std::get<0>(b);
  const std::string nx = NodeKey(x), ny = NodeKey(y);
  DYAD_FUZZ_CHECK(nx.size() == 8 && GetBE64(nx.data()) == x && (nx < ny) == (x < y),
                  "node keys " << Hex(nx) << ", " << Hex(ny));
  DYAD_FUZZ_CHECK(EncodeU64(x) == nx, "EncodeU64 is not NodeKey's encoding");

  const uint32_t la = std::get<1>(a), lb = std::get<1>(b);
  const std::string_view name = in.Take(in.U8());
  const std::string name_a = NameKey(la, name), name_b = NameKey(lb, in.rest());
  DYAD_FUZZ_CHECK(
      name_a.size() == 4 + name.size() && GetBE32(name_a.data()) == la && name_a.substr(4) == name,
      "name key " << Hex(name_a));
  if (la != lb) {
    DYAD_FUZZ_CHECK((name_a < name_b) == (la < lb), "names of two labels interleave");
  } else {
    DYAD_FUZZ_CHECK((name_a < name_b) == (name < in.rest()), "names of a label sort unlike names");
  }
  const std::string meta = MetaIdKey(kMetaLabelPrefix, la);
  DYAD_FUZZ_CHECK(meta.size() == kMetaLabelPrefix.size() + 4 &&
                      meta.substr(0, kMetaLabelPrefix.size()) == kMetaLabelPrefix &&
                      GetBE32(meta.data() + kMetaLabelPrefix.size()) == la,
                  "meta key " << Hex(meta));
}

// ---- 1, 2: graph images -----------------------------------------------------

// Every traversal of a mapped image; checks that steps stay inside it.
void Traverse(const std::shared_ptr<const graph::CsrImage>& image, Reader& in) {
  using graph::EdgeIndex;
  using graph::Step;
  using graph::VertexId;
  const graph::Snapshot snap(image, nullptr);
  const VertexId n = image->vertex_count();
  const EdgeIndex m = image->edge_count();
  DYAD_FUZZ_CHECK(snap.vertex_count() == n && snap.edge_index_bound() == m,
                  "a snapshot of a bare image has other sizes");
  std::vector<uint8_t> table(64);
  const uint16_t lowest = in.U8() % 8, highest = static_cast<uint16_t>(lowest + in.U8() % 64);
  for (size_t i = lowest; i < table.size() && i <= highest; ++i)
    table[i] = static_cast<uint8_t>(i % 3 == 0);
  const graph::PredicateSet wanted(std::move(table));
  uint64_t steps = 0;
  for (VertexId v = 0; v < n + 2 && steps < 100000; ++v) {
    (void)snap.has_node(v);
    (void)snap.Degree(v);
    auto check = [&](const Step& s, const char* how) {
      ++steps;
      DYAD_FUZZ_CHECK(s.other < n && s.edge < m, how << " of " << v << " gave (" << s.other << ", "
                                                     << s.edge << ") outside an image of " << n
                                                     << " vertices, " << m << " edges");
      const graph::EdgeProps& p = snap.props(s.edge);
      (void)p;
    };
    snap.ForEachOut(v, [&](const Step& s) {
      check(s, "ForEachOut");
      const graph::EdgeProps& p = snap.props(s.edge);
      std::optional<EdgeIndex> found =
          image->FindEdge(FactKey{v, p.predicate, s.other, p.valid_from});
      DYAD_FUZZ_CHECK(!found || *found < m, "FindEdge gave edge " << *found << " of " << m);
    });
    snap.ForEachIn(v, [&](const Step& s) { check(s, "ForEachIn"); });
    std::span<const VertexId> run;
    if (snap.BaseRun(v, &run)) {
      // Read every entry, so that the sanitizer build sees a run reaching
      // past the image; the entries themselves are unchecked by contract.
      uint64_t sum = 0;
      for (VertexId x : run) sum += x;
      DYAD_FUZZ_CHECK(run.size() <= 2 * uint64_t{m},
                      "BaseRun of " << v << " has " << run.size() << " steps, sum " << sum);
    }
    snap.ForEachInAmong(v, wanted, [&](const Step& s) { check(s, "ForEachInAmong"); });
    snap.ForEachStepTo(
        v, [&](VertexId other) { return other % 2 == 0; },
        [&](const Step& s, bool) { check(s, "ForEachStepTo"); });
  }
  std::optional<EdgeIndex> found =
      image->FindEdge(FactKey{in.U8(), static_cast<PredicateId>(in.U8()), in.U8(), in.U32()});
  DYAD_FUZZ_CHECK(!found || *found < m, "FindEdge gave edge " << *found << " of " << m);
}

void MapAndTraverse(std::string_view file_bytes, Reader& in) {
  const fs::path file = Tmp().dir / "graph.csr";
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(file_bytes.data(), static_cast<std::streamsize>(file_bytes.size()));
    if (!out) std::abort();
  }
  Result<std::shared_ptr<const graph::CsrImage>> image = graph::CsrImage::Map(file);
  if (!image.ok()) {
    DYAD_FUZZ_CHECK(image.status().code() == StatusCode::kCorruption,
                    "Map refused an image with " << image.status().ToString());
    return;
  }
  DYAD_FUZZ_CHECK((*image)->mapped(), "a mapped image says it was built");
  Traverse(*image, in);
}

void FuzzDamagedImage(Reader in) {
  std::string file = Template().image;
  const size_t offset = (size_t{in.U8()} << 8 | in.U8()) % (file.size() + 1);
  const std::string_view patch = in.Take(in.U8());
  file.replace(offset, std::min(patch.size(), file.size() - offset), patch);
  MapAndTraverse(file, in);
}

// ---- 3: a fact record ---------------------------------------------------------

void FuzzSourceRecord(Reader in) {
  static std::vector<Source> reused;  // what an earlier input left must not show
  const std::string_view bytes = in.rest();
  if (!DecodePlainSources(bytes, &reused)) {
    // Protobuf's to decide; a scan then reuses what protobuf decoded.
    if (std::optional<std::vector<Source>> theirs = ProtobufSources(bytes)) reused = *theirs;
    return;
  }
  const std::optional<std::vector<Source>> theirs = ProtobufSources(bytes);
  DYAD_FUZZ_CHECK(theirs.has_value(),
                  "the plain decoder took a record protobuf refuses: " << Hex(bytes));
  DYAD_FUZZ_CHECK(DescribeSources(reused) == DescribeSources(*theirs),
                  "the plain decoder and protobuf differ on " << Hex(bytes));
}

}  // namespace
}  // namespace dyad

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  dyad::fuzz::Template();  // the template image, built once before the first input
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dyad;
  Reader in(std::string_view(reinterpret_cast<const char*>(data), size));
  switch (in.U8() % 4) {
    case 0:
      FuzzKeys(in);
      break;
    case 1: {
      const std::string_view file = in.Take(size_t{in.U8()} << 8 | in.U8());
      MapAndTraverse(file, in);
      break;
    }
    case 2:
      FuzzDamagedImage(in);
      break;
    case 3:
      FuzzSourceRecord(in);
      break;
  }
  return 0;
}
