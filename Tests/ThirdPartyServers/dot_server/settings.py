"""Django settings of the django-oauth-toolkit test server.

The OAuth 2.0 provider as DOT's documentation sets it up ("Getting started", "Django Rest
Framework", "OpenID Connect", settings reference): the oauth2_provider app under /o/, OIDC
enabled with an RS256 key, the `openid` scope next to `read` and `write`, DRF's
OAuth2Authentication on the resource. Everything else is the library's default
(ROTATE_REFRESH_TOKEN True, REFRESH_TOKEN_GRACE_PERIOD_SECONDS 0,
REFRESH_TOKEN_REUSE_PROTECTION False, REFRESH_TOKEN_EXPIRE_SECONDS None) unless the
environment says otherwise; launch.py passes the rest through the environment.
"""
import os

SECRET_KEY = os.environ["TOKENBENCH_DJANGO_SECRET"]  # made anew by launch.py at every start
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
ROOT_URLCONF = "dot_server.urls"
USE_TZ = True

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "oauth2_provider",
    "rest_framework",
]
MIDDLEWARE = []

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["TOKENBENCH_DJANGO_DB"],
        # WAL and a long busy timeout: several gunicorn threads rotate tokens at once. SQLite
        # ignores SELECT ... FOR UPDATE; IMMEDIATE makes each transaction take the write lock
        # when it begins, which is what serialises two rotations of one refresh token.
        "OPTIONS": {"timeout": 30, "init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"},
    }
}

# Test-only: MD5 makes a login cheap enough for a load run (see ../README.md). DOT hashes the
# client secret with the first of these too (CLIENT_SECRET_HASHER "default"), so client
# authentication on every token request is cheap as well.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

with open(os.environ["TOKENBENCH_DOT_OIDC_KEY"]) as key_file:  # written by launch.py at start
    OIDC_RSA_PRIVATE_KEY = key_file.read()


def _flag(name, default):
    return os.environ.get(name, "1" if default else "0") != "0"


OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": OIDC_RSA_PRIVATE_KEY,
    "SCOPES": {
        "read": "Read scope",
        "write": "Write scope",
        "openid": "OpenID Connect scope",
    },
    "ACCESS_TOKEN_EXPIRE_SECONDS": int(os.environ.get("TOKENBENCH_ACCESS_TTL", "30")),
    # DOT's defaults, overridable for experiments (FINDINGS.md says what each one does).
    "ROTATE_REFRESH_TOKEN": _flag("TOKENBENCH_DOT_ROTATE", True),
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": int(os.environ.get("TOKENBENCH_DOT_GRACE", "0")),
    "REFRESH_TOKEN_REUSE_PROTECTION": _flag("TOKENBENCH_DOT_REUSE_PROTECTION", False),
    "REFRESH_TOKEN_EXPIRE_SECONDS": int(os.environ["TOKENBENCH_DOT_REFRESH_TTL"])
    if os.environ.get("TOKENBENCH_DOT_REFRESH_TTL") else None,
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ("oauth2_provider.contrib.rest_framework.OAuth2Authentication",),
    "DEFAULT_PERMISSION_CLASSES": ("rest_framework.permissions.IsAuthenticated",),
    "UNAUTHENTICATED_USER": None,
}

# DOT 3.4 logs a warning on every password-grant login (oauth2_provider/bcp.py, RFC 9700's
# COMPLIANT_BCP_RFC9700_PASSWORD_GRANT, False by default, which keeps the grant allowed): one
# stderr line per login under load. Its errors still show.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": True,
    "loggers": {"oauth2_provider": {"level": "ERROR"}},
}
