#!/usr/bin/env bash
# Soak test: one `dyad serve` on 127.0.0.1 under 32 concurrent gRPC clients
# for 10 minutes: 4 stream LoadFacts chunks (cycling through 100,000 facts,
# so that the store stops growing after the first pass), 28 ask a mix of
# Neighbourhood, Paths, DyadTimeline, GetFacts, Find and Stats, each with a
# 5 s deadline (tests/bench/soak.cc). The server's RSS is sampled every
# second. Reports RSS over time (at the end of the warm-up, its peak after,
# at the end), errors by status code, and p50/p99 latency per call kind.
#
#   scripts/soak.sh [--duration-s 600] [--warmup-s 120] [--clients 32] [--out DIR] [--bin DIR]
#   scripts/soak.sh --quick       # 20 s, 5 s warm-up (the test suite runs this)
#
#   --out   results folder (default build/soak): soak.json (the clients' report),
#           rss.csv (seconds, RSS in MiB), summary.json, server.log
#   --bin   a folder holding dyad and dyad_soak (default: build/bin, built when missing);
#           they are copied first, so that a rebuild during the run cannot mix two builds
#
# Exit 1 when a call failed (no error is expected: 4 loaders stay below the
# server's 8 loads) or the server did not stop cleanly on SIGTERM. RSS
# growth after the warm-up (the last minute's mean RSS against the first
# minute's after the warm-up) is reported, and fails a run of at least 5
# minutes when it exceeds 20%.
set -euo pipefail

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }

repo="$(cd "$(dirname "$0")/.." && pwd)"
duration=600
warmup=120
clients=32
out="$repo/build/soak"
bindir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick)
      duration=20
      warmup=5
      ;;
    --duration-s) duration="$2"; shift ;;
    --warmup-s) warmup="$2"; shift ;;
    --clients) clients="$2"; shift ;;
    --out) out="$2"; shift ;;
    --bin) bindir="$2"; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "soak: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

if [ -z "$bindir" ]; then
  bindir="$repo/build/bin"
  if [ ! -x "$bindir/dyad" ] || [ ! -x "$bindir/dyad_soak" ]; then
    "$repo/scripts/setup.sh"
    cmake -S "$repo" -B "$repo/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$repo/build" -j2 --target dyad dyad_soak
  fi
fi

rm -rf "$out"
mkdir -p "$out/bin"
cp "$bindir/dyad" "$bindir/dyad_soak" "$out/bin/"

server_pid=""
sampler_pid=""
cleanup() {
  [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null || true
  [ -n "$server_pid" ] && kill -9 "$server_pid" 2>/dev/null || true
}
trap cleanup EXIT

coproc SERVER { exec "$out/bin/dyad" --db "$out/store" --format json serve --listen 127.0.0.1:0 \
  --log error 2>"$out/server.log"; }
server_pid=$SERVER_PID
read -r -t 30 listening <&"${SERVER[0]}" || { echo "soak: the server did not start" >&2; exit 1; }
address=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["listening"])' "$listening")

# RSS every second, from /proc, as "seconds,MiB".
(
  start=$(date +%s%N)
  while kill -0 "$server_pid" 2>/dev/null; do
    kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$server_pid/status" 2>/dev/null || true)
    if [ -n "$kb" ]; then
      awk -v now="$(date +%s%N)" -v start="$start" -v kb="$kb" \
        'BEGIN { printf "%.1f,%.1f\n", (now - start) / 1e9, kb / 1024 }'
    fi
    sleep 1
  done
) >"$out/rss.csv" &
sampler_pid=$!

echo "soak: $clients clients on $address for ${duration} s (warm-up ${warmup} s)" >&2
"$out/bin/dyad_soak" --server "$address" --clients "$clients" --duration-s "$duration" \
  --warmup-s "$warmup" >"$out/soak.json"

kill -TERM "$server_pid"
server_exit=0
wait "$server_pid" || server_exit=$?
server_pid=""
sleep 1.2
kill "$sampler_pid" 2>/dev/null || true
sampler_pid=""

python3 - "$out" "$warmup" "$duration" "$server_exit" <<'PY'
import csv, json, sys
out, warmup, duration, server_exit = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
soak = json.load(open(f"{out}/soak.json"))
rss = [(float(t), float(m)) for t, m in csv.reader(open(f"{out}/rss.csv"))]
# While the clients run (the samples after them are the shutdown's).
running = [(t, m) for t, m in rss if t <= duration]
after = [m for t, m in running if t >= warmup]
at_warmup = after[0] if after else None
def window_mean(first, last):
    v = [m for t, m in running if first <= t < last]
    return sum(v) / len(v) if v else None
minutes = [{"from_s": a, "mean_mib": round(window_mean(a, a + 60), 1),
            "max_mib": max(m for t, m in running if a <= t < a + 60)}
           for a in range(0, int(duration), 60) if window_mean(a, a + 60) is not None]
summary = {
    "clients": soak["clients"], "duration_s": duration, "warmup_s": warmup,
    "calls": sum(k["calls"] for k in soak["kinds"].values()),
    "errors": soak["errors"], "errors_by_code": soak["errors_by_code"],
    "error_examples": soak["error_examples"],
    "facts_streamed": soak["facts_streamed"],
    "rss_mib": {"start": rss[0][1] if rss else None, "end_of_warmup": at_warmup,
                "peak_after_warmup": max(after) if after else None,
                "end": after[-1] if after else None},
    "kinds": soak["kinds"],
    "server_exit": server_exit,
}
# Growth: the mean of the last minute against the mean of the first
# minute after the warm-up (single samples swing with each load's buffers).
growth = None
first = window_mean(warmup, warmup + 60)
last = window_mean(duration - 60, duration + 1)
if first and last and duration - 60 >= warmup:
    growth = (last - first) / first
summary["rss_per_minute"] = minutes
summary["rss_growth_after_warmup"] = round(growth, 4) if growth is not None else None
json.dump(summary, open(f"{out}/summary.json", "w"), indent=2)
print(json.dumps(summary, indent=2))
failed = []
if soak["errors"]:
    failed.append(f"{soak['errors']} calls failed")
if server_exit != 0:
    failed.append(f"the server exited {server_exit} on SIGTERM")
if growth is not None and duration >= 300 and growth > 0.20:
    failed.append(f"RSS grew {growth:.0%} after the warm-up")
if failed:
    print("soak: FAILED: " + "; ".join(failed), file=sys.stderr)
    sys.exit(1)
PY
