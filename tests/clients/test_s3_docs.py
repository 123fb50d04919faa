"""Docs' S3 calls against the emulator (spec ``s3.md`` A.3, A.4, A.7), with boto3 1.42.91 and
django-storages 1.14.6.

The client signs with botocore's default region ``us-east-1`` (Docs leaves
``AWS_S3_REGION_NAME`` unset) on the pre-created, versioned ``docs-media-storage`` bucket.
Every test works under its own ``<uuid>/`` prefix, like a Docs document.
"""

from __future__ import annotations

import datetime
import io
import uuid

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from s3util import (
    DEFAULT_CONTENT_TYPE,
    DOCS_BUCKET,
    DOCS_CREDS,
    DOCS_REGION,
    DRIVE_BUCKET,
    DRIVE_CREDS,
    DRIVE_REGION,
    MIB,
    client_config,
    describe_error,
    error_of,
    md5_hex,
    multipart_etag,
    payload,
    status_of,
    version_ids,
)

B = DOCS_BUCKET


def doc_key() -> str:
    """Docs' document body key: <doc-uuid>/file."""
    return f"{uuid.uuid4()}/file"


def put_versions(client, key: str, bodies: list[bytes]) -> list[str]:
    ids = []
    for body in bodies:
        resp = client.put_object(Bucket=B, Key=key, Body=body,
                                 ContentType=DEFAULT_CONTENT_TYPE)
        assert resp.get("VersionId"), f"versioned bucket: PutObject must return a VersionId {resp}"
        assert resp["ETag"] == f'"{md5_hex(body)}"', resp
        ids.append(resp["VersionId"])
    assert len(set(ids)) == len(ids), f"version ids must be fresh: {ids}"
    return ids


# --------------------------------------------------------------------------------------------
# Versions (A.3 get_versions_slice, get_content_response, delete_version; A.7)
# --------------------------------------------------------------------------------------------


def test_list_object_versions_pagination(docs_s3):
    """A.3 get_versions_slice / A.7: list_object_versions(Prefix, MaxKeys=2) → the two newest,
    newest first, exactly one IsLatest, IsTruncated with NextKeyMarker/NextVersionIdMarker; the
    next page (KeyMarker/VersionIdMarker) → the rest. KeyMarker=<key>, VersionIdMarker=<v>
    starts strictly after v."""
    key = doc_key()
    v1, v2, v3 = put_versions(docs_s3, key, [b"one", b"two!", b"three"])

    page = docs_s3.list_object_versions(Bucket=B, Prefix=key, MaxKeys=2)
    versions = page.get("Versions", [])
    assert [v["VersionId"] for v in versions] == [v3, v2], page
    assert [v["IsLatest"] for v in versions] == [True, False], page
    for v, body in zip(versions, [b"three", b"two!"]):
        assert v["Key"] == key
        assert v["ETag"] == f'"{md5_hex(body)}"', v
        assert v["Size"] == len(body), v
        assert isinstance(v["LastModified"], datetime.datetime), v
    assert page["IsTruncated"] is True, page
    assert page.get("NextKeyMarker") == key, page
    assert page.get("NextVersionIdMarker") == v2, page

    rest = docs_s3.list_object_versions(
        Bucket=B, Prefix=key, MaxKeys=2,
        KeyMarker=page["NextKeyMarker"], VersionIdMarker=page["NextVersionIdMarker"])
    assert version_ids(rest) == [v1], rest
    assert rest["Versions"][0]["IsLatest"] is False
    assert rest["IsTruncated"] is False, rest

    # Docs' own call: KeyMarker=<key>, VersionIdMarker=<a version it already showed>
    after_v3 = docs_s3.list_object_versions(Bucket=B, Prefix=key, MaxKeys=5,
                                            KeyMarker=key, VersionIdMarker=v3)
    assert version_ids(after_v3) == [v2, v1], after_v3

    full = docs_s3.list_object_versions(Bucket=B, Prefix=key)
    assert version_ids(full) == [v3, v2, v1], full
    assert sum(v["IsLatest"] for v in full["Versions"]) == 1, full
    assert not full.get("DeleteMarkers"), full


def test_get_old_version_and_bogus_version(docs_s3):
    """A.3 get_content_response / A.7: get_object(VersionId=old) → the old bytes and its id;
    an unknown version id → error (NoSuchVersion 404, or 400 InvalidArgument for a malformed
    id), never the latest."""
    key = doc_key()
    v1, v2 = put_versions(docs_s3, key, [b"old content", b"new content"])
    got = docs_s3.get_object(Bucket=B, Key=key, VersionId=v1)
    assert got["Body"].read() == b"old content"
    assert got.get("VersionId") == v1, got
    head = docs_s3.head_object(Bucket=B, Key=key, VersionId=v1)
    assert head["ContentLength"] == len(b"old content") and head.get("VersionId") == v1, head
    latest = docs_s3.get_object(Bucket=B, Key=key)
    assert latest["Body"].read() == b"new content" and latest.get("VersionId") == v2, latest

    for bogus in (str(uuid.uuid4()), "bogus"):
        with pytest.raises(ClientError) as info:
            docs_s3.get_object(Bucket=B, Key=key, VersionId=bogus)
        code, status = error_of(info.value)
        assert (code, status) in (("NoSuchVersion", 404), ("InvalidArgument", 400)), (
            bogus, describe_error(info.value))


def test_delete_latest_version_promotes_previous(docs_s3):
    """A.3 delete_version / A.7: delete_object(VersionId=latest) → 204, the version is gone
    and the previous one is latest (GET without id, IsLatest in the listing)."""
    key = doc_key()
    v1, v2, v3 = put_versions(docs_s3, key, [b"a", b"bb", b"ccc"])
    deleted = docs_s3.delete_object(Bucket=B, Key=key, VersionId=v3)
    assert status_of(deleted) == 204, deleted
    assert deleted.get("VersionId") == v3, deleted
    got = docs_s3.get_object(Bucket=B, Key=key)
    assert got["Body"].read() == b"bb" and got.get("VersionId") == v2, got
    listing = docs_s3.list_object_versions(Bucket=B, Prefix=key)
    assert version_ids(listing) == [v2, v1], listing
    assert [v["IsLatest"] for v in listing["Versions"]] == [True, False], listing
    with pytest.raises(ClientError) as info:
        docs_s3.get_object(Bucket=B, Key=key, VersionId=v3)
    assert error_of(info.value)[1] in (404, 400), describe_error(info.value)

    # deleting a middle (non-latest) version leaves the latest alone
    docs_s3.delete_object(Bucket=B, Key=key, VersionId=v1)
    assert version_ids(docs_s3.list_object_versions(Bucket=B, Prefix=key)) == [v2]


def test_delete_without_version_adds_delete_marker(docs_s3):
    """A.2 purge / A.7: delete_object without VersionId on a versioned bucket → a delete
    marker (DeleteMarker true + its VersionId); GET → 404 NoSuchKey; the old versions stay
    readable by id; list_object_versions shows the marker under DeleteMarkers (IsLatest) and no
    version as latest; deleting the marker by id brings the object back."""
    key = doc_key()
    v1, v2 = put_versions(docs_s3, key, [b"first", b"second"])
    deleted = docs_s3.delete_object(Bucket=B, Key=key)
    assert status_of(deleted) == 204, deleted
    assert deleted.get("DeleteMarker") is True, deleted
    marker = deleted.get("VersionId")
    assert marker and marker not in (v1, v2), deleted

    with pytest.raises(ClientError) as info:
        docs_s3.get_object(Bucket=B, Key=key)
    assert error_of(info.value) == ("NoSuchKey", 404), describe_error(info.value)
    with pytest.raises(ClientError) as info:
        docs_s3.head_object(Bucket=B, Key=key)
    assert error_of(info.value)[1] == 404, describe_error(info.value)
    assert docs_s3.get_object(Bucket=B, Key=key, VersionId=v1)["Body"].read() == b"first"

    listing = docs_s3.list_object_versions(Bucket=B, Prefix=key)
    assert version_ids(listing) == [v2, v1], listing
    assert not any(v["IsLatest"] for v in listing["Versions"]), listing
    markers = listing.get("DeleteMarkers", [])
    assert [(m["Key"], m["VersionId"], m["IsLatest"]) for m in markers] == [(key, marker, True)], (
        listing)
    # the object is gone from the plain listing
    plain = docs_s3.list_objects_v2(Bucket=B, Prefix=key)
    assert not plain.get("Contents"), plain

    undeleted = docs_s3.delete_object(Bucket=B, Key=key, VersionId=marker)
    assert status_of(undeleted) == 204, undeleted
    assert docs_s3.get_object(Bucket=B, Key=key)["Body"].read() == b"second"


def test_delete_marker_version_and_null_version(docs_s3):
    """A.7: GET of a delete marker's version id → 405 MethodNotAllowed with
    x-amz-delete-marker: true; HEAD of a key whose latest is a marker → 404 with
    x-amz-delete-marker: true; DeleteObject with VersionId=null is accepted (204)."""
    key = doc_key()
    put_versions(docs_s3, key, [b"x"])
    marker = docs_s3.delete_object(Bucket=B, Key=key)["VersionId"]
    with pytest.raises(ClientError) as info:
        docs_s3.get_object(Bucket=B, Key=key, VersionId=marker)
    assert error_of(info.value) == ("MethodNotAllowed", 405), describe_error(info.value)
    headers = info.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert headers.get("x-amz-delete-marker") == "true", headers
    with pytest.raises(ClientError) as info:
        docs_s3.head_object(Bucket=B, Key=key)
    assert error_of(info.value)[1] == 404, describe_error(info.value)
    headers = info.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert headers.get("x-amz-delete-marker") == "true", headers
    assert status_of(docs_s3.delete_object(Bucket=B, Key=key, VersionId="null")) == 204


def test_delete_objects_with_version_ids_quiet(docs_s3):
    """A.3 conftest / clean_document: delete_objects(Objects=[{Key, VersionId}], Quiet=True)
    over every version and delete marker under a prefix → 200, no Errors, nothing left."""
    prefix = f"{uuid.uuid4()}/"
    for name in ("file", "attachments/a.png"):
        put_versions(docs_s3, prefix + name, [b"1", b"22"])
    docs_s3.delete_object(Bucket=B, Key=prefix + "file")  # + a delete marker
    listing = docs_s3.list_object_versions(Bucket=B, Prefix=prefix)
    objects = [{"Key": v["Key"], "VersionId": v["VersionId"]}
               for v in listing.get("Versions", []) + listing.get("DeleteMarkers", [])]
    assert len(objects) == 5, listing
    resp = docs_s3.delete_objects(Bucket=B, Delete={"Objects": objects, "Quiet": True})
    assert status_of(resp) == 200, resp
    assert not resp.get("Errors"), resp
    after = docs_s3.list_object_versions(Bucket=B, Prefix=prefix)
    assert not after.get("Versions") and not after.get("DeleteMarkers"), after


def test_delete_objects_without_versions_reports_markers(docs_s3):
    """A.8 DeleteObjects (not quiet, no version ids) on a versioned bucket: each key gets a
    delete marker, reported in Deleted with DeleteMarker/DeleteMarkerVersionId."""
    prefix = f"{uuid.uuid4()}/"
    keys = [prefix + "a", prefix + "b"]
    for key in keys:
        docs_s3.put_object(Bucket=B, Key=key, Body=b"x")
    resp = docs_s3.delete_objects(Bucket=B, Delete={"Objects": [{"Key": k} for k in keys]})
    assert sorted(d["Key"] for d in resp.get("Deleted", [])) == keys, resp
    for d in resp["Deleted"]:
        assert d.get("DeleteMarker") is True and d.get("DeleteMarkerVersionId"), resp
    assert not docs_s3.list_objects_v2(Bucket=B, Prefix=prefix).get("Contents")


def test_resource_api_object_versions_delete(s3_endpoint, docs_s3):
    """A.3 clean_document: bucket.object_versions.filter(Prefix=key).delete() (resource API:
    ListObjectVersions + DeleteObjects with version ids) removes every version."""
    key = doc_key()
    put_versions(docs_s3, key, [b"a", b"b", b"c"])
    resource = boto3.session.Session().resource(
        "s3", endpoint_url=s3_endpoint, aws_access_key_id=DOCS_CREDS[0],
        aws_secret_access_key=DOCS_CREDS[1], region_name=DOCS_REGION, config=client_config())
    resource.Bucket(B).object_versions.filter(Prefix=key).delete()
    after = docs_s3.list_object_versions(Bucket=B, Prefix=key)
    assert not after.get("Versions") and not after.get("DeleteMarkers"), after


# --------------------------------------------------------------------------------------------
# save_content and conditional GET (A.3)
# --------------------------------------------------------------------------------------------


def test_save_content_etag_is_md5(docs_s3):
    """A.3 save_content: head_object ETag (quotes stripped) == hex md5 of the bytes put."""
    key = doc_key()
    body = "Yjs update ✓".encode() * 77
    docs_s3.put_object(Bucket=B, Key=key, Body=body, ContentType=DEFAULT_CONTENT_TYPE)
    head = docs_s3.head_object(Bucket=B, Key=key)
    assert head["ETag"].strip('"') == md5_hex(body), head
    assert head["ContentType"] == DEFAULT_CONTENT_TYPE


def test_conditional_get(docs_s3):
    """A.3 content_retrieve: IfNoneMatch=<etag> → 304, IfModifiedSince in the future → 304,
    IfMatch wrong → 412 PreconditionFailed; the non-matching conditions → 200."""
    key = doc_key()
    body = b"cached content"
    docs_s3.put_object(Bucket=B, Key=key, Body=body)
    head = docs_s3.head_object(Bucket=B, Key=key)
    etag = head["ETag"]
    future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    past = head["LastModified"] - datetime.timedelta(days=1)

    def expect(status: int, codes: tuple[str, ...], **cond):
        with pytest.raises(ClientError) as info:
            docs_s3.get_object(Bucket=B, Key=key, **cond)
        code, got = error_of(info.value)
        assert got == status and code in codes, (cond, describe_error(info.value))

    expect(304, ("304", "NotModified"), IfNoneMatch=etag)
    expect(304, ("304", "NotModified"), IfNoneMatch=etag.strip('"'))
    expect(304, ("304", "NotModified"), IfModifiedSince=future)
    expect(304, ("304", "NotModified"), IfModifiedSince=head["LastModified"])
    expect(412, ("PreconditionFailed",), IfMatch='"0123456789abcdef0123456789abcdef"')
    expect(412, ("PreconditionFailed",), IfUnmodifiedSince=past)

    for cond in ({"IfNoneMatch": '"0123456789abcdef0123456789abcdef"'},
                 {"IfModifiedSince": past},
                 {"IfMatch": etag},
                 {"IfUnmodifiedSince": future}):
        got = docs_s3.get_object(Bucket=B, Key=key, **cond)
        assert status_of(got) == 200 and got["Body"].read() == body, cond

    # Docs passes both; If-None-Match wins when it matches (RFC 7232 §6)
    expect(304, ("304", "NotModified"), IfNoneMatch=etag, IfModifiedSince=past)


def test_conditional_head(docs_s3):
    """A.8: conditional headers on HEAD too: If-None-Match → 304, wrong If-Match → 412."""
    key = doc_key()
    docs_s3.put_object(Bucket=B, Key=key, Body=b"head me")
    etag = docs_s3.head_object(Bucket=B, Key=key)["ETag"]
    with pytest.raises(ClientError) as info:
        docs_s3.head_object(Bucket=B, Key=key, IfNoneMatch=etag)
    assert error_of(info.value)[1] == 304, describe_error(info.value)
    with pytest.raises(ClientError) as info:
        docs_s3.head_object(Bucket=B, Key=key, IfMatch='"nope"')
    assert error_of(info.value)[1] == 412, describe_error(info.value)


# --------------------------------------------------------------------------------------------
# Attachments: multipart upload with metadata, malware self-copy (A.3)
# --------------------------------------------------------------------------------------------


def test_attachment_upload_multipart_with_metadata(docs_s3):
    """A.3 attachment_upload / A.4: a 10 MiB upload_fileobj goes multipart (boto3 default
    8 MiB threshold and chunks → ETag md5-of-md5s with `-2`), ExtraArgs Metadata (with the
    underscore key is_unsafe), ContentType and the RFC 5987 ContentDisposition round-trip on
    HEAD; download_fileobj (HEAD + ranged GETs with If-Match) returns the bytes. Then the
    malware callback (A.3): self copy_object REPLACE with status=ready → metadata updated,
    Content-Type kept, Content-Disposition dropped (not resent), data intact."""
    doc = uuid.uuid4()
    key = f"{doc}/attachments/{uuid.uuid4()}-unsafe.pdf"
    data = payload(10 * MIB, key)
    disposition = "attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf"
    metadata = {"owner": "x", "status": "processing", "is_unsafe": "true"}
    docs_s3.upload_fileobj(
        io.BytesIO(data), B, key,
        ExtraArgs={"Metadata": metadata, "ContentType": "application/pdf",
                   "ContentDisposition": disposition},
    )
    head = docs_s3.head_object(Bucket=B, Key=key)
    assert head["ContentLength"] == len(data), head
    assert head["ETag"] == multipart_etag(data, 8 * MIB), head
    assert head["ETag"].endswith('-2"'), head
    assert head["Metadata"] == metadata, head
    assert head["ContentType"] == "application/pdf", head
    assert head.get("ContentDisposition") == disposition, head

    out = io.BytesIO()
    docs_s3.download_fileobj(B, key, out)
    assert md5_hex(out.getvalue()) == md5_hex(data)

    copied = docs_s3.copy_object(
        Bucket=B, Key=key, CopySource={"Bucket": B, "Key": key},
        ContentType=head["ContentType"], Metadata={**head["Metadata"], "status": "ready"},
        MetadataDirective="REPLACE",
    )
    assert status_of(copied) == 200, copied
    after = docs_s3.head_object(Bucket=B, Key=key)
    assert after["Metadata"] == {"owner": "x", "status": "ready", "is_unsafe": "true"}, after
    assert after["ContentType"] == "application/pdf", after
    assert after["ContentLength"] == len(data), after
    assert "ContentDisposition" not in after, (
        "REPLACE without ContentDisposition drops it (AWS, MinIO, moto)", after)
    out = io.BytesIO()
    docs_s3.download_fileobj(B, key, out)
    assert md5_hex(out.getvalue()) == md5_hex(data)


def test_multipart_low_level(docs_s3):
    """A.8 multipart: create / upload parts out of order / list_parts / complete → composite
    ETag; abort → NoSuchUpload afterwards; a part smaller than 5 MiB that is not last →
    EntityTooSmall."""
    key = f"{uuid.uuid4()}/attachments/big.bin"
    part1, part2 = payload(5 * MIB, "p1"), payload(1234, "p2")
    upload = docs_s3.create_multipart_upload(Bucket=B, Key=key, ContentType="video/mp4",
                                             Metadata={"owner": "y"})["UploadId"]
    r2 = docs_s3.upload_part(Bucket=B, Key=key, UploadId=upload, PartNumber=2, Body=part2)
    r1 = docs_s3.upload_part(Bucket=B, Key=key, UploadId=upload, PartNumber=1, Body=part1)
    assert r1["ETag"] == f'"{md5_hex(part1)}"' and r2["ETag"] == f'"{md5_hex(part2)}"'
    parts = docs_s3.list_parts(Bucket=B, Key=key, UploadId=upload)
    assert [(p["PartNumber"], p["Size"]) for p in parts.get("Parts", [])] == [
        (1, len(part1)), (2, len(part2))], parts
    done = docs_s3.complete_multipart_upload(
        Bucket=B, Key=key, UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": r1["ETag"]},
                                   {"PartNumber": 2, "ETag": r2["ETag"]}]})
    assert done["ETag"] == multipart_etag(part1 + part2, 5 * MIB), done
    assert done.get("VersionId"), done
    head = docs_s3.head_object(Bucket=B, Key=key)
    assert head["ContentType"] == "video/mp4" and head["Metadata"] == {"owner": "y"}, head
    got = docs_s3.get_object(Bucket=B, Key=key, Range=f"bytes={5 * MIB - 2}-{5 * MIB + 1}")
    assert got["Body"].read() == (part1 + part2)[5 * MIB - 2:5 * MIB + 2]

    aborted = docs_s3.create_multipart_upload(Bucket=B, Key=key + ".2")["UploadId"]
    docs_s3.abort_multipart_upload(Bucket=B, Key=key + ".2", UploadId=aborted)
    with pytest.raises(ClientError) as info:
        docs_s3.upload_part(Bucket=B, Key=key + ".2", UploadId=aborted, PartNumber=1, Body=b"x")
    assert error_of(info.value) == ("NoSuchUpload", 404), describe_error(info.value)

    small = docs_s3.create_multipart_upload(Bucket=B, Key=key + ".3")["UploadId"]
    e1 = docs_s3.upload_part(Bucket=B, Key=key + ".3", UploadId=small, PartNumber=1,
                             Body=b"tiny")["ETag"]
    e2 = docs_s3.upload_part(Bucket=B, Key=key + ".3", UploadId=small, PartNumber=2,
                             Body=b"tiny too")["ETag"]
    with pytest.raises(ClientError) as info:
        docs_s3.complete_multipart_upload(
            Bucket=B, Key=key + ".3", UploadId=small,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1},
                                       {"PartNumber": 2, "ETag": e2}]})
    assert error_of(info.value) == ("EntityTooSmall", 400), describe_error(info.value)


# --------------------------------------------------------------------------------------------
# Listing (A.3 update_files_content_type_metadata, purge_silk_profiles; A.4 encoding-type=url)
# --------------------------------------------------------------------------------------------

SPECIAL_NAMES = [
    "a+b.txt",
    "with space.txt",
    "résumé.pdf",
    "x+y z/é deep.txt",
    "plus+and space+.png",
    "100% done.txt",
]


def test_list_objects_v2_keys_round_trip(docs_s3):
    """A.4 / B.9: boto3 always lists with encoding-type=url and decodes with plus-as-space:
    keys with `+`, spaces, `é` and `%` must come back exactly (paginator, one key per page,
    ContinuationToken)."""
    prefix = f"{uuid.uuid4()}/attachments/"
    keys = sorted(prefix + n for n in SPECIAL_NAMES)
    for k in keys:
        docs_s3.put_object(Bucket=B, Key=k, Body=k.encode())
    sent = []
    docs_s3.meta.events.register("before-send.s3.ListObjectsV2",
                                 lambda request, **_: sent.append(request.url))
    try:
        pages = list(docs_s3.get_paginator("list_objects_v2").paginate(
            Bucket=B, Prefix=prefix, PaginationConfig={"PageSize": 1}))
    finally:
        docs_s3.meta.events.unregister("before-send.s3.ListObjectsV2")
    assert all("encoding-type=url" in url for url in sent), sent
    got = [o["Key"] for p in pages for o in p.get("Contents", [])]
    assert got == keys, (got, keys)
    assert all(len(p.get("Contents", [])) <= 1 for p in pages), pages
    assert pages[0]["Prefix"] == prefix, pages[0]
    for k in keys:  # and each key still addresses its object
        assert docs_s3.get_object(Bucket=B, Key=k)["Body"].read() == k.encode()

    versions = docs_s3.list_object_versions(Bucket=B, Prefix=prefix)
    assert sorted(v["Key"] for v in versions.get("Versions", [])) == keys, versions


def test_list_objects_v2_manual_pagination(docs_s3):
    """A.3 update_files_content_type_metadata: list_objects_v2(Prefix, MaxKeys=1) then
    ContinuationToken=NextContinuationToken until IsTruncated is false; KeyCount, StartAfter."""
    prefix = f"{uuid.uuid4()}/attachments/"
    keys = [prefix + f"{i}.png" for i in range(3)]
    for k in keys:
        docs_s3.put_object(Bucket=B, Key=k, Body=b"png")
    seen, token, rounds = [], None, 0
    while True:
        kwargs = {"Bucket": B, "Prefix": prefix, "MaxKeys": 1}
        if token:
            kwargs["ContinuationToken"] = token
        page = docs_s3.list_objects_v2(**kwargs)
        rounds += 1
        assert page["KeyCount"] == len(page.get("Contents", [])) <= 1, page
        assert page["MaxKeys"] == 1, page
        seen += [o["Key"] for o in page.get("Contents", [])]
        for o in page.get("Contents", []):
            assert o["ETag"] == f'"{md5_hex(b"png")}"' and o["Size"] == 3, o
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
        assert rounds < 10, "pagination does not end"
    assert seen == keys, seen
    after = docs_s3.list_objects_v2(Bucket=B, Prefix=prefix, StartAfter=keys[0])
    assert [o["Key"] for o in after["Contents"]] == keys[1:], after


def test_list_objects_v1_delimiter(docs_s3):
    """A.3 purge_silk_profiles / listdir: ListObjects v1 with Delimiter='/' → Contents for the
    direct children, CommonPrefixes for the sub-"directories"; v2 likewise; Marker paging."""
    doc = f"{uuid.uuid4()}/"
    for name in ("file", "attachments/a.png", "attachments/b.png", "sub/x/y.txt"):
        docs_s3.put_object(Bucket=B, Key=doc + name, Body=b"x")
    v1 = docs_s3.list_objects(Bucket=B, Prefix=doc, Delimiter="/")
    assert [o["Key"] for o in v1.get("Contents", [])] == [doc + "file"], v1
    assert [p["Prefix"] for p in v1.get("CommonPrefixes", [])] == [
        doc + "attachments/", doc + "sub/"], v1
    assert v1.get("Delimiter") == "/", v1
    v2 = docs_s3.list_objects_v2(Bucket=B, Prefix=doc, Delimiter="/")
    assert [o["Key"] for o in v2.get("Contents", [])] == [doc + "file"], v2
    assert [p["Prefix"] for p in v2.get("CommonPrefixes", [])] == [
        doc + "attachments/", doc + "sub/"], v2

    first = docs_s3.list_objects(Bucket=B, Prefix=doc, MaxKeys=2)
    assert first["IsTruncated"] is True and len(first["Contents"]) == 2, first
    marker = first.get("NextMarker") or first["Contents"][-1]["Key"]
    second = docs_s3.list_objects(Bucket=B, Prefix=doc, Marker=marker)
    assert [o["Key"] for o in first["Contents"] + second["Contents"]] == sorted(
        doc + n for n in ("file", "attachments/a.png", "attachments/b.png", "sub/x/y.txt"))


# --------------------------------------------------------------------------------------------
# django-storages S3Storage as Docs and Drive configure it (A.1)
# --------------------------------------------------------------------------------------------


def make_storage(endpoint: str, app: str):
    from storages.backends.s3 import S3Storage

    creds, region, bucket = {
        "docs": (DOCS_CREDS, DOCS_REGION, DOCS_BUCKET),
        "drive": (DRIVE_CREDS, DRIVE_REGION, DRIVE_BUCKET),
    }[app]
    kwargs = dict(
        bucket_name=bucket,
        endpoint_url=endpoint,
        access_key=creds[0],
        secret_key=creds[1],
        signature_version="s3v4",
        region_name=region,
    )
    if app == "drive":  # drive/settings.py: 8 MiB threshold and chunks, threads, concurrency 10
        kwargs["transfer_config"] = TransferConfig(
            multipart_threshold=8 * MIB, multipart_chunksize=8 * MIB, use_threads=True,
            max_concurrency=10)
    return S3Storage(**kwargs)


@pytest.mark.parametrize("app", ["docs", "drive"])
def test_django_storages_round_trip(s3_endpoint, app):
    """A.1 / A.3 / A.2: S3Storage (no addressing style set, as the apps: path-style because of
    the custom endpoint) save / exists / open / size / modified time / listdir / delete."""
    from django.core.files.base import ContentFile

    storage = make_storage(s3_endpoint, app)
    doc = str(uuid.uuid4())
    name = storage.save(f"{doc}/file", ContentFile(b"document body"))
    assert name == f"{doc}/file"
    assert storage.exists(name)
    with storage.open(name, "rb") as fh:
        assert fh.read() == b"document body"
    assert storage.size(name) == len(b"document body")
    modified = storage.get_modified_time(name)
    assert abs((datetime.datetime.now(datetime.timezone.utc) - modified).total_seconds()) < 120
    head = storage.connection.meta.client.head_object(Bucket=storage.bucket_name, Key=name)
    assert head["ContentType"] == DEFAULT_CONTENT_TYPE, head  # no extension: default type
    assert head["ETag"].strip('"') == md5_hex(b"document body")

    attachment = storage.save(f"{doc}/attachments/note.txt", ContentFile(b"note"))
    assert storage.listdir(f"{doc}/") == (["attachments"], ["file"])
    assert storage.listdir(f"{doc}/attachments") == ([], ["note.txt"])
    assert storage.connection.meta.client.head_object(
        Bucket=storage.bucket_name, Key=attachment)["ContentType"] == "text/plain"

    # overwriting keeps the name (AWS_S3_FILE_OVERWRITE default) and adds a version
    assert storage.save(name, ContentFile(b"document body v2")) == name
    with storage.open(name, "rb") as fh:
        assert fh.read() == b"document body v2"
    versions = storage.connection.meta.client.list_object_versions(
        Bucket=storage.bucket_name, Prefix=name)
    assert len(versions.get("Versions", [])) == 2, versions

    storage.delete(name)
    storage.delete(attachment)
    assert not storage.exists(name)
    assert not storage.exists(attachment)
    assert storage.listdir(f"{doc}/") == ([], [])
    storage.delete(name)  # deleting again is tolerated (Drive purge)


@pytest.mark.parametrize("app", ["docs", "drive"])
def test_django_storages_large_file(s3_endpoint, app):
    """A.1 / A.4: a 20 MiB default_storage.save goes multipart (8 MiB chunks → `-3`) and
    open() reads it back (HEAD + ranged GETs with If-Match)."""
    from django.core.files.base import ContentFile

    storage = make_storage(s3_endpoint, app)
    name = f"item/{uuid.uuid4()}/video.mp4"
    data = payload(20 * MIB, name)
    assert storage.save(name, ContentFile(data)) == name
    head = storage.connection.meta.client.head_object(Bucket=storage.bucket_name, Key=name)
    assert head["ETag"] == multipart_etag(data, 8 * MIB), head
    assert head["ContentType"] == "video/mp4", head
    with storage.open(name, "rb") as fh:
        assert md5_hex(fh.read()) == md5_hex(data)
    storage.delete(name)
    assert not storage.exists(name)
