// Fuzzes how the store decodes damaged records: the input is up to 16 raw
// keys and values (NodeRecord, EdgeRecord and the other messages of
// proto/dyad/v1/records.proto, `in` summaries, names, ids, meta), each a
// column byte, a key (length byte, bytes) and a value (length byte, bytes;
// 255 deletes the key), written straight into the column families of a copy
// of a small valid store (fuzz_util.h). Store then opens it, or refuses it,
// and every public read runs: nodes, facts with their provenance, names,
// a view's scans, the graph scan, the canonical dump. Each must answer
// with a value or an error status, never crash or read out of bounds.
// The store has no raw write, so RocksDB writes the records and the store
// is closed and reopened for each input: about a second an input under the
// sanitizers, which is why this is a target of its own.
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/store.h"
#include "tests/fuzz/fuzz_util.h"

namespace dyad {
namespace {

namespace fs = std::filesystem;
using fuzz::Reader;
using fuzz::Template;
using fuzz::Templates;
using fuzz::Tmp;
using namespace storage;  // NOLINT

// Writes the records `in` describes into a copy of the template store:
// each is a column byte, a key (length byte, bytes) and a value (length
// byte, bytes); a value length of 255 deletes the key instead.
Status WriteRecords(const fs::path& dir, Reader& in) {
  const Templates& t = Template();
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : t.columns) {
    rocksdb::ColumnFamilyOptions options;
    options.write_buffer_size = 1 << 16;  // a few records: no 64 MiB memtable arenas
    descriptors.emplace_back(name, options);
  }
  rocksdb::DBOptions options;
  options.avoid_flush_during_shutdown = true;
  options.allow_fallocate = false;  // a preallocated WAL costs more than the input
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir.string(), descriptors, &handles, &raw);
  if (!s.ok()) return Status::IOError(s.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteBatch batch;
  for (int records = 0; !in.empty() && records < 16; ++records) {
    rocksdb::ColumnFamilyHandle* cf = handles[1 + in.U8() % kColumnCount];
    const std::string_view key = in.Take(in.U8());
    const uint8_t value_size = in.U8();
    if (value_size == 255) {
      s = batch.Delete(cf, rocksdb::Slice(key.data(), key.size()));
    } else {
      const std::string_view value = in.Take(value_size);
      s = batch.Put(cf, rocksdb::Slice(key.data(), key.size()),
                    rocksdb::Slice(value.data(), value.size()));
    }
    if (!s.ok()) return Status::IOError(s.ToString());
  }
  s = db->Write(rocksdb::WriteOptions(), &batch);
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  if (s.ok()) s = db->Close();
  return s.ok() ? Status::OK() : Status::IOError(s.ToString());
}

// Every public read of a store; each may fail, none may crash.
void ReadEverything(const Store& store) {
  (void)store.GetStats();
  (void)store.ForEachRaw([](Column, std::string_view, std::string_view) {});
  std::vector<NodeId> ids;
  for (NodeId id = 0; id < 12; ++id) {
    Result<Node> node = store.GetNode(id);
    if (node.ok()) ids.push_back(id);
    FactFilter filter;
    Result<FactList> facts = store.FactsOf(id, filter);
    if (facts.ok()) {
      std::vector<FactKey> keys;
      for (const Fact& f : *facts) {
        std::optional<PredicateId> p = store.PredicateIdOf(f.predicate);
        if (p) keys.push_back(FactKey{f.subject, *p, f.object, f.valid_from});
      }
      for (const FactKey& k : keys) (void)store.GetFact(k);
      (void)store.GetFacts(keys);
    }
  }
  (void)store.GetNodes(ids);
  for (std::string_view ref :
       {"Kiani", "Person:ashfaq-parvez-kayani", "Country:PK", "islamabad", "Location:Islamabad"}) {
    (void)store.Resolve(ref);
    (void)store.FindByName(ref, std::nullopt);
  }
  std::unique_ptr<StoreView> view = store.NewView();
  (void)view->ForEachNode([](const Node&) { return Status::OK(); });
  (void)view->ForEachFact([](Fact&) { return Status::OK(); });
  (void)view->GetNodes(ids);
  uint64_t sequence = 0;
  (void)store.ScanGraph([](NodeId, LabelId) {}, [](const EdgeEntry&) {}, &sequence);
  (void)store.DumpCanonical();
}

void FuzzStoreRecords(Reader in) {
  const fs::path dir = Tmp().dir / "store";
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::copy(Template().store, dir, fs::copy_options::recursive, ec);
  if (ec) {
    std::fprintf(stderr, "fuzz_store_records: cannot copy the template store: %s\n",
                 ec.message().c_str());
    std::abort();
  }
  if (!WriteRecords(dir, in).ok()) return;  // RocksDB refused the batch: nothing to read
  Result<std::unique_ptr<Store>> store = Store::Open(dir, StoreOptions{});
  if (!store.ok()) return;  // a damaged `meta` is refused when opened
  ReadEverything(**store);
}

}  // namespace
}  // namespace dyad

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  dyad::fuzz::Template();  // the template store, built once before the first input
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dyad::FuzzStoreRecords(
      dyad::fuzz::Reader(std::string_view(reinterpret_cast<const char*>(data), size)));
  return 0;
}
