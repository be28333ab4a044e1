"""Neighbours vote: one secret ballot each, a receipt to check it, a decision at the close."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from community.models import AuditEvent
from grants.models import Application
from ledger.models import JournalEntry
from ledger.selectors import pot_balance
from tests.community.factories import UserFactory, make_resident
from tests.conftest import client_for
from tests.grants.factories import coordinator_of, make_application, make_fund, resident_of
from voting import services
from voting.models import Ballot, Participation

pytestmark = pytest.mark.django_db


@pytest.fixture
def fund(coop_a, rivierenwijk):
    return make_fund(coop_a, rivierenwijk, quorum=3)


@pytest.fixture
def voting(fund):
    application = make_application(fund)
    response = client_for(application.applicant).post(
        f"/api/v1/applications/{application.pk}/submit/"
    )
    assert response.status_code == 200 and response.json()["status"] == "voting"
    application.refresh_from_db()
    return application


def vote(user, application, choice="yes", **extra):
    return client_for(user).post(
        f"/api/v1/applications/{application.pk}/vote/", {"choice": choice, **extra}, format="json"
    )


def test_a_resident_votes_gets_a_receipt_and_can_change_the_choice(voting, fund, api):
    neighbour = resident_of(fund)
    first = vote(neighbour, voting, "yes")
    assert first.status_code == 201
    receipt = first.json()["receipt"]
    assert len(receipt) >= 20
    again = vote(neighbour, voting, "no")
    assert again.status_code == 409 and again.json()["code"] == "already_voted"
    changed = vote(neighbour, voting, "no", receipt=receipt)
    assert changed.status_code == 200 and changed.json() == {"choice": "no", "receipt": None}
    assert Ballot.objects.filter(application=voting).count() == 1
    assert Participation.objects.filter(application=voting).count() == 1
    check = api.get(f"/api/v1/votes/receipts/{receipt}/").json()
    assert check == {
        "application": voting.pk,
        "counted": True,
        "choice": "no",
        "vote_closed": False,
        "status": "voting",
    }
    assert not Ballot.objects.filter(receipt_hash=receipt).exists()  # only the hash is stored


def test_the_tally_is_hidden_until_the_close_unless_the_fund_shows_it_live(voting, fund, api):
    vote(resident_of(fund), voting, "yes")
    assert api.get(f"/api/v1/applications/{voting.pk}/").json()["tally"] is None
    Application.objects.filter(pk=voting.pk).update(show_live_tally=True)
    assert api.get(f"/api/v1/applications/{voting.pk}/").json()["tally"] == {
        "yes": 1,
        "no": 0,
        "total": 1,
    }


@pytest.mark.parametrize(
    "who, code",
    [("outsider", "not_resident"), ("applicant", "is_applicant"), ("elsewhere", "not_resident")],
)
def test_who_may_not_vote(voting, fund, who, code, lunetten, coordinator_b):
    user = {
        "outsider": UserFactory(),
        "applicant": voting.applicant,
        "elsewhere": make_resident(neighbourhood=lunetten, coordinator=coordinator_b),
    }[who]
    response = vote(user, voting)
    assert response.status_code == 403 and response.json()["code"] == code
    assert not Ballot.objects.exists()


def test_bad_votes(voting, fund):
    neighbour = resident_of(fund)
    assert vote(neighbour, voting, "maybe").status_code == 400
    unknown = vote(neighbour, voting, "yes", receipt="not-a-receipt")
    assert unknown.status_code == 404 and unknown.json()["code"] == "receipt_unknown"
    draft = make_application(fund)
    assert vote(neighbour, draft).json()["code"] == "not_voting"
    assert (
        client_for(neighbour)
        .post("/api/v1/applications/999999/vote/", {"choice": "yes"}, format="json")
        .status_code
        == 404
    )
    assert client_for(neighbour).get("/api/v1/votes/receipts/unknown/").status_code == 404
    assert not Ballot.objects.exists()


def test_the_server_clock_closes_the_vote_to_the_microsecond(voting, fund):
    early, late = resident_of(fund), resident_of(fund)
    with time_machine.travel(voting.vote_closes_at - timedelta(microseconds=1), tick=False):
        assert vote(early, voting).status_code == 201
    with time_machine.travel(voting.vote_closes_at, tick=False):
        response = vote(late, voting)
    assert response.status_code == 409 and response.json()["code"] == "vote_closed"
    assert Ballot.objects.count() == 1


def test_settling_before_the_close_does_nothing(voting):
    assert services.window_settle(application_id=voting.pk) is None
    voting.refresh_from_db()
    assert voting.status == "voting"


def test_a_reader_settles_a_closed_window_and_the_money_follows(voting, fund, api):
    for choice in ("yes", "yes", "yes", "no"):
        vote(resident_of(fund), voting, choice)
    with time_machine.travel(voting.vote_closes_at + timedelta(seconds=1)):
        body = api.get(f"/api/v1/applications/{voting.pk}/").json()
    assert body["status"] == "approved" and body["decision"] == "approved"
    assert body["tally"] == {"yes": 3, "no": 1, "total": 4}
    assert pot_balance(fund.earmark).committed_cents == voting.amount_requested_cents
    assert (
        JournalEntry.objects.filter(idempotency_key=f"application:{voting.pk}:decide").count() == 1
    )


def test_below_quorum_is_rejected_and_the_reservation_released(voting, fund, api):
    vote(resident_of(fund), voting, "yes")
    with time_machine.travel(voting.vote_closes_at + timedelta(minutes=5)):
        assert services.settle_due_windows() == 1
        assert services.settle_due_windows() == 0
    voting.refresh_from_db()
    assert voting.status == "rejected" and (voting.yes_votes, voting.no_votes) == (1, 0)
    assert pot_balance(fund.earmark).reserved_cents == 0


def test_the_beat_sweep_command_path_settles(voting, fund):
    from voting.tasks import sweep_due_windows

    for _ in range(3):
        vote(resident_of(fund), voting, "yes")
    with time_machine.travel(voting.vote_closes_at + timedelta(minutes=1)):
        assert sweep_due_windows.delay().get() == 1
    voting.refresh_from_db()
    assert voting.status == "approved"


def test_receipt_still_checks_after_the_close(voting, fund, api):
    receipt = vote(resident_of(fund), voting, "yes").json()["receipt"]
    with time_machine.travel(voting.vote_closes_at + timedelta(hours=2)):
        check = api.get(f"/api/v1/votes/receipts/{receipt}/").json()
    assert (
        check["counted"] is True and check["vote_closed"] is True and check["status"] == "rejected"
    )


def test_assisted_vote_is_recorded_with_the_coordinator_in_the_audit_trail(voting, fund):
    coordinator = coordinator_of(fund.cooperative)
    neighbour = resident_of(fund)
    response = client_for(coordinator).post(
        f"/api/v1/applications/{voting.pk}/assisted-votes/",
        {"resident": neighbour.pk, "choice": "no"},
        format="json",
    )
    assert response.status_code == 201 and response.json()["receipt"]
    participation = Participation.objects.get(voter=neighbour)
    assert participation.assisted_by == coordinator
    event = AuditEvent.objects.get(action="vote_cast_assisted")
    assert event.actor == coordinator and "no" not in str(event.data)
    assert vote(neighbour, voting).json()["code"] == "already_voted"
    stranger = client_for(resident_of(fund)).post(
        f"/api/v1/applications/{voting.pk}/assisted-votes/",
        {"resident": resident_of(fund).pk, "choice": "no"},
        format="json",
    )
    assert stranger.status_code == 403 and stranger.json()["code"] == "not_coordinator"


def test_a_dump_of_the_tables_does_not_tell_how_anyone_voted(voting, fund, tmp_path):
    voters = [resident_of(fund) for _ in range(20)]
    for i, voter in enumerate(voters):
        vote(voter, voting, "yes" if i < 10 else "no")
    dump = tmp_path / "voting.json"
    call_command("dumpdata", "voting", output=str(dump))
    import json

    rows = json.loads(dump.read_text())
    ballots = [r["fields"] for r in rows if r["model"] == "voting.ballot"]
    participations = [r["fields"] for r in rows if r["model"] == "voting.participation"]
    assert len(ballots) == len(participations) == 20
    assert set(ballots[0]) == {"application", "choice", "receipt_hash"}  # no voter, no time
    assert set(participations[0]) == {"application", "voter", "assisted_by"}  # no choice, no time
    # Ballots come out in the order of their random ids, not the order they were cast.
    assert [b["choice"] for b in ballots] != ["yes"] * 10 + ["no"] * 10


def test_residents_who_opted_in_hear_of_a_new_vote(fund, django_capture_on_commit_callbacks):
    keen, quiet = resident_of(fund), resident_of(fund)
    assert (
        client_for(keen)
        .patch("/api/v1/residents/me/", {"notify_new_votes": True}, format="json")
        .status_code
        == 200
    )
    application = make_application(fund)
    with django_capture_on_commit_callbacks(execute=True):
        services.vote_open(application=application, acting_user=application.applicant)
    assert [m.to for m in mail.outbox] == [[keen.email]]
    assert "Nieuwe stemming" in mail.outbox[0].subject and "Vote before" in mail.outbox[0].body
    assert quiet.email not in str([m.to for m in mail.outbox])


def test_the_task_at_the_deadline_runs_early_in_process_and_does_nothing(
    fund, django_capture_on_commit_callbacks
):
    application = make_application(fund)
    with django_capture_on_commit_callbacks(execute=True):
        services.vote_open(application=application, acting_user=application.applicant)
    application.refresh_from_db()
    assert application.status == "voting"


def test_a_fund_lists_its_decisions_with_tallies(voting, fund, api):
    for _ in range(3):
        vote(resident_of(fund), voting, "yes")
    with time_machine.travel(voting.vote_closes_at + timedelta(seconds=1)):
        decisions = api.get(f"/api/v1/funds/{fund.pk}/decisions/").json()
    assert decisions["count"] == 1
    assert decisions["results"][0]["tally"] == {"yes": 3, "no": 0, "total": 3}


def test_a_representative_of_the_applying_organisation_may_not_vote(fund, coop_a):
    from community.models import MemberOrganisation

    representative, colleague = resident_of(fund), resident_of(fund)
    bbbo = MemberOrganisation.objects.create(
        name="Bewonersvereniging", cooperative=coop_a, member_kind="voting"
    )
    bbbo.neighbourhoods.add(fund.neighbourhood)
    bbbo.representatives.add(representative, colleague)
    application = make_application(fund, applicant=representative, organisation=bbbo)
    services.vote_open(application=application, acting_user=representative)
    response = vote(colleague, application)
    assert response.status_code == 403 and response.json()["code"] == "is_applicant"
    assert vote(resident_of(fund), application).status_code == 201
