"""Queueing a task after a commit never fails the request that committed.

When the broker is down the error is logged and the work is left to its sweep (every task
queued this way has one: windows settle by the minute sweep, top-ups and refunds by theirs,
notifications are best effort).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction

log = logging.getLogger(__name__)


def enqueue(task: Any, *args: Any, eta: datetime | None = None) -> None:
    try:
        task.apply_async(args=list(args), eta=eta)
    except Exception:
        log.exception("could not queue %s%r; its sweep will pick the work up", task.name, args)


def enqueue_on_commit(task: Any, *args: Any, eta: datetime | None = None) -> None:
    """Queue ``task`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: enqueue(task, *args, eta=eta))
