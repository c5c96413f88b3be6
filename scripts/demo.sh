#!/usr/bin/env bash
# Builds the dyad command-line tool, loads the seed facts (two 2012 news
# reports of the same Russia–Pakistan visit) into a fresh store, asks it a
# few questions and draws two pictures into build/demo/: the seed graph
# (through Graphviz's dot) and the Russia–Pakistan timeline. Run from
# anywhere: scripts/demo.sh
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

# The pictures: the whole seed graph as DOT, drawn by Graphviz (setup.sh
# installs Debian's graphviz; without it the demo says so and goes on), and
# the timeline above as dyad's own SVG chart (its table, shown above, is
# dropped). Pictures of an earlier run go first, so none is left stale.
pictures=build/demo
mkdir -p "$pictures"
rm -f "$pictures/seed-graph.svg" "$pictures/russia-pakistan.svg"
drawn=()
if command -v dot >/dev/null 2>&1; then
  printf '\n$ %s export --to dot --db %s | dot -Tsvg -o %s\n' "$dyad" "$store" \
    "$pictures/seed-graph.svg"
  "$dyad" export --to dot --db "$store" | dot -Tsvg -o "$pictures/seed-graph.svg"
  drawn+=("$repo/$pictures/seed-graph.svg  (the seed graph)")
else
  echo "demo: Graphviz's dot is not installed (Debian package graphviz), so the seed graph is" \
    "not drawn; '$dyad export --to dot --db $store' still prints it as DOT" >&2
fi
printf '\n$ %s dyad Russia Pakistan --db %s --plot %s >/dev/null\n' "$dyad" "$store" \
  "$pictures/russia-pakistan.svg"
"$dyad" dyad Russia Pakistan --db "$store" --plot "$pictures/russia-pakistan.svg" >/dev/null
drawn+=("$repo/$pictures/russia-pakistan.svg  (the Russia–Pakistan timeline)")

printf '\nPictures (open them in a browser):\n'
printf '  %s\n' "${drawn[@]}"
