#!/usr/bin/env bash
# The whole test suite, from a clean checkout: Rust tests, then the official Python COS SDK
# (tests/sdk) driving the release binary. Needs a Rust toolchain and Python 3.11, nothing else.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

target_dir="${CARGO_TARGET_DIR:-target}"
[[ "$target_dir" = /* ]] || target_dir="$PWD/$target_dir"

# Rust tests run in the release profile so that they share every compiled dependency with the
# binary the SDK suite needs; overflow checks and debug assertions stay on for both.
export CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS=true
export CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS=true

cargo build --release --bin bucketflow
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --release
else
    cargo test --workspace --release
fi

# Python environment: created once, reinstalled only when the pinned requirements change.
requirements=tests/sdk/requirements.txt
if [[ ! -x .venv/bin/python ]]; then
    "${PYTHON:-python3}" -m venv .venv
fi
if ! cmp -s "$requirements" .venv/requirements.installed; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" .venv/requirements.installed
fi

status=0
BUCKETFLOW_BIN="$target_dir/release/bucketflow" .venv/bin/python -m pytest tests/sdk \
    || status=$?
if [[ $status -eq 5 ]]; then
    echo "test.sh: pytest collected no tests in tests/sdk" >&2
fi
exit "$status"
