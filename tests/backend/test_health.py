"""/healthz (the process) and /readyz (the database, and the broker when there is one)."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_a_login():
    answer = Client().get("/healthz")
    assert (answer.status_code, answer.json()) == (200, {"status": "ok"})


def test_readyz_is_ready_on_the_embedded_default():
    answer = Client().get("/readyz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": True, "broker": None}


def test_readyz_says_which_part_is_down(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"  # nothing listens there
    answer = Client().get("/readyz")
    assert answer.status_code == 503
    assert answer.json() == {"status": "unavailable", "database": True, "broker": False}


def test_readyz_with_a_broker_that_answers(settings):
    import os

    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("needs Redis at REDIS_URL; CI starts one")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = url
    answer = Client().get("/readyz")
    assert answer.status_code == 200 and answer.json()["broker"] is True
