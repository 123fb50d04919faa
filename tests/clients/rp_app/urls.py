"""URLs laid out like Docs / Drive: lasuite.oidc_login.urls under /api/v1.0/."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("api/v1.0/", include("lasuite.oidc_login.urls")),
    path("api/v1.0/session-tokens/", views.session_tokens, name="session_tokens"),
    path("external_api/v1.0/users/me/", views.ExternalMeView.as_view(), name="external_me"),
    path("ok/", views.landing),
    path("failed/", views.landing),
    path("bye/", views.landing),
]
