"""URLs and views of the Docs-like relying party.

Login is lasuite's (mozilla-django-oidc underneath), with the tokens kept in the session. The
Drive views act for the logged-in user with the stored access token; each is decorated with
lasuite's ``refresh_oidc_access_token``, as Docs decorates views that call resource servers,
so an expired access token is refreshed before the call."""

import json
import time
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.urls import include, path
from django.views.decorators.http import require_GET, require_POST
from lasuite.oidc_login.decorators import refresh_oidc_access_token

from .csrf_probe import csrf_probe
from . import media
from .drive_client import DriveCallFailed, DriveClient, put_to_policy

HOME_PAGE = (Path(__file__).parent / "docs_home.html").read_text()


def healthz(request):
    return HttpResponse("ok")


def home(request):
    user = request.user
    who = user.email if user.is_authenticated else ""
    return HttpResponse(HOME_PAGE.replace("{{who}}", who))


def logged_in(view):
    """Answers 401 in JSON for anonymous callers, then refreshes the access token if needed."""

    def guarded(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return JsonResponse({"error": "login first"}, status=401)
        return view(request, *args, **kwargs)

    return refresh_oidc_access_token(guarded)


def drive(request) -> DriveClient:
    return DriveClient(settings.DRIVE_API_URL, request.session["oidc_access_token"])


def failed(error: DriveCallFailed) -> JsonResponse:
    # 502: the app itself is fine, the service it called refused; the body says who and why.
    return JsonResponse(error.as_json(), status=502)


@require_GET
@logged_in
def session_tokens(request):
    return JsonResponse(
        {
            "email": request.user.email,
            "access_token": request.session.get("oidc_access_token"),
            "expires": request.session.get("oidc_id_token_expiration"),
        }
    )


@require_POST
def expire_session_tokens(request):
    """Test hook: marks the stored access token as expired, so the next decorated view
    refreshes it (the session keeps it for OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS otherwise)."""
    request.session["oidc_id_token_expiration"] = time.time() - 1
    return JsonResponse({"expires": request.session["oidc_id_token_expiration"]})


@require_POST
@logged_in
def create_file(request):
    """Step 1 of the browser upload: a pending file in Drive, with its presigned `policy`."""
    filename = json.loads(request.body or b"{}").get("filename") or "upload.bin"
    try:
        return JsonResponse(drive(request).create_file(filename), status=201)
    except DriveCallFailed as error:
        return failed(error)


@require_POST
@logged_in
def upload_ended(request, item_id):
    """Step 3 of the browser upload, once the browser has PUT the bytes to the policy URL."""
    try:
        return JsonResponse(drive(request).upload_ended(str(item_id)))
    except DriveCallFailed as error:
        return failed(error)


@require_POST
@logged_in
def docs_to_drive(request):
    """The integration document's example view, server side: the posted text becomes a file in
    the user's Drive, and is read back from its media URL."""
    client = drive(request)
    try:
        item = client.create_file(request.POST.get("filename", "note.txt"))
        put_to_policy(
            item["policy"],
            request.POST.get("content", "").encode(),
            request.POST.get("content_type"),
        )
        item = client.upload_ended(item["id"])
        read_back = client.read(item)
    except DriveCallFailed as error:
        return failed(error)
    return JsonResponse({"item": item, "read_back": read_back.decode("utf-8", "replace")})


urlpatterns = [
    path("", home),
    path("healthz/", healthz),
    path("api/v1.0/csrf-probe/", csrf_probe),
    path("api/v1.0/", include("lasuite.oidc_login.urls")),
    path("api/v1.0/session-tokens/", session_tokens),
    path("api/v1.0/session-tokens/expire/", expire_session_tokens),
    path("api/v1.0/drive/files/", create_file),
    path("api/v1.0/drive/files/<uuid:item_id>/upload-ended/", upload_ended),
    path("api/v1.0/docs-to-drive/", docs_to_drive),
    # media links (MEDIA_BASE_URL/media/<document>/attachments/<file>): nginx asks media-auth
    path("api/v1.0/documents/media-auth/", media.docs_media_auth),
    path("api/v1.0/media-uploads/", media.upload_view("docs")),
    path("media-page/", media.page_view("docs")),
]
