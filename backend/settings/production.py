"""Deployment: PostgreSQL, Redis broker, HTTPS only. Refuses to start without secrets."""

import environ
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

DEBUG = False
# The fault tests' pause points (backend/faults.py) can never hold a production process.
FAULT_PAUSE_DIR = ""


def _required(name: str) -> str:
    value = env(name, default="")
    if not value:
        raise ImproperlyConfigured(
            f"{name} must be set in production; there is deliberately no default."
        )
    return str(value)


SECRET_KEY = _required("DJANGO_SECRET_KEY")
RESIDENCE_CODE_KEY = _required("RESIDENCE_CODE_KEY")
BALLOT_KEY = _required("BALLOT_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# Idle timeout: the session lives 30 minutes after the last request.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
PASSWORD_RESET_TIMEOUT = 60 * 60
X_FRAME_OPTIONS = "DENY"
# EMAIL_URL, e.g. smtp+tls://user:password@mail.example.org:587; empty means the default.
vars().update(environ.Env.email_url_config(env("EMAIL_URL", default="") or "smtp://localhost:25"))
# Compressed copies and content hashes in the names, made by collectstatic when the image is
# built; WhiteNoise serves them with far-future cache headers.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
