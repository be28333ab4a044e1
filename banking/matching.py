"""Matching bank lines to what the books expect, one rule after another:

1. a credit with the bank's return information (camt RtrInf or a return code, a reversal,
   MT940 /RTRN/) for one of our payouts, by its end-to-end id (or reference and IBAN): that
   payout came back (:func:`grants.payouts.payout_item_returned`);
2. a debit of an exported payout, by end-to-end id (CAMT.053), or by the amount, the payee's
   IBAN and ``BUURTFONDS <id>`` in the text (MT940 has no end-to-end id): paid (or, when the
   treasurer confirmed the batch already, linked to it); a debit of a grant paid one-off, by
   ``BUURTFONDS <id>`` and the amount: linked;
3. a credit with ``BUURTFONDS <id> TERUG``: unspent money returned;
4. a credit with ``BUURTFONDS <id> EIGEN``: the applicant's own contribution received;
5. a credit whose bank reference or text is that of a deposit booked already, of the same
   amount and not linked to another line: that deposit;
6. a credit from Stripe (the account holder's name), up to what the clearing account holds:
   a payout of the Stripe balance to the bank.

Whatever no rule matches stays for the treasurer. A rule that finds its object but is refused
by the domain (more than is owed, say) leaves the line unmatched with the refusal's code.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.db import transaction
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from backend.errors import DomainError
from community.models import Cooperative, User
from grants import payouts
from grants.models import Application, Fund, PayoutBatch, PayoutItem
from grants.services import (
    application_own_contribution_book,
    application_return_book,
    bank_reference_key,
    cooperative_project,
)
from ledger import chart
from ledger.models import JournalEntry, JournalLine
from ledger.selectors import SIGNED
from ledger.services import C, D, Kind, Line, entry_post

from .models import BankLine

REFERENCE = re.compile(r"\bBUURTFONDS[\s\-]*(\d{1,10})(?:[\s\-]+(TERUG|EIGEN))?\b", re.IGNORECASE)


def references(*texts: str) -> list[tuple[int, str]]:
    """``BUURTFONDS <id>`` references in the texts: (application id, "", "TERUG" or "EIGEN")."""
    found = []
    for text in texts:
        for match in REFERENCE.finditer(text or ""):
            found.append((int(match.group(1)), (match.group(2) or "").upper()))
    return found


def line_reference(line: BankLine) -> str:
    """The reference a booking from this line is keyed by: the bank's entry reference (what
    a treasurer types when booking it by hand), unless other lines share it (a batch
    booking), then the line's own key."""
    if line.entry_reference and line.key == f"ref:{line.entry_reference[:100]}":
        return line.entry_reference
    return line.key


def _applications(line: BankLine) -> Q:
    """Applications whose money may come to this account: the cooperative's own, and those of
    member cooperatives without an account of their own (they use the city's)."""
    cooperative = line.cooperative_id
    return Q(fund__cooperative_id=cooperative) | Q(
        fund__cooperative__parent_id=cooperative, fund__cooperative__iban=""
    )


def _item_by_reference(line: BankLine, items: QuerySet[PayoutItem]) -> PayoutItem | None:
    if line.end_to_end_id:
        item = items.filter(end_to_end_id__iexact=line.end_to_end_id).order_by("-pk").first()
        if item is not None:
            return item
    ids = [pk for pk, kind in references(line.remittance, line.end_to_end_id) if not kind]
    if ids and line.counterparty_iban:
        return (
            items.filter(application_id__in=ids, payee_iban=line.counterparty_iban)
            .order_by("-pk")
            .first()
        )
    return None


def _payout_returned(line: BankLine, actor: User) -> bool:
    # Only the bank's own return information counts: anyone can send money to the account
    # with our end-to-end id in it, and that must not undo a payment.
    if line.amount_cents <= 0 or not line.is_return:
        return False
    items = PayoutItem.objects.filter(
        status__in=(PayoutItem.Status.PENDING, PayoutItem.Status.PAID),
        batch__cooperative_id=line.cooperative_id,
        batch__status__in=(PayoutBatch.Status.EXPORTED, PayoutBatch.Status.CONFIRMED),
    )
    item = _item_by_reference(line, items)
    if item is None or item.amount_cents != line.amount_cents:
        return False
    if line.counterparty_iban and line.counterparty_iban != item.payee_iban:
        return False
    if not payouts.payout_item_returned(
        item=item, actor=actor, reason=line.return_reason or "RETURNED", on=line.booking_date
    ):
        return False  # reported meanwhile: the treasurer books it by hand
    line.match, line.payout_item, line.application_id = (
        BankLine.Match.PAYOUT_RETURN,
        item,
        item.application_id,
    )
    return True


def _payout_paid(line: BankLine, actor: User) -> bool:
    """A debit of a payout: booked as paid now, or linked to the payout the treasurer
    confirmed already (nothing is booked twice)."""
    if line.amount_cents >= 0 or line.is_return:
        return False
    items = PayoutItem.objects.filter(
        status__in=(PayoutItem.Status.PENDING, PayoutItem.Status.PAID),
        batch__cooperative_id=line.cooperative_id,
        batch__status__in=(PayoutBatch.Status.EXPORTED, PayoutBatch.Status.CONFIRMED),
    ).exclude(bank_lines__match=BankLine.Match.PAYOUT)
    item = _item_by_reference(line, items)
    if item is None or item.amount_cents != -line.amount_cents:
        return False
    if item.status == PayoutItem.Status.PENDING and not payouts.payout_item_paid(
        item=item, actor=actor, on=line.booking_date, source=f"bank line {line.pk}"
    ):
        return False
    line.match, line.payout_item, line.application_id = (
        BankLine.Match.PAYOUT,
        item,
        item.application_id,
    )
    return True


def _one_off_payout(line: BankLine, actor: User) -> bool:
    """A debit of a grant the treasurer paid one-off (``pay``), by ``BUURTFONDS <id>`` in the
    text and the amount paid (the grant, or the grant with its top-ups): linked, not booked."""
    if line.amount_cents >= 0 or line.is_return:
        return False
    ids = [pk for pk, kind in references(line.remittance, line.end_to_end_id) if not kind]
    for application in Application.objects.filter(_applications(line), pk__in=ids[:5]):
        paid = JournalEntry.objects.filter(
            idempotency_key=f"application:{application.pk}:pay"
        ).first()
        if paid is None or BankLine.objects.filter(entry=paid).exists():
            continue
        grant = application.amount_requested_cents
        topups = sum(
            ln.amount_cents
            for ln in JournalLine.objects.filter(
                entry__idempotency_key__startswith=f"application:{application.pk}:topups-paid:",
                account__code=chart.BANK,
                entry__date=paid.date,
            )
        )
        if -line.amount_cents in (grant, grant + topups):
            line.match, line.application, line.entry = BankLine.Match.PAYOUT, application, paid
            return True
    return False


def _referenced_application(line: BankLine, kind: str) -> Application | None:
    if line.amount_cents <= 0 or line.is_return:
        return None
    ids = [pk for pk, k in references(line.remittance) if k == kind]
    if not ids:
        return None
    return Application.objects.filter(_applications(line), pk=ids[0]).first()


# Credits that name an application: the word after its id, what it is, how it is booked,
# and the prefix of the booking's key (the services key by the bank's reference).
BY_REFERENCE: dict[str, tuple[str, Callable[..., object], str, dict[str, str]]] = {
    "TERUG": (BankLine.Match.REPAYMENT, application_return_book, "return", {}),
    "EIGEN": (
        BankLine.Match.OWN_CONTRIBUTION,
        application_own_contribution_book,
        "own",
        {"source": "participants"},
    ),
}


def _booked_by_reference(line: BankLine, actor: User, word: str) -> bool:
    application = _referenced_application(line, word)
    if application is None:
        return False
    match, book, prefix, extra = BY_REFERENCE[word]
    reference = line_reference(line)
    book(
        application=application,
        acting_user=actor,
        amount_cents=line.amount_cents,
        reference=reference,
        on=line.booking_date,
        **extra,
    )
    key = f"{prefix}:{application.fund.cooperative_id}:{bank_reference_key(reference)}"
    line.match, line.application = match, application
    line.entry = JournalEntry.objects.filter(idempotency_key=key).first()
    return True


def _repayment(line: BankLine, actor: User) -> bool:
    return _booked_by_reference(line, actor, "TERUG")


def _own_contribution(line: BankLine, actor: User) -> bool:
    return _booked_by_reference(line, actor, "EIGEN")


def _deposit(line: BankLine, actor: User) -> bool:
    if line.amount_cents <= 0 or line.is_return:
        return False
    refs = {r for r in (line.entry_reference, line.remittance.strip()) if r}
    funds = Fund.objects.filter(cooperative_id=line.cooperative_id).values_list("pk", flat=True)
    keys = [f"fund:{fund}:deposit:{ref}" for fund in funds for ref in refs]
    # The deposit of this amount that no other line is linked to (a stranger who copies the
    # reference into a transfer of their own takes nobody's place: amounts differ, or the
    # real transfer is linked first and the copy stays for the treasurer).
    entry = (
        JournalEntry.objects.filter(
            idempotency_key__in=keys,
            lines__account__code=chart.BANK,
            lines__side=JournalLine.Side.DEBIT,
            lines__amount_cents=line.amount_cents,
        )
        .exclude(pk__in=BankLine.objects.filter(entry__isnull=False).values("entry"))
        .first()
    )
    if entry is None:
        return False
    fund_id = int(entry.idempotency_key.split(":")[1])
    line.match, line.fund_id, line.entry = BankLine.Match.DEPOSIT, fund_id, entry
    return True


def _processor_payout(line: BankLine, actor: User) -> bool:
    """A credit from Stripe (the account holder the bank names, which a sender cannot type
    into a remittance), never more than the Stripe clearing account holds for the
    statement's cooperative."""
    if line.amount_cents <= 0 or line.is_return:
        return False
    if "stripe" not in line.counterparty_name.casefold():
        return False
    # What Stripe holds for this cooperative's top-ups: another cooperative's money at Stripe
    # is not this one's, whatever the amounts.
    project = cooperative_project(cooperative=line.cooperative)
    clearing = JournalLine.objects.filter(
        account__code=chart.PROCESSOR_CLEARING, project=project
    ).aggregate(total=Coalesce(Sum(SIGNED), 0))["total"]
    if line.amount_cents > clearing:
        return False
    line.entry = entry_post(
        lines=[
            Line(chart.BANK, D, line.amount_cents, project=project),
            Line(chart.PROCESSOR_CLEARING, C, line.amount_cents, project=project),
        ],
        idempotency_key=f"bank:{line.cooperative_id}:{line.key}",
        kind=Kind.PROCESSOR_PAYOUT,
        description=f"Uitbetaling Stripe {line.remittance}"[:500],
        on=line.booking_date,
        actor_id=actor.pk,
    )
    line.match = BankLine.Match.PROCESSOR_PAYOUT
    return True


RULES: tuple[Callable[[BankLine, User], bool], ...] = (
    _payout_returned,
    _payout_paid,
    _one_off_payout,
    _repayment,
    _own_contribution,
    _deposit,
    _processor_payout,
)


def line_match(*, line: BankLine, actor: User) -> str:
    """Match one line by the rules above, in its own transaction; returns what it matched."""
    try:
        with transaction.atomic():
            line = (
                BankLine.objects.select_for_update().select_related("cooperative").get(pk=line.pk)
            )
            if line.match != BankLine.Match.UNMATCHED:
                return line.match
            for rule in RULES:
                if rule(line, actor):
                    line.note, line.handled_at = "", timezone.now()
                    line.save(update_fields=BankLine.HANDLING_FIELDS)
                    return line.match
    except DomainError as exc:
        BankLine.objects.filter(pk=line.pk, match=BankLine.Match.UNMATCHED).update(
            note=f"{exc.code}"
        )
    return BankLine.Match.UNMATCHED


def match_open_lines(*, cooperative: Cooperative, actor: User) -> int:
    """Try every unmatched line of the cooperative, in the order the bank booked them;
    returns how many matched."""
    lines = BankLine.objects.filter(
        cooperative=cooperative, match=BankLine.Match.UNMATCHED
    ).order_by("booking_date", "statement_id", "position", "pk")
    return sum(line_match(line=line, actor=actor) != BankLine.Match.UNMATCHED for line in lines)
