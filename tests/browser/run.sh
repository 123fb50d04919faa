#!/usr/bin/env bash
# Runs the real-browser suite: headless Debian Chromium, driven by playwright-core (pinned in
# package.json / package-lock.json), against the emulator binary (target/debug/lasuite-emu, or
# $LASUITE_EMU_BIN; build it first with `cargo build`). Installs Debian's chromium if it is
# missing (never a Playwright browser download), then the node packages, then runs
# `node --test`; exits non-zero when a test fails. Screenshots and the emulator's log go to
# target/browser/. The whole-flow test also needs python3 (for tests/clients/.venv).
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x /usr/bin/chromium ]; then
    echo "== installing Debian's chromium"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq >/dev/null
    $SUDO apt-get install -y -qq chromium >/dev/null
fi

# tls.test.mjs puts the emulator's CA in an NSS database (what Chromium trusts) with certutil.
if ! command -v certutil >/dev/null; then
    echo "== installing Debian's libnss3-tools (certutil)"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq >/dev/null
    $SUDO apt-get install -y -qq libnss3-tools >/dev/null
fi

# The stand-in Django apps of apps.test.mjs run in the real-client suite's virtualenv.
../clients/venv.sh

# playwright-core downloads no browser on install; this keeps it that way for other tools too.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
npm ci --silent --no-audit --no-fund

exec node --test "$@"
