"""Bank statements read back: each line stored once, matched to the books, and what no rule
matched booked or ignored by the treasurer (both audited)."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from community.audit import audit_log
from community.iban import normalise_iban
from community.models import Cooperative, Membership, User
from community.selectors import role_cooperative_ids, user_has_cooperative_role
from grants.models import Fund
from grants.services import cooperative_project, fund_deposit
from ledger import chart
from ledger.models import Account
from ledger.services import C, D, Kind, Line, entry_post

from . import errors, matching
from .models import BankLine, BankStatement
from .statements import Statement, StatementInvalid, parse_statement

MAX_BYTES = 10 * 1024 * 1024
# Accounts a line may be booked against by hand; money of funds and grants has its actions.
HAND_BOOKABLE_TYPES = (Account.Type.INCOME, Account.Type.EXPENSE)
HAND_BOOKABLE_CODES = (chart.PROCESSOR_CLEARING, chart.GENERAL_RESERVE)


@dataclass(frozen=True)
class ImportResult:
    statements: list[BankStatement]
    new_lines: int
    known_lines: int
    matched: int


def _treasurer_cooperatives(user: User) -> Q:
    ids = role_cooperative_ids(user=user, role=Membership.Role.TREASURER)
    return Q() if ids is None else Q(pk__in=ids)


def line_keys(statement: Statement) -> list[str]:
    """Each line's key: the bank's entry reference (with its rank among lines sharing it, as
    in a batch booking), else the statement id and the line's position. The same line in an
    overlapping statement gets the same key; two identical transfers keep two."""
    seen: Counter[str] = Counter()
    keys = []
    for line in statement.lines:
        if line.entry_reference:
            seen[line.entry_reference] += 1
            n = seen[line.entry_reference]
            keys.append(f"ref:{line.entry_reference[:100]}" + (f"#{n}" if n > 1 else ""))
        else:
            keys.append(f"pos:{statement.statement_id[:100]}:{line.position}")
    return keys


def statement_import(*, data: bytes, acting_user: User) -> ImportResult:
    """Store a CAMT.053 or MT940 file's lines once, then match what is not matched yet.
    A file that cannot be read, or of an account that is not the treasurer's cooperative's
    own, stores nothing."""
    mine = Cooperative.objects.filter(_treasurer_cooperatives(acting_user))
    if not mine.exists():
        raise errors.NotTreasurer()
    if len(data) > MAX_BYTES:
        raise errors.StatementTooLarge(extra={"max_bytes": MAX_BYTES})
    try:
        parsed = parse_statement(data)
    except StatementInvalid as exc:
        raise errors.StatementInvalid(extra={"reason": exc.reason}) from None
    if not parsed:
        raise errors.StatementInvalid(extra={"reason": "the file holds no statement"})
    by_iban = {normalise_iban(c.iban): c for c in mine.exclude(iban="")}
    for statement in parsed:
        if statement.account_iban not in by_iban:
            raise errors.StatementAccountUnknown(extra={"account": statement.account_iban})
    sha256 = hashlib.sha256(data).hexdigest()
    stored, new, known = [], 0, 0
    with transaction.atomic():
        for statement in parsed:
            cooperative = by_iban[statement.account_iban]
            record, _ = BankStatement.objects.get_or_create(
                cooperative=cooperative,
                account_iban=statement.account_iban,
                statement_id=statement.statement_id[:100],
                defaults={
                    "format": statement.format,
                    "opening_balance_cents": statement.opening_balance_cents,
                    "opening_date": statement.opening_date,
                    "closing_balance_cents": statement.closing_balance_cents,
                    "closing_date": statement.closing_date,
                    "file_sha256": sha256,
                    "imported_by": acting_user,
                },
            )
            stored.append(record)
            for key, line in zip(line_keys(statement), statement.lines, strict=True):
                _, created = BankLine.objects.get_or_create(
                    cooperative=cooperative,
                    key=key,
                    defaults={
                        "statement": record,
                        "position": line.position,
                        "booking_date": line.booking_date,
                        "value_date": line.value_date,
                        "amount_cents": line.amount_cents,
                        "counterparty_name": line.counterparty_name[:200],
                        "counterparty_iban": line.counterparty_iban[:34],
                        "remittance": line.remittance[:500],
                        "end_to_end_id": line.end_to_end_id[:100],
                        "entry_reference": line.entry_reference[:100],
                        "is_return": line.is_return,
                        "return_reason": line.return_reason[:35],
                        "bank_transaction_code": line.bank_transaction_code[:35],
                    },
                )
                new += created
                known += not created
        audit_log(
            actor=acting_user,
            action="bank_statement_imported",
            obj=stored[0],
            data={
                "sha256": sha256,
                "statements": [s.pk for s in stored],
                "new_lines": new,
                "known_lines": known,
            },
        )
    matched = 0
    for cooperative in {s.cooperative for s in stored}:
        matched += matching.match_open_lines(cooperative=cooperative, actor=acting_user)
    return ImportResult(statements=stored, new_lines=new, known_lines=known, matched=matched)


def _locked_line(line: BankLine, user: User) -> BankLine:
    line = BankLine.objects.select_for_update().select_related("cooperative").get(pk=line.pk)
    if not user_has_cooperative_role(
        user=user, role=Membership.Role.TREASURER, cooperative=line.cooperative
    ):
        raise errors.NotTreasurer()
    if line.match not in (BankLine.Match.UNMATCHED, BankLine.Match.IGNORED):
        raise errors.LineHandled(extra={"match": line.match})
    return line


def line_book(
    *,
    line: BankLine,
    acting_user: User,
    account: str,
    fund: Fund | None = None,
    description: str = "",
) -> BankLine:
    """The treasurer books a line no rule matched: into a fund as a deposit of the income
    account's source (the same booking, and key, as ``funds/{id}/deposits/`` with the bank's
    reference), or against an income or expense account of the cooperative's books."""
    with transaction.atomic():
        line = _locked_line(line, acting_user)
        target = Account.objects.filter(code=account, active=True).first()
        reference = matching.line_reference(line)
        if fund is not None:
            if fund.cooperative_id != line.cooperative_id:
                raise errors.FundNotYours(extra={"field": "fund"})
            if line.amount_cents <= 0 or target is None or not target.source:
                raise errors.AccountNotBookable(extra={"field": "account"})
            entry = fund_deposit(
                fund=fund,
                amount_cents=line.amount_cents,
                source=target.source,
                reference=reference,
                acting_user=acting_user,
            )
            line.match, line.fund = BankLine.Match.DEPOSIT, fund
        else:
            if target is None or not (
                target.type in HAND_BOOKABLE_TYPES or target.code in HAND_BOOKABLE_CODES
            ):
                raise errors.AccountNotBookable(extra={"field": "account"})
            project = cooperative_project(cooperative=line.cooperative)
            amount = abs(line.amount_cents)
            bank_side, other_side = (D, C) if line.amount_cents > 0 else (C, D)
            entry = entry_post(
                lines=[
                    Line(chart.BANK, bank_side, amount, project=project),
                    Line(target.code, other_side, amount, project=project),
                ],
                idempotency_key=f"bank:{line.cooperative_id}:{line.key}",
                kind=Kind.MANUAL,
                description=(description or line.remittance or line.counterparty_name)[:500],
                on=line.booking_date,
                actor_id=acting_user.pk,
            )
            line.match = BankLine.Match.MANUAL
        line.entry, line.note = entry, description[:500]
        line.handled_by, line.handled_at = acting_user, timezone.now()
        line.save(update_fields=BankLine.HANDLING_FIELDS)
        audit_log(
            actor=acting_user,
            action="bank_line_booked",
            obj=line,
            data={"account": account, "fund": fund.pk if fund else None, "entry": entry.pk},
        )
    return line


def line_ignore(*, line: BankLine, acting_user: User, reason: str) -> BankLine:
    """The treasurer sets a line aside with a reason (say, a transfer between the
    cooperative's own accounts); reconciliation still lists it."""
    with transaction.atomic():
        line = _locked_line(line, acting_user)
        line.match, line.note = BankLine.Match.IGNORED, reason[:500]
        line.handled_by, line.handled_at = acting_user, timezone.now()
        line.save(update_fields=BankLine.HANDLING_FIELDS)
        audit_log(actor=acting_user, action="bank_line_ignored", obj=line, data={"reason": reason})
    return line
