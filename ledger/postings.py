"""The money events of ledger/chart.py, each one entry posted through :func:`entry_post`.

Callers (grants, payments) name the event, the earmark and an idempotency key
derived from the cause, e.g. ``application:12:submit``::

    post_event(APPLICATION_EVENTS["payout"], earmark=app, amount_cents=40_000,
               idempotency_key="application:12:pay")

Deposits and reservations have functions of their own: a deposit names its
income source, a reservation must first lock the pot.
"""

from __future__ import annotations

from datetime import date as Date
from typing import NamedTuple

from django.db import transaction

from . import chart
from .errors import InsufficientFunds, LedgerError
from .models import Earmark, JournalEntry
from .selectors import pot_available_cents
from .services import C, D, Kind, Line, entry_post

# Placeholders in the tables below, resolved per pot kind (Buurtfonds or innovation).
POT, RESERVED = "pot", "reserved"


class Event(NamedTuple):
    """A money event: its journal kind, (debit, credit) pairs, and a default description."""

    kind: str
    pairs: tuple[tuple[str, str], ...]
    description: str


APPLICATION_EVENTS: dict[str, Event] = {
    "reservation": Event(Kind.RESERVATION, ((POT, RESERVED),), "Reservering"),
    "release": Event(Kind.RELEASE, ((RESERVED, POT),), "Vrijgave reservering"),
    "commitment": Event(
        Kind.COMMITMENT,
        ((chart.GRANTS, chart.GRANTS_PAYABLE), (RESERVED, chart.WITHDRAWAL_FROM_FUNDS)),
        "Toekenning",
    ),
    "cancellation": Event(
        Kind.CANCELLATION,
        ((chart.GRANTS_PAYABLE, chart.GRANTS), (chart.WITHDRAWAL_FROM_FUNDS, POT)),
        "Intrekking toekenning",
    ),
    "payout": Event(Kind.PAYOUT, ((chart.GRANTS_PAYABLE, chart.BANK),), "Uitbetaling"),
    # Crowdfunding received for the application goes on to the project with its grant.
    "topup_payout": Event(
        Kind.TOPUP_PAYOUT, ((chart.GRANTS, chart.BANK),), "Uitbetaling aanvullingen"
    ),
    # The report claims the unspent money; only its arrival puts it back in the pot.
    "unspent_claim": Event(
        Kind.UNSPENT_CLAIM,
        ((chart.GRANT_REFUNDS_RECEIVABLE, chart.GRANTS),),
        "Terug te ontvangen bijdrage",
    ),
    "unspent_return": Event(
        Kind.UNSPENT_RETURN,
        ((chart.BANK, chart.GRANT_REFUNDS_RECEIVABLE), (chart.WITHDRAWAL_FROM_FUNDS, POT)),
        "Niet bestede bijdrage terug ontvangen",
    ),
    "write_off": Event(
        Kind.WRITE_OFF,
        ((chart.BAD_DEBTS, chart.GRANT_REFUNDS_RECEIVABLE),),
        "Afschrijving terugvordering",
    ),
}
_CROWDFUNDING = chart.INCOME_BY_SOURCE["crowdfunding"]
_CLEARING = chart.PROCESSOR_CLEARING
PROCESSOR_EVENTS: dict[str, Event] = {
    "crowdfunding": Event(Kind.CROWDFUNDING, ((_CLEARING, _CROWDFUNDING),), "Crowdfunding"),
    "processor_fee": Event(
        Kind.PROCESSOR_FEE, ((chart.PAYMENT_FEES, _CLEARING),), "Betalingskosten"
    ),
    "refund": Event(Kind.REFUND, ((_CROWDFUNDING, _CLEARING),), "Terugbetaling"),
    "processor_payout": Event(
        Kind.PROCESSOR_PAYOUT, ((chart.BANK, _CLEARING),), "Uitbetaling Stripe"
    ),
}


def _pot_accounts(earmark: Earmark | None) -> dict[str, str]:
    if earmark is None:
        return {}
    try:
        pot_account, reserved = chart.POT_ACCOUNTS[earmark.pot.kind]
    except KeyError:
        raise LedgerError(extra={"earmark": earmark.ref}) from None
    return {POT: pot_account, RESERVED: reserved}


def _lines(event: Event, amount_cents: int, earmark: Earmark | None) -> list[Line]:
    names = _pot_accounts(earmark) if any(POT in p or RESERVED in p for p in event.pairs) else {}
    project = earmark.pot.project if earmark is not None else None
    lines: list[Line] = []
    for debit, credit in event.pairs:
        lines.append(
            Line(names.get(debit, debit), D, amount_cents, earmark=earmark, project=project)
        )
        lines.append(
            Line(names.get(credit, credit), C, amount_cents, earmark=earmark, project=project)
        )
    return lines


def post_event(
    event: Event,
    *,
    earmark: Earmark | None,
    amount_cents: int,
    idempotency_key: str,
    description: str | None = None,
    actor_id: int | None = None,
    on: Date | None = None,
) -> JournalEntry:
    """Post one money event of the tables above for an earmark (an application, mostly)."""
    if description is None:
        description = f"{event.description} {earmark.name}" if earmark else event.description
    return entry_post(
        lines=_lines(event, amount_cents, earmark),
        idempotency_key=idempotency_key,
        kind=event.kind,
        description=description,
        actor_id=actor_id,
        on=on,
    )


def post_income(
    *,
    source: str,
    amount_cents: int,
    idempotency_key: str,
    description: str,
    project_earmark: Earmark | None = None,
    on: Date | None = None,
    actor_id: int | None = None,
) -> JournalEntry:
    """Income not put in a pot: the subsidy, membership fees, sponsoring, donations..."""
    income = chart.INCOME_BY_SOURCE.get(source)
    if income is None:
        raise LedgerError(extra={"source": source})
    event = Event(Kind.INCOME, ((chart.BANK, income),), description)
    return post_event(
        event,
        earmark=project_earmark,
        amount_cents=amount_cents,
        idempotency_key=idempotency_key,
        description=description,
        actor_id=actor_id,
        on=on,
    )


def post_deposit(
    *,
    pot: Earmark,
    amount_cents: int,
    source: str,
    idempotency_key: str,
    description: str,
    on: Date | None = None,
    actor_id: int | None = None,
) -> JournalEntry:
    """Money into a fund's pot: income of its source, set aside in the bestemmingsfonds."""
    income = chart.INCOME_BY_SOURCE.get(source)
    if income is None:
        raise LedgerError(extra={"source": source})
    event = Event(Kind.DEPOSIT, ((chart.BANK, income), (chart.ADDITION_TO_FUNDS, POT)), description)
    return post_event(
        event,
        earmark=pot,
        amount_cents=amount_cents,
        idempotency_key=idempotency_key,
        description=description,
        actor_id=actor_id,
        on=on,
    )


def post_reservation(
    *,
    application: Earmark,
    amount_cents: int,
    idempotency_key: str,
    actor_id: int | None = None,
    on: Date | None = None,
) -> JournalEntry:
    """Reserve money in the pot for an application, like a pending transfer.

    The pot's row is locked first, so two reservations never take the same euro.
    Raises :class:`InsufficientFunds` when the pot does not hold the amount.
    """
    pot = application.pot
    with transaction.atomic():
        Earmark.objects.select_for_update().filter(pk=pot.pk).first()
        done = JournalEntry.objects.filter(idempotency_key=idempotency_key).exists()
        if not done:
            available = pot_available_cents(pot)
            if available < amount_cents:
                raise InsufficientFunds(extra={"available_cents": available})
        return post_event(
            APPLICATION_EVENTS["reservation"],
            earmark=application,
            amount_cents=amount_cents,
            idempotency_key=idempotency_key,
            actor_id=actor_id,
            on=on,
        )


def post_crowdfunding(
    *,
    earmark: Earmark,
    amount_cents: int,
    fee_cents: int,
    idempotency_key: str,
    description: str,
) -> JournalEntry:
    """A succeeded card or iDEAL payment: the processor's clearing account gets the amount
    net of its fee, the fee is an expense, and the whole amount is crowdfunding income
    earmarked for the application (an own source of its contribution)."""
    if not 0 <= fee_cents <= amount_cents:
        raise LedgerError(extra={"fee_cents": fee_cents})
    project = earmark.pot.project
    lines = [Line(_CROWDFUNDING, C, amount_cents, earmark=earmark, project=project)]
    if amount_cents - fee_cents:
        lines.append(Line(_CLEARING, D, amount_cents - fee_cents, earmark=earmark, project=project))
    if fee_cents:
        lines.append(Line(chart.PAYMENT_FEES, D, fee_cents, earmark=earmark, project=project))
    return entry_post(
        lines=lines,
        idempotency_key=idempotency_key,
        kind=Kind.CROWDFUNDING,
        description=description,
    )
