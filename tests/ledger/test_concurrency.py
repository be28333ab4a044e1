"""Races on PostgreSQL with real transactions: no euro reserved twice, no entry posted twice."""

import pytest

from ledger import postings
from ledger.errors import InsufficientFunds
from ledger.models import JournalEntry, JournalLine
from ledger.selectors import pot_balance, trial_balance
from ledger.services import Line, entry_post
from tests.concurrency import run_in_parallel
from tests.ledger.factories import application, pot

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_32_parallel_reservations_on_a_pot_that_holds_10():
    fund = pot()
    postings.post_deposit(
        pot=fund, amount_cents=10 * 25_000, source="subsidy", idempotency_key="dep", description="d"
    )
    apps = [application(fund) for _ in range(32)]
    results = run_in_parallel(
        [
            (
                lambda a=a: postings.post_reservation(
                    application=a, amount_cents=25_000, idempotency_key=f"{a.ref}:submit"
                )
            )
            for a in apps
        ]
    )
    won = [r for r in results if isinstance(r, JournalEntry)]
    lost = [r for r in results if isinstance(r, InsufficientFunds)]
    assert len(won) == 10 and len(lost) == 22, results
    balance = pot_balance(fund)
    assert balance.reserved_cents == 250_000
    assert balance.available_cents == 0
    assert sum(r.balance_cents for r in trial_balance(year=won[0].fiscal_year)) == 0


def test_16_parallel_posts_of_one_cause_write_one_entry():
    lines = [Line("1000", "D", 1_234), Line("8100", "C", 1_234)]
    results = run_in_parallel(
        [
            (
                lambda: entry_post(
                    lines=lines,
                    idempotency_key="contributie:2026:42",
                    kind="income",
                    description="c",
                )
            )
            for _ in range(16)
        ]
    )
    assert all(isinstance(r, JournalEntry) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert JournalEntry.objects.count() == 1
    assert JournalLine.objects.count() == 2
