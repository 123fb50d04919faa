"""Docs -> Drive -> S3 through two stand-in Django apps configured only from the blocks that
``lasuite-emu env docs`` and ``lasuite-emu env drive`` print (issue 5):

* the Docs-like relying party (mozilla-django-oidc 5.0.2 + django-lasuite 0.0.28, tokens kept
  in the session) logs a user in through the browser flow, then stores a file in Drive with the
  user's access token and reads it back; the object is checked through django-storages with the
  Drive block's S3 settings; the token is refreshed; logout ends the SSO session;
* the Drive-like resource server accepts the Docs app's token and refuses a token of client
  ``find`` (403), an expired and a revoked one (400: django-lasuite's SuspiciousOperation) and
  one of a user it never saw (401), with upstream's statuses;
* the faults the issuer and the store can produce on the way (a revoked token between two calls,
  a disallowed file type, an expired presigned URL, upload-ended with no upload) reach the Docs
  app with Drive's and S3's statuses.
"""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

import standins

from emu import HTTP_TIMEOUT, browser_login, describe, jwt_parts, redirect_target

# Drive's answer to an exception its views do not handle (Production), as 0.21.1 gives it.
SERVER_ERROR = {"type": "server_error", "errors": [{"code": "error", "detail": "Server Error (500)", "attr": None}]}


@pytest.fixture
def emu(standin_emulator):
    return standin_emulator


@pytest.fixture
def browser():
    """A user's browser: one cookie jar for the apps (localhost) and the emulator (127.0.0.1)."""
    with requests.Session() as session:
        yield session


def app_login(browser, app, emu, username="alice", silent=False):
    """Log in to `app` like a browser: its authenticate URL, the emulator's login form (or, with
    `silent`, straight back thanks to the SSO cookie), the callback, and the landing page the
    env block names (LOGIN_REDIRECT_URL)."""
    start = browser.get(f"{app.url}/api/v1.0/authenticate/", allow_redirects=False, timeout=HTTP_TIMEOUT)
    auth_url = redirect_target(start)
    assert auth_url.startswith(emu.url + "/realms/lasuite/protocol/openid-connect/auth?"), auth_url
    if silent:
        callback = redirect_target(browser.get(auth_url, allow_redirects=False, timeout=HTTP_TIMEOUT))
    else:
        callback = browser_login(browser, auth_url, emu, username)
    assert callback.startswith(f"{app.url}/api/v1.0/callback/?"), callback
    landed = browser.get(callback, allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert redirect_target(landed).rstrip("/") == app.url, describe(landed)


def stored_tokens(browser, docs_app) -> dict:
    answer = browser.get(f"{docs_app.url}/api/v1.0/session-tokens/", timeout=HTTP_TIMEOUT)
    assert answer.status_code == 200, describe(answer)
    return answer.json()


def docs_to_drive(browser, docs_app, filename, content) -> requests.Response:
    return browser.post(
        f"{docs_app.url}/api/v1.0/docs-to-drive/",
        data={"filename": filename, "content": content},
        timeout=HTTP_TIMEOUT,
    )


def in_drive_storage(drive_app, key) -> requests.Response:
    """The object as the Drive-like app's django-storages (its env block's S3 settings) sees it."""
    return requests.get(f"{drive_app.url}/storage/{key}", timeout=HTTP_TIMEOUT)


def me_at_drive(drive_app, token) -> requests.Response:
    return requests.get(
        f"{drive_app.url}/external_api/v1.0/users/me/",
        headers={"Authorization": f"Bearer {token}"},
        timeout=HTTP_TIMEOUT,
    )


@contextmanager
def clock_moved(emu, seconds):
    """The emulator's clock `seconds` ahead for the block, then back on the system time."""
    moved = requests.post(f"{emu.url}/_emu/clock", json={"advance": seconds}, timeout=HTTP_TIMEOUT)
    assert moved.status_code == 200, describe(moved)
    try:
        yield
    finally:
        back = requests.post(f"{emu.url}/_emu/clock", json={"reset": True}, timeout=HTTP_TIMEOUT)
        assert back.status_code == 200, describe(back)


def test_each_app_asks_for_the_login_its_block_describes(docs_app, drive_app, emu):
    """The authorization request is built from the block alone: the endpoint, the client, the
    quoted scope list, the JSON extra parameters and the callback on the app's own origin."""
    for app, client in ((docs_app, "docs"), (drive_app, "drive")):
        assert not set(app.env_file.read_text().splitlines()) - set(
            standins.env_block(client, emu.url, app.url).splitlines()
        ), "the env file is the emulator's block, unchanged"
        start = requests.get(f"{app.url}/api/v1.0/authenticate/", allow_redirects=False, timeout=HTTP_TIMEOUT)
        target = redirect_target(start)
        assert target.startswith(emu.endpoint("auth") + "?"), target
        query = {k: v[0] for k, v in parse_qs(urlsplit(target).query).items()}
        assert query["client_id"] == client
        assert query["redirect_uri"] == f"{app.url}/api/v1.0/callback/"
        assert query["scope"] == "openid email"  # OIDC_RP_SCOPES="openid email", unquoted
        assert query["acr_values"] == "eidas1"  # OIDC_AUTH_REQUEST_EXTRA_PARAMS, a dict
        assert query["response_type"] == "code" and query["nonce"] and query["state"]


@pytest.mark.parametrize("app_name", ["docs_app", "drive_app"])
def test_a_post_from_an_origin_the_block_names_passes_the_csrf_check(request, app_name):
    """Issue 12: the block's DJANGO_CSRF_TRUSTED_ORIGINS reaches Django under upstream's
    declaration: a POST from the backend origin it names passes; from an origin it does not
    name, Django's 403 "CSRF verification failed" (Origin checking failed)."""
    app = request.getfixturevalue(app_name)
    backend = {"docs_app": "http://localhost:8071", "drive_app": "http://localhost:8072"}[app_name]
    with requests.Session() as session:
        probe = f"{app.url}/api/v1.0/csrf-probe/"
        assert session.get(probe, timeout=HTTP_TIMEOUT).status_code == 200
        token = session.cookies["csrftoken"]
        headers = {"X-CSRFToken": token, "Referer": f"{backend}/"}
        trusted = session.post(probe, headers={**headers, "Origin": backend}, timeout=HTTP_TIMEOUT)
        assert trusted.status_code == 200, trusted.text[:300]
        other = session.post(
            probe, headers={**headers, "Origin": "http://localhost:9"}, timeout=HTTP_TIMEOUT
        )
        assert other.status_code == 403
        assert "CSRF verification failed" in other.text


def test_docs_stores_a_file_in_drive_with_the_users_token(emu, docs_app, drive_app, browser):
    app_login(browser, docs_app, emu)
    answer = docs_to_drive(browser, docs_app, "minutes.txt", "Meeting minutes")
    assert answer.status_code == 200, describe(answer)
    item = answer.json()["item"]
    assert answer.json()["read_back"] == "Meeting minutes"
    assert (item["upload_state"], item["mimetype"], item["size"]) == ("analyzing", "text/plain", 15)
    assert item["creator"]["full_name"] == "Alice Liddell"

    # The object in S3, read through django-storages configured by the Drive block.
    stored = in_drive_storage(drive_app, f"item/{item['id']}/minutes.txt")
    assert stored.status_code == 200, describe(stored)
    assert (stored.json()["size"], stored.json()["content_type"]) == (15, "text/plain")


def test_an_expired_access_token_is_refreshed_before_the_drive_call(emu, docs_app, browser):
    app_login(browser, docs_app, emu)
    before = stored_tokens(browser, docs_app)["access_token"]
    expired = browser.post(f"{docs_app.url}/api/v1.0/session-tokens/expire/", timeout=HTTP_TIMEOUT)
    assert expired.status_code == 200, describe(expired)

    answer = docs_to_drive(browser, docs_app, "second.txt", "again")
    assert answer.status_code == 200, describe(answer)
    after = stored_tokens(browser, docs_app)["access_token"]
    assert after != before, "refresh_oidc_access_token kept the expired access token"
    assert emu.introspect(after, client_id="drive").json()["active"] is True


def test_docs_renews_before_the_access_token_dies(emu, docs_app, browser):
    """Issue 12: the block renews tokens before their lifetime ends. After login the session's
    renewal deadline is the block's OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS (240 s) ahead, under the
    token's 300 s. Then the emulator's clock passes the token's life (the token is dead there)
    and Django's deadline passes too (the session hook stands in for 240 s of Django's clock):
    the app refreshes before its Drive call, which succeeds with a live token."""
    app_login(browser, docs_app, emu)
    session = stored_tokens(browser, docs_app)
    _header, claims = jwt_parts(session["access_token"])
    lifetime = claims["exp"] - claims["iat"]
    assert lifetime == 300, "the upstream dev realms' accessTokenLifespan"
    renew_after = session["expires"] - time.time()
    assert 230 < renew_after <= 240, f"renewal {renew_after:.0f} s after login, below {lifetime} s"

    with clock_moved(emu, lifetime + 1):
        assert emu.introspect(session["access_token"], client_id="drive").json() == {"active": False}
        expired = browser.post(f"{docs_app.url}/api/v1.0/session-tokens/expire/", timeout=HTTP_TIMEOUT)
        assert expired.status_code == 200, describe(expired)
        answer = docs_to_drive(browser, docs_app, "later.txt", "five minutes on")
        assert answer.status_code == 200, describe(answer)
        renewed = stored_tokens(browser, docs_app)["access_token"]
        assert renewed != session["access_token"]
        assert emu.introspect(renewed, client_id="drive").json()["active"] is True


def test_logout_ends_the_sso_session(emu, docs_app, browser):
    app_login(browser, docs_app, emu)
    token = stored_tokens(browser, docs_app)["access_token"]

    out = browser.get(f"{docs_app.url}/api/v1.0/logout/", allow_redirects=False, timeout=HTTP_TIMEOUT)
    end_session = redirect_target(out)
    assert end_session.startswith(emu.endpoint("logout") + "?"), end_session
    back = browser.get(end_session, allow_redirects=False, timeout=HTTP_TIMEOUT)
    callback = redirect_target(back)
    assert callback.startswith(f"{docs_app.url}/api/v1.0/logout-callback/?state="), describe(back)
    done = browser.get(callback, allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert redirect_target(done).rstrip("/") == docs_app.url, describe(done)  # LOGOUT_REDIRECT_URL

    # The app has no user any more, the token is dead, and the SSO cookie no longer logs in.
    assert docs_to_drive(browser, docs_app, "late.txt", "x").status_code == 401
    assert emu.introspect(token, client_id="drive").json() == {"active": False}
    silent = browser.get(
        emu.endpoint("auth") + "?" + urlencode({
            "client_id": "docs", "response_type": "code", "scope": "openid",
            "redirect_uri": f"{docs_app.url}/api/v1.0/callback/", "state": "s", "prompt": "none",
        }),
        allow_redirects=False, timeout=HTTP_TIMEOUT,
    )
    query = parse_qs(urlsplit(redirect_target(silent)).query)
    assert query["error"] == ["login_required"], describe(silent)


@pytest.fixture(scope="module")
def alice_uses_drive(standin_emulator, drive_app):
    """Drive's resource server only serves users it knows (django-lasuite looks the `sub` up,
    it does not create users): alice has logged in to the Drive-like app once."""
    with requests.Session() as browser:
        app_login(browser, drive_app, standin_emulator)


def test_drive_knows_no_user_who_never_logged_in_to_it(emu, drive_app):
    answer = me_at_drive(drive_app, emu.mint(client_id="docs", username="bob")["access_token"])
    assert answer.status_code == 401, describe(answer)
    assert answer.json() == {"detail": "Login failed: No user found for the given access token."}


def test_drive_accepts_the_token_docs_obtained(emu, docs_app, drive_app, browser):
    app_login(browser, docs_app, emu)
    # Same browser: the SSO cookie logs alice in to the Drive-like app without a form.
    app_login(browser, drive_app, emu, silent=True)
    home = browser.get(drive_app.url, timeout=HTTP_TIMEOUT)
    assert "Signed in as alice@example.com" in home.text, describe(home)

    token = stored_tokens(browser, docs_app)["access_token"]
    answer = me_at_drive(drive_app, token)
    assert answer.status_code == 200, describe(answer)
    assert (answer.json()["email"], answer.json()["audience"]) == ("alice@example.com", "docs")


@pytest.mark.usefixtures("alice_uses_drive")
def test_drive_refuses_a_token_of_another_client(emu, drive_app):
    # Authenticated, but client `find` is not in the block's OIDC_RS_ALLOWED_AUDIENCES: 403.
    answer = me_at_drive(drive_app, emu.mint(client_id="find")["access_token"])
    assert answer.status_code == 403, describe(answer)


@pytest.mark.usefixtures("alice_uses_drive")
def test_drive_refuses_an_expired_token(emu, drive_app):
    token = emu.mint(client_id="docs", ttl=60)["access_token"]
    assert me_at_drive(drive_app, token).status_code == 200
    with clock_moved(emu, 120):
        answer = me_at_drive(drive_app, token)
    # django-lasuite 0.0.28 raises SuspiciousOperation on an inactive token: Django's 400.
    assert answer.status_code == 400, describe(answer)


@pytest.mark.usefixtures("alice_uses_drive")
def test_drive_refuses_a_revoked_token(emu, drive_app):
    token = emu.mint(client_id="docs")["access_token"]
    assert me_at_drive(drive_app, token).status_code == 200
    assert emu.revoke(token, client_id="docs").status_code == 200
    answer = me_at_drive(drive_app, token)
    assert answer.status_code == 400, describe(answer)  # as for an expired token


# --- faults on the way from Docs to S3 -----------------------------------------------------------


def test_a_token_revoked_between_two_calls_is_refused_by_drive(emu, docs_app, browser):
    app_login(browser, docs_app, emu)
    assert docs_to_drive(browser, docs_app, "first.txt", "one").status_code == 200
    token = stored_tokens(browser, docs_app)["access_token"]
    assert emu.revoke(token, client_id="docs").status_code == 200

    answer = docs_to_drive(browser, docs_app, "second.txt", "two")
    assert answer.status_code == 502, describe(answer)
    failure = answer.json()
    # Drive 0.21.1 (django-lasuite 0.0.28): an inactive token is a 500 in the envelope.
    assert (failure["failed_step"], failure["status"]) == ("list items", 500), failure
    assert json.loads(failure["body"]) == SERVER_ERROR, failure


def test_a_disallowed_extension_is_refused_at_creation(emu, docs_app, browser):
    app_login(browser, docs_app, emu)
    created = browser.post(
        f"{docs_app.url}/api/v1.0/drive/files/", json={"filename": "tool.exe"}, timeout=HTTP_TIMEOUT
    )
    assert created.status_code == 502, describe(created)
    failure = created.json()
    assert (failure["failed_step"], failure["status"]) == ("create the file", 400), failure
    assert "item_create_file_extension_not_allowed" in failure["body"], failure


def test_a_disallowed_file_type_is_refused_and_removed(emu, docs_app, drive_app, browser):
    app_login(browser, docs_app, emu)
    created = browser.post(
        f"{docs_app.url}/api/v1.0/drive/files/", json={"filename": "report.pdf"}, timeout=HTTP_TIMEOUT
    )
    assert created.status_code == 201, describe(created)
    item = created.json()
    # A Windows executable (PE header) named .pdf: Drive sniffs the bytes, not the name.
    program = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
    put = requests.put(item["policy"], data=program, headers={"X-amz-acl": "private"}, timeout=HTTP_TIMEOUT)
    assert put.status_code == 200, describe(put)

    ended = browser.post(f"{docs_app.url}/api/v1.0/drive/files/{item['id']}/upload-ended/", timeout=HTTP_TIMEOUT)
    assert ended.status_code == 502, describe(ended)
    failure = ended.json()
    assert (failure["failed_step"], failure["status"]) == ("end the upload", 400), failure
    assert "file_type_not_allowed" in failure["body"], failure
    assert in_drive_storage(drive_app, f"item/{item['id']}/report.pdf").status_code == 404


def test_an_expired_presigned_url_is_refused_by_s3(emu, docs_app, browser):
    app_login(browser, docs_app, emu)
    created = browser.post(
        f"{docs_app.url}/api/v1.0/drive/files/", json={"filename": "late.txt"}, timeout=HTTP_TIMEOUT
    )
    assert created.status_code == 201, describe(created)
    policy = created.json()["policy"]
    lifetime = int(parse_qs(urlsplit(policy).query)["X-Amz-Expires"][0])
    with clock_moved(emu, lifetime + 60):
        put = requests.put(policy, data=b"too late", headers={"X-amz-acl": "private"}, timeout=HTTP_TIMEOUT)
    assert put.status_code == 403, describe(put)
    assert "<Code>AccessDenied</Code>" in put.text, describe(put)


def test_upload_ended_without_an_upload_is_refused(emu, docs_app, browser):
    app_login(browser, docs_app, emu)
    created = browser.post(
        f"{docs_app.url}/api/v1.0/drive/files/", json={"filename": "never.txt"}, timeout=HTTP_TIMEOUT
    )
    assert created.status_code == 201, describe(created)
    ended = browser.post(
        f"{docs_app.url}/api/v1.0/drive/files/{created.json()['id']}/upload-ended/", timeout=HTTP_TIMEOUT
    )
    assert ended.status_code == 502, describe(ended)
    failure = ended.json()
    # Drive 0.21.1's HEAD of the missing object raises: 500 in the envelope, as upstream.
    assert (failure["failed_step"], failure["status"]) == ("end the upload", 500), failure
    assert json.loads(failure["body"]) == SERVER_ERROR, failure
