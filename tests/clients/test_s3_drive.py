"""Drive's S3 calls against the emulator, with boto3 1.42.91 / botocore 1.42.96 as Drive pins them
(spec ``s3.md`` A.2, A.5, A.6).

Every test uses its own keys (``item/<uuid>/<name>``), so the tests are independent of each
other and of the order they run in. The bucket is the pre-created, versioned
``drive-media-storage``; the client signs with Drive's dev region ``eu-east-1``.
"""

from __future__ import annotations

import datetime
import time
import uuid
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import boto3
import botocore.auth
import botocore.awsrequest
import pytest
from botocore.config import Config
from botocore import UNSIGNED
from botocore.exceptions import ClientError

from s3util import (
    DEFAULT_CONTENT_TYPE,
    DOCS_BUCKET,
    DRIVE_BUCKET,
    DRIVE_CREDS,
    DRIVE_REGION,
    EMPTY_SHA256,
    IMPRESS_BUCKET,
    IMPRESS_CREDS,
    describe,
    describe_error,
    error_of,
    http,
    make_client,
    md5_hex,
    payload,
    s3_xml_error,
    status_of,
)


def item_key(name: str = "file.txt") -> str:
    """Drive's key scheme: item/<item-uuid>/<filename> (drive core/models.py)."""
    return f"item/{uuid.uuid4()}/{name}"


def presigned_put(client, key: str, expires: int = 60, acl: str | None = "private") -> str:
    """drive core/api/utils.py generate_upload_policy."""
    params = {"Bucket": DRIVE_BUCKET, "Key": key}
    if acl is not None:
        params["ACL"] = acl
    return client.generate_presigned_url("put_object", Params=params, ExpiresIn=expires)


def browser_put(url: str, data: bytes, content_type: str | None = "text/plain",
                acl: str | None = "private", **headers):
    """The SPA's XHR PUT of the file to the policy URL (frontend StandardDriver.uploadFile)."""
    if acl is not None:
        headers["X-amz-acl"] = acl
    if content_type is not None:
        headers["Content-Type"] = content_type
    return http("PUT", url, data=data, headers=headers)


def assert_missing(client, key: str, bucket: str = DRIVE_BUCKET):
    with pytest.raises(ClientError) as info:
        client.head_object(Bucket=bucket, Key=key)
    assert error_of(info.value)[1] == 404, describe_error(info.value)


def media_auth_headers(endpoint: str, key: str, creds=DRIVE_CREDS, region: str = DRIVE_REGION,
                       bucket: str = DRIVE_BUCKET) -> tuple[str, dict]:
    """drive/docs core/api/utils.py generate_s3_authorization_headers: the unsigned URL of the
    object (from the storage's unsigned connection), a GET of it signed with S3SigV4Auth; the
    media-auth endpoint returns Authorization, X-Amz-Date and X-Amz-Content-SHA256."""
    unsigned = boto3.session.Session().client(
        "s3", endpoint_url=endpoint, region_name=region,
        config=Config(signature_version=UNSIGNED, s3={"addressing_style": "path"}),
    )
    url = unsigned.generate_presigned_url(
        "get_object", ExpiresIn=0, Params={"Bucket": bucket, "Key": key}
    )
    signed = make_client(endpoint, creds, region)
    request = botocore.awsrequest.AWSRequest(method="get", url=url)
    credentials = signed._request_signer._credentials.get_frozen_credentials()  # noqa: SLF001
    botocore.auth.S3SigV4Auth(credentials, "s3", signed.meta.region_name).add_auth(request)
    headers = {
        "Authorization": request.headers["Authorization"],
        "X-Amz-Date": request.headers["X-Amz-Date"],
        "X-Amz-Content-SHA256": request.headers["X-Amz-Content-SHA256"],
    }
    return url, headers


# --------------------------------------------------------------------------------------------
# Buckets (A.1, A.8)
# --------------------------------------------------------------------------------------------


def test_buckets_precreated_and_versioned(drive_s3):
    """A.1 / A.8: the three app buckets exist at start-up (ListBuckets, HeadBucket) with
    versioning Enabled (GetBucketVersioning)."""
    names = {b["Name"] for b in drive_s3.list_buckets()["Buckets"]}
    for bucket in (DRIVE_BUCKET, IMPRESS_BUCKET, DOCS_BUCKET):
        assert bucket in names, names
        assert status_of(drive_s3.head_bucket(Bucket=bucket)) == 200
        assert drive_s3.get_bucket_versioning(Bucket=bucket).get("Status") == "Enabled", bucket


def test_any_region_and_every_app_key_pair(s3_endpoint):
    """A.1: the store does not enforce a region; impress/password signs too."""
    for region in ("eu-east-1", "us-east-1", "fr-par-7"):
        client = make_client(s3_endpoint, IMPRESS_CREDS, region)
        key = item_key()
        client.put_object(Bucket=IMPRESS_BUCKET, Key=key, Body=region.encode())
        body = client.get_object(Bucket=IMPRESS_BUCKET, Key=key)["Body"].read()
        assert body == region.encode()


def test_unknown_access_key_and_wrong_secret_are_refused(s3_endpoint):
    """A.8 / B.4: header SigV4 is verified: unknown key InvalidAccessKeyId, wrong secret
    SignatureDoesNotMatch, both 403."""
    client = make_client(s3_endpoint, ("nobody", "password"), DRIVE_REGION)
    with pytest.raises(ClientError) as info:
        client.head_bucket(Bucket=DRIVE_BUCKET)
    assert error_of(info.value)[1] == 403, describe_error(info.value)
    with pytest.raises(ClientError) as info:
        client.get_object(Bucket=DRIVE_BUCKET, Key=item_key())
    assert error_of(info.value) == ("InvalidAccessKeyId", 403), describe_error(info.value)

    client = make_client(s3_endpoint, ("drive", "not-the-password"), DRIVE_REGION)
    with pytest.raises(ClientError) as info:
        client.put_object(Bucket=DRIVE_BUCKET, Key=item_key(), Body=b"x")
    assert error_of(info.value) == ("SignatureDoesNotMatch", 403), describe_error(info.value)


def test_anonymous_request_is_refused(s3_endpoint):
    """B.4: without a signature every request is refused with 403 AccessDenied."""
    resp = http("GET", f"{s3_endpoint}/{DRIVE_BUCKET}/{item_key()}")
    assert resp.status_code == 403, describe(resp)
    assert s3_xml_error(resp)[0] == "AccessDenied", describe(resp)


# --------------------------------------------------------------------------------------------
# Browser upload through a presigned PUT (A.5)
# --------------------------------------------------------------------------------------------


def test_presigned_put_with_acl_header(drive_s3):
    """A.5: the policy URL signs host;x-amz-acl, expires in 60 s; the browser PUT with
    X-amz-acl: private and its own Content-Type gets 200, and the object is stored with that
    Content-Type, its length and ETag = quoted hex md5 (A.2 upload_ended HEAD)."""
    key = item_key("report.txt")
    url = presigned_put(drive_s3, key)
    query = dict(parse_qsl(urlsplit(url).query))
    assert query["X-Amz-SignedHeaders"] == "host;x-amz-acl", url
    assert query["X-Amz-Credential"].split("/")[2] == DRIVE_REGION, url
    data = b"hello from the browser\n" * 100
    resp = browser_put(url, data)
    assert resp.status_code == 200, describe(resp)
    assert resp.headers.get("ETag") == f'"{md5_hex(data)}"', describe(resp)

    head = drive_s3.head_object(Bucket=DRIVE_BUCKET, Key=key)
    assert head["ContentType"] == "text/plain", head
    assert head["ContentLength"] == len(data), head
    assert head["ETag"] == f'"{md5_hex(data)}"', head
    assert head.get("VersionId"), f"versioned bucket: HEAD must expose x-amz-version-id: {head}"
    assert drive_s3.get_object(Bucket=DRIVE_BUCKET, Key=key)["Body"].read() == data


def test_presigned_put_without_signed_acl_header_is_refused(drive_s3):
    """A.5 / B.4: x-amz-acl is a signed header; a PUT without it is 403 with an S3 XML error
    and stores nothing."""
    key = item_key()
    url = presigned_put(drive_s3, key)
    resp = browser_put(url, b"no acl", acl=None)
    assert resp.status_code == 403, describe(resp)
    code, _ = s3_xml_error(resp)
    assert code in ("SignatureDoesNotMatch", "AccessDenied"), describe(resp)
    assert_missing(drive_s3, key)


def test_presigned_put_with_other_acl_value_is_refused(drive_s3):
    """A.5: the signature covers the x-amz-acl value: public-read instead of private → 403."""
    key = item_key()
    resp = browser_put(presigned_put(drive_s3, key), b"x", acl="public-read")
    assert resp.status_code == 403, describe(resp)
    assert s3_xml_error(resp)[0] == "SignatureDoesNotMatch", describe(resp)
    assert_missing(drive_s3, key)


def test_presigned_put_with_tampered_signature(drive_s3):
    """A.5 / B.4: a changed X-Amz-Signature → 403 SignatureDoesNotMatch."""
    key = item_key()
    url = presigned_put(drive_s3, key)
    parts = urlsplit(url)
    query = parse_qsl(parts.query)
    tampered = []
    for name, value in query:
        if name == "X-Amz-Signature":
            value = value[:-1] + ("0" if value[-1] != "0" else "1")
        tampered.append((name, value))
    url = urlunsplit(parts._replace(query=urlencode(tampered)))
    resp = browser_put(url, b"tampered")
    assert resp.status_code == 403, describe(resp)
    assert s3_xml_error(resp)[0] == "SignatureDoesNotMatch", describe(resp)
    assert_missing(drive_s3, key)


def test_presigned_put_on_another_key_is_refused(drive_s3):
    """A.5: the signature covers the path: the URL of key A used for key B → 403."""
    url = presigned_put(drive_s3, item_key("a.txt"))
    other = item_key("b.txt")
    parts = urlsplit(url)
    url = urlunsplit(parts._replace(path=f"/{DRIVE_BUCKET}/{other}"))
    resp = browser_put(url, b"x")
    assert resp.status_code == 403, describe(resp)
    assert s3_xml_error(resp)[0] == "SignatureDoesNotMatch", describe(resp)
    assert_missing(drive_s3, other)


def test_presigned_put_expired(drive_s3):
    """A.5 / B.4: X-Amz-Date + X-Amz-Expires in the past → 403 AccessDenied."""
    key = item_key()
    url = presigned_put(drive_s3, key, expires=1)
    time.sleep(2.2)
    resp = browser_put(url, b"too late")
    assert resp.status_code == 403, describe(resp)
    assert s3_xml_error(resp)[0] == "AccessDenied", describe(resp)
    assert_missing(drive_s3, key)


@pytest.mark.parametrize("content_type", ["", None], ids=["empty", "absent"])
def test_presigned_put_without_content_type_gets_default(drive_s3, content_type):
    """A.2 / A.5: the browser's file.type can be "": HEAD must still carry a ContentType
    (Drive's upload_ended indexes it), application/octet-stream."""
    key = item_key("noext")
    resp = browser_put(presigned_put(drive_s3, key), b"\x00\x01binary", content_type=content_type)
    assert resp.status_code == 200, describe(resp)
    head = drive_s3.head_object(Bucket=DRIVE_BUCKET, Key=key)
    assert head.get("ContentType") == DEFAULT_CONTENT_TYPE, head


def test_put_object_without_content_type_gets_default(drive_s3):
    """A.8: an SDK PutObject with no Content-Type → HEAD and GET answer
    application/octet-stream."""
    key = item_key("blob")
    drive_s3.put_object(Bucket=DRIVE_BUCKET, Key=key, Body=b"raw")
    assert drive_s3.head_object(Bucket=DRIVE_BUCKET, Key=key).get("ContentType") \
        == DEFAULT_CONTENT_TYPE
    assert drive_s3.get_object(Bucket=DRIVE_BUCKET, Key=key).get("ContentType") \
        == DEFAULT_CONTENT_TYPE


# --------------------------------------------------------------------------------------------
# upload_ended, rename, duplicate, export (A.2)
# --------------------------------------------------------------------------------------------


def test_upload_ended_sequence(drive_s3):
    """A.2 upload_ended: HEAD (ContentLength, ContentType, Metadata), ranged GET bytes=0-2047 →
    206 + Content-Range, then copy_object onto itself with the sniffed ContentType,
    Metadata=head Metadata, MetadataDirective=REPLACE: the type changes, the data stays whole."""
    key = item_key("scan.bin")
    data = payload(10_000, key)
    resp = browser_put(presigned_put(drive_s3, key), data, content_type="text/plain")
    assert resp.status_code == 200, describe(resp)
    # user metadata on the object, so that REPLACE with head["Metadata"] has something to carry
    drive_s3.copy_object(
        Bucket=DRIVE_BUCKET, Key=key, CopySource={"Bucket": DRIVE_BUCKET, "Key": key},
        ContentType="text/plain", Metadata={"owner": "alice", "is_unsafe": "false"},
        MetadataDirective="REPLACE",
    )

    head = drive_s3.head_object(Bucket=DRIVE_BUCKET, Key=key)
    assert head["ContentLength"] == len(data)
    assert head["ContentType"] == "text/plain"
    assert head["Metadata"] == {"owner": "alice", "is_unsafe": "false"}, head

    part = drive_s3.get_object(Bucket=DRIVE_BUCKET, Key=key, Range="bytes=0-2047")
    assert status_of(part) == 206, part["ResponseMetadata"]
    assert part["ContentRange"] == f"bytes 0-2047/{len(data)}", part
    assert part["ContentLength"] == 2048
    assert part["Body"].read() == data[:2048]

    copied = drive_s3.copy_object(
        Bucket=DRIVE_BUCKET, Key=key, CopySource={"Bucket": DRIVE_BUCKET, "Key": key},
        ContentType="application/pdf", Metadata=head["Metadata"], MetadataDirective="REPLACE",
    )
    assert status_of(copied) == 200
    assert copied["CopyObjectResult"]["ETag"] == f'"{md5_hex(data)}"', copied
    after = drive_s3.head_object(Bucket=DRIVE_BUCKET, Key=key)
    assert after["ContentType"] == "application/pdf", after
    assert after["ContentLength"] == len(data), after
    assert after["Metadata"] == head["Metadata"], after
    assert after["ETag"] == f'"{md5_hex(data)}"', after
    assert after.get("VersionId") and after["VersionId"] != head.get("VersionId"), (
        "A.7: a self-copy REPLACE on a versioned bucket creates a new version", head, after)
    assert drive_s3.get_object(Bucket=DRIVE_BUCKET, Key=key)["Body"].read() == data


def test_ranged_get_variants(drive_s3):
    """A.6: Range pass-through: suffix and open-ended ranges → 206; a range past the end →
    416 InvalidRange."""
    key = item_key()
    data = payload(5000, key)
    drive_s3.put_object(Bucket=DRIVE_BUCKET, Key=key, Body=data)
    got = drive_s3.get_object(Bucket=DRIVE_BUCKET, Key=key, Range="bytes=4000-")
    assert status_of(got) == 206 and got["ContentRange"] == "bytes 4000-4999/5000", got
    assert got["Body"].read() == data[4000:]
    got = drive_s3.get_object(Bucket=DRIVE_BUCKET, Key=key, Range="bytes=-100")
    assert status_of(got) == 206 and got["ContentRange"] == "bytes 4900-4999/5000", got
    assert got["Body"].read() == data[-100:]
    with pytest.raises(ClientError) as info:
        drive_s3.get_object(Bucket=DRIVE_BUCKET, Key=key, Range="bytes=6000-7000")
    assert error_of(info.value) == ("InvalidRange", 416), describe_error(info.value)


def test_rename_copy_then_delete(drive_s3):
    """A.2 rename_file: copy_object(MetadataDirective=COPY) to the new key, delete_object of
    the old one: the new key has the bytes, type and metadata; the old one is gone."""
    old, new = item_key("old name.txt"), item_key("new_name.txt")
    data = b"rename me" * 50
    drive_s3.put_object(Bucket=DRIVE_BUCKET, Key=old, Body=data, ContentType="text/markdown",
                        Metadata={"owner": "bob"})
    drive_s3.copy_object(Bucket=DRIVE_BUCKET, Key=new,
                         CopySource={"Bucket": DRIVE_BUCKET, "Key": old},
                         MetadataDirective="COPY")
    deleted = drive_s3.delete_object(Bucket=DRIVE_BUCKET, Key=old)
    assert status_of(deleted) == 204, deleted
    head = drive_s3.head_object(Bucket=DRIVE_BUCKET, Key=new)
    assert head["ContentType"] == "text/markdown", head
    assert head["Metadata"] == {"owner": "bob"}, head
    assert head["ETag"] == f'"{md5_hex(data)}"', head
    assert drive_s3.get_object(Bucket=DRIVE_BUCKET, Key=new)["Body"].read() == data
    assert_missing(drive_s3, old)


def test_wopi_rename_deletes_old_version(drive_s3):
    """A.2 WOPI RenameFile: head_object → VersionId; copy COPY; delete_object(Key=old,
    VersionId=that) removes the version for good (no delete marker, nothing listed)."""
    old, new = item_key("doc.odt"), item_key("renamed.odt")
    drive_s3.put_object(Bucket=DRIVE_BUCKET, Key=old, Body=b"odt bytes")
    version = drive_s3.head_object(Bucket=DRIVE_BUCKET, Key=old)["VersionId"]
    drive_s3.copy_object(Bucket=DRIVE_BUCKET, Key=new,
                         CopySource={"Bucket": DRIVE_BUCKET, "Key": old},
                         MetadataDirective="COPY")
    deleted = drive_s3.delete_object(Bucket=DRIVE_BUCKET, Key=old, VersionId=version)
    assert status_of(deleted) == 204, deleted
    assert not deleted.get("DeleteMarker"), deleted
    listing = drive_s3.list_object_versions(Bucket=DRIVE_BUCKET, Prefix=old)
    assert not listing.get("Versions") and not listing.get("DeleteMarkers"), listing
    assert drive_s3.get_object(Bucket=DRIVE_BUCKET, Key=new)["Body"].read() == b"odt bytes"


def test_duplicate_with_copy_source_version(drive_s3):
    """A.2 duplicate_file / A.8: copy_object with CopySource carrying a VersionId copies that
    version."""
    src, dst = item_key("a.txt"), item_key("a copy.txt")
    first = drive_s3.put_object(Bucket=DRIVE_BUCKET, Key=src, Body=b"v1")["VersionId"]
    drive_s3.put_object(Bucket=DRIVE_BUCKET, Key=src, Body=b"v2")
    drive_s3.copy_object(Bucket=DRIVE_BUCKET, Key=dst, MetadataDirective="COPY",
                         CopySource={"Bucket": DRIVE_BUCKET, "Key": src, "VersionId": first})
    assert drive_s3.get_object(Bucket=DRIVE_BUCKET, Key=dst)["Body"].read() == b"v1"


def test_wopi_put_file_changes_etag(drive_s3):
    """A.2 WOPI GetFile/PutFile: HEAD gives ContentLength, ETag, LastModified; a new content
    gives a new ETag."""
    key = item_key("sheet.ods")
    drive_s3.put_object(Bucket=DRIVE_BUCKET, Key=key, Body=b"one")
    first = drive_s3.head_object(Bucket=DRIVE_BUCKET, Key=key)
    assert first["ContentLength"] == 3 and first["LastModified"], first
    drive_s3.put_object(Bucket=DRIVE_BUCKET, Key=key, Body=b"two")
    second = drive_s3.head_object(Bucket=DRIVE_BUCKET, Key=key)
    assert second["ETag"] != first["ETag"], (first, second)
    assert second["ETag"] == f'"{md5_hex(b"two")}"'


def test_zip_export_streams_chunks(drive_s3):
    """A.2 item_exports: get_object streamed with iter_chunks(64 KiB)."""
    key = item_key("big.bin")
    data = payload(300_000, key)
    drive_s3.put_object(Bucket=DRIVE_BUCKET, Key=key, Body=data)
    body = drive_s3.get_object(Bucket=DRIVE_BUCKET, Key=key)["Body"]
    assert b"".join(body.iter_chunks(64 * 1024)) == data


def test_missing_key_errors(drive_s3):
    """A.2 / A.4: get_object of a missing key → ClientError NoSuchKey (404); head_object → 404;
    a missing bucket → NoSuchBucket."""
    key = item_key()
    with pytest.raises(ClientError) as info:
        drive_s3.get_object(Bucket=DRIVE_BUCKET, Key=key)
    assert error_of(info.value) == ("NoSuchKey", 404), describe_error(info.value)
    with pytest.raises(drive_s3.exceptions.NoSuchKey):
        drive_s3.get_object(Bucket=DRIVE_BUCKET, Key=key)
    with pytest.raises(ClientError) as info:
        drive_s3.head_object(Bucket=DRIVE_BUCKET, Key=key)
    assert error_of(info.value) == ("404", 404), describe_error(info.value)
    with pytest.raises(ClientError) as info:
        drive_s3.get_object(Bucket=f"no-such-bucket-{uuid.uuid4().hex[:8]}", Key=key)
    assert error_of(info.value) == ("NoSuchBucket", 404), describe_error(info.value)


def test_purge_delete_missing_key_is_204(drive_s3):
    """A.2 purge: DeleteObject of a key that does not exist is tolerated (204)."""
    deleted = drive_s3.delete_object(Bucket=DRIVE_BUCKET, Key=item_key())
    assert status_of(deleted) == 204, deleted


def test_long_keys_and_file_directory_keys_coexist(drive_s3):
    """A.2 / B.8: Drive keys reach ~300 bytes; a key `a` and a key `a/b` coexist."""
    long_key = f"item/{uuid.uuid4()}/" + "n" * 250 + ".txt"
    assert len(long_key.encode()) > 290
    drive_s3.put_object(Bucket=DRIVE_BUCKET, Key=long_key, Body=b"long")
    assert drive_s3.get_object(Bucket=DRIVE_BUCKET, Key=long_key)["Body"].read() == b"long"
    listed = drive_s3.list_objects_v2(Bucket=DRIVE_BUCKET, Prefix=long_key)
    assert [o["Key"] for o in listed.get("Contents", [])] == [long_key], listed

    base = f"item/{uuid.uuid4()}/a"
    drive_s3.put_object(Bucket=DRIVE_BUCKET, Key=base, Body=b"file")
    drive_s3.put_object(Bucket=DRIVE_BUCKET, Key=f"{base}/b", Body=b"child")
    assert drive_s3.get_object(Bucket=DRIVE_BUCKET, Key=base)["Body"].read() == b"file"
    assert drive_s3.get_object(Bucket=DRIVE_BUCKET, Key=f"{base}/b")["Body"].read() == b"child"


# --------------------------------------------------------------------------------------------
# media-auth: header-signed GET forwarded by the proxy (A.6)
# --------------------------------------------------------------------------------------------


def test_media_auth_signed_get(drive_s3, s3_endpoint):
    """A.6: the three headers from generate_s3_authorization_headers, sent with a plain GET of
    /<bucket>/<key> to the endpoint's host:port → 200 and the bytes; a Range header added by the
    browser (not signed) → 206; the same headers with a different Host →
    403 SignatureDoesNotMatch."""
    key = item_key("photo.png")
    data = payload(4096, key)
    drive_s3.put_object(Bucket=DRIVE_BUCKET, Key=key, Body=data, ContentType="image/png")
    url, headers = media_auth_headers(s3_endpoint, key)
    assert url == f"{s3_endpoint}/{DRIVE_BUCKET}/{key}", url
    assert headers["X-Amz-Content-SHA256"] == EMPTY_SHA256
    assert "SignedHeaders=host;x-amz-content-sha256;x-amz-date" in headers["Authorization"]

    resp = http("GET", url, headers=headers)
    assert resp.status_code == 200, describe(resp)
    assert resp.content == data
    assert resp.headers.get("Content-Type") == "image/png", describe(resp)
    assert resp.headers.get("ETag") == f'"{md5_hex(data)}"', describe(resp)

    resp = http("GET", url, headers={**headers, "Range": "bytes=100-199"})
    assert resp.status_code == 206, describe(resp)
    assert resp.headers.get("Content-Range") == f"bytes 100-199/{len(data)}", describe(resp)
    assert resp.content == data[100:200]

    # other unsigned client headers pass through too (If-None-Match from the browser cache)
    resp = http("GET", url, headers={**headers, "If-None-Match": f'"{md5_hex(data)}"'})
    assert resp.status_code == 304, describe(resp)

    port = urlsplit(s3_endpoint).port
    resp = http("GET", url, headers={**headers, "Host": f"localhost:{port}"})
    assert resp.status_code == 403, describe(resp)
    assert s3_xml_error(resp)[0] == "SignatureDoesNotMatch", describe(resp)


def test_media_auth_headers_for_another_key_are_refused(drive_s3, s3_endpoint):
    """A.6: the headers signed for key A do not open key B (canonical URI is signed)."""
    key_a, key_b = item_key("a.png"), item_key("b.png")
    drive_s3.put_object(Bucket=DRIVE_BUCKET, Key=key_a, Body=b"a")
    drive_s3.put_object(Bucket=DRIVE_BUCKET, Key=key_b, Body=b"b")
    _url, headers = media_auth_headers(s3_endpoint, key_a)
    resp = http("GET", f"{s3_endpoint}/{DRIVE_BUCKET}/{key_b}", headers=headers)
    assert resp.status_code == 403, describe(resp)
    assert s3_xml_error(resp)[0] == "SignatureDoesNotMatch", describe(resp)


def test_media_auth_headers_too_old_are_refused(drive_s3, s3_endpoint, monkeypatch):
    """A.6 step 5 / B.4: an X-Amz-Date more than 15 min away → 403 RequestTimeTooSkewed."""
    key = item_key()
    drive_s3.put_object(Bucket=DRIVE_BUCKET, Key=key, Body=b"x")
    url = f"{s3_endpoint}/{DRIVE_BUCKET}/{key}"
    request = botocore.awsrequest.AWSRequest(method="GET", url=url)
    credentials = drive_s3._request_signer._credentials.get_frozen_credentials()  # noqa: SLF001
    auth = botocore.auth.S3SigV4Auth(credentials, "s3", DRIVE_REGION)
    stale = botocore.auth.get_current_datetime() - datetime.timedelta(minutes=30)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *a, **k: stale)
    auth.add_auth(request)
    headers = {k: request.headers[k] for k in ("Authorization", "X-Amz-Date",
                                                "X-Amz-Content-SHA256")}
    resp = http("GET", url, headers=headers)
    assert resp.status_code == 403, describe(resp)
    assert s3_xml_error(resp)[0] == "RequestTimeTooSkewed", describe(resp)


def test_presigned_get(drive_s3):
    """A.8 / B.4: a query-signed GET URL (boto3 generate_presigned_url) → 200."""
    key = item_key("shared.txt")
    drive_s3.put_object(Bucket=DRIVE_BUCKET, Key=key, Body=b"presigned get")
    url = drive_s3.generate_presigned_url(
        "get_object", Params={"Bucket": DRIVE_BUCKET, "Key": key}, ExpiresIn=60)
    resp = http("GET", url)
    assert resp.status_code == 200, describe(resp)
    assert resp.content == b"presigned get"


# --------------------------------------------------------------------------------------------
# CORS: browser preflight for the upload, bucket CORS configuration (A.5, A.2 bucket_cors)
# --------------------------------------------------------------------------------------------


def test_browser_preflight_for_presigned_put(drive_s3):
    """A.5 / B.3: the SPA on another local port preflights the PUT (method PUT, headers
    content-type and x-amz-acl): the answer allows that origin, method and headers; the PUT
    itself carries Access-Control-Allow-Origin and exposes ETag."""
    key = item_key("cors.txt")
    url = presigned_put(drive_s3, key)
    origin = "http://localhost:3000"
    resp = http("OPTIONS", url, headers={
        "Origin": origin,
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "content-type,x-amz-acl",
    })
    assert resp.status_code in (200, 204), describe(resp)
    assert resp.headers.get("Access-Control-Allow-Origin") in (origin, "*"), describe(resp)
    assert "PUT" in resp.headers.get("Access-Control-Allow-Methods", ""), describe(resp)
    allowed = resp.headers.get("Access-Control-Allow-Headers", "").lower()
    assert allowed == "*" or ("content-type" in allowed and "x-amz-acl" in allowed), describe(resp)

    resp = browser_put(url, b"from the SPA", Origin=origin)
    assert resp.status_code == 200, describe(resp)
    assert resp.headers.get("Access-Control-Allow-Origin") in (origin, "*"), describe(resp)
    assert "etag" in resp.headers.get("Access-Control-Expose-Headers", "").lower(), describe(resp)


def test_bucket_cors_configuration(drive_s3):
    """A.2 bucket_cors command: get_bucket_cors on a bucket without rules →
    NoSuchCORSConfiguration; put_bucket_cors with Drive's rules then get_bucket_cors returns
    them; delete_bucket_cors removes them. (On a bucket of its own, created and deleted here.)"""
    bucket = f"cors-{uuid.uuid4().hex[:16]}"
    drive_s3.create_bucket(Bucket=bucket)
    try:
        with pytest.raises(ClientError) as info:
            drive_s3.get_bucket_cors(Bucket=bucket)
        assert error_of(info.value) == ("NoSuchCORSConfiguration", 404), \
            describe_error(info.value)
        rules = [{
            "AllowedHeaders": ["*"],
            "AllowedMethods": ["GET", "HEAD", "POST", "PUT", "DELETE"],
            "AllowedOrigins": ["*"],
            "ExposeHeaders": ["Etag"],
            "MaxAgeSeconds": 3000,
        }]
        drive_s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
        got = drive_s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
        assert got == rules, got
        resp = http("OPTIONS", f"{drive_s3.meta.endpoint_url}/{bucket}/k", headers={
            "Origin": "https://drive.example.org",
            "Access-Control-Request-Method": "PUT",
        })
        assert resp.status_code in (200, 204), describe(resp)
        assert resp.headers.get("Access-Control-Allow-Origin") in (
            "*", "https://drive.example.org"), describe(resp)
        drive_s3.delete_bucket_cors(Bucket=bucket)
        with pytest.raises(ClientError) as info:
            drive_s3.get_bucket_cors(Bucket=bucket)
        assert error_of(info.value)[0] == "NoSuchCORSConfiguration", describe_error(info.value)
    finally:
        drive_s3.delete_bucket(Bucket=bucket)


# --------------------------------------------------------------------------------------------
# Integrity and streaming (A.4, A.8, B.5)
# --------------------------------------------------------------------------------------------


def test_body_digests_are_verified(drive_s3):
    """A.4 / A.8: botocore's x-amz-checksum-crc32 and an explicit Content-MD5 are checked: a
    wrong value → 400 BadDigest and nothing is stored; right values → 200, and the CRC32 is
    echoed."""
    import base64
    import hashlib

    key = item_key()
    with pytest.raises(ClientError) as info:
        drive_s3.put_object(Bucket=DRIVE_BUCKET, Key=key, Body=b"abc", ChecksumCRC32="AAAAAA==")
    assert error_of(info.value) == ("BadDigest", 400), describe_error(info.value)
    wrong_md5 = base64.b64encode(hashlib.md5(b"xyz").digest()).decode()
    with pytest.raises(ClientError) as info:
        drive_s3.put_object(Bucket=DRIVE_BUCKET, Key=key, Body=b"abc", ContentMD5=wrong_md5)
    assert error_of(info.value)[1] == 400, describe_error(info.value)
    assert error_of(info.value)[0] in ("BadDigest", "InvalidDigest"), describe_error(info.value)
    assert_missing(drive_s3, key)

    good_md5 = base64.b64encode(hashlib.md5(b"abc").digest()).decode()
    resp = drive_s3.put_object(Bucket=DRIVE_BUCKET, Key=key, Body=b"abc", ContentMD5=good_md5)
    assert resp.get("ChecksumCRC32") == "NSRBwg==", resp  # crc32("abc"), sent by botocore


def _peak_rss_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def test_large_presigned_put_is_streamed(request, drive_s3):
    """A.5 / B.5: a 128 MiB browser PUT (Drive allows 2 GiB in one PUT) and its GET back are
    streamed: the emulator's peak RSS grows by far less than the object size."""
    import hashlib
    import os

    if os.environ.get("S3_TEST_ENDPOINT"):
        pytest.skip("measures the emulator process")
    pid = request.getfixturevalue("emulator").pid
    before = _peak_rss_kib(pid)
    if before is None:
        pytest.skip("no /proc/<pid>/status")
    size = 128 * 1024 * 1024
    data = os.urandom(size)
    key = item_key("big.mp4")
    resp = http("PUT", presigned_put(drive_s3, key), data=data, timeout=120,
                headers={"X-amz-acl": "private", "Content-Type": "video/mp4"})
    assert resp.status_code == 200, describe(resp)
    url = drive_s3.generate_presigned_url(
        "get_object", Params={"Bucket": DRIVE_BUCKET, "Key": key}, ExpiresIn=60)
    digest = hashlib.md5()
    with http("GET", url, stream=True, timeout=120) as got:
        assert got.status_code == 200
        for chunk in got.iter_content(1 << 20):
            digest.update(chunk)
    assert digest.hexdigest() == hashlib.md5(data).hexdigest()
    grown_mib = (_peak_rss_kib(pid) - before) / 1024
    assert grown_mib < 48, f"peak RSS grew by {grown_mib:.0f} MiB for a 128 MiB object"
