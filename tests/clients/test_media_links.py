"""Media links as the apps serve them, without nginx (issue 12, "Test it as the apps do").

The Docs-like and Drive-like stand-in apps are configured from their env blocks and declared to
the emulator with the fixture lines ``lasuite-emu env docs|drive --fixture`` prints (applied
with ``lasuite-emu apply``). A logged-in user uploads an object through the app, then fetches
its media link (``MEDIA_BASE_URL/media/<key>``, i.e. the emulator) with the browser's cookies:
the emulator asks the app's media-auth as nginx's ``auth_request`` does and serves the object
with the signature media-auth returned.

Per app: the owner gets the bytes; a logged-out browser and another user get 403; a Range
request 206; a revalidation with If-None-Match 304. Then what upstream's media-auth refuses
besides: an upload not over, a Drive preview of a type it does not preview, a Docs URL outside
its pattern.
"""

from __future__ import annotations

import struct
import zlib

import pytest
import requests

from emu import HTTP_TIMEOUT, describe
from test_standin_apps import app_login


def png(width: int = 3, height: int = 2) -> bytes:
    """A real (tiny, RGB) PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    rows = b"".join(b"\x00" + bytes((200, 40 * y, 90)) * width for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PNG = png()
APPS = {"docs": "media_docs_app", "drive": "media_drive_app"}


@pytest.fixture(params=sorted(APPS))
def app(request):
    return request.getfixturevalue(APPS[request.param])


@pytest.fixture
def alice(media_emulator, app):
    """alice's browser, logged in to `app` (its session cookie is for the emulator's host)."""
    with requests.Session() as browser:
        app_login(browser, app, media_emulator, "alice")
        yield browser


def upload(browser, app, filename="photo.png", body=PNG, content_type="image/png", ready=True):
    answer = browser.post(
        f"{app.url}/api/v1.0/media-uploads/",
        params={"filename": filename, **({} if ready else {"ready": "0"})},
        data=body, headers={"Content-Type": content_type}, timeout=HTTP_TIMEOUT,
    )
    assert answer.status_code == 201, describe(answer)
    return answer.json()


def test_the_emulator_was_given_the_fixture_lines_env_printed(media_setup, media_emulator, app):
    """The files the emulator was started with (`serve --fixtures`) are `env APP --fixture`'s
    output, unchanged: the app's kind, its backend, and the S3 endpoint its block signs for
    (AWS_S3_ENDPOINT_URL); MEDIA_BASE_URL, where its front end points media links, is the
    emulator too."""
    assert media_setup.fixtures[app.name].read_text().splitlines() == [
        "[[apps]]",
        f'kind = "{app.name}"',
        f'api_url = "{app.url}"',
        f's3_endpoint_url = "{media_emulator.url}"',
    ]
    block = app.env_file.read_text()
    assert f"AWS_S3_ENDPOINT_URL={media_emulator.url}\n" in block
    assert f"MEDIA_BASE_URL={media_emulator.url}\n" in block


def test_the_owner_gets_the_bytes_through_the_emulator(media_emulator, app, alice):
    stored = upload(alice, app)
    url = stored["media_url"]
    assert url.startswith(f"{media_emulator.url}/media/"), url
    if app.name == "docs":
        assert "/attachments/" in url
    else:
        assert url.startswith(f"{media_emulator.url}/media/item/"), url

    answer = alice.get(url, timeout=HTTP_TIMEOUT)
    assert answer.status_code == 200, describe(answer)
    assert answer.content == PNG
    assert answer.headers["Content-Type"] == "image/png"
    assert answer.headers["ETag"].strip('"')
    if app.name == "docs":
        # Docs' nginx: `add_header Content-Security-Policy "default-src 'none'" always`
        assert answer.headers["Content-Security-Policy"] == "default-src 'none'"
    else:
        # Drive's nginx: files are attachments, previews are not; X-Robots-Tag on both
        assert answer.headers["Content-Disposition"] == "attachment"
        assert answer.headers["X-Robots-Tag"] == "noindex"
        preview = alice.get(stored["preview_url"], timeout=HTTP_TIMEOUT)
        assert preview.status_code == 200, describe(preview)
        assert preview.content == PNG
        assert "Content-Disposition" not in preview.headers


def test_a_logged_out_browser_gets_403(app, alice):
    url = upload(alice, app)["media_url"]
    with requests.Session() as stranger:
        answer = stranger.get(url, timeout=HTTP_TIMEOUT)
    assert answer.status_code == 403, describe(answer)
    assert PNG not in answer.content


def test_another_user_gets_403(media_emulator, app, alice):
    url = upload(alice, app)["media_url"]
    with requests.Session() as bob:
        app_login(bob, app, media_emulator, "bob")
        assert bob.get(url, timeout=HTTP_TIMEOUT).status_code == 403
        # bob's own upload is his to read: the 403 is about the owner, not about bob
        own = upload(bob, app, filename="bob.png")["media_url"]
        assert bob.get(own, timeout=HTTP_TIMEOUT).status_code == 200
    assert alice.get(url, timeout=HTTP_TIMEOUT).status_code == 200


def test_a_range_request_gets_206(app, alice):
    url = upload(alice, app, filename="clip.png")["media_url"]
    # What a <video> element sends first, then a middle slice.
    whole = alice.get(url, headers={"Range": "bytes=0-"}, timeout=HTTP_TIMEOUT)
    assert whole.status_code == 206, describe(whole)
    assert whole.content == PNG
    assert whole.headers["Content-Range"] == f"bytes 0-{len(PNG) - 1}/{len(PNG)}"
    part = alice.get(url, headers={"Range": "bytes=1-3"}, timeout=HTTP_TIMEOUT)
    assert part.status_code == 206, describe(part)
    assert part.content == PNG[1:4] == b"PNG"
    assert part.headers["Content-Range"] == f"bytes 1-3/{len(PNG)}"


def test_a_revalidation_with_if_none_match_gets_304(app, alice):
    url = upload(alice, app)["media_url"]
    first = alice.get(url, timeout=HTTP_TIMEOUT)
    assert first.status_code == 200, describe(first)
    etag = first.headers["ETag"]
    again = alice.get(url, headers={"If-None-Match": etag}, timeout=HTTP_TIMEOUT)
    assert again.status_code == 304, describe(again)
    assert again.content == b""
    changed = alice.get(url, headers={"If-None-Match": '"0000"'}, timeout=HTTP_TIMEOUT)
    assert changed.status_code == 200 and changed.content == PNG


def test_an_upload_not_over_is_refused(app, alice):
    """Docs: `status` metadata other than `ready` (its malware check has not passed); Drive: an
    item whose upload is pending. Both media-auth answer 403."""
    url = upload(alice, app, ready=False)["media_url"]
    assert alice.get(url, timeout=HTTP_TIMEOUT).status_code == 403


def test_drive_previews_only_the_types_it_previews(media_drive_app, media_emulator):
    with requests.Session() as browser:
        app_login(browser, media_drive_app, media_emulator, "alice")
        text = upload(browser, media_drive_app, filename="notes.txt", body=b"plain",
                      content_type="text/plain")
        assert browser.get(text["media_url"], timeout=HTTP_TIMEOUT).content == b"plain"
        # text/plain is not in ITEM_PREVIEWABLE_MIME_TYPES
        assert browser.get(text["preview_url"], timeout=HTTP_TIMEOUT).status_code == 403


def test_drive_keys_with_spaces_and_accents(media_drive_app, media_emulator):
    """Drive unquotes the original URL before matching, and signs the key it found; the store
    must then find the object the browser's percent-encoded URL names."""
    with requests.Session() as browser:
        app_login(browser, media_drive_app, media_emulator, "alice")
        stored = upload(browser, media_drive_app, filename="été 2026.png")
        assert "%C3%A9t%C3%A9%202026.png" in stored["media_url"], stored
        answer = browser.get(stored["media_url"], timeout=HTTP_TIMEOUT)
        assert answer.status_code == 200, describe(answer)
        assert answer.content == PNG


def test_docs_refuses_a_path_outside_its_media_pattern(media_docs_app, media_emulator):
    with requests.Session() as browser:
        app_login(browser, media_docs_app, media_emulator, "alice")
        url = upload(browser, media_docs_app)["media_url"]
        # the same object under another name: Docs' pattern wants attachments/<uuid>.<ext>
        renamed = url.replace("/attachments/", "/files/")
        assert browser.get(renamed, timeout=HTTP_TIMEOUT).status_code == 403
        assert browser.get(url, timeout=HTTP_TIMEOUT).status_code == 200


def test_an_app_declared_at_runtime_is_asked(tmp_path):
    """`lasuite-emu apply` of `env docs --fixture` output on a running emulator: its /media/
    links should then go to that app's media-auth (here nothing listens: 502 naming it)."""
    from conftest import EmulatorProcess

    proc = EmulatorProcess(tmp_path)
    emu = proc.start()
    try:
        import standins

        fixture = tmp_path / "docs-app.toml"
        fixture.write_text(standins.env_block(
            "docs", emu.url, "http://127.0.0.1:9", "--fixture", "--api-url", "http://127.0.0.1:9"
        ))
        import subprocess

        subprocess.run(
            [str(standins.emulator_binary()), "apply", str(fixture), "--url", emu.url],
            check=True, capture_output=True, timeout=30,
        )
        key = "0b9c2a31-6a4e-4c1b-9d1e-2f3a4b5c6d7e/attachments/1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f.png"
        answer = requests.get(f"{emu.url}/media/{key}", timeout=HTTP_TIMEOUT)
        assert answer.status_code == 502, describe(answer)
        assert "http://127.0.0.1:9/api/v1.0/documents/media-auth/" in answer.text
    finally:
        proc.stop()


def test_a_304_describes_the_object_not_an_error(app, alice):
    url = upload(alice, app)["media_url"]
    first = alice.get(url, timeout=HTTP_TIMEOUT)
    again = alice.get(url, headers={"If-None-Match": first.headers["ETag"]}, timeout=HTTP_TIMEOUT)
    assert again.status_code == 304, describe(again)
    assert again.headers.get("ETag") == first.headers["ETag"], dict(again.headers)
    assert again.headers.get("Content-Type") != "application/xml", dict(again.headers)
    assert again.headers.get("Content-Length") in (None, first.headers["Content-Length"])
