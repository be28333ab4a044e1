"""Settings for the benchmarks: the test settings plus the bare baseline endpoint."""

from backend.settings.test import *  # noqa: F403
from backend.settings.test import INSTALLED_APPS, REST_FRAMEWORK

INSTALLED_APPS = [*INSTALLED_APPS, "benchmarks.bare"]
ROOT_URLCONF = "benchmarks.bare.urls"
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"auth": "1000000/minute", "verify": "1000000/minute"},
}
CONN_MAX_AGE = 60
DATABASES = {**DATABASES}  # noqa: F405
DATABASES["default"]["CONN_MAX_AGE"] = 60
# Tasks are queued (in memory) as a worker would receive them, not run inside the request.
CELERY_BROKER_URL = "memory://"
CELERY_TASK_ALWAYS_EAGER = False
# 409s are expected answers here, not news: keep the request log quiet.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"django.request": {"level": "ERROR"}, "celery": {"level": "WARNING"}},
}
