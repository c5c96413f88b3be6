#!/usr/bin/env bash
# Measures dyad's graph layer on the peers' query set (Q1-Q4 of gen_facts.py's
# queries.txt), next to the bare in-memory CSR (../shared/bench/limits/csr_bfs.cpp)
# measured in the same run, and against the peers' published figures
# (../shared/bench/PEERS.md). Checks every dyad answer against the oracle.
#
#   scripts/bench-query.sh [--scales "S M"] [--out DIR] [--bin DIR] [--budget-s 45]
#   scripts/bench-query.sh --quick          # scale XS, small budget (a smoke test)
#
#   --scales    gen_facts.py presets among XS S M L (default "S M")
#   --out       results folder (default build/bench-results/query in the repo):
#               results/<scale>/ holds per run dyad.{summary.json,results.tsv,time,log},
#               dyad.load.json, dyad.cli.json and the limit's raw-csr-c++.* and csr.*;
#               results/table.md and all.json come from report.py; summary.json holds
#               the ratios; data/<scale>/ any data generated here
#   --bin       a folder holding dyad and dyad_bench_query to measure instead of building
#               them in build-release/ (also DYAD_BIN_DIR)
#   --data      where to look for generated data first (default the load benchmark's,
#               build/bench-results/load/data); used when its meta.json has seed 20240601
#   --budget-s  time budget per query class, as the peers' Runner (default 45; quick 5)
#   --quick     scale XS, budget 5 s, one snapshot build; exits 77 without the shared
#               folder and fails when any dyad answer differs from the oracle
#
# Per scale: `dyad load` into a fresh store (wall time = load_s, du = disk_bytes), synced; cold
# CLI queries as new processes (`dyad neighbours HUB --depth 1`, `dyad path A B`, and
# `dyad stats` as the floor of any command; median of 5 wall times); dyad_bench_query
# under /usr/bin/time -v (snapshot build/persist/map, Q1-Q4);
# csr_bfs --no-bgl before dyad_bench_query and again after it under /usr/bin/time -v, as
# ../shared/bench/run_limits.sh runs it; then report.py over all scales (its CSR row is
# the run after) and the ratios dyad / CSR (p50, p95), the CSR's figure being the mean
# of its two runs.
#
# Needs python3, g++, /usr/bin/time and the shared folder ../shared next to the repo
# (DYAD_SHARED overrides it).
set -euo pipefail

SEED=20240601
CLI_RUNS=5

die() {
  echo "bench-query: $*" >&2
  exit 1
}
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }

repo="$(cd "$(dirname "$0")/.." && pwd)"

scales="S M"
quick=0
budget=45
budget_set=0
snapshot_runs=3
out="$repo/build/bench-results/query"
data_root="$repo/build/bench-results/load/data"
bindir="${DYAD_BIN_DIR:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --scales | --out | --bin | --data | --budget-s)
      [ $# -ge 2 ] || { usage >&2; die "$1 needs a value"; }
      case "$1" in
        --scales) scales="$2" ;;
        --out) out="$2" ;;
        --bin) bindir="$2" ;;
        --data) data_root="$2" ;;
        --budget-s) budget="$2" budget_set=1 ;;
      esac
      shift 2
      ;;
    --quick)
      quick=1
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      usage >&2
      echo "bench-query: unknown argument '$1'" >&2
      exit 2
      ;;
  esac
done
if [ "$quick" -eq 1 ]; then
  scales=XS
  snapshot_runs=1
  [ "$budget_set" -eq 1 ] || budget=5
fi

[[ "$budget" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--budget-s wants a number of seconds, got '$budget'"
for s in $scales; do
  case "$s" in XS | S | M | L) ;; *) die "unknown scale '$s' (XS S M L)" ;; esac
done
[ -n "$scales" ] || die "--scales is empty"
# Paths given by the caller are relative to where they called from.
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
case "$data_root" in /*) ;; *) data_root="$PWD/$data_root" ;; esac
if [ -n "$bindir" ]; then
  case "$bindir" in /*) ;; *) bindir="$PWD/$bindir" ;; esac
fi

cd "$repo"

command -v python3 >/dev/null || die "python3 not found"
shared="${DYAD_SHARED:-$repo/../shared}"
gen="$shared/bench/gen_facts.py"
report="$shared/bench/report.py"
csr_src="$shared/bench/limits/csr_bfs.cpp"
for f in "$gen" "$report" "$csr_src"; do
  if [ ! -f "$f" ]; then
    # A user's clone has no shared folder: the smoke test run by ctest is then
    # skipped (77 is ctest's SKIP_RETURN_CODE here), a real run fails.
    echo "bench-query: $f not found: this benchmark needs the project's shared folder (set DYAD_SHARED)" >&2
    [ "$quick" -eq 1 ] && exit 77
    exit 1
  fi
done

scripts/setup.sh # g++, Boost (for csr_bfs.cpp) and /usr/bin/time come from here
command -v g++ >/dev/null || die "g++ not found"
[ -x /usr/bin/time ] || die "/usr/bin/time not found (Debian package time)"

# Where several people build on one machine, DYAD_BUILD_LOCK names a lock
# file that serialises builds (flock); unset, builds just run. (A fixed lock
# would deadlock when the test suite itself runs under it.)
locked() {
  if [ -n "${DYAD_BUILD_LOCK:-}" ] && command -v flock >/dev/null; then
    flock "$DYAD_BUILD_LOCK" "$@"
  else
    "$@"
  fi
}

if [ -z "$bindir" ]; then
  echo "bench-query: building dyad and dyad_bench_query (Release) in build-release/" >&2
  if [ ! -f build-release/CMakeCache.txt ] || ! grep -q '^DYAD_BUILD_TESTS:BOOL=ON' build-release/CMakeCache.txt; then
    generator=(-G Ninja)
    if [ -f build-release/CMakeCache.txt ]; then generator=(); fi
    locked cmake -S . -B build-release "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DDYAD_BUILD_TESTS=ON >&2
  fi
  locked cmake --build build-release -j2 --target dyad dyad_bench_query >&2
  bindir="$repo/build-release/bin"
fi
dyad="$bindir/dyad"
bench="$bindir/dyad_bench_query"
[ -x "$dyad" ] || die "$dyad is not an executable"
[ -x "$bench" ] || die "$bench is not an executable"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/dyad-bench-query.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

echo "bench-query: compiling $csr_src (the bare-CSR limit, g++ -O2 as run_limits.sh)" >&2
locked g++ -O2 -std=c++17 -o "$tmp/csr_bfs" "$csr_src"

loadavg_start="$(cut -d' ' -f1-3 /proc/loadavg)"
date_start="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
results="$out/results"
mkdir -p "$results"

for scale in $scales; do
  # The load benchmark's data when it is there and of our seed, else our own.
  data="$data_root/$scale"
  complete=1
  for f in meta.json facts.jsonl nodes.csv edges.csv predicates.csv queries.txt; do
    [ -s "$data/$f" ] || complete=0
  done
  if [ "$complete" -eq 1 ] &&
    ! python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1])).get("seed") != int(sys.argv[2]))' \
      "$data/meta.json" "$SEED"; then
    complete=0
  fi
  if [ "$complete" -eq 0 ]; then
    data="$out/data/$scale"
    if [ ! -s "$data/meta.json" ] || [ ! -s "$data/facts.jsonl" ] || [ ! -s "$data/queries.txt" ]; then
      echo "bench-query: generating scale $scale into $data" >&2
      rm -rf "$data.tmp"
      mkdir -p "$(dirname "$data")"
      python3 "$gen" --scale "$scale" --seed "$SEED" --out "$data.tmp" >/dev/null
      rm -rf "$data"
      mv "$data.tmp" "$data" # only a complete data set gets the final name
    fi
  fi
  echo "bench-query: scale $scale, data $data" >&2

  res="$results/$scale"
  rm -rf "$res"
  mkdir -p "$res"
  cp "$data/meta.json" "$res/meta.json"

  # ---- load into a fresh store -------------------------------------------------
  store="$tmp/store-$scale"
  rm -rf "$store"
  echo "bench-query: scale $scale: dyad load" >&2
  rc=0
  t0="$(date +%s%N)"
  "$dyad" load --db "$store" "$data/facts.jsonl" --format json >"$res/dyad.load.json" 2>"$res/dyad.load.stderr" || rc=$?
  t1="$(date +%s%N)"
  [ "$rc" -eq 0 ] || die "dyad load exited $rc (scale $scale); see $res/dyad.load.stderr"
  load_s="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", (b - a) / 1e9 }')"
  disk_bytes="$(du -sb "$store" | cut -f1)"
  # The load's files reach the disk before anything is timed: the kernel's
  # writeback of an L load (1.1 GiB of tables and the graph image) otherwise
  # runs beside the cold queries and the bench on the same two cores, and
  # the bare CSR, measured after it, meets a quiet machine.
  sync

  # ---- cold CLI queries: a new process each, store loaded, page cache warm -----------
  echo "bench-query: scale $scale: cold CLI queries ($CLI_RUNS runs each)" >&2
  python3 - "$dyad" "$store" "$data" "$res" "$CLI_RUNS" <<'PY'
import collections, json, os, statistics, subprocess, sys, time

dyad, store, data, res, runs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
nodes = {}
with open(os.path.join(data, "nodes.csv")) as f:
    next(f)
    for line in f:
        i, label, name = line.rstrip("\n").split(",", 2)
        nodes[int(i)] = f"{label}:{name}"
deg = collections.Counter()
with open(os.path.join(data, "edges.csv")) as f:
    next(f)
    for line in f:
        s, d, _ = line.split(",", 2)
        deg[int(s)] += 1
        deg[int(d)] += 1
hub, hub_degree = deg.most_common(1)[0]
q3 = next(line.split() for line in open(os.path.join(data, "queries.txt")) if line.startswith("Q3"))
a, b = int(q3[1]), int(q3[2])

out = {"runs": runs, "what": "wall ms of a new `dyad` process, median over runs; run 1 listed apart"}
for name, args, extra in (
    # The floor of any command: process start and store open, no graph.
    ("stats", ["stats"], {}),
    ("neighbours", ["neighbours", nodes[hub], "--depth", "1"], {"node": nodes[hub], "degree": hub_degree}),
    ("path", ["path", nodes[a], nodes[b]], {"from": nodes[a], "to": nodes[b]}),
):
    cmd = [dyad] + args + ["--db", store, "--format", "json"]
    ms, rcs = [], []
    for i in range(runs):
        t = time.perf_counter()
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        ms.append((time.perf_counter() - t) * 1000.0)
        rcs.append(p.returncode)
        if i == 0:
            with open(os.path.join(res, f"dyad.cli.{name}.json"), "wb") as f:
                f.write(p.stdout)
            with open(os.path.join(res, f"dyad.cli.{name}.stderr"), "wb") as f:
                f.write(p.stderr)
    ok = all(rc == 0 for rc in rcs)
    out[name] = dict(extra, command=" ".join(args), exit_codes=rcs, ok=ok,
                     median_ms=round(statistics.median(ms), 3) if ok else None,
                     first_ms=round(ms[0], 3), all_ms=[round(x, 3) for x in ms])
    if not ok:
        msg = open(os.path.join(res, f"dyad.cli.{name}.stderr")).read().strip().splitlines()
        print(f"bench-query: warning: dyad {name} exited {rcs[0]}: {msg[0] if msg else ''}", file=sys.stderr)
with open(os.path.join(res, "dyad.cli.json"), "w") as f:
    json.dump(out, f, indent=1)
PY

  # ---- the bare CSR, a first time -------------------------------------------------
  # The limit runs before dyad's queries and again after them: the machine's
  # speed drifts over the minutes between (a shared 2-core VM), and each
  # ratio is taken to the mean of the two.
  echo "bench-query: scale $scale: bare CSR, before dyad (csr_bfs --no-bgl)" >&2
  env CSR_RESULTS="$res/csr-before.results.tsv" \
    "$tmp/csr_bfs" "$data" 100 --no-bgl >"$res/csr-before.jsonl" || die "csr_bfs failed (scale $scale)"

  # ---- dyad_bench_query --------------------------------------------------------
  echo "bench-query: scale $scale: dyad_bench_query (budget ${budget}s per class)" >&2
  rc=0
  /usr/bin/time -v -o "$res/dyad.time" \
    "$bench" --db "$store" --queries "$data/queries.txt" --nodes "$data/nodes.csv" \
    --scale "$scale" --out "$res" --budget-s "$budget" --snapshot-runs "$snapshot_runs" \
    --load-s "$load_s" --disk-bytes "$disk_bytes" 2>"$res/dyad.log" || rc=$?
  cat "$res/dyad.log" >&2
  [ "$rc" -eq 0 ] || die "dyad_bench_query exited $rc (scale $scale); see $res/dyad.log"
  rm -rf "$store"

  # ---- the bare CSR, as run_limits.sh runs it ----------------------------------------
  echo "bench-query: scale $scale: bare CSR, after dyad (csr_bfs --no-bgl)" >&2
  /usr/bin/time -v -o "$res/csr.time" env CSR_RESULTS="$res/csr.results.tsv" \
    "$tmp/csr_bfs" "$data" 100 --no-bgl >"$res/csr.jsonl" || die "csr_bfs failed (scale $scale)"
  python3 - "$res" "$scale" <<'PY'
# The summary run_limits.sh writes for the limit, so that report.py shows it as a row.
import json, sys
res, sc = sys.argv[1], sys.argv[2]
rows = {j["what"]: j for j in map(json.loads, open(f"{res}/csr.jsonl"))}
b = rows["csr_build"]
s = {"peer": "raw-csr-c++", "scale": sc, "load_s": round(b["parse_s"] + b["build_s"], 3), "disk_bytes": 0,
     "edges": b["edges"], "nodes": b["nodes"], "classes": {}}
for q in ("Q1", "Q2", "Q3", "Q4"):
    r = rows[f"raw_csr_{q}"]
    s["classes"][q] = {"n": r["n"], "total": r["n"], "p50_ms": r["p50_ms"], "p95_ms": r["p95_ms"], "p99_ms": r["p99_ms"],
                       "max_ms": r["max_ms"], "checksum": r["checksum"]}
json.dump(s, open(f"{res}/raw-csr-c++.summary.json", "w"), indent=1)
PY
  cp "$res/csr.results.tsv" "$res/raw-csr-c++.results.tsv"
  cp "$res/csr.time" "$res/raw-csr-c++.time"
done

loadavg_end="$(cut -d' ' -f1-3 /proc/loadavg)"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then commit="$commit (dirty)"; fi

echo
echo "## report.py (dyad beside the bare CSR of this run; oracle check)"
echo
# report.py wants python3 with nothing beyond the standard library.
read -ra scale_list <<<"$scales"
python3 "$report" "$results" "${scale_list[@]}" | tee "$out/report.txt"
echo

BENCH_OUT="$out" BENCH_SCALES="$scales" BENCH_QUICK="$quick" BENCH_DATE="$date_start" \
  BENCH_COMMIT="$commit" BENCH_BIN="$bindir" BENCH_BUDGET="$budget" \
  BENCH_LOADAVG_START="$loadavg_start" BENCH_LOADAVG_END="$loadavg_end" \
  python3 - <<'PY'
import json, os, sys

env = os.environ
out, quick = env["BENCH_OUT"], env["BENCH_QUICK"] == "1"
scales = env["BENCH_SCALES"].split()
CLASSES = ("Q1", "Q2", "Q3", "Q4")

# Published anchors, NOT measured in this run: ../shared/bench/PEERS.md (2026-11-23,
# same machines), median / p95 in ms (the bare CSR is measured in this run instead).
# Q2 of Kùzu is its `* SHORTEST 1..2` row where there is one (the fair BFS-style
# form); at S there is only the 1..2 walk.
PEERS = {
    "S": {
        "sqlite": {"Q1": (0.026, 0.139), "Q2": (3.142, 29.03), "Q3": (0.587, 4.701), "Q4": (7.00, 8.43)},
        "kuzu": {"Q1": (2.588, 3.538), "Q2": (7.416, 33.81), "Q3": (6.826, 16.02), "Q4": (51.7, 62.0)},
        "networkx": {"Q1": (0.002, 0.003), "Q2": (14.54, 44.54), "Q3": (0.067, 0.216), "Q4": (1.13, 3.39)},
    },
    "M": {
        "sqlite": {"Q1": (0.026, 0.439), "Q2": (8.953, 263.3), "Q3": (2.869, 13.25), "Q4": (72.0, 88.3)},
        "kuzu": {"Q1": (5.656, 16.41), "Q2": (19.70, 85.48), "Q3": (22.66, 91.72), "Q4": (280.6, 353.5)},
        "networkx": {"Q1": (0.003, 0.004), "Q2": (134.2, 834.4), "Q3": (0.394, 1.246), "Q4": (11.0, 27.5)},
    },
    "L": {
        "sqlite": {"Q1": (0.057, 5.501), "Q2": (39.10, 2771), "Q3": (20.17, 85.42), "Q4": (59.6, 191.4)},
        "kuzu": {"Q1": (3.374, 59.58), "Q2": (96.40, 568.4), "Q3": (99.65, 809.9), "Q4": (1734, 1973)},
        "networkx": {"Q1": (0.004, 0.005), "Q2": (1318, 14293), "Q3": (2.939, 12.56), "Q4": (117, 454)},
    },
}
# ../shared/spec/targets.md (stated at L; shown at every scale for orientation).
T_P50, T_P95 = 2.0, 3.0                 # dyad / bare CSR
T_Q2_PEERS, T_Q3_PEERS = 100.0, 40.0   # peer median / dyad median, SQLite and Kùzu
T_BUILD_EPS, T_BYTES, T_CLI_MS = 2e6, 40.0, 200.0

allj = json.load(open(os.path.join(out, "results", "all.json")))
by = {(s["scale"], s["peer"]): s for s in allj}


def ratio(a, b):
    return a / b if a is not None and b else None


def fx(x, fmt="{:.2f}×"):
    return "—" if x is None else fmt.format(x)


def ms(x):
    return "—" if x is None else f"{x:g}"


summary = {"date": env["BENCH_DATE"], "commit": env["BENCH_COMMIT"], "binaries": env["BENCH_BIN"],
           "cpus": os.cpu_count(), "loadavg_start": env["BENCH_LOADAVG_START"],
           "loadavg_end": env["BENCH_LOADAVG_END"], "class_budget_s": float(env["BENCH_BUDGET"]),
           "peers_reference": "../shared/bench/PEERS.md, measured 2026-11-23 (not this run)",
           "scales": {}}
failures = []
print(f"dyad queries, {summary['date']}, commit {summary['commit']}, binaries {summary['binaries']}, "
      f"class budget {summary['class_budget_s']:g} s, load average {summary['loadavg_start']} → "
      f"{summary['loadavg_end']} on {summary['cpus']} CPUs\n")
for sc in scales:
    d, c = by.get((sc, "dyad")), by.get((sc, "raw-csr-c++"))
    if d is None:
        failures.append(f"{sc}: no dyad summary")
        continue
    cli = json.load(open(os.path.join(out, "results", sc, "dyad.cli.json")))
    e = {"dyad": {q: {k: d["classes"][q].get(k) for k in ("n", "total", "p50_ms", "p95_ms", "p99_ms",
                                                             "mean_ms", "max_ms", "errors", "truncated")}
                  for q in CLASSES},
         "csr": {q: {k: c["classes"][q].get(k) for k in ("p50_ms", "p95_ms")} for q in CLASSES} if c else None,
         "ratio_to_csr": {}, "peers_p50_over_dyad_p50": {},
         "oracle": d.get("oracle"),
         "load_s": d.get("load_s"), "load_edges_per_s": d.get("load_edges_per_s"),
         "disk_bytes": d.get("disk_bytes"), "peak_rss_kb": d.get("peak_rss_kb"),
         "csr_peak_rss_kb": c.get("peak_rss_kb") if c else None,
         "snapshot": {k: d.get(k) for k in ("snapshot_build_s", "snapshot_edges_per_s", "snapshot_bytes",
                                            "snapshot_bytes_per_edge", "snapshot_persist_s",
                                            "snapshot_map_s", "snapshot_runs", "hub_safety")},
         "cli": cli}
    print(f"## {sc}: dyad ÷ bare CSR, both measured in this run "
          f"(target at L: p50 ≤ {T_P50:g}×, p95 ≤ {T_P95:g}×)\n")
    # The CSR ran before dyad and after it: its figures are the mean of the two runs.
    before_path = os.path.join(out, "results", sc, "csr-before.jsonl")
    before = {}
    if os.path.exists(before_path):
        before = {j["what"]: j for j in map(json.loads, open(before_path))}
    print("| class | n | dyad p50 ms | CSR p50 ms (before, after) | ÷ p50 | dyad p95 ms | CSR p95 ms (before, after) | ÷ p95 | truncated | errors |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    e["csr_before"] = {}
    for q in CLASSES:
        dq = d["classes"][q]
        cq = dict(c["classes"][q]) if c else {}
        b = before.get(f"raw_csr_{q}")
        shown = {}
        for k in ("p50_ms", "p95_ms"):
            shown[k] = ms(cq.get(k))
            if b is not None and cq.get(k) is not None:
                shown[k] = f"{(b[k] + cq[k]) / 2:g} ({b[k]:g}, {cq[k]:g})"
                cq[k] = round((b[k] + cq[k]) / 2, 6)
        if b is not None:
            e["csr_before"][q] = {"p50_ms": b["p50_ms"], "p95_ms": b["p95_ms"]}
        if e["csr"] is not None:
            e["csr"][q] = {k: cq.get(k) for k in ("p50_ms", "p95_ms")}
        r50, r95 = ratio(dq["p50_ms"], cq.get("p50_ms")), ratio(dq["p95_ms"], cq.get("p95_ms"))
        e["ratio_to_csr"][q] = {"p50": r50 and round(r50, 3), "p95": r95 and round(r95, 3)}
        n = f"{dq['n']}/{dq['total']}"
        tr = ", ".join(f"{k} {v}" for k, v in (dq.get("truncated") or {}).items()) or "0"
        print(f"| {q} | {n} | {ms(dq['p50_ms'])} | {shown['p50_ms']} | {fx(r50)} | {ms(dq['p95_ms'])} "
              f"| {shown['p95_ms']} | {fx(r95)} | {tr} | {dq.get('errors', 0)} |")
    print("\n(csr_bfs prints ms with 4 decimals: a CSR figure of 0.0001–0.0009 ms makes its ratio coarse.)\n")

    peers = PEERS.get(sc)
    if peers:
        print(f"## {sc}: peer median ÷ dyad median (peers: published anchor, PEERS.md 2026-11-23, "
              f"NOT this run; targets at L: Q2 ≥ {T_Q2_PEERS:g}×, Q3 ≥ {T_Q3_PEERS:g}× vs SQLite and Kùzu)\n")
        print("| peer | Q1 | Q2 | Q3 | Q4 | peer p50 ms Q1 / Q2 / Q3 / Q4 |")
        print("|---|---|---|---|---|---|")
        for p, f in peers.items():
            rs = {q: ratio(f[q][0], d["classes"][q]["p50_ms"]) for q in CLASSES}
            e["peers_p50_over_dyad_p50"][p] = {q: rs[q] and round(rs[q], 2) for q in CLASSES}
            print(f"| {p} (published) | " + " | ".join(fx(rs[q], "{:,.1f}×") for q in CLASSES)
                  + " | " + " / ".join(f"{f[q][0]:g}" for q in CLASSES) + " |")
        print()

    s = e["snapshot"]
    print(f"## {sc}: snapshot, load, CLI\n")
    print(f"- snapshot build from the store: {s['snapshot_build_s']:.3f} s, "
          f"{s['snapshot_edges_per_s']:,.0f} edges/s (target at L ≥ {T_BUILD_EPS:,.0f}), "
          f"{s['snapshot_bytes_per_edge']:.1f} B/edge (target ≤ {T_BYTES:g}); median of {s['snapshot_runs']}")
    print(f"- persisted image: persist {s['snapshot_persist_s']:.3f} s, map {s['snapshot_map_s'] * 1000:.3f} ms")
    hs = s.get("hub_safety")
    if hs:
        print(f"- hub safety, {hs['hubs']} biggest hubs: 3-hop neighbourhood with a {hs['node_limit']}-node limit "
              f"returned at most {hs['max_nodes']} nodes ({hs['node_truncated']} truncated); 6-hop with a "
              f"{hs['deadline_ms']:g} ms deadline took median {hs['deadline_median_elapsed_ms']:.3f} ms, max "
              f"{hs['deadline_max_elapsed_ms']:.3f} ms ({hs['deadline_truncated']} truncated); all shortest paths "
              f"with a {hs['path_limit']}-path limit returned at most {hs['max_paths']} ({hs['path_truncated']} truncated)")
    print(f"- load {d.get('load_s', 0):.2f} s ({d.get('load_edges_per_s') or 0:,} distinct facts/s), "
          f"store {d.get('disk_bytes', 0) / 2**20:.1f} MiB; bench process peak RSS "
          f"{(d.get('peak_rss_kb') or 0) / 1024:.1f} MiB")
    for name in ("stats", "neighbours", "path"):
        x = cli[name]
        label = x.get("node") or (f"{x['from']} → {x['to']}" if "from" in x else "the floor: start, open")
        if x["ok"]:
            print(f"- cold `dyad {name}` ({label}{', degree ' + str(x['degree']) if 'degree' in x else ''}): "
                  f"median {x['median_ms']:.1f} ms wall, run 1 {x['first_ms']:.1f} ms"
                  + ("" if name == "stats" else f" (target at L ≤ {T_CLI_MS:g} ms)"))
        else:
            print(f"- cold `dyad {name}`: not measured, exit codes {x['exit_codes']} "
                  f"(see results/{sc}/dyad.cli.{name}.stderr)")
    o = d.get("oracle")
    if o is None:
        print("- answers: no oracle at this scale")
    elif o["mismatch"] or not o["checked"]:
        print(f"- answers: **{o['mismatch']} of {o['checked']} differ from the oracle**, e.g. {o['examples']}")
    else:
        print(f"- answers: {o['checked']}/{o['checked']} agree with the oracle")
    print()
    errors = sum(d["classes"][q].get("errors", 0) for q in CLASSES)
    if o is not None and (o["mismatch"] or not o["checked"]):
        failures.append(f"{sc}: {o['mismatch']} of {o['checked']} answers differ from the oracle")
    if errors:
        failures.append(f"{sc}: {errors} queries failed")
    summary["scales"][sc] = e

with open(os.path.join(out, "summary.json"), "w") as f:
    json.dump(summary, f, indent=1)
    f.write("\n")
print(f"full figures: {os.path.join(out, 'summary.json')}; per scale: {os.path.join(out, 'results')}")
for msg in failures:
    print(f"bench-query: {msg}", file=sys.stderr)
if failures and quick:
    sys.exit(1)
PY
