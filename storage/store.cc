#include "storage/store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <future>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>

#include "dyad/v1/records.pb.h"
#include "storage/internal/keys.h"
#include "storage/internal/source_records.h"
#include "storage/names.h"
#include "storage/node_cache.h"

namespace dyad::storage {

namespace fs = std::filesystem;
using namespace internal;  // NOLINT: key helpers

std::string_view ColumnName(Column c) {
  static constexpr std::string_view kNames[kColumnCount] = {"meta", "nodes", "names", "ids",
                                                            "out",  "in",    "docs"};
  return kNames[static_cast<int>(c)];
}

bool ValidInWindow(DayCode valid_from, DayCode valid_to, DayCode from, DayCode to) {
  if (to != kOpenDay && valid_from != kOpenDay && valid_from > to) return false;
  if (from != kOpenDay && valid_to != kOpenDay && valid_to < from) return false;
  return true;
}

double NoisyOr(const std::vector<Source>& sources) {
  double miss = 1.0;
  for (const Source& s : sources) miss *= 1.0 - s.confidence;
  return 1.0 - miss;
}

namespace {

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::OK();
  if (s.IsNotFound()) return Status::NotFound(fmt::format("{}: {}", what, s.ToString()));
  if (s.IsCorruption()) return Status::Corruption(fmt::format("{}: {}", what, s.ToString()));
  return Status::IOError(fmt::format("{}: {}", what, s.ToString()));
}

// One RocksDB snapshot for every read of a query, released when it ends: a
// chunk ingested meanwhile lands in several column families, and a query
// must not see `in` ahead of `out`.
class PinnedSnapshot {
 public:
  explicit PinnedSnapshot(rocksdb::DB* db) : db(db), snapshot(db->GetSnapshot()) {}
  ~PinnedSnapshot() { db->ReleaseSnapshot(snapshot); }
  PinnedSnapshot(const PinnedSnapshot&) = delete;
  PinnedSnapshot& operator=(const PinnedSnapshot&) = delete;

  rocksdb::DB* const db;
  const rocksdb::Snapshot* const snapshot;
};

// One block cache for every column family; LRU, filled as used.
std::shared_ptr<rocksdb::Cache> SharedBlockCache() {
  static std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(256 << 20);
  return cache;
}

rocksdb::ColumnFamilyOptions ColumnOptions(Column c, bool query_only) {
  rocksdb::ColumnFamilyOptions o;
  rocksdb::BlockBasedTableOptions t;
  // Point look-ups (names, ids, existence of a fact before a load writes it)
  // mostly miss while a store is growing: a Bloom filter answers those
  // without reading a block.
  if (c != Column::kMeta && !query_only) t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  // Facts and nodes are read at random: a hub's answer names thousands of
  // them, each in a different block, and each block is decompressed whole.
  // Small LZ4 blocks make such a read cheap; the other families are read
  // in order (adjacency scans) or rarely, and keep bigger zstd blocks.
  const bool random_reads = c == Column::kOut || c == Column::kNodes;
  t.block_size = random_reads ? 4 * 1024 : 16 * 1024;
  // Index and filter blocks go through the block cache, loaded when first
  // needed: opening a big store must not read every file's filter (a
  // one-off CLI query would spend most of its time there).
  // Filters and indexes are partitioned, so that a point look-up reads a
  // 4 KiB partition, not a whole file's filter.
  t.cache_index_and_filter_blocks = true;
  t.partition_filters = true;
  t.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  t.metadata_block_size = 4096;
  t.pin_top_level_index_and_filter = true;
  t.block_cache = SharedBlockCache();
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  o.compression = rocksdb::kLZ4Compression;
  o.bottommost_compression = random_reads ? rocksdb::kLZ4Compression : rocksdb::kZSTD;
  o.level_compaction_dynamic_level_bytes = true;
  return o;
}

bool LooksLikeRocksDb(const fs::path& dir) {
  std::error_code ec;
  return fs::exists(dir / "CURRENT", ec);
}

bool IsEmptyDir(const fs::path& dir) {
  std::error_code ec;
  return fs::is_directory(dir, ec) && fs::is_empty(dir, ec);
}

// Creating a store writes many files (RocksDB makes its column families
// one by one, then dyad writes the format version), and a process killed
// halfway would leave a directory that is neither empty nor a dyad store.
// So a creation starts by putting this marker into the empty directory and
// ends by removing it: a directory with the marker holds only an
// interrupted creation, which the next load clears and starts again.
constexpr std::string_view kCreatingMarker = ".dyad-creating";

// Makes `path`'s entry in `dir` durable.
Status SyncDirectory(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    Status s =
        Status::IOError(fmt::format("cannot sync {}: {}", dir.string(), std::strerror(errno)));
    if (fd >= 0) ::close(fd);
    return s;
  }
  ::close(fd);
  return Status::OK();
}

Status MarkCreating(const fs::path& dir) {
  int fd = ::open((dir / kCreatingMarker).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Status::IOError(
        fmt::format("cannot create a store in {}: {}", dir.string(), std::strerror(errno)));
  }
  ::close(fd);
  return SyncDirectory(dir);
}

Status UnmarkCreating(const fs::path& dir) {
  if (::unlink((dir / kCreatingMarker).c_str()) != 0) {
    return Status::IOError(fmt::format("cannot finish creating the store in {}: {}", dir.string(),
                                       std::strerror(errno)));
  }
  return SyncDirectory(dir);
}

// RocksDB before 8.3 starts a new WAL at every open and keeps the previous
// one for as long as it stays empty (facebook/rocksdb#11313): every query
// process left an empty .log behind, and every open read them all (a
// store queried a hundred times had a hundred). An empty WAL older than
// the current one holds no records, and with
// track_and_verify_wals_in_manifest off (the default) no open looks for
// it: removed once this process holds the store's lock. Best effort.
void RemoveEmptyOldWals(rocksdb::DB& db, const fs::path& dir) {
  std::unique_ptr<rocksdb::LogFile> current;
  if (!db.GetCurrentWalFile(&current).ok() || !current) return;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() <= 4 || !name.ends_with(".log")) continue;
    const std::string_view digits(name.data(), name.size() - 4);
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    const uint64_t number = std::strtoull(name.c_str(), nullptr, 10);
    std::error_code size_ec;
    if (number < current->LogNumber() && entry.file_size(size_ec) == 0 && !size_ec) {
      fs::remove(entry.path(), size_ec);
    }
  }
}

bool OnReadOnlyFileSystem(const fs::path& dir) {
  struct statvfs st = {};
  return ::statvfs(dir.c_str(), &st) == 0 && (st.f_flag & ST_RDONLY) != 0;
}

// True when another process holds the store's LOCK (RocksDB's fcntl lock
// on DIR/LOCK). Only asked, not taken, so nothing in `dir` is touched: a
// second process must not rotate the first one's info log. (Ask it only of
// a store this process does not hold: closing any descriptor of the file
// drops all of this process's fcntl locks on it.)
bool LockedByAnotherProcess(const fs::path& dir) {
  int fd = ::open((dir / "LOCK").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct flock probe = {};
  probe.l_type = F_WRLCK;
  probe.l_whence = SEEK_SET;
  const bool locked = ::fcntl(fd, F_GETLK, &probe) == 0 && probe.l_type != F_UNLCK;
  ::close(fd);
  return locked;
}

Status InUse(const fs::path& dir, std::string_view why) {
  return Status::Busy(fmt::format("store {} is in use by another process ({})", dir.string(), why));
}

}  // namespace

// The stores this process has open, by directory. RocksDB's LOCK is an
// fcntl lock, which belongs to a process: it cannot tell a second open in
// this process from the first, and closing any descriptor of the file
// drops it. So a second open here is refused before the file is touched.
// A query's read-only open (which RocksDB does without the lock) takes the
// same lock itself, so that a writer elsewhere waits for it as for any
// open store.
class StoreHold {
 public:
  static Result<std::unique_ptr<StoreHold>> Register(const fs::path& dir) {
    std::error_code ec;
    std::string key = fs::weakly_canonical(dir, ec).string();
    if (ec) key = fs::absolute(dir, ec).lexically_normal().string();
    std::lock_guard lock(mu());
    if (!held().insert(key).second) {
      return Status::Busy(
          fmt::format("store {} is in use by this process (it is open already)", dir.string()));
    }
    return std::unique_ptr<StoreHold>(new StoreHold(std::move(key)));
  }
  ~StoreHold() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
    std::lock_guard lock(mu());
    held().erase(key_);
  }
  StoreHold(const StoreHold&) = delete;
  StoreHold& operator=(const StoreHold&) = delete;

  // Takes DIR/LOCK as RocksDB's read-write open does (a write lock on the
  // whole file), without waiting.
  Status Lock(const fs::path& dir) {
    const fs::path file = dir / "LOCK";
    fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      return Status::IOError(
          fmt::format("cannot open {}: {}", file.string(), std::strerror(errno)));
    }
    struct flock lock = {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    if (::fcntl(fd_, F_SETLK, &lock) != 0) {
      const int err = errno;
      if (err == EACCES || err == EAGAIN)
        return InUse(dir, fmt::format("{} is locked", file.string()));
      return Status::IOError(fmt::format("cannot lock {}: {}", file.string(), std::strerror(err)));
    }
    return Status::OK();
  }

 private:
  explicit StoreHold(std::string key) : key_(std::move(key)) {}
  static std::mutex& mu() {
    static std::mutex m;
    return m;
  }
  static std::set<std::string>& held() {
    static std::set<std::string> s;
    return s;
  }
  std::string key_;
  int fd_ = -1;
};

namespace {

// A store opened for writing keeps every one of its files open (below):
// the soft limit on open files goes up to the hard one, as RocksDB asks of
// a process that does so. A limit that cannot be raised stays; a store
// with more files than it allows then fails to open with RocksDB's error.
void RaiseOpenFileLimit() {
  rlimit limit = {};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
}

// RocksDB's info log (DIR/LOG), written with plain appends whose failures
// are ignored: on a full disk the log loses lines, never the process.
// RocksDB's own logger (as Debian 12's librocksdb builds it) fails an
// assertion when it is written to after a failed write, and a load that
// filled the disk died of SIGABRT instead of reporting the error.
class InfoLog : public rocksdb::Logger {
 public:
  // `fd` < 0: a log that writes nothing (a read-only store).
  InfoLog(int fd, rocksdb::InfoLogLevel level) : rocksdb::Logger(level), fd_(fd) {}
  ~InfoLog() override {
    if (fd_ >= 0) ::close(fd_);
  }
  InfoLog(const InfoLog&) = delete;
  InfoLog& operator=(const InfoLog&) = delete;

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    if (fd_ < 0) return;
    char line[8192];
    timeval now = {};
    ::gettimeofday(&now, nullptr);
    std::tm t = {};
    ::localtime_r(&now.tv_sec, &t);
    int head =
        std::snprintf(line, sizeof(line), "%04d/%02d/%02d-%02d:%02d:%02d.%06ld %ld ",
                      t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                      static_cast<long>(now.tv_usec), static_cast<long>(::gettid()));
    size_t len = head > 0 ? static_cast<size_t>(head) : 0;
    va_list copy;
    va_copy(copy, ap);
    int body = std::vsnprintf(line + len, sizeof(line) - len, format, copy);
    va_end(copy);
    if (body > 0) len = std::min(len + static_cast<size_t>(body), sizeof(line) - 1);
    if (len == 0 || line[len - 1] != '\n') line[len++] = '\n';
    const ssize_t written = ::write(fd_, line, len);
    (void)written;  // a log line that cannot be written is lost, nothing else
  }

 private:
  int fd_;
};

// A fresh DIR/LOG; the previous one is kept as LOG.old.<microseconds>, as
// RocksDB's own logger does (RocksDB deletes the old ones beyond
// keep_log_file_num).
std::shared_ptr<rocksdb::Logger> OpenInfoLog(const fs::path& dir, rocksdb::InfoLogLevel level) {
  const fs::path log = dir / "LOG";
  std::error_code ec;
  if (fs::exists(log, ec)) {
    timeval now = {};
    ::gettimeofday(&now, nullptr);
    const long long micros = static_cast<long long>(now.tv_sec) * 1000000 + now.tv_usec;
    fs::rename(log, dir / fmt::format("LOG.old.{}", micros), ec);
  }
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  return std::make_shared<InfoLog>(fd, level);
}

Node ToNode(NodeId id, const dyad::v1::NodeRecord& rec, std::string label) {
  Node n;
  n.id = id;
  n.external_id = rec.external_id();
  n.label = std::move(label);
  n.name = rec.name();
  n.aliases.assign(rec.aliases().begin(), rec.aliases().end());
  n.props.assign(rec.props().begin(), rec.props().end());
  n.declared = rec.declared();
  return n;
}

}  // namespace

Store::~Store() {
  if (db_) {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    handles_.clear();
    db_->Close().PermitUncheckedError();
  }
}

Result<std::unique_ptr<Store>> Store::Open(const fs::path& dir, const StoreOptions& options) {
  DYAD_ASSIGN_OR_RETURN(std::unique_ptr<StoreHold> hold, StoreHold::Register(dir));
  std::error_code ec;
  const bool exists = fs::exists(dir, ec);
  bool fresh = false;
  if (!exists) {
    if (!options.create_if_missing) {
      return Status::FailedPrecondition(
          fmt::format("no dyad store at {} (load facts to create one)", dir.string()));
    }
    fs::create_directories(dir, ec);
    if (ec) return Status::IOError(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
    fresh = true;
  } else if (!fs::is_directory(dir, ec)) {
    return Status::FailedPrecondition(fmt::format("{} is not a directory", dir.string()));
  } else if (fs::exists(dir / kCreatingMarker, ec)) {
    // A creation that did not finish: it holds no data (the marker goes
    // before Open returns, so before any load), only what it made.
    if (LockedByAnotherProcess(dir)) {
      return InUse(dir, "another process is creating it");
    }
    if (!options.create_if_missing) {
      return Status::FailedPrecondition(
          fmt::format("no dyad store at {} (its creation was interrupted; load facts to create it)",
                      dir.string()));
    }
    for (const auto& entry : fs::directory_iterator(dir, ec)) fs::remove_all(entry.path(), ec);
    if (ec) {
      return Status::IOError(fmt::format("cannot clear the interrupted creation in {}: {}",
                                         dir.string(), ec.message()));
    }
    fresh = true;
  } else if (IsEmptyDir(dir)) {
    if (!options.create_if_missing) {
      return Status::FailedPrecondition(
          fmt::format("no dyad store at {} (the directory is empty)", dir.string()));
    }
    fresh = true;
  } else if (!LooksLikeRocksDb(dir)) {
    return Status::FailedPrecondition(fmt::format(
        "{} is not a dyad store (it holds other files); refusing to touch it", dir.string()));
  }

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = fresh;
  db_options.create_missing_column_families = fresh;
  db_options.IncreaseParallelism(2);
  db_options.max_file_opening_threads = 2;  // 2 cores; 16 threads only cost a short query
  db_options.max_background_jobs = 2;
  db_options.keep_log_file_num = 4;
  // A one-off query must open a big store quickly: with a finite table
  // cache RocksDB opens a file when a read first needs it. A process that
  // stays (a server, a load) opens every file at open instead (-1). A file
  // that a read opens later has all its filter and index partitions loaded
  // into the block cache, while the files opened at open load a partition
  // only when a look-up needs it: a server's whole-store export, which
  // opened every file as it scanned, grew the server by the store's filters
  // (27 MB at L); with the files opened at open, by 6 MB. Opening the 45
  // files of an L store took no measurable time. File statistics are not
  // read at open.
  db_options.max_open_files = options.query_only ? 1024 : -1;
  if (!options.query_only) RaiseOpenFileLimit();
  db_options.skip_stats_update_on_db_open = true;
  db_options.skip_checking_sst_file_sizes_on_db_open = true;

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  for (int i = 0; i < kColumnCount; ++i) {
    Column c = static_cast<Column>(i);
    rocksdb::ColumnFamilyOptions cf_options = ColumnOptions(c, options.query_only);
    cf_options.disable_auto_compactions = options.query_only;
    descriptors.emplace_back(std::string(ColumnName(c)), cf_options);
  }
  auto store = std::unique_ptr<Store>(new Store());
  store->dir_ = dir;
  store->query_only_ = options.query_only;
  if (options.node_cache_entries > 0)
    store->node_cache_ = std::make_unique<NodeCache>(options.node_cache_entries);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  if (!fresh && LockedByAnotherProcess(dir)) {
    return InUse(dir, fmt::format("{} is locked", (dir / "LOCK").string()));
  }
  // A store on a read-only file system (a read-only mount, a backup on
  // read-only media) can only be read: queries open it read-only, without
  // its lock (no process can write there), and anything that writes is
  // refused before RocksDB meets the file system.
  const bool read_only_fs = OnReadOnlyFileSystem(dir);
  // A query opens an existing store read-only too, holding its lock: a
  // read-write open writes at every open (an options file that it then
  // parses back, a new manifest and log, a rotated info log, each synced),
  // a third of a short query's time on a big store, and a query needs none
  // of it.
  const bool read_only = read_only_fs || (options.query_only && !fresh);
  if (read_only_fs && fresh) {
    return Status::IOError(
        fmt::format("cannot create a store in {}: it is on a read-only file system", dir.string()));
  }
  if (read_only_fs && !options.query_only) {
    return Status::IOError(fmt::format(
        "store {} is on a read-only file system; only queries can open it there (read-only)",
        dir.string()));
  }
  if (fresh) DYAD_RETURN_IF_ERROR(MarkCreating(dir));
  rocksdb::Status s;
  if (read_only) {
    if (!read_only_fs) DYAD_RETURN_IF_ERROR(hold->Lock(dir));
    db_options.info_log = std::make_shared<InfoLog>(-1, db_options.info_log_level);
    s = rocksdb::DB::OpenForReadOnly(db_options, dir.string(), descriptors, &handles, &raw);
  } else {
    db_options.info_log = OpenInfoLog(dir, db_options.info_log_level);
    s = rocksdb::DB::Open(db_options, dir.string(), descriptors, &handles, &raw);
  }
  if (!s.ok()) {
    // RocksDB takes the LOCK before it reads the column families, so a
    // store that another process is still creating reports "in use" too.
    if (s.IsInvalidArgument() && s.ToString().find("olumn famil") != std::string::npos) {
      return Status::FailedPrecondition(fmt::format(
          "{} is a RocksDB database but not a dyad store ({})", dir.string(), s.ToString()));
    }
    // RocksDB's words for a LOCK another process holds, or this one.
    const std::string what = s.ToString();
    if (s.IsIOError() && (what.find("While lock file") != std::string::npos ||
                          what.find("lock hold by current process") != std::string::npos)) {
      return InUse(dir, what);
    }
    return FromRocks(s, fmt::format("opening {}", dir.string()));
  }
  store->db_.reset(raw);
  store->hold_ = std::move(hold);
  if (!read_only) RemoveEmptyOldWals(*store->db_, dir);
  // handles[0] is the default family, which dyad does not use.
  store->db_->DestroyColumnFamilyHandle(handles[0]);
  store->handles_.assign(handles.begin() + 1, handles.end());

  if (fresh) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    s = store->db_->Put(wo, store->cf(Column::kMeta), std::string(kMetaFormatVersion),
                        EncodeU64(kFormatVersion));
    if (!s.ok()) return FromRocks(s, "writing the format version");
    DYAD_RETURN_IF_ERROR(UnmarkCreating(dir));
  }
  DYAD_RETURN_IF_ERROR(store->LoadMeta());
  return store;
}

Status Store::LoadMeta() {
  std::string v;
  Status s = Get(Column::kMeta, kMetaFormatVersion, &v);
  if (s.IsNotFound() || (s.ok() && v.size() != 8)) {
    return Status::FailedPrecondition(
        fmt::format("{} is not a dyad store (no format version)", dir_.string()));
  }
  DYAD_RETURN_IF_ERROR(s);
  const uint64_t version = GetBE64(v.data());
  if (version != kFormatVersion) {
    return Status::FailedPrecondition(
        fmt::format("store {} has format version {}; this dyad reads version {} only",
                    dir_.string(), version, kFormatVersion));
  }
  labels_.assign(1, "");
  predicates_.assign(1, "");
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), cf(Column::kMeta)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    std::string_view value(it->value().data(), it->value().size());
    auto id_after = [&](std::string_view prefix) { return GetBE32(key.data() + prefix.size()); };
    // Ids are given out 1, 2, 3, … and meta is read in key order, which is
    // id order: the next name must have the next id. (A damaged key could
    // otherwise size the dictionary by its id, up to 2^32 names.)
    auto add_name = [&](std::vector<std::string>& names, auto& ids, std::string_view prefix,
                        std::string_view what) -> Status {
      const uint32_t id = id_after(prefix);
      if (id != names.size()) {
        return Status::Corruption(
            fmt::format("meta names {} {} after {} {}s", what, id, names.size() - 1, what));
      }
      names.emplace_back(value);
      ids[std::string(value)] = id;
      return Status::OK();
    };
    auto u64 = [&]() -> Result<uint64_t> {
      if (value.size() != 8)
        return Status::Corruption(fmt::format("meta key {} has a bad value", key));
      return GetBE64(value.data());
    };
    if (key.starts_with(kMetaLabelCountPrefix) && key.size() == kMetaLabelCountPrefix.size() + 4) {
      DYAD_ASSIGN_OR_RETURN(counters_.label_counts[id_after(kMetaLabelCountPrefix)], u64());
    } else if (key.starts_with(kMetaPredicateCountPrefix) &&
               key.size() == kMetaPredicateCountPrefix.size() + 4) {
      DYAD_ASSIGN_OR_RETURN(counters_.predicate_counts[id_after(kMetaPredicateCountPrefix)], u64());
    } else if (key.starts_with(kMetaLabelPrefix) && key.size() == kMetaLabelPrefix.size() + 4) {
      DYAD_RETURN_IF_ERROR(add_name(labels_, label_ids_, kMetaLabelPrefix, "label"));
    } else if (key.starts_with(kMetaPredicatePrefix) &&
               key.size() == kMetaPredicatePrefix.size() + 4) {
      DYAD_RETURN_IF_ERROR(
          add_name(predicates_, predicate_ids_, kMetaPredicatePrefix, "predicate"));
    } else if (key == kMetaNextNodeId) {
      DYAD_ASSIGN_OR_RETURN(counters_.next_node_id, u64());
    } else if (key == kMetaNodeCount) {
      DYAD_ASSIGN_OR_RETURN(counters_.nodes, u64());
    } else if (key == kMetaFactCount) {
      DYAD_ASSIGN_OR_RETURN(counters_.facts, u64());
    } else if (key == kMetaDocCount) {
      DYAD_ASSIGN_OR_RETURN(counters_.docs, u64());
    }
  }
  DYAD_RETURN_IF_ERROR(FromRocks(it->status(), "reading meta"));
  // Statistics name what they count: a count of an id without a name is
  // damage, found here rather than read out of bounds by GetStats.
  auto check_named = [](const auto& counts, const std::vector<std::string>& names,
                        std::string_view what) -> Status {
    for (const auto& [id, n] : counts) {
      if (id == 0 || id >= names.size()) {
        return Status::Corruption(fmt::format("meta counts {} {}, which has no name", what, id));
      }
    }
    return Status::OK();
  };
  DYAD_RETURN_IF_ERROR(check_named(counters_.label_counts, labels_, "label"));
  return check_named(counters_.predicate_counts, predicates_, "predicate");
}

Status Store::ReloadMeta() {
  std::unique_lock lock(dict_mu_);
  labels_.clear();
  predicates_.clear();
  label_ids_.clear();
  predicate_ids_.clear();
  counters_ = Counters{};
  return LoadMeta();
}

Status Store::Get(Column c, std::string_view key, std::string* value,
                  const rocksdb::Snapshot* snapshot) const {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  rocksdb::Status s = db_->Get(ro, cf(c), rocksdb::Slice(key.data(), key.size()), value);
  if (s.IsNotFound()) return Status::NotFound(std::string(ColumnName(c)));
  return FromRocks(s, fmt::format("reading {}", ColumnName(c)));
}

std::optional<LabelId> Store::LabelIdOf(std::string_view label) const {
  std::shared_lock lock(dict_mu_);
  auto it = label_ids_.find(std::string(label));
  if (it == label_ids_.end()) return std::nullopt;
  return it->second;
}

std::optional<PredicateId> Store::PredicateIdOf(std::string_view predicate) const {
  std::shared_lock lock(dict_mu_);
  auto it = predicate_ids_.find(std::string(predicate));
  if (it == predicate_ids_.end()) return std::nullopt;
  return it->second;
}

std::string Store::LabelName(LabelId id) const {
  std::shared_lock lock(dict_mu_);
  return id < labels_.size() ? labels_[id] : std::string();
}

std::string Store::PredicateName(PredicateId id) const {
  std::shared_lock lock(dict_mu_);
  return id < predicates_.size() ? predicates_[id] : std::string();
}

Result<std::optional<NodeId>> Store::GetNodeIndex(Column c, std::string_view key) const {
  std::string value;
  Status s = Get(c, key, &value);
  if (s.IsNotFound()) return std::optional<NodeId>();
  DYAD_RETURN_IF_ERROR(s);
  if (value.size() != 8) {
    return Status::Corruption(fmt::format("a {} entry has a bad value", ColumnName(c)));
  }
  return std::optional<NodeId>(GetBE64(value.data()));
}

Result<Node> Store::GetNode(NodeId id) const {
  uint64_t generation = 0;
  if (node_cache_) {
    Node node;
    if (node_cache_->Visit(id, [&](const Node& found) { node = found; })) return node;
    generation = node_cache_->generation();
  }
  std::string value;
  Status s = Get(Column::kNodes, NodeKey(id), &value);
  if (s.IsNotFound()) return Status::NotFound(fmt::format("no node with internal id {}", id));
  DYAD_RETURN_IF_ERROR(s);
  dyad::v1::NodeRecord rec;
  if (!rec.ParseFromString(value))
    return Status::Corruption(fmt::format("node {} cannot be decoded", id));
  Node node = ToNode(id, rec, LabelName(rec.label_id()));
  if (node_cache_) node_cache_->Put(std::make_shared<const Node>(node), generation);
  return node;
}

Result<Fact> Store::GetFact(const FactKey& key) const {
  std::string out_key = EdgeKey(key.subject, key.predicate, key.object, key.valid_from);
  std::string value;
  Status s = Get(Column::kOut, out_key, &value);
  if (s.IsNotFound()) {
    return Status::NotFound(fmt::format(
        "no fact {}-{}->{} from {}", key.subject, PredicateName(key.predicate), key.object,
        key.valid_from == kOpenDay ? "any day" : FormatDay(key.valid_from)));
  }
  DYAD_RETURN_IF_ERROR(s);
  return DecodeFact(out_key, value);
}

Result<std::vector<std::optional<std::string>>> Store::MultiGet(
    Column c, const std::vector<std::string>& keys, const rocksdb::Snapshot* snapshot,
    bool fill_cache) const {
  if (keys.empty()) return std::vector<std::optional<std::string>>{};
  std::vector<size_t> order(keys.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return keys[a] < keys[b]; });
  std::vector<rocksdb::Slice> slices;
  slices.reserve(keys.size());
  for (size_t i : order) slices.emplace_back(keys[i]);
  std::optional<PinnedSnapshot> pinned;
  if (snapshot == nullptr) snapshot = pinned.emplace(db_.get()).snapshot;
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  ro.fill_cache = fill_cache && !query_only_;
  // In slices of sorted keys: a value pins its block until copied out, and
  // outside the block cache every block is a buffer of its own, so many
  // keys at once would hold many blocks.
  constexpr size_t kSlice = 256;
  std::vector<rocksdb::PinnableSlice> values(std::min(keys.size(), kSlice));
  std::vector<rocksdb::Status> statuses(values.size());
  std::vector<std::optional<std::string>> out(keys.size());
  for (size_t first = 0; first < keys.size(); first += kSlice) {
    const size_t n = std::min(kSlice, keys.size() - first);
    db_->MultiGet(ro, cf(c), n, slices.data() + first, values.data(), statuses.data(),
                  /*sorted_input=*/true);
    for (size_t j = 0; j < n; ++j) {
      if (statuses[j].IsNotFound()) continue;
      DYAD_RETURN_IF_ERROR(FromRocks(statuses[j], fmt::format("reading {}", ColumnName(c))));
      out[order[first + j]].emplace(values[j].data(), values[j].size());
    }
    for (auto& v : values) v.Reset();
  }
  return out;
}

Result<std::vector<Node>> Store::GetNodes(const std::vector<NodeId>& ids, NodeProps props) const {
  return GetNodesAt(ids, nullptr, /*fill_cache=*/true, props);
}

Result<std::vector<Node>> Store::GetNodesAt(const std::vector<NodeId>& ids,
                                            const rocksdb::Snapshot* snapshot, bool fill_cache,
                                            NodeProps props) const {
  // The cache holds the latest state: a read pinned to a snapshot, or one
  // that must not disturb the caches (an export), goes around it.
  NodeCache* cache = snapshot == nullptr && fill_cache ? node_cache_.get() : nullptr;
  std::vector<Node> nodes(ids.size());
  std::vector<size_t> missing;  // positions in `ids` to read
  missing.reserve(ids.size());
  uint64_t generation = cache ? cache->generation() : 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    Node& node = nodes[i];
    bool cached = cache && cache->Visit(ids[i], [&](const Node& found) {
      node.id = found.id;
      node.external_id = found.external_id;
      node.label = found.label;
      node.name = found.name;
      node.aliases = found.aliases;
      if (props == NodeProps::kWith) node.props = found.props;
      node.declared = found.declared;
    });
    if (!cached) missing.push_back(i);
  }
  if (missing.empty()) return nodes;
  std::vector<std::string> keys;
  keys.reserve(missing.size());
  for (size_t i : missing) keys.push_back(NodeKey(ids[i]));
  DYAD_ASSIGN_OR_RETURN(auto values, MultiGet(Column::kNodes, keys, snapshot, fill_cache));
  for (size_t k = 0; k < missing.size(); ++k) {
    NodeId id = ids[missing[k]];
    if (!values[k]) return Status::NotFound(fmt::format("no node with internal id {}", id));
    dyad::v1::NodeRecord rec;
    if (!rec.ParseFromString(*values[k]))
      return Status::Corruption(fmt::format("node {} cannot be decoded", id));
    Node& node = nodes[missing[k]];
    node = ToNode(id, rec, LabelName(rec.label_id()));
    if (cache) cache->Put(std::make_shared<const Node>(node), generation);
    if (props == NodeProps::kWithout) node.props.clear();
  }
  return nodes;
}

Result<std::vector<Fact>> Store::GetFacts(std::span<const FactKey> keys) const {
  std::vector<std::string> out_keys;
  out_keys.reserve(keys.size());
  for (const FactKey& k : keys)
    out_keys.push_back(EdgeKey(k.subject, k.predicate, k.object, k.valid_from));
  DYAD_ASSIGN_OR_RETURN(auto values, MultiGet(Column::kOut, out_keys));
  std::vector<Fact> facts;
  facts.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (!values[i]) {
      const FactKey& k = keys[i];
      return Status::NotFound(
          fmt::format("no fact {}-{}->{} from {}", k.subject, PredicateName(k.predicate), k.object,
                      k.valid_from == kOpenDay ? "any day" : FormatDay(k.valid_from)));
    }
    DYAD_ASSIGN_OR_RETURN(Fact f, DecodeFact(out_keys[i], *values[i]));
    facts.push_back(std::move(f));
  }
  return facts;
}

uint64_t Store::LatestSequence() const { return db_->GetLatestSequenceNumber(); }

namespace {

// The label id of a NodeRecord, read without decoding the rest: a snapshot
// of a million nodes needs nothing else of them. Follows the protobuf wire
// format: varint tags, length-delimited strings skipped.
bool ReadVarint(const char*& p, const char* end, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && p < end; shift += 7) {
    auto byte = static_cast<unsigned char>(*p++);
    *v |= uint64_t{byte & 0x7fu} << shift;
    if (!(byte & 0x80)) return true;
  }
  return false;
}

std::optional<LabelId> LabelOfNodeRecord(std::string_view value) {
  const char* p = value.data();
  const char* end = p + value.size();
  constexpr uint32_t kLabelField = 2;  // NodeRecord.label_id
  while (p < end) {
    uint64_t tag, v;
    if (!ReadVarint(p, end, &tag)) return std::nullopt;
    switch (tag & 7) {
      case 0:
        if (!ReadVarint(p, end, &v)) return std::nullopt;
        if ((tag >> 3) == kLabelField) return static_cast<LabelId>(v);
        break;
      case 2:
        if (!ReadVarint(p, end, &v) || v > static_cast<uint64_t>(end - p)) return std::nullopt;
        p += v;
        break;
      case 1:
      case 5: {
        // A record cut inside a fixed-width field is damaged, not a node
        // of label 0 (and stepping past its end would read beyond it).
        const ptrdiff_t width = (tag & 7) == 1 ? 8 : 4;
        if (end - p < width) return std::nullopt;
        p += width;
        break;
      }
      default:
        return std::nullopt;
    }
  }
  return LabelId{0};  // proto3 leaves a zero label id out
}

}  // namespace

Status Store::ScanGraph(const std::function<void(NodeId, LabelId)>& on_node,
                        const std::function<void(const EdgeEntry&)>& on_edge,
                        uint64_t* sequence) const {
  return ScanGraph(
      on_node, [&](size_t, const EdgeEntry& e) { on_edge(e); }, 1, sequence);
}

Status Store::ScanGraph(const std::function<void(NodeId, LabelId)>& on_node,
                        const std::function<void(size_t part, const EdgeEntry&)>& on_edge,
                        size_t parts, uint64_t* sequence) const {
  parts = std::max<size_t>(1, parts);
  PinnedSnapshot pinned(db_.get());
  *sequence = pinned.snapshot->GetSequenceNumber();
  rocksdb::ReadOptions ro;
  ro.snapshot = pinned.snapshot;
  ro.fill_cache = false;  // one pass over everything; keep the cache for queries
  ro.readahead_size = 2 << 20;

  // Split points: object ids that cut the `in` family into parts of about
  // equal size on disk (countries, the hubs, sit at low ids).
  NodeId end_id;
  {
    std::shared_lock lock(dict_mu_);
    end_id = counters_.next_node_id;
  }
  auto bytes_below = [&](NodeId id) {
    std::string lo = NodeKey(0), hi = NodeKey(id);
    rocksdb::Range range(lo, hi);
    uint64_t size = 0;
    rocksdb::SizeApproximationOptions options;
    options.include_memtables = true;
    db_->GetApproximateSizes(options, cf(Column::kIn), &range, 1, &size).PermitUncheckedError();
    return size;
  };
  std::vector<NodeId> bounds{0};
  const uint64_t total = parts > 1 ? bytes_below(end_id) : 0;
  for (size_t i = 1; i < parts; ++i) {
    NodeId lo = bounds.back(), hi = end_id;
    const uint64_t want = total * i / parts;
    while (lo + 1 < hi) {
      NodeId mid = lo + (hi - lo) / 2;
      (bytes_below(mid) < want ? lo : hi) = mid;
    }
    bounds.push_back(hi);
  }
  bounds.push_back(UINT64_MAX);

  auto scan_part = [&](size_t part) -> Status {
    if (part == 0) {
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(Column::kNodes)));
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        if (it->key().size() != 8) return Status::Corruption("a nodes key has a bad size");
        std::optional<LabelId> label =
            LabelOfNodeRecord(std::string_view(it->value().data(), it->value().size()));
        if (!label) return Status::Corruption("a node record cannot be decoded");
        on_node(GetBE64(it->key().data()), *label);
      }
      DYAD_RETURN_IF_ERROR(FromRocks(it->status(), "scanning nodes"));
    }
    const std::string first = NodeKey(bounds[part]);
    const std::string limit = NodeKey(bounds[part + 1]);
    rocksdb::ReadOptions part_ro = ro;
    rocksdb::Slice upper(limit);
    if (bounds[part + 1] != UINT64_MAX) part_ro.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(part_ro, cf(Column::kIn)));
    EdgeEntry e;
    for (it->Seek(first); it->Valid(); it->Next()) {
      EdgeKeyParts k;
      EdgeSummary summary;
      if (!DecodeEdgeKey(std::string_view(it->key().data(), it->key().size()), &k) ||
          !DecodeEdgeSummary(std::string_view(it->value().data(), it->value().size()), &summary)) {
        return Status::Corruption("an in entry cannot be decoded");
      }
      e.key = FactKey{k.to, k.predicate, k.from, k.valid_from};
      e.valid_to = summary.valid_to;
      e.confidence = summary.confidence;
      e.sources = summary.sources;
      on_edge(part, e);
    }
    return FromRocks(it->status(), "scanning in");
  };
  std::vector<std::future<Status>> others;
  for (size_t part = 1; part < parts; ++part)
    others.push_back(std::async(std::launch::async, scan_part, part));
  Status result = scan_part(0);
  for (auto& f : others) {
    Status st = f.get();
    if (result.ok()) result = st;
  }
  return result;
}

uint64_t Store::AddCommitListener(CommitListener listener) {
  std::lock_guard lock(listeners_mu_);
  listeners_.emplace_back(next_listener_, std::move(listener));
  return next_listener_++;
}

void Store::RemoveCommitListener(uint64_t handle) {
  std::lock_guard lock(listeners_mu_);
  std::erase_if(listeners_, [&](const auto& l) { return l.first == handle; });
}

bool Store::HasCommitListeners() const {
  std::lock_guard lock(listeners_mu_);
  return !listeners_.empty();
}

bool Store::WantsCommits() const { return node_cache_ != nullptr || HasCommitListeners(); }

void Store::NotifyCommit(const CommittedChange& change) const {
  if (node_cache_) {
    std::vector<NodeId> ids;
    ids.reserve(change.nodes.size());
    for (const auto& [id, label] : change.nodes) ids.push_back(id);
    node_cache_->Forget(ids);
  }
  std::lock_guard lock(listeners_mu_);
  for (const auto& [handle, listener] : listeners_) listener(change);
}

Result<std::vector<NodeId>> Store::FindByName(std::string_view name,
                                              std::optional<std::string_view> label) const {
  DYAD_ASSIGN_OR_RETURN(std::string norm, NormalizeName(name));
  std::vector<LabelId> label_ids;
  if (label) {
    std::optional<LabelId> id = LabelIdOf(*label);
    if (!id) return std::vector<NodeId>{};
    label_ids.push_back(*id);
  } else {
    std::shared_lock lock(dict_mu_);
    for (LabelId id = 1; id < labels_.size(); ++id) label_ids.push_back(id);
  }
  std::vector<NodeId> found;
  for (LabelId id : label_ids) {
    DYAD_ASSIGN_OR_RETURN(std::optional<NodeId> node,
                          GetNodeIndex(Column::kNames, NameKey(id, norm)));
    if (node) found.push_back(*node);
  }
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  return found;
}

Result<NodeId> Store::Resolve(std::string_view ref) const {
  if (ref.empty()) return Status::InvalidArgument("node: must not be empty");
  if (!node_cache_) return ResolveUncached(ref);
  if (std::optional<NodeId> id = node_cache_->Resolved(ref)) return *id;
  uint64_t generation = node_cache_->generation();
  Result<NodeId> id = ResolveUncached(ref);
  if (id.ok()) node_cache_->PutResolved(ref, *id, generation);
  return id;
}

Result<NodeId> Store::ResolveUncached(std::string_view ref) const {
  DYAD_ASSIGN_OR_RETURN(std::optional<NodeId> by_id, GetNodeIndex(Column::kIds, ref));
  if (by_id) return *by_id;

  std::optional<std::string_view> label;
  std::string_view name = ref;
  if (size_t colon = ref.find(':'); colon != std::string_view::npos) {
    std::string_view prefix = ref.substr(0, colon);
    if (IsValidLabel(prefix) && LabelIdOf(prefix)) {
      label = prefix;
      name = ref.substr(colon + 1);
    }
  }
  Result<std::vector<NodeId>> found = FindByName(name, label);
  if (!found.ok()) return found.status().WithContext(fmt::format("node \"{}\"", ref));
  if (found->empty()) return Status::NotFound(fmt::format("no node named \"{}\"", ref));
  if (found->size() == 1) return found->front();
  std::vector<std::string> candidates;
  for (NodeId id : *found) {
    DYAD_ASSIGN_OR_RETURN(Node n, GetNode(id));
    candidates.push_back(n.external_id);
  }
  // The message is made before `candidates` is moved into the status.
  std::string message = fmt::format("\"{}\" names {} nodes: {}; qualify it as Label:Name", ref,
                                    candidates.size(), fmt::join(candidates, ", "));
  return Status::Ambiguous(std::move(message), std::move(candidates));
}

Result<Fact> Store::DecodeFact(std::string_view out_key, std::string_view out_value) const {
  dyad::v1::EdgeRecord rec;
  Fact f;
  DYAD_RETURN_IF_ERROR(DecodeFactInto(out_key, out_value, &rec, &f));
  return f;
}

Status Store::DecodeFactInto(std::string_view out_key, std::string_view out_value,
                             dyad::v1::EdgeRecord* rec, Fact* f, PredicateNames* names) const {
  EdgeKeyParts k;
  if (!DecodeEdgeKey(out_key, &k)) return Status::Corruption("an out key has a bad size");
  if (!DecodePlainSources(out_value, &f->sources)) {
    // Not the plain form dyad writes: protobuf decides. Strings and props
    // are swapped between the record and the fact, not copied: the
    // record's next parse reuses what the fact held before.
    if (!rec->ParseFromArray(out_value.data(), static_cast<int>(out_value.size()))) {
      return Status::Corruption(
          fmt::format("fact {}-{}->{} cannot be decoded", k.from, k.predicate, k.to));
    }
    auto swap_props = [](google::protobuf::RepeatedPtrField<dyad::v1::Prop>* from, PropList* to) {
      to->resize(static_cast<size_t>(from->size()));
      for (int i = 0; i < from->size(); ++i) (*to)[static_cast<size_t>(i)].Swap(from->Mutable(i));
    };
    f->sources.resize(static_cast<size_t>(rec->sources_size()));
    for (int i = 0; i < rec->sources_size(); ++i) {
      dyad::v1::SourceRecord& src = *rec->mutable_sources(i);
      Source& s = f->sources[static_cast<size_t>(i)];
      s.doc.swap(*src.mutable_doc());
      s.confidence = src.confidence();
      s.valid_to = src.valid_to();
      swap_props(src.mutable_props(), &s.props);
      swap_props(src.mutable_fields(), &s.fields);
    }
  }
  f->subject = k.from;
  if (names != nullptr && k.predicate < names->size() && (*names)[k.predicate]) {
    f->predicate.assign(*(*names)[k.predicate]);
  } else {
    f->predicate = PredicateName(k.predicate);
    // Only a known id is kept: a damaged key's id could be any number.
    if (names != nullptr && !f->predicate.empty()) {
      if (k.predicate >= names->size()) names->resize(k.predicate + 1);
      (*names)[k.predicate] = f->predicate;
    }
  }
  f->object = k.to;
  f->valid_from = k.valid_from;
  f->valid_to = kOpenDay;
  f->props.clear();
  bool open = false;
  for (const Source& s : f->sources) {
    if (s.valid_to == kOpenDay) open = true;
    f->valid_to = std::max(f->valid_to, s.valid_to);
    for (const auto& p : s.props) {
      auto pos =
          std::lower_bound(f->props.begin(), f->props.end(), p.key(),
                           [](const auto& a, const std::string& key) { return a.key() < key; });
      if (pos == f->props.end() || pos->key() != p.key()) f->props.insert(pos, p);
    }
  }
  if (open) f->valid_to = kOpenDay;
  f->confidence = NoisyOr(f->sources);
  return Status::OK();
}

Result<FactList> Store::FactsOf(NodeId node, const FactFilter& filter) const {
  DYAD_ASSIGN_OR_RETURN(Node self, GetNode(node));
  (void)self;
  std::vector<Fact> facts;
  std::unordered_map<NodeId, std::string> names;  // of the other ends, for filters and order
  std::unordered_map<NodeId, std::string> labels;
  auto other_end = [&](NodeId id) -> Status {
    if (names.count(id)) return Status::OK();
    DYAD_ASSIGN_OR_RETURN(Node n, GetNode(id));
    names[id] = n.name;
    labels[id] = n.label;
    return Status::OK();
  };
  bool truncated = false;
  auto out_of_time = [&] {
    if (filter.deadline && std::chrono::steady_clock::now() >= *filter.deadline) truncated = true;
    return truncated;
  };
  auto passes = [&](const Fact& f, NodeId other) {
    if (!filter.predicates.empty() && std::find(filter.predicates.begin(), filter.predicates.end(),
                                                f.predicate) == filter.predicates.end()) {
      return false;
    }
    if (!filter.labels.empty() && std::find(filter.labels.begin(), filter.labels.end(),
                                            labels[other]) == filter.labels.end()) {
      return false;
    }
    if (f.confidence + 1e-12 < filter.min_confidence) return false;
    return ValidInWindow(f.valid_from, f.valid_to, filter.from, filter.to);
  };
  // A symmetric predicate is followed both ways: `--direction out` also
  // takes the node's incoming MET facts, and `in` its outgoing ones.
  auto symmetric = [&](PredicateId p) {
    const std::string name = PredicateName(p);
    return std::find(filter.symmetric_predicates.begin(), filter.symmetric_predicates.end(),
                     name) != filter.symmetric_predicates.end();
  };
  const bool all_out = filter.direction != Direction::kIn;
  const bool all_in = filter.direction != Direction::kOut;
  const bool any_symmetric = !filter.symmetric_predicates.empty();
  const std::string prefix = NodeKey(node);
  PinnedSnapshot pinned(db_.get());
  rocksdb::ReadOptions ro;
  ro.snapshot = pinned.snapshot;
  if (all_out || any_symmetric) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(Column::kOut)));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix) && !out_of_time();
         it->Next()) {
      std::string_view key(it->key().data(), it->key().size());
      EdgeKeyParts k;
      if (!DecodeEdgeKey(key, &k)) return Status::Corruption("an out key has a bad size");
      if (!all_out && !symmetric(k.predicate)) continue;
      DYAD_ASSIGN_OR_RETURN(
          Fact f, DecodeFact(key, std::string_view(it->value().data(), it->value().size())));
      DYAD_RETURN_IF_ERROR(other_end(f.object));
      if (passes(f, f.object)) facts.push_back(std::move(f));
    }
    DYAD_RETURN_IF_ERROR(FromRocks(it->status(), "scanning out"));
  }
  if ((all_in || any_symmetric) && !truncated) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(Column::kIn)));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix) && !out_of_time();
         it->Next()) {
      EdgeKeyParts k;
      if (!DecodeEdgeKey(std::string_view(it->key().data(), it->key().size()), &k)) {
        return Status::Corruption("an in key has a bad size");
      }
      if (!all_in && !symmetric(k.predicate)) continue;
      // A self loop is in both families; take it once, from out, when the
      // out scan kept it.
      if (k.to == node && (all_out || symmetric(k.predicate))) continue;
      std::string out_key = EdgeKey(k.to, k.predicate, k.from, k.valid_from);
      std::string value;
      Status s = Get(Column::kOut, out_key, &value, pinned.snapshot);
      if (s.IsNotFound()) return Status::Corruption("an in entry has no out entry");
      DYAD_RETURN_IF_ERROR(s);
      DYAD_ASSIGN_OR_RETURN(Fact f, DecodeFact(out_key, value));
      DYAD_RETURN_IF_ERROR(other_end(f.subject));
      if (passes(f, f.subject)) facts.push_back(std::move(f));
    }
    DYAD_RETURN_IF_ERROR(FromRocks(it->status(), "scanning in"));
  }
  DYAD_RETURN_IF_ERROR(other_end(node));
  std::sort(facts.begin(), facts.end(), [&](const Fact& a, const Fact& b) {
    return std::tie(names[a.subject], a.subject, a.predicate, names[a.object], a.object,
                    a.valid_from) < std::tie(names[b.subject], b.subject, b.predicate,
                                             names[b.object], b.object, b.valid_from);
  });
  return FactList{std::move(facts), truncated};
}

Stats Store::GetStats() const {
  std::shared_lock lock(dict_mu_);
  Stats s;
  s.nodes = counters_.nodes;
  s.facts = counters_.facts;
  s.sources = counters_.docs;
  for (const auto& [id, n] : counters_.label_counts) {
    if (n > 0) s.labels[labels_[id]] = n;
  }
  for (const auto& [id, n] : counters_.predicate_counts) {
    if (n > 0) s.predicates[predicates_[id]] = n;
  }
  return s;
}

std::unique_ptr<StoreView> Store::NewView() const {
  return std::unique_ptr<StoreView>(new StoreView(*this, db_->GetSnapshot()));
}

Result<uint64_t> Store::Backup(const fs::path& dest) const {
  std::error_code ec;
  if (fs::exists(dest, ec)) {
    return Status::AlreadyExists(
        fmt::format("{} exists; a backup goes into a new directory", dest.string()));
  }
  rocksdb::Checkpoint* raw = nullptr;
  DYAD_RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db_.get(), &raw), "backing up"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  uint64_t sequence = 0;
  // No flush: the log is copied instead, so a backup never writes into the
  // store it copies (a query-only process may make one).
  rocksdb::Status s =
      checkpoint->CreateCheckpoint(dest.string(), std::numeric_limits<uint64_t>::max(), &sequence);
  if (!s.ok()) {
    return Status::IOError(fmt::format("cannot back up into {}: {}", dest.string(), s.ToString()));
  }
  return sequence;
}

Status Store::Restore(const fs::path& backup, const fs::path& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    return Status::AlreadyExists(
        fmt::format("{} exists; restore makes a new store directory", dir.string()));
  }
  if (!fs::is_directory(backup, ec)) {
    return Status::FailedPrecondition(fmt::format("no backup at {}", backup.string()));
  }
  // A store that a process has open changes under the copy.
  if (LockedByAnotherProcess(backup)) {
    return InUse(backup, "restore copies a closed store; back up an open one with dyad backup");
  }
  fs::path partial = dir;
  partial += ".partial";
  fs::remove_all(partial, ec);
  fs::copy(backup, partial, fs::copy_options::recursive, ec);
  if (ec) {
    fs::remove_all(partial, ec);
    return Status::IOError(
        fmt::format("cannot copy {} into {}: {}", backup.string(), partial.string(), ec.message()));
  }
  fs::remove(partial / "LOCK", ec);  // the backup's, if it was ever opened
  {
    Result<std::unique_ptr<Store>> copy = Store::Open(partial, StoreOptions{});
    if (!copy.ok()) {
      fs::remove_all(partial, ec);
      return Status::FromCode(copy.status().code(),
                              fmt::format("{} is not a dyad store to restore: {}", backup.string(),
                                          copy.status().message()));
    }
  }
  fs::rename(partial, dir, ec);
  if (ec) {
    fs::remove_all(partial, ec);
    return Status::IOError(fmt::format("cannot make {}: {}", dir.string(), ec.message()));
  }
  return Status::OK();
}

StoreView::~StoreView() { store_.db_->ReleaseSnapshot(snapshot_); }

std::unique_ptr<rocksdb::Iterator> StoreView::NewScan(Column c) const {
  rocksdb::ReadOptions read;
  read.snapshot = snapshot_;
  read.fill_cache = false;  // one pass over everything; keep the cache for queries
  // No fixed readahead: RocksDB's own grows from 8 KiB to 256 KiB per file
  // as the scan goes on. A fixed 2 MiB buffer for each level's file cost a
  // whole-store DOT export at L 4.8 MB of its 37 MB peak and made it no
  // faster (19.6 s against 20.9 s, medians of 3 interleaved runs).
  return std::unique_ptr<rocksdb::Iterator>(store_.db_->NewIterator(read, store_.cf(c)));
}

Status StoreView::ForEachNode(const std::function<Status(const Node&)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it = NewScan(Column::kNodes);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() != 8) return Status::Corruption("a nodes key has a bad size");
    NodeId id = GetBE64(it->key().data());
    dyad::v1::NodeRecord rec;
    if (!rec.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return Status::Corruption(fmt::format("node {} cannot be decoded", id));
    }
    DYAD_RETURN_IF_ERROR(fn(ToNode(id, rec, store_.LabelName(rec.label_id()))));
  }
  return FromRocks(it->status(), "scanning nodes");
}

Status StoreView::ForEachFact(const std::function<Status(Fact&)>& fn) const {
  std::unique_ptr<FactCursor> cursor = ScanFacts();
  // One fact for the whole scan, its memory reused: a fresh one per fact
  // cost more than the scan itself.
  Fact f;
  while (cursor->Next(&f)) DYAD_RETURN_IF_ERROR(fn(f));
  return cursor->status();
}

std::unique_ptr<FactCursor> StoreView::ScanFacts() const {
  return std::unique_ptr<FactCursor>(new FactCursor(store_, NewScan(Column::kOut)));
}

FactCursor::FactCursor(const Store& store, std::unique_ptr<rocksdb::Iterator> it)
    : store_(store), it_(std::move(it)), rec_(std::make_unique<dyad::v1::EdgeRecord>()) {}

FactCursor::~FactCursor() = default;

bool FactCursor::Next(Fact* f) {
  if (!status_.ok() || done_) return false;
  if (started_) {
    it_->Next();
  } else {
    it_->SeekToFirst();
    started_ = true;
  }
  if (!it_->Valid()) {
    done_ = true;  // a RocksDB iterator must not be moved past its end
    status_ = FromRocks(it_->status(), "scanning facts");
    return false;
  }
  status_ = store_.DecodeFactInto(std::string_view(it_->key().data(), it_->key().size()),
                                  std::string_view(it_->value().data(), it_->value().size()),
                                  rec_.get(), f, &predicate_names_);
  return status_.ok();
}

Status StoreView::ForEachFactEnds(
    const std::function<Status(NodeId subject, NodeId object)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it = NewScan(Column::kOut);
  EdgeKeyParts key;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (!DecodeEdgeKey(std::string_view(it->key().data(), it->key().size()), &key)) {
      return Status::Corruption("an out key has a bad size");
    }
    DYAD_RETURN_IF_ERROR(fn(key.from, key.to));
  }
  return FromRocks(it->status(), "scanning facts");
}

Result<std::vector<Node>> StoreView::GetNodes(const std::vector<NodeId>& ids) const {
  return store_.GetNodesAt(ids, snapshot_, /*fill_cache=*/false);
}

Status Store::ForEachRaw(
    const std::function<void(Column, std::string_view, std::string_view)>& fn) const {
  for (int i = 0; i < kColumnCount; ++i) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[i]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      fn(static_cast<Column>(i), std::string_view(it->key().data(), it->key().size()),
         std::string_view(it->value().data(), it->value().size()));
    }
    DYAD_RETURN_IF_ERROR(FromRocks(it->status(), "scanning the store"));
  }
  return Status::OK();
}

namespace {

std::string PropText(const PropList& props) {
  std::string out = "{";
  for (const auto& p : props) {
    if (out.size() > 1) out += ", ";
    out += p.key() + "=";
    switch (p.value().value_case()) {
      case dyad::v1::PropValue::kStringValue:
        out += "\"" + p.value().string_value() + "\"";
        break;
      case dyad::v1::PropValue::kNumberValue:
        out += fmt::format("{}", p.value().number_value());
        break;
      case dyad::v1::PropValue::kBoolValue:
        out += p.value().bool_value() ? "true" : "false";
        break;
      default:
        out += "?";
    }
  }
  return out + "}";
}

std::string DayText(DayCode d) { return d == kOpenDay ? "open" : FormatDay(d); }

}  // namespace

Result<CheckReport> Store::Check() const {
  std::lock_guard write_lock(write_mu_);
  PinnedSnapshot pinned(db_.get());
  rocksdb::ReadOptions read;
  read.snapshot = pinned.snapshot;
  read.fill_cache = false;
  read.readahead_size = 2 << 20;
  CheckReport report;
  auto problem = [&](std::string what) {
    if (report.problems.size() < CheckReport::kListed) report.problems.push_back(std::move(what));
    ++report.problem_count;
  };
  Counters meta;
  std::vector<std::string> labels, predicates;
  {
    std::shared_lock lock(dict_mu_);
    meta = counters_;
    labels = labels_;
    predicates = predicates_;
  }
  auto known = [](const std::vector<std::string>& dict, uint32_t id) {
    return id > 0 && id < dict.size() && !dict[id].empty();
  };
  // Index look-ups go in batches: one MultiGet per few hundred keys.
  constexpr size_t kBatch = 512;
  struct Expected {
    std::string key;
    std::string value;  // empty: only presence is checked
    std::string what;
  };
  std::vector<Expected> pending[kColumnCount];
  auto flush = [&](Column c) -> Status {
    auto& batch = pending[static_cast<int>(c)];
    std::vector<std::string> keys;
    keys.reserve(batch.size());
    for (const auto& e : batch) keys.push_back(e.key);
    DYAD_ASSIGN_OR_RETURN(auto values, MultiGet(c, keys, pinned.snapshot, /*fill_cache=*/false));
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!values[i]) {
        problem(fmt::format("{}: no `{}` entry", batch[i].what, ColumnName(c)));
      } else if (!batch[i].value.empty() && *values[i] != batch[i].value) {
        problem(fmt::format("{}: its `{}` entry differs", batch[i].what, ColumnName(c)));
      }
    }
    batch.clear();
    return Status::OK();
  };
  auto expect = [&](Column c, std::string key, std::string value, std::string what) -> Status {
    auto& batch = pending[static_cast<int>(c)];
    batch.push_back({std::move(key), std::move(value), std::move(what)});
    return batch.size() >= kBatch ? flush(c) : Status::OK();
  };

  // Nodes, and the index entries each one needs.
  std::vector<LabelId> label_of(meta.next_node_id, 0);  // 0: no such node
  std::unordered_map<LabelId, uint64_t> label_counts;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, cf(Column::kNodes)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() != 8) {
      problem("a `nodes` key has a bad size");
      continue;
    }
    const NodeId id = GetBE64(it->key().data());
    dyad::v1::NodeRecord rec;
    if (!rec.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      problem(fmt::format("node {} cannot be decoded", id));
      continue;
    }
    ++report.nodes;
    const std::string what = fmt::format("node {} ({})", id, rec.external_id());
    if (id == 0 || id >= meta.next_node_id) {
      problem(fmt::format("{}: id is not below next_node_id {}", what, meta.next_node_id));
      continue;
    }
    if (!known(labels, rec.label_id())) {
      problem(fmt::format("{}: unknown label id {}", what, rec.label_id()));
      continue;
    }
    label_of[id] = rec.label_id();
    ++label_counts[rec.label_id()];
    DYAD_RETURN_IF_ERROR(expect(Column::kIds, rec.external_id(), EncodeU64(id), what));
    std::vector<std::string_view> names{rec.name()};
    names.insert(names.end(), rec.aliases().begin(), rec.aliases().end());
    for (std::string_view name : names) {
      Result<std::string> norm = NormalizeName(name);
      if (!norm.ok()) {
        problem(fmt::format("{}: name \"{}\": {}", what, name, norm.status().message()));
        continue;
      }
      DYAD_RETURN_IF_ERROR(expect(Column::kNames, NameKey(rec.label_id(), *norm), EncodeU64(id),
                                  fmt::format("{}: name \"{}\"", what, name)));
    }
  }
  DYAD_RETURN_IF_ERROR(FromRocks(it->status(), "scanning nodes"));
  DYAD_RETURN_IF_ERROR(flush(Column::kIds));
  DYAD_RETURN_IF_ERROR(flush(Column::kNames));
  auto node_exists = [&](NodeId id) { return id < label_of.size() && label_of[id] != 0; };

  // Index entries that name no node.
  for (Column c : {Column::kNames, Column::kIds}) {
    it.reset(db_->NewIterator(read, cf(c)));
    uint64_t entries = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ++entries;
      std::string_view key(it->key().data(), it->key().size());
      if (it->value().size() != 8 || (c == Column::kNames && key.size() <= 4)) {
        problem(fmt::format("a `{}` entry has a bad size", ColumnName(c)));
        continue;
      }
      const NodeId id = GetBE64(it->value().data());
      if (!node_exists(id)) {
        problem(fmt::format("`{}` entry \"{}\" names node {}, which does not exist", ColumnName(c),
                            c == Column::kNames ? key.substr(4) : key, id));
      } else if (c == Column::kNames && GetBE32(key.data()) != label_of[id]) {
        problem(fmt::format("`names` entry \"{}\" is under another label than node {}",
                            key.substr(4), id));
      }
    }
    DYAD_RETURN_IF_ERROR(FromRocks(it->status(), fmt::format("scanning {}", ColumnName(c))));
    if (c == Column::kIds && entries != report.nodes) {
      problem(fmt::format("{} `ids` entries for {} nodes", entries, report.nodes));
    }
  }

  // Facts, their mirrors in `in` and their documents.
  std::unordered_map<PredicateId, uint64_t> predicate_counts;
  it.reset(db_->NewIterator(read, cf(Column::kOut)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    EdgeKeyParts k;
    if (!DecodeEdgeKey(key, &k)) {
      problem("an `out` key has a bad size");
      continue;
    }
    const std::string what =
        fmt::format("fact {}-{}->{} from {}", k.from, k.predicate, k.to, DayText(k.valid_from));
    Result<Fact> f = DecodeFact(key, std::string_view(it->value().data(), it->value().size()));
    if (!f.ok()) {
      problem(std::string(f.status().message()));
      continue;
    }
    ++report.facts;
    ++predicate_counts[k.predicate];
    if (!known(predicates, k.predicate)) problem(fmt::format("{}: unknown predicate id", what));
    if (!node_exists(k.from)) problem(fmt::format("{}: no subject node", what));
    if (!node_exists(k.to)) problem(fmt::format("{}: no object node", what));
    if (f->sources.empty()) problem(fmt::format("{}: no source", what));
    for (const Source& source : f->sources) {
      DYAD_RETURN_IF_ERROR(expect(Column::kDocs, source.doc, "",
                                  fmt::format("{}: source \"{}\"", what, source.doc)));
    }
    EdgeSummary summary{f->valid_to, static_cast<float>(f->confidence),
                        static_cast<uint32_t>(f->sources.size())};
    DYAD_RETURN_IF_ERROR(expect(Column::kIn, EdgeKey(k.to, k.predicate, k.from, k.valid_from),
                                EncodeEdgeSummary(summary), what));
  }
  DYAD_RETURN_IF_ERROR(FromRocks(it->status(), "scanning out"));
  DYAD_RETURN_IF_ERROR(flush(Column::kDocs));
  DYAD_RETURN_IF_ERROR(flush(Column::kIn));
  // Every fact has its `in` entry; as many entries as facts leaves none
  // without its fact.
  uint64_t in_entries = 0;
  it.reset(db_->NewIterator(read, cf(Column::kIn)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++in_entries;
  DYAD_RETURN_IF_ERROR(FromRocks(it->status(), "scanning in"));
  if (in_entries != report.facts) {
    problem(fmt::format("{} `in` entries for {} facts", in_entries, report.facts));
  }
  it.reset(db_->NewIterator(read, cf(Column::kDocs)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    dyad::v1::DocRecord rec;
    if (!rec.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      problem(fmt::format("document \"{}\" cannot be decoded", it->key().ToString()));
    }
    ++report.sources;
  }
  DYAD_RETURN_IF_ERROR(FromRocks(it->status(), "scanning docs"));

  // The counters `stats` reads.
  auto compare = [&](std::string_view what, uint64_t kept, uint64_t counted) {
    if (kept != counted)
      problem(fmt::format("meta says {} {}; the scan counts {}", kept, what, counted));
  };
  compare("nodes", meta.nodes, report.nodes);
  compare("facts", meta.facts, report.facts);
  compare("sources", meta.docs, report.sources);
  auto compare_each = [&](std::string_view kind, const std::vector<std::string>& dict,
                          const auto& kept, const auto& counted) {
    for (uint32_t id = 1; id < dict.size(); ++id) {
      auto k = kept.find(id);
      auto c = counted.find(id);
      compare(fmt::format("{} {}", kind, dict[id]), k == kept.end() ? 0 : k->second,
              c == counted.end() ? 0 : c->second);
    }
  };
  compare_each("with label", labels, meta.label_counts, label_counts);
  compare_each("with predicate", predicates, meta.predicate_counts, predicate_counts);
  return report;
}

Result<std::string> Store::DumpCanonical() const {
  std::map<NodeId, std::string> ext;
  std::vector<std::string> node_lines;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), cf(Column::kNodes)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() != 8) return Status::Corruption("a nodes key has a bad size");
    NodeId id = GetBE64(it->key().data());
    dyad::v1::NodeRecord rec;
    if (!rec.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return Status::Corruption(fmt::format("node {} cannot be decoded", id));
    }
    Node n = ToNode(id, rec, LabelName(rec.label_id()));
    std::sort(n.aliases.begin(), n.aliases.end());
    ext[id] = n.external_id;
    node_lines.push_back(
        fmt::format("node {} label={} name=\"{}\" declared={} aliases=[{}] props={}", n.external_id,
                    n.label, n.name, n.declared, fmt::join(n.aliases, "|"), PropText(n.props)));
  }
  DYAD_RETURN_IF_ERROR(FromRocks(it->status(), "scanning nodes"));
  std::sort(node_lines.begin(), node_lines.end());

  std::vector<std::string> fact_lines;
  it.reset(db_->NewIterator(rocksdb::ReadOptions(), cf(Column::kOut)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    DYAD_ASSIGN_OR_RETURN(Fact f,
                          DecodeFact(std::string_view(it->key().data(), it->key().size()),
                                     std::string_view(it->value().data(), it->value().size())));
    std::sort(f.sources.begin(), f.sources.end(),
              [](const Source& a, const Source& b) { return a.doc < b.doc; });
    std::string line = fmt::format(
        "fact {} {} {} from={} to={} confidence={:.6f} props={}", ext[f.subject], f.predicate,
        ext[f.object], DayText(f.valid_from), DayText(f.valid_to), f.confidence, PropText(f.props));
    for (const Source& s : f.sources) {
      line += fmt::format("\n  source {} confidence={:.6f} to={} props={} fields={}", s.doc,
                          s.confidence, DayText(s.valid_to), PropText(s.props), PropText(s.fields));
    }
    fact_lines.push_back(std::move(line));
  }
  DYAD_RETURN_IF_ERROR(FromRocks(it->status(), "scanning out"));
  std::sort(fact_lines.begin(), fact_lines.end());

  std::vector<std::string> in_lines;
  it.reset(db_->NewIterator(rocksdb::ReadOptions(), cf(Column::kIn)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    EdgeKeyParts k;
    EdgeSummary sum;
    if (!DecodeEdgeKey(std::string_view(it->key().data(), it->key().size()), &k) ||
        !DecodeEdgeSummary(std::string_view(it->value().data(), it->value().size()), &sum)) {
      return Status::Corruption("an in entry cannot be decoded");
    }
    in_lines.push_back(fmt::format("in {} {} {} from={} to={} confidence={:.6f} sources={}",
                                   ext[k.from], PredicateName(k.predicate), ext[k.to],
                                   DayText(k.valid_from), DayText(sum.valid_to), sum.confidence,
                                   sum.sources));
  }
  DYAD_RETURN_IF_ERROR(FromRocks(it->status(), "scanning in"));
  std::sort(in_lines.begin(), in_lines.end());

  std::vector<std::string> name_lines;
  it.reset(db_->NewIterator(rocksdb::ReadOptions(), cf(Column::kNames)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() < 4 || it->value().size() != 8) {
      return Status::Corruption("a names entry has a bad size");
    }
    name_lines.push_back(fmt::format("name {}:{} -> {}", LabelName(GetBE32(it->key().data())),
                                     std::string_view(it->key().data() + 4, it->key().size() - 4),
                                     ext[GetBE64(it->value().data())]));
  }
  DYAD_RETURN_IF_ERROR(FromRocks(it->status(), "scanning names"));
  std::sort(name_lines.begin(), name_lines.end());

  std::vector<std::string> doc_lines;
  it.reset(db_->NewIterator(rocksdb::ReadOptions(), cf(Column::kDocs)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    dyad::v1::DocRecord rec;
    rec.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()));
    doc_lines.push_back(fmt::format("doc {} outlet=\"{}\" published={} url=\"{}\"",
                                    it->key().ToString(), rec.outlet(), rec.published(),
                                    rec.url()));
  }
  DYAD_RETURN_IF_ERROR(FromRocks(it->status(), "scanning docs"));

  Stats st = GetStats();
  std::ostringstream out;
  out << fmt::format("stats nodes={} facts={} sources={}\n", st.nodes, st.facts, st.sources);
  for (const auto& [l, n] : st.labels) out << fmt::format("stats label {}={}\n", l, n);
  for (const auto& [p, n] : st.predicates) out << fmt::format("stats predicate {}={}\n", p, n);
  for (const auto* lines : {&node_lines, &name_lines, &fact_lines, &in_lines, &doc_lines}) {
    for (const auto& l : *lines) out << l << '\n';
  }
  return out.str();
}

}  // namespace dyad::storage
