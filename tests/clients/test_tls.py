"""The login, resource-server and boto3 paths once more against ``serve --tls``, with
certificate verification on and the emulator's CA as the only trusted root, the way the
env blocks configure an app (OIDC_VERIFY_SSL=True, REQUESTS_CA_BUNDLE, AWS_CA_BUNDLE).
"""

from __future__ import annotations

import uuid

import pytest
import requests
from django.test import override_settings
from lasuite.oidc_resource_server.authentication import get_resource_server_backend

import test_oidc_login as login_tests
import test_resource_server as rs_tests
from emu import (
    HTTP_TIMEOUT, RP_HOST, SECRET, browser_login, describe, oidc_login_settings, query_of,
)
from s3util import DRIVE_BUCKET, DRIVE_CREDS, DRIVE_REGION, make_client


@pytest.fixture
def tls_emu(emulator_tls, monkeypatch):
    """The TLS emulator, with the variables `lasuite-emu env --tls` prints pointing at its CA."""
    assert emulator_tls.url.startswith("https://"), emulator_tls.url
    for name in ("REQUESTS_CA_BUNDLE", "AWS_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.setenv(name, emulator_tls.ca)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    return emulator_tls


def test_verification_is_on(emulator_tls, monkeypatch):
    """Without the CA, requests refuses the emulator's certificate: nothing below passes by
    accident of a disabled check."""
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{emulator_tls.url}/_emu/health", timeout=HTTP_TIMEOUT)
    # and with it, the same request passes, verified
    ok = requests.get(f"{emulator_tls.url}/_emu/health", timeout=HTTP_TIMEOUT,
                      verify=emulator_tls.ca)
    assert ok.status_code == 200, describe(ok)


def test_discovery_names_the_https_issuer(tls_emu):
    resp = requests.get(f"{tls_emu.realm_url()}/.well-known/openid-configuration",
                        timeout=HTTP_TIMEOUT)
    assert resp.status_code == 200, describe(resp)
    body = resp.json()
    assert body["issuer"] == tls_emu.realm_url()
    assert body["token_endpoint"] == tls_emu.endpoint("token")


def test_login_over_tls(tls_emu, django_client):
    """mozilla-django-oidc + django-lasuite, OIDC_VERIFY_SSL=True: the whole code flow."""
    with override_settings(OIDC_VERIFY_SSL=True, **oidc_login_settings(tls_emu)), \
            requests.Session() as browser:
        login_tests.login(django_client, browser, tls_emu)
        session = django_client.session
        assert session.get("oidc_access_token"), "access token stored"


# Drive 0.21.1's `Production` configuration class (src/backend/drive/settings.py), the security
# settings it adds to Base: what an app behind an https front end runs with.
DRIVE_PRODUCTION_SECURITY = {
    "SECURE_BROWSER_XSS_FILTER": True,
    "SECURE_CONTENT_TYPE_NOSNIFF": True,
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "SECURE_HSTS_SECONDS": 60,
    "SECURE_HSTS_PRELOAD": True,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_SSL_REDIRECT": True,
    "CSRF_COOKIE_SECURE": True,
    "SESSION_COOKIE_SECURE": True,
    "SECURE_REFERRER_POLICY": "same-origin",
    # Drive's middleware, less the packages this suite does not install (whitenoise, corsheaders,
    # dockerflow): SecurityMiddleware is what applies the settings above.
    "MIDDLEWARE": [
        "django.middleware.security.SecurityMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ],
}


def test_login_with_drive_production_security_settings(tls_emu, django_client):
    """The code flow with Drive's Production security settings on the RP: https redirect URI,
    Secure session cookie, OIDC_VERIFY_SSL=True, the emulator's CA as the only root."""
    rp_https = f"https://{RP_HOST}"
    settings = {**DRIVE_PRODUCTION_SECURITY, "OIDC_VERIFY_SSL": True, **oidc_login_settings(tls_emu)}
    with override_settings(**settings), requests.Session() as browser:
        # The settings are live: plain http to the RP is sent to https first.
        insecure = django_client.get("/api/v1.0/authenticate/")
        assert insecure.status_code == 301, insecure
        assert insecure["Location"] == f"{rp_https}/api/v1.0/authenticate/"

        start = django_client.get("/api/v1.0/authenticate/", secure=True)
        assert start.status_code == 302, start
        auth_url = start["Location"]
        assert auth_url.startswith(tls_emu.endpoint("auth") + "?"), auth_url
        params = query_of(auth_url)
        assert params["redirect_uri"] == f"{rp_https}/api/v1.0/callback/"

        back = browser_login(browser, auth_url, tls_emu, "alice")
        assert back.startswith(f"{rp_https}/api/v1.0/callback/?"), back
        query = query_of(back)
        assert query["state"] == params["state"] and query.get("code"), back
        done = django_client.get("/api/v1.0/callback/", query, secure=True)
        assert done.status_code == 302 and done["Location"] == "/ok/", (
            done, "the RP refused the login (see the captured log)")
        assert django_client.session.get("oidc_access_token"), "access token stored"
        assert done.cookies["sessionid"]["secure"] is True, "SESSION_COOKIE_SECURE"
        assert done["Strict-Transport-Security"] == "max-age=60; includeSubDomains; preload"
        # The token the RP got is the https issuer's, and introspects as active over https.
        token = django_client.session["oidc_access_token"]
        intro = requests.post(tls_emu.endpoint("token/introspect"), timeout=HTTP_TIMEOUT,
                              data={"token": token}, auth=("drive", SECRET))
        assert intro.status_code == 200, describe(intro)
        assert intro.json()["active"] is True and intro.json()["iss"] == tls_emu.realm_url()


def test_resource_server_over_tls(tls_emu, django_client):
    """django-lasuite's introspection call to the https endpoint, verified."""
    get_resource_server_backend.cache_clear()
    try:
        with override_settings(OIDC_VERIFY_SSL=True, **rs_tests._rs_settings(tls_emu)):
            token = tls_emu.mint("docs", "alice")["access_token"]
            user = rs_tests.make_django_user(tls_emu, token, "alice@example.com")
            resp = rs_tests.call_api(django_client, token)
            assert resp.status_code == 200, rs_tests.explain(resp)
            assert resp.json()["sub"] == user.sub
    finally:
        get_resource_server_backend.cache_clear()


def test_boto3_over_tls(tls_emu):
    """boto3 as Drive has it, AWS_CA_BUNDLE naming the CA: SigV4 over https, presigned PUT."""
    s3 = make_client(tls_emu.url, DRIVE_CREDS, DRIVE_REGION)
    key = f"item/{uuid.uuid4()}/tls.txt"
    s3.put_object(Bucket=DRIVE_BUCKET, Key=key, Body=b"over https")
    assert s3.get_object(Bucket=DRIVE_BUCKET, Key=key)["Body"].read() == b"over https"
    url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": DRIVE_BUCKET, "Key": key, "ACL": "private"},
        ExpiresIn=60,
    )
    assert url.startswith(tls_emu.url + "/"), url
    put = requests.put(url, data=b"presigned", headers={"X-amz-acl": "private"},
                       timeout=HTTP_TIMEOUT)
    assert put.status_code == 200, describe(put)
    assert s3.get_object(Bucket=DRIVE_BUCKET, Key=key)["Body"].read() == b"presigned"


def test_plain_http_to_the_tls_port_is_told_to_use_https(emulator_tls):
    plain = "http://" + emulator_tls.url.removeprefix("https://")
    resp = requests.get(f"{plain}/_emu/health", timeout=HTTP_TIMEOUT)
    assert resp.status_code == 400, describe(resp)
    assert resp.text == f"This port speaks HTTPS; use {emulator_tls.url}/_emu/health\n"
