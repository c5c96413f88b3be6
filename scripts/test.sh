#!/usr/bin/env bash
# Builds dyad and runs every test (GoogleTest through ctest).
#
#   scripts/test.sh                  # build/ , RelWithDebInfo
#   scripts/test.sh --asan           # build-asan/ , AddressSanitizer + LeakSanitizer
#   scripts/test.sh -DFOO=BAR        # extra arguments go to cmake as they are
#
# Environment: DYAD_BUILD_DIR overrides the build directory.
# -DDYAD_SANITIZE=ON given by hand counts as --asan.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"

asan=0
cmake_args=()
for arg in "$@"; do
  case "$arg" in
    --asan) asan=1 ;;
    -DDYAD_SANITIZE=ON) asan=1 ;;
    -h | --help)
      awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
      exit 0
      ;;
    *) cmake_args+=("$arg") ;;
  esac
done

if [ "$asan" -eq 1 ]; then
  dir="${DYAD_BUILD_DIR:-build-asan}"
  cmake_args+=(-DDYAD_SANITIZE=ON)
  export ASAN_OPTIONS=detect_leaks=1
  export LSAN_OPTIONS="suppressions=$repo/tests/lsan.supp"
else
  dir="${DYAD_BUILD_DIR:-build}"
fi

scripts/setup.sh

# A directory configured before keeps its generator (cmake refuses to switch).
generator=(-G Ninja)
if [ -f "$dir/CMakeCache.txt" ]; then generator=(); fi

cmake -S . -B "$dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${cmake_args[@]}"
cmake --build "$dir" -j2
ctest --test-dir "$dir" --output-on-failure -j2
