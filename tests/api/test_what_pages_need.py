"""What a client (the resident pages among them) needs of the API: find cooperatives and
their ids, open votes in a buurt, whether you voted, your own applications, what you may do,
drafts to correct or delete, every submit rule at once, the people at the desk."""

from __future__ import annotations

import pytest

from community.models import AuditEvent, MemberOrganisation
from grants.models import Application
from tests.community.factories import make_resident
from tests.conftest import client_for
from tests.grants.factories import (
    advance,
    board_of,
    coordinator_of,
    make_application,
    make_fund,
    resident_of,
    treasurer_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def fund(coop_a, rivierenwijk):
    return make_fund(coop_a, rivierenwijk)


def test_the_api_root_lists_the_resources_to_anyone(api):
    answer = api.get("/api/v1/")
    assert answer.status_code == 200
    assert {"applications", "cooperatives", "funds", "member-organisations"} <= set(answer.json())


def test_cooperatives_are_listed_with_their_ids_and_buurten(api, coop_a, coop_b, rivierenwijk):
    listed = {c["slug"]: c for c in api.get("/api/v1/cooperatives/").json()["results"]}
    assert listed[coop_a.slug]["id"] == coop_a.pk
    assert listed[coop_a.slug]["buurten"] == [rivierenwijk.pk]
    city = listed[coop_a.parent.slug]
    assert city["kind"] == "city"
    assert rivierenwijk.pk in city["buurten"]  # its member's buurt


def test_me_says_where_i_hold_roles_and_which_buurten_i_coordinate(coop_a, rivierenwijk):
    coordinator = coordinator_of(coop_a)
    me = client_for(coordinator).get("/api/v1/auth/me/").json()
    assert me["cooperatives"] == [coop_a.pk]
    assert me["roles"] == [{"cooperative": coop_a.slug, "cooperative_id": coop_a.pk,
                            "role": "coordinator"}]  # fmt: skip
    assert me["coordinator_of"] == [rivierenwijk.pk]
    resident = make_resident(neighbourhood=rivierenwijk, coordinator=coordinator)
    assert client_for(resident).get("/api/v1/auth/me/").json()["coordinator_of"] == []


def test_open_votes_of_a_buurt_and_whether_i_voted(fund, rivierenwijk, lunetten, api):
    voting = advance(make_application(fund), "voting")
    advance(make_application(fund, title="Besloten"), "approved")
    voter, other = resident_of(fund), resident_of(fund)
    assert (
        client_for(voter)
        .post(f"/api/v1/applications/{voting.pk}/vote/", {"choice": "yes"}, format="json")
        .status_code
        == 201
    )

    url = f"/api/v1/applications/?neighbourhood={rivierenwijk.pk}&status=voting"
    mine = client_for(voter).get(url).json()["results"]
    theirs = client_for(other).get(url).json()["results"]
    anonymous = api.get(url).json()["results"]

    assert [a["id"] for a in mine] == [voting.pk]
    assert (mine[0]["has_voted"], theirs[0]["has_voted"], anonymous[0]["has_voted"]) == (
        True,
        False,
        None,
    )
    assert api.get(f"/api/v1/applications/?neighbourhood={lunetten.pk}").json()["results"] == []
    assert api.get("/api/v1/applications/?neighbourhood=x").status_code == 400


def test_mine_lists_my_own_applications_drafts_included(fund, api):
    applicant = resident_of(fund)
    draft = make_application(fund, applicant=applicant)
    make_application(fund)  # someone else's
    listed = client_for(applicant).get("/api/v1/applications/?mine=true").json()["results"]
    assert [a["id"] for a in listed] == [draft.pk]
    assert api.get("/api/v1/applications/?mine=true").json()["results"] == []


def test_allowed_actions_are_those_of_the_caller(fund, api):
    application = advance(make_application(fund), "approved")
    coop = fund.cooperative

    def actions(client):
        return client.get(f"/api/v1/applications/{application.pk}/").json()["allowed_actions"]

    assert actions(api) == []
    assert actions(client_for(resident_of(fund))) == []
    assert actions(client_for(application.applicant)) == []
    assert actions(client_for(treasurer_of(coop))) == ["pay"]
    assert actions(client_for(board_of(coop))) == ["cancel"]
    draft = make_application(fund)
    assert client_for(draft.applicant).get(f"/api/v1/applications/{draft.pk}/").json()[
        "allowed_actions"
    ] == ["submit", "withdraw"]


def test_the_applicant_corrects_and_deletes_a_draft(fund):
    draft = make_application(fund, own_contribution_cents=0)
    client = client_for(draft.applicant)
    url = f"/api/v1/applications/{draft.pk}/"

    edited = client.patch(url, {"own_contribution_cents": 2_500, "title": "Beter"}, format="json")

    assert edited.status_code == 200
    assert (edited.json()["title"], edited.json()["own_contribution_cents"]) == ("Beter", 2_500)
    assert AuditEvent.objects.filter(action="application_draft_edited").exists()
    assert client.delete(url).status_code == 204
    assert not Application.objects.filter(pk=draft.pk).exists()
    assert AuditEvent.objects.filter(action="application_draft_deleted").exists()


def test_nobody_else_edits_or_deletes_a_draft_and_a_submitted_one_stays(fund):
    draft = make_application(fund)
    url = f"/api/v1/applications/{draft.pk}/"
    for user in (resident_of(fund), board_of(fund.cooperative)):
        client = client_for(user)
        assert client.patch(url, {"title": "Van mij"}, format="json").status_code in (403, 404)
        assert client.delete(url).status_code in (403, 404)
    submitted = advance(draft, "voting")
    client = client_for(submitted.applicant)
    changed = client.patch(url, {"amount_requested_cents": 75_000}, format="json")
    assert changed.status_code == 409
    assert client.delete(url).status_code == 409
    assert Application.objects.get(pk=draft.pk).title == "Buurtbarbecue aan de Rijnlaan"
    assert client.put(url, {"title": "x"}, format="json").status_code == 405
    assert client.patch(url, {"amount_requested_cents": -1}, format="json").status_code == 400


def test_every_submit_rule_is_checked_on_a_draft_with_its_figures(fund):
    draft = make_application(
        fund, amount_requested_cents=90_000, total_budget_cents=80_000, own_contribution_cents=0
    )
    answer = client_for(draft.applicant).get(f"/api/v1/applications/{draft.pk}/checks/")

    assert answer.status_code == 200
    checks = {c["rule"]: c for c in answer.json()}
    failed = {rule for rule, c in checks.items() if not c["passed"]}
    assert failed == {"amount_out_of_range", "budget_too_small", "own_contribution_too_small"}
    assert checks["amount_out_of_range"]["figures"]["max_request_cents"] == 75_000
    assert checks["own_contribution_too_small"]["figures"]["needed_cents"] == 4_000
    assert checks["insufficient_funds"]["passed"]
    # Submit refuses with the first failing rule's code.
    refused = client_for(draft.applicant).post(f"/api/v1/applications/{draft.pk}/submit/")
    assert refused.json()["code"] == "amount_out_of_range"
    # Corrected, every rule passes, and submit goes through.
    client_for(draft.applicant).patch(
        f"/api/v1/applications/{draft.pk}/",
        {"amount_requested_cents": 40_000, "total_budget_cents": 50_000,
         "own_contribution_cents": 5_000},
        format="json",
    )  # fmt: skip
    again = client_for(draft.applicant).get(f"/api/v1/applications/{draft.pk}/checks/").json()
    assert all(c["passed"] for c in again)
    assert (
        client_for(draft.applicant).post(f"/api/v1/applications/{draft.pk}/submit/").status_code
        == 200
    )


def test_a_draft_and_its_checks_stay_private(fund, api):
    draft = make_application(fund)
    assert api.get(f"/api/v1/applications/{draft.pk}/checks/").status_code == 404
    assert (
        client_for(resident_of(fund)).get(f"/api/v1/applications/{draft.pk}/checks/").status_code
        == 404
    )


def test_member_organisations_are_listed(api, coop_a, rivierenwijk):
    organisation = MemberOrganisation.objects.create(
        cooperative=coop_a, name="Bewonersorganisatie Rivierenwijk", member_kind="voting"
    )
    organisation.neighbourhoods.add(rivierenwijk)
    listed = api.get(f"/api/v1/member-organisations/?cooperative={coop_a.pk}").json()["results"]
    assert listed == [{"id": organisation.pk, "name": organisation.name,
                       "cooperative": coop_a.pk, "member_kind": "voting",
                       "neighbourhoods": [rivierenwijk.pk]}]  # fmt: skip


def test_a_coordinator_finds_the_residents_of_their_buurten_only(coop_a, coop_b, rivierenwijk,
                                                                  lunetten):  # fmt: skip
    coordinator = coordinator_of(coop_a)
    mine = make_resident(neighbourhood=rivierenwijk, coordinator=coordinator)
    mine.first_name, mine.last_name = "Fatima", "El Amrani"
    mine.save()
    elsewhere = make_resident(neighbourhood=lunetten, coordinator=coordinator_of(coop_b))
    client = client_for(coordinator)

    listed = client.get("/api/v1/residents/").json()["results"]
    found = client.get("/api/v1/residents/?search=amrani").json()["results"]

    assert [r["id"] for r in listed] == [mine.pk]
    assert [r["name"] for r in found] == ["Fatima El Amrani"]
    assert "email" not in listed[0]
    assert elsewhere.pk not in [r["id"] for r in listed]
    assert client_for(mine).get("/api/v1/residents/").status_code == 403
    assert client.get("/api/v1/residents/?neighbourhood=-1").status_code == 400
