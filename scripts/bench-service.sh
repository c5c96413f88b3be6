#!/usr/bin/env bash
# Measures the dyad.v1 gRPC service (`dyad serve`) on 127.0.0.1: queries per
# second and p50/p99 latency of a 1-hop Neighbourhood RPC and a shortest-path
# Paths RPC with 1, 8 and 32 concurrent clients, next to the same server's
# ceiling measured in the same run (the Stats RPC and grpc.health.v1 Check at
# the same concurrency); and streaming load over gRPC next to the embedded
# `dyad load` of the same file in the same run (the targets in
# ../shared/spec/targets.md: 1-hop QPS ≥ 70% of the empty RPC's at 8 clients,
# load over gRPC ≥ 70% of embedded facts/s).
#
#   scripts/bench-service.sh [--scales "S"] [--out DIR] [--bin DIR] [--duration-s 10]
#   scripts/bench-service.sh --quick        # scale XS, 1 s per measurement (a smoke test)
#
#   --scales      gen_facts.py presets among XS S M L (default "S")
#   --out         results folder (default build/bench-results/service in the repo):
#                 results/<scale>/ holds load.{embedded,grpc}.json, one <rpc>.c<N>.json
#                 per measurement (dyad_bench_service's output plus the server's CPU
#                 time) and the server's logs; summary.json the figures; data/<scale>/
#                 any data generated here
#   --bin         a folder holding dyad and dyad_bench_service to measure instead of
#                 building them in build-release/ (also DYAD_BIN_DIR); either way they are
#                 copied first, so that a rebuild during the run cannot mix two builds
#   --data        where to look for generated data first (default the load benchmark's,
#                 build/bench-results/load/data); used when its meta.json has seed 20240601
#   --duration-s  measured seconds per RPC and client count (default 10; quick 1), split
#                 into --rounds rounds
#   --rounds      rounds per client count (default 5; quick 1): each round measures every
#                 RPC in turn for duration/rounds seconds, so that the RPCs compared share
#                 the machine's mood of the moment (on a shared host it swings from one
#                 ten-second window to the next); a figure is the median over rounds, and a
#                 ratio the median of the rounds' ratios
#   --warmup-s    unmeasured seconds before each (default 1; quick 0.3)
#   --clients     client counts (default "1 8 32"; the ratio is taken at 8)
#   --quick       scale XS, short measurements; exits 77 without the shared folder and
#                 fails when any RPC or load returns an error
#
# Per scale: the input is read once (page cache warm); `dyad --db FRESH load` (embedded)
# and `dyad --server ADDR load` into a fresh `dyad serve` store, each timed as the wall
# time of the `dyad load` process (distinct facts/s = facts_added / wall, as
# bench-load.sh); the server is then restarted on the store it loaded (its graph image
# current, nothing rebuilding) and dyad_bench_service runs stats, health, neighbours
# (Q1 ids: depth 1, limit 100, omit_facts) and path (Q3 pairs, PATH_MODE_SHORTEST,
# at most 10 hops) for each client count in turn, every client on its own channel
# (own TCP connection), closed loop. The server's CPU time per call comes from
# /proc. Client and server share this machine's cores: the figures are of the pair.
#
# Needs python3 and gen_facts.py from the shared folder ../shared next to the repo
# (DYAD_SHARED overrides it).
set -euo pipefail

SEED=20240601
# The ratio of the target is taken at this client count.
TARGET_CLIENTS=8
RPCS="stats health neighbours path"

die() {
  echo "bench-service: $*" >&2
  exit 1
}
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }

repo="$(cd "$(dirname "$0")/.." && pwd)"

scales="S"
quick=0
duration=10
duration_set=0
warmup=1
warmup_set=0
clients="1 8 32"
rounds=5
rounds_set=0
out="$repo/build/bench-results/service"
data_root="$repo/build/bench-results/load/data"
bindir="${DYAD_BIN_DIR:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --scales | --out | --bin | --data | --duration-s | --warmup-s | --clients | --rounds)
      [ $# -ge 2 ] || { usage >&2; die "$1 needs a value"; }
      case "$1" in
        --scales) scales="$2" ;;
        --out) out="$2" ;;
        --bin) bindir="$2" ;;
        --data) data_root="$2" ;;
        --duration-s) duration="$2" duration_set=1 ;;
        --warmup-s) warmup="$2" warmup_set=1 ;;
        --clients) clients="$2" ;;
        --rounds) rounds="$2" rounds_set=1 ;;
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
      echo "bench-service: unknown argument '$1'" >&2
      exit 2
      ;;
  esac
done
if [ "$quick" -eq 1 ]; then
  scales=XS
  [ "$duration_set" -eq 1 ] || duration=1
  [ "$warmup_set" -eq 1 ] || warmup=0.3
  [ "$rounds_set" -eq 1 ] || rounds=1
fi

[[ "$duration" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--duration-s wants a number of seconds, got '$duration'"
[[ "$warmup" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--warmup-s wants a number of seconds, got '$warmup'"
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || die "--rounds wants a positive count, got '$rounds'"
round_s="$(python3 -c "print(round($duration / $rounds, 3))")"
for s in $scales; do
  case "$s" in XS | S | M | L) ;; *) die "unknown scale '$s' (XS S M L)" ;; esac
done
[ -n "$scales" ] || die "--scales is empty"
for c in $clients; do
  [[ "$c" =~ ^[1-9][0-9]*$ ]] || die "--clients wants counts like \"1 8 32\", got '$c'"
done
[ -n "$clients" ] || die "--clients is empty"
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
if [ ! -f "$gen" ]; then
  # A user's clone has no shared folder: the smoke test run by ctest is then
  # skipped (77 is ctest's SKIP_RETURN_CODE here), a real run fails.
  echo "bench-service: $gen not found: this benchmark needs the project's shared folder (set DYAD_SHARED)" >&2
  [ "$quick" -eq 1 ] && exit 77
  exit 1
fi

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
  echo "bench-service: building dyad and dyad_bench_service (Release) in build-release/" >&2
  if [ ! -f build-release/CMakeCache.txt ] || ! grep -q '^DYAD_BUILD_TESTS:BOOL=ON' build-release/CMakeCache.txt; then
    generator=(-G Ninja)
    if [ -f build-release/CMakeCache.txt ]; then generator=(); fi
    locked cmake -S . -B build-release "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DDYAD_BUILD_TESTS=ON >&2
  fi
  locked cmake --build build-release -j2 --target dyad dyad_bench_service >&2
  bindir="$repo/build-release/bin"
fi
dyad="$bindir/dyad"
bench="$bindir/dyad_bench_service"
[ -x "$dyad" ] || die "$dyad is not an executable"
[ -x "$bench" ] || die "$bench is not an executable"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/dyad-bench-service.XXXXXX")"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# Copies, so that a rebuild while this runs cannot mix two builds in one run.
mkdir "$tmp/bin"
cp "$dyad" "$bench" "$tmp/bin/"
bin_built="$(date -u -r "$dyad" +%Y-%m-%dT%H:%M:%SZ)"
dyad="$tmp/bin/dyad"
bench="$tmp/bin/dyad_bench_service"

clk_tck="$(getconf CLK_TCK)"
# User + system CPU ticks of a process so far.
cpu_ticks() {
  local stat
  stat="$(cat "/proc/$1/stat")"
  stat="${stat##*) }" # the name may hold spaces; the fields after it do not
  # shellcheck disable=SC2086
  set -- $stat
  echo $((${12} + ${13}))
}

# Starts `dyad serve` on store $1, logging into $2.*; sets server_pid and
# server_addr.
start_server() {
  local store="$1" log="$2"
  "$dyad" --db "$store" serve --listen 127.0.0.1:0 --format json --log error \
    >"$log.out" 2>"$log.log" &
  server_pid=$!
  server_addr=""
  for _ in $(seq 1 1200); do
    if [ -s "$log.out" ]; then
      server_addr="$(python3 -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())["listening"])' "$log.out" 2>/dev/null || true)"
      [ -n "$server_addr" ] && return 0
    fi
    kill -0 "$server_pid" 2>/dev/null || {
      wait "$server_pid" || true
      server_pid=""
      die "dyad serve exited before it listened; see $log.log"
    }
    sleep 0.05
  done
  die "dyad serve did not print where it listens within 60 s; see $log.log"
}

# SIGTERM, as an operator stops it; the exit code must be 0.
stop_server() {
  local rc=0
  kill -TERM "$server_pid"
  wait "$server_pid" || rc=$?
  server_pid=""
  [ "$rc" -eq 0 ] || die "dyad serve exited $rc on SIGTERM"
}

# Wall seconds of a command; its stdout into $1, stderr into $2.
timed() {
  local stdout="$1" stderr="$2" rc=0 t0 t1
  shift 2
  t0="$(date +%s%N)"
  "$@" >"$stdout" 2>"$stderr" || rc=$?
  t1="$(date +%s%N)"
  [ "$rc" -eq 0 ] || die "$* exited $rc; see $stderr"
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", (b - a) / 1e9 }'
}

loadavg_start="$(cut -d' ' -f1-3 /proc/loadavg)"
date_start="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
results="$out/results"
mkdir -p "$results"

for scale in $scales; do
  # The load benchmark's data when it is there and of our seed, else our own.
  data="$data_root/$scale"
  complete=1
  for f in meta.json facts.jsonl nodes.csv queries.txt; do
    [ -s "$data/$f" ] || complete=0
  done
  if [ "$complete" -eq 1 ] &&
    ! python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1])).get("seed") != int(sys.argv[2]))' \
      "$data/meta.json" "$SEED"; then
    complete=0
  fi
  if [ "$complete" -eq 0 ]; then
    data="$out/data/$scale"
    if [ ! -s "$data/meta.json" ] || [ ! -s "$data/facts.jsonl" ] || [ ! -s "$data/nodes.csv" ] ||
      [ ! -s "$data/queries.txt" ]; then
      echo "bench-service: generating scale $scale into $data" >&2
      rm -rf "$data.tmp"
      mkdir -p "$(dirname "$data")"
      python3 "$gen" --scale "$scale" --seed "$SEED" --out "$data.tmp" >/dev/null
      rm -rf "$data"
      mv "$data.tmp" "$data" # only a complete data set gets the final name
    fi
  fi
  echo "bench-service: scale $scale, data $data" >&2

  res="$results/$scale"
  rm -rf "$res"
  mkdir -p "$res"
  cp "$data/meta.json" "$res/meta.json"
  cat "$data/facts.jsonl" >/dev/null # both loads read it from the page cache

  # ---- load: embedded, then over gRPC into a fresh server store ---------------
  echo "bench-service: scale $scale: embedded dyad load" >&2
  embedded_s="$(timed "$res/load.embedded.json" "$res/load.embedded.stderr" \
    "$dyad" --db "$tmp/embedded-$scale" load "$data/facts.jsonl" --format json)"
  rm -rf "$tmp/embedded-$scale"

  echo "bench-service: scale $scale: dyad load over gRPC" >&2
  store="$tmp/served-$scale"
  start_server "$store" "$res/serve.load"
  grpc_s="$(timed "$res/load.grpc.json" "$res/load.grpc.stderr" \
    "$dyad" --server "$server_addr" load "$data/facts.jsonl" --format json)"
  stop_server # leaves a current graph image beside the store
  printf '{"embedded": %s, "grpc": %s}\n' "$embedded_s" "$grpc_s" >"$res/load.walls.json"

  # ---- RPCs against the server restarted on that store ------------------------
  start_server "$store" "$res/serve.query"
  echo "bench-service: scale $scale: serving on $server_addr (pid $server_pid)" >&2
  for c in $clients; do
    for round in $(seq "$rounds"); do
      for rpc in $RPCS; do
        echo "bench-service: scale $scale: $rpc, $c clients, round $round of $rounds, ${round_s} s" >&2
        ticks0="$(cpu_ticks "$server_pid")"
        rc=0
        "$bench" --server "$server_addr" --rpc "$rpc" --clients "$c" --duration-s "$round_s" \
          --warmup-s "$warmup" --queries "$data/queries.txt" --nodes "$data/nodes.csv" \
          >"$tmp/run.json" 2>"$res/$rpc.c$c.r$round.stderr" || rc=$?
        ticks1="$(cpu_ticks "$server_pid")"
        [ "$rc" -eq 0 ] || die "dyad_bench_service --rpc $rpc --clients $c exited $rc; see $res/$rpc.c$c.r$round.stderr"
        [ -s "$res/$rpc.c$c.r$round.stderr" ] || rm -f "$res/$rpc.c$c.r$round.stderr"
        # The server's CPU over the whole run (warm-up included), per call made.
        python3 - "$tmp/run.json" "$res/$rpc.c$c.r$round.json" "$((ticks1 - ticks0))" "$clk_tck" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))
cpu_s = int(sys.argv[3]) / int(sys.argv[4])
run["server_cpu_s"] = round(cpu_s, 3)
run["server_cpu_us_per_call"] = round(cpu_s * 1e6 / run["calls_all"], 1) if run["calls_all"] else None
json.dump(run, open(sys.argv[2], "w"), indent=1)
PY
      done
    done
  done
  grep -E '^(VmHWM|Threads)' "/proc/$server_pid/status" | tr -s ' \t' ' ' >"$res/serve.query.status"
  stop_server
  rm -rf "$store"
done

loadavg_end="$(cut -d' ' -f1-3 /proc/loadavg)"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then commit="$commit (dirty)"; fi

BENCH_OUT="$out" BENCH_SCALES="$scales" BENCH_QUICK="$quick" BENCH_DATE="$date_start" \
  BENCH_COMMIT="$commit" BENCH_BIN="$bindir" BENCH_BIN_BUILT="$bin_built" BENCH_DURATION="$duration" BENCH_WARMUP="$warmup" BENCH_ROUNDS="$rounds" \
  BENCH_CLIENTS="$clients" BENCH_RPCS="$RPCS" BENCH_TARGET_CLIENTS="$TARGET_CLIENTS" \
  BENCH_LOADAVG_START="$loadavg_start" BENCH_LOADAVG_END="$loadavg_end" \
  python3 - <<'PY'
import json, os, statistics, sys

env = os.environ
out, quick = env["BENCH_OUT"], env["BENCH_QUICK"] == "1"
scales, clients, rpcs = env["BENCH_SCALES"].split(), env["BENCH_CLIENTS"].split(), env["BENCH_RPCS"].split()
at = env["BENCH_TARGET_CLIENTS"]
T_RPC, T_LOAD = 0.70, 0.70  # ../shared/spec/targets.md

summary = {"date": env["BENCH_DATE"], "commit": env["BENCH_COMMIT"], "binaries": env["BENCH_BIN"],
           "dyad_built": env["BENCH_BIN_BUILT"],
           "cpus": os.cpu_count(), "loadavg_start": env["BENCH_LOADAVG_START"],
           "loadavg_end": env["BENCH_LOADAVG_END"], "duration_s": float(env["BENCH_DURATION"]),
           "warmup_s": float(env["BENCH_WARMUP"]), "rounds": int(env["BENCH_ROUNDS"]),
           "clients": [int(c) for c in clients],
           "requests": {"stats": "DyadService/Stats", "health": "grpc.health.v1.Health/Check",
                        "neighbours": "DyadService/Neighbourhood of the Q1 ids: depth 1, limit 100, omit_facts",
                        "path": "DyadService/Paths of the Q3 pairs: PATH_MODE_SHORTEST, max_depth 10"},
           "targets": {"neighbours_over_stats_qps": T_RPC, "grpc_over_embedded_load": T_LOAD,
                       "at_clients": int(at)},
           "scales": {}}
failures = []


rounds = summary["rounds"]


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def ratio(a, b):
    return round(a / b, 4) if a is not None and b else None


def round_ratio(e, a, b, c):
    """The median over rounds of rpc a's QPS over rpc b's in the same round."""
    qa = e["rpcs"].get(a, {}).get(c, {}).get("qps_by_round") or []
    qb = e["rpcs"].get(b, {}).get(c, {}).get("qps_by_round") or []
    r = med([ratio(x, y) for x, y in zip(qa, qb)])
    return None if r is None else round(r, 4)


def num(x, f="{:,.0f}"):
    return "—" if x is None else f.format(x)


def pct(x):
    return "—" if x is None else f"{x * 100:.0f}%"


print(f"dyad gRPC service, {summary['date']}, commit {summary['commit']}, binaries {summary['binaries']} "
      f"(dyad built {summary['dyad_built']}), "
      f"{summary['duration_s']:g} s per measurement in {summary['rounds']} rounds (medians over rounds), "
      f"each after {summary['warmup_s']:g} s warm-up, load average "
      f"{summary['loadavg_start']} → {summary['loadavg_end']} on {summary['cpus']} CPUs "
      f"(clients and server share them)\n")
for sc in scales:
    res = os.path.join(out, "results", sc)
    loads = {}
    for kind in ("embedded", "grpc"):
        with open(os.path.join(res, f"load.{kind}.json")) as f:
            s = json.load(f)
        loads[kind] = s
    e = {"rpcs": {}, "load": {}, "ratios": {}}
    for rpc in rpcs:
        e["rpcs"][rpc] = {}
        for c in clients:
            runs = [json.load(open(os.path.join(res, f"{rpc}.c{c}.r{k}.json")))
                    for k in range(1, rounds + 1)]
            # Rates and times: the median round; counts: the sum over rounds.
            r = {k: med([x.get(k) for x in runs]) for k in (
                "qps", "p50_ms", "p90_ms", "p99_ms", "mean_ms", "server_cpu_us_per_call",
                "client_cpu_us_per_call", "mean_nodes", "mean_hops")}
            r["max_ms"] = max((x.get("max_ms") or 0) for x in runs)
            for k in ("errors", "calls", "found", "truncated"):
                r[k] = sum((x.get(k) or 0) for x in runs) if any(k in x for x in runs) else None
            r["error_examples"] = [ex for x in runs for ex in (x.get("error_examples") or [])][:5]
            r["qps_by_round"] = [x.get("qps") for x in runs]
            e["rpcs"][rpc][c] = r
            if r.get("errors"):
                failures.append(f"{sc}: {rpc} with {c} clients: {r['errors']} errors, e.g. {r['error_examples'][:2]}")
            if not r.get("calls"):
                failures.append(f"{sc}: {rpc} with {c} clients: no call completed")
    walls = json.load(open(os.path.join(res, "load.walls.json")))
    for kind in ("embedded", "grpc"):
        s, wall = loads[kind], walls[kind]
        if s.get("bad_lines"):
            failures.append(f"{sc}: {kind} load: {len(s['bad_lines'])} bad lines")
        e["load"][kind] = {"wall_s": wall, "summary_seconds": s.get("seconds"), "lines": s.get("lines"),
                           "facts_added": s.get("facts_added"),
                           "facts_corroborated": s.get("facts_corroborated"),
                           "distinct_facts_per_s": round(s["facts_added"] / wall, 1),
                           "fact_records_per_s": round((s["facts_added"] + s["facts_corroborated"]) / wall, 1)}
    if loads["embedded"].get("facts_added") != loads["grpc"].get("facts_added"):
        failures.append(f"{sc}: the loads differ: {loads['embedded'].get('facts_added')} facts embedded, "
                        f"{loads['grpc'].get('facts_added')} over gRPC")
    e["ratios"] = {
        f"neighbours_over_stats_qps_at_{at}": round_ratio(e, "neighbours", "stats", at),
        f"neighbours_over_health_qps_at_{at}": round_ratio(e, "neighbours", "health", at),
        f"path_over_stats_qps_at_{at}": round_ratio(e, "path", "stats", at),
        "grpc_over_embedded_load": ratio(e["load"]["grpc"]["distinct_facts_per_s"],
                                         e["load"]["embedded"]["distinct_facts_per_s"]),
    }
    for c in clients:
        if c != at:
            e["ratios"][f"neighbours_over_stats_qps_at_{c}"] = round_ratio(e, "neighbours", "stats", c)
    try:
        e["server_status"] = dict(l.strip().split(": ", 1) if ": " in l else l.strip().split(" ", 1)
                                  for l in open(os.path.join(res, "serve.query.status")) if l.strip())
    except OSError:
        pass
    summary["scales"][sc] = e

    print(f"## {sc}: RPCs on 127.0.0.1, one channel per client, closed loop\n")
    print("| rpc | clients | QPS | p50 ms | p99 ms | errors | server CPU µs/call | client CPU µs/call | answer |")
    print("|---|---|---|---|---|---|---|---|---|")
    for rpc in rpcs:
        for c in clients:
            r = e["rpcs"][rpc][c]
            if rpc == "neighbours":
                ans = f"{num(r['mean_nodes'], '{:.1f}')} nodes, {r['truncated']} cut at the limit"
            elif rpc == "path":
                ans = f"{r['found']}/{r['calls']} found, {num(r['mean_hops'], '{:.2f}')} hops"
            else:
                ans = ""
            print(f"| {rpc} | {c} | {num(r['qps'])} | {num(r['p50_ms'], '{:.3f}')} | {num(r['p99_ms'], '{:.3f}')} "
                  f"| {r['errors']} | {num(r['server_cpu_us_per_call'])} | {num(r['client_cpu_us_per_call'])} | {ans} |")
    rt = e["ratios"]
    print()
    print(f"- 1-hop ÷ Stats QPS at {at} clients: **{pct(rt[f'neighbours_over_stats_qps_at_{at}'])}** "
          f"(target ≥ {T_RPC * 100:.0f}%); ÷ health Check: {pct(rt[f'neighbours_over_health_qps_at_{at}'])}; "
          f"shortest path ÷ Stats: {pct(rt[f'path_over_stats_qps_at_{at}'])}")
    if rounds > 1:
        qa, qb = (e["rpcs"][x][at]["qps_by_round"] for x in ("neighbours", "stats"))
        print(f"- 1-hop ÷ Stats at {at} clients by round: "
              + ", ".join(pct(ratio(a, b)) for a, b in zip(qa, qb)))
    others = [f"{c}: {pct(rt[f'neighbours_over_stats_qps_at_{c}'])}" for c in clients if c != at]
    if others:
        print(f"- 1-hop ÷ Stats QPS at other client counts: {', '.join(others)}")
    le, lg = e["load"]["embedded"], e["load"]["grpc"]
    print(f"- load of {le['lines']:,} records: embedded {num(le['distinct_facts_per_s'])} distinct facts/s "
          f"({le['wall_s']:.2f} s wall), over gRPC {num(lg['distinct_facts_per_s'])} ({lg['wall_s']:.2f} s wall, "
          f"server {lg['summary_seconds']:.2f} s): **{pct(rt['grpc_over_embedded_load'])}** "
          f"(target ≥ {T_LOAD * 100:.0f}%)")
    print()

with open(os.path.join(out, "summary.json"), "w") as f:
    json.dump(summary, f, indent=1)
    f.write("\n")
print(f"full figures: {os.path.join(out, 'summary.json')}; per measurement: {os.path.join(out, 'results')}")
for msg in failures:
    print(f"bench-service: {msg}", file=sys.stderr)
if failures and quick:
    sys.exit(1)
PY
