"""The Celery application. Without CELERY_BROKER_URL tasks run in-process (eager)."""

import os
from logging.config import dictConfig
from typing import Any

from celery import Celery
from celery.signals import setup_logging
from django_structlog.celery.steps import DjangoStructLogInitStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings.local")

app = Celery("buurtfonds")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# In the worker: each task's lines carry its task_id (and the request_id and user_id of the
# request that queued it); task_started, task_succeeded and task_failed are logged.
app.steps["worker"].add(DjangoStructLogInitStep)


@setup_logging.connect
def _log_as_django_does(**_: Any) -> None:
    """Worker and beat log through settings.LOGGING (JSON lines on stdout) instead of
    Celery's own format: a receiver of this signal makes Celery leave logging alone."""
    from django.conf import settings

    dictConfig(settings.LOGGING)
