"""Races on PostgreSQL with real transactions: no euro reserved twice, no entry posted twice,
nothing posted into a month after its close."""

import threading
from datetime import date

import pytest
from django.db import connections, transaction

from ledger import postings
from ledger.errors import InsufficientFunds, PeriodClosed
from ledger.models import JournalEntry, JournalLine
from ledger.selectors import pot_balance, trial_balance
from ledger.services import Line, entry_post, period_close
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


JANUARY = date(2025, 1, 15)


def _in_thread(call, entered: threading.Event, hold: threading.Event | None = None) -> dict:
    """Run ``call`` in a transaction on another connection; set ``entered`` once it has
    returned, and keep the transaction open until ``hold`` is set (if given)."""
    outcome: dict = {}

    def worker() -> None:
        try:
            with transaction.atomic():
                outcome["result"] = call()
                entered.set()
                if hold is not None:
                    hold.wait(10)
        except Exception as exc:  # noqa: BLE001  (the test inspects it)
            outcome["result"] = exc
        finally:
            entered.set()
            outcome["done"] = True
            connections.close_all()

    thread = threading.Thread(target=worker)
    thread.start()
    outcome["thread"] = thread
    return outcome


def _post_in_january(key: str):
    lines = [Line("1000", "D", 700), Line("8100", "C", 700)]
    return entry_post(lines=lines, idempotency_key=key, kind="income", description="j", on=JANUARY)


def test_a_posting_that_waits_for_a_close_of_its_month_is_refused():
    """The close holds its month; a posting into it waits, then sees the month closed."""
    release, closed = threading.Event(), threading.Event()
    closer = _in_thread(lambda: period_close(year=2025, month=1, actor_id=None), closed, release)
    assert closed.wait(10)
    posted = threading.Event()
    poster = _in_thread(lambda: _post_in_january("late"), posted)
    assert not posted.wait(0.5), "the posting did not wait for the close"
    entry_post(  # another month is not held up by the close
        lines=[Line("1000", "D", 1), Line("8100", "C", 1)],
        idempotency_key="february",
        kind="income",
        description="f",
        on=date(2025, 2, 1),
    )
    release.set()
    closer["thread"].join(10)
    poster["thread"].join(10)
    assert isinstance(poster["result"], PeriodClosed), poster["result"]
    assert not JournalEntry.objects.filter(idempotency_key="late").exists()


def test_a_close_waits_for_a_posting_in_flight_into_its_month():
    release, posted = threading.Event(), threading.Event()
    poster = _in_thread(lambda: _post_in_january("in-flight"), posted, release)
    assert posted.wait(10)
    closed = threading.Event()
    closer = _in_thread(lambda: period_close(year=2025, month=1, actor_id=None), closed)
    assert not closed.wait(0.5), "the close did not wait for the posting in flight"
    release.set()
    poster["thread"].join(10)
    closer["thread"].join(10)
    assert isinstance(poster["result"], JournalEntry), poster["result"]
    assert closer["result"].closed_at is not None
    assert JournalEntry.objects.filter(idempotency_key="in-flight").exists()
