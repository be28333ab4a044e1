"""``manage.py check_invariants``: what must always hold in the books and the votes, and
that a breach is found and named (exit 1)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from grants.models import Application
from ledger.models import Account, JournalEntry, JournalLine
from tests.grants.factories import advance, make_application, make_fund, resident_of
from voting import services as voting_services
from voting.invariants import breaches
from voting.models import Participation

pytestmark = pytest.mark.django_db

STATES = ["draft", "voting", "approved", "rejected", "withdrawn", "paid", "reported", "closed",
          "cancelled"]  # fmt: skip


@pytest.fixture
def every_state(coop_a, rivierenwijk):
    fund = make_fund(coop_a, rivierenwijk, max_open_per_applicant=5)
    made = {state: advance(make_application(fund), state) for state in STATES}
    voting = made["voting"]
    for _ in range(2):
        voting_services.ballot_cast(application_id=voting.pk, voter=resident_of(fund), choice="yes")
    return made


def test_every_invariant_holds_after_every_step_of_the_lifecycle(every_state, capsys):
    assert breaches() == []
    call_command("check_invariants")
    assert "Every invariant holds." in capsys.readouterr().out


def test_an_application_whose_status_was_changed_by_hand_is_named(every_state):
    voting = every_state["voting"]
    Application.objects.filter(pk=voting.pk).update(status="approved")
    found = breaches()
    assert len(found) == 1
    assert f"application {voting.pk} (approved)" in found[0]
    with pytest.raises(CommandError) as failed:
        call_command("check_invariants")
    assert failed.value.returncode == 1


def test_a_ballot_whose_seal_was_altered_is_named(every_state):
    voting = every_state["voting"]
    participation = Participation.objects.filter(application=voting).first()
    sealed = bytearray(participation.sealed)
    sealed[-1] ^= 0xFF
    Participation.objects.filter(pk=participation.pk).update(sealed=bytes(sealed))
    assert breaches() == [f"application {voting.pk}: 1 sealed ballots do not open"]


def test_a_decided_tally_that_disagrees_with_its_ballots_is_named(every_state):
    from grants.services import application_decide

    voting = every_state["voting"]  # two sealed yes ballots
    application_decide(application=voting, yes=2, no=0)
    assert breaches() == []
    Application.objects.filter(pk=voting.pk).update(yes_votes=3)
    assert breaches() == [
        f"application {voting.pk}: decided on 3 yes and 0 no, the seals say 2 yes and 0 no "
        "(0 do not open)"
    ]


@pytest.mark.skipif(
    connection.vendor == "postgresql",
    reason="on PostgreSQL the database itself refuses an unbalanced entry (ledger tests)",
)
def test_an_unbalanced_entry_is_named(every_state):
    entry = JournalEntry.objects.first()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {JournalLine._meta.db_table}"
            " (entry_id, account_id, side, amount_cents, currency) VALUES (%s, %s, 'D', 1, 'EUR')",
            [entry.pk, Account.objects.get(code="1000").pk],
        )
    assert breaches() == [f"journal entry {entry.pk} does not balance (debit minus credit 1)"]
