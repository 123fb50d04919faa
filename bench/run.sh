#!/usr/bin/env bash
# `just bench`: builds the release binary, installs the load tools (wrk, curl) and the peers
# measured in the same run (moto in its own venv, the Node oauth2-mock-server in bench/node),
# and prints the benchmark table.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null || ! command -v curl >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk curl >/dev/null
fi
if [ ! -x bench/.venv/bin/moto_server ]; then
    python3 -m venv bench/.venv
    bench/.venv/bin/pip install --quiet --disable-pip-version-check 'moto[server]==5.2.5'
fi
if [ ! -x bench/node/node_modules/.bin/oauth2-mock-server ] && command -v npm >/dev/null; then
    (cd bench/node && npm ci --silent --no-audit --no-fund)
fi
cargo build --release
PATH="$PWD/bench/.venv/bin:$PATH" bench/.venv/bin/python bench/bench.py --binary target/release/lasuite-emu "$@"
