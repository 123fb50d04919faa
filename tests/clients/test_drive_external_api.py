"""La Suite Docs calling Drive's external API on the emulator, as a resource client does
(spec ``drive-external-api.md`` §2.4, §4, §8.6, §8.7, §8.8, §9.1.4, §10.1).

The client side is the real ``requests`` (API calls, the browser-like PUT to the upload policy)
and ``boto3`` (reading the stored object back). The access token comes from the emulator's
token endpoint with the password grant of client ``docs``. Its audience is ``docs``, which the
emulator's Drive accepts.

The emulator is the session-wide ``emulator`` fixture of ``conftest.py``. The suite has no reset
fixture, and the other test files do not reset the emulator, so these tests do not either. Each
test uses its own items and checks membership instead of counts, so the tests do not depend on
each other or on the order they run in.
"""

from __future__ import annotations

import uuid
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from botocore.exceptions import ClientError

from emu import HTTP_TIMEOUT, describe
from s3util import DRIVE_BUCKET, DRIVE_CREDS, describe_error, make_client

API = "/external_api/v1.0"
FILENAME = "rapport été.txt"
SANITISED = "rapport_ete.txt"  # §9.1.4: NFKD, non-ASCII dropped, spaces -> "_"
CONTENT = "Rapport d'activité\nTout va bien.\n".encode()


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def api(emulator, path: str) -> str:
    return f"{emulator.url}{API}{path}"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def password_token(emulator, username: str) -> str:
    """Step 1: an access token of client ``docs`` for the user (password grant)."""
    resp = emulator.password_grant(client_id="docs", username=username, password=username)
    assert resp.status_code == 200, describe(resp)
    token = resp.json().get("access_token")
    assert isinstance(token, str) and token, describe(resp)
    return token


def json_of(resp: requests.Response, status: int) -> dict:
    assert resp.status_code == status, describe(resp)
    assert resp.headers.get("Content-Type", "").startswith("application/json"), describe(resp)
    return resp.json()


def list_all(emulator, token: str, path: str) -> list[dict]:
    """Every result of a paginated list, following ``next`` as a client does (§5)."""
    url = api(emulator, path)
    results: list[dict] = []
    for _ in range(50):
        page = json_of(requests.get(url, headers=bearer(token), timeout=HTTP_TIMEOUT), 200)
        assert {"count", "next", "previous", "results"} <= page.keys(), page
        results += page["results"]
        if page["next"] is None:
            assert len(results) == page["count"], page
            return results
        assert page["next"].startswith(f"{emulator.url}{API}/"), page["next"]
        url = page["next"]
    raise AssertionError(f"more than 50 pages under {path}")


ROOT_FOLDER = "Docs"


def main_workspace(emulator, token: str) -> dict:
    """Step 2: where Docs stores its files. Drive 0.21.1 has no main workspace (none since
    0.13): the recipe uses the item with ``main_workspace`` if there is one, else its own root
    folder, found by title or created once with ``POST items/``."""
    items = list_all(emulator, token, "/items/")
    assert all(i["main_workspace"] is False for i in items), "Drive 0.21.1 has none"
    roots = [i for i in items if i["title"] == ROOT_FOLDER and i["type"] == "folder" and i["depth"] == 1]
    if roots:
        return roots[0]
    resp = requests.post(
        api(emulator, "/items/"),
        json={"type": "folder", "title": ROOT_FOLDER},
        headers=bearer(token),
        timeout=HTTP_TIMEOUT,
    )
    created = json_of(resp, 201)
    assert created["main_workspace"] is False, created
    return created


def client_error(code: str, detail: str) -> dict:
    """The drf-standardized-errors envelope of a non-validation 4xx (§4)."""
    return {"type": "client_error", "errors": [{"code": code, "detail": detail, "attr": None}]}


@pytest.fixture(scope="module")
def alice(emulator) -> str:
    return password_token(emulator, "alice")


@pytest.fixture(scope="module")
def bob(emulator) -> str:
    return password_token(emulator, "bob")


@pytest.fixture(scope="module")
def alice_workspace(emulator, alice) -> dict:
    return main_workspace(emulator, alice)


# --------------------------------------------------------------------------------------------
# the integration flow
# --------------------------------------------------------------------------------------------


def test_docs_uploads_a_file_into_the_main_workspace(emulator):
    """§8.7 creation below the workspace, §10.1 policy, §8.8 upload-ended, §8.6 listing, and the
    stored object read back with boto3."""
    # 1. token (password grant, client docs)
    token = password_token(emulator, "alice")

    # 2. the main workspace, or Docs' own root folder (Drive 0.21.1)
    workspace = main_workspace(emulator, token)
    assert workspace["title"] == ROOT_FOLDER, workspace
    assert workspace["type"] == "folder", workspace
    assert workspace["user_role"] == "owner", workspace
    ws_id = workspace["id"]

    # 3. create the file below it
    resp = requests.post(
        api(emulator, f"/items/{ws_id}/children/"),
        json={"type": "file", "filename": FILENAME},
        headers=bearer(token),
        timeout=HTTP_TIMEOUT,
    )
    created = json_of(resp, 201)
    item_id = created["id"]
    assert str(uuid.UUID(item_id)) == item_id, created
    assert created["type"] == "file", created
    assert created["upload_state"] == "pending", created
    assert created["title"] == FILENAME, "the title keeps the name as given"
    assert created["filename"] == SANITISED, created
    assert created["url"] is None, "a pending file has no URL"
    assert created["depth"] == workspace["depth"] + 1, created
    assert created["path"] == f"{workspace['path']}.{item_id}", created
    assert created["link_reach"] is None, "children inherit the link (§8.7)"
    assert created["user_role"] == "owner", "inherited from the workspace"

    policy = created["policy"]
    assert isinstance(policy, str), created
    parts = urlsplit(policy)
    assert f"{parts.scheme}://{parts.netloc}" == emulator.url, (
        f"the policy must point at the emulator's own origin {emulator.url}: {policy}"
    )
    assert parts.path == f"/{DRIVE_BUCKET}/item/{item_id}/{SANITISED}", policy
    query = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=True)
    assert [k for k, _v in query] == [
        "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
        "X-Amz-SignedHeaders", "X-Amz-Signature",
    ], policy
    params = dict(query)
    assert params["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256", policy
    assert params["X-Amz-Credential"].startswith("drive/"), policy
    assert params["X-Amz-Credential"].endswith("/s3/aws4_request"), policy
    assert params["X-Amz-Expires"] == "60", policy
    assert params["X-Amz-SignedHeaders"] == "host;x-amz-acl", policy

    # §8.6: a pending file is not listed yet.
    pending = list_all(emulator, token, f"/items/{ws_id}/children/")
    assert item_id not in [c["id"] for c in pending], "pending files are hidden"

    # 4. the browser's PUT of the bytes to the policy URL
    put = requests.put(policy, data=CONTENT, headers={"x-amz-acl": "private"},
                       timeout=HTTP_TIMEOUT)
    assert put.status_code == 200, describe(put)

    # 5. upload-ended
    resp = requests.post(
        api(emulator, f"/items/{item_id}/upload-ended/"),
        headers=bearer(token),
        timeout=HTTP_TIMEOUT,
    )
    ended = json_of(resp, 200)
    assert ended["id"] == item_id, ended
    assert ended["mimetype"] == "text/plain", ended
    assert ended["size"] == len(CONTENT), ended
    assert ended["upload_state"] == "analyzing", "upstream answers before the scan verdict"
    assert isinstance(ended["url"], str), ended
    assert ended["url"].endswith(f"/media/item/{item_id}/{SANITISED}"), ended
    assert ended["title"] == FILENAME, ended
    assert ended["filename"] == SANITISED, ended

    # 6. the stored object, read with boto3 (path-style, SigV4, Drive's key pair)
    s3 = make_client(emulator.url, DRIVE_CREDS, "us-east-1")
    try:
        obj = s3.get_object(Bucket=DRIVE_BUCKET, Key=f"item/{item_id}/{SANITISED}")
    except ClientError as exc:  # pragma: no cover - reported by the assertion
        raise AssertionError(describe_error(exc)) from None
    assert obj["Body"].read() == CONTENT
    assert obj["ContentType"] == "text/plain", "upload-ended rewrites the detected type"
    assert obj["ContentLength"] == len(CONTENT)

    # 7. the workspace now lists the file
    children = list_all(emulator, token, f"/items/{ws_id}/children/")
    listed = [c for c in children if c["id"] == item_id]
    assert len(listed) == 1, f"{item_id} not among {[c['id'] for c in children]}"
    assert listed[0]["title"] == FILENAME, listed[0]
    assert listed[0]["upload_state"] == "ready", "the dummy scanner's verdict"
    assert listed[0]["mimetype"] == "text/plain", listed[0]
    assert listed[0]["size"] == len(CONTENT), listed[0]

    # and the detail shows the same
    detail = json_of(
        requests.get(api(emulator, f"/items/{item_id}/"), headers=bearer(token),
                     timeout=HTTP_TIMEOUT),
        200,
    )
    assert detail["upload_state"] == "ready", detail
    assert detail["url"] == ended["url"], detail


# --------------------------------------------------------------------------------------------
# error paths
# --------------------------------------------------------------------------------------------


def test_no_token_is_401_not_authenticated(emulator, alice_workspace):
    """§2.4: no credentials → 401, ``WWW-Authenticate: Bearer realm="api"``, the envelope."""
    for method, path in [
        ("GET", "/items/"),
        ("GET", f"/items/{alice_workspace['id']}/children/"),
        ("POST", f"/items/{alice_workspace['id']}/children/"),
    ]:
        kwargs = {"json": {"type": "file", "filename": "x.txt"}} if method == "POST" else {}
        resp = requests.request(method, api(emulator, path), timeout=HTTP_TIMEOUT, **kwargs)
        body = json_of(resp, 401)
        assert resp.headers.get("WWW-Authenticate") == 'Bearer realm="api"', describe(resp)
        assert body == client_error(
            "not_authenticated", "Authentication credentials were not provided."
        ), describe(resp)


def test_bob_cannot_read_alices_workspace(emulator, bob, alice_workspace):
    """§6.6 / §4: a restricted root of someone else → 403 ``permission_denied``."""
    ws_id = alice_workspace["id"]
    denied = client_error("permission_denied",
                          "You do not have permission to perform this action.")
    for path in [f"/items/{ws_id}/", f"/items/{ws_id}/children/"]:
        resp = requests.get(api(emulator, path), headers=bearer(bob), timeout=HTTP_TIMEOUT)
        assert json_of(resp, 403) == denied, describe(resp)
    resp = requests.post(
        api(emulator, f"/items/{ws_id}/children/"),
        json={"type": "file", "filename": "intrusion.txt"},
        headers=bearer(bob),
        timeout=HTTP_TIMEOUT,
    )
    assert json_of(resp, 403) == denied, describe(resp)
    # and bob's own list does not hold it
    bobs = list_all(emulator, bob, "/items/")
    assert ws_id not in [i["id"] for i in bobs]


def test_a_disallowed_extension_is_refused(emulator, alice, alice_workspace):
    """§8.3 step 2 / §9.1.1: ``x.exe`` → 400 on ``filename``, nothing created."""
    ws_id = alice_workspace["id"]

    def numchild() -> int:
        resp = requests.get(api(emulator, f"/items/{ws_id}/"), headers=bearer(alice),
                            timeout=HTTP_TIMEOUT)
        return json_of(resp, 200)["numchild"]  # pending files count too (§6.3)

    before = numchild()
    resp = requests.post(
        api(emulator, f"/items/{ws_id}/children/"),
        json={"type": "file", "filename": "x.exe"},
        headers=bearer(alice),
        timeout=HTTP_TIMEOUT,
    )
    body = json_of(resp, 400)
    assert body == {
        "type": "validation_error",
        "errors": [{
            "code": "item_create_file_extension_not_allowed",
            "detail": "This file extension is not allowed.",
            "attr": "filename",
        }],
    }, describe(resp)
    assert numchild() == before, "a refused creation leaves no child"


def test_a_form_encoded_post_is_415(emulator, alice, alice_workspace):
    """§4: ``application/x-www-form-urlencoded`` is not an accepted body → 415."""
    resp = requests.post(
        api(emulator, f"/items/{alice_workspace['id']}/children/"),
        data={"type": "file", "filename": "form.txt"},
        headers=bearer(alice),
        timeout=HTTP_TIMEOUT,
    )
    assert resp.request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    body = json_of(resp, 415)
    assert body == client_error(
        "unsupported_media_type",
        'Unsupported media type "application/x-www-form-urlencoded" in request.',
    ), describe(resp)
