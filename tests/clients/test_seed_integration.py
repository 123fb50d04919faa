"""The seed's Docs -> Drive configuration, value for value, against fixtures/seed.toml (issue 13).

* Docs logs a user in (authorization code flow, driven by authlib 1.9.10's OAuth2Session, a
  real OAuth client library), then calls Drive with the user's token;
* Drive validates it as the seed configures it: django-lasuite 0.0.28's ResourceServerBackend
  with ``OIDC_RS_AUDIENCE_CLAIM=aud`` and ``OIDC_RS_ALLOWED_AUDIENCES=drive,docs`` (the view is
  wired like Drive's external API, with its audience permission);
* a token exchanged under Keycloak's standard token exchange (RFC 8693), again through authlib,
  is accepted too; ``find``'s tokens (``aud: account``) are refused; each exchange refusal is
  Keycloak's error, as authlib reports it.
"""

from __future__ import annotations

import pytest
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from django.contrib.auth import get_user_model
from django.test import override_settings
from lasuite.oidc_resource_server.authentication import get_resource_server_backend

from emu import SECRET, browser_login, jwt_parts

User = get_user_model()

ME = "/external_api/v1.0/users/me/"
EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
# Docs' callback on the stand-in origin (any localhost URI is a valid redirect by default).
CALLBACK = "http://localhost:8071/api/v1.0/callback/"


@pytest.fixture
def seed(emulator_seed):
    """Django as Drive's resource server, with the seed's values."""
    get_resource_server_backend.cache_clear()
    with override_settings(
        OIDC_OP_URL=emulator_seed.realm_url(),
        OIDC_OP_INTROSPECTION_ENDPOINT=emulator_seed.endpoint("token/introspect"),
        OIDC_RS_CLIENT_ID="drive",
        OIDC_RS_CLIENT_SECRET=SECRET,
        OIDC_RS_AUDIENCE_CLAIM="aud",
        OIDC_RS_ALLOWED_AUDIENCES=["drive", "docs"],
        OIDC_RS_SCOPES=["openid"],
        OIDC_RS_BACKEND_CLASS="lasuite.oidc_resource_server.backend.ResourceServerBackend",
    ):
        yield emulator_seed
    get_resource_server_backend.cache_clear()


def docs_login(emu, username="alice") -> dict:
    """The tokens Docs holds after the user logged in (authorization code flow)."""
    oauth = OAuth2Session("docs", SECRET, scope="openid email", redirect_uri=CALLBACK)
    auth_url, _state = oauth.create_authorization_url(emu.endpoint("auth"))
    import requests

    with requests.Session() as browser:
        back = browser_login(browser, auth_url, emu, username)
    return oauth.fetch_token(emu.endpoint("token"), authorization_response=back)


def exchange(emu, client_id, subject_token, **extra) -> dict:
    session = OAuth2Session(client_id, SECRET)
    return session.fetch_token(
        emu.endpoint("token"),
        grant_type=EXCHANGE,
        subject_token=subject_token,
        subject_token_type=ACCESS_TOKEN_TYPE,
        **extra,
    )


def drive_user(emu, token):
    """Drive's user for the token's subject (its resource server never creates users)."""
    _header, claims = jwt_parts(token)
    user, _ = User.objects.get_or_create(sub=claims["sub"], defaults={"email": claims["email"]})
    return user


def call_drive(django_client, token):
    return django_client.get(ME, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_the_token_docs_obtains_at_login_is_accepted(seed, django_client):
    tokens = docs_login(seed)
    _header, claims = jwt_parts(tokens["access_token"])
    assert claims["aud"] == "drive", "one audience, a string: str() passes django-lasuite's check"
    drive_user(seed, tokens["access_token"])
    answer = call_drive(django_client, tokens["access_token"])
    assert answer.status_code == 200, answer.content
    assert answer.json()["audience"] == "drive"


def test_a_token_drive_obtains_by_exchange_is_accepted(seed, django_client):
    login = docs_login(seed)
    exchanged = exchange(seed, "drive", login["access_token"], scope="openid")
    assert exchanged["issued_token_type"] == ACCESS_TOKEN_TYPE
    _header, claims = jwt_parts(exchanged["access_token"])
    assert claims["azp"] == "drive" and claims["aud"] == "docs"
    drive_user(seed, exchanged["access_token"])
    answer = call_drive(django_client, exchanged["access_token"])
    assert answer.status_code == 200, answer.content
    assert answer.json()["audience"] == "docs"


def test_docs_exchanges_for_the_drive_audience(seed, django_client):
    login = docs_login(seed)
    narrowed = exchange(seed, "docs", login["access_token"], audience="drive", scope="openid email")
    _header, claims = jwt_parts(narrowed["access_token"])
    assert (claims["azp"], claims["aud"]) == ("docs", "drive")
    drive_user(seed, narrowed["access_token"])
    assert call_drive(django_client, narrowed["access_token"]).status_code == 200


def test_find_tokens_are_refused(seed, django_client):
    token = seed.mint("find", "alice")["access_token"]
    _header, claims = jwt_parts(token)
    assert claims["aud"] == "account"
    drive_user(seed, token)
    assert call_drive(django_client, token).status_code == 403


@pytest.mark.parametrize(
    ("client_id", "extra", "error", "description"),
    [
        ("find", {}, "invalid_request", "Standard token exchange is not enabled for the requested client"),
        ("drive", {"audience": "nobody"}, "invalid_client", "Audience not found"),
        ("drive", {"audience": "find"}, "invalid_request", "Requested audience not available: find"),
        ("drive", {"scope": "openid phone"}, "invalid_scope", "Invalid scopes: openid phone"),
    ],
)
def test_each_exchange_refusal_reaches_the_client_library(seed, client_id, extra, error, description):
    login = docs_login(seed)
    with pytest.raises(OAuthError) as refused:
        exchange(seed, client_id, login["access_token"], **extra)
    assert (refused.value.error, refused.value.description) == (error, description)


def test_a_token_outside_the_exchangers_audience_is_access_denied(seed):
    find_token = seed.mint("find", "alice")["access_token"]
    with pytest.raises(OAuthError) as refused:
        exchange(seed, "drive", find_token)
    assert (refused.value.error, refused.value.description) == (
        "access_denied",
        "Client is not within the token audience",
    )
