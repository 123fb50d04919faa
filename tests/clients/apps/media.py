"""Media links of the stand-in apps: the upload that creates an object, the page that shows it,
and media-auth, the view nginx's ``auth_request`` asks before it lets a ``/media/`` request
through to the object store (lasuite-emu plays that nginx for apps declared with
``lasuite-emu env docs|drive --fixture``).

media-auth answers as upstream's does (read from Docs v5.4.1 ``DocumentViewSet.media_auth``
and Drive ef1f1a78 ``ItemViewSet.media_auth`` / ``_authorize_subrequest``; written here anew):

* the original request comes in ``X-Original-URL``: Docs matches its *path* (not unquoted)
  against ``MEDIA_URL<document id>/attachments/<uuid>[-unsafe].<ext>``; Drive matches the
  unquoted path, then the unquoted query, against ``MEDIA_URL[preview/]item/<item id>/<name>``;
* no header, no match, no such object, a user who may not read it (an anonymous one
  included), an upload not over (Docs: ``status`` metadata not ``ready``; Drive: upload
  pending), a preview of a type Drive does not preview: 403 with no detail;
* otherwise 200 ``"authorized"`` with the headers of a SigV4 signature of a GET of the object,
  made with the storage's own boto3 client settings (``AWS_S3_*`` of the env block), which
  nginx passes on to the store.

Who may read what: the stand-ins have no documents or items, so ``rp_app.MediaUpload`` records
who uploaded which key, and only that user may read it.
"""

from __future__ import annotations

import html
import logging
import re
import uuid
from pathlib import PurePosixPath
from urllib.parse import quote, unquote, urlparse

import botocore.auth
import botocore.awsrequest
from botocore.exceptions import ClientError
from django.conf import settings
from django.core.files.storage import default_storage
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET, require_POST
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.response import Response

from rp_app.models import MediaUpload

logger = logging.getLogger(__name__)

UUID_RE = r"[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}"
# Docs: core/enums.py MEDIA_STORAGE_URL_PATTERN (ATTACHMENTS_FOLDER, FILE_EXT_REGEX).
DOCS_MEDIA_PATTERN = re.compile(
    rf"{settings.MEDIA_URL}(?P<pk>{UUID_RE})/"
    rf"(?P<attachment>attachments/{UUID_RE}(?:-unsafe)?\.[a-zA-Z0-9]{{1,10}})$"
)
# Drive: core/api/viewsets.py MEDIA_STORAGE_URL_PATTERN (ITEM_FOLDER, its FILE_EXT_REGEX).
DRIVE_MEDIA_PATTERN = re.compile(
    rf"{settings.MEDIA_URL}(?P<preview>preview/)?"
    rf"(?P<key>item/(?P<pk>{UUID_RE})/.*[^.\\/:*?&\"<>|\r\n]+)$"
)
# Drive's ITEM_PREVIEWABLE_MIME_TYPES default: a trailing "/" is a whole family.
DRIVE_PREVIEWABLE = ["image/", "video/", "audio/", "application/pdf"]


def s3_authorization_headers(key: str) -> dict[str, str]:
    """The headers of a SigV4-signed GET of `key` in the app's bucket.

    As upstream's ``generate_s3_authorization_headers``: the object's plain URL comes from the
    storage's unsigned client (so it names the endpoint, bucket and key as the store will see
    them), and the signature uses the credentials and region of its signing client, i.e. the
    ``AWS_S3_ENDPOINT_URL``, ``AWS_S3_ACCESS_KEY_ID``/``SECRET``, ``AWS_S3_REGION_NAME`` of
    the env block."""
    url = default_storage.unsigned_connection.meta.client.generate_presigned_url(
        "get_object", ExpiresIn=0, Params={"Bucket": default_storage.bucket_name, "Key": key}
    )
    client = default_storage.connection.meta.client
    credentials = client._request_signer._credentials.get_frozen_credentials()  # noqa: SLF001
    request = botocore.awsrequest.AWSRequest(method="GET", url=url)
    botocore.auth.S3SigV4Auth(credentials, "s3", client.meta.region_name).add_auth(request)
    return dict(request.headers.items())


def _original_url(request, meta_name: str):
    original = request.META.get(meta_name)
    if not original:
        logger.debug("media-auth: no %s in the subrequest", meta_name)
        raise exceptions.PermissionDenied()
    return urlparse(original)


def _owned(user, **lookup) -> MediaUpload:
    upload = MediaUpload.objects.filter(**lookup).first()
    if upload is None or not user.is_authenticated or upload.owner_id != user.pk:
        logger.debug("media-auth: %s may not read %s", user, lookup)
        raise exceptions.PermissionDenied()
    return upload


@api_view(["GET"])
@authentication_classes([SessionAuthentication])
@permission_classes([])
def docs_media_auth(request):
    """``GET /api/v1.0/documents/media-auth/``, Docs' answer to nginx's subrequest."""
    parsed = _original_url(request, settings.MEDIA_AUTH_ORIGINAL_URL_HEADER)
    match = DOCS_MEDIA_PATTERN.search(parsed.path)
    if match is None:
        raise exceptions.PermissionDenied()
    key = f"{match['pk']}/{match['attachment']}"
    _owned(request.user, key=key)
    # Docs then checks the object is there and ready (its malware check sets `status`).
    try:
        head = default_storage.connection.meta.client.head_object(
            Bucket=default_storage.bucket_name, Key=key
        )
    except ClientError as error:
        raise exceptions.PermissionDenied() from error
    if head.get("Metadata", {}).get("status", "ready") != "ready":
        raise exceptions.PermissionDenied()
    return Response("authorized", headers=s3_authorization_headers(key), status=200)


@api_view(["GET"])
@authentication_classes([SessionAuthentication])
@permission_classes([])
def drive_media_auth(request):
    """``GET /api/v1.0/items/media-auth/``, Drive's answer to nginx's subrequest."""
    parsed = _original_url(request, "HTTP_X_ORIGINAL_URL")
    match = DRIVE_MEDIA_PATTERN.search(unquote(parsed.path)) or DRIVE_MEDIA_PATTERN.search(
        unquote(parsed.query)
    )
    if match is None:
        raise exceptions.PermissionDenied()
    upload = _owned(request.user, resource_id=match["pk"])
    if not upload.ready:
        raise exceptions.PermissionDenied()
    if match["preview"] and not any(
        upload.mimetype.startswith(kind) if kind.endswith("/") else upload.mimetype == kind
        for kind in DRIVE_PREVIEWABLE
    ):
        raise exceptions.PermissionDenied()
    # Drive signs the key of the URL (any object under the item's prefix), not a stored one.
    return Response("authorized", headers=s3_authorization_headers(match["key"]), status=200)


# --- the stand-ins' own upload and page (not upstream's: just enough to make a media link) ---


def media_url(key: str, preview: bool = False) -> str:
    """The link the app's front end would show: MEDIA_BASE_URL + MEDIA_URL + the key."""
    prefix = "preview/" if preview else ""
    return f"{settings.MEDIA_BASE_URL}{settings.MEDIA_URL}{prefix}{quote(key)}"


def upload_view(kind: str):
    """``POST .../media-uploads/?filename=NAME`` with the bytes as the body: stores them under
    the app's key layout (Docs ``<document>/attachments/<uuid>.<ext>``, Drive
    ``item/<item>/<name>``) with the request's Content-Type, and records the uploader.
    ``?ready=0`` leaves the upload unfinished (Docs: ``status=processing``; Drive: pending)."""

    @require_POST
    def upload(request):
        if not request.user.is_authenticated:
            return JsonResponse({"error": "login first"}, status=401)
        filename = request.GET.get("filename") or "upload.bin"
        mimetype = request.content_type or "application/octet-stream"
        ready = request.GET.get("ready", "1") != "0"
        resource_id = uuid.uuid4()
        if kind == "docs":
            extension = PurePosixPath(filename).suffix or ".bin"
            key = f"{resource_id}/attachments/{uuid.uuid4()}{extension}"
            metadata = {"status": "ready" if ready else "processing"}
        else:
            key = f"item/{resource_id}/{filename}"
            metadata = {}
        default_storage.connection.meta.client.put_object(
            Bucket=default_storage.bucket_name, Key=key, Body=request.body,
            ContentType=mimetype, Metadata=metadata,
        )
        MediaUpload.objects.create(
            key=key, resource_id=resource_id, owner=request.user, mimetype=mimetype, ready=ready
        )
        answer = {"key": key, "media_url": media_url(key)}
        if kind == "drive":
            answer["preview_url"] = media_url(key, preview=True)
        return JsonResponse(answer, status=201)

    return upload


def page_view(kind: str):
    """``GET /media-page/?key=KEY``: a page showing the object as the app's front end would,
    an ``<img>`` of its media link (Drive: the preview link, as its file preview does)."""

    @require_GET
    def page(request):
        key = request.GET.get("key", "")
        src = media_url(key, preview=kind == "drive")
        who = request.user.email if request.user.is_authenticated else ""
        return HttpResponse(
            "<!doctype html><html lang=en><meta charset=utf-8>"
            f"<title>{kind.capitalize()}-like app: media</title>"
            f"<h1>{kind.capitalize()}-like app</h1><p id=who>{html.escape(who)}</p>"
            f'<p><img id=media alt="{html.escape(key)}" src="{html.escape(src)}"></p>'
            f'<p><a id=link href="{html.escape(src)}">{html.escape(src)}</a></p>'
        )

    return page
