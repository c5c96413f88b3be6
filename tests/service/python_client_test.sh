#!/usr/bin/env bash
# Runs the Python example of docs/clients.md (docs/examples/client.py)
# against a fresh `dyad serve` and checks every answer it prints.
#   tests/service/python_client_test.sh DYAD_BINARY SOURCE_DIR
# Exit 0: passed; 77: skipped (no Python gRPC, or nothing to generate the
# stubs with); anything else: failed. PYTHON overrides /usr/bin/python3.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 DYAD_BINARY SOURCE_DIR" >&2
  exit 2
fi
dyad=$1
src=$2
python=${PYTHON:-/usr/bin/python3}
token="python-client-test-token"

skip() {
  echo "SKIP: $*" >&2
  exit 77
}
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

[[ -x $python ]] || skip "no $python"
"$python" -c 'import grpc, google.protobuf' 2>/dev/null ||
  skip "$python cannot import grpc (Debian: apt install python3-grpcio)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dyad-python-client.XXXXXX")
server_pid=
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# The stubs, generated here and never committed: with grpc_tools when its
# protoc knows proto3 `optional` (Debian 12's python3-grpc-tools 1.14 bundles
# protoc 3.5, which does not), else with protoc and grpc_python_plugin.
mkdir "$tmp/stubs"
protos=(proto/dyad/v1/dyad.proto proto/dyad/v1/records.proto)
if (cd "$src" && "$python" -m grpc_tools.protoc -I proto --python_out="$tmp/stubs" \
      --grpc_python_out="$tmp/stubs" "${protos[@]}") 2>"$tmp/grpc_tools.err"; then
  echo "stubs: $python -m grpc_tools.protoc"
elif command -v protoc >/dev/null && command -v grpc_python_plugin >/dev/null; then
  (cd "$src" && protoc -I proto --python_out="$tmp/stubs" --grpc_python_out="$tmp/stubs" \
     --plugin=protoc-gen-grpc_python="$(command -v grpc_python_plugin)" "${protos[@]}")
  echo "stubs: protoc and grpc_python_plugin (grpc_tools failed: $(head -n 1 "$tmp/grpc_tools.err"))"
else
  skip "no stub generator: grpc_tools failed ($(head -n 1 "$tmp/grpc_tools.err")), and" \
       "protoc or grpc_python_plugin is missing (Debian: protobuf-compiler-grpc)"
fi

# A fresh store; port 0, read back from the one JSON line on stdout.
"$dyad" --db "$tmp/db" serve --listen 127.0.0.1:0 --format json --token "$token" --grace 5 \
  >"$tmp/serve.out" 2>"$tmp/serve.err" &
server_pid=$!
port=
for _ in $(seq 200); do
  port=$(sed -n 's/^{"listening":"127\.0\.0\.1:\([0-9][0-9]*\)".*/\1/p' "$tmp/serve.out")
  [[ -n $port ]] && break
  kill -0 "$server_pid" 2>/dev/null || fail "dyad serve exited: $(cat "$tmp/serve.err")"
  sleep 0.1
done
[[ -n $port ]] || fail "dyad serve printed no address in 20 s: $(cat "$tmp/serve.out")"
echo "server: 127.0.0.1:$port"

# Small chunks, so that the LoadFacts stream splits lines between messages.
status=0
PYTHONPATH="$tmp/stubs" timeout 60 "$python" "$src/docs/examples/client.py" \
  "127.0.0.1:$port" --token "$token" --facts "$src/tests/data/seeds/facts.jsonl" \
  --chunk-bytes 4096 --deadline 20 >"$tmp/client.out" 2>"$tmp/client.err" || status=$?
cat "$tmp/client.out"
if [[ $status -ne 0 ]]; then
  cat "$tmp/client.err" >&2
  fail "client.py exited $status"
fi

# The seed answers: 53 records, 27 facts of which 7 have two sources;
# Lavrov to Kayani in 2 hops via Pakistan; Russia-Pakistan 8 events +20.6
# one way, 2 events +5.9 the other; "Moscow" names the country (an alias)
# and the city.
cat >"$tmp/expected.out" <<'EXPECTED'
== LoadFacts facts.jsonl
lines 53, entities 19, facts_added 27, facts_corroborated 7, facts_unchanged 0, committed_lines 53, bad_lines 0
== Paths Sergey Lavrov -> Ashfaq Parvez Kayani
2 hops, 1 path
1. Sergey Lavrov - Pakistan - Ashfaq Parvez Kayani
   Sergey Lavrov PRAISED Pakistan from 2012-10-04 (confidence 0.8, 1 source)
   Ashfaq Parvez Kayani HOLDS_OFFICE Pakistan (confidence 1, 2 sources)
== DyadTimeline Russia - Pakistan by month
period   direction            events  goldstein
2012-01  Russia -> Pakistan        1       +6.4
2012-01  Pakistan -> Russia        1       +4.0
2012-10  Russia -> Pakistan        7      +14.2
2012-10  Pakistan -> Russia        1       +1.9
total    Russia -> Pakistan        8      +20.6
total    Pakistan -> Russia        2       +5.9
== GetFacts Moscow
FAILED_PRECONDITION: "Moscow" names 2 nodes: Country:russia, Location:moscow; qualify it as Label:Name
ErrorInfo code AMBIGUOUS
  candidate Country:russia (Russia)
  candidate Location:moscow (Moscow)
EXPECTED
if ! diff -u "$tmp/expected.out" "$tmp/client.out" >&2; then
  fail "client.py answered otherwise (diff above: - expected, + got)"
fi
kill -0 "$server_pid" 2>/dev/null || fail "dyad serve died: $(cat "$tmp/serve.err")"
echo "PASS"
