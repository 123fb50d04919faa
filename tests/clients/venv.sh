#!/usr/bin/env bash
# Creates (once) and updates tests/clients/.venv with the pinned packages of requirements.txt.
# Used by run.sh here and by the browser test, which starts the stand-in Django apps with it.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
