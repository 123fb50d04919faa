"""Helpers of the S3 real-client tests (spec ``s3.md`` part A).

boto3 clients are built the way Drive and Docs build theirs (django-storages ``S3Storage``:
path-style, SigV4, the app's key pair and region), with bounded timeouts and no retries, so a
wrong status from the emulator shows up as it is instead of being retried away.
"""

from __future__ import annotations

import hashlib
import os
import uuid
import xml.etree.ElementTree as ET

import boto3
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from emu import HTTP_TIMEOUT

# No host AWS configuration may leak into the clients (profiles, regions, IMDS look-ups).
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

# Buckets the emulator's default fixture pre-creates, versioned (spec A.1).
DRIVE_BUCKET = "drive-media-storage"
IMPRESS_BUCKET = "impress-media-storage"
DOCS_BUCKET = "docs-media-storage"

# Key pairs of the default fixture (MinIO root users of the apps' dev setups).
DRIVE_CREDS = ("drive", "password")
IMPRESS_CREDS = ("impress", "password")
DOCS_CREDS = ("docs", "password")

DRIVE_REGION = "eu-east-1"  # Drive's dev env (AWS_S3_REGION_NAME)
DOCS_REGION = "us-east-1"  # Docs: unset, botocore's default

MIB = 1024 * 1024
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
DEFAULT_CONTENT_TYPE = "application/octet-stream"


def client_config(**extra) -> Config:
    return Config(
        signature_version="s3v4",
        s3={"addressing_style": "path"},
        connect_timeout=5,
        read_timeout=30,
        retries={"max_attempts": 1, "mode": "standard"},
        **extra,
    )


def make_client(endpoint: str, creds=DRIVE_CREDS, region: str = DRIVE_REGION, **config):
    access_key, secret_key = creds
    session = boto3.session.Session()
    return session.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=region,
        config=client_config(**config),
    )


def unique(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4()}"


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def multipart_etag(data: bytes, part_size: int) -> str:
    """S3's composite ETag: md5 of the concatenated binary part md5s, dash, part count."""
    digests = [hashlib.md5(data[i:i + part_size]).digest() for i in range(0, len(data), part_size)]
    return f'"{hashlib.md5(b"".join(digests)).hexdigest()}-{len(digests)}"'


def payload(size: int, seed: str = "") -> bytes:
    """Deterministic, non-repeating-looking bytes of the given size."""
    block = hashlib.sha256(f"lasuite-emu{seed}".encode()).digest()
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(block + counter.to_bytes(8, "big")).digest()
        counter += 1
    return bytes(out[:size])


def status_of(resp: dict) -> int:
    return resp["ResponseMetadata"]["HTTPStatusCode"]


def error_of(exc: ClientError) -> tuple[str, int]:
    """(error code, HTTP status) of a botocore ClientError."""
    return (
        exc.response.get("Error", {}).get("Code", ""),
        exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0),
    )


def describe_error(exc: ClientError) -> str:
    meta = exc.response.get("ResponseMetadata", {})
    return (
        f"{exc.operation_name} -> {meta.get('HTTPStatusCode')} error={exc.response.get('Error')} "
        f"headers={meta.get('HTTPHeaders')}"
    )


def s3_xml_error(resp: requests.Response) -> tuple[str, str]:
    """(Code, Message) of an S3 XML error body; AssertionError if the body is not one."""
    try:
        root = ET.fromstring(resp.content)
    except ET.ParseError as exc:  # pragma: no cover - reported by the assertion
        raise AssertionError(f"not an S3 XML error ({exc}): {describe(resp)}") from None
    tag = root.tag.split("}")[-1]
    assert tag == "Error", f"root element {root.tag!r} is not Error: {describe(resp)}"
    code = root.findtext("Code") or root.findtext("{*}Code") or ""
    message = root.findtext("Message") or root.findtext("{*}Message") or ""
    return code, message


def describe(resp: requests.Response) -> str:
    body = resp.content[:600]
    req = resp.request
    return (
        f"{req.method} {req.url} request-headers={dict(req.headers)} -> {resp.status_code} "
        f"headers={dict(resp.headers)} body={body!r}"
    )


def http(method: str, url: str, **kwargs) -> requests.Response:
    """One plain HTTP request (a browser or a proxy), bounded, no redirects followed."""
    kwargs.setdefault("timeout", HTTP_TIMEOUT)
    kwargs.setdefault("allow_redirects", False)
    return requests.request(method, url, **kwargs)


def version_ids(listing: dict) -> list[str]:
    return [v["VersionId"] for v in listing.get("Versions", [])]
