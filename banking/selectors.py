"""Reads of the bank side: reconciliation of the bank's balance with the books."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Sum
from django.db.models.functions import Coalesce

from community.models import Cooperative
from grants.selectors import cooperative_project_ref
from ledger import chart
from ledger.models import JournalLine
from ledger.selectors import SIGNED

from .models import BankLine, BankStatement

OPEN = (BankLine.Match.UNMATCHED, BankLine.Match.IGNORED)


@dataclass(frozen=True)
class Reconciliation:
    """The bank's closing balance beside the books' bank account (1000 of the cooperative's
    project administration) on one date, and the lines the books do not hold yet."""

    cooperative: Cooperative
    on: date
    statement: BankStatement | None
    bank_balance_cents: int | None
    ledger_balance_cents: int  # on the statement's closing date (or ``on`` without one)
    ledger_balance_on_date_cents: int
    open_lines: list[BankLine]

    @property
    def open_lines_cents(self) -> int:
        return sum(line.amount_cents for line in self.open_lines)

    @property
    def difference_cents(self) -> int | None:
        """Bank minus books; what the unmatched and ignored lines do not explain is
        ``unexplained_cents``."""
        if self.bank_balance_cents is None:
            return None
        return self.bank_balance_cents - self.ledger_balance_cents

    @property
    def unexplained_cents(self) -> int | None:
        if self.difference_cents is None:
            return None
        return self.difference_cents - self.open_lines_cents


def _bank_in_books(cooperative: Cooperative, on: date) -> int:
    total = JournalLine.objects.filter(
        account__code=chart.BANK,
        project__ref=cooperative_project_ref(cooperative.pk),
        entry__date__lte=on,
    ).aggregate(total=Coalesce(Sum(SIGNED), 0))["total"]
    return int(total)


def reconciliation(*, cooperative: Cooperative, on: date) -> Reconciliation:
    statement = (
        BankStatement.objects.filter(
            cooperative=cooperative, closing_date__lte=on, closing_balance_cents__isnull=False
        )
        .order_by("-closing_date", "-id")
        .first()
    )
    until = statement.closing_date if statement and statement.closing_date else on
    open_lines = list(
        BankLine.objects.filter(
            cooperative=cooperative, match__in=OPEN, booking_date__lte=until
        ).order_by("booking_date", "pk")
    )
    return Reconciliation(
        cooperative=cooperative,
        on=on,
        statement=statement,
        bank_balance_cents=statement.closing_balance_cents if statement else None,
        ledger_balance_cents=_bank_in_books(cooperative, until),
        ledger_balance_on_date_cents=_bank_in_books(cooperative, on),
        open_lines=open_lines,
    )
