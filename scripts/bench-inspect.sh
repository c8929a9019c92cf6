#!/usr/bin/env bash
# Benchmarks the ImageInspect detector against binwalk 3 and plain reading, on one core, with
# the corpus files in the page cache. Prints the tables for docs/benchmarks.md.
#
#   scripts/bench-inspect.sh [CORPUS_DIR]
#
# Environment: TOOLS_DIR (where binwalk is installed, default /work/tools), ROUNDS (passes of
# the fast measurements, default 20), CPU (core to pin to, default 0), CARGO_TARGET_DIR.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
corpus="${1:-$repo/../shared/corpus/dev}"
tools="${TOOLS_DIR:-/work/tools}"
binwalk="$tools/bin/binwalk"

# binwalk 3 from crates.io, kept outside the repository.
if [[ ! -x "$binwalk" ]]; then
    cargo install binwalk --locked --root "$tools"
fi

cd "$repo"
cargo build --release -p bucketflow-inspect --example bench
bench="${CARGO_TARGET_DIR:-$repo/target}/release/examples/bench"

# One core for every tool; taskset is used when present.
pin=()
if command -v taskset >/dev/null; then
    pin=(taskset -c "${CPU:-0}")
fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "binwalk: $("$binwalk" --version)"
"${pin[@]}" "$bench" "$corpus" --binwalk "$binwalk" --rounds "${ROUNDS:-20}"
