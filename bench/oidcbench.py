"""OIDC part of `just bench`: token and introspection rates that count only correct answers,
and the same load on the Node oauth2-mock-server, started in the same run.

wrk's Lua counts an answer as correct only when it is a 200 whose body holds the marker of a
right answer (`"access_token":"ey` for a token, `"active":true` for an introspection); the
rate printed is correct answers per second. One token of each server is also verified by its
signature against that server's JWKS (RS256), so a marker that matched garbage would show.
"""

import base64
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

COUNTING_LUA = """
wrk.method = os.getenv("BENCH_METHOD")
if wrk.method == "POST" then
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.body = os.getenv("BENCH_BODY")
end
local marker = os.getenv("BENCH_MARKER")
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  good = 0
  bad = 0
end
function response(status, headers, body)
  if status == 200 and string.find(body, marker, 1, true) then
    good = good + 1
  else
    bad = bad + 1
  end
end
function done(summary, latency, requests)
  local g, b = 0, 0
  for _, thread in ipairs(threads) do
    g = g + thread:get("good")
    b = b + thread:get("bad")
  end
  io.write(string.format("GOOD %d BAD %d SECONDS %f\\n", g, b, summary.duration / 1e6))
end
"""

TOKEN_MARKER = '"access_token":"ey'
ACTIVE_MARKER = '"active":true'


def counted_rate(url, body, marker, seconds, connections, threads):
    """(correct answers per second, p99, wrong answers) of a wrk run POSTing `body` (a GET
    when `body` is None)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(COUNTING_LUA)
    try:
        out = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script.name, url],
            env={
                **os.environ,
                "BENCH_METHOD": "GET" if body is None else "POST",
                "BENCH_BODY": body or "",
                "BENCH_MARKER": marker,
            },
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    good, bad, secs = re.search(r"GOOD (\d+) BAD (\d+) SECONDS ([\d.]+)", out).groups()
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)
    return int(good) / float(secs), p99, int(bad)


def _b64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify_rs256(token, jwks_url):
    """True when `token` is an RS256 JWS signed by a key of the JWKS at `jwks_url`."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    header_b64, payload_b64, signature_b64 = token.split(".")
    header = json.loads(_b64(header_b64))
    with urllib.request.urlopen(jwks_url, timeout=5) as answer:
        keys = json.load(answer)["keys"]
    for key in keys:
        if key.get("kty") != "RSA" or (header.get("kid") and key.get("kid") != header["kid"]):
            continue
        public = rsa.RSAPublicNumbers(
            int.from_bytes(_b64(key["e"]), "big"), int.from_bytes(_b64(key["n"]), "big")
        ).public_key()
        try:
            public.verify(_b64(signature_b64), f"{header_b64}.{payload_b64}".encode(), padding.PKCS1v15(), hashes.SHA256())
            return True
        except Exception:  # noqa: BLE001 - any failure means "not verified"
            continue
    return False


def post_form(url, fields):
    data = "&".join(f"{k}={v}" for k, v in fields.items()).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=5) as answer:
        return json.load(answer)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def emulator_rows(base, seconds, connections, threads, secret):
    """The OIDC rows of one emulator at `base` (an --ephemeral one: token rows are not synced
    there, and introspection answers come from its cache of active tokens). The
    client_credentials rate is measured beside the mock's ([`side_by_side`])."""
    oidc = f"{base}/realms/lasuite/protocol/openid-connect"
    client_body = client_credentials_body(secret)
    sample = post_form(f"{oidc}/token", dict(p.split("=", 1) for p in client_body.split("&")))
    if not verify_rs256(sample["access_token"], f"{oidc}/certs"):
        sys.exit("the emulator's token does not verify against its JWKS")
    login = post_form(
        f"{oidc}/token",
        {"grant_type": "password", "client_id": "docs", "client_secret": secret, "username": "alice",
         "password": "alice", "scope": "openid"},
    )
    health_rate, _, _ = counted_rate(f"{base}/_emu/health", None, '"status":"ok"', seconds, connections, threads)
    introspect = counted_rate(
        f"{oidc}/token/introspect",
        f"client_id=drive&client_secret={secret}&token={login['access_token']}",
        ACTIVE_MARKER, seconds, connections, threads,
    )
    refresh = counted_rate(
        f"{oidc}/token",
        f"grant_type=refresh_token&client_id=docs&client_secret={secret}&refresh_token={login['refresh_token']}",
        TOKEN_MARKER, seconds, connections, threads,
    )
    return {"health": health_rate, "introspect": introspect, "refresh": refresh}


def client_credentials_body(secret):
    return f"grant_type=client_credentials&client_id=docs&client_secret={secret}"


@contextlib.contextmanager
def running_mock():
    """oauth2-mock-server, started: its base URL, or None when its package is not installed
    (bench/node, `npm ci` in bench/run.sh) or it does not start."""
    cli = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node", "node_modules", ".bin", "oauth2-mock-server")
    if not os.path.exists(cli) or shutil.which("node") is None:
        yield None
        return
    port = free_port()
    proc = subprocess.Popen([cli, "-a", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/.well-known/openid-configuration", timeout=1).read()
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    base = None
                    break
                time.sleep(0.05)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


MOCK_BODY = "grant_type=client_credentials&client_id=docs&client_secret=x&scope=openid"


def side_by_side(emu_base, mock_base, secret, rounds, seconds, connections, threads):
    """client_credentials on the emulator and on the mock, run after run (`rounds` of each,
    alternated, so that both see the machine in the same state): the median run of each, as
    (rate, p99, wrong answers); the mock's is None without a mock."""
    emu_url = f"{emu_base}/realms/lasuite/protocol/openid-connect/token"
    if mock_base:
        sample = post_form(f"{mock_base}/token", dict(p.split("=", 1) for p in MOCK_BODY.split("&")))["access_token"]
        if not verify_rs256(sample, f"{mock_base}/jwks"):
            sys.exit("oauth2-mock-server's token does not verify against its JWKS")
    ours, theirs = [], []
    for _ in range(rounds):
        ours.append(counted_rate(emu_url, client_credentials_body(secret), TOKEN_MARKER, seconds, connections, threads))
        if mock_base:
            theirs.append(counted_rate(f"{mock_base}/token", MOCK_BODY, TOKEN_MARKER, seconds, connections, threads))

    def median(runs):
        return sorted(runs, key=lambda run: run[0])[len(runs) // 2] if runs else None

    return median(ours), median(theirs)
