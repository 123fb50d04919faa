"""URLs and views of the Drive-like app: a relying party of its own (client ``drive``, for the
browser's silent SSO login) and a resource server for tokens Docs obtained, wired like Drive's
external API (lasuite ``ResourceServerAuthentication`` + Drive's audience permission)."""

import hashlib

from django.core.files.storage import default_storage
from django.http import HttpResponse, JsonResponse
from django.urls import include, path
from django.views.decorators.http import require_GET

from rp_app.views import ExternalMeView

from . import media
from .csrf_probe import csrf_probe


def healthz(request):
    return HttpResponse("ok")


def home(request):
    user = request.user
    state = f"Signed in as {user.email}" if user.is_authenticated else "Not signed in"
    return HttpResponse(
        "<!doctype html><html lang=en><meta charset=utf-8><title>Drive-like app</title>"
        f"<h1>Drive-like app</h1><p id=state>{state}</p>"
        '<p><a id=login href="/api/v1.0/authenticate/">Log in</a></p>'
    )


@require_GET
def stored_object(request, key):
    """The object at `key` read through django-storages (the S3 settings of the env block)."""
    if not default_storage.exists(key):
        return JsonResponse({"key": key, "exists": False}, status=404)
    with default_storage.open(key) as stored:
        body = stored.read()
        content_type = stored.obj.content_type
    return JsonResponse(
        {
            "key": key,
            "exists": True,
            "size": len(body),
            "sha256": hashlib.sha256(body).hexdigest(),
            "content_type": content_type,
        }
    )


urlpatterns = [
    path("", home),
    path("healthz/", healthz),
    path("api/v1.0/csrf-probe/", csrf_probe),
    path("api/v1.0/", include("lasuite.oidc_login.urls")),
    path("external_api/v1.0/users/me/", ExternalMeView.as_view()),
    path("storage/<path:key>", stored_object),
    # media links (MEDIA_BASE_URL/media/[preview/]item/<item>/<name>): nginx asks media-auth
    path("api/v1.0/items/media-auth/", media.drive_media_auth),
    path("api/v1.0/media-uploads/", media.upload_view("drive")),
    path("media-page/", media.page_view("drive")),
]
