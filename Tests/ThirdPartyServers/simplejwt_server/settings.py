"""Django settings of the djangorestframework-simplejwt test server.

Rotation and the blacklist are on, as simplejwt's documentation describes them
(ROTATE_REFRESH_TOKENS, BLACKLIST_AFTER_ROTATION, the token_blacklist app). Everything
else is the library's default; start.py passes the rest through the environment.
"""
import os
from datetime import timedelta

SECRET_KEY = os.environ["TOKENBENCH_DJANGO_SECRET"]  # made anew by start.py at every start
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
ROOT_URLCONF = "simplejwt_server.urls"
USE_TZ = True

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
]
MIDDLEWARE = []

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["TOKENBENCH_DJANGO_DB"],
        # WAL and a long busy timeout: several gunicorn threads write the blacklist at once.
        "OPTIONS": {"timeout": 30, "init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"},
    }
}

# Test-only: MD5 makes a login cheap enough for a load run (see ../README.md).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ("rest_framework_simplejwt.authentication.JWTAuthentication",),
    "DEFAULT_PERMISSION_CLASSES": ("rest_framework.permissions.IsAuthenticated",),
    "UNAUTHENTICATED_USER": None,
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=int(os.environ.get("TOKENBENCH_ACCESS_TTL", "30"))),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=1),
    # TOKENBENCH_SIMPLEJWT_ROTATE=0: simplejwt's own default, ROTATE_REFRESH_TOKENS = False (a
    # refresh answers {"access": ...} only and the refresh token lives until it is blacklisted
    # or expires), the pattern the flow TokenBench started from describes.
    "ROTATE_REFRESH_TOKENS": os.environ.get("TOKENBENCH_SIMPLEJWT_ROTATE", "1") != "0",
    "BLACKLIST_AFTER_ROTATION": os.environ.get("TOKENBENCH_SIMPLEJWT_ROTATE", "1") != "0",
    "UPDATE_LAST_LOGIN": False,
}

LOGGING = {"version": 1, "disable_existing_loggers": True}
