"""Docs' proof of concept calling Drive (Docs PR #2548 ``drive_client.py``, Drive PR #790) on the
emulator started with ``fixtures/docs-poc.toml``: each call of ``drive_client.py`` through
``docs_poc_client.DriveClient`` (the same requests, headers and bodies), then the refusals.

The emulator is a session fixture without reset: each test makes its own documents and checks
membership, not counts of the whole list.
"""

from __future__ import annotations

import uuid

import pytest
import requests

from docs_poc_client import DriveClient, DriveClientError, User
from emu import HTTP_TIMEOUT, describe

TOKEN = "docs-drive-poc-secret"  # fixtures/docs-poc.toml: SERVER_TO_SERVER_API_TOKENS


@pytest.fixture(scope="module")
def drive(emulator_docs_poc) -> DriveClient:
    return DriveClient(f"{emulator_docs_poc.url}/api/v1.0", TOKEN)


@pytest.fixture(scope="module")
def alice(emulator_docs_poc) -> User:
    """Alice as Docs knows her, once she has reached Drive (Drive creates users at login)."""
    token = emulator_docs_poc.mint(client_id="docs", username="alice")["access_token"]
    resp = requests.get(
        f"{emulator_docs_poc.url}/external_api/v1.0/users/me/",
        headers={"Authorization": f"Bearer {token}"},
        timeout=HTTP_TIMEOUT,
    )
    assert resp.status_code == 200, describe(resp)
    return User(sub=emulator_docs_poc.sub_of(token), email="alice@example.com")


def unique(title: str) -> str:
    return f"{title} {uuid.uuid4().hex[:8]}"


def test_create_doc_item_at_the_root(drive, alice):
    title = unique("Notes")
    item = drive.create_doc_item(alice, title)
    assert item["title"] == title
    assert item["type"] == "file"
    assert item["metadata"] == {"external_app": "docs"}
    assert item["upload_state"] == "ready"
    assert item["filename"] is None
    assert item["user_role"] == "owner"
    assert item["abilities"]["update"] is True


def test_create_doc_item_untitled(drive, alice):
    assert drive.create_doc_item(alice, "")["title"] == "Untitled document"


def test_create_doc_item_in_a_parent(drive, alice):
    parent = drive.create_doc_item(alice, unique("Book"))
    child = drive.create_doc_item(alice, unique("Chapter"), parent_id=parent["id"])
    assert child["metadata"] == {"external_app": "docs"}
    assert child["id"] in {c["id"] for c in drive.list_children(parent["id"], alice)["results"]}


def test_get_item(drive, alice):
    parent = drive.create_doc_item(alice, unique("Book"))
    drive.create_doc_item(alice, unique("Chapter"), parent_id=parent["id"])
    item = drive.get_item(parent["id"], alice)
    assert item["id"] == parent["id"]
    assert item["numchild"] == 1
    assert item["abilities"]["retrieve"] is True
    assert item["user_role"] == "owner"


def test_get_tree_from_a_sub_document(drive, alice):
    root = drive.create_doc_item(alice, unique("Book"))
    child = drive.create_doc_item(alice, unique("Chapter"), parent_id=root["id"])
    grandchild = drive.create_doc_item(alice, unique("Section"), parent_id=child["id"])
    tree = drive.get_tree(grandchild["id"], alice)
    assert tree["id"] == root["id"]
    assert [c["id"] for c in tree["children"]] == [child["id"]]
    assert [c["id"] for c in tree["children"][0]["children"]] == [grandchild["id"]]
    assert tree["children"][0]["children"][0]["children"] == []


def test_list_root_docs_filters_on_external_app(drive, alice, emulator_docs_poc):
    root = drive.create_doc_item(alice, unique("Listed"))
    sub = drive.create_doc_item(alice, unique("Sub"), parent_id=root["id"])
    # a plain folder is not a document
    token = emulator_docs_poc.mint(client_id="docs", username="alice")["access_token"]
    resp = requests.post(
        f"{emulator_docs_poc.url}/external_api/v1.0/items/",
        headers={"Authorization": f"Bearer {token}"},
        json={"type": "folder", "title": unique("Folder")},
        timeout=HTTP_TIMEOUT,
    )
    assert resp.status_code == 201, describe(resp)
    folder = resp.json()
    ids = set()
    page = 1
    while True:
        listing = drive.list_root_docs(alice, page=page)
        assert {"count", "next", "previous", "results"} <= listing.keys(), listing
        ids |= {r["id"] for r in listing["results"]}
        assert all(r["metadata"] == {"external_app": "docs"} for r in listing["results"])
        if not listing["next"]:
            break
        page += 1
    assert root["id"] in ids
    assert sub["id"] not in ids, "only the highest items are listed"
    assert folder["id"] not in ids


def test_list_children_filters_on_external_app(drive, alice):
    root = drive.create_doc_item(alice, unique("Book"))
    child = drive.create_doc_item(alice, unique("Chapter"), parent_id=root["id"])
    children = drive.list_children(root["id"], alice)
    assert children["count"] == 1
    assert [c["id"] for c in children["results"]] == [child["id"]]


def test_patch_title(drive, alice):
    item = drive.create_doc_item(alice, unique("Draft"))
    title = unique("Final")
    patched = drive.patch_title(item["id"], alice, title)
    assert patched["title"] == title
    assert drive.get_item(item["id"], alice)["title"] == title


def test_delete_item_moves_it_to_the_trash(drive, alice):
    item = drive.create_doc_item(alice, unique("Doomed"))
    child = drive.create_doc_item(alice, unique("Doomed child"), parent_id=item["id"])
    assert drive.delete_item(item["id"], alice) is None
    listing = drive.list_root_docs(alice)
    assert item["id"] not in {r["id"] for r in listing["results"]}
    # upstream's detail views keep a trashed item for its owner, with `retrieve` only
    trashed = drive.get_item(item["id"], alice)
    assert trashed["deleted_at"] is not None
    assert trashed["abilities"]["update"] is False
    assert drive.get_item(child["id"], alice)["abilities"]["update"] is False


# --- refusals -------------------------------------------------------------------------------


def test_no_token_is_refused(emulator_docs_poc):
    resp = requests.get(f"{emulator_docs_poc.url}/api/v1.0/items/", timeout=HTTP_TIMEOUT)
    assert resp.status_code == 403, describe(resp)
    assert resp.json()["errors"][0]["code"] == "not_authenticated", describe(resp)


def test_a_wrong_token_is_refused(emulator_docs_poc, alice):
    wrong = DriveClient(f"{emulator_docs_poc.url}/api/v1.0", "not-the-secret")
    with pytest.raises(DriveClientError) as error:
        wrong.list_root_docs(alice)
    assert error.value.status_code == 403
    assert "Token verification failed" in str(error.value)


def test_an_unconfigured_client_never_calls(emulator_docs_poc, alice):
    with pytest.raises(DriveClientError, match="not configured"):
        DriveClient(f"{emulator_docs_poc.url}/api/v1.0", "").list_root_docs(alice)


def test_an_unknown_user_is_refused(drive):
    nobody = User(sub=str(uuid.uuid4()), email="nobody@example.com")
    with pytest.raises(DriveClientError) as error:
        drive.list_root_docs(nobody)
    assert error.value.status_code == 403
    assert "Unknown acting user for server-to-server request." in str(error.value)


def test_another_users_document_is_refused(drive, alice, emulator_docs_poc):
    token = emulator_docs_poc.mint(client_id="docs", username="bob")["access_token"]
    assert requests.get(
        f"{emulator_docs_poc.url}/external_api/v1.0/users/me/",
        headers={"Authorization": f"Bearer {token}"},
        timeout=HTTP_TIMEOUT,
    ).status_code == 200
    bob = User(sub=emulator_docs_poc.sub_of(token), email="bob@example.com")
    bobs = drive.create_doc_item(bob, unique("Bob's"))
    with pytest.raises(DriveClientError) as error:
        drive.get_item(bobs["id"], alice)
    assert error.value.status_code == 403
