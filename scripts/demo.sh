#!/usr/bin/env bash
# Builds the dyad command-line tool, loads the seed facts (two 2012 news
# reports of the same Russia–Pakistan visit) into a fresh store and asks it a
# few questions. Run from anywhere: scripts/demo.sh
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"

scripts/setup.sh

# build/ is shared with scripts/test.sh: a directory configured before keeps
# its generator and build type; a fresh one is configured as Release.
if [ -f build/CMakeCache.txt ]; then
  cmake -S . -B build
else
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
cmake --build build -j2 --target dyad

store=build/demo-store
rm -rf "$store"

# Prints a command as a shell prompt line, then runs it.
run() {
  local line='$' arg
  for arg in "$@"; do
    if [[ "$arg" =~ [^A-Za-z0-9_./:=-] ]]; then line+=" \"$arg\""; else line+=" $arg"; fi
  done
  printf '\n%s\n' "$line"
  "$@"
}

dyad=build/bin/dyad
run "$dyad" load --db "$store" tests/data/seeds/facts.jsonl --format table
run "$dyad" stats --db "$store" --format table
run "$dyad" find Kiani --db "$store" --format table
run "$dyad" facts "Ashfaq Parvez Kayani" --db "$store" --format table

# "Moscow" names both the city (Location:Moscow) and Russia (an alias), so
# dyad lists both candidates and exits 5, "ambiguous name" (cli.md). That is
# the answer we want to show; any other exit code is a failure.
rc=0
run "$dyad" find Moscow --db "$store" --format table || rc=$?
if [ "$rc" -ne 5 ]; then
  echo "demo: 'dyad find Moscow' exited $rc; expected 5 (ambiguous name)" >&2
  exit 1
fi
echo "(exit 5: ambiguous name; ask for Location:Moscow or Country:Moscow)"

# The graph questions: who links India to the city of Moscow, who is within
# one hop of Pakistan, and how Russia and Pakistan dealt with each other.
run "$dyad" path India Location:Moscow --all --db "$store" --format table
run "$dyad" neighbours Pakistan --depth 1 --db "$store" --format table
run "$dyad" dyad Russia Pakistan --by month --db "$store" --format table
