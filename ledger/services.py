"""The one way into the books: :func:`entry_post`, and the postings built on it.

Every money event is one balanced entry whose idempotency key comes from its
cause; posting the same cause twice returns the first entry and writes nothing.
The same rules are enforced by PostgreSQL itself (migration 0002).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date as Date
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from . import chart
from .errors import (
    ClosedAccount,
    IdempotencyMismatch,
    InvalidAmount,
    InvalidCurrency,
    PeriodClosed,
    PeriodNotEnded,
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


_ENTRY = JournalEntry._meta.db_table
_LINE = JournalLine._meta.db_table
_ACCOUNT = Account._meta.db_table
_PERIOD = FiscalPeriod._meta.db_table
# SQLSTATEs raised by migration 0002's triggers: closed period, closed account.
PERIOD_CLOSED_SQLSTATE = "BF001"
ACCOUNT_CLOSED_SQLSTATE = "BF002"
# First key of the advisory lock that a close and the postings into its period share (the
# second is year * 100 + month); migration 0006's trigger uses the same number ("LEDG").
PERIOD_LOCK_SPACE = 1279607879
# Account codes never change their id, so each process remembers them. Whether an
# account is open is checked on every posting: by PostgreSQL's trigger, or here.
_account_id_cache: dict[str, int] = {}


def _account_ids(cursor: Any, codes: set[str], *, check_open: bool) -> dict[str, int]:
    if not check_open and codes <= _account_id_cache.keys():
        return {code: _account_id_cache[code] for code in codes}
    placeholders = ", ".join(["%s"] * len(codes))
    cursor.execute(
        f"SELECT code, id, active FROM {_ACCOUNT} WHERE code IN ({placeholders})",  # nosec B608
        list(codes),  # table names from model meta, values are bound parameters
    )
    rows = cursor.fetchall()
    unknown = codes - {code for code, _, _ in rows}
    if unknown:
        raise UnknownAccount(extra={"accounts": sorted(unknown)})
    closed = sorted(code for code, _, active in rows if not active)
    if closed:
        raise ClosedAccount(extra={"accounts": closed})
    _account_id_cache.update({code: pk for code, pk, _ in rows})
    return {code: pk for code, pk, _ in rows}


def _check_period_open(cursor: Any, on: Date) -> None:
    cursor.execute(
        f"SELECT 1 FROM {_PERIOD} WHERE year = %s AND month = %s AND closed_at IS NOT NULL",  # nosec B608: table names from model meta, values are bound parameters
        [on.year, on.month],
    )
    if cursor.fetchone() is not None:
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

    This is the hot path of the books, so it speaks SQL directly. On PostgreSQL
    the entry and its lines go in as one statement (its triggers check periods,
    accounts and balance); ``INSERT ... ON CONFLICT DO NOTHING`` makes parallel
    posts of one cause wait for each other and write once.
    """
    validate_lines(lines)
    on = on or timezone.localdate()
    now = timezone.now()
    description, cause = description[:500], cause[:200]
    entry_values = [on, on.year, on.month, kind, description, idempotency_key, cause,
                    reverses.pk if reverses else None, actor_id, now]  # fmt: skip
    codes = {line.account for line in lines}
    try:
        if connection.vendor == "postgresql":
            entry_id = _insert_postgres(entry_values, lines, codes)
        else:
            entry_id = _insert_checked_in_python(entry_values, lines, codes, on)
    except DatabaseError as exc:
        sqlstate = getattr(exc.__cause__, "sqlstate", None)
        if sqlstate == PERIOD_CLOSED_SQLSTATE:
            raise PeriodClosed(extra={"period": f"{on.year}-{on.month:02d}"}) from exc
        if sqlstate == ACCOUNT_CLOSED_SQLSTATE:
            raise ClosedAccount() from exc
        raise
    if entry_id is None:
        # Posted before (or by a parallel call that has committed meanwhile).
        return _same_entry(JournalEntry.objects.get(idempotency_key=idempotency_key), lines, kind)
    entry = JournalEntry(
        pk=entry_id, date=on, fiscal_year=on.year, period=on.month, kind=kind,
        description=description, idempotency_key=idempotency_key, cause=cause,
        reverses=reverses, created_by_id=actor_id, created_at=now,
    )  # fmt: skip
    entry._state.adding = False
    entry._state.db = connection.alias
    return entry


_INSERT_ENTRY = (
    f"INSERT INTO {_ENTRY} (date, fiscal_year, period, kind, description, idempotency_key,"  # nosec B608: table names from model meta, values are bound parameters
    " cause, reverses_id, created_by_id, created_at)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id"
)
_LINE_COLUMNS = "entry_id, account_id, side, amount_cents, currency, project_id, earmark_id"


def _line_params(lines: Sequence[Line], account_ids: dict[str, int]) -> list[Any]:
    params: list[Any] = []
    for line in lines:
        params += [account_ids[line.account], line.side, line.amount_cents, line.currency,
                   line.project.pk if line.project else None,
                   line.earmark.pk if line.earmark else None]  # fmt: skip
    return params


def _insert_postgres(entry_values: list[Any], lines: Sequence[Line], codes: set[str]) -> int | None:
    """One statement: the entry, then its lines only if the entry was new."""
    values = ", ".join(
        ["(%s::bigint, %s::varchar, %s::bigint, %s::varchar, %s::bigint, %s::bigint)"] * len(lines)
    )
    sql = (
        f"WITH e AS ({_INSERT_ENTRY}) INSERT INTO {_LINE} ({_LINE_COLUMNS})"  # nosec B608: table names from model meta, values are bound parameters
        f" SELECT e.id, v.* FROM e, (VALUES {values}) AS v RETURNING entry_id"
    )
    # One statement is atomic on its own: outside a transaction it commits by itself (one
    # round trip); inside a caller's transaction a savepoint keeps a refused posting from
    # spoiling it.
    block = transaction.atomic() if connection.in_atomic_block else nullcontext()
    with block, connection.cursor() as cursor:
        account_ids = _account_ids(cursor, codes, check_open=False)
        cursor.execute(sql, entry_values + _line_params(lines, account_ids))
        row = cursor.fetchone()
    return row[0] if row else None


def _insert_checked_in_python(
    entry_values: list[Any], lines: Sequence[Line], codes: set[str], on: Date
) -> int | None:
    """SQLite has no triggers of ours: check periods and accounts here, in one transaction."""
    with transaction.atomic(), connection.cursor() as cursor:
        account_ids = _account_ids(cursor, codes, check_open=True)
        _check_period_open(cursor, on)
        cursor.execute(_INSERT_ENTRY, entry_values)
        row = cursor.fetchone()
        if row is None:
            return None
        values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(lines))
        params: list[Any] = []
        per_line = _line_params(lines, account_ids)
        for i in range(len(lines)):
            params += [row[0], *per_line[i * 6 : (i + 1) * 6]]
        cursor.execute(f"INSERT INTO {_LINE} ({_LINE_COLUMNS}) VALUES {values}", params)  # nosec B608: table names from model meta, values are bound parameters
    return int(row[0])


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
    """Close a month that has ended: nothing posts into it afterwards. Closing twice is
    harmless; the current month and later ones cannot be closed.

    On PostgreSQL the close holds the period's advisory lock exclusively; every posting
    takes it shared (a trigger, migration 0006) before checking that its period is open.
    Postings in flight into the month finish first, and none starts until the close is
    committed. A table lock would do the same, but the application's role may not take one.
    """
    today = timezone.localdate()
    if (year, month) >= (today.year, today.month):
        raise PeriodNotEnded()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s, %s)", [PERIOD_LOCK_SPACE, year * 100 + month]
                )
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
    _account_id_cache.clear()
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
