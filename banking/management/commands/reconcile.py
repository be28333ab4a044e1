"""Reconcile each cooperative's bank account with the books on a date."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from banking.selectors import reconciliation
from community.models import Cooperative


def euro(cents: int | None) -> str:
    if cents is None:
        return "-"
    sign = "-" if cents < 0 else ""
    return f"{sign}EUR {abs(cents) // 100:,}.{abs(cents) % 100:02d}"


class Command(BaseCommand):
    help = (
        "Print, per cooperative with its own account, the bank's closing balance of the last "
        "statement up to --date beside the books' bank account, and the unmatched lines that "
        "explain the difference. Exits 1 when a difference is left that no line explains."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", dest="on", type=date.fromisoformat, default=None)
        parser.add_argument("--cooperative", help="its slug (default: every cooperative)")

    def handle(self, *args: Any, on: date | None, cooperative: str | None, **opts: Any) -> None:
        on = on or timezone.localdate()
        cooperatives = Cooperative.objects.exclude(iban="").order_by("name")
        if cooperative:
            cooperatives = cooperatives.filter(slug=cooperative)
            if not cooperatives.exists():
                raise CommandError(f"no cooperative {cooperative!r} with an account of its own")
        unexplained = 0
        for coop in cooperatives:
            result = reconciliation(cooperative=coop, on=on)
            if result.statement is None:
                self.stdout.write(f"{coop.name}: no statement up to {on}")
                continue
            self.stdout.write(
                f"{coop.name} ({coop.iban}), statement {result.statement.statement_id} of "
                f"{result.statement.closing_date}:\n"
                f"  bank {euro(result.bank_balance_cents)}, books "
                f"{euro(result.ledger_balance_cents)}, difference {euro(result.difference_cents)}"
            )
            for line in result.open_lines:
                self.stdout.write(
                    f"  {line.booking_date} {euro(line.amount_cents):>16} {line.match:<9} "
                    f"{line.counterparty_name} {line.remittance}"[:160]
                )
            self.stdout.write(f"  unexplained {euro(result.unexplained_cents)}")
            unexplained += result.unexplained_cents != 0
        if unexplained:
            raise CommandError(
                f"{unexplained} cooperative(s) with a difference no line explains", returncode=1
            )
