"""Views of the stand-in project.

* ``session_tokens``: a view decorated with lasuite's ``refresh_oidc_access_token`` (the way
  Docs decorates its search view), answering the tokens kept in the session.
* ``docs_to_drive``: what the integration document's example view in Docs does: with the user's
  stored access token, store a file in Drive through its external API and read it back.
* ``ExternalMeView``: a DRF view wired like Drive's ``/external_api/v1.0/users/me/``
  (lasuite ``ResourceServerAuthentication`` + a copy of Drive's
  ``ResourceServerClientPermission``).
"""

import requests
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from lasuite.oidc_login.decorators import refresh_oidc_access_token
from lasuite.oidc_resource_server.authentication import ResourceServerAuthentication
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView


def landing(request):
    """Targets of LOGIN_REDIRECT_URL / _FAILURE / LOGOUT_REDIRECT_URL."""
    return HttpResponse(request.path)


def _session_tokens(request):
    return JsonResponse(
        {
            "authenticated": request.user.is_authenticated,
            "access_token": request.session.get("oidc_access_token"),
            "id_token_expiration": request.session.get("oidc_id_token_expiration"),
        }
    )


def session_tokens(request):
    # RefreshOIDCAccessToken (a SessionRefresh) reads OIDC_OP_AUTHORIZATION_ENDPOINT and
    # OIDC_RP_CLIENT_ID in __init__, i.e. when the decorator is applied. The tests start the
    # emulator on a random port and set those settings per test, so the decorator is applied
    # per request instead of at import time; what it does on the request is unchanged.
    return refresh_oidc_access_token(_session_tokens)(request)


def _docs_to_drive(request):
    """POST: the user's text becomes a file in their Drive main workspace; answers the item as
    Drive ended it and the bytes read back from its media URL."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": "login first"}, status=401)
    api = settings.DRIVE_API
    auth = {"Authorization": f"Bearer {request.session['oidc_access_token']}"}

    def check(response, status):
        if response.status_code != status:
            raise RuntimeError(f"{response.request.method} {response.url}: {response.status_code} {response.text}")
        return response

    items = check(requests.get(f"{api}/items/", headers=auth, timeout=5), 200).json()["results"]
    workspace = next(item for item in items if item["main_workspace"])
    file = check(
        requests.post(
            f"{api}/items/{workspace['id']}/children/",
            json={"type": "file", "filename": request.POST.get("filename", "note.txt")},
            headers=auth,
            timeout=5,
        ),
        201,
    ).json()
    content = request.POST.get("content", "").encode()
    check(requests.put(file["policy"], data=content, headers={"x-amz-acl": "private"}, timeout=5), 200)
    item = check(requests.post(f"{api}/items/{file['id']}/upload-ended/", headers=auth, timeout=5), 200).json()
    media = check(requests.get(item["url"], headers=auth, timeout=5), 200)
    return JsonResponse({"item": item, "read_back": media.text})


def docs_to_drive(request):
    # Decorated per request, as session_tokens is: the token is refreshed first when expired.
    return refresh_oidc_access_token(_docs_to_drive)(request)


class ResourceServerClientPermission(permissions.BasePermission):
    """Same checks as Drive's core.api.permissions.ResourceServerClientPermission
    (minus the per-action allow-list, this view has a single action)."""

    def has_permission(self, request, view):
        if not isinstance(request.successful_authenticator, ResourceServerAuthentication):
            return False
        if not request.user or not request.user.is_authenticated:
            return False
        return (
            getattr(request, "resource_server_token_audience", None)
            in settings.OIDC_RS_ALLOWED_AUDIENCES
        )


class ExternalMeView(APIView):
    authentication_classes = [ResourceServerAuthentication]
    permission_classes = [ResourceServerClientPermission]

    def get(self, request):
        return Response(
            {
                "sub": request.user.sub,
                "email": request.user.email,
                "audience": request.resource_server_token_audience,
                "introspection": request.auth,
            }
        )
