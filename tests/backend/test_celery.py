"""Without a broker tasks run in-process; with CELERY_BROKER_URL they go to the broker."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def celery_conf(**env: str) -> list[str]:
    code = (
        "import django; django.setup();"
        "from backend.celery import app; c = app.conf;"
        "print(c.task_always_eager, repr(c.broker_url or ''), c.task_acks_late,"
        " c.task_reject_on_worker_lost, c.worker_prefetch_multiplier)"
    )
    environ = {k: v for k, v in os.environ.items() if k != "CELERY_BROKER_URL"}
    environ.update({"DJANGO_SETTINGS_MODULE": "backend.settings.local", **env})
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_tasks_run_in_process_without_a_broker():
    assert celery_conf() == ["True", "''", "True", "True", "1"]


def test_tasks_go_to_redis_when_a_broker_is_configured():
    assert celery_conf(CELERY_BROKER_URL="redis://127.0.0.1:6379/0") == [
        "False",
        "'redis://127.0.0.1:6379/0'",
        "True",
        "True",
        "1",
    ]
