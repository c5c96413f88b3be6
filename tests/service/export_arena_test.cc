// ExportArenaScope on the allocator the binaries run with (jemalloc, linked
// into this test for that); skipped in the sanitizer builds.
#include "service/export_arena.h"

#include <gtest/gtest.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

extern "C" int mallctl(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen)
    __attribute__((weak));

namespace dyad::service {
namespace {

// Pages that `arena` freed and still holds; nullopt without jemalloc's stats.
std::optional<size_t> DirtyPages(unsigned arena) {
  uint64_t epoch = 1;
  size_t size = sizeof(epoch);
  if (mallctl("epoch", &epoch, &size, &epoch, size) != 0) return std::nullopt;
  size_t pages = 0;
  size = sizeof(pages);
  const std::string name = "stats.arenas." + std::to_string(arena) + ".pdirty";
  if (mallctl(name.c_str(), &pages, &size, nullptr, 0) != 0) return std::nullopt;
  return pages;
}

// Allocates, touches and frees 16 buffers of 1 MiB, each bigger than an
// export's pieces (64 KiB).
void AllocateLikeAnExport() {
  for (int i = 0; i < 16; ++i) {
    auto piece = std::make_unique<char[]>(1 << 20);
    std::memset(piece.get(), 'x', 1 << 20);
  }
}

TEST(ExportArenaTest, ExportsOnOneThreadAfterAnotherDoNotAddUpTheirFreedPages) {
  if (!ExportArenaScope::ThreadArena()) GTEST_SKIP() << "not on jemalloc (a sanitizer build)";
  const std::optional<unsigned> own = ExportArenaScope::ThreadArena();
  const std::optional<unsigned> exports = ExportArenaScope::Arena();
  ASSERT_TRUE(exports.has_value());
  EXPECT_NE(*exports, *own);
  {
    ExportArenaScope scope;
    EXPECT_EQ(ExportArenaScope::ThreadArena(), exports);
    AllocateLikeAnExport();
  }
  EXPECT_EQ(ExportArenaScope::ThreadArena(), own) << "the thread's own arena is back";
  const std::optional<size_t> after_one = DirtyPages(*exports);
  if (!after_one) GTEST_SKIP() << "jemalloc without statistics";

  // Three more exports, each on a thread of its own, as a server's calls
  // are: they reuse the pages the first one freed.
  for (int i = 0; i < 3; ++i) {
    std::optional<unsigned> arena;
    std::thread([&] {
      ExportArenaScope scope;
      arena = ExportArenaScope::ThreadArena();
      AllocateLikeAnExport();
    }).join();
    EXPECT_EQ(arena, exports);
  }
  const size_t slack = (1 << 20) / 4096;  // one piece
  EXPECT_LE(*DirtyPages(*exports), *after_one + slack);
  // The arena gives its freed pages back after a second, not jemalloc's 10.
  ssize_t decay_ms = 0;
  size_t size = sizeof(decay_ms);
  const std::string name = "arena." + std::to_string(*exports) + ".dirty_decay_ms";
  ASSERT_EQ(mallctl(name.c_str(), &decay_ms, &size, nullptr, 0), 0);
  EXPECT_EQ(decay_ms, 1000);
}

}  // namespace
}  // namespace dyad::service
