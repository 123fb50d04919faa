"""A pytest fixture that runs lasuite-emu for a test session and resets it between tests.

Copy this file into your test suite. It needs the `lasuite-emu` binary on PATH (or in
LASUITE_EMU_BIN) and `requests`.
"""

import json
import os
import signal
import subprocess
import tempfile
import time

import pytest
import requests


@pytest.fixture(scope="session")
def lasuite_emu():
    """Starts the emulator on a free port; yields its base URL; stops it at the end."""
    binary = os.environ.get("LASUITE_EMU_BIN", "lasuite-emu")
    with tempfile.TemporaryDirectory() as tmp:
        ready = os.path.join(tmp, "ready.json")
        process = subprocess.Popen(
            [binary, "serve", "--listen", "127.0.0.1:0", "--ephemeral", "--ready-file", ready],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not os.path.exists(ready):
            if process.poll() is not None:
                raise RuntimeError(f"lasuite-emu exited with {process.returncode}")
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("lasuite-emu did not become ready within 10 s")
            time.sleep(0.01)
        with open(ready) as f:
            url = json.load(f)["url"]
        try:
            yield url
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=10)


@pytest.fixture
def emu(lasuite_emu):
    """The emulator, reset to its fixture state before each test."""
    requests.post(f"{lasuite_emu}/_emu/reset", timeout=5).raise_for_status()
    return lasuite_emu


def mint_token(url, client_id="docs", username="alice", **extra):
    """An access token for `username` as `client_id` (see docs/admin-api.md)."""
    body = {"client_id": client_id, "username": username, **extra}
    answer = requests.post(f"{url}/_emu/tokens", json=body, timeout=5)
    answer.raise_for_status()
    return answer.json()["access_token"]
