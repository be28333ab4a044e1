"""Neighbours vote: one secret ballot each, only they change it, a receipt proves it counts."""

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import translation

from community.models import AuditEvent
from grants.models import Application, Fund
from ledger.models import JournalEntry
from ledger.selectors import pot_balance
from tests.community.factories import UserFactory, make_resident
from tests.conftest import client_for
from tests.grants.factories import coordinator_of, make_application, make_fund, resident_of
from voting import seal, services
from voting.models import Participation

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


def check(client, receipt):
    return client.post("/api/v1/votes/receipts/check/", {"receipt": receipt}, format="json")


def paper(coordinator, application, resident, choice="yes", form="F-001"):
    return client_for(coordinator).post(
        f"/api/v1/applications/{application.pk}/assisted-votes/",
        {"resident": resident.pk, "choice": choice, "form_number": form},
        format="json",
    )


def test_a_resident_votes_keeps_a_receipt_and_changes_the_choice_by_voting_again(voting, fund):
    neighbour = resident_of(fund)
    first = vote(neighbour, voting, "yes")
    assert first.status_code == 201
    receipt = first.json()["receipt"]
    assert len(receipt) == 24 and set(first.json()) == {"receipt"}
    again = vote(neighbour, voting, "no")
    assert again.status_code == 200 and again.json() == {"receipt": None}
    assert Participation.objects.filter(application=voting).count() == 1
    mine = check(client_for(neighbour), receipt).json()
    assert mine == {
        "counted": True,
        "application": voting.pk,
        "status": "voting",
        "vote_closed": False,
        "choice": "no",
        "changed": True,
        "padding": "  ",
    }


def test_a_vote_answers_alike_for_yes_and_no(voting, fund):
    """An access log records sizes: a first vote and a change are as long either way."""
    answers = {}
    for choice in ("yes", "no"):
        voter = resident_of(fund)
        first = vote(voter, voting, choice)
        change = vote(voter, voting, "no" if choice == "yes" else "yes")
        answers[choice] = (
            first.status_code,
            len(first.content),
            change.status_code,
            change.content,
        )
        assert choice.encode() not in first.content and b"choice" not in first.content
    assert answers["yes"] == answers["no"]


def test_another_voter_holding_my_receipt_cannot_change_or_read_my_ballot(voting, fund):
    me, other = resident_of(fund), resident_of(fund)
    receipt = vote(me, voting, "yes").json()["receipt"]
    # The old hole: posting someone else's receipt changed their ballot.
    response = vote(other, voting, "no", receipt=receipt)
    assert response.status_code == 201  # the other voter's own first ballot, nothing more
    assert check(client_for(me), receipt).json()["choice"] == "yes"
    assert check(client_for(other), receipt).json() == check(client_for(other), "x" * 24).json()
    assert check(client_for(other), receipt).json() == {"counted": False}


def test_a_receipt_proves_counted_and_nothing_more(voting, fund, api):
    me = resident_of(fund)
    receipt = vote(me, voting, "no").json()["receipt"]
    anonymous = check(api, receipt)
    assert anonymous.status_code == 200
    assert anonymous.json() == {
        "counted": True,
        "application": voting.pk,
        "status": "voting",
        "vote_closed": False,
    }
    assert check(api, "not-a-receipt").json() == {"counted": False}
    assert check(api, "").status_code == 400
    # Receipts never travel in URLs: the old GET is gone.
    assert api.get(f"/api/v1/votes/receipts/{receipt}/").status_code == 404
    assert "receipt" not in str(api.session.items())


def test_only_a_keyed_hash_of_the_receipt_is_stored(voting, fund, api, settings):
    receipt = vote(resident_of(fund), voting).json()["receipt"]
    stored = Participation.objects.get(application=voting).receipt_hash
    assert stored == seal.receipt_hash(receipt)
    assert stored != hashlib.sha256(receipt.encode()).hexdigest()  # no unkeyed hash to search
    settings.BALLOT_KEY = "another-key"
    assert seal.receipt_hash(receipt) != stored
    assert check(api, receipt).json() == {"counted": False}


def test_the_choice_is_sealed_to_one_length_and_opens_only_with_the_key(voting, fund, settings):
    yes_voter, no_voter = resident_of(fund), resident_of(fund)
    vote(yes_voter, voting, "yes")
    vote(no_voter, voting, "no")
    rows = {p.voter_id: p for p in Participation.objects.filter(application=voting)}
    sealed_yes, sealed_no = bytes(rows[yes_voter.pk].sealed), bytes(rows[no_voter.pk].sealed)
    assert len(sealed_yes) == len(sealed_no) == seal.SEALED_BYTES
    assert b"yes" not in sealed_yes and b"no" not in sealed_no
    opened = seal.unseal(application_id=voting.pk, voter_id=no_voter.pk, sealed=sealed_no)
    assert opened.choice == "no"
    with pytest.raises(seal.SealBroken):  # bound to its row: a copied seal does not open
        seal.unseal(application_id=voting.pk, voter_id=yes_voter.pk, sealed=sealed_no)
    settings.BALLOT_KEY = "another-key"
    with pytest.raises(seal.SealBroken):
        seal.unseal(application_id=voting.pk, voter_id=no_voter.pk, sealed=sealed_no)


def test_voting_again_seals_anew_whether_or_not_the_choice_differs(voting, fund):
    """A copy of the database taken between two votes cannot tell a repeat from a change."""
    voter = resident_of(fund)
    vote(voter, voting, "yes")
    seals = [bytes(Participation.objects.get(voter=voter).sealed)]
    for choice in ("yes", "no"):
        vote(voter, voting, choice)
        seals.append(bytes(Participation.objects.get(voter=voter).sealed))
    assert len(set(seals)) == 3


def test_voting_writes_no_audit_event(voting, fund, django_capture_on_commit_callbacks):
    voter = resident_of(fund)
    before = AuditEvent.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        vote(voter, voting, "yes")
        vote(voter, voting, "no")
    assert AuditEvent.objects.count() == before


def test_the_tally_is_hidden_until_the_close_unless_the_fund_shows_it_live(voting, fund, api):
    vote(resident_of(fund), voting, "yes")
    assert api.get(f"/api/v1/applications/{voting.pk}/").json()["tally"] is None
    Application.objects.filter(pk=voting.pk).update(show_live_tally=True)
    assert api.get(f"/api/v1/applications/{voting.pk}/").json()["tally"] == {
        "yes": 1,
        "no": 0,
        "total": 1,
        "paper": 0,
    }
    with translation.override("en"):
        warning = str(Fund._meta.get_field("show_live_tally").help_text)
    assert "learns how that neighbour voted" in warning


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
    assert not Participation.objects.exists()


def test_bad_votes(voting, fund):
    neighbour = resident_of(fund)
    assert vote(neighbour, voting, "maybe").status_code == 400
    draft = make_application(fund)
    assert vote(neighbour, draft).json()["code"] == "not_found"  # a draft is private
    withdrawn = make_application(fund)
    services.vote_open(application=withdrawn, acting_user=withdrawn.applicant)
    client_for(withdrawn.applicant).post(f"/api/v1/applications/{withdrawn.pk}/withdraw/")
    assert vote(neighbour, withdrawn).json()["code"] == "not_voting"
    assert (
        client_for(neighbour)
        .post("/api/v1/applications/999999/vote/", {"choice": "yes"}, format="json")
        .status_code
        == 404
    )
    assert not Participation.objects.exists()


def test_the_server_clock_closes_the_vote_to_the_microsecond(voting, fund):
    early, late = resident_of(fund), resident_of(fund)
    with time_machine.travel(voting.vote_closes_at - timedelta(microseconds=1), tick=False):
        assert vote(early, voting).status_code == 201
    with time_machine.travel(voting.vote_closes_at, tick=False):
        response = vote(late, voting)
        changing = vote(early, voting, "no")
    assert response.status_code == 409 and response.json()["code"] == "vote_closed"
    assert changing.status_code == 409 and changing.json()["code"] == "vote_closed"
    assert Participation.objects.count() == 1


def test_settling_before_the_close_does_nothing(voting):
    assert services.window_settle(application_id=voting.pk) is None
    voting.refresh_from_db()
    assert voting.status == "voting"


def test_a_reader_settles_a_closed_window_and_the_money_follows(voting, fund, api):
    voters = [resident_of(fund) for _ in range(4)]
    for voter, choice in zip(voters, ("yes", "no", "yes", "no"), strict=True):
        vote(voter, voting, choice)
    vote(voters[1], voting, "yes")  # changes her mind: 3 yes, 1 no
    with time_machine.travel(voting.vote_closes_at + timedelta(seconds=1)):
        body = api.get(f"/api/v1/applications/{voting.pk}/").json()
    assert body["status"] == "approved" and body["decision"] == "approved"
    assert body["tally"] == {"yes": 3, "no": 1, "total": 4, "paper": 0}
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


def test_receipt_still_checks_after_the_close_and_settles(voting, fund, api):
    receipt = vote(resident_of(fund), voting, "yes").json()["receipt"]
    with time_machine.travel(voting.vote_closes_at + timedelta(hours=2)):
        answer = check(api, receipt).json()
    assert answer["counted"] is True and answer["vote_closed"] is True
    assert answer["status"] == "rejected" and "choice" not in answer


def test_a_fund_lists_its_decisions_with_tallies(voting, fund, api):
    for _ in range(3):
        vote(resident_of(fund), voting, "yes")
    with time_machine.travel(voting.vote_closes_at + timedelta(seconds=1)):
        decisions = api.get(f"/api/v1/funds/{fund.pk}/decisions/").json()
    assert decisions["count"] == 1
    assert decisions["results"][0]["tally"] == {"yes": 3, "no": 0, "total": 3, "paper": 0}


@pytest.mark.parametrize("paper_application", [False, True])
def test_residents_who_opted_in_hear_of_a_new_vote_when_it_is_submitted_over_http(
    fund, paper_application, django_capture_on_commit_callbacks
):
    keen, quiet = resident_of(fund), resident_of(fund)
    response = client_for(keen).patch(
        "/api/v1/residents/me/", {"notify_new_votes": True}, format="json"
    )
    assert response.status_code == 200
    if paper_application:  # a coordinator enters and submits it for a resident
        coordinator = coordinator_of(fund.cooperative)
        application = make_application(
            fund, applicant=coordinator, paper_applicant_name="Mevrouw De Vries"
        )
        submitter = coordinator
    else:
        application = make_application(fund)
        submitter = application.applicant
    with django_capture_on_commit_callbacks(execute=True):
        submitted = client_for(submitter).post(f"/api/v1/applications/{application.pk}/submit/")
    assert submitted.status_code == 200 and submitted.json()["status"] == "voting"
    assert [m.to for m in mail.outbox] == [[keen.email]]
    assert "Nieuwe stemming" in mail.outbox[0].subject and "Vote before" in mail.outbox[0].body
    assert quiet.email not in str([m.to for m in mail.outbox])


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


# -- paper ballots ---------------------------------------------------------------------------


def test_a_paper_ballot_is_recorded_by_form_number_audited_after_commit_and_told_to_the_resident(
    voting, fund, django_capture_on_commit_callbacks
):
    coordinator = coordinator_of(fund.cooperative)
    neighbour = resident_of(fund)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = paper(coordinator, voting, neighbour, "no", form="A-17")
    assert response.status_code == 201 and len(response.json()["receipt"]) == 24
    assert len(callbacks) == 2  # the audit event and the e-mail wait for the commit
    participation = Participation.objects.get(voter=neighbour)
    assert participation.assisted_by == coordinator and participation.form_number == "A-17"
    event = AuditEvent.objects.get(action="paper_ballot_recorded")
    assert event.actor == coordinator and event.data["form"] == "A-17"
    assert "no" not in str(event.data).replace("none", "")
    [message] = mail.outbox
    assert message.to == [neighbour.email] and "A-17" in message.body
    assert "tegen" not in message.body and " no " not in message.body  # never the choice
    # The resident may not vote twice through the coordinator, nor the coordinator over them.
    again = paper(coordinator, voting, neighbour, "yes", form="A-18")
    assert again.status_code == 409 and again.json()["code"] == "already_voted"


def test_a_coordinator_corrects_a_paper_ballot_by_its_form_number(
    voting, fund, django_capture_on_commit_callbacks
):
    coordinator = coordinator_of(fund.cooperative)
    neighbour, other = resident_of(fund), resident_of(fund)
    paper(coordinator, voting, neighbour, "no", form="A-17")
    with django_capture_on_commit_callbacks(execute=True):
        corrected = paper(coordinator, voting, neighbour, "yes", form="A-17")
    assert corrected.status_code == 200 and corrected.json() == {"receipt": None}
    assert AuditEvent.objects.filter(action="paper_ballot_corrected", actor=coordinator).exists()
    taken = paper(coordinator, voting, other, "yes", form="A-17")
    assert taken.status_code == 409 and taken.json()["code"] == "form_number_taken"
    with time_machine.travel(voting.vote_closes_at + timedelta(seconds=1)):
        services.settle_due_windows()
    voting.refresh_from_db()
    assert (voting.yes_votes, voting.no_votes, voting.paper_votes) == (1, 0, 1)


def test_a_resident_replaces_a_paper_ballot_in_their_name_and_the_coordinator_cannot_undo_it(
    voting, fund, api
):
    coordinator = coordinator_of(fund.cooperative)
    neighbour = resident_of(fund)
    receipt = paper(coordinator, voting, neighbour, "yes", form="B-2").json()["receipt"]
    replaced = vote(neighbour, voting, "no")
    assert replaced.status_code == 200
    assert check(client_for(neighbour), receipt).json()["choice"] == "no"
    undo = paper(coordinator, voting, neighbour, "yes", form="B-2")
    assert undo.status_code == 409 and undo.json()["code"] == "paper_ballot_replaced"
    for _ in range(2):
        vote(resident_of(fund), voting, "yes")
    with time_machine.travel(voting.vote_closes_at + timedelta(seconds=1)):
        body = api.get(f"/api/v1/applications/{voting.pk}/").json()
    assert body["tally"] == {"yes": 2, "no": 1, "total": 3, "paper": 0}


@pytest.mark.parametrize("resident", ["neighbour", "elsewhere", "nobody"])
def test_who_lives_where_is_told_to_nobody_but_the_buurts_coordinator(
    voting, fund, resident, lunetten, coordinator_b
):
    """The role is checked first: a resident, a coordinator of another buurt, anyone, gets
    the same answer whoever the user id names."""
    target_id = {
        "neighbour": lambda: resident_of(fund).pk,
        "elsewhere": lambda: make_resident(neighbourhood=lunetten, coordinator=coordinator_b).pk,
        "nobody": lambda: 987654,
    }[resident]()
    for outsider in (resident_of(fund), coordinator_b, voting.applicant):
        response = client_for(outsider).post(
            f"/api/v1/applications/{voting.pk}/assisted-votes/",
            {"resident": target_id, "choice": "yes", "form_number": "X-1"},
            format="json",
        )
        assert response.status_code == 403 and response.json()["code"] == "not_coordinator"
    assert not Participation.objects.exists()


def test_paper_ballot_input_is_checked(voting, fund):
    coordinator = coordinator_of(fund.cooperative)
    neighbour = resident_of(fund)
    url = f"/api/v1/applications/{voting.pk}/assisted-votes/"
    bad = [
        {"resident": neighbour.pk, "choice": "yes"},
        {"resident": neighbour.pk, "choice": "yes", "form_number": "<script>"},
        {"resident": "x", "choice": "yes", "form_number": "1"},
        {"resident": neighbour.pk, "choice": "maybe", "form_number": "1"},
    ]
    for body in bad:
        response = client_for(coordinator).post(url, body, format="json")
        assert response.status_code == 400 and response.json()["code"] == "invalid", body
    nobody = client_for(coordinator).post(
        url, {"resident": 987654, "choice": "yes", "form_number": "1"}, format="json"
    )
    assert nobody.status_code == 403 and nobody.json()["code"] == "not_resident"
    assert not Participation.objects.exists()


# -- tallies that can be checked ---------------------------------------------------------------


def test_a_stored_tally_that_disagrees_with_the_seals_is_reported(voting, fund):
    for choice in ("yes", "yes", "no"):
        vote(resident_of(fund), voting, choice)
    with time_machine.travel(voting.vote_closes_at + timedelta(seconds=1)):
        services.settle_due_windows()
    call_command("verify_tallies")  # agrees: no error
    Application.objects.filter(pk=voting.pk).update(yes_votes=3, no_votes=0)
    with pytest.raises(CommandError, match="1 decided vote"):
        call_command("verify_tallies")


def test_a_seal_moved_to_another_row_is_not_counted_and_is_reported(voting, fund, caplog):
    a, b, c = resident_of(fund), resident_of(fund), resident_of(fund)
    for voter, choice in ((a, "yes"), (b, "no"), (c, "no")):
        vote(voter, voting, choice)
    yes_seal = Participation.objects.get(voter=a).sealed
    Participation.objects.filter(voter=b).update(sealed=yes_seal)  # someone edits the table
    with time_machine.travel(voting.vote_closes_at + timedelta(seconds=1)):
        services.settle_due_windows()
    voting.refresh_from_db()
    assert (voting.yes_votes, voting.no_votes) == (1, 1)
    assert "do not open" in caplog.text
    with pytest.raises(CommandError):
        call_command("verify_tallies")


# -- found by an attack on this design ---------------------------------------------------------


def test_a_voters_own_receipt_check_is_as_long_whatever_it_says(voting, fund):
    """Access logs record sizes: yes/no and changed/unchanged must not show in the length."""
    sizes = set()
    for first, then in (("yes", None), ("no", None), ("yes", "no"), ("no", "yes")):
        voter = resident_of(fund)
        receipt = vote(voter, voting, first).json()["receipt"]
        if then:
            vote(voter, voting, then)
        answer = check(client_for(voter), receipt)
        assert answer.json()["choice"] == (then or first)
        sizes.add(len(answer.content))
    assert len(sizes) == 1


def test_a_draft_is_as_unknown_to_voting_as_to_reading(fund):
    draft = make_application(fund)
    stranger = resident_of(fund)
    for user in (stranger, coordinator_of(fund.cooperative)):
        assert vote(user, draft).status_code == 404
        assert vote(user, draft).json() == vote(user, Application(pk=987654)).json()
    paper_answer = paper(resident_of(fund), draft, stranger)
    assert paper_answer.status_code == 404


def test_unreadable_input_is_a_400_not_a_500(voting, fund):
    voter = resident_of(fund)
    client = client_for(voter)
    for body in ('{"choice": "\\ud800"}', '{"choice": ["yes"]}', '{"choice": null}'):
        response = client.post(
            f"/api/v1/applications/{voting.pk}/vote/", body, content_type="application/json"
        )
        assert response.status_code == 400, body
    for huge in (2**63, 10**20):
        response = client.post(f"/api/v1/applications/{huge}/vote/", {"choice": "yes"})
        assert response.status_code == 404
    assert not Participation.objects.exists()
