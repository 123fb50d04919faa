"""Views of the stand-in project.

* ``session_tokens``: a view decorated with lasuite's ``refresh_oidc_access_token`` (the way
  Docs decorates its search view), answering the tokens kept in the session.
* ``ExternalMeView``: a DRF view wired like Drive's ``/external_api/v1.0/users/me/``
  (lasuite ``ResourceServerAuthentication`` + a copy of Drive's
  ``ResourceServerClientPermission``).
"""

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
