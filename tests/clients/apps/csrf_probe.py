"""A view behind Django's CSRF check, as Docs' and Drive's session-authenticated API views are
(DRF's SessionAuthentication enforces it): a GET hands out the CSRF cookie, a POST passes only
with the token and an Origin Django trusts (the request's own host, or CSRF_TRUSTED_ORIGINS)."""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_protect, ensure_csrf_cookie


@ensure_csrf_cookie
@csrf_protect
def csrf_probe(request):
    return JsonResponse({"method": request.method})
