"""Browser login against the emulator with the real RP libraries (spec sections 3, 4, 5).

The RP is mozilla-django-oidc 5.0.2 + django-lasuite 0.0.28 wired as Docs wires them
(lasuite OIDCAuthenticationRequestView / OIDCAuthenticationCallbackView /
OIDCAuthenticationBackend, oidc_login URLs under /api/v1.0/). The Django test client plays the
RP's side of the browser (its session cookie), a ``requests.Session`` plays the emulator's side
(its SSO cookie): the test carries the redirects between them by hand.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

from emu import (
    HTTP_TIMEOUT,
    RP_HOST,
    RP_ORIGIN,
    SECRET,
    USERS,
    browser_login,
    describe,
    follow_on_emulator,
    is_redirect,
    jwt_parts,
    login_form,
    oidc_login_settings,
    parse_page,
    query_of,
    redirect_target,
    submit_login,
)

CALLBACK_URL = f"{RP_ORIGIN}/api/v1.0/callback/"
LOGOUT_CALLBACK_URL = f"{RP_ORIGIN}/api/v1.0/logout-callback/"

User = get_user_model()


@pytest.fixture
def emu(emulator):
    """The default emulator, with the RP's OIDC_OP_* settings pointed at it."""
    with override_settings(**oidc_login_settings(emulator)):
        yield emulator


@pytest.fixture
def browser():
    """The browser's cookie jar for the emulator (keeps its SSO cookie)."""
    with requests.Session() as session:
        yield session


# --- helpers ---------------------------------------------------------------------------------


def start_auth(client: Client, emu, **query) -> tuple[str, dict]:
    """GET the RP's /authenticate/ and return (authorization URL, its query parameters)."""
    resp = client.get("/api/v1.0/authenticate/", query)
    assert resp.status_code == 302, resp
    url = resp["Location"]
    assert url.startswith(emu.endpoint("auth") + "?"), url
    return url, query_of(url)


def rp_get(client: Client, url: str, expected_prefix: str):
    """Hand a redirect that the emulator sent the browser to the RP (Django test client)."""
    assert url.startswith(expected_prefix), f"redirect to {url!r}, expected {expected_prefix!r}…"
    parts = urlsplit(url)
    return client.get(parts.path, dict(parse_qsl(parts.query, keep_blank_values=True)))


def assert_code_redirect(url: str, state: str) -> dict:
    assert url.startswith(CALLBACK_URL + "?"), f"not a redirect to the redirect_uri: {url!r}"
    q = query_of(url)
    assert "error" not in q, f"authorization error: {url!r}"
    assert q.get("code"), f"no code in {url!r}"
    assert q.get("state") == state, f"state not echoed: sent {state!r}, got {url!r}"
    return q


def assert_logged_in(client: Client, resp, email="alice@example.com"):
    assert resp.status_code == 302, resp
    assert resp["Location"] == "/ok/", (
        f"callback redirected to {resp['Location']!r}, not LOGIN_REDIRECT_URL (/ok/): "
        "the RP refused the login (see the captured log)"
    )
    user = User.objects.get(email=email)
    assert client.session.get("_auth_user_id") == str(user.pk)
    return user


def login(client: Client, browser: requests.Session, emu, username="alice", **query):
    """A complete interactive login; returns the authorization request parameters."""
    auth_url, params = start_auth(client, emu, **query)
    back = browser_login(browser, auth_url, emu, username)
    assert_code_redirect(back, params["state"])
    resp = rp_get(client, back, CALLBACK_URL)
    assert_logged_in(client, resp, USERS[username]["email"])
    return params


# --- tests -----------------------------------------------------------------------------------


def test_authorization_code_login(emu, django_client, browser):
    auth_url, params = start_auth(django_client, emu)
    # what the RP sends (spec 3.3); sanity check of the wiring, not of the emulator
    assert params["response_type"] == "code"
    assert params["client_id"] == "docs"
    assert params["redirect_uri"] == CALLBACK_URL
    assert params["scope"] == "openid email"
    assert params["acr_values"] == "eidas1"
    assert len(params["state"]) == 32 and len(params["nonce"]) == 32

    back = browser_login(browser, auth_url, emu, "alice")
    assert_code_redirect(back, params["state"])

    resp = rp_get(django_client, back, CALLBACK_URL)
    user = assert_logged_in(django_client, resp)
    assert user.email == "alice@example.com"
    assert user.name == "Alice Liddell", "full name built from first_name/last_name userinfo claims"
    assert user.sub

    session = django_client.session
    access_token = session.get("oidc_access_token")
    assert access_token, "OIDC_STORE_ACCESS_TOKEN: access token kept in the session"
    assert session.get("oidc_refresh_token"), "OIDC_STORE_REFRESH_TOKEN: refresh token kept"
    id_token = session.get("oidc_id_token")
    assert id_token

    # the ID token the library accepted: kid in the JWKS, nonce echoed, aud = client
    header, claims = jwt_parts(id_token)
    assert header["alg"] == "RS256"
    assert header["kid"] in {k["kid"] for k in emu.jwks()["keys"]}
    assert claims["nonce"] == params["nonce"]
    assert claims["aud"] in ("docs", ["docs"])
    assert claims["iss"] == emu.realm_url()
    assert claims["sub"] == user.sub

    # the stored access token works at userinfo, for the same sub
    assert emu.sub_of(access_token) == user.sub

    # the page the user lands on is the RP's own
    assert django_client.get(resp["Location"]).status_code == 200


def test_silent_login_reuses_sso_cookie(emu, django_client, browser):
    first = login(django_client, browser, emu)
    alice = User.objects.get(email="alice@example.com")

    # a new RP session (another tab / app), same browser: prompt=none must be silent
    other = Client(HTTP_HOST=RP_HOST)
    auth_url, params = start_auth(other, emu, silent="true")
    assert params["prompt"] == "none"
    assert params["state"] != first["state"]
    resp = browser.get(auth_url, allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert resp.status_code == 302, f"prompt=none with an SSO cookie: {describe(resp)}"
    back = redirect_target(resp)
    assert_code_redirect(back, params["state"])

    resp = rp_get(other, back, CALLBACK_URL)
    user = assert_logged_in(other, resp)
    assert user.pk == alice.pk, "same sub, same Django user"
    assert other.session.get("oidc_access_token")


def test_silent_login_without_sso_session(emu, django_client):
    with requests.Session() as fresh:
        auth_url, params = start_auth(django_client, emu, silent="true")
        assert params["prompt"] == "none"
        resp = fresh.get(auth_url, allow_redirects=False, timeout=HTTP_TIMEOUT)
        assert resp.status_code == 302, f"prompt=none without SSO cookie: {describe(resp)}"
        back = redirect_target(resp)
        assert back.startswith(CALLBACK_URL + "?"), back
        q = query_of(back)
        assert q.get("error") == "login_required", back
        assert q.get("state") == params["state"], back
        assert "code" not in q

    # lasuite treats it as "not logged in", not as a failure
    resp = rp_get(django_client, back, CALLBACK_URL)
    assert resp.status_code == 302
    assert resp["Location"] == "/ok/"
    assert "_auth_user_id" not in django_client.session
    assert not User.objects.exists()


def test_wrong_password_reshows_login_page(emu, django_client, browser):
    auth_url, params = start_auth(django_client, emu)
    page = follow_on_emulator(
        browser, browser.get(auth_url, allow_redirects=False, timeout=HTTP_TIMEOUT), emu
    )
    assert page.status_code == 200, describe(page)

    wrong = submit_login(browser, page, "alice", "not-alice")
    assert wrong.status_code == 200, f"wrong password must re-show the page: {describe(wrong)}"
    assert "Location" not in wrong.headers
    assert "text/html" in wrong.headers.get("Content-Type", ""), describe(wrong)
    reshown = parse_page(wrong.text)
    assert "input-error" in reshown.ids, "no element with id input-error on the re-shown page"
    login_form(reshown)  # the form is still there

    # and the user can still log in from that page
    answer = follow_on_emulator(browser, submit_login(browser, wrong, "alice", "alice"), emu)
    back = redirect_target(answer)
    assert_code_redirect(back, params["state"])
    assert_logged_in(django_client, rp_get(django_client, back, CALLBACK_URL))


def test_pkce_login(emu, django_client, browser):
    with override_settings(OIDC_USE_PKCE=True):
        auth_url, params = start_auth(django_client, emu)
        assert params["code_challenge_method"] == "S256"
        assert params["code_challenge"]
        back = browser_login(browser, auth_url, emu, "alice")
        assert_code_redirect(back, params["state"])
        assert_logged_in(django_client, rp_get(django_client, back, CALLBACK_URL))
        assert django_client.session.get("oidc_access_token")


def test_pkce_code_is_refused_without_verifier(emu, django_client, browser):
    """A code issued for a PKCE request cannot be redeemed without code_verifier (spec 10.1)."""
    with override_settings(OIDC_USE_PKCE=True):
        auth_url, params = start_auth(django_client, emu)
    back = browser_login(browser, auth_url, emu, "alice")
    code = assert_code_redirect(back, params["state"])["code"]
    resp = requests.post(
        emu.endpoint("token"),
        data={
            "grant_type": "authorization_code",
            "client_id": "docs",
            "client_secret": SECRET,
            "code": code,
            "redirect_uri": CALLBACK_URL,
        },
        timeout=HTTP_TIMEOUT,
    )
    assert resp.status_code == 400, describe(resp)
    assert resp.json().get("error") == "invalid_grant", describe(resp)


def test_refresh_oidc_access_token(emu, django_client, browser):
    login(django_client, browser, emu)
    before = django_client.session["oidc_access_token"]

    # not expired yet: the decorated view does nothing
    resp = django_client.get("/api/v1.0/session-tokens/")
    assert resp.status_code == 200, resp.content
    assert resp.json()["access_token"] == before

    session = django_client.session
    session["oidc_id_token_expiration"] = time.time() - 10
    session.save()

    resp = django_client.get("/api/v1.0/session-tokens/")
    assert resp.status_code == 200, (
        f"refresh failed: {resp.status_code} {resp.content!r} (401 = token endpoint refused "
        "the refresh_token grant or answered without refresh_token; see the captured log)"
    )
    after = resp.json()["access_token"]
    assert after and after != before, "the stored access token must have been replaced"
    assert resp.json()["id_token_expiration"] > time.time()
    # a refresh_token must come back (new or the same one), or lasuite fails with a 500
    assert django_client.session["oidc_refresh_token"]
    assert django_client.session.get("oidc_id_token") is None  # lasuite drops it on refresh

    # the new token is a working access token of the same user, issued to docs
    assert emu.sub_of(after) == User.objects.get(email="alice@example.com").sub
    intro = emu.introspect(after, client_id="drive")
    assert intro.status_code == 200, describe(intro)
    assert intro.json().get("active") is True, describe(intro)
    assert intro.json().get("client_id") == "docs", describe(intro)


def test_refresh_refused_asks_for_silent_reauth(emu, django_client, browser):
    """A refresh_token the OP refuses (400 invalid_grant) makes lasuite answer 401 with a
    prompt=none refresh_url (spec 4); following it with the SSO cookie logs in again."""
    from lasuite.oidc_login.backends import store_oidc_refresh_token

    login(django_client, browser, emu)
    session = django_client.session
    store_oidc_refresh_token(session, "bogus-refresh-token.not-issued")
    session["oidc_id_token_expiration"] = time.time() - 10
    session.save()

    resp = django_client.get("/api/v1.0/session-tokens/")
    assert resp.status_code == 401, resp.content
    refresh_url = resp.json().get("refresh_url")
    assert refresh_url, f"no refresh_url: the token endpoint did not answer 400 ({resp.content!r})"
    assert refresh_url.startswith(emu.endpoint("auth") + "?")
    params = query_of(refresh_url)
    assert params["prompt"] == "none"

    answer = browser.get(refresh_url, allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert answer.status_code == 302, describe(answer)
    back = redirect_target(answer)
    assert_code_redirect(back, params["state"])
    resp = rp_get(django_client, back, CALLBACK_URL)
    assert resp.status_code == 302
    assert resp["Location"] == "/api/v1.0/session-tokens/", "back to the page that needed it"
    resp = django_client.get(resp["Location"])
    assert resp.status_code == 200, resp.content
    assert resp.json()["authenticated"] is True


def test_authorization_code_is_single_use(emu, django_client, browser):
    auth_url, params = start_auth(django_client, emu)
    back = browser_login(browser, auth_url, emu, "alice")
    code = assert_code_redirect(back, params["state"])["code"]
    assert_logged_in(django_client, rp_get(django_client, back, CALLBACK_URL))

    # the RP redeemed it; a second redemption must fail
    resp = requests.post(
        emu.endpoint("token"),
        data={
            "grant_type": "authorization_code",
            "client_id": "docs",
            "client_secret": SECRET,
            "code": code,
            "redirect_uri": CALLBACK_URL,
        },
        timeout=HTTP_TIMEOUT,
    )
    assert resp.status_code == 400, describe(resp)
    assert resp.json().get("error") == "invalid_grant", describe(resp)


def test_token_endpoint_rejects_bad_client_secret(emu):
    resp = requests.post(
        emu.endpoint("token"),
        data={
            "grant_type": "password",
            "client_id": "docs",
            "client_secret": "not-the-secret",
            "username": "alice",
            "password": "alice",
            "scope": "openid",
        },
        timeout=HTTP_TIMEOUT,
    )
    assert resp.status_code == 401, describe(resp)
    assert resp.json().get("error") == "invalid_client", describe(resp)


def test_discovery_matches_configured_endpoints(emu):
    resp = requests.get(f"{emu.realm_url()}/.well-known/openid-configuration",
                        timeout=HTTP_TIMEOUT)
    assert resp.status_code == 200, describe(resp)
    conf = resp.json()
    assert conf["issuer"] == emu.realm_url()
    assert conf["authorization_endpoint"] == emu.endpoint("auth")
    assert conf["token_endpoint"] == emu.endpoint("token")
    assert conf["userinfo_endpoint"] == emu.endpoint("userinfo")
    assert conf["jwks_uri"] == emu.endpoint("certs")
    assert conf["end_session_endpoint"] == emu.endpoint("logout")
    assert conf["introspection_endpoint"] == emu.endpoint("token/introspect")


def test_rp_initiated_logout(emu, django_client, browser):
    login(django_client, browser, emu)
    id_token = django_client.session["oidc_id_token"]

    resp = django_client.get("/api/v1.0/logout/")
    assert resp.status_code == 302
    logout_url = resp["Location"]
    assert logout_url.startswith(emu.endpoint("logout") + "?"), logout_url
    q = query_of(logout_url)
    assert q["id_token_hint"] == id_token
    assert q["post_logout_redirect_uri"] == LOGOUT_CALLBACK_URL
    state = q["state"]

    answer = browser.get(logout_url, allow_redirects=False, timeout=HTTP_TIMEOUT)
    answer = follow_on_emulator(browser, answer, emu)
    back = redirect_target(answer)
    assert back.startswith(LOGOUT_CALLBACK_URL), f"end-session did not go back: {describe(answer)}"
    assert query_of(back).get("state") == state, f"state not carried back: {back!r}"

    resp = rp_get(django_client, back, LOGOUT_CALLBACK_URL)
    assert resp.status_code == 302
    assert resp["Location"] == "/bye/"
    assert "_auth_user_id" not in django_client.session, "Django session logged out"

    # the emulator's SSO session is over: prompt=none now answers login_required
    auth_url, params = start_auth(django_client, emu, silent="true")
    resp = browser.get(auth_url, allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert resp.status_code == 302, describe(resp)
    q = query_of(redirect_target(resp))
    assert q.get("error") == "login_required", describe(resp)
    assert q.get("state") == params["state"]


def test_signed_userinfo_login(emu, django_client, browser):
    """Client impress answers userinfo as application/jwt (as both dev Keycloak realms do)."""
    with override_settings(OIDC_RP_CLIENT_ID="impress"):
        params = login(django_client, browser, emu)
        assert params["client_id"] == "impress"
        user = User.objects.get(email="alice@example.com")
        assert user.name == "Alice Liddell"

        # make sure the signed path really was the one exercised
        token = django_client.session["oidc_access_token"]
        resp = emu.userinfo(token)
        assert resp.status_code == 200, describe(resp)
        ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
        assert ctype == "application/jwt", describe(resp)
        header, claims = jwt_parts(resp.text.strip())
        assert header["alg"] == "RS256"
        assert header["kid"] in {k["kid"] for k in emu.jwks()["keys"]}
        assert "nonce" not in claims, "a signed userinfo JWT must not carry a nonce"
        assert claims["sub"] == user.sub
        assert claims["iss"] == emu.realm_url()
        assert claims.get("aud") in ("impress", ["impress"])
        if "exp" in claims:
            assert claims["exp"] > time.time()


def test_userinfo_is_json_for_docs(emu):
    token = emu.mint("docs", "alice")["access_token"]
    resp = emu.userinfo(token)
    assert resp.status_code == 200, describe(resp)
    assert resp.headers.get("Content-Type", "").startswith("application/json"), describe(resp)
    info = resp.json()
    assert info["sub"]
    assert info["email"] == "alice@example.com"
    assert info.get("first_name") == "Alice" and info.get("last_name") == "Liddell", info


def test_userinfo_rejects_bad_token(emu):
    resp = emu.userinfo("not-a-token.at-all")
    assert resp.status_code == 401, describe(resp)
    www = resp.headers.get("WWW-Authenticate", "")
    assert www.startswith("Bearer") and 'error="invalid_token"' in www, describe(resp)
