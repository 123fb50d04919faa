"""Fixtures of the real-client suite.

* Django is configured in-process (``settings.configure``) as a minimal Docs/Drive-like project
  (app ``rp_app``: a ``sub``-keyed user model, lasuite's oidc_login URLs under ``/api/v1.0/``,
  a DRF resource-server view), on sqlite in a temporary directory.
* ``emulator``: the lasuite-emu binary started once per session
  (``serve --listen 127.0.0.1:0 --ephemeral --ready-file F``), stopped with SIGTERM at the end
  (exit status 0 required).
* ``emulator_jwt``: a second emulator started with an extra ``--fixtures`` file that gives
  client ``drive-jwt`` an introspection encryption key (JWT introspection, RFC 9701).
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent.parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from emu import JWT_RS_CLIENT_ID, RP_HOST, SECRET, Emulator  # noqa: E402
from standins import emulator_binary  # noqa: E402

READY_TIMEOUT = 20  # seconds the emulator may take to write its ready file
STOP_TIMEOUT = 10  # seconds it may take to exit after SIGTERM

# A dev-only Fernet key (the one of the spec's example env), to store the refresh token.
FERNET_KEY = "BI89SYxWLkgZ6FApEF7soEeTBqDaACwKk9zVVGkr9gY="

# --------------------------------------------------------------------------------------------
# Django, configured before any test module imports lasuite / mozilla_django_oidc.
# --------------------------------------------------------------------------------------------

_DJANGO_DIR = tempfile.mkdtemp(prefix="lasuite-emu-clients-")
atexit.register(shutil.rmtree, _DJANGO_DIR, True)


def _configure_django():
    import django
    from django.conf import settings

    if settings.configured:
        return
    settings.configure(
        DEBUG=False,
        SECRET_KEY="lasuite-emu-client-tests-not-a-secret",
        ALLOWED_HOSTS=["localhost", "127.0.0.1", "testserver"],
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "rest_framework",
            "mozilla_django_oidc",
            "rp_app",
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
        ],
        ROOT_URLCONF="rp_app.urls",
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": os.path.join(_DJANGO_DIR, "db.sqlite3"),
            }
        },
        SESSION_ENGINE="django.contrib.sessions.backends.db",
        AUTH_USER_MODEL="rp_app.User",
        AUTHENTICATION_BACKENDS=[
            "django.contrib.auth.backends.ModelBackend",
            "lasuite.oidc_login.backends.OIDCAuthenticationBackend",
        ],
        USE_TZ=True,
        TEMPLATES=[],
        REST_FRAMEWORK={
            "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
            "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
        },
        # --- OIDC login (the Docs / Drive wiring of spec section 3) -------------------------
        OIDC_AUTHENTICATE_CLASS="lasuite.oidc_login.views.OIDCAuthenticationRequestView",
        OIDC_CALLBACK_CLASS="lasuite.oidc_login.views.OIDCAuthenticationCallbackView",
        # endpoint URLs depend on the emulator's port: set per test (see oidc_login_settings)
        OIDC_RP_CLIENT_ID="docs",
        OIDC_RP_CLIENT_SECRET=SECRET,
        OIDC_RP_SIGN_ALGO="RS256",
        OIDC_RP_SCOPES="openid email",
        OIDC_AUTH_REQUEST_EXTRA_PARAMS={"acr_values": "eidas1"},
        OIDC_USE_NONCE=True,
        OIDC_USE_PKCE=False,
        OIDC_STORE_ID_TOKEN=True,
        OIDC_STORE_ACCESS_TOKEN=True,
        OIDC_STORE_REFRESH_TOKEN=True,
        OIDC_STORE_REFRESH_TOKEN_KEY=FERNET_KEY,
        OIDC_CREATE_USER=True,
        OIDC_FALLBACK_TO_EMAIL_FOR_IDENTIFICATION=True,
        OIDC_ALLOW_DUPLICATE_EMAILS=False,
        OIDC_USERINFO_FULLNAME_FIELDS=["first_name", "last_name"],
        OIDC_USERINFO_SHORTNAME_FIELD="first_name",
        OIDC_OP_USER_ENDPOINT_FORMAT="AUTO",
        OIDC_REDIRECT_ALLOWED_HOSTS=[RP_HOST],
        OIDC_REDIRECT_REQUIRE_HTTPS=False,
        OIDC_VERIFY_SSL=True,
        OIDC_TIMEOUT=3,  # the apps' value: every call to the OP must answer within 3 s
        OIDC_PROXY=None,
        LOGIN_REDIRECT_URL="/ok/",
        LOGIN_REDIRECT_URL_FAILURE="/failed/",
        LOGOUT_REDIRECT_URL="/bye/",
        ALLOW_LOGOUT_GET_METHOD=True,
        # --- resource server (spec section 7.2 names and defaults) --------------------------
        OIDC_RESOURCE_SERVER_ENABLED=True,
        OIDC_RS_BACKEND_CLASS="lasuite.oidc_resource_server.backend.ResourceServerBackend",
        OIDC_OP_URL=None,
        OIDC_OP_INTROSPECTION_ENDPOINT=None,
        OIDC_RS_CLIENT_ID=None,
        OIDC_RS_CLIENT_SECRET=None,
        OIDC_RS_AUDIENCE_CLAIM="client_id",
        OIDC_RS_ALLOWED_AUDIENCES=[],
        OIDC_RS_SCOPES=["openid"],
        OIDC_RS_PRIVATE_KEY_STR=None,
        OIDC_RS_ENCRYPTION_KEY_TYPE="RSA",
        OIDC_RS_ENCRYPTION_ALGO="RSA-OAEP",
        OIDC_RS_ENCRYPTION_ENCODING="A256GCM",
        OIDC_RS_SIGNING_ALGO="ES256",
    )
    django.setup()

    from django.core.management import call_command

    call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)


_configure_django()


# --------------------------------------------------------------------------------------------
# The emulator process
# --------------------------------------------------------------------------------------------


def _tail(path: Path, n: int = 4000) -> str:
    try:
        data = path.read_bytes()
    except OSError:
        return ""
    return data[-n:].decode("utf-8", "replace")


class EmulatorProcess:
    def __init__(self, workdir: Path, fixtures: Path | list[Path] | None = None,
                 port: int = 0, tls: bool = False):
        self.workdir = workdir
        self.binary = emulator_binary()
        self.ready_file = workdir / "ready.json"
        self.stdout_path = workdir / "stdout.log"
        self.stderr_path = workdir / "stderr.log"
        self.cmd = [
            str(self.binary), "serve",
            "--listen", f"127.0.0.1:{port}",
            "--ephemeral",
            "--ready-file", str(self.ready_file),
        ]
        for fixture in [fixtures] if isinstance(fixtures, Path) else fixtures or []:
            self.cmd += ["--fixtures", str(fixture)]
        self.tls = tls
        if tls:
            self.cmd.append("--tls")
        self.proc: subprocess.Popen | None = None

    def logs(self) -> str:
        return (
            f"command: {' '.join(self.cmd)}\n"
            f"--- stdout ({self.stdout_path}) ---\n{_tail(self.stdout_path)}\n"
            f"--- stderr ({self.stderr_path}) ---\n{_tail(self.stderr_path)}"
        )

    def start(self) -> Emulator:
        if not self.binary.is_file():
            pytest.fail(
                f"lasuite-emu binary not found at {self.binary} "
                "(build it with `cargo build` or set LASUITE_EMU_BIN)",
                pytrace=False,
            )
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                self.cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=self.workdir,
            )
        deadline = time.monotonic() + READY_TIMEOUT
        info = None
        while info is None:
            if self.proc.poll() is not None:
                pytest.fail(
                    f"emulator exited with status {self.proc.returncode} before it was ready\n"
                    + self.logs(),
                    pytrace=False,
                )
            if self.ready_file.exists():
                try:
                    info = json.loads(self.ready_file.read_text())
                except ValueError:
                    info = None  # partially written: read again
            if info is None:
                if time.monotonic() > deadline:
                    self.proc.kill()
                    self.proc.wait()
                    pytest.fail(
                        f"emulator wrote no valid ready file within {READY_TIMEOUT}s\n"
                        + self.logs(),
                        pytrace=False,
                    )
                time.sleep(0.05)
        assert isinstance(info, dict), f"ready file is not a JSON object: {info!r}"
        url = info.get("url")
        scheme = "https" if self.tls else "http"
        assert isinstance(url, str) and re.fullmatch(scheme + r"://127\.0\.0\.1:\d+", url), (
            f"ready file 'url' must be {scheme}://127.0.0.1:PORT, got {info!r}"
        )
        if self.tls:
            # serve --tls names its CA in the ready file; the tests trust nothing else
            assert Path(info.get("ca", "")).is_file(), f"ready file names no CA file: {info!r}"
        assert info.get("pid") == self.proc.pid, (
            f"ready file 'pid' {info.get('pid')!r} is not the process id {self.proc.pid}"
        )
        return Emulator(url=url, pid=self.proc.pid, log_dir=str(self.workdir),
                        ca=info.get("ca", ""))

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            rc = None if self.proc is None else self.proc.returncode
            pytest.fail(f"emulator was no longer running at teardown (status {rc})\n"
                        + self.logs(), pytrace=False)
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"emulator did not exit within {STOP_TIMEOUT}s of SIGTERM\n"
                        + self.logs(), pytrace=False)
        assert rc == 0, f"emulator exited with status {rc} after SIGTERM\n" + self.logs()


def _serve(workdir: Path, fixtures: Path | list[Path] | None = None, port: int = 0,
           tls: bool = False):
    """Yields a started emulator process (for a session fixture), stopped afterwards."""
    proc = EmulatorProcess(workdir, fixtures=fixtures, port=port, tls=tls)
    emu = proc.start()
    try:
        yield emu
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def emulator(tmp_path_factory) -> Emulator:
    """The emulator with its default fixture (realm lasuite, clients docs/drive/impress/find,
    users alice/bob)."""
    yield from _serve(tmp_path_factory.mktemp("emu-default"))


@pytest.fixture(scope="session")
def emulator_tls(tmp_path_factory) -> Emulator:
    """``serve --tls``: the default fixture over HTTPS, its CA (``Emulator.ca``) made for this
    run; test_tls.py trusts that CA alone, with verification on."""
    yield from _serve(tmp_path_factory.mktemp("emu-tls"), tls=True)


@pytest.fixture(scope="session")
def rs_rsa_key():
    """RSA key pair of the JWT-mode resource server: (private PKCS#8 PEM, public SPKI PEM)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo,
    ).decode()
    return private_pem, public_pem


@pytest.fixture(scope="session")
def emulator_jwt(tmp_path_factory, rs_rsa_key) -> Emulator:
    """An emulator started with an extra fixture file: client ``drive-jwt`` of realm lasuite
    has the RS public key, so its introspection answers are JWTs encrypted to it."""
    workdir = tmp_path_factory.mktemp("emu-jwt")
    _private_pem, public_pem = rs_rsa_key
    fixture = workdir / "rs-jwt.toml"
    fixture.write_text(
        "[[realms]]\n"
        'name = "lasuite"\n'
        "[[realms.clients]]\n"
        f'client_id = "{JWT_RS_CLIENT_ID}"\n'
        f'secret = "{SECRET}"\n'
        f'introspection_encryption_key = """{public_pem.strip()}"""\n'
    )
    yield from _serve(workdir, fixtures=fixture)


@pytest.fixture(scope="session")
def emulator_seed(tmp_path_factory) -> Emulator:
    """An emulator started with fixtures/seed.toml: Keycloak as the seed configures it (audience
    mappers, full scope off, standard token exchange on for docs and drive)."""
    seed = Path(__file__).resolve().parents[2] / "fixtures" / "seed.toml"
    yield from _serve(tmp_path_factory.mktemp("emu-seed"), fixtures=seed)


@pytest.fixture(scope="session")
def emulator_docs_poc(tmp_path_factory) -> Emulator:
    """An emulator started with fixtures/docs-poc.toml: Drive as PR #790 changes it, with the
    internal API /api/v1.0/ for Docs' server-to-server calls (Docs PR #2548)."""
    poc = Path(__file__).resolve().parents[2] / "fixtures" / "docs-poc.toml"
    yield from _serve(tmp_path_factory.mktemp("emu-docs-poc"), fixtures=poc)


# --------------------------------------------------------------------------------------------
# Django-side helpers
# --------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _clean_django_db():
    """Each test starts with no users and no sessions."""
    yield
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.models import Session

    get_user_model().objects.all().delete()
    Session.objects.all().delete()


@pytest.fixture
def django_client():
    """A Django test client whose requests look like they come to http://localhost:8071."""
    from django.test import Client

    return Client(HTTP_HOST=RP_HOST)


# --------------------------------------------------------------------------------------------
# S3 (spec s3.md part A): boto3 clients built like Drive's and Docs' django-storages ones
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def s3_endpoint(request) -> str:
    """The S3 endpoint: the emulator's own origin, path-style (spec A.1, B.3).

    ``S3_TEST_ENDPOINT=http://host:port`` points the S3 tests at another server instead (a
    differential run against a reference such as ``moto_server``, spec C.6); that server must
    already have the three versioned buckets and accept the apps' key pairs."""
    other = os.environ.get("S3_TEST_ENDPOINT")
    if other:
        return other.rstrip("/")
    return request.getfixturevalue("emulator").url


@pytest.fixture(scope="session")
def drive_s3(s3_endpoint):
    """boto3 client as Drive has it: key pair drive/password, region eu-east-1."""
    from s3util import DRIVE_CREDS, DRIVE_REGION, make_client

    return make_client(s3_endpoint, DRIVE_CREDS, DRIVE_REGION)


@pytest.fixture(scope="session")
def docs_s3(s3_endpoint):
    """boto3 client as Docs has it: key pair docs/password, botocore's default us-east-1."""
    from s3util import DOCS_CREDS, DOCS_REGION, make_client

    return make_client(s3_endpoint, DOCS_CREDS, DOCS_REGION)


# --------------------------------------------------------------------------------------------
# The stand-in apps (apps/): a Docs-like and a Drive-like Django app as processes, configured
# only from the emulator's env blocks, against an emulator of their own (their tests move its
# clock and revoke tokens).
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def standin_emulator(tmp_path_factory) -> Emulator:
    yield from _serve(tmp_path_factory.mktemp("emu-standins"))


def _standin(name, emulator, tmp_path_factory):
    import standins

    try:
        app = standins.start(name, emulator.url, tmp_path_factory.mktemp(f"{name}-app"))
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)
    return app


@dataclass
class MediaSetup:
    """Where the media tests' emulator and apps listen, chosen before any of them starts: the
    emulator is started with the apps' `env --fixture` lines, which name both URLs."""

    emulator_port: int
    app_ports: dict[str, int]
    fixtures: dict[str, Path]

    @property
    def emulator_url(self) -> str:
        return f"http://127.0.0.1:{self.emulator_port}"

    def app_url(self, name: str) -> str:
        # the emulator's host: the browser sends the app's session cookie to MEDIA_BASE_URL
        # (the emulator) only when the two share a host (cookies ignore ports)
        return f"http://127.0.0.1:{self.app_ports[name]}"


@pytest.fixture(scope="session")
def media_setup(tmp_path_factory) -> MediaSetup:
    import standins

    workdir = tmp_path_factory.mktemp("media-fixtures")
    ports = {name: standins.free_port() for name in ("emulator", "docs", "drive")}
    setup = MediaSetup(ports.pop("emulator"), ports, {})
    for name in ("docs", "drive"):
        # as the env block's comment says: env APP --fixture ... > APP-app.toml
        setup.fixtures[name] = workdir / f"{name}-app.toml"
        setup.fixtures[name].write_text(standins.env_block(
            name, setup.emulator_url, setup.app_url(name), "--fixture", "--api-url", setup.app_url(name)
        ))
    return setup


@pytest.fixture(scope="session")
def media_emulator(media_setup, tmp_path_factory) -> Emulator:
    """An emulator started with both apps declared (`serve --fixtures docs-app.toml
    --fixtures drive-app.toml`): it plays their nginx for `/media/`."""
    yield from _serve(
        tmp_path_factory.mktemp("emu-media"),
        fixtures=[media_setup.fixtures["docs"], media_setup.fixtures["drive"]],
        port=media_setup.emulator_port,
    )


def _media_standin(name, media_setup, emulator, tmp_path_factory):
    import standins

    assert emulator.url == media_setup.emulator_url
    try:
        return standins.start(
            name, emulator.url, tmp_path_factory.mktemp(f"{name}-media-app"),
            host="127.0.0.1", port=media_setup.app_ports[name],
        )
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def media_docs_app(media_setup, media_emulator, tmp_path_factory):
    app = _media_standin("docs", media_setup, media_emulator, tmp_path_factory)
    yield app
    app.stop()


@pytest.fixture(scope="session")
def media_drive_app(media_setup, media_emulator, tmp_path_factory):
    app = _media_standin("drive", media_setup, media_emulator, tmp_path_factory)
    yield app
    app.stop()


@pytest.fixture(scope="session")
def docs_app(standin_emulator, tmp_path_factory):
    app = _standin("docs", standin_emulator, tmp_path_factory)
    yield app
    app.stop()


@pytest.fixture(scope="session")
def drive_app(standin_emulator, tmp_path_factory):
    app = _standin("drive", standin_emulator, tmp_path_factory)
    yield app
    app.stop()
