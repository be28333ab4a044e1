"""Housekeeping for accounts."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone
from knox.models import AuthToken


@shared_task(acks_late=True)
def purge_expired_tokens() -> int:
    """Delete API tokens past their expiry (a used one is refused and deleted anyway)."""
    deleted, _ = AuthToken.objects.filter(expiry__lt=timezone.now()).delete()
    return deleted
