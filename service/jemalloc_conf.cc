// jemalloc's options for every dyad process that links it (see the
// dyad_jemalloc target in the top CMakeLists.txt). On the virtual machines
// we run on a page fault costs microseconds, and fresh memory is most of
// what a big answer or a load touches; both options cut the faults.
//
// thp:always backs the heap with transparent huge pages (the kernel's
// "madvise" mode is enough): one fault per 2 MiB instead of one per 4 KiB.
// A cold `dyad neighbours` of the biggest hub at L (10,000 nodes, 12,282
// facts with their sources) went from 0.37 s to 0.20 s, a load at M from
// 9.5 s to 8.2 s. The price: a process starts at about 45 MiB resident,
// not 23 MiB.
//
// dirty_decay_ms:-1 keeps the pages a process frees for its next
// allocations instead of handing them back to the kernel. A query's answer
// is a fresh buffer (16 bytes a node: 16 MiB for a million-node
// neighbourhood); with jemalloc's default decay a 2-hop query at L spent
// more time faulting its answer's pages in than traversing the graph
// (median 0.22 ms against 0.09 ms, p95 37 ms against 9 ms). Finite decays
// (30 s, 60 s, with or without a background thread) did not keep the
// pages. The price: a process's resident memory stays at its high-water
// mark until it exits; the soak test watches that it stops growing.
// docs/queries.md has the figures.
extern "C" {
// NOLINTNEXTLINE: the name jemalloc reads its options from at start-up.
const char* malloc_conf = "thp:always,dirty_decay_ms:-1";
}
