"""Races on PostgreSQL with real transactions."""

from datetime import timedelta

import pytest
import time_machine
from rest_framework.test import APIClient

from grants.models import Application
from ledger.models import JournalEntry
from tests.concurrency import run_in_parallel
from tests.grants.factories import make_application, make_fund, resident_of
from voting import services, tasks
from voting.models import Participation
from voting.selectors import tally

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def voting(coop_a, rivierenwijk):
    fund = make_fund(coop_a, rivierenwijk, quorum=3)
    application = make_application(fund)
    return services.vote_open(application=application, acting_user=application.applicant)


def test_32_parallel_first_votes_by_one_voter_give_one_ballot(voting):
    voter = resident_of(voting.fund)
    results = run_in_parallel(
        [
            (lambda: services.ballot_cast(application_id=voting.pk, voter=voter, choice="yes"))
            for _ in range(32)
        ]
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    receipts = [r.receipt for r in results if r.created]
    assert len(receipts) == 1 and receipts[0]  # one ballot; the rest sealed the same choice again
    assert Participation.objects.filter(application=voting, voter=voter).count() == 1
    assert tally(voting).total == 1


def test_parallel_changes_by_one_voter_move_one_vote(voting):
    voter = resident_of(voting.fund)
    services.ballot_cast(application_id=voting.pk, voter=voter, choice="yes")
    for _ in range(3):  # other voters, so a miscount would show
        services.ballot_cast(application_id=voting.pk, voter=resident_of(voting.fund), choice="yes")
    results = run_in_parallel(
        [
            (lambda: services.ballot_cast(application_id=voting.pk, voter=voter, choice="no"))
            for _ in range(8)
        ]
    )
    assert all(not isinstance(r, Exception) and not r.created for r in results), results
    counted = tally(voting)
    assert (counted.yes, counted.no) == (3, 1)


def test_the_three_settlers_racing_give_one_decision_and_one_ledger_entry(voting):
    for _ in range(3):
        services.ballot_cast(application_id=voting.pk, voter=resident_of(voting.fund), choice="yes")
    reader = APIClient()
    with time_machine.travel(voting.vote_closes_at + timedelta(seconds=1)):
        results = run_in_parallel(
            [
                lambda: tasks.settle_window(voting.pk),  # the task scheduled at the deadline
                lambda: services.settle_due_windows(),  # the beat sweep
                lambda: reader.get(f"/api/v1/applications/{voting.pk}/").status_code,  # a reader
            ]
            * 4
        )
    assert not [r for r in results if isinstance(r, Exception)], results
    application = Application.objects.get(pk=voting.pk)
    assert application.status == "approved"
    assert application.history.filter(to_status="approved").count() == 1
    assert JournalEntry.objects.filter(kind="commitment").count() == 1
    assert JournalEntry.objects.filter(idempotency_key__endswith=":decide").count() == 1


def test_a_ballot_in_flight_at_the_close_is_counted_or_refused_never_lost(voting):
    voters = [resident_of(voting.fund) for _ in range(12)]
    close = voting.vote_closes_at

    def cast(voter):
        return services.ballot_cast(application_id=voting.pk, voter=voter, choice="yes")

    with time_machine.travel(close - timedelta(milliseconds=5), tick=True):
        results = run_in_parallel(
            [(lambda v=v: cast(v)) for v in voters] + [lambda: services.settle_due_windows()] * 4
        )
    with time_machine.travel(close + timedelta(seconds=1)):
        services.settle_due_windows()
    application = Application.objects.get(pk=voting.pk)
    accepted = sum(1 for r in results if hasattr(r, "receipt"))
    refused = sum(1 for r in results if type(r).__name__ in ("VoteClosed", "NotVoting"))
    assert accepted + refused == len(voters), results
    assert (
        application.yes_votes
        == accepted
        == Participation.objects.filter(application=voting).count()
    )
