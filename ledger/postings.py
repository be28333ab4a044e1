"""The money events of ledger/chart.py, each one entry posted through :func:`entry_post`.

Callers (grants, payments) pass the earmark and an idempotency key derived
from the cause, e.g. ``application:12:submit``.
"""

from __future__ import annotations

from datetime import date as Date

from django.db import transaction

from . import chart
from .errors import InsufficientFunds, LedgerError
from .models import Earmark, JournalEntry
from .selectors import pot_available_cents
from .services import C, D, Kind, Line, entry_post


def _accounts_of(pot: Earmark) -> tuple[str, str]:
    try:
        return chart.POT_ACCOUNTS[pot.kind]
    except KeyError:
        raise LedgerError(extra={"earmark": pot.ref}) from None


def _pair(debit: str, credit: str, amount: int, earmark: Earmark | None) -> list[Line]:
    project = earmark.pot.project if earmark is not None else None
    return [
        Line(debit, D, amount, earmark=earmark, project=project),
        Line(credit, C, amount, earmark=earmark, project=project),
    ]


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
    return entry_post(
        lines=_pair(chart.BANK, income, amount_cents, project_earmark),
        idempotency_key=idempotency_key,
        kind=Kind.INCOME,
        description=description,
        on=on,
        actor_id=actor_id,
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
    pot_account, _reserved = _accounts_of(pot)
    return entry_post(
        lines=_pair(chart.BANK, income, amount_cents, pot)
        + _pair(chart.ADDITION_TO_FUNDS, pot_account, amount_cents, pot),
        idempotency_key=idempotency_key,
        kind=Kind.DEPOSIT,
        description=description,
        on=on,
        actor_id=actor_id,
    )


def post_reservation(
    *, application: Earmark, amount_cents: int, idempotency_key: str, actor_id: int | None = None
) -> JournalEntry:
    """Reserve money in the pot for an application, like a pending transfer.

    The pot's row is locked first, so two reservations never take the same euro.
    Raises :class:`InsufficientFunds` when the pot does not hold the amount.
    """
    pot = application.pot
    pot_account, reserved = _accounts_of(pot)
    with transaction.atomic():
        Earmark.objects.select_for_update().filter(pk=pot.pk).first()
        done = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
        if done is None and pot_available_cents(pot) < amount_cents:
            raise InsufficientFunds(extra={"available_cents": pot_available_cents(pot)})
        return entry_post(
            lines=_pair(pot_account, reserved, amount_cents, application),
            idempotency_key=idempotency_key,
            kind=Kind.RESERVATION,
            description=f"Reservering {application.name}",
            actor_id=actor_id,
        )


def _application_event(
    kind: str,
    lines_for: tuple[tuple[str, str], ...],
    *,
    application: Earmark,
    amount_cents: int,
    idempotency_key: str,
    description: str,
    actor_id: int | None,
) -> JournalEntry:
    pot_account, reserved = _accounts_of(application.pot)
    names = {"pot": pot_account, "reserved": reserved}
    lines: list[Line] = []
    for debit, credit in lines_for:
        lines += _pair(
            names.get(debit, debit), names.get(credit, credit), amount_cents, application
        )
    return entry_post(
        lines=lines,
        idempotency_key=idempotency_key,
        kind=kind,
        description=f"{description} {application.name}",
        actor_id=actor_id,
    )


def post_release(
    *, application: Earmark, amount_cents: int, idempotency_key: str, actor_id: int | None = None
) -> JournalEntry:
    """A rejected or withdrawn application gives its reservation back to the pot."""
    return _application_event(
        Kind.RELEASE,
        (("reserved", "pot"),),
        application=application,
        amount_cents=amount_cents,
        idempotency_key=idempotency_key,
        description="Vrijgave reservering",
        actor_id=actor_id,
    )


def post_commitment(
    *, application: Earmark, amount_cents: int, idempotency_key: str, actor_id: int | None = None
) -> JournalEntry:
    """An approved application: the reservation becomes a grant payable."""
    return _application_event(
        Kind.COMMITMENT,
        ((chart.GRANTS, chart.GRANTS_PAYABLE), ("reserved", chart.WITHDRAWAL_FROM_FUNDS)),
        application=application,
        amount_cents=amount_cents,
        idempotency_key=idempotency_key,
        description="Toekenning",
        actor_id=actor_id,
    )


def post_cancellation(
    *, application: Earmark, amount_cents: int, idempotency_key: str, actor_id: int | None = None
) -> JournalEntry:
    """A commitment cancelled before payout: the money goes back to the pot."""
    return _application_event(
        Kind.CANCELLATION,
        ((chart.GRANTS_PAYABLE, chart.GRANTS), (chart.WITHDRAWAL_FROM_FUNDS, "pot")),
        application=application,
        amount_cents=amount_cents,
        idempotency_key=idempotency_key,
        description="Intrekking toekenning",
        actor_id=actor_id,
    )


def post_payout(
    *, application: Earmark, amount_cents: int, idempotency_key: str, actor_id: int | None = None
) -> JournalEntry:
    """The grant paid from the bank to the applicant."""
    return _application_event(
        Kind.PAYOUT,
        ((chart.GRANTS_PAYABLE, chart.BANK),),
        application=application,
        amount_cents=amount_cents,
        idempotency_key=idempotency_key,
        description="Uitbetaling",
        actor_id=actor_id,
    )


def post_unspent_return(
    *, application: Earmark, amount_cents: int, idempotency_key: str, actor_id: int | None = None
) -> JournalEntry:
    """Money paid but not spent: owed back by the applicant, and back in the pot."""
    return _application_event(
        Kind.UNSPENT_RETURN,
        ((chart.GRANT_REFUNDS_RECEIVABLE, chart.GRANTS), (chart.WITHDRAWAL_FROM_FUNDS, "pot")),
        application=application,
        amount_cents=amount_cents,
        idempotency_key=idempotency_key,
        description="Niet bestede bijdrage terug",
        actor_id=actor_id,
    )


def post_crowdfunding(
    *, earmark: Earmark, amount_cents: int, idempotency_key: str, description: str
) -> JournalEntry:
    """A crowdfunding top-up received through the payment processor."""
    return entry_post(
        lines=_pair(
            chart.PROCESSOR_CLEARING, chart.INCOME_BY_SOURCE["crowdfunding"], amount_cents, earmark
        ),
        idempotency_key=idempotency_key,
        kind=Kind.CROWDFUNDING,
        description=description,
    )


def post_processor_fee(
    *, earmark: Earmark | None, amount_cents: int, idempotency_key: str, description: str
) -> JournalEntry:
    """The payment processor's fee, taken from the clearing account."""
    return entry_post(
        lines=_pair(chart.PAYMENT_FEES, chart.PROCESSOR_CLEARING, amount_cents, earmark),
        idempotency_key=idempotency_key,
        kind=Kind.PROCESSOR_FEE,
        description=description,
    )


def post_refund(
    *, earmark: Earmark, amount_cents: int, idempotency_key: str, description: str
) -> JournalEntry:
    """A crowdfunding payment given back to the payer."""
    return entry_post(
        lines=_pair(
            chart.INCOME_BY_SOURCE["crowdfunding"], chart.PROCESSOR_CLEARING, amount_cents, earmark
        ),
        idempotency_key=idempotency_key,
        kind=Kind.REFUND,
        description=description,
    )


def post_processor_payout(
    *, amount_cents: int, idempotency_key: str, description: str
) -> JournalEntry:
    """The payment processor transfers its balance to the bank."""
    return entry_post(
        lines=_pair(chart.BANK, chart.PROCESSOR_CLEARING, amount_cents, None),
        idempotency_key=idempotency_key,
        kind=Kind.PROCESSOR_PAYOUT,
        description=description,
    )
