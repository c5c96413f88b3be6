// jemalloc's options for every dyad process that links it (see the
// dyad_jemalloc target in the top CMakeLists.txt).
//
// dirty_decay_ms:-1 keeps the pages a process frees for its next
// allocations instead of handing them back to the kernel. A query's answer
// is a fresh buffer (16 bytes a node: 16 MB for a million-node
// neighbourhood), and on the virtual machines we run on a page fault costs
// microseconds: with jemalloc's default decay, a 2-hop query at L spent
// more time faulting its answer's pages in than traversing the graph
// (median 0.22 ms against 0.09 ms, p95 37 ms against 9 ms;
// docs/queries.md). The price is that a process's resident memory stays at
// its high-water mark until it exits; the soak test watches that it stops
// growing. Finite decays (30 s, 60 s, with or without a background thread)
// did not keep the pages.
extern "C" {
// NOLINTNEXTLINE: the name jemalloc reads its options from at start-up.
const char* malloc_conf = "dirty_decay_ms:-1";
}
