#!/usr/bin/env bash
# Builds dyad's libFuzzer targets (tests/fuzz/) with clang, AddressSanitizer
# and UndefinedBehaviorSanitizer (-DDYAD_FUZZ=ON) and runs each over its
# corpus, one target after another. docs/fuzzing.md says what each checks.
#
#   scripts/fuzz.sh                        # every target 10 minutes (a long run)
#   scripts/fuzz.sh --minutes 30           # every target 30 minutes
#   scripts/fuzz.sh --quick                # every target about 10 s (the test suite's run)
#   scripts/fuzz.sh --targets fuzz_names --minutes 5
#
#   --minutes N    how long each target runs (default 10)
#   --quick        10 s per target, from the seed corpus alone
#   --targets "…"  among fuzz_fact_line fuzz_names fuzz_records fuzz_store_records (default all)
#   --build-dir D  the clang build (default build-fuzz in the repo; also DYAD_FUZZ_BUILD_DIR)
#   --build-only   configure and build the targets, run nothing
#   --no-build     run the targets D holds already (build them yourself, e.g. under a lock)
#
# Only the fuzz targets and the libraries they need are built. Scratch
# stores and images go to $TMPDIR (default /dev/shm when writable). A target
# starts from its seed corpus, tests/fuzz/corpus/<target>/ (read, never
# written), and a scratch corpus, D/fuzz-corpus/<target>/, where long runs
# keep the new inputs they find across runs (--quick uses a fresh one, so
# that its runs are alike). Nothing goes into the repository by itself:
# copy an input worth keeping into the seed corpus by hand, and a crash,
# once fixed, as corpus/<target>/crash-<what> beside a regression test.
#
# A crash, leak, timeout or failed check stops that target and is saved as
# D/fuzz-artifacts/<target>/crash-… (or leak-…, timeout-…; an input slower
# than 10 s is kept as slow-unit-… and reported, not failed); the log of each
# run is D/fuzz-logs/<target>.log. Each run appends one JSON line to
# D/fuzz-report/<target>.jsonl (target, mode, seconds, executions,
# exec_per_s, new_units, corpus_files, crashes, slow_units, artifacts) and a markdown
# table of the runs goes to stdout.
#
# Exit 0 when no target crashed, 1 when one did (after running the rest),
# 77 when clang or libFuzzer's runtime is missing (the test suite skips).
set -euo pipefail

die() {
  echo "fuzz: $*" >&2
  exit 1
}
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }

repo="$(cd "$(dirname "$0")/.." && pwd)"
all_targets="fuzz_fact_line fuzz_names fuzz_records fuzz_store_records"
targets="$all_targets"
minutes=10
quick=0
build=1
run=1
dir="${DYAD_FUZZ_BUILD_DIR:-$repo/build-fuzz}"
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes | --targets | --build-dir)
      [ $# -ge 2 ] || { usage >&2; die "$1 needs a value"; }
      case "$1" in
        --minutes) minutes="$2" ;;
        --targets) targets="$2" ;;
        --build-dir) dir="$2" ;;
      esac
      shift 2
      ;;
    --quick)
      quick=1
      shift
      ;;
    --build-only)
      run=0
      shift
      ;;
    --no-build)
      build=0
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

[[ "$minutes" =~ ^[1-9][0-9]*$ ]] || die "--minutes wants a positive integer, got '$minutes'"
for t in $targets; do
  case " $all_targets " in *" $t "*) ;; *) die "unknown target '$t' ($all_targets)" ;; esac
done
case "$dir" in /*) ;; *) dir="$PWD/$dir" ;; esac
seconds=$((minutes * 60))
mode="long"
if [ "$quick" -eq 1 ]; then
  seconds=10
  mode="quick"
fi
cd "$repo"

# clang with libFuzzer's runtime (Debian: clang, libclang-rt-14-dev).
cxx="${DYAD_FUZZ_CXX:-clang++}"
if ! command -v "$cxx" >/dev/null; then
  echo "fuzz: $cxx not found; install clang and libclang-rt-14-dev (scripts/setup.sh)" >&2
  exit 77
fi
probe="$(mktemp -d)"
trap 'rm -rf "$probe"' EXIT
printf '%s\n' '#include <cstddef>' '#include <cstdint>' \
  'extern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }' >"$probe/probe.cc"
if ! "$cxx" -fsanitize=fuzzer,address,undefined "$probe/probe.cc" -o "$probe/probe" 2>"$probe/err"; then
  echo "fuzz: $cxx cannot link a libFuzzer target (is libclang-rt-14-dev installed?):" >&2
  cat "$probe/err" >&2
  exit 77
fi

if [ "$build" -eq 1 ]; then
  echo "fuzz: building $targets in $dir" >&2
  generator=(-G Ninja)
  if [ -f "$dir/CMakeCache.txt" ]; then generator=(); fi
  # Line tables are all a sanitizer's stack trace needs, and build much
  # faster than full debug information.
  cmake -S . -B "$dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -gline-tables-only -DNDEBUG" \
    -DCMAKE_CXX_COMPILER="$cxx" -DDYAD_FUZZ=ON >&2
  # shellcheck disable=SC2086 # one --target per word
  cmake --build "$dir" -j2 $(printf -- '--target %s ' $targets) >&2
fi
[ "$run" -eq 1 ] || exit 0

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
# The record targets write scratch stores and images; in memory when possible.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then export TMPDIR=/dev/shm; fi
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
mkdir -p "$dir/fuzz-report" "$dir/fuzz-logs"
crashed=0
rows=()
for t in $targets; do
  bin="$dir/bin/$t"
  [ -x "$bin" ] || die "$bin is missing (build it, or drop --no-build)"
  seeds="$repo/tests/fuzz/corpus/$t"
  scratch="$dir/fuzz-corpus/$t"
  if [ "$quick" -eq 1 ]; then
    scratch="$dir/fuzz-quick-corpus/$t"
    rm -rf "$scratch"
  fi
  artifacts="$dir/fuzz-artifacts/$t"
  log="$dir/fuzz-logs/$t.log"
  mkdir -p "$scratch" "$artifacts"
  find "$artifacts" -type f | sort >"$probe/before"
  extra=()
  if [ -f "$repo/tests/fuzz/$t.dict" ]; then extra+=(-dict="$repo/tests/fuzz/$t.dict"); fi
  # Opening a store allocates for good (caches, threads), so libFuzzer's
  # leak check after each input would scan the heap every time and halve
  # the rate; LeakSanitizer still checks the whole run when it exits.
  if [ "$t" = fuzz_store_records ]; then extra+=(-detect_leaks=0); fi
  echo "fuzz: $t for ${seconds} s (log: $log)" >&2
  start=$(date +%s)
  rc=0
  "$bin" -max_total_time="$seconds" -timeout=30 -print_final_stats=1 \
    -error_exitcode=1 -timeout_exitcode=1 -artifact_prefix="$artifacts/" "${extra[@]}" \
    "$scratch" "$seeds" >"$log" 2>&1 || rc=$?
  elapsed=$(($(date +%s) - start))
  find "$artifacts" -type f | sort >"$probe/after"
  new_artifacts="$(comm -13 "$probe/before" "$probe/after")"
  stat() { awk -v k="stat::$1:" '$1 == k { print $2 }' "$log" | tail -n 1; }
  execs="$(stat number_of_executed_units)"
  rate="$(stat average_exec_per_sec)"
  new_units="$(stat new_units_added)"
  corpus_files=$(($(find "$scratch" -type f | wc -l) + $(find "$seeds" -type f | wc -l)))
  # libFuzzer also saves inputs slower than 10 s (slow-unit-…): reported, not failures.
  crashes=$(printf '%s' "$new_artifacts" | grep -cE '/(crash|leak|timeout|oom)-' || true)
  slow_units=$(printf '%s' "$new_artifacts" | grep -c '/slow-unit-' || true)
  if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; fi # e.g. an out-of-memory kill
  if [ "$crashes" -gt 0 ]; then
    crashed=1
    echo "fuzz: $t FAILED (exit $rc); see $log and $artifacts/" >&2
    tail -n 40 "$log" >&2
  fi
  python3 - "$dir/fuzz-report/$t.jsonl" "$t" "$mode" "$elapsed" "${execs:-0}" "${rate:-0}" \
    "${new_units:-0}" "$corpus_files" "$crashes" "$slow_units" "$new_artifacts" <<'EOF'
import datetime, json, sys
path, target, mode, secs, execs, rate, new, corpus, crashes, slow, artifacts = sys.argv[1:]
row = {"target": target, "mode": mode, "seconds": int(secs), "executions": int(execs),
       "exec_per_s": int(rate), "new_units": int(new), "corpus_files": int(corpus),
       "crashes": int(crashes), "slow_units": int(slow),
       "artifacts": [a for a in artifacts.split("\n") if a],
       "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
with open(path, "a") as f:
    f.write(json.dumps(row) + "\n")
EOF
  rows+=("| $t | $elapsed | ${execs:-0} | ${rate:-0} | ${new_units:-0} | $corpus_files | $crashes |")
done

echo "| target | seconds | executions | exec/s | new units | corpus files | crashes |"
echo "|---|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
exit "$crashed"
