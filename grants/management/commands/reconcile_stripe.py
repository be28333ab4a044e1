"""Compare Stripe's balance transactions of a date range with the books."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from grants.topups import stripe_reconcile
from payments.gateway import GatewayError


class Command(BaseCommand):
    help = (
        "List every difference between Stripe's balance transactions created in "
        "[--from, --to) and the top-up entries in the books. Exits 1 when there is any."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="start", type=date.fromisoformat, required=True)
        parser.add_argument("--to", dest="end", type=date.fromisoformat, required=True)

    def handle(self, *args: Any, start: date, end: date, **options: Any) -> None:
        if end <= start:
            raise CommandError("--to must come after --from")
        try:
            differences = stripe_reconcile(start=start, end=end)
        except GatewayError as exc:
            raise CommandError(f"Stripe did not answer: {exc}") from exc
        for line in differences:
            self.stdout.write(line)
        if differences:
            raise CommandError(f"{len(differences)} difference(s)", returncode=1)
        self.stdout.write(f"Stripe and the books agree from {start} to {end}.")
