"""Settings for the test suite: SQLite unless DATABASE_URL points at PostgreSQL."""

from .base import *  # noqa: F403
from .base import BASE_DIR, database_settings, env

DEBUG = False
SECRET_KEY = "test-only-not-secret"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
RESIDENCE_CODE_KEY = "test-residence-key"
BALLOT_KEY = "test-ballot-key-not-secret"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = ""
# Nothing is collected for the tests (the deployment test collects into a directory of its
# own), so WhiteNoise has no directory to look for.
STATIC_ROOT = None
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "var" / "test-private")
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {
        "auth": "1000/minute",
        "verify": "1000/minute",
        "topup": "1000/minute",
        "pabulib": "1000/minute",
    },
}
STRIPE_SECRET_KEY = "sk_test_buurtfonds"
STRIPE_PUBLISHABLE_KEY = "pk_test_buurtfonds"
STRIPE_WEBHOOK_SECRET = "whsec_test_buurtfonds"
STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens: a test that forgets its stub fails
STRIPE_MAX_NETWORK_RETRIES = 0

if env("DATABASE_OWNER_URL", default=""):
    # The suite's queries run as DATABASE_URL's role, as web and worker do. pytest-django
    # creates, migrates and flushes the test database as the owner (tests/conftest.py), and
    # the tests that need the owner (TRUNCATE; the triggers behind the privileges) use this
    # alias, which points at the same test database.
    DATABASES = {
        "default": database_settings("DATABASE_URL"),
        "owner": {**database_settings("DATABASE_OWNER_URL"), "TEST": {"MIRROR": "default"}},
    }
