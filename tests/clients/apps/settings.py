"""Settings of the two stand-in apps, declared the way upstream Docs and Drive declare theirs
(django-configurations values, read from the environment under the same names and prefixes).

Nothing about OIDC or S3 is written here: every such value comes from the environment, i.e.
from the block ``lasuite-emu env docs|drive`` printed. Only what is not about the emulator
(database file, session cookie name, installed apps) is fixed.
"""

import os

from configurations import Configuration, values

DATA_DIR = os.environ.get("STANDIN_DATA_DIR", ".")


class Base(Configuration):
    DEBUG = False
    SECRET_KEY = "lasuite-emu-stand-in-app-not-a-secret"
    ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    USE_TZ = True
    INSTALLED_APPS = [
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "rest_framework",
        "mozilla_django_oidc",
        "storages",
        "rp_app",  # only for its sub-keyed user model
    ]
    MIDDLEWARE = [
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ]
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.path.join(DATA_DIR, "db.sqlite3"),
        }
    }
    AUTH_USER_MODEL = "rp_app.User"
    # As upstream's Production declares it: read from DJANGO_CSRF_TRUSTED_ORIGINS.
    CSRF_TRUSTED_ORIGINS = values.ListValue([])
    AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.ModelBackend",
        "lasuite.oidc_login.backends.OIDCAuthenticationBackend",
    ]
    TEMPLATES = []
    REST_FRAMEWORK = {
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
        "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    }

    # --- S3 through django-storages ------------------------------------------------------------
    STORAGES = {"default": {"BACKEND": "storages.backends.s3.S3Storage"}}
    MEDIA_URL = "/media/"  # as upstream: the path of media links, which media-auth parses
    MEDIA_BASE_URL = values.Value(None, environ_name="MEDIA_BASE_URL", environ_prefix=None)
    AWS_S3_ENDPOINT_URL = values.Value(environ_name="AWS_S3_ENDPOINT_URL", environ_prefix=None)
    AWS_S3_ACCESS_KEY_ID = values.Value(environ_name="AWS_S3_ACCESS_KEY_ID", environ_prefix=None)
    AWS_S3_SECRET_ACCESS_KEY = values.Value(
        environ_name="AWS_S3_SECRET_ACCESS_KEY", environ_prefix=None
    )
    AWS_S3_REGION_NAME = values.Value(environ_name="AWS_S3_REGION_NAME", environ_prefix=None)
    AWS_STORAGE_BUCKET_NAME = values.Value(
        environ_name="AWS_STORAGE_BUCKET_NAME", environ_prefix=None
    )
    AWS_S3_SIGNATURE_VERSION = values.Value(
        "s3v4", environ_name="AWS_S3_SIGNATURE_VERSION", environ_prefix=None
    )

    # --- OIDC login ----------------------------------------------------------------------------
    OIDC_AUTHENTICATE_CLASS = "lasuite.oidc_login.views.OIDCAuthenticationRequestView"
    OIDC_CALLBACK_CLASS = "lasuite.oidc_login.views.OIDCAuthenticationCallbackView"
    # upstream declares these two without environ_prefix=None: they are read as DJANGO_...
    OIDC_CREATE_USER = values.BooleanValue(default=True, environ_name="OIDC_CREATE_USER")
    OIDC_OP_USER_ENDPOINT_FORMAT = values.Value(
        "AUTO", environ_name="OIDC_OP_USER_ENDPOINT_FORMAT"
    )
    OIDC_RP_SIGN_ALGO = values.Value("RS256", environ_name="OIDC_RP_SIGN_ALGO", environ_prefix=None)
    OIDC_RP_CLIENT_ID = values.Value(environ_name="OIDC_RP_CLIENT_ID", environ_prefix=None)
    OIDC_RP_CLIENT_SECRET = values.Value(environ_name="OIDC_RP_CLIENT_SECRET", environ_prefix=None)
    OIDC_OP_JWKS_ENDPOINT = values.Value(environ_name="OIDC_OP_JWKS_ENDPOINT", environ_prefix=None)
    OIDC_OP_AUTHORIZATION_ENDPOINT = values.Value(
        environ_name="OIDC_OP_AUTHORIZATION_ENDPOINT", environ_prefix=None
    )
    OIDC_OP_TOKEN_ENDPOINT = values.Value(
        None, environ_name="OIDC_OP_TOKEN_ENDPOINT", environ_prefix=None
    )
    OIDC_OP_USER_ENDPOINT = values.Value(
        None, environ_name="OIDC_OP_USER_ENDPOINT", environ_prefix=None
    )
    OIDC_OP_LOGOUT_ENDPOINT = values.Value(
        None, environ_name="OIDC_OP_LOGOUT_ENDPOINT", environ_prefix=None
    )
    OIDC_AUTH_REQUEST_EXTRA_PARAMS = values.DictValue(
        {}, environ_name="OIDC_AUTH_REQUEST_EXTRA_PARAMS", environ_prefix=None
    )
    OIDC_RP_SCOPES = values.Value("openid email", environ_name="OIDC_RP_SCOPES", environ_prefix=None)
    LOGIN_REDIRECT_URL = values.Value(None, environ_name="LOGIN_REDIRECT_URL", environ_prefix=None)
    LOGIN_REDIRECT_URL_FAILURE = values.Value(
        None, environ_name="LOGIN_REDIRECT_URL_FAILURE", environ_prefix=None
    )
    LOGOUT_REDIRECT_URL = values.Value(
        None, environ_name="LOGOUT_REDIRECT_URL", environ_prefix=None
    )
    ALLOW_LOGOUT_GET_METHOD = True
    OIDC_USE_NONCE = values.BooleanValue(True, environ_name="OIDC_USE_NONCE", environ_prefix=None)
    OIDC_REDIRECT_REQUIRE_HTTPS = values.BooleanValue(
        False, environ_name="OIDC_REDIRECT_REQUIRE_HTTPS", environ_prefix=None
    )
    OIDC_REDIRECT_ALLOWED_HOSTS = values.ListValue(
        [], environ_name="OIDC_REDIRECT_ALLOWED_HOSTS", environ_prefix=None
    )
    OIDC_STORE_ID_TOKEN = values.BooleanValue(
        True, environ_name="OIDC_STORE_ID_TOKEN", environ_prefix=None
    )
    OIDC_FALLBACK_TO_EMAIL_FOR_IDENTIFICATION = values.BooleanValue(
        True, environ_name="OIDC_FALLBACK_TO_EMAIL_FOR_IDENTIFICATION", environ_prefix=None
    )
    OIDC_ALLOW_DUPLICATE_EMAILS = values.BooleanValue(
        False, environ_name="OIDC_ALLOW_DUPLICATE_EMAILS", environ_prefix=None
    )
    OIDC_USE_PKCE = values.BooleanValue(False, environ_name="OIDC_USE_PKCE", environ_prefix=None)
    OIDC_STORE_ACCESS_TOKEN = values.BooleanValue(
        False, environ_name="OIDC_STORE_ACCESS_TOKEN", environ_prefix=None
    )
    OIDC_STORE_REFRESH_TOKEN = values.BooleanValue(
        False, environ_name="OIDC_STORE_REFRESH_TOKEN", environ_prefix=None
    )
    OIDC_STORE_REFRESH_TOKEN_KEY = values.Value(
        None, environ_name="OIDC_STORE_REFRESH_TOKEN_KEY", environ_prefix=None
    )
    OIDC_USERINFO_FULLNAME_FIELDS = values.ListValue(
        ["first_name", "last_name"],
        environ_name="OIDC_USERINFO_FULLNAME_FIELDS",
        environ_prefix=None,
    )
    OIDC_USERINFO_SHORTNAME_FIELD = values.Value(
        "first_name", environ_name="OIDC_USERINFO_SHORTNAME_FIELD", environ_prefix=None
    )
    OIDC_VERIFY_SSL = values.BooleanValue(True, environ_name="OIDC_VERIFY_SSL", environ_prefix=None)
    OIDC_TIMEOUT = values.PositiveIntegerValue(3, environ_name="OIDC_TIMEOUT", environ_prefix=None)
    OIDC_PROXY = values.Value(None, environ_name="OIDC_PROXY", environ_prefix=None)

    # --- resource server -----------------------------------------------------------------------
    OIDC_RESOURCE_SERVER_ENABLED = values.BooleanValue(
        False, environ_name="OIDC_RESOURCE_SERVER_ENABLED", environ_prefix=None
    )
    OIDC_RS_BACKEND_CLASS = "lasuite.oidc_resource_server.backend.ResourceServerBackend"
    OIDC_OP_URL = values.Value(None, environ_name="OIDC_OP_URL", environ_prefix=None)
    OIDC_OP_INTROSPECTION_ENDPOINT = values.Value(
        None, environ_name="OIDC_OP_INTROSPECTION_ENDPOINT", environ_prefix=None
    )
    OIDC_RS_CLIENT_ID = values.Value(None, environ_name="OIDC_RS_CLIENT_ID", environ_prefix=None)
    OIDC_RS_CLIENT_SECRET = values.Value(
        None, environ_name="OIDC_RS_CLIENT_SECRET", environ_prefix=None
    )
    OIDC_RS_AUDIENCE_CLAIM = values.Value(
        "client_id", environ_name="OIDC_RS_AUDIENCE_CLAIM", environ_prefix=None
    )
    OIDC_RS_ALLOWED_AUDIENCES = values.ListValue(
        [], environ_name="OIDC_RS_ALLOWED_AUDIENCES", environ_prefix=None
    )
    OIDC_RS_SCOPES = values.ListValue(["openid"], environ_name="OIDC_RS_SCOPES", environ_prefix=None)
    OIDC_RS_PRIVATE_KEY_STR = values.Value(
        None, environ_name="OIDC_RS_PRIVATE_KEY_STR", environ_prefix=None
    )
    OIDC_RS_ENCRYPTION_KEY_TYPE = "RSA"
    OIDC_RS_ENCRYPTION_ALGO = "RSA-OAEP"
    OIDC_RS_ENCRYPTION_ENCODING = "A256GCM"
    OIDC_RS_SIGNING_ALGO = "ES256"


class Docs(Base):
    """The Docs-like relying party: keeps the user's tokens to call Drive for them."""

    ROOT_URLCONF = "apps.docs_like"
    SESSION_COOKIE_NAME = "docs_sessionid"
    # Not an upstream setting (Docs has no Drive client yet): the integration's name for where
    # its Drive calls go, as the env block prints it.
    DRIVE_API_URL = values.Value(environ_name="DRIVE_API_URL", environ_prefix=None)
    # Not declared by Docs 5.4.1 either (mozilla-django-oidc's default 900 s applies there): the
    # integration needs it below the access tokens' lifetime, so the block prints it.
    OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS = values.IntegerValue(
        900, environ_name="OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS", environ_prefix=None
    )
    # As Docs declares it: where media-auth finds the original URL of nginx's subrequest.
    MEDIA_AUTH_ORIGINAL_URL_HEADER = values.Value(
        default="HTTP_X_ORIGINAL_URL",
        environ_name="MEDIA_AUTH_ORIGINAL_URL_HEADER",
        environ_prefix=None,
    )


class Drive(Base):
    """The Drive-like app: a relying party of its own, and a resource server for Docs' tokens."""

    ROOT_URLCONF = "apps.drive_like"
    SESSION_COOKIE_NAME = "drive_sessionid"
