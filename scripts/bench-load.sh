#!/usr/bin/env bash
# Measures `dyad load` (JSON Lines -> RocksDB) on generated graphs, next to
# RocksDB's own `db_bench fillseq` measured in the same run, and against
# Kùzu's COPY (the target in ../shared/spec/targets.md).
#
#   scripts/bench-load.sh [--scales "S M"] [--runs 3] [--out DIR] [--bin PATH]
#   scripts/bench-load.sh --quick          # scale XS, one run (a smoke test)
#
#   --scales  gen_facts.py presets among XS S M L (default "S M")
#   --runs    loads (and fillseq runs) per scale; medians are reported (default 3)
#   --out     results folder (default build/bench-results/load in the repo): data/<scale>/
#             holds the generated input (reused when present), runs/<scale>/ the raw
#             output of each run, summary.json the figures; a markdown table goes to stdout
#   --bin     a dyad binary to measure instead of building build-release/bin/dyad
#             (also DYAD_BIN)
#
# Needs python3 and gen_facts.py from the shared folder ../shared next to the
# repo (DYAD_SHARED overrides it). Rates are taken over the wall time of the
# whole `dyad load` process, measured here:
#   fact records/s  = (facts_added + facts_corroborated) / wall
#   distinct facts/s = facts_added / wall   (what the peers' "edges/s" count)
# Both ratios (to fillseq keys/s and to Kùzu) use distinct facts/s.
set -euo pipefail

# Kùzu 0.11 COPY load rates, distinct facts (edges) per second, measured on this
# project's machines: ../shared/bench/PEERS.md; targets.md rounds M and L to
# 316k and 408k and sets the target "load >= 1x Kuzu at M and L". No XS figure.
declare -A KUZU_FACTS_PER_S=([S]=210526 [M]=316056 [L]=408480)
# db_bench writes at most this many keys (enough for a steady rate).
FILLSEQ_MAX_KEYS=1000000

die() {
  echo "bench-load: $*" >&2
  exit 1
}
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }

repo="$(cd "$(dirname "$0")/.." && pwd)"

scales="S M"
quick=0
runs=3
out="$repo/build/bench-results/load"
bin="${DYAD_BIN:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --scales | --runs | --out | --bin)
      [ $# -ge 2 ] || { usage >&2; die "$1 needs a value"; }
      case "$1" in
        --scales) scales="$2" ;;
        --runs) runs="$2" ;;
        --out) out="$2" ;;
        --bin) bin="$2" ;;
      esac
      shift 2
      ;;
    --quick)
      quick=1
      scales=XS
      runs=1
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      usage >&2
      echo "bench-load: unknown argument '$1'" >&2
      exit 2
      ;;
  esac
done

[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive integer, got '$runs'"
for s in $scales; do
  case "$s" in XS | S | M | L) ;; *) die "unknown scale '$s' (XS S M L)" ;; esac
done
[ -n "$scales" ] || die "--scales is empty"
# Paths given by the caller are relative to where they called from.
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
if [ -n "$bin" ]; then
  case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
fi

cd "$repo"

command -v python3 >/dev/null || die "python3 not found"
shared="${DYAD_SHARED:-$repo/../shared}"
gen="$shared/bench/gen_facts.py"
if [ ! -f "$gen" ]; then
  # A user's clone has no shared folder: the smoke test run by ctest is then
  # skipped (77 is ctest's SKIP_RETURN_CODE here), a real run fails.
  echo "bench-load: $gen not found: this benchmark needs the project's shared folder (set DYAD_SHARED)" >&2
  [ "$quick" -eq 1 ] && exit 77
  exit 1
fi

scripts/setup.sh # db_bench (rocksdb-tools) and /usr/bin/time come from here
command -v db_bench >/dev/null || die "db_bench not found (Debian package rocksdb-tools)"
[ -x /usr/bin/time ] || die "/usr/bin/time not found (Debian package time)"

if [ -z "$bin" ]; then
  echo "bench-load: building dyad (Release) in build-release/" >&2
  generator=(-G Ninja)
  if [ -f build-release/CMakeCache.txt ]; then generator=(); fi
  cmake -S . -B build-release "${generator[@]}" -DCMAKE_BUILD_TYPE=Release >&2
  cmake --build build-release -j2 --target dyad >&2
  bin="$repo/build-release/bin/dyad"
fi
[ -x "$bin" ] || die "$bin is not an executable"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/dyad-bench-load.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

loadavg_start="$(cut -d' ' -f1-3 /proc/loadavg)"
date_start="$(date -u +%Y-%m-%dT%H:%M:%SZ)"

for scale in $scales; do
  data="$out/data/$scale"
  if [ ! -f "$data/meta.json" ] || [ ! -f "$data/facts.jsonl" ]; then
    echo "bench-load: generating scale $scale into $data" >&2
    rm -rf "$data.tmp"
    mkdir -p "$(dirname "$data")"
    python3 "$gen" --scale "$scale" --out "$data.tmp" >/dev/null
    rm -rf "$data"
    mv "$data.tmp" "$data" # only a complete data set gets the final name
  fi
  keys="$(python3 -c 'import json, sys; print(min(json.load(open(sys.argv[1]))["edges"], int(sys.argv[2])))' \
    "$data/meta.json" "$FILLSEQ_MAX_KEYS")"

  rundir="$out/runs/$scale"
  rm -rf "$rundir"
  mkdir -p "$rundir"
  for ((i = 1; i <= runs; i++)); do
    echo "bench-load: scale $scale, run $i/$runs: dyad load" >&2
    store="$tmp/store"
    rm -rf "$store"
    rc=0
    t0="$(date +%s%N)"
    /usr/bin/time -v -o "$rundir/run$i.time" \
      "$bin" load --db "$store" "$data/facts.jsonl" --format json \
      >"$rundir/run$i.json" 2>"$rundir/run$i.stderr" || rc=$?
    t1="$(date +%s%N)"
    [ "$rc" -eq 0 ] || die "dyad load exited $rc (scale $scale, run $i); see $rundir/run$i.stderr"
    store_bytes="$(du -sb "$store" | cut -f1)"
    rm -rf "$store"
    printf '{"wall_seconds": %s, "store_bytes": %s}\n' \
      "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", (b - a) / 1e9 }')" "$store_bytes" \
      >"$rundir/run$i.measured.json"

    echo "bench-load: scale $scale, run $i/$runs: db_bench fillseq, $keys keys" >&2
    rm -rf "$tmp/dbbench"
    db_bench --benchmarks=fillseq --num="$keys" --value_size=100 --db="$tmp/dbbench" --threads=1 \
      >"$rundir/run$i.dbbench" 2>&1 || die "db_bench failed; see $rundir/run$i.dbbench"
    rm -rf "$tmp/dbbench"
  done
done

loadavg_end="$(cut -d' ' -f1-3 /proc/loadavg)"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then commit="$commit (dirty)"; fi

kuzu_json="{"
for s in "${!KUZU_FACTS_PER_S[@]}"; do kuzu_json+="\"$s\": ${KUZU_FACTS_PER_S[$s]}, "; done
kuzu_json="${kuzu_json%, }}"

BENCH_OUT="$out" BENCH_RUNS="$runs" BENCH_SCALES="$scales" BENCH_KUZU="$kuzu_json" \
  BENCH_DATE="$date_start" BENCH_COMMIT="$commit" BENCH_BIN="$bin" \
  BENCH_LOADAVG_START="$loadavg_start" BENCH_LOADAVG_END="$loadavg_end" \
  python3 - <<'PY'
import json, os, re, statistics, sys

env = os.environ
out, runs = env["BENCH_OUT"], int(env["BENCH_RUNS"])
kuzu = json.loads(env["BENCH_KUZU"])


def read(path):
    with open(path) as f:
        return f.read()


def run_figures(rundir, i, meta):
    p = os.path.join(rundir, f"run{i}")
    try:
        load = json.loads(read(p + ".json"))
    except ValueError as e:
        sys.exit(f"bench-load: {p}.json is not the JSON summary of dyad load: {e}")
    for k in ("lines", "facts_added", "facts_corroborated", "seconds"):
        if k not in load:
            sys.exit(f"bench-load: {p}.json has no '{k}'")
    measured = json.loads(read(p + ".measured.json"))
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", read(p + ".time"))
    fill = re.search(r"^fillseq\s*:\s*([\d.]+) micros/op (\d+) ops/sec", read(p + ".dbbench"), re.M)
    if not rss or not fill:
        sys.exit(f"bench-load: no peak RSS in {p}.time or no fillseq line in {p}.dbbench")
    wall = measured["wall_seconds"]
    added, corroborated = load["facts_added"], load["facts_corroborated"]
    if added != meta["edges"] or corroborated != meta["corroborated_facts"]:
        print(f"bench-load: warning: run {i} added {added} facts and corroborated {corroborated}; "
              f"the generator wrote {meta['edges']} distinct facts, {meta['corroborated_facts']} "
              "corroborations", file=sys.stderr)
    return {k: round(v, 6) if isinstance(v, float) else v for k, v in {
        "lines": load["lines"], "facts_added": added, "facts_corroborated": corroborated,
        "dyad_seconds": load["seconds"], "wall_seconds": wall,
        "fact_records_per_s": (added + corroborated) / wall,
        "distinct_facts_per_s": added / wall,
        "store_bytes": measured["store_bytes"],
        "bytes_per_distinct_fact": measured["store_bytes"] / added if added else None,
        "peak_rss_mib": int(rss.group(1)) / 1024,
        "fillseq_keys_per_s": int(fill.group(2)), "fillseq_micros_per_op": float(fill.group(1)),
    }.items()}


summary = {
    "date": env["BENCH_DATE"], "commit": env["BENCH_COMMIT"], "binary": env["BENCH_BIN"],
    "cpus": os.cpu_count(), "loadavg_start": env["BENCH_LOADAVG_START"],
    "loadavg_end": env["BENCH_LOADAVG_END"], "runs": runs,
    "rates": "over the wall time of the dyad load process; ratios use distinct facts/s",
    "kuzu_reference": "Kuzu 0.11 COPY, distinct facts/s, shared/bench/PEERS.md (targets.md)",
    "scales": {},
}
for scale in env["BENCH_SCALES"].split():
    meta = json.loads(read(os.path.join(out, "data", scale, "meta.json")))
    per_run = [run_figures(os.path.join(out, "runs", scale), i, meta) for i in range(1, runs + 1)]
    med = {k: statistics.median(r[k] for r in per_run)
           for k in per_run[0] if all(r[k] is not None for r in per_run)}
    k = kuzu.get(scale)
    summary["scales"][scale] = {
        "nodes": meta["nodes"], "distinct_facts": meta["edges"],
        "fact_records": meta["fact_records"],
        "median": med,
        "ratio_to_fillseq": round(med["distinct_facts_per_s"] / med["fillseq_keys_per_s"], 6),
        "kuzu_facts_per_s": k,
        "ratio_to_kuzu": round(med["distinct_facts_per_s"] / k, 6) if k else None,
        "runs": per_run,
    }

with open(os.path.join(out, "summary.json"), "w") as f:
    json.dump(summary, f, indent=1)
    f.write("\n")


def num(x, fmt="{:,.0f}"):
    return "—" if x is None else fmt.format(x)


print(f"dyad load, {summary['date']}, commit {summary['commit']}, median of {runs} run(s), "
      f"load average {summary['loadavg_start']} → {summary['loadavg_end']}\n")
print("| scale | distinct facts | fact records/s | distinct facts/s | bytes/distinct fact "
      "| peak RSS MiB | fillseq keys/s | ÷ fillseq | Kùzu facts/s | ÷ Kùzu |")
print("|---|---|---|---|---|---|---|---|---|---|")
for scale, s in summary["scales"].items():
    m = s["median"]
    print(f"| {scale} | {num(s['distinct_facts'])} | {num(m['fact_records_per_s'])} "
          f"| {num(m['distinct_facts_per_s'])} | {num(m.get('bytes_per_distinct_fact'), '{:.1f}')} "
          f"| {num(m['peak_rss_mib'], '{:.1f}')} | {num(m['fillseq_keys_per_s'])} "
          f"| {num(s['ratio_to_fillseq'], '{:.2f}×')} | {num(s['kuzu_facts_per_s'])} "
          f"| {num(s['ratio_to_kuzu'], '{:.2f}×')} |")
print(f"\nfull figures: {os.path.join(out, 'summary.json')}")
PY
