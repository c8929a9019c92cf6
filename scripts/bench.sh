#!/usr/bin/env bash
# Benchmarks the object API, the workflow engine and batch jobs against a release build of the
# server it starts itself (on 127.0.0.1, with a temporary data directory). Prints the Markdown
# tables for docs/benchmarks.md; progress goes to stderr.
#
#   scripts/bench.sh [objects|engine|batch|all] [bucketflow-bench options…]
#
# Environment: CARGO_TARGET_DIR (default target/), SCRATCH (parent of the temporary data
# directory; it must be on the disk to measure, default the system temporary directory),
# CORPUS (ImageInspect corpus for `engine` and `batch`, default ../shared/corpus/dev).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
which="${1:-all}"
shift || true

# The bench starts the `bucketflow` built next to it, in the same target directory.
cargo build --release -p bucketflow-bench -p bucketflow-server

common=()
if [[ -n "${SCRATCH:-}" ]]; then
    common+=(--scratch "$SCRATCH")
fi
corpus="${CORPUS:-$repo/../shared/corpus/dev}"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" >&2
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

if [[ "$which" == objects || "$which" == all ]]; then
    cargo run --release -q -p bucketflow-bench -- objects "${common[@]}" "$@"
fi
if [[ "$which" == engine || "$which" == all ]]; then
    [[ "$which" == all ]] && echo
    cargo run --release -q -p bucketflow-bench -- engine --corpus "$corpus" "${common[@]}" "$@"
fi
if [[ "$which" == batch || "$which" == all ]]; then
    [[ "$which" == all ]] && echo
    cargo run --release -q -p bucketflow-bench -- batch --corpus "$corpus" "${common[@]}" "$@"
fi
