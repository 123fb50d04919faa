#!/usr/bin/env bash
# `just bench`: builds the release binary, installs the load tools (wrk, curl; moto for the
# comparison, in its own venv) and prints the benchmark table.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null || ! command -v curl >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk curl >/dev/null
fi
if [ ! -x bench/.venv/bin/moto_server ]; then
    python3 -m venv bench/.venv
    bench/.venv/bin/pip install --quiet --disable-pip-version-check 'moto[server]==5.2.5'
fi
cargo build --release
PATH="$PWD/bench/.venv/bin:$PATH" python3 bench/bench.py --binary target/release/lasuite-emu "$@"
