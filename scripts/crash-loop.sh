#!/usr/bin/env bash
# Crash loop: N cycles of a load killed with SIGKILL at a random moment,
# embedded and (every other cycle) through `dyad serve`, each followed by
# checks that the store opens, is consistent (`dyad check`), holds every
# chunk the loader acknowledged and nothing of a half chunk, and that
# loading the file again gives the store a load without a crash gives.
# scripts/crash_loop.py says exactly what is checked.
#
#   scripts/crash-loop.sh [N] [--sync] [--records R] [--out DIR] [--bin PATH] [--seed S]
#   scripts/crash-loop.sh --quick       # 10 cycles of a small file (the test suite runs this)
#
#   N          cycles (default 200)
#   --sync     load with --sync: every chunk is fsynced before it is acknowledged
#   --records  records in the generated fact file (default 60000; --quick: 20000)
#   --out      results folder (default build/crash-loop): cycles.jsonl, summary.json,
#              failed-<cycle>/ for the store of a failing cycle
#   --bin      the dyad binary (default: build/bin/dyad, built when missing)
#
# What a kill -9 tests is a crash of the process: the write-ahead log is in
# the kernel's page cache, so without --sync nothing acknowledged is lost.
# A crash of the machine is not simulated; there only --sync guarantees
# the acknowledged chunks (without it, those since the last fsync may go).
# Exit 0 when every cycle passed, 1 otherwise.
set -euo pipefail

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }

repo="$(cd "$(dirname "$0")/.." && pwd)"
cycles=200
records=60000
batches="500,2500,25000"
out="$repo/build/crash-loop"
bin=""
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick)
      cycles=10
      records=20000
      batches="400,2000,12000"
      ;;
    --sync) extra+=(--sync) ;;
    --records)
      records="$2"
      shift
      ;;
    --out)
      out="$2"
      shift
      ;;
    --bin)
      bin="$2"
      shift
      ;;
    --seed)
      extra+=(--seed "$2")
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    [0-9]*) cycles="$1" ;;
    *)
      echo "crash-loop: unknown argument $1" >&2
      usage >&2
      exit 2
      ;;
  esac
  shift
done

if [ -z "$bin" ]; then
  bin="$repo/build/bin/dyad"
  if [ ! -x "$bin" ]; then
    "$repo/scripts/setup.sh"
    cmake -S "$repo" -B "$repo/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$repo/build" -j2 --target dyad
  fi
fi

exec python3 "$repo/scripts/crash_loop.py" "$cycles" --bin "$bin" --out "$out" \
  --records "$records" --batches "$batches" "${extra[@]}"
