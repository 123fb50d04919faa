"""Resource-server mode against the emulator with django-lasuite 0.0.28 (spec section 7).

A DRF view wired like Drive's external API: lasuite ``ResourceServerAuthentication`` (JSON
introspection with the default ``ResourceServerBackend``, then RFC 9701 JWT introspection with
``JWTResourceServerBackend``) and a copy of Drive's ``ResourceServerClientPermission``.
Tokens come from the emulator's minting endpoint, its password grant, and its revocation
endpoint. Expected statuses are lasuite's (spec 7.4 table).
"""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from joserfc import jwe as jose_jwe
from joserfc import jwk as jose_jwk
from joserfc import jwt as jose_jwt
from joserfc.registry import HeaderParameter
from lasuite.oidc_resource_server.authentication import get_resource_server_backend

from emu import JWT_RS_CLIENT_ID, SECRET, USERS, describe, jwt_parts

User = get_user_model()

ME = "/external_api/v1.0/users/me/"
ALLOWED_AUDIENCES = ["docs", "drive", "impress"]
JWT_BACKEND = "lasuite.oidc_resource_server.backend.JWTResourceServerBackend"
JSON_BACKEND = "lasuite.oidc_resource_server.backend.ResourceServerBackend"


def _rs_settings(emu, **extra):
    values = {
        "OIDC_OP_URL": emu.realm_url(),
        "OIDC_OP_INTROSPECTION_ENDPOINT": emu.endpoint("token/introspect"),
        "OIDC_RS_CLIENT_ID": "drive",
        "OIDC_RS_CLIENT_SECRET": SECRET,
        "OIDC_RS_ALLOWED_AUDIENCES": ALLOWED_AUDIENCES,
        "OIDC_RS_SCOPES": ["openid"],
        "OIDC_RS_AUDIENCE_CLAIM": "client_id",
        "OIDC_RS_BACKEND_CLASS": JSON_BACKEND,
    }
    values.update(extra)
    return values


@pytest.fixture
def rs(emulator):
    """Django configured as a JSON-introspection resource server of the default emulator."""
    get_resource_server_backend.cache_clear()  # lasuite caches the backend class
    with override_settings(**_rs_settings(emulator)):
        yield emulator
    get_resource_server_backend.cache_clear()


@pytest.fixture
def rs_jwt(emulator_jwt, rs_rsa_key):
    """Django configured as a JWT-introspection (RFC 9701) resource server, client drive-jwt."""
    private_pem, _public_pem = rs_rsa_key
    get_resource_server_backend.cache_clear()
    with override_settings(**_rs_settings(
        emulator_jwt,
        OIDC_RS_CLIENT_ID=JWT_RS_CLIENT_ID,
        OIDC_RS_BACKEND_CLASS=JWT_BACKEND,
        OIDC_RS_PRIVATE_KEY_STR=private_pem,
        OIDC_OP_JWKS_ENDPOINT=emulator_jwt.endpoint("certs"),
    )):
        yield emulator_jwt
    get_resource_server_backend.cache_clear()


def call_api(client, token=None):
    headers = {} if token is None else {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    return client.get(ME, **headers)


def make_django_user(emu, access_token, email):
    """The RS never creates users: create the one the token belongs to, with its sub."""
    sub = emu.sub_of(access_token)
    _header, claims = jwt_parts(access_token)
    assert claims.get("sub") == sub, "access token sub and userinfo sub differ"
    return User.objects.create(sub=sub, email=email)


def explain(resp) -> str:
    return f"{resp.status_code} {resp.content[:500]!r} (see the captured log for lasuite's reason)"


def wait_until_expired(token_json):
    _h, claims = jwt_parts(token_json["access_token"])
    # exp is in whole seconds and lasuite / the emulator compare with "now": wait it out
    delay = claims["exp"] - time.time() + 1.2
    assert delay < 10, f"ttl=1 token expires too late: exp={claims['exp']} now={time.time()}"
    time.sleep(max(delay, 0))


# --- JSON introspection (default ResourceServerBackend) -----------------------------------


def test_introspection_answer_shape(rs):
    token = rs.mint("docs", "alice")["access_token"]
    resp = rs.introspect(token, client_id="drive")
    assert resp.status_code == 200, describe(resp)
    data = resp.json()
    assert data.get("active") is True, describe(resp)
    assert data.get("iss") == rs.realm_url(), "iss must equal OIDC_OP_URL exactly"
    assert data.get("client_id") == "docs", "client_id = the client the token was issued to"
    assert "openid" in data.get("scope", "").split(), describe(resp)
    assert isinstance(data.get("sub"), str) and data["sub"]
    assert data.get("exp", 0) > time.time()
    assert data.get("iat", float("inf")) <= time.time()

    inactive = rs.introspect("not-a-token.at-all", client_id="drive")
    assert inactive.status_code == 200, describe(inactive)
    assert inactive.json() == {"active": False}, describe(inactive)

    bad_creds = rs.introspect(token, client_id="drive", secret="wrong-secret")
    assert bad_creds.status_code == 401, describe(bad_creds)


def test_token_of_docs_is_accepted(rs, django_client):
    token = rs.mint("docs", "alice")["access_token"]
    user = make_django_user(rs, token, "alice@example.com")

    resp = call_api(django_client, token)
    assert resp.status_code == 200, explain(resp)
    body = resp.json()
    assert body["sub"] == user.sub
    assert body["email"] == "alice@example.com"
    assert body["audience"] == "docs"
    assert body["introspection"]["active"] is True


def test_password_grant_token_is_accepted(rs, django_client):
    resp = rs.password_grant("docs", "alice", USERS["alice"]["password"])
    assert resp.status_code == 200, describe(resp)
    token = resp.json()["access_token"]
    make_django_user(rs, token, "alice@example.com")
    resp = call_api(django_client, token)
    assert resp.status_code == 200, explain(resp)
    assert resp.json()["audience"] == "docs"


def test_expired_token_gives_400(rs, django_client):
    minted = rs.mint("docs", "alice", ttl=1)
    make_django_user(rs, minted["access_token"], "alice@example.com")
    wait_until_expired(minted)
    intro = rs.introspect(minted["access_token"])
    assert intro.json() == {"active": False}, f"expired token: {describe(intro)}"
    resp = call_api(django_client, minted["access_token"])
    assert resp.status_code == 400, explain(resp)


def test_revoked_token_gives_400(rs, django_client):
    token = rs.mint("docs", "alice")["access_token"]
    make_django_user(rs, token, "alice@example.com")
    assert call_api(django_client, token).status_code == 200

    revoked = rs.revoke(token, client_id="docs")
    assert revoked.status_code == 200, describe(revoked)

    resp = call_api(django_client, token)
    assert resp.status_code == 400, explain(resp)


def test_token_of_other_client_gives_403(rs, django_client):
    token = rs.mint("find", "alice")["access_token"]
    make_django_user(rs, token, "alice@example.com")
    resp = call_api(django_client, token)
    assert resp.status_code == 403, explain(resp)


def test_unknown_user_gives_401(rs, django_client):
    token = rs.mint("docs", "bob")["access_token"]
    assert not User.objects.exists()
    resp = call_api(django_client, token)
    assert resp.status_code == 401, explain(resp)
    assert "No user found" in resp.json()["detail"]


def test_garbage_bearer_gives_400(rs, django_client):
    resp = call_api(django_client, "garbage-token.not-issued-by-anyone")
    assert resp.status_code == 400, explain(resp)


def test_missing_bearer_gives_401(rs, django_client):
    resp = call_api(django_client)
    assert resp.status_code == 401, explain(resp)


# --- JWT introspection (JWTResourceServerBackend, RFC 9701) -------------------------------


def _decrypt_introspection(body: str, private_pem: str):
    key = jose_jwk.import_key(private_pem, key_type="RSA",
                              parameters={"alg": "RSA-OAEP", "use": "enc"})
    registry = jose_jwe.JWERegistry(
        header_registry={"iss": HeaderParameter("Issuer", "str"),
                         "aud": HeaderParameter("Audience", "str")},
        algorithms=["RSA-OAEP", "A256GCM"],
    )
    return jose_jwe.decrypt_compact(body, key, registry=registry)


def test_jwt_introspection_answer_shape(rs_jwt, rs_rsa_key):
    private_pem, _ = rs_rsa_key
    token = rs_jwt.mint("docs", "alice")["access_token"]
    resp = rs_jwt.introspect(token, client_id=JWT_RS_CLIENT_ID,
                             accept="application/token-introspection+jwt")
    assert resp.status_code == 200, describe(resp)
    ctype = resp.headers.get("Content-Type", "").split(";")[0].strip()
    assert ctype == "application/token-introspection+jwt", describe(resp)
    body = resp.text.strip()
    assert body.count(".") == 4, f"not a compact JWE: {describe(resp)}"

    jwe_obj = _decrypt_introspection(body, private_pem)
    assert jwe_obj.protected["alg"] == "RSA-OAEP"
    assert jwe_obj.protected["enc"] == "A256GCM"

    jws = jwe_obj.plaintext.decode()
    header, _claims = jwt_parts(jws)
    assert header["alg"] == "ES256"
    jwks = rs_jwt.jwks()
    by_kid = {k["kid"]: k for k in jwks["keys"]}
    assert header.get("kid") in by_kid, f"JWS kid {header.get('kid')!r} not in the JWKS"
    assert by_kid[header["kid"]]["kty"] == "EC" and by_kid[header["kid"]]["crv"] == "P-256"

    verified = jose_jwt.decode(jws, jose_jwk.KeySet.import_key_set(jwks), algorithms=["ES256"])
    claims = verified.claims
    assert claims["iss"] == rs_jwt.realm_url()
    assert claims["aud"] in (JWT_RS_CLIENT_ID, [JWT_RS_CLIENT_ID]) or (
        isinstance(claims["aud"], list) and JWT_RS_CLIENT_ID in claims["aud"])
    inner = claims["token_introspection"]
    assert inner["active"] is True
    assert inner["client_id"] == "docs"
    assert "openid" in inner["scope"].split()


def test_jwt_token_of_docs_is_accepted(rs_jwt, django_client):
    token = rs_jwt.mint("docs", "alice")["access_token"]
    user = make_django_user(rs_jwt, token, "alice@example.com")
    resp = call_api(django_client, token)
    assert resp.status_code == 200, explain(resp)
    assert resp.json()["sub"] == user.sub
    assert resp.json()["audience"] == "docs"


def test_jwt_expired_token_gives_400(rs_jwt, django_client):
    minted = rs_jwt.mint("docs", "alice", ttl=1)
    make_django_user(rs_jwt, minted["access_token"], "alice@example.com")
    wait_until_expired(minted)
    resp = call_api(django_client, minted["access_token"])
    assert resp.status_code == 400, explain(resp)


def test_jwt_revoked_token_gives_400(rs_jwt, django_client):
    token = rs_jwt.mint("docs", "alice")["access_token"]
    make_django_user(rs_jwt, token, "alice@example.com")
    assert call_api(django_client, token).status_code == 200
    assert rs_jwt.revoke(token, client_id="docs").status_code == 200
    resp = call_api(django_client, token)
    assert resp.status_code == 400, explain(resp)


def test_jwt_token_of_other_client_gives_403(rs_jwt, django_client):
    token = rs_jwt.mint("find", "alice")["access_token"]
    make_django_user(rs_jwt, token, "alice@example.com")
    resp = call_api(django_client, token)
    assert resp.status_code == 403, explain(resp)


def test_jwt_unknown_user_gives_401(rs_jwt, django_client):
    token = rs_jwt.mint("docs", "bob")["access_token"]
    resp = call_api(django_client, token)
    assert resp.status_code == 401, explain(resp)


def test_jwt_garbage_bearer_gives_400(rs_jwt, django_client):
    resp = call_api(django_client, "garbage-token.not-issued-by-anyone")
    assert resp.status_code == 400, explain(resp)
