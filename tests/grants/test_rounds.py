"""Innovation rounds: money that is there, who may apply, assessments with recusal, and the
member organisations' approval ballots."""

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from community.models import MemberOrganisation
from grants import pabulib, services
from grants.models import Application, Fund, Round
from tests.community.factories import MembershipFactory, make_resident
from tests.conftest import client_for
from tests.grants.factories import (
    IBAN,
    board_of,
    coordinator_of,
    make_fund,
    resident_of,
    treasurer_of,
)

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year
DATA = Path(__file__).resolve().parent.parent / "data" / "pabulib"


def innovation_fund(coop, deposit_cents):
    fund = services.fund_create(
        acting_user=board_of(coop), cooperative=coop, name="Innovatiepot", kind="innovation"
    )
    services.fund_deposit(
        fund=fund,
        amount_cents=deposit_cents,
        source="subsidy",
        reference="BANK-INNOVATIE",
        acting_user=treasurer_of(coop),
    )
    return fund


@pytest.fixture
def buurtfonds(coop_a, rivierenwijk):
    return make_fund(coop_a, rivierenwijk, deposit_cents=1_500_000)  # subsidy income


@pytest.fixture
def pot(coop_a, buurtfonds):
    # Subsidy this year: 1,500,000 + 100,000; 5% of it is 80,000, which the pot holds.
    return innovation_fund(coop_a, 100_000)


def open_round(fund, **fields):
    body = {
        "fund": fund.pk,
        "year": YEAR,
        "submission_closes_at": (timezone.now() + timedelta(days=7)).isoformat(),
        "budget_cents": 90_000,
        **fields,
    }
    return client_for(board_of(fund.cooperative)).post("/api/v1/rounds/", body, format="json")


@pytest.fixture
def round_(pot):
    response = open_round(
        pot,
        member_ballots=True,
        ballot_opens_at=timezone.now().isoformat(),
        ballot_closes_at=(timezone.now() + timedelta(days=10)).isoformat(),
    )
    assert response.status_code == 201, response.json()
    return Round.objects.get(pk=response.json()["id"])


def entered(round_, applicant, **fields):
    fields.setdefault("amount_requested_cents", 30_000)
    fields.setdefault("total_budget_cents", 40_000)
    fields.setdefault("own_contribution_cents", 10_000)
    fields.setdefault("payee_name", "Stichting Repaircafé")
    fields.setdefault("payee_iban", IBAN)
    application = services.application_create(
        fund=round_.fund,
        acting_user=applicant,
        title=fields.pop("title", "Repaircafé"),
        summary="Samen spullen repareren.",
        **fields,
    )
    response = client_for(applicant).post(f"/api/v1/applications/{application.pk}/submit/")
    assert response.status_code == 200, response.json()
    return Application.objects.get(pk=application.pk)


# -- the round and its money ---------------------------------------------------------------------


def test_a_round_shows_the_pot_and_the_five_percent_it_must_hold(api, round_):
    body = api.get(f"/api/v1/rounds/{round_.pk}/").json()
    assert body["status"] == "open"
    assert body["pot"] == {
        "available_cents": 100_000,
        "subsidy_cents": 1_600_000,
        "minimum_cents": 80_000,
    }


def test_a_pot_below_five_percent_of_the_subsidy_opens_no_round(coop_a, buurtfonds):
    thin = innovation_fund(coop_a, 60_000)  # 5% of 1,560,000 is 78,000
    response = open_round(thin, budget_cents=10_000)
    assert response.status_code == 409
    assert response.json()["code"] == "pot_below_minimum"
    assert response.json()["minimum_cents"] == 78_000


def test_the_budget_is_at_most_what_the_pot_holds(pot):
    response = open_round(pot, budget_cents=100_001)
    assert response.status_code == 409
    assert response.json()["code"] == "round_budget_too_large"
    assert open_round(pot, budget_cents=100_000).status_code == 201
    again = open_round(pot, budget_cents=1_000)
    assert again.status_code == 409 and again.json()["code"] == "round_exists"


def test_only_the_board_opens_rounds_and_only_on_an_innovation_fund(pot, buurtfonds, coop_b):
    body = {
        "fund": pot.pk,
        "year": YEAR,
        "submission_closes_at": (timezone.now() + timedelta(days=7)).isoformat(),
        "budget_cents": 1_000,
    }
    for outsider in (treasurer_of(pot.cooperative), board_of(coop_b)):
        assert client_for(outsider).post("/api/v1/rounds/", body, format="json").status_code == 403
    wrong = open_round(buurtfonds)
    assert wrong.status_code == 400 and wrong.json()["code"] == "wrong_fund_kind"


@pytest.mark.parametrize(
    "fields",
    [
        {"submission_closes_at": "2020-01-01T00:00:00Z"},
        {"member_ballots": True},  # no window
        {"member_ballots": True, "ballot_opens_at": "2031-01-02T00:00:00Z",
         "ballot_closes_at": "2031-01-01T00:00:00Z"},
        {"budget_cents": -5},
        {"year": "dit jaar"},
        {"weight_impact": "-1"},
    ],
)  # fmt: skip
def test_bad_rounds_are_400(pot, fields):
    response = open_round(pot, **fields)
    assert response.status_code == 400, response.json()
    assert not Round.objects.exists()


# -- who may apply ---------------------------------------------------------------------------------


def test_residents_of_the_cooperatives_buurten_apply_to_its_round(round_, buurtfonds, coop_b):
    application = entered(round_, resident_of(buurtfonds))
    assert (application.status, application.round_id) == ("submitted", round_.pk)
    elsewhere = make_resident(
        neighbourhood=coop_b.neighbourhoods.get(), coordinator=coordinator_of(coop_b)
    )
    refused = client_for(elsewhere).post(
        "/api/v1/applications/",
        {
            "fund": round_.fund_id,
            "title": "Elders",
            "summary": "x",
            "amount_requested_cents": 1_000,
            "total_budget_cents": 2_000,
            "own_contribution_cents": 1_000,
        },
        format="json",
    )
    assert refused.status_code == 403 and refused.json()["code"] == "not_resident"


def test_nothing_enters_after_the_deadline(round_, buurtfonds):
    applicant = resident_of(buurtfonds)
    draft = services.application_create(
        fund=round_.fund,
        acting_user=applicant,
        title="Te laat",
        summary="x",
        amount_requested_cents=1_000,
        total_budget_cents=2_000,
        own_contribution_cents=1_000,
    )
    with time_machine.travel(round_.submission_closes_at + timedelta(seconds=1)):
        late = client_for(applicant).post(f"/api/v1/applications/{draft.pk}/submit/")
    assert late.status_code == 409 and late.json()["code"] == "round_not_open"


# -- assessments and recusal ---------------------------------------------------------------------


def assess(user, application, **scores):
    body = {"added_value": 4, "impact": 3, "transferability": 5, "social_return": 2, **scores}
    return client_for(user).post(
        f"/api/v1/applications/{application.pk}/assessments/", body, format="json"
    )


def test_the_board_assesses_once_the_applications_are_in(round_, buurtfonds):
    application = entered(round_, resident_of(buurtfonds))
    board = board_of(round_.fund.cooperative)
    early = assess(board, application)
    assert early.status_code == 409 and early.json()["code"] == "round_not_assessing"
    with time_machine.travel(round_.submission_closes_at + timedelta(minutes=1)):
        assert assess(board, application).status_code == 201
        twice = assess(board, application)
        assert twice.status_code == 409 and twice.json()["code"] == "already_assessed"
        assert assess(treasurer_of(round_.fund.cooperative), application).status_code == 403
    round_.refresh_from_db()
    assert round_.status == "assessing"


@pytest.mark.parametrize("score", [0, 6, "vier", None])
def test_scores_are_one_to_five(round_, buurtfonds, score):
    application = entered(round_, resident_of(buurtfonds))
    with time_machine.travel(round_.submission_closes_at + timedelta(minutes=1)):
        response = assess(board_of(round_.fund.cooperative), application, impact=score)
    assert response.status_code == 400
    assert not application.assessments.exists()


def test_a_declared_link_recuses_from_assessing(round_, buurtfonds, coop_a):
    organisation = MemberOrganisation.objects.create(
        cooperative=coop_a, name="Bewonersvereniging", member_kind="voting"
    )
    representative = resident_of(buurtfonds)
    organisation.representatives.add(representative)
    by_organisation = entered(round_, representative, organisation=organisation)
    by_resident = entered(round_, resident_of(buurtfonds), title="Buurtmoestuin")
    board = board_of(coop_a)
    declare = client_for(board).post(
        "/api/v1/interests/",
        {"organisation": organisation.pk, "note": "Mijn zus zit in het bestuur"},
        format="json",
    )
    assert declare.status_code == 201
    assert (
        client_for(board)
        .post(
            "/api/v1/interests/",
            {"application": by_resident.pk, "note": "Buurman"},
            format="json",
        )
        .status_code
        == 201
    )
    with time_machine.travel(round_.submission_closes_at + timedelta(minutes=1)):
        for application in (by_organisation, by_resident):
            refused = assess(board, application)
            assert refused.status_code == 403 and refused.json()["code"] == "recused"
    assert (
        client_for(board)
        .post("/api/v1/interests/", {"note": "zomaar"}, format="json")
        .json()["code"]
        == "interest_needs_link"
    )


# -- member ballots ----------------------------------------------------------------------------


def test_a_voting_member_organisation_casts_one_public_ballot(round_, buurtfonds, coop_a, api):
    stemlid = MemberOrganisation.objects.create(
        cooperative=coop_a, name="Wijkraad", member_kind="voting"
    )
    steunlid = MemberOrganisation.objects.create(
        cooperative=coop_a, name="Bakkerij", member_kind="supporting"
    )
    representative = resident_of(buurtfonds)
    stemlid.representatives.add(representative)
    steunlid.representatives.add(representative)
    first = entered(round_, resident_of(buurtfonds))
    second = entered(round_, resident_of(buurtfonds), title="Tweede")
    url = f"/api/v1/rounds/{round_.pk}/member-ballots/"
    voter = client_for(representative)
    cast = voter.post(url, {"organisation": stemlid.pk, "approve": [first.pk]}, format="json")
    assert cast.status_code == 201
    assert cast.json()["approve"] == [first.pk] and cast.json()["organisation"] == "Wijkraad"
    again = voter.post(
        url, {"organisation": stemlid.pk, "approve": [first.pk, second.pk]}, format="json"
    )
    assert again.status_code == 200
    assert sorted(again.json()["approve"]) == sorted([first.pk, second.pk])
    supporting = voter.post(url, {"organisation": steunlid.pk, "approve": []}, format="json")
    assert supporting.status_code == 403 and supporting.json()["code"] == "not_voting_member"
    stranger = client_for(resident_of(buurtfonds)).post(
        url, {"organisation": stemlid.pk, "approve": []}, format="json"
    )
    assert stranger.status_code == 403 and stranger.json()["code"] == "not_representative"
    with time_machine.travel(round_.ballot_closes_at + timedelta(seconds=1)):
        late = voter.post(url, {"organisation": stemlid.pk, "approve": []}, format="json")
    assert late.status_code == 409 and late.json()["code"] == "ballot_window_closed"


def test_a_ballot_approves_only_the_rounds_applications(round_, buurtfonds, coop_a):
    stemlid = MemberOrganisation.objects.create(
        cooperative=coop_a, name="Wijkraad", member_kind="voting"
    )
    representative = resident_of(buurtfonds)
    stemlid.representatives.add(representative)
    buurt_application = services.application_create(
        fund=buurtfonds,
        acting_user=resident_of(buurtfonds),
        title="Buurtfonds",
        summary="x",
        amount_requested_cents=10_000,
        total_budget_cents=20_000,
        own_contribution_cents=10_000,
    )
    response = client_for(representative).post(
        f"/api/v1/rounds/{round_.pk}/member-ballots/",
        {"organisation": stemlid.pk, "approve": [buurt_application.pk]},
        format="json",
    )
    assert response.status_code == 400 and response.json()["code"] == "not_in_round"


def test_rounds_without_member_ballots_take_none(pot, buurtfonds, coop_a):
    response = open_round(pot)
    round_ = Round.objects.get(pk=response.json()["id"])
    stemlid = MemberOrganisation.objects.create(
        cooperative=coop_a, name="Wijkraad", member_kind="voting"
    )
    representative = resident_of(buurtfonds)
    stemlid.representatives.add(representative)
    refused = client_for(representative).post(
        f"/api/v1/rounds/{round_.pk}/member-ballots/",
        {"organisation": stemlid.pk, "approve": []},
        format="json",
    )
    assert refused.status_code == 409 and refused.json()["code"] == "no_member_ballots"
    assert Fund.objects.get(pk=pot.pk).kind == "innovation"


# -- allocate, finalize, the published result -----------------------------------------------------


def assessed(round_, applications, scores):
    """Two board members score each application (weights 1: the mean is the weighted mean)."""
    coop = round_.fund.cooperative
    board = [board_of(coop), MembershipFactory(cooperative=coop, role="board").user]
    with time_machine.travel(round_.submission_closes_at + timedelta(minutes=1)):
        for application, score in zip(applications, scores, strict=True):
            for member in board:
                response = assess(
                    member,
                    application,
                    added_value=score,
                    impact=score,
                    transferability=score,
                    social_return=score,
                )
                assert response.status_code == 201, response.json()
    return board


def after_deadline(round_):
    return time_machine.travel(round_.ballot_closes_at + timedelta(minutes=1))


def test_board_score_selects_by_weighted_mean_and_finalizing_commits_the_money(
    round_, buurtfonds, api, django_capture_on_commit_callbacks
):
    best = entered(round_, resident_of(buurtfonds), title="Beste", amount_requested_cents=50_000,
                   total_budget_cents=60_000)  # fmt: skip
    second = entered(round_, resident_of(buurtfonds), title="Tweede", amount_requested_cents=45_000,
                     total_budget_cents=55_000)  # fmt: skip
    third = entered(round_, resident_of(buurtfonds), title="Derde", amount_requested_cents=30_000)
    board = assessed(round_, [best, second, third], [5, 4, 3])
    with after_deadline(round_):
        proposal = client_for(board[0]).post(
            f"/api/v1/rounds/{round_.pk}/allocate/", {"rule": "board_score"}, format="json"
        )
        assert proposal.status_code == 200, proposal.json()
        # 50,000 fits, 45,000 no longer does (budget 90,000), 30,000 does.
        assert proposal.json()["selected"] == [best.pk, third.pk]
        assert proposal.json()["total_cents"] == 80_000
        with django_capture_on_commit_callbacks(execute=True):
            final = client_for(board[1]).post(
                f"/api/v1/rounds/{round_.pk}/finalize/", {}, format="json"
            )
    assert final.status_code == 200, final.json()
    statuses = {a.pk: Application.objects.get(pk=a.pk).status for a in (best, second, third)}
    assert statuses == {best.pk: "allocated", second.pk: "not_allocated", third.pk: "allocated"}
    fund = Fund.objects.get(pk=round_.fund_id)
    balance = api.get(f"/api/v1/funds/{fund.pk}/").json()["balance"]
    assert balance["committed_cents"] == 80_000
    assert balance["available_cents"] == 20_000
    result = api.get(f"/api/v1/rounds/{round_.pk}/result/").json()
    assert result["status"] == "decided" and result["rule"] == "board_score"
    assert result["selected"] == [best.pk, third.pk]
    assert result["decided_by"] == board[1].username
    scores = {a["id"]: a["weighted_score"] for a in result["applications"]}
    assert scores == {best.pk: "5.000", second.pk: "4.000", third.pk: "3.000"}
    # An allocated grant follows the Buurtfonds steps: the treasurer pays it.
    paid = client_for(treasurer_of(fund.cooperative)).post(f"/api/v1/applications/{best.pk}/pay/")
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    # Nothing changes once it is decided; the board then closes it.
    with after_deadline(round_):
        again = client_for(board[0]).post(
            f"/api/v1/rounds/{round_.pk}/finalize/", {}, format="json"
        )
        assert again.status_code == 409
    closed = client_for(board[0]).post(f"/api/v1/rounds/{round_.pk}/close/")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert client_for(board[0]).post(f"/api/v1/rounds/{round_.pk}/close/").status_code == 409
    assert api.get(f"/api/v1/rounds/{round_.pk}/result/").json()["selected"] == [best.pk, third.pk]


def test_allocating_needs_the_assessments_and_a_board_member(round_, buurtfonds):
    application = entered(round_, resident_of(buurtfonds))
    with time_machine.travel(round_.submission_closes_at + timedelta(minutes=1)):
        assess(board_of(round_.fund.cooperative), application)
    with after_deadline(round_):
        url = f"/api/v1/rounds/{round_.pk}/allocate/"
        short = client_for(board_of(round_.fund.cooperative)).post(
            url, {"rule": "board_score"}, format="json"
        )
        assert short.status_code == 409 and short.json()["code"] == "assessments_missing"
        assert short.json()["applications"] == [application.pk]
        outsider = client_for(treasurer_of(round_.fund.cooperative)).post(
            url, {"rule": "board_score"}, format="json"
        )
        assert outsider.status_code == 403
        unknown = client_for(board_of(round_.fund.cooperative)).post(
            url, {"rule": "loting"}, format="json"
        )
        assert unknown.status_code == 400


def test_member_ballots_allocate_by_equal_shares(round_, buurtfonds, coop_a):
    a = entered(round_, resident_of(buurtfonds), title="A", amount_requested_cents=60_000,
                total_budget_cents=70_000)  # fmt: skip
    b = entered(round_, resident_of(buurtfonds), title="B", amount_requested_cents=30_000)
    c = entered(round_, resident_of(buurtfonds), title="C", amount_requested_cents=30_000)
    board = assessed(round_, [a, b, c], [3, 3, 3])
    url = f"/api/v1/rounds/{round_.pk}/member-ballots/"
    # Four organisations want A; two want B and C. Greedy gives A and B (or C); equal shares
    # gives the two organisations their share too.
    for n, approve in enumerate([[a], [a], [a], [a], [b, c], [b, c]]):
        organisation = MemberOrganisation.objects.create(
            cooperative=coop_a, name=f"Stemlid {n}", member_kind="voting"
        )
        representative = resident_of(buurtfonds)
        organisation.representatives.add(representative)
        response = client_for(representative).post(
            url,
            {"organisation": organisation.pk, "approve": [x.pk for x in approve]},
            format="json",
        )
        assert response.status_code == 201
    allocate = f"/api/v1/rounds/{round_.pk}/allocate/"
    early = client_for(board[0]).post(allocate, {"rule": "greedy"}, format="json")
    assert early.status_code == 409 and early.json()["code"] == "ballot_still_open"
    with after_deadline(round_):
        greedy = client_for(board[0]).post(allocate, {"rule": "greedy"}, format="json").json()
        shares = client_for(board[0]).post(allocate, {"rule": "equal_shares"}, format="json").json()
    assert greedy["selected"] == [a.pk, b.pk]  # ties between B and C by the smaller id
    assert sorted(shares["selected"]) == [a.pk, b.pk]
    assert shares["total_cents"] <= 90_000


def test_finalizing_refuses_uncovered_top_priorities_unless_a_reason_is_published(
    round_, buurtfonds, api
):
    fund = round_.fund
    fund.one_project_per_top_priority = True
    fund.save()
    green = services.priority_create(
        neighbourhood=buurtfonds.neighbourhood, year=round_.year, rank=1, title="Groen",
        acting_user=board_of(fund.cooperative),
    )  # fmt: skip
    application = entered(round_, resident_of(buurtfonds))  # names no priority
    board = assessed(round_, [application], [4])
    with after_deadline(round_):
        proposal = (
            client_for(board[0])
            .post(f"/api/v1/rounds/{round_.pk}/allocate/", {"rule": "board_score"}, format="json")
            .json()
        )
        assert proposal["coverage"]["uncovered"][0]["priority"] == green.pk
        finalize = f"/api/v1/rounds/{round_.pk}/finalize/"
        refused = client_for(board[0]).post(finalize, {}, format="json")
        assert refused.status_code == 409
        assert refused.json()["code"] == "top_priorities_uncovered"
        assert [u["priority"] for u in refused.json()["uncovered"]] == [green.pk]
        reason = "Geen groene aanvragen dit jaar; volgend jaar eerst."
        accepted = client_for(board[0]).post(finalize, {"override_reason": reason}, format="json")
    assert accepted.status_code == 200
    assert api.get(f"/api/v1/rounds/{round_.pk}/result/").json()["override_reason"] == reason


def test_a_recused_board_member_cannot_finalize_and_the_recusal_is_published(
    round_, buurtfonds, api
):
    application = entered(round_, resident_of(buurtfonds))
    board = assessed(round_, [application], [4])
    linked = MembershipFactory(cooperative=round_.fund.cooperative, role="board").user
    client_for(linked).post(
        "/api/v1/interests/", {"application": application.pk, "note": "Mijn buurman"}, format="json"
    )
    with after_deadline(round_):
        client_for(board[0]).post(
            f"/api/v1/rounds/{round_.pk}/allocate/", {"rule": "board_score"}, format="json"
        )
        refused = client_for(linked).post(
            f"/api/v1/rounds/{round_.pk}/finalize/", {}, format="json"
        )
        assert refused.status_code == 403 and refused.json()["code"] == "recused"
        assert (
            client_for(board[0])
            .post(f"/api/v1/rounds/{round_.pk}/finalize/", {}, format="json")
            .status_code
            == 200
        )
    result = api.get(f"/api/v1/rounds/{round_.pk}/result/").json()
    assert result["recusals"] == [
        {"board_member": linked.username, "application": application.pk, "organisation": None}
    ]


# -- pabulib: a decided round for public tools, any election replayed -----------------------------


def test_a_decided_round_exports_as_a_pabulib_file_that_replays_to_its_selection(
    round_, buurtfonds, coop_a, api
):
    a = entered(round_, resident_of(buurtfonds), title="A", amount_requested_cents=60_050,
                total_budget_cents=70_000)  # fmt: skip
    b = entered(round_, resident_of(buurtfonds), title="B", amount_requested_cents=30_000)
    board = assessed(round_, [a, b], [3, 3])
    stemlid = MemberOrganisation.objects.create(
        cooperative=coop_a, name="Wijkraad", member_kind="voting"
    )
    representative = resident_of(buurtfonds)
    stemlid.representatives.add(representative)
    client_for(representative).post(
        f"/api/v1/rounds/{round_.pk}/member-ballots/",
        {"organisation": stemlid.pk, "approve": [a.pk, b.pk]},
        format="json",
    )
    assert api.get(f"/api/v1/rounds/{round_.pk}/pabulib/").status_code == 409  # not decided
    with after_deadline(round_):
        client_for(board[0]).post(
            f"/api/v1/rounds/{round_.pk}/allocate/", {"rule": "equal_shares"}, format="json"
        )
        client_for(board[0]).post(f"/api/v1/rounds/{round_.pk}/finalize/", {}, format="json")
    exported = api.get(f"/api/v1/rounds/{round_.pk}/pabulib/")
    assert exported.status_code == 200
    text = exported.content.decode()
    election = pabulib.parse(text)
    assert election.meta["budget"] == "900" and election.meta["currency"] == "EUR"
    assert election.projects[str(a.pk)]["cost"] == "600.50"
    assert election.selected() == {str(a.pk)}  # 600.50 + 300 > 900
    replay = client_for(board[0]).post(
        "/api/v1/pabulib/select/",
        {"file": SimpleUploadedFile("ronde.pb", text.encode()), "rule": "equal_shares"},
        format="multipart",
    )
    assert replay.status_code == 200, replay.json()
    assert replay.json()["selected"] == [str(a.pk)]


def test_a_real_election_replays_to_what_the_city_funded(api, user):
    path = DATA / "Poland_Warszawa_2017_Plac_Wojska_Polskiego.pb"
    election = pabulib.parse(path.read_text())
    response = client_for(user).post(
        "/api/v1/pabulib/select/",
        {"file": SimpleUploadedFile(path.name, path.read_bytes()), "rule": "greedy"},
        format="multipart",
    )
    assert response.status_code == 200
    assert set(response.json()["selected"]) == election.selected()
    assert api.post("/api/v1/pabulib/select/", {}, format="multipart").status_code == 401


@pytest.mark.parametrize(
    ("content", "line"),
    [
        (
            b"META\nkey;value\nbudget;100\nPROJECTS\nproject_id;cost\n1;veel\nVOTES\nvoter_id;vote\n",
            6,
        ),
        (b"META\nkey;value\nPROJECTS\nproject_id;cost\n1;10\nVOTES\nvoter_id;vote\n1;1\n", None),
        (b"\xff\xfe\x00garbage", None),
    ],
)
def test_a_malformed_file_is_400_naming_the_line(user, content, line):
    response = client_for(user).post(
        "/api/v1/pabulib/select/",
        {"file": SimpleUploadedFile("kapot.pb", content), "rule": "greedy"},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "pabulib_invalid"
    if line is not None:
        assert response.json()["line"] == line


def test_an_election_that_would_take_too_long_is_refused(user, monkeypatch):
    """Few voters and a huge budget would make the completion run for hours."""
    from grants import rounds

    monkeypatch.setattr(rounds, "PABULIB_SECONDS", 0.2)
    content = (
        b"META\nkey;value\nbudget;1000000000\nPROJECTS\nproject_id;cost\n"
        b"a;999999999\nb;2\nVOTES\nvoter_id;vote\n1;a,b\n2;b\n"
    )
    response = client_for(user).post(
        "/api/v1/pabulib/select/",
        {"file": SimpleUploadedFile("traag.pb", content), "rule": "equal_shares"},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "pabulib_too_long"


# -- what an attack on the rounds found -------------------------------------------------------------


def test_a_linked_board_member_cannot_propose_the_allocation_a_colleague_finalizes(
    round_, buurtfonds
):
    application = entered(round_, resident_of(buurtfonds))
    assessed(round_, [application], [4])
    insider = MembershipFactory(cooperative=round_.fund.cooperative, role="board").user
    client_for(insider).post(
        "/api/v1/interests/", {"application": application.pk, "note": "Mijn dochter"}, format="json"
    )
    with after_deadline(round_):
        refused = client_for(insider).post(
            f"/api/v1/rounds/{round_.pk}/allocate/", {"rule": "board_score"}, format="json"
        )
    assert refused.status_code == 403 and refused.json()["code"] == "recused"
    assert Round.objects.get(pk=round_.pk).proposal is None


def test_a_proposal_whose_assessments_changed_must_be_proposed_again(round_, buurtfonds):
    a = entered(round_, resident_of(buurtfonds), title="A", amount_requested_cents=60_000,
                total_budget_cents=70_000)  # fmt: skip
    b = entered(round_, resident_of(buurtfonds), title="B", amount_requested_cents=60_000,
                total_budget_cents=70_000)  # fmt: skip
    board = assessed(round_, [a, b], [5, 4])
    late = MembershipFactory(cooperative=round_.fund.cooperative, role="board").user
    with after_deadline(round_):
        proposal = client_for(board[0]).post(
            f"/api/v1/rounds/{round_.pk}/allocate/", {"rule": "board_score"}, format="json"
        )
        assert proposal.json()["selected"] == [a.pk]
        assert (
            assess(late, a, added_value=1, impact=1, transferability=1, social_return=1).status_code
            == 201
        )
        stale = client_for(board[1]).post(
            f"/api/v1/rounds/{round_.pk}/finalize/", {}, format="json"
        )
        assert stale.status_code == 409 and stale.json()["code"] == "proposal_outdated"


def test_a_round_is_for_the_year_its_applications_close_in(pot):
    response = open_round(pot, year=YEAR + 1)
    assert response.status_code == 400 and response.json()["code"] == "round_dates_invalid"


def test_rules_about_top_priorities_nobody_set_leave_nothing_covered(api, buurtfonds):
    buurtfonds.one_project_per_top_priority = True
    buurtfonds.save()
    body = api.get(f"/api/v1/funds/{buurtfonds.pk}/coverage/").json()
    assert body["covered"] is False
    assert body["uncovered"] == [{"rule": "no_top_priorities", "priority": None}]


def test_a_not_allocated_application_shows_its_decision_as_rejected(round_, buurtfonds, api):
    a = entered(round_, resident_of(buurtfonds), title="A", amount_requested_cents=60_000,
                total_budget_cents=70_000)  # fmt: skip
    b = entered(round_, resident_of(buurtfonds), title="B", amount_requested_cents=60_000,
                total_budget_cents=70_000)  # fmt: skip
    board = assessed(round_, [a, b], [5, 4])
    with after_deadline(round_):
        client_for(board[0]).post(
            f"/api/v1/rounds/{round_.pk}/allocate/", {"rule": "board_score"}, format="json"
        )
        client_for(board[0]).post(f"/api/v1/rounds/{round_.pk}/finalize/", {}, format="json")
    assert api.get(f"/api/v1/applications/{b.pk}/").json()["decision"] == "rejected"
    assert api.get(f"/api/v1/applications/{a.pk}/").json()["decision"] == "approved"


def test_nobody_declares_across_cooperatives_and_the_result_hides_recusals_until_decided(
    round_, buurtfonds, coop_b, api
):
    application = entered(round_, resident_of(buurtfonds))
    outsider = client_for(board_of(coop_b)).post(
        "/api/v1/interests/", {"application": application.pk, "note": "x"}, format="json"
    )
    assert outsider.status_code == 403
    client_for(board_of(round_.fund.cooperative)).post(
        "/api/v1/interests/", {"application": application.pk, "note": "buurman"}, format="json"
    )
    result = api.get(f"/api/v1/rounds/{round_.pk}/result/").json()
    assert result["recusals"] == []
    assert result["applications"][0]["assessments"] is None


@pytest.mark.parametrize("amount", ["1E-5000", "1E+999999", "0.001", "1000000000001"])
def test_absurd_amounts_in_a_pabulib_file_are_400(user, amount):
    content = (
        f"META\nkey;value\nbudget;{amount}\nPROJECTS\nproject_id;cost\n1;5\nVOTES\nvoter_id;vote\n1;1\n"
    ).encode()
    response = client_for(user).post(
        "/api/v1/pabulib/select/",
        {"file": SimpleUploadedFile("raar.pb", content), "rule": "equal_shares"},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "pabulib_invalid" and response.json()["line"] == 3


def test_a_proposal_computed_while_an_assessment_came_in_is_not_stored(
    round_, buurtfonds, monkeypatch
):
    """The rule runs outside the round's lock; what changed meanwhile voids its answer."""
    from grants import allocation

    a = entered(round_, resident_of(buurtfonds))
    board = assessed(round_, [a], [4])
    late = MembershipFactory(cooperative=round_.fund.cooperative, role="board").user
    original = allocation.board_score

    def slow_rule(*args, **kwargs):
        assert assess(late, a).status_code == 201  # lands while the rule computes
        return original(*args, **kwargs)

    monkeypatch.setattr(allocation, "board_score", slow_rule)
    with after_deadline(round_):
        response = client_for(board[0]).post(
            f"/api/v1/rounds/{round_.pk}/allocate/", {"rule": "board_score"}, format="json"
        )
    assert response.status_code == 409 and response.json()["code"] == "proposal_outdated"
    assert Round.objects.get(pk=round_.pk).proposal is None


def test_an_allocated_grant_is_paid_in_a_batch_and_allocated_again_if_returned(
    round_, buurtfonds, coop_a
):
    from grants import payouts

    coop_a.iban, coop_a.bank_account_name = "NL39RABO0300065264", "Buurtcoöperatie A"
    coop_a.save()
    best = entered(round_, resident_of(buurtfonds), amount_requested_cents=50_000,
                   total_budget_cents=60_000)  # fmt: skip
    board = assessed(round_, [best], [5])
    with after_deadline(round_):
        client_for(board[0]).post(
            f"/api/v1/rounds/{round_.pk}/allocate/", {"rule": "board_score"}, format="json"
        )
        client_for(board[1]).post(f"/api/v1/rounds/{round_.pk}/finalize/", {}, format="json")
    assert Application.objects.get(pk=best.pk).status == "allocated"
    treasurer = treasurer_of(coop_a)

    batch = payouts.payout_batch_create(
        acting_user=treasurer, application_ids=[best.pk], execution_date=timezone.localdate()
    )
    payouts.payout_batch_export(batch=batch, acting_user=treasurer)
    payouts.payout_batch_confirm(batch=batch, acting_user=treasurer)
    assert Application.objects.get(pk=best.pk).status == "paid"
    payouts.payout_item_returned(item=batch.items.get(), actor=treasurer, reason="AC01")

    # Back to where an innovation grant waits for its money, never "approved".
    returned = Application.objects.get(pk=best.pk)
    assert returned.status == "allocated"
    assert [c.to_status for c in returned.history.order_by("pk")][-2:] == ["paid", "allocated"]
    fund = Fund.objects.get(pk=round_.fund_id)
    assert (
        client_for(treasurer).get(f"/api/v1/funds/{fund.pk}/").json()["balance"]["committed_cents"]
        == 50_000
    )
