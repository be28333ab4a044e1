"""Settle every vote window that has closed, without a broker (when Redis is down, or on a
machine without a worker); the readers and the beat's minute sweep do the same."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from voting.services import settle_due_windows


class Command(BaseCommand):
    help = "Decide every vote whose window has closed. Needs the database only."

    def handle(self, *args: Any, **options: Any) -> None:
        settled = settle_due_windows()
        self.stdout.write(f"{settled} vote window(s) settled.")
