"""The two stand-in apps (``apps/``) as processes: each is configured by writing the block that
``lasuite-emu env docs|drive --url EMU --app-url APP`` prints to an env file, and nothing else.

``python standins.py --emulator URL`` starts both against a running emulator and prints their
URLs (the browser test uses it)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests

CLIENTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = CLIENTS_DIR.parent.parent
START_TIMEOUT = 30  # seconds: migrations plus Django's startup on a busy machine


def emulator_binary() -> Path:
    return Path(os.environ.get("LASUITE_EMU_BIN", REPO_ROOT / "target" / "debug" / "lasuite-emu"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def env_block(app: str, emulator_url: str, app_url: str, *extra: str) -> str:
    """What the user would paste: the emulator's own `env` command output."""
    return subprocess.run(
        [str(emulator_binary()), "env", app, "--url", emulator_url, "--app-url", app_url, *extra],
        check=True, capture_output=True, text=True, timeout=30,
    ).stdout


@dataclass
class StandIn:
    name: str
    url: str
    env_file: Path
    log_file: Path
    proc: subprocess.Popen

    def logs(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start(app: str, emulator_url: str, workdir: Path, host: str = "localhost",
          port: int | None = None) -> StandIn:
    """Starts app `docs` or `drive` on `host`:`port` (a free port by default), configured from
    its env block."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    url = f"http://{host}:{port}"
    env_file = workdir / f"{app}.env"
    env_file.write_text(env_block(app, emulator_url, url))
    log_file = workdir / f"{app}.log"
    with open(log_file, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "apps.serve", app, "--env-file", str(env_file),
             "--port", str(port), "--data", str(workdir)],
            cwd=CLIENTS_DIR, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            # only the env file configures the app: no settings leak from the caller's env
            env={"PATH": os.environ.get("PATH", ""), "PYTHONUNBUFFERED": "1"},
        )
    standin = StandIn(app, url, env_file, log_file, proc)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{app} app exited with {proc.returncode}:\n{standin.logs()}")
        try:
            if requests.get(f"{url}/healthz/", timeout=2).status_code == 200:
                return standin
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            standin.stop()
            raise RuntimeError(f"{app} app not ready within {START_TIMEOUT}s:\n{standin.logs()}")
        time.sleep(0.1)


def main():
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--emulator", required=True, help="the running emulator's URL")
    parser.add_argument("--workdir", default=None)
    parser.add_argument(
        "--media", action="store_true",
        help="the media-links setup: both apps on the emulator's host, on the ports given, "
        "declared to the emulator by the caller (serve --fixtures with `env APP --fixture`)",
    )
    parser.add_argument("--docs-port", type=int, default=None)
    parser.add_argument("--drive-port", type=int, default=None)
    args = parser.parse_args()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="lasuite-emu-standins-"))
    host = urlsplit(args.emulator).hostname if args.media else "localhost"
    ports = {"docs": args.docs_port, "drive": args.drive_port}
    apps = [
        start(name, args.emulator, workdir / name, host=host, port=ports[name])
        for name in ("docs", "drive")
    ]
    # One line per app, then wait: the caller stops us with SIGTERM.
    for standin in apps:
        print(f"{standin.name} {standin.url}", flush=True)
    stopped = []
    signal.signal(signal.SIGTERM, lambda *_: stopped.append(True))
    try:
        while not stopped and all(s.proc.poll() is None for s in apps):
            time.sleep(0.2)
    finally:
        for standin in apps:
            standin.stop()


if __name__ == "__main__":
    main()
