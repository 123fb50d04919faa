#!/usr/bin/env python3
"""lasuite-emu benchmark: start-up time, memory, introspection and token throughput.

Measured in one run and printed as a table (also saved to target/bench.json):
  - process spawn to the first 200 on /_emu/health, median of N starts (--ephemeral, and a
    warm persistent data directory);
  - RSS once ready, and after the load;
  - introspections/s and token requests/s with 32 concurrent keep-alive connections (wrk).

Targets (issue 2): ready <= 20 ms, RSS <= 15 MiB, >= 20,000 introspections/s on 2 cores.
The load generator runs on the same 2 cores as the emulator, so throughput is a lower bound.
"""

import argparse
import json
import os
import re
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oidcbench  # noqa: E402
import s3bench  # noqa: E402

SECRET = "ThisIsAnExampleKeyForDevPurposeOnly"
# client_credentials runs of the emulator and of the Node mock, alternated, for their ratio.
TOKEN_ROUNDS = 3


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The readiness poll of a --tls start: a full handshake, no verification (an ephemeral CA is
# made per run; the tests, not the bench, check the chain).
_UNVERIFIED = ssl.create_default_context()
_UNVERIFIED.check_hostname = False
_UNVERIFIED.verify_mode = ssl.CERT_NONE


def health_ok(port, tls=False):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as raw:
            s = _UNVERIFIED.wrap_socket(raw, server_hostname="localhost") if tls else raw
            s.sendall(b"GET /_emu/health HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            return s.recv(16).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def start(binary, args):
    """Spawns the emulator and polls until /_emu/health answers 200; returns (proc, port, secs)."""
    tls = "--tls" in args
    port = free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [binary, "serve", "--listen", f"127.0.0.1:{port}", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = t0 + 30
    while not health_ok(port, tls):
        if proc.poll() is not None:
            sys.exit(f"the emulator exited with {proc.returncode} before answering")
        if time.perf_counter() > deadline:
            proc.kill()
            sys.exit("the emulator did not answer /_emu/health within 30 s")
        time.sleep(0.0002)
    return proc, port, time.perf_counter() - t0


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peer_start_rows(ours, moto, mock):
    rows = []
    for name, theirs in [("moto_server 5.2.5", moto), ("oauth2-mock-server 9.3.0", mock)]:
        if theirs:
            rows.append((f"{name}: spawn to first 200 (median of 3)", f"{theirs:.0f} ms", ""))
            rows.append((f"  ratio {name} / lasuite-emu --ephemeral", f"{theirs / ours:.0f}x", ">= 10x"))
    return rows


def oidc_table(rates, mock):
    """Rows of correct answers per second (see oidcbench)."""
    rows = [("health requests/s (GET /_emu/health)", f"{rates['health']:,.0f}", "")]
    rate, p99, bad = rates["introspect"]
    rows.append((f"introspections/s answering active:true (warm cache, p99 {p99})", f"{rate:,.0f}", ">= 0.5 x health"))
    rows.append(("  ratio to the health rate", f"{rate / rates['health']:.2f}", ">= 0.5"))
    rate, p99, bad = rates["client_credentials"]
    rows.append((
        f"token requests/s, client_credentials, verifiable tokens (median of {TOKEN_ROUNDS} runs alternated with the mock's; "
        f"p99 {p99}; rows written after the answer, not synced)", f"{rate:,.0f}", ""))
    rate, p99, bad = rates["refresh"]
    rows.append((f"token requests/s, refresh_token (access, refresh and ID token), verifiable tokens (p99 {p99}; rows not synced)", f"{rate:,.0f}", ""))
    if mock:
        mock_rate, mock_p99, _ = mock
        ours = rates["client_credentials"][0]
        rows.append((f"oauth2-mock-server 9.3.0 client_credentials/s, same load (median of {TOKEN_ROUNDS}; p99 {mock_p99})", f"{mock_rate:,.0f}", ""))
        rows.append(("  ratio lasuite-emu / oauth2-mock-server", f"{ours / mock_rate:.2f}x", ">= 2x"))
    return rows


def fill(base, objects, items):
    """Stores `objects` small objects and creates `items` Drive folders, over keep-alive
    connections (the API and SigV4 presigned PUTs, as clients do)."""
    import http.client
    import urllib.parse

    host = urllib.parse.urlparse(base).netloc
    conn = http.client.HTTPConnection(host, timeout=10)
    for i in range(objects):
        url = urllib.parse.urlparse(s3bench.presign("PUT", base, "drive-media-storage", f"fill/{i:06d}"))
        conn.request("PUT", f"{url.path}?{url.query}", body=b"x" * 100)
        answer = conn.getresponse()
        answer.read()
        if answer.status != 200:
            sys.exit(f"filling: PUT answered {answer.status}")
    conn.request("POST", "/_emu/tokens", body=json.dumps({"client_id": "docs", "username": "alice"}),
                 headers={"Content-Type": "application/json"})
    token = json.loads(conn.getresponse().read())["access_token"]
    for i in range(items):
        body = json.dumps({"type": "folder", "title": f"folder {i}"})
        conn.request("POST", "/external_api/v1.0/items/", body=body,
                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        answer = conn.getresponse()
        answer.read()
        if answer.status != 201:
            sys.exit(f"filling: POST items/ answered {answer.status}")
        if i % 200 == 199:  # tokens live 300 s: a fresh one now and then
            conn.request("POST", "/_emu/tokens", body=json.dumps({"client_id": "docs", "username": "alice"}),
                         headers={"Content-Type": "application/json"})
            token = json.loads(conn.getresponse().read())["access_token"]
    conn.close()


def ready_with_data(args, objects=10_000, items=10_000):
    """Spawn to first 200 on a durable --data directory holding `objects` and `items`."""
    data = tempfile.mkdtemp(prefix="lasuite-emu-bench-full-")
    try:
        proc, port, _ = start(args.binary, ["--data", data])
        try:
            fill(f"http://127.0.0.1:{port}", objects, items)
        finally:
            stop(proc)
        times = []
        for _ in range(5):
            proc, _, secs = start(args.binary, ["--data", data])
            times.append(secs)
            stop(proc)
        return statistics.median(times) * 1000
    finally:
        shutil.rmtree(data, ignore_errors=True)


def peer_ready_ms(command, path, starts=3):
    """A peer's spawn to its first 200 on `path`, polled every millisecond (median of `starts`);
    None when the peer is not installed. `command` gets the port appended by a format field."""
    if shutil.which(command[0]) is None and not os.path.exists(command[0]):
        return None
    times = []
    for _ in range(starts):
        port = free_port()
        t0 = time.perf_counter()
        proc = subprocess.Popen([part.format(port=port) for part in command],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                        s.sendall(f"GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".encode())
                        if s.recv(16).startswith(b"HTTP/1.1 200"):
                            break
                except OSError:
                    pass
                if time.perf_counter() - t0 > 60 or proc.poll() is not None:
                    return None
                time.sleep(0.001)
            times.append(time.perf_counter() - t0)
        finally:
            stop(proc)
    return statistics.median(times) * 1000


def durable_put_rate(args):
    """The small-PUT rate of an emulator on a durable --data directory."""
    data = tempfile.mkdtemp(prefix="lasuite-emu-bench-durable-")
    try:
        proc, port, _ = start(args.binary, ["--data", data])
        try:
            base = f"http://127.0.0.1:{port}"
            url = s3bench.presign("PUT", base, "drive-media-storage", "bench/durable")
            return s3bench.wrk(url, s3bench.PUT_LUA, args.seconds, args.connections, args.threads)
        finally:
            stop(proc)
    finally:
        shutil.rmtree(data, ignore_errors=True)


def wrk_get(url, seconds, connections, threads):
    """GET requests/s of `url` (wrk speaks https too: one handshake per keep-alive connection)."""
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        sys.exit(f"wrk saw {errors.group(1)} error responses:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)


def tls_rows(args):
    """Start-up with and without --tls, health and introspection over http and https."""
    rows = []
    for label, extra in (("", []), (" --tls", ["--tls"])):
        times = []
        for _ in range(args.starts):
            proc, _, secs = start(args.binary, ["--ephemeral", *extra])
            times.append(secs)
            stop(proc)
        rows.append((f"ready, --ephemeral{label} (median of {args.starts} starts)", f"{statistics.median(times) * 1000:.1f} ms", "<= 20 ms"))
    data = tempfile.mkdtemp(prefix="lasuite-emu-bench-tls-")
    try:
        proc, _, first = start(args.binary, ["--data", data, "--tls"])
        stop(proc)
        warm = []
        for _ in range(max(3, args.starts // 2)):
            proc, _, secs = start(args.binary, ["--data", data, "--tls"])
            warm.append(secs)
            stop(proc)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    rows.append(("first start with a new --data --tls (keys, CA, certificate)", f"{first * 1000:.0f} ms", ""))
    rows.append(("ready, persistent --data --tls (warm, median)", f"{statistics.median(warm) * 1000:.1f} ms", ""))
    for scheme, extra in (("http", []), ("https", ["--tls"])):
        proc, port, _ = start(args.binary, ["--ephemeral", *extra])
        try:
            base = f"{scheme}://127.0.0.1:{port}"
            rate, p99, _ = oidcbench.counted_rate(
                f"{base}/_emu/health", None, '"status":"ok"', args.seconds, args.connections, args.threads
            )
            rows.append((f"health GETs/s over {scheme} (p99 {p99})", f"{rate:,.0f}", ""))
            # A live user token; wrk counts an introspection only when it answers active.
            oidc = f"{base}/realms/lasuite/protocol/openid-connect"
            form = {"grant_type": "password", "client_id": "docs", "client_secret": SECRET,
                    "username": "alice", "password": "alice", "scope": "openid"}
            request = urllib.request.Request(f"{oidc}/token", data=urllib.parse.urlencode(form).encode())
            with urllib.request.urlopen(request, timeout=5, context=_UNVERIFIED if scheme == "https" else None) as answer:
                token = json.load(answer)["access_token"]
            rate, p99, _ = oidcbench.counted_rate(
                f"{oidc}/token/introspect",
                f"client_id=drive&client_secret={SECRET}&token={token}",
                oidcbench.ACTIVE_MARKER, args.seconds, args.connections, args.threads,
            )
            rows.append((f"introspections/s over {scheme}, warm cache (p99 {p99})", f"{rate:,.0f}", ""))
        finally:
            stop(proc)
    return rows


def print_rows(rows, args):
    width = max(len(r[0]) for r in rows)
    print(f"| {'measure'.ljust(width)} | {'value':>12} | target     |")
    print(f"|{'-' * (width + 2)}|{'-' * 14}|------------|")
    for name, value, target in rows:
        print(f"| {name.ljust(width)} | {value:>12} | {target:<10} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default="target/release/lasuite-emu")
    parser.add_argument("--starts", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-2g", action="store_true", help="skip the 2 GiB PUT")
    parser.add_argument("--only-tls", action="store_true", help="only the rows of serve --tls (and their plain-HTTP counterparts)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed for the throughput part: apt-get install wrk")
    if args.only_tls:
        print(f"\nlasuite-emu benchmark, TLS rows ({os.cpu_count()} cores, wrk -t{args.threads} -c{args.connections} -d{args.seconds}s)\n")
        print_rows(tls_rows(args), args)
        return

    # 1. Start-up, ephemeral (what test suites use).
    times = []
    for _ in range(args.starts):
        proc, _, secs = start(args.binary, ["--ephemeral"])
        times.append(secs)
        stop(proc)
    ready_ephemeral = statistics.median(times) * 1000

    # 2. Start-up on a persistent data directory, after the first start made its keys.
    data = tempfile.mkdtemp(prefix="lasuite-emu-bench-")
    try:
        proc, _, first = start(args.binary, ["--data", data])
        stop(proc)
        warm = []
        for _ in range(max(3, args.starts // 2)):
            proc, _, secs = start(args.binary, ["--data", data])
            warm.append(secs)
            stop(proc)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    ready_persistent = statistics.median(warm) * 1000
    ready_full = ready_with_data(args)
    here = os.path.dirname(os.path.abspath(__file__))
    moto_ready = peer_ready_ms(["moto_server", "-p", "{port}"], "/moto-api/")
    mock_ready = peer_ready_ms(
        [os.path.join(here, "node", "node_modules", ".bin", "oauth2-mock-server"), "-a", "127.0.0.1", "-p", "{port}"],
        "/.well-known/openid-configuration",
    )

    # 3. Memory and throughput on one ephemeral instance.
    proc, port, _ = start(args.binary, ["--ephemeral"])
    try:
        time.sleep(0.2)
        rss_ready = rss_mib(proc.pid)
        base = f"http://127.0.0.1:{port}"
        oidc_rates = oidcbench.emulator_rows(base, args.seconds, args.connections, args.threads, SECRET)
        with oidcbench.running_mock() as mock_base:
            oidc_rates["client_credentials"], mock = oidcbench.side_by_side(
                base, mock_base, SECRET, TOKEN_ROUNDS, args.seconds, args.connections, args.threads
            )
        rss_loaded = rss_mib(proc.pid)
        s3_rows, put_rate, get_rate = s3bench.run(base, proc.pid, args.seconds, args.connections, args.threads, not args.skip_2g)
    finally:
        stop(proc)
    moto = s3bench.moto_rates(args.seconds, args.connections, args.threads)
    durable_put = durable_put_rate(args)
    inprocess = json.loads(
        subprocess.run(
            ["cargo", "bench", "--quiet", "--bench", "inprocess"], capture_output=True, text=True, check=True
        ).stdout.strip().splitlines()[-1]
    )
    drive = json.loads(
        subprocess.run(
            ["cargo", "bench", "--quiet", "--bench", "drive"], capture_output=True, text=True, check=True
        ).stdout.strip().splitlines()[-1]
    )
    drive_rows = [
        ("Drive upload flow (create, PUT 10 KiB, upload-ended) p50", f"{drive['drive_flow_p50_ms']:.1f} ms", "<= 3 ms"),
        ("  p99", f"{drive['drive_flow_p99_ms']:.1f} ms", ""),
        ("  flows/s, one client", f"{drive['drive_flows_per_sec']:,.0f}", ""),
        ("  p50 of each request: create / PUT / upload-ended",
         f"{drive['drive_flow_create_p50_ms']:.1f} / {drive['drive_flow_put_p50_ms']:.1f} / {drive['drive_flow_ended_p50_ms']:.1f} ms", ""),
        ("Drive children page 1 in a folder of 100,000 (median)", f"{drive['drive_children_page_100k_ms']:.1f} ms", "<= 5 ms"),
        ("  page 2,500 of the same folder (median)", f"{drive['drive_children_deep_page_100k_ms']:.1f} ms", ""),
        ("Drive move of a folder with 10,000 descendants", f"{drive['drive_move_10k_ms']:.0f} ms", "<= 200 ms"),
    ]
    fixture_rows = [
        ("in-process start to ready (median of 20)", f"{inprocess['inprocess_start_ms']:.1f} ms", "<= 5 ms"),
        ("reset of the default fixture (median of 20)", f"{inprocess['reset_ms']:.1f} ms", "<= 5 ms"),
        ("memory of one idle in-process emulator", f"{inprocess['rss_one_mib']:.1f} MiB", ""),
        ("100 idle in-process emulators", f"{inprocess['rss_hundred_mib']:.0f} MiB", "<= 150 MiB"),
        (f"snapshot, 10,000 objects, bodies in files ({inprocess['snapshot_10k_mib']:.0f} MiB file)", f"{inprocess['snapshot_10k_ms']:.0f} ms", ""),
        ("restore of that snapshot", f"{inprocess['restore_10k_ms']:.0f} ms", ""),
    ]
    s3_rows.insert(0, ("  (--ephemeral: bodies and commits not synced)", "", ""))
    if durable_put:
        s3_rows.append(("S3 PutObject 1 KiB/s, durable --data (body in its row, FULL-synced commit)", f"{durable_put:,.0f}", ""))
    if moto:
        moto_put, moto_get = moto
        s3_rows.append(("moto_server PutObject 1 KiB/s (in memory), same load", f"{moto_put:,.0f}", ""))
        s3_rows.append(("  PUT ratio lasuite-emu (ephemeral, not synced) / moto", f"{put_rate / moto_put:,.1f}x", ">= 20x"))
        if durable_put:
            s3_rows.append(("  PUT ratio lasuite-emu (durable) / moto", f"{durable_put / moto_put:,.1f}x", ">= 20x"))
        s3_rows.append(("moto_server GetObject 1 KiB/s, same load", f"{moto_get:,.0f}", ""))
        s3_rows.append(("  GET ratio lasuite-emu / moto", f"{get_rate / moto_get:,.1f}x", ">= 30x"))

    rows = [
        ("ready, --ephemeral (median of %d starts)" % args.starts, f"{ready_ephemeral:.1f} ms", "<= 20 ms"),
        ("ready, persistent --data (warm, median)", f"{ready_persistent:.1f} ms", ""),
        ("ready, --data holding 10,000 objects and 10,000 Drive items (median of 5)", f"{ready_full:.1f} ms", "no growth"),
        ("first start with a new --data (RSA key generation)", f"{first * 1000:.0f} ms", ""),
        *peer_start_rows(ready_ephemeral, moto_ready, mock_ready),
        ("RSS once ready", f"{rss_ready:.1f} MiB", "<= 15 MiB"),
        ("RSS after the load", f"{rss_loaded:.1f} MiB", ""),
        *oidc_table(oidc_rates, mock),
        *s3_rows,
        *fixture_rows,
        *drive_rows,
        *tls_rows(args),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"\nlasuite-emu benchmark ({os.cpu_count()} cores, wrk -t{args.threads} -c{args.connections} -d{args.seconds}s)\n")
    print(f"| {'measure'.ljust(width)} | {'value':>12} | target     |")
    print(f"|{'-' * (width + 2)}|{'-' * 14}|------------|")
    for name, value, target in rows:
        print(f"| {name.ljust(width)} | {value:>12} | {target:<10} |")
    print("\nFor scale: Keycloak start-dev ~8 s and ~1 GB; the Node oauth2-mock-server ~0.5 s, 60 MiB,")
    print("~330 token requests/s on this kind of machine (shared/design/peers-and-user-asks.md);")
    print("moto_server ~280 small PUTs/s (shared/spec/s3.md); the real Drive stack ~600 MiB and")
    print("1.1 to 2.6 s to start on this hardware.")
    os.makedirs("target", exist_ok=True)
    with open("target/bench.json", "w") as f:
        json.dump({name: value for name, value, _ in rows}, f, indent=2)


if __name__ == "__main__":
    main()
