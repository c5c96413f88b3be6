#!/usr/bin/env bash
# Installs dyad's build and test dependencies from Debian 12 packages.
# Idempotent: runs `apt-get update` only when a package is missing, and
# installs nothing when everything is present. Safe to run twice.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git python3
  librocksdb-dev rocksdb-tools
  libboost-graph-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libgtest-dev libgmock-dev libbenchmark-dev
  libsimdjson-dev libutf8proc-dev libcli11-dev libfmt-dev libjemalloc-dev libabsl-dev
  python3-grpcio python3-grpc-tools openssl
  graphviz python3-networkx
  clang-format time libxml2-utils
  clang libclang-rt-14-dev  # scripts/fuzz.sh: libFuzzer and the sanitizers' runtimes
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
