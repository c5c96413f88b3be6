// ExportArenaScope: while one lives, the calling thread allocates from a
// jemalloc arena that every export shares.
//
// A server runs each call on one of gRPC's threads, and jemalloc gives each
// thread one of its arenas. An arena keeps the pages its thread freed until
// later activity in it purges them, so exports through one server, on one
// thread after another, left arena after arena holding what an export had
// used: seven exports of an XS store grew a server from 57 MB to 78 MB
// (docs/export.md). In one arena, each export reuses the pages the last one
// freed, and the server stayed at 61-62 MB. The arena returns freed pages
// after a second instead of jemalloc's ten. Returning them at once (decay
// 0) made a JSON Lines export 1.6 times slower: it frees many small
// records, and each freed run of pages was given back and faulted in again.
// Queries keep their threads' arenas (service/jemalloc_conf.cc).
//
// While any scope lives, the process also runs without transparent huge
// pages (PR_SET_THP_DISABLE; a process that had them off keeps them off).
// The server's queries keep them otherwise (service/jemalloc_conf.cc), but
// an export touches region after region, and each stayed resident as a
// 2 MiB page: JSON Lines at L grew a server by 10.7 MB with them and by
// 6.3 MB without (docs/export.md).
//
// Without jemalloc (the sanitizer builds) a scope only turns huge pages off.
//   { ExportArenaScope arena; ... export ... }
#pragma once

#include <optional>

namespace dyad::service {

class ExportArenaScope {
 public:
  ExportArenaScope();
  // The calling thread allocates from `arena` (none: nothing changes): a
  // thread that an export starts takes the arena of the export's thread.
  explicit ExportArenaScope(std::optional<unsigned> arena);
  ~ExportArenaScope();
  ExportArenaScope(const ExportArenaScope&) = delete;
  ExportArenaScope& operator=(const ExportArenaScope&) = delete;

  // The exports' arena; nullopt without jemalloc or when jemalloc refused
  // to make it.
  static std::optional<unsigned> Arena();
  // The arena the calling thread allocates from; nullopt without jemalloc.
  static std::optional<unsigned> ThreadArena();

 private:
  std::optional<unsigned> previous_;
};

}  // namespace dyad::service
