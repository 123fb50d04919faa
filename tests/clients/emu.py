"""Helpers to drive the emulator over HTTP the way a browser or a backend would.

Everything here talks to the emulator with ``requests`` and a bounded timeout; nothing is
mocked.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

HTTP_TIMEOUT = 10  # seconds, for every call the tests make themselves
REALM = "lasuite"
SECRET = "ThisIsAnExampleKeyForDevPurposeOnly"

# Origin the Django test client pretends to be served on (a localhost redirect URI is
# accepted by the emulator's default clients).
RP_HOST = "localhost:8071"
RP_ORIGIN = f"http://{RP_HOST}"

# RS client given an introspection encryption key by the extra fixture (JWT mode)
JWT_RS_CLIENT_ID = "drive-jwt"

USERS = {
    "alice": {"password": "alice", "email": "alice@example.com", "name": "Alice Liddell"},
    "bob": {"password": "bob", "email": "bob@example.com"},
}


def describe(resp: requests.Response) -> str:
    """One compact line describing a response, for assertion messages."""
    body = resp.text
    if len(body) > 600:
        body = body[:600] + "…"
    req = resp.request
    return (
        f"{req.method} {req.url} -> {resp.status_code} "
        f"[{resp.headers.get('Content-Type')}] Location={resp.headers.get('Location')!r} "
        f"body={body!r}"
    )


def jwt_parts(token: str) -> tuple[dict, dict]:
    """Unverified (header, claims) of a compact JWS, for assertions only."""
    def dec(seg):
        return json.loads(base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4)))

    head, payload, _sig = token.split(".")
    return dec(head), dec(payload)


@dataclass
class Emulator:
    url: str
    pid: int
    log_dir: str = ""
    ca: str = ""  # the CA file of serve --tls

    def realm_url(self, realm: str = REALM) -> str:
        return f"{self.url}/realms/{realm}"

    def endpoint(self, name: str, realm: str = REALM) -> str:
        """name: auth, token, userinfo, certs, logout, revoke, token/introspect."""
        return f"{self.realm_url(realm)}/protocol/openid-connect/{name}"

    # --- programmatic helpers -------------------------------------------------------------

    def mint(self, client_id: str = "docs", username: str = "alice", **extra) -> dict:
        """POST /_emu/tokens: token endpoint JSON for (client, user) without a browser."""
        body = {"client_id": client_id, "username": username, **extra}
        resp = requests.post(f"{self.url}/_emu/tokens", json=body, timeout=HTTP_TIMEOUT)
        assert resp.status_code == 200, describe(resp)
        data = resp.json()
        assert "access_token" in data, describe(resp)
        return data

    def password_grant(self, client_id="docs", username="alice", password="alice",
                       scope="openid email") -> requests.Response:
        return requests.post(
            self.endpoint("token"),
            data={
                "grant_type": "password",
                "client_id": client_id,
                "client_secret": SECRET,
                "username": username,
                "password": password,
                "scope": scope,
            },
            timeout=HTTP_TIMEOUT,
        )

    def userinfo(self, access_token: str) -> requests.Response:
        return requests.get(
            self.endpoint("userinfo"),
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=HTTP_TIMEOUT,
        )

    def sub_of(self, access_token: str) -> str:
        """The user's sub, read from the (JSON) userinfo answer."""
        resp = self.userinfo(access_token)
        assert resp.status_code == 200, describe(resp)
        assert resp.headers.get("Content-Type", "").startswith("application/json"), describe(resp)
        return resp.json()["sub"]

    def introspect(self, token: str, client_id: str = "drive", accept: str = "application/json",
                   secret: str = SECRET) -> requests.Response:
        return requests.post(
            self.endpoint("token/introspect"),
            data={"client_id": client_id, "client_secret": secret, "token": token},
            headers={"Accept": accept},
            timeout=HTTP_TIMEOUT,
        )

    def revoke(self, token: str, client_id: str = "docs") -> requests.Response:
        return requests.post(
            self.endpoint("revoke"),
            data={"client_id": client_id, "client_secret": SECRET, "token": token},
            timeout=HTTP_TIMEOUT,
        )

    def jwks(self) -> dict:
        resp = requests.get(self.endpoint("certs"), timeout=HTTP_TIMEOUT)
        assert resp.status_code == 200, describe(resp)
        return resp.json()


def oidc_login_settings(emu: Emulator, **overrides) -> dict:
    """OIDC_OP_* endpoint settings of the RP pointed at an emulator (spec section 2.1)."""
    values = {
        "OIDC_OP_AUTHORIZATION_ENDPOINT": emu.endpoint("auth"),
        "OIDC_OP_TOKEN_ENDPOINT": emu.endpoint("token"),
        "OIDC_OP_USER_ENDPOINT": emu.endpoint("userinfo"),
        "OIDC_OP_JWKS_ENDPOINT": emu.endpoint("certs"),
        "OIDC_OP_LOGOUT_ENDPOINT": emu.endpoint("logout"),
        "OIDC_OP_URL": emu.realm_url(),
    }
    values.update(overrides)
    return values


# --- the HTML login page ------------------------------------------------------------------


@dataclass
class Form:
    attrs: dict
    fields: list = field(default_factory=list)  # (name, value, type)
    buttons: list = field(default_factory=list)  # button names


class LoginPageParser(HTMLParser):
    """Collects forms, their inputs and every element id of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.ids: set[str] = set()
        self._current: Form | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "form":
            self._current = Form(attrs=a)
            self.forms.append(self._current)
        elif self._current is not None:
            if tag == "input" and a.get("name"):
                itype = a.get("type", "text").lower()
                if itype in ("checkbox", "radio") and "checked" not in a:
                    return
                if itype in ("submit", "button", "image", "reset"):
                    self._current.buttons.append(a["name"])
                    return
                self._current.fields.append((a["name"], a.get("value", ""), itype))
            elif tag == "button" and a.get("name"):
                self._current.buttons.append(a["name"])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def parse_page(html: str) -> LoginPageParser:
    parser = LoginPageParser()
    parser.feed(html)
    parser.close()
    return parser


def login_form(page: LoginPageParser) -> Form:
    forms = [f for f in page.forms if f.attrs.get("id") == "kc-form-login"]
    assert len(forms) == 1, f"expected one <form id=kc-form-login>, found {len(forms)}: " \
        f"{[f.attrs for f in page.forms]}"
    form = forms[0]
    names = {name for name, _v, _t in form.fields}
    assert {"username", "password"} <= names, f"login form lacks username/password: {form}"
    assert form.attrs.get("method", "get").lower() == "post", f"login form is not POST: {form.attrs}"
    return form


def is_redirect(resp: requests.Response) -> bool:
    return resp.status_code in (301, 302, 303, 307, 308) and "Location" in resp.headers


def submit_login(session: requests.Session, page_resp: requests.Response, username: str,
                 password: str) -> requests.Response:
    """Fill and POST the password form of a login page answer, like a browser would."""
    form = login_form(parse_page(page_resp.text))
    data = [(n, v) for n, v, _t in form.fields if n not in ("username", "password")]
    data += [("username", username), ("password", password)]
    action = urljoin(page_resp.url, form.attrs.get("action") or page_resp.url)
    return session.post(action, data=data, allow_redirects=False, timeout=HTTP_TIMEOUT)


def follow_on_emulator(session: requests.Session, resp: requests.Response, emu: Emulator,
                       max_hops: int = 5) -> requests.Response:
    """Follow redirects while they stay on the emulator (a browser would), stop at the first
    one that leaves it (the redirect back to the RP)."""
    for _ in range(max_hops):
        if not is_redirect(resp):
            return resp
        target = urljoin(resp.url, resp.headers["Location"])
        if not target.startswith(emu.url + "/"):
            return resp
        resp = session.get(target, allow_redirects=False, timeout=HTTP_TIMEOUT)
    raise AssertionError(f"too many redirects on the emulator, last: {describe(resp)}")


def redirect_target(resp: requests.Response) -> str:
    assert is_redirect(resp), f"expected a redirect, got {describe(resp)}"
    return urljoin(resp.url, resp.headers["Location"])


def query_of(url: str) -> dict:
    """Single-valued query parameters of an URL."""
    qs = parse_qs(urlsplit(url).query, keep_blank_values=True)
    for k, v in qs.items():
        assert len(v) == 1, f"query parameter {k} repeated in {url}"
    return {k: v[0] for k, v in qs.items()}


def browser_login(session: requests.Session, auth_url: str, emu: Emulator,
                  username: str = "alice", password: str | None = None) -> str:
    """Open the authorization URL, log in through the password form and return the URL the
    emulator finally redirects the browser to (the RP's redirect_uri with code and state)."""
    if password is None:
        password = USERS[username]["password"]
    page = session.get(auth_url, allow_redirects=False, timeout=HTTP_TIMEOUT)
    page = follow_on_emulator(session, page, emu)
    assert page.status_code == 200, f"login page expected, got {describe(page)}"
    assert "text/html" in page.headers.get("Content-Type", ""), describe(page)
    answer = submit_login(session, page, username, password)
    answer = follow_on_emulator(session, answer, emu)
    target = redirect_target(answer)
    return target
