#!/usr/bin/env bash
# Runs the real-client suite (mozilla-django-oidc, django-lasuite) against the emulator binary
# (target/debug/lasuite-emu, or $LASUITE_EMU_BIN). Creates its own virtualenv and installs the
# pinned packages of requirements.txt, so it works on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")"
./venv.sh
exec .venv/bin/python -m pytest -q "$@"
