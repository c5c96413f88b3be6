#!/usr/bin/env bash
# Measures `dyad export` of whole stores built from generated graphs: wall
# time, facts/s and the process's resident memory sampled while it runs,
# next to the same binary's idle memory measured in the same run (the
# targets.md row "export at L: constant memory (RSS within 10% of idle),
# >= 500k facts/s").
#
#   scripts/bench-export.sh [--scales "M L"] [--formats "..."] [--runs 3] [--out DIR] [--bin PATH]
#   scripts/bench-export.sh --quick        # scale XS, one run (a smoke test)
#
#   --scales   gen_facts.py presets among XS S M L (default "M L")
#   --formats  among graphml dot cytoscape jsonl csv (default all five)
#   --runs     exports per format and scale; medians are reported (default 3)
#   --out      results folder (default build/bench-results/export): stores/<scale>/ holds
#              the loaded store (reused when present), summary.json the figures; a
#              markdown table goes to stdout. The generated input is shared with
#              bench-load.sh (build/bench-results/load/data/<scale>, reused when present).
#   --bin      a dyad binary to measure instead of building build-release/bin/dyad
#
# Two processes are measured for each export:
#   - the command line, `dyad export --db STORE` (output to /dev/null; CSV
#     into a scratch directory): its peak RSS against the idle RSS of
#     `dyad stats` on the same store (the process with the store open);
#   - a server, `dyad serve`, exporting to a `dyad export --server` client:
#     the server's peak RSS during the export against its own RSS before,
#     idle after answering one `stats` call (its first call starts gRPC's
#     threads, about 13 MB at L; the RSS before any call is in summary.json
#     as server_rss_before_calls_kb).
# A command's peak RSS is its high-water mark as the kernel counts it (wait4's
# ru_maxrss); the server's is read from /proc/PID/status every 20 ms. facts/s
# is the store's facts over the wall time of the exporting command.
set -euo pipefail

die() {
  echo "bench-export: $*" >&2
  exit 1
}
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }

repo="$(cd "$(dirname "$0")/.." && pwd)"
scales="M L"
formats="graphml dot cytoscape jsonl csv"
runs=3
quick=0
out="$repo/build/bench-results/export"
bin="${DYAD_BIN:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --scales | --formats | --runs | --out | --bin)
      [ $# -ge 2 ] || { usage >&2; die "$1 needs a value"; }
      case "$1" in
        --scales) scales="$2" ;;
        --formats) formats="$2" ;;
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
      die "unknown argument '$1'"
      ;;
  esac
done

[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive integer, got '$runs'"
for s in $scales; do
  case "$s" in XS | S | M | L) ;; *) die "unknown scale '$s' (XS S M L)" ;; esac
done
for f in $formats; do
  case "$f" in graphml | dot | cytoscape | jsonl | csv) ;; *) die "unknown format '$f'" ;; esac
done
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
if [ -n "$bin" ]; then
  case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
fi
cd "$repo"

command -v python3 >/dev/null || die "python3 not found"
shared="${DYAD_SHARED:-$repo/../shared}"
gen="$shared/bench/gen_facts.py"
if [ ! -f "$gen" ]; then
  echo "bench-export: $gen not found: this benchmark needs the project's shared folder (set DYAD_SHARED)" >&2
  [ "$quick" -eq 1 ] && exit 77 # ctest's SKIP_RETURN_CODE for the smoke test
  exit 1
fi

if [ -z "$bin" ]; then
  echo "bench-export: building dyad (Release) in build-release/" >&2
  generator=(-G Ninja)
  if [ -f build-release/CMakeCache.txt ]; then generator=(); fi
  cmake -S . -B build-release "${generator[@]}" -DCMAKE_BUILD_TYPE=Release >&2
  cmake --build build-release -j2 --target dyad >&2
  bin="$repo/build-release/bin/dyad"
fi
[ -x "$bin" ] || die "$bin is not an executable"

data_root="$repo/build/bench-results/load/data"
[ "$quick" -eq 1 ] && data_root="$out/data"
mkdir -p "$out"
for scale in $scales; do
  data="$data_root/$scale"
  if [ ! -f "$data/meta.json" ] || [ ! -f "$data/facts.jsonl" ]; then
    echo "bench-export: generating scale $scale into $data" >&2
    rm -rf "$data.tmp"
    mkdir -p "$(dirname "$data")"
    python3 "$gen" --scale "$scale" --out "$data.tmp" >/dev/null
    rm -rf "$data"
    mv "$data.tmp" "$data"
  fi
  store="$out/stores/$scale"
  if [ ! -f "$store/.loaded" ]; then
    echo "bench-export: loading scale $scale into $store" >&2
    rm -rf "$store"
    mkdir -p "$(dirname "$store")"
    "$bin" load --db "$store" "$data/facts.jsonl" --format json >/dev/null
    touch "$store/.loaded"
  fi
done

python3 - "$bin" "$out" "$runs" "$scales" "$formats" <<'EOF'
import atexit, json, os, signal, statistics, subprocess, sys, tempfile, time

dyad, out, runs, scales, formats = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].split(), sys.argv[5].split()


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def watch(args, pid_to_watch=None, stdout=subprocess.DEVNULL):
    """Runs args to the end; returns (seconds, peak RSS kB): of pid_to_watch (a server), sampled
    every 20 ms, or else of the command itself, its high-water mark as the kernel counted it
    (a query-only open makes `dyad stats` end within two samples, the first of which saw a
    process not yet loaded)."""
    start = time.monotonic()
    p = subprocess.Popen(args, stdout=stdout, stderr=subprocess.PIPE)
    peak = 0
    while True:
        pid, status, usage = os.wait4(p.pid, os.WNOHANG)
        if pid != 0:
            break
        if pid_to_watch is not None:
            peak = max(peak, rss_kb(pid_to_watch))
        time.sleep(0.02)
    p.returncode = os.waitstatus_to_exitcode(status)
    if pid_to_watch is None:
        peak = usage.ru_maxrss  # kB on Linux
    seconds = time.monotonic() - start
    err = p.stderr.read().decode()
    if p.returncode != 0:
        sys.exit(f"bench-export: {' '.join(args)} failed ({p.returncode}): {err}")
    return seconds, peak


def stats_of(store):
    return json.loads(subprocess.run([dyad, "stats", "--db", store, "--format", "json"],
                                     check=True, capture_output=True).stdout)


def export_args(fmt, scratch):
    return ["export", "--to", fmt] + (["--out", scratch] if fmt == "csv" else [])


servers = []


def stop_servers():
    for p in servers:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=120)


def serve(store):
    log = tempfile.TemporaryFile()
    p = subprocess.Popen([dyad, "--db", store, "serve", "--listen", "127.0.0.1:0", "--format", "json",
                          "--log", "error"], stdout=subprocess.PIPE, stderr=log)
    servers.append(p)
    line = p.stdout.readline().decode()
    if not line:
        sys.exit("bench-export: dyad serve did not start")
    return p, json.loads(line)["listening"]


atexit.register(stop_servers)
summary = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "loadavg_start": open("/proc/loadavg").read().split()[:3], "runs": runs, "scales": {}}
rows = []
for scale in scales:
    store = os.path.join(out, "stores", scale)
    facts = stats_of(store)["facts"]
    idle = statistics.median(watch([dyad, "stats", "--db", store, "--format", "json"])[1]
                             for _ in range(3))
    cli = {fmt: [] for fmt in formats}  # the command line first: a server holds the store
    for fmt in formats:
        for _ in range(runs):
            with tempfile.TemporaryDirectory() as scratch:
                cli[fmt].append(watch([dyad, "--db", store] + export_args(fmt, scratch)))
    server, address = serve(store)
    time.sleep(1.0)
    server_before_calls = rss_kb(server.pid)
    subprocess.run([dyad, "stats", "--server", address, "--format", "json"], check=True,
                   stdout=subprocess.DEVNULL)
    time.sleep(1.0)
    server_idle = rss_kb(server.pid)
    per_format = {}
    for fmt in formats:
        srv = []
        for _ in range(runs):
            with tempfile.TemporaryDirectory() as scratch:
                srv.append(watch([dyad, "--server", address] + export_args(fmt, scratch),
                                 pid_to_watch=server.pid))
        cli_runs = cli[fmt]
        seconds = statistics.median(s for s, _ in cli_runs)
        server_seconds = statistics.median(s for s, _ in srv)
        per_format[fmt] = {
            "seconds": round(seconds, 3), "facts_per_s": round(facts / seconds),
            "peak_rss_kb": max(r for _, r in cli_runs),
            "rss_vs_idle": round(max(r for _, r in cli_runs) / idle, 3),
            "server_seconds": round(server_seconds, 3),
            "server_facts_per_s": round(facts / server_seconds),
            "server_peak_rss_kb": max(r for _, r in srv),
            "server_rss_vs_idle": round(max(r for _, r in srv) / server_idle, 3),
        }
        f = per_format[fmt]
        rows.append(f"| {scale} | {fmt} | {f['seconds']:.2f} | {f['facts_per_s']:,} | "
                    f"{f['peak_rss_kb'] / 1024:.1f} / {idle / 1024:.1f} = {f['rss_vs_idle']:.2f} | "
                    f"{f['server_facts_per_s']:,} | {f['server_peak_rss_kb'] / 1024:.1f} / "
                    f"{server_idle / 1024:.1f} = {f['server_rss_vs_idle']:.2f} |")
    stop_servers()
    summary["scales"][scale] = {"facts": facts, "idle_rss_kb": idle, "server_idle_rss_kb": server_idle,
                                "server_rss_before_calls_kb": server_before_calls,
                                "formats": per_format}
summary["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
with open(os.path.join(out, "summary.json"), "w") as f:
    json.dump(summary, f, indent=1)
print(f"dyad export, {summary['date']}, load average {' '.join(summary['loadavg_start'])} -> "
      f"{' '.join(summary['loadavg_end'])}, median of {runs} run(s)\n")
print("| scale | format | CLI s | CLI facts/s | CLI peak RSS / idle MB | server facts/s | "
      "server peak RSS / idle MB |")
print("|---|---|---|---|---|---|---|")
print("\n".join(rows))
EOF
