"""Docs -> Drive -> S3 through a Docs-like relying party (issue 5): a user logs in through the
browser flow, and a view of the app uses the stored access token to store a file in Drive and
read it back, as the integration document's example view does. The stored object is then
checked with boto3, the token is refreshed, and the user logs out."""

from __future__ import annotations

import time

import boto3
import pytest
from botocore.config import Config
from django.test import override_settings

from test_oidc_login import browser, emu, login  # noqa: F401 (pytest fixtures)


@pytest.fixture
def drive_api(emu):  # noqa: F811
    with override_settings(DRIVE_API=f"{emu.url}/external_api/v1.0"):
        yield


def stored_object(emu, key):
    s3 = boto3.client(
        "s3",
        endpoint_url=emu.url,
        aws_access_key_id="drive",
        aws_secret_access_key="password",
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
    )
    return s3.get_object(Bucket="drive-media-storage", Key=key)


def test_a_docs_view_stores_a_file_in_drive_with_the_users_token(emu, django_client, browser, drive_api):  # noqa: F811
    login(django_client, browser, emu)
    resp = django_client.post("/api/v1.0/docs-to-drive/", {"filename": "minutes.txt", "content": "Meeting minutes"})
    assert resp.status_code == 200, resp.content
    item = resp.json()["item"]
    assert resp.json()["read_back"] == "Meeting minutes"
    assert item["mimetype"] == "text/plain"
    assert item["creator"]["full_name"] == "Alice Liddell"
    stored = stored_object(emu, f"item/{item['id']}/minutes.txt")
    assert stored["Body"].read() == b"Meeting minutes"
    assert stored["ContentType"] == "text/plain"

    # The access token expires: the decorated view refreshes it first, and the call still works.
    before = django_client.session["oidc_access_token"]
    session = django_client.session
    session["oidc_id_token_expiration"] = time.time() - 10
    session.save()
    resp = django_client.post("/api/v1.0/docs-to-drive/", {"filename": "second.txt", "content": "again"})
    assert resp.status_code == 200, resp.content
    assert django_client.session["oidc_access_token"] != before

    # Logging out ends the session: the RP no longer has a user to act for.
    django_client.get("/api/v1.0/logout/")
    resp = django_client.post("/api/v1.0/docs-to-drive/", {"content": "x"})
    assert resp.status_code in (401, 302), resp.content
