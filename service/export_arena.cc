#include "service/export_arena.h"

#include <sys/types.h>

#include <cstddef>
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
  if (!arena) return;
  previous_ = ThreadArena();
  if (!previous_) return;
  unsigned chosen = *arena;
  if (mallctl("thread.arena", nullptr, nullptr, &chosen, sizeof(chosen)) != 0) previous_.reset();
}

ExportArenaScope::~ExportArenaScope() {
  if (!previous_) return;
  unsigned back = *previous_;
  mallctl("thread.arena", nullptr, nullptr, &back, sizeof(back));
}

}  // namespace dyad::service
