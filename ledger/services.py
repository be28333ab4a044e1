"""The one way into the books: :func:`entry_post`, and the postings built on it.

Every money event is one balanced entry whose idempotency key comes from its
cause; posting the same cause twice returns the first entry and writes nothing.
The same rules are enforced by PostgreSQL itself (migration 0002).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date as Date

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import chart
from .errors import (
    AlreadyReversed,
    ClosedAccount,
    IdempotencyMismatch,
    InvalidAmount,
    InvalidCurrency,
    PeriodClosed,
    TooFewLines,
    UnbalancedEntry,
    UnknownAccount,
)
from .models import (
    CURRENCY,
    Account,
    Earmark,
    FiscalPeriod,
    JournalEntry,
    JournalLine,
    ProjectAdministration,
)

Kind = JournalEntry.Kind
D, C = JournalLine.Side.DEBIT, JournalLine.Side.CREDIT


@dataclass(frozen=True)
class Line:
    """A line to post: account code, side ("D"/"C"), positive cents, dimensions."""

    account: str
    side: str
    amount_cents: int
    earmark: Earmark | None = None
    project: ProjectAdministration | None = None
    currency: str = CURRENCY

    def key(self) -> tuple[str, str, int, int | None, int | None]:
        return (
            self.account,
            self.side,
            self.amount_cents,
            self.earmark.pk if self.earmark else None,
            self.project.pk if self.project else None,
        )


def validate_lines(lines: Sequence[Line]) -> None:
    """The rules every entry obeys, checked before anything is written."""
    if len(lines) < 2:
        raise TooFewLines()
    for line in lines:
        if type(line.amount_cents) is not int or line.amount_cents <= 0:
            raise InvalidAmount()
        if line.currency != CURRENCY:
            raise InvalidCurrency()
        if line.side not in (D, C):
            raise UnbalancedEntry()
    debit = sum(line.amount_cents for line in lines if line.side == D)
    credit = sum(line.amount_cents for line in lines if line.side == C)
    if debit != credit:
        raise UnbalancedEntry(extra={"debit_cents": debit, "credit_cents": credit})


def _accounts(codes: set[str]) -> dict[str, Account]:
    accounts = {a.code: a for a in Account.objects.filter(code__in=codes)}
    unknown = codes - set(accounts)
    if unknown:
        raise UnknownAccount(extra={"accounts": sorted(unknown)})
    closed = sorted(code for code, account in accounts.items() if not account.active)
    if closed:
        raise ClosedAccount(extra={"accounts": closed})
    return accounts


def _check_period_open(on: Date) -> None:
    if FiscalPeriod.objects.filter(year=on.year, month=on.month, closed_at__isnull=False).exists():
        raise PeriodClosed(extra={"period": f"{on.year}-{on.month:02d}"})


def _same_entry(entry: JournalEntry, lines: Sequence[Line], kind: str) -> JournalEntry:
    stored = sorted(
        (ln.account.code, ln.side, ln.amount_cents, ln.earmark_id, ln.project_id)
        for ln in entry.lines.select_related("account")
    )
    if entry.kind != kind or stored != sorted(line.key() for line in lines):
        raise IdempotencyMismatch(extra={"entry": entry.pk})
    return entry


def entry_post(
    *,
    lines: Sequence[Line],
    idempotency_key: str,
    kind: str,
    description: str,
    cause: str = "",
    on: Date | None = None,
    actor_id: int | None = None,
    reverses: JournalEntry | None = None,
) -> JournalEntry:
    """Post one balanced entry, or return the entry already posted under this key.

    Raises a :class:`~ledger.errors.LedgerError` (nothing written) when the
    entry is unbalanced, has fewer than two lines, a non-positive or non-integer
    amount, a currency other than EUR, an unknown or closed account, falls in a
    closed period, or reuses a key with different lines.
    """
    validate_lines(lines)
    key = idempotency_key
    with transaction.atomic():
        existing = JournalEntry.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return _same_entry(existing, lines, kind)
        accounts = _accounts({line.account for line in lines})
        on = on or timezone.localdate()
        _check_period_open(on)
        try:
            with transaction.atomic():
                entry = JournalEntry.objects.create(
                    date=on,
                    fiscal_year=on.year,
                    period=on.month,
                    kind=kind,
                    description=description[:500],
                    idempotency_key=key,
                    cause=cause[:200],
                    reverses=reverses,
                    created_by_id=actor_id,
                )
        except IntegrityError:
            # A parallel call with the same key won; it has committed by now.
            winner = JournalEntry.objects.filter(idempotency_key=key).first()
            if winner is not None:
                return _same_entry(winner, lines, kind)
            if reverses is not None:
                raise AlreadyReversed(extra={"entry": reverses.pk}) from None
            raise
        JournalLine.objects.bulk_create(
            JournalLine(
                entry=entry,
                account=accounts[line.account],
                side=line.side,
                amount_cents=line.amount_cents,
                currency=line.currency,
                earmark=line.earmark,
                project=line.project,
            )
            for line in lines
        )
    return entry


def _derived_key(prefix: str, key: str) -> str:
    full = f"{prefix}:{key}"
    if len(full) <= 200:
        return full
    return f"{prefix}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"


def entry_reverse(
    *, entry: JournalEntry, reason: str, actor_id: int | None = None, on: Date | None = None
) -> JournalEntry:
    """Correct an entry by posting its mirror image today (or ``on``): debits become credits.

    The original stays as it was; reversing twice returns the first reversal.
    """
    lines = [
        Line(
            account=ln.account.code,
            side=C if ln.side == D else D,
            amount_cents=ln.amount_cents,
            earmark=ln.earmark,
            project=ln.project,
        )
        for ln in entry.lines.select_related("account", "earmark", "project")
    ]
    return entry_post(
        lines=lines,
        idempotency_key=_derived_key("reversal", entry.idempotency_key),
        kind=entry.kind,
        description=f"Correctie van #{entry.pk}: {reason}",
        cause=entry.cause,
        on=on,
        actor_id=actor_id,
        reverses=entry,
    )


def period_close(*, year: int, month: int, actor_id: int | None) -> FiscalPeriod:
    """Close a month: nothing posts into it afterwards. Closing twice is harmless."""
    with transaction.atomic():
        period, _ = FiscalPeriod.objects.get_or_create(year=year, month=month)
        period = FiscalPeriod.objects.select_for_update().get(pk=period.pk)
        if period.closed_at is None:
            period.closed_at = timezone.now()
            period.closed_by_id = actor_id
            period.save(update_fields=["closed_at", "closed_by"])
    return period


def fiscal_year_open(*, year: int) -> None:
    """Create the twelve periods of a year (posting does not need them; closing does)."""
    FiscalPeriod.objects.bulk_create(
        [FiscalPeriod(year=year, month=m) for m in range(1, 13)], ignore_conflicts=True
    )


def chart_install() -> int:
    """Create the accounts of :data:`ledger.chart.CHART` that are missing. Returns how many."""
    existing = set(Account.objects.values_list("code", flat=True))
    new = [
        Account(code=a.code, name=a.name, type=a.type, source=a.source, rj640_line=a.rj640_line)
        for a in chart.CHART
        if a.code not in existing
    ]
    Account.objects.bulk_create(new)
    return len(new)


def project_get_or_create(*, ref: str, code: str, name: str) -> ProjectAdministration:
    project, _ = ProjectAdministration.objects.get_or_create(
        ref=ref, defaults={"code": code, "name": name}
    )
    return project


def earmark_get_or_create(
    *,
    ref: str,
    kind: str,
    name: str,
    parent: Earmark | None = None,
    project: ProjectAdministration | None = None,
) -> Earmark:
    earmark, _ = Earmark.objects.get_or_create(
        ref=ref, defaults={"kind": kind, "name": name, "parent": parent, "project": project}
    )
    return earmark
