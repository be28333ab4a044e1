"""What must always hold in the books and the votes; ``manage.py check_invariants`` runs it
(at the end of CI, and after a restore). Each breach is a sentence a person can act on."""

from __future__ import annotations

from django.db.models import Sum

from grants.models import Application, Fund
from ledger.models import JournalEntry, JournalLine
from ledger.selectors import SIGNED, earmark_balance, pot_balance

from .selectors import tallies, tally_disagreements

RESERVED = (Application.Status.VOTING,)
PAYABLE = (Application.Status.APPROVED, Application.Status.ALLOCATED)


def unbalanced_entries() -> list[str]:
    rows = (
        JournalLine.objects.values("entry_id")
        .annotate(total=Sum(SIGNED))
        .exclude(total=0)
        .values_list("entry_id", "total")
    )
    return [
        f"journal entry {pk} does not balance (debit minus credit {total})" for pk, total in rows
    ]


def entries_without_lines() -> list[str]:
    empty = JournalEntry.objects.filter(lines__isnull=True).values_list("pk", flat=True)
    return [f"journal entry {pk} has no lines" for pk in empty]


def fund_breaches() -> list[str]:
    """Each fund's pot holds no less than nothing, and each application's money stands where
    its status says: reserved while the neighbours vote, payable once granted and unpaid,
    neither otherwise."""
    found = []
    for fund in Fund.objects.select_related("earmark"):
        available = pot_balance(fund.earmark).available_cents
        if available < 0:
            found.append(f"fund {fund.pk} ({fund.name}) holds {available} cents: below zero")
    applications = Application.objects.select_related("earmark__parent").exclude(
        status=Application.Status.DRAFT
    )
    for application in applications.iterator(chunk_size=500):
        balance = earmark_balance(application.earmark)
        amount = application.amount_requested_cents
        reserved = amount if application.status in RESERVED else 0
        payable = amount if application.status in PAYABLE else 0
        if (balance.reserved_cents, balance.committed_cents) != (reserved, payable):
            found.append(
                f"application {application.pk} ({application.status}): reserved "
                f"{balance.reserved_cents} and payable {balance.committed_cents} cents in the "
                f"books, expected {reserved} and {payable}"
            )
    return found


def ballot_breaches() -> list[str]:
    """Every participation's sealed choice opens, and every decided tally equals its
    opened seals."""
    found = [
        f"application {d.application_id}: decided on {d.stored.yes} yes and {d.stored.no} "
        f"no, the seals say {d.sealed.yes} yes and {d.sealed.no} no "
        f"({d.sealed.unreadable} do not open)"
        for d in tally_disagreements()
    ]
    voting = Application.objects.filter(status=Application.Status.VOTING).values_list(
        "pk", flat=True
    )
    for pk, tally in tallies(voting).items():
        if tally.unreadable:
            found.append(f"application {pk}: {tally.unreadable} sealed ballots do not open")
    return found


def breaches() -> list[str]:
    return [
        *unbalanced_entries(),
        *entries_without_lines(),
        *fund_breaches(),
        *ballot_breaches(),
    ]


__all__ = ["breaches"]
