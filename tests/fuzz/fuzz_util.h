// What the record fuzz targets share: a reader of integers and strings off
// a fuzz input, a scratch directory per process, and a small store (and its
// persisted graph image) built once at start that inputs damage copies of.
//   const fuzz::Templates& t = fuzz::Template();  // t.store, t.image
// Not thread-safe; a fuzz target runs one input at a time.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "graph/snapshot.h"
#include "storage/loader.h"
#include "storage/store.h"

namespace dyad::fuzz {

namespace fs = std::filesystem;
using storage::Column;
using storage::ColumnName;
using storage::kColumnCount;

// Reads integers and strings off the input; zeros once it runs out.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  uint8_t U8() {
    if (data_.empty()) return 0;
    const auto v = static_cast<uint8_t>(data_[0]);
    data_.remove_prefix(1);
    return v;
  }
  uint32_t U32() { return static_cast<uint32_t>(Bytes(4)); }
  uint64_t U64() { return Bytes(8); }
  std::string_view Take(size_t n) {
    n = std::min(n, data_.size());
    std::string_view s = data_.substr(0, n);
    data_.remove_prefix(n);
    return s;
  }
  std::string_view rest() const { return data_; }
  bool empty() const { return data_.empty(); }

 private:
  uint64_t Bytes(int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = v << 8 | U8();
    return v;
  }
  std::string_view data_;
};

// The process's scratch directory, removed at exit.
struct Scratch {
  fs::path dir;
  Scratch() {
    std::string pattern = (fs::temp_directory_path() / "dyad-fuzz-records-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("fuzz: mkdtemp");
      std::abort();
    }
    dir = pattern;
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

inline Scratch& Tmp() {
  static Scratch scratch;
  return scratch;
}

// Facts of a few nodes, with aliases, props, dates and a corroborated fact,
// so that every record kind is on disk.
inline constexpr std::string_view kFacts =
    R"({"kind":"entity","label":"Country","name":"Pakistan","aliases":["PK"],"props":{"iso":"PK"}}
{"kind":"entity","label":"Person","name":"Ashfaq Parvez Kayani","aliases":["Kiani"],"props":{"office":"COAS","rank":4,"retired":true}}
{"kind":"fact","subject":{"label":"Person","name":"Kiani"},"predicate":"HOLDS_OFFICE","object":{"label":"Country","name":"PK"},"valid_from":"2007-11-29","valid_to":"2013-11-29","source":{"doc":"d1","published":"2012-10-04","outlet":"Dawn"}}
{"kind":"fact","subject":{"label":"Person","name":"Sergey Lavrov"},"predicate":"VISITED","object":{"label":"Location","name":"Islamabad"},"valid_from":"2012-10-03","confidence":0.9,"props":{"purpose":"talks"},"source":{"doc":"d1","quote":"jetted in"}}
{"kind":"fact","subject":{"label":"Person","name":"Sergey Lavrov"},"predicate":"VISITED","object":{"label":"Location","name":"Islamabad"},"valid_from":"2012-10-03","valid_to":"2012-10-04","confidence":0.5,"source":{"doc":"d2"}}
{"kind":"fact","subject":{"label":"Person","name":"Sergey Lavrov"},"predicate":"MET","object":{"label":"Person","name":"Kiani"},"source":{"doc":"d2","url":"https://example.org/x"}}
)";

struct Templates {
  fs::path store;                    // a closed store holding kFacts
  std::string image;                 // the bytes of its persisted graph image
  std::vector<std::string> columns;  // RocksDB column family names, "default" first
};

inline Status MakeTemplates(Templates* t) {
  t->store = Tmp().dir / "template";
  {
    storage::StoreOptions options;
    options.create_if_missing = true;
    DYAD_ASSIGN_OR_RETURN(std::unique_ptr<storage::Store> store,
                          storage::Store::Open(t->store, options));
    storage::Loader loader(*store, storage::LoadOptions{});
    storage::LoadSummary summary;
    auto facts = std::make_shared<std::string_view>(kFacts);
    storage::LoadInput input{"facts.jsonl", -1,
                             [facts](char* buf, size_t capacity) -> Result<size_t> {
                               const size_t n = std::min(capacity, facts->size());
                               std::copy_n(facts->data(), n, buf);
                               facts->remove_prefix(n);
                               return n;
                             }};
    DYAD_RETURN_IF_ERROR(loader.Load({input}, &summary));
    DYAD_ASSIGN_OR_RETURN(std::shared_ptr<const graph::CsrImage> image,
                          graph::CsrImage::Build(*store));
    const fs::path file = Tmp().dir / "template.csr";
    DYAD_RETURN_IF_ERROR(image->Persist(file));
    std::ifstream in(file, std::ios::binary);
    t->image.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::vector<std::string> names;
  rocksdb::Status s =
      rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), t->store.string(), &names);
  if (!s.ok()) return Status::IOError(s.ToString());
  t->columns = {rocksdb::kDefaultColumnFamilyName};
  for (int c = 0; c < kColumnCount; ++c) {
    t->columns.emplace_back(ColumnName(static_cast<Column>(c)));
    if (std::find(names.begin(), names.end(), t->columns.back()) == names.end()) {
      return Status::Internal("the store has no column family " + t->columns.back());
    }
  }
  return Status::OK();
}

inline const Templates& Template() {
  static const Templates templates = [] {
    Templates t;
    Status s = MakeTemplates(&t);
    if (!s.ok()) {
      std::fprintf(stderr, "fuzz: cannot make the template store: %s\n", s.ToString().c_str());
      std::abort();
    }
    return t;
  }();
  return templates;
}

}  // namespace dyad::fuzz
