"""Headers outside the signature, signed by botocore itself (issue 10, hole 1).

Each request is signed by botocore's own signers (SigV4 header and query, SigV2 header and
query), then a header is added after signing, as a hostile client holding a valid signature
would. AWS refuses every such request; so must the emulator.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET

import pytest
import requests
from botocore.auth import HmacV1Auth, HmacV1QueryAuth, S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from emu import HTTP_TIMEOUT
from s3util import DRIVE_BUCKET, DRIVE_CREDS, DRIVE_REGION, unique

CREDS = Credentials(*DRIVE_CREDS)


def _signed(method: str, url: str, signer: str, body: bytes = b"") -> AWSRequest:
    request = AWSRequest(method=method, url=url, data=body)
    if signer == "sigv4":
        request.headers["X-Amz-Content-SHA256"] = hashlib.sha256(body).hexdigest()
        S3SigV4Auth(CREDS, "s3", DRIVE_REGION).add_auth(request)
    elif signer == "sigv4-query":
        S3SigV4QueryAuth(CREDS, "s3", DRIVE_REGION, expires=300).add_auth(request)
    elif signer == "sigv2":
        HmacV1Auth(CREDS).add_auth(request)
    elif signer == "sigv2-query":
        HmacV1QueryAuth(CREDS, expires=300).add_auth(request)
    return request


def _send(request: AWSRequest, extra: dict[str, str]) -> requests.Response:
    headers = dict(request.headers.items())
    headers.update(extra)
    return requests.request(
        request.method, request.url, headers=headers, data=request.body, timeout=HTTP_TIMEOUT
    )


def _code(response: requests.Response) -> str | None:
    try:
        return ET.fromstring(response.content).findtext("Code")
    except ET.ParseError:
        return None


@pytest.fixture(scope="module")
def victim(drive_s3):
    key = unique("hostile/victim-")
    drive_s3.put_object(Bucket=DRIVE_BUCKET, Key=key, Body=b"another user's bytes")
    return key


@pytest.mark.parametrize("signer", ["sigv4", "sigv4-query"])
@pytest.mark.parametrize(
    "header",
    ["x-amz-copy-source", "x-amz-meta-owner", "x-amz-acl", "x-amz-metadata-directive"],
)
def test_sigv4_refuses_each_unsigned_amz_header(s3_endpoint, drive_s3, victim, signer, header):
    """AWS: 403 AccessDenied, <HeadersNotSigned> naming the header."""
    key = unique("hostile/target-")
    value = {
        "x-amz-copy-source": f"/{DRIVE_BUCKET}/{victim}",
        "x-amz-meta-owner": "eve",
        "x-amz-acl": "public-read",
        "x-amz-metadata-directive": "REPLACE",
    }[header]
    request = _signed("PUT", f"{s3_endpoint}/{DRIVE_BUCKET}/{key}", signer)
    response = _send(request, {header: value})
    assert response.status_code == 403, response.text
    root = ET.fromstring(response.content)
    assert root.findtext("Code") == "AccessDenied"
    assert root.findtext("Message") == (
        "There were headers present in the request which were not signed"
    )
    assert root.findtext("HeadersNotSigned") == header
    with pytest.raises(drive_s3.exceptions.ClientError):
        drive_s3.head_object(Bucket=DRIVE_BUCKET, Key=key)


@pytest.mark.parametrize("signer", ["sigv2", "sigv2-query"])
def test_sigv2_signs_every_amz_header(s3_endpoint, drive_s3, victim, signer):
    """SigV2's string to sign holds every x-amz-* header: one added after signing breaks the
    signature (AWS: 403 SignatureDoesNotMatch)."""
    key = unique("hostile/target-")
    request = _signed("PUT", f"{s3_endpoint}/{DRIVE_BUCKET}/{key}", signer)
    response = _send(request, {"x-amz-copy-source": f"/{DRIVE_BUCKET}/{victim}"})
    assert response.status_code == 403, response.text
    assert _code(response) == "SignatureDoesNotMatch"
    with pytest.raises(drive_s3.exceptions.ClientError):
        drive_s3.head_object(Bucket=DRIVE_BUCKET, Key=key)


def test_a_signed_copy_source_is_obeyed(drive_s3, victim):
    """The same copy, signed by boto3 as an SDK sends it, works."""
    key = unique("hostile/copy-")
    drive_s3.copy_object(
        Bucket=DRIVE_BUCKET, Key=key, CopySource={"Bucket": DRIVE_BUCKET, "Key": victim}
    )
    body = drive_s3.get_object(Bucket=DRIVE_BUCKET, Key=key)["Body"].read()
    assert body == b"another user's bytes"
