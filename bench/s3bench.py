"""S3 part of `just bench`: small PUT/GET rates, a large GET, a 2 GiB PUT in flat memory,
and moto_server's small-PUT rate for comparison when moto is installed.

wrk cannot compute SigV4 in Lua, so it replays presigned URLs: real SigV4 (query form),
verified by the emulator on every request like any other signature.
"""

import datetime
import hashlib
import hmac
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

# Prints the first error response, so a failed run says why.
REPORT_LUA = """
local shown = false
response = function(status, headers, body)
  if status >= 300 and not shown then
    shown = true
    io.stderr:write("first error: " .. status .. " " .. body .. "\\n")
  end
end
"""

PUT_LUA = """
wrk.method = "PUT"
wrk.body = string.rep("x", 1024)
wrk.headers["Content-Type"] = "application/octet-stream"
""" + REPORT_LUA


def presign(method, base_url, bucket, key, access="drive", secret="password", region="us-east-1", expires=3600):
    """A SigV4 presigned URL, from the AWS specification (stdlib only)."""
    host = urllib.parse.urlparse(base_url).netloc
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    scope = f"{day}/{region}/s3/aws4_request"
    path = "/" + urllib.parse.quote(f"{bucket}/{key}" if key else bucket, safe="/-_.~")
    query = {
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Credential": f"{access}/{scope}",
        "X-Amz-Date": amz_date,
        "X-Amz-Expires": str(expires),
        "X-Amz-SignedHeaders": "host",
    }
    canonical_query = "&".join(
        f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}" for k, v in sorted(query.items())
    )
    request = f"{method}\n{path}\n{canonical_query}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD"
    to_sign = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashlib.sha256(request.encode()).hexdigest()}"
    key_bytes = f"AWS4{secret}".encode()
    for part in (day, region, "s3", "aws4_request"):
        key_bytes = hmac.new(key_bytes, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key_bytes, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"{base_url}{path}?{canonical_query}&X-Amz-Signature={signature}"


def curl(*args):
    return subprocess.run(["curl", "-s", "-S", *args], capture_output=True, text=True, check=True).stdout


def wrk(url, lua, seconds, connections, threads, peer=False):
    """Requests/s of correct (2xx/3xx) answers. Our own errors stop the run (a bug to fix); a
    peer's (moto answers an occasional 500 under load) are left out of its rate."""
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua or REPORT_LUA)
    args += ["-s", f.name]
    try:
        done = subprocess.run(args + [url], capture_output=True, text=True, check=True)
    finally:
        os.unlink(f.name)
    out = done.stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors and not peer:
        sys.exit(f"wrk saw {errors.group(1)} error responses for {url}:\n{out}\n{done.stderr}")
    if errors:
        total = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out)
        secs = float(total.group(2)) / (1000 if total.group(3) == "ms" else 1)
        print(f"(peer: {errors.group(1)} of {total.group(1)} answers were errors, not counted)", file=sys.stderr)
        return (int(total.group(1)) - int(errors.group(1))) / secs
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_during(pid, action):
    """Runs `action` while sampling the process's RSS every 10 ms; returns (result, peak MiB)."""
    peak = [rss_mib(pid)]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_mib(pid))
            time.sleep(0.01)

    thread = threading.Thread(target=sample)
    thread.start()
    try:
        result = action()
    finally:
        done.set()
        thread.join()
    return result, peak[0]


def run(base_url, pid, seconds, connections, threads, big_put=True):
    """Measures the emulator at base_url (process pid); returns table rows."""
    rows = []
    put_rate = wrk(presign("PUT", base_url, "drive-media-storage", "bench/small"), PUT_LUA, seconds, connections, threads)
    rows.append((f"S3 PutObject 1 KiB/s ({connections} conns)", f"{put_rate:,.0f}", ">= 20x moto"))
    get_rate = wrk(presign("GET", base_url, "drive-media-storage", "bench/small"), None, seconds, connections, threads)
    rows.append((f"S3 GetObject 1 KiB/s ({connections} conns)", f"{get_rate:,.0f}", ""))

    with tempfile.TemporaryDirectory() as tmp:
        big = os.path.join(tmp, "big.bin")
        with open(big, "wb") as f:
            f.truncate(256 * 1024 * 1024)
        curl("-T", big, "-o", "/dev/null", presign("PUT", base_url, "drive-media-storage", "bench/256m"))
        speed = float(curl("-o", "/dev/null", "-w", "%{speed_download}", presign("GET", base_url, "drive-media-storage", "bench/256m")))
        rows.append(("S3 GET of a 256 MiB object (one stream)", f"{speed / 1e6:,.0f} MB/s", ">= 1,000 MB/s"))
        if big_put and shutil.disk_usage(tmp).free > 8 * 1024**3:
            huge = os.path.join(tmp, "huge.bin")
            with open(huge, "wb") as f:
                f.truncate(2 * 1024**3)
            before = rss_mib(pid)
            t0 = time.perf_counter()
            _, peak = peak_rss_during(
                pid, lambda: curl("-T", huge, "-o", "/dev/null", presign("PUT", base_url, "drive-media-storage", "bench/2g"))
            )
            secs = time.perf_counter() - t0
            rows.append(("S3 PUT of 2 GiB: peak RSS (before)", f"{peak:.1f} MiB ({before:.1f})", "flat"))
            rows.append(("S3 PUT of 2 GiB: throughput", f"{2048 / secs:,.0f} MiB/s", ""))
    return rows, put_rate, get_rate


def moto_rates(seconds, connections, threads):
    """moto_server's small PUT and GET rates (the same 1 KiB object), or None when moto is not
    installed."""
    moto = shutil.which("moto_server")
    if moto is None:
        return None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([moto, "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 30
        while True:
            try:
                curl("-o", "/dev/null", f"{base}/moto-api/")
                break
            except subprocess.CalledProcessError:
                if time.time() > deadline:
                    return None
                time.sleep(0.1)
        curl("-X", "PUT", "--data-binary", "", "-o", "/dev/null", presign("PUT", base, "drive-media-storage", None))
        put = wrk(presign("PUT", base, "drive-media-storage", "bench/small"), PUT_LUA, seconds, connections, threads, peer=True)
        get = wrk(presign("GET", base, "drive-media-storage", "bench/small"), None, seconds, connections, threads, peer=True)
        return put, get
    finally:
        proc.terminate()
        proc.wait(timeout=10)
