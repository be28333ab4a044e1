"""Do what the beat's five-minute top-up sweep does, without a broker: when Redis is down,
refunds that could not be queued are made from here (cron, or by hand)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from grants.topups import topups_sweep


class Command(BaseCommand):
    help = (
        "Refund the top-ups of plans that ended, retry failed refunds and expire abandoned "
        "top-ups. Needs the database and Stripe, not the broker."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        done = topups_sweep()
        self.stdout.write(f"{done['refunds']} refund(s) made, {done['expired']} top-up(s) expired.")
