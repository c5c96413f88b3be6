#include "service/export_arena.h"

#include <sys/prctl.h>
#include <sys/types.h>

#include <cstddef>
#include <mutex>
#include <string>

// jemalloc's control interface, weak: the binaries link jemalloc, the
// sanitizer builds do not (their allocator is the sanitizer's).
extern "C" int mallctl(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen)
    __attribute__((weak));

namespace dyad::service {
namespace {

std::optional<unsigned> MakeExportArena() {
  if (mallctl == nullptr) return std::nullopt;
  unsigned arena = 0;
  size_t size = sizeof(arena);
  if (mallctl("arenas.create", &arena, &size, nullptr, 0) != 0) return std::nullopt;
  for (const char* decay : {"dirty_decay_ms", "muzzy_decay_ms"}) {
    const std::string name = "arena." + std::to_string(arena) + "." + decay;
    ssize_t ms = 1000;
    mallctl(name.c_str(), nullptr, nullptr, &ms, sizeof(ms));
  }
  return arena;
}

// Transparent huge pages are off while any export runs (and stay off in a
// process that had them off already, such as the command line's export).
std::mutex huge_pages_mu;
int exports_running = 0;
bool huge_pages_were_off = false;

void ExportStarts() {
  std::lock_guard<std::mutex> lock(huge_pages_mu);
  if (exports_running++ > 0) return;
  huge_pages_were_off = ::prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) == 1;
  if (!huge_pages_were_off) ::prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
}

void ExportEnds() {
  std::lock_guard<std::mutex> lock(huge_pages_mu);
  if (--exports_running > 0 || huge_pages_were_off) return;
  ::prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0);
}

}  // namespace

std::optional<unsigned> ExportArenaScope::Arena() {
  static const std::optional<unsigned> arena = MakeExportArena();
  return arena;
}

std::optional<unsigned> ExportArenaScope::ThreadArena() {
  if (mallctl == nullptr) return std::nullopt;
  unsigned arena = 0;
  size_t size = sizeof(arena);
  if (mallctl("thread.arena", &arena, &size, nullptr, 0) != 0) return std::nullopt;
  return arena;
}

ExportArenaScope::ExportArenaScope() : ExportArenaScope(Arena()) {}

ExportArenaScope::ExportArenaScope(std::optional<unsigned> arena) {
  ExportStarts();
  if (!arena) return;
  previous_ = ThreadArena();
  if (!previous_) return;
  unsigned chosen = *arena;
  if (mallctl("thread.arena", nullptr, nullptr, &chosen, sizeof(chosen)) != 0) previous_.reset();
}

ExportArenaScope::~ExportArenaScope() {
  ExportEnds();
  if (!previous_) return;
  unsigned back = *previous_;
  mallctl("thread.arena", nullptr, nullptr, &back, sizeof(back));
}

}  // namespace dyad::service
