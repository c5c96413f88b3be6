// jemalloc's options for every dyad process that links it (see the
// dyad_jemalloc target in the top CMakeLists.txt).
//
// thp:always backs the heap with transparent huge pages (the kernel's
// "madvise" mode is enough): one page fault per 2 MiB instead of one per
// 4 KiB. On the virtual machines we run on a fault costs microseconds, and
// fresh memory is most of what a big answer or a load touches. A cold
// `dyad neighbours` of the biggest hub at L (10,000 nodes, 12,282 facts
// with their sources) went from 0.37 s to 0.20 s, a load at M from 9.5 s
// to 8.2 s, and a 2-hop query at L from a median of 0.22 ms to 0.09 ms
// (its p95 from 37 ms to 10 ms). The price: a process starts at about
// 45 MiB resident instead of 23 MiB, and a busy server holds about a
// third more (the soak test's server: 280-330 MiB against 190-220 MiB).
//
// Freed pages go back to the kernel with jemalloc's default decay.
// Keeping them (dirty_decay_ms:-1) saved a little more on small queries,
// but a server under the soak test's mix then grew without bound (1.5 GiB
// after two minutes, 3.4 GiB after five). docs/queries.md has the figures.
extern "C" {
// NOLINTNEXTLINE: the name jemalloc reads its options from at start-up.
const char* malloc_conf = "thp:always";
}
