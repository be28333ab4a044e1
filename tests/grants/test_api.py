"""Funds, priorities and applications over HTTP: roles, visibility, bad input."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from grants.models import Application, Fund
from tests.conftest import client_for
from tests.grants.factories import (
    IBAN,
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


def new_fund_payload(coop, neighbourhood):
    return {
        "name": "Buurtfonds 2027",
        "kind": "buurtfonds",
        "cooperative": coop.pk,
        "neighbourhood": neighbourhood.pk,
    }


def test_board_opens_a_fund_others_may_not(coop_a, coop_b, rivierenwijk, api):
    payload = new_fund_payload(coop_a, rivierenwijk)
    assert api.post("/api/v1/funds/", payload, format="json").status_code == 401
    assert (
        client_for(treasurer_of(coop_a)).post("/api/v1/funds/", payload, format="json").status_code
        == 403
    )
    assert (
        client_for(board_of(coop_b)).post("/api/v1/funds/", payload, format="json").status_code
        == 403
    )
    created = client_for(board_of(coop_a)).post("/api/v1/funds/", payload, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["vote_window_minutes"] == 1440 and body["own_contribution_percent"] == "5.00"
    assert body["balance"]["available_cents"] == 0


def test_a_buurtfonds_must_be_in_the_cooperatives_own_buurt(coop_a, lunetten):
    response = client_for(board_of(coop_a)).post(
        "/api/v1/funds/", new_fund_payload(coop_a, lunetten), format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "wrong_fund_kind"


def test_treasurer_deposits_and_the_balance_shows_it(fund, coop_a, coop_b, api):
    payload = {"amount_cents": 250_000, "source": "donations", "reference": "NL-BANK-2026-044"}
    url = f"/api/v1/funds/{fund.pk}/deposits/"
    assert client_for(board_of(coop_a)).post(url, payload, format="json").status_code == 403
    assert client_for(treasurer_of(coop_b)).post(url, payload, format="json").status_code == 403
    first = client_for(treasurer_of(coop_a)).post(url, payload, format="json")
    assert first.status_code == 201
    assert first.json()["balance"]["deposited_cents"] == 1_750_000
    again = client_for(treasurer_of(coop_a)).post(url, payload, format="json")
    assert again.json()["entry"] == first.json()["entry"]  # same bank reference: no double deposit
    detail = api.get(f"/api/v1/funds/{fund.pk}/").json()
    assert detail["balance"] == {
        "deposited_cents": 1_750_000,
        "reserved_cents": 0,
        "committed_cents": 0,
        "paid_cents": 0,
        "returned_cents": 0,
        "available_cents": 1_750_000,
    }


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"amount_cents": 0, "source": "subsidy", "reference": "x"}, "amount_cents"),
        ({"amount_cents": 10.5, "source": "subsidy", "reference": "x"}, "amount_cents"),
        ({"amount_cents": 100, "source": "lottery", "reference": "x"}, "source"),
        ({"amount_cents": 100, "source": "subsidy"}, "reference"),
    ],
)
def test_bad_deposits_are_field_errors(fund, coop_a, payload, field):
    response = client_for(treasurer_of(coop_a)).post(
        f"/api/v1/funds/{fund.pk}/deposits/", payload, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_priorities_by_the_board_of_that_buurt(coop_a, coop_b, rivierenwijk, api):
    payload = {
        "neighbourhood": rivierenwijk.pk,
        "year": 2026,
        "rank": 1,
        "title": "Eenzaamheid onder ouderen",
    }
    assert (
        client_for(board_of(coop_b)).post("/api/v1/priorities/", payload, format="json").status_code
        == 403
    )
    assert (
        client_for(board_of(coop_a)).post("/api/v1/priorities/", payload, format="json").status_code
        == 201
    )
    taken = client_for(board_of(coop_a)).post("/api/v1/priorities/", payload, format="json")
    assert taken.status_code == 409 and taken.json()["code"] == "priority_rank_taken"
    listed = api.get(f"/api/v1/priorities/?neighbourhood={rivierenwijk.pk}&year=2026").json()
    assert [p["title"] for p in listed["results"]] == ["Eenzaamheid onder ouderen"]


def test_a_resident_applies_and_submits_over_http(fund):
    resident = resident_of(fund)
    client = client_for(resident)
    created = client.post(
        "/api/v1/applications/",
        {
            "fund": fund.pk,
            "title": "Speeltuin opknappen",
            "summary": "Verf en zand",
            "amount_requested_cents": 30_000,
            "total_budget_cents": 40_000,
            "own_contribution_cents": 3_000,
            "payee_name": "Buurtspeeltuin",
            "payee_iban": IBAN,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "draft" and body["allowed_actions"] == ["submit", "withdraw"]
    assert body["payee_iban"] == "NL91 **** **** **43 00"
    submitted = client.post(f"/api/v1/applications/{body['id']}/submit/")
    assert submitted.status_code == 200
    assert submitted.json()["status"] == "voting" and submitted.json()["vote_closes_at"]
    assert submitted.json()["history"][0]["by"] == "applicant"


def test_submit_rule_errors_name_the_rule(fund):
    application = make_application(
        fund, amount_requested_cents=40_000, total_budget_cents=40_000, own_contribution_cents=0
    )
    response = client_for(application.applicant).post(
        f"/api/v1/applications/{application.pk}/submit/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "own_contribution_too_small"
    assert "own contribution" in response.json()["detail"]


def test_drafts_are_private_and_submitted_applications_public(fund, api, coop_b):
    draft = make_application(fund)
    submitted = advance(make_application(fund), "voting")
    listed = api.get(f"/api/v1/applications/?fund={fund.pk}").json()
    assert [a["id"] for a in listed["results"]] == [submitted.pk]
    assert api.get(f"/api/v1/applications/{draft.pk}/").status_code == 404
    assert client_for(draft.applicant).get(f"/api/v1/applications/{draft.pk}/").status_code == 200
    assert (
        client_for(coordinator_of(fund.cooperative))
        .get(f"/api/v1/applications/{draft.pk}/")
        .status_code
        == 200
    )
    assert client_for(board_of(coop_b)).get(f"/api/v1/applications/{draft.pk}/").status_code == 404
    public = api.get(f"/api/v1/applications/{submitted.pk}/").json()
    assert public["payee_iban"] is None and public["payee_name"] is None
    # Whole only for the cooperative's treasurers, who pay it; masked for other staff.
    assert (
        client_for(treasurer_of(fund.cooperative))
        .get(f"/api/v1/applications/{submitted.pk}/")
        .json()["payee_iban"]
        == IBAN
    )
    assert (
        client_for(coordinator_of(fund.cooperative))
        .get(f"/api/v1/applications/{submitted.pk}/")
        .json()["payee_iban"]
        == "NL91 **** **** **43 00"
    )
    assert (
        client_for(treasurer_of(coop_b))
        .get(f"/api/v1/applications/{submitted.pk}/")
        .json()["payee_iban"]
        is None
    )


def test_public_list_filters_by_status_priority_and_year(fund, coop_a, rivierenwijk):
    from grants.services import priority_create

    green = priority_create(
        neighbourhood=rivierenwijk, year=2026, rank=1, title="Groen", acting_user=board_of(coop_a)
    )
    with_priority = advance(make_application(fund, priorities=[green]), "approved")
    advance(make_application(fund), "rejected")
    client = client_for(resident_of(fund))
    assert [
        a["id"] for a in client.get(f"/api/v1/applications/?priority={green.pk}").json()["results"]
    ] == [with_priority.pk]
    assert client.get("/api/v1/applications/?status=rejected").json()["count"] == 1
    year = with_priority.created_at.year
    assert client.get(f"/api/v1/applications/?year={year}").json()["count"] == 2
    assert client.get(f"/api/v1/applications/?year={year + 1}").json()["count"] == 0
    decided = client.get(f"/api/v1/applications/{with_priority.pk}/").json()
    assert decided["decision"] == "approved" and decided["tally"] == {
        "yes": 3,
        "no": 0,
        "total": 3,
        "paper": 0,
    }


def test_wrong_actor_is_403_and_nothing_changes(fund, coop_b):
    application = advance(make_application(fund), "approved")
    for client, action in (
        (client_for(treasurer_of(coop_b)), "pay"),
        (client_for(application.applicant), "pay"),
        (client_for(resident_of(fund)), "withdraw"),
        (client_for(board_of(coop_b)), "cancel"),
    ):
        assert (
            client.post(
                f"/api/v1/applications/{application.pk}/{action}/", {}, format="json"
            ).status_code
            == 403
        )
    application.refresh_from_db()
    assert application.status == "approved"


def test_unknown_fund_or_application_is_404(fund):
    client = client_for(resident_of(fund))
    assert client.post("/api/v1/applications/999999/submit/").status_code == 404
    bad = client.post(
        "/api/v1/applications/",
        {
            "fund": 999999,
            "title": "x",
            "summary": "y",
            "amount_requested_cents": 100,
            "total_budget_cents": 100,
        },
        format="json",
    )
    assert bad.status_code == 400 and "fund" in bad.json()["fields"]
    assert Application.objects.count() == 0
    assert Fund.objects.count() == 1


def test_admin_shows_applications_with_history_but_not_the_iban(fund, client, django_user_model):
    application = advance(make_application(fund), "approved")
    client.force_login(
        django_user_model.objects.create_superuser("beheer", "b@example.org", "x-long-pass-1")
    )
    page = client.get(
        f"/admin/grants/application/{application.pk}/change/", HTTP_ACCEPT_LANGUAGE="nl"
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "goedgekeurd" in html and "in stemming" in html  # status history, in Dutch
    assert "0417164300" not in html


def test_own_contribution_received_comes_from_the_books(fund, api):
    from ledger import postings

    application = advance(make_application(fund), "voting")
    postings.post_event(
        postings.PROCESSOR_EVENTS["crowdfunding"],
        earmark=application.earmark,
        amount_cents=2_500,
        idempotency_key="evt_1",
    )
    body = api.get(f"/api/v1/applications/{application.pk}/").json()
    assert body["topped_up_cents"] == 2_500
    assert (body["own_contribution_cents"], body["own_contribution_received_cents"]) == (
        5_000,
        2_500,
    )


def test_a_draft_withdrawn_before_submitting_stays_private(fund, api, coop_b):
    draft = make_application(fund)
    response = client_for(draft.applicant).post(f"/api/v1/applications/{draft.pk}/withdraw/")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert api.get(f"/api/v1/applications/{draft.pk}/").status_code == 404
    assert api.get("/api/v1/applications/?status=withdrawn").json()["count"] == 0
    assert client_for(resident_of(fund)).get(f"/api/v1/applications/{draft.pk}/").status_code == 404
    assert client_for(draft.applicant).get(f"/api/v1/applications/{draft.pk}/").status_code == 200
    submitted = advance(make_application(fund), "voting")
    client_for(submitted.applicant).post(f"/api/v1/applications/{submitted.pk}/withdraw/")
    assert api.get(f"/api/v1/applications/{submitted.pk}/").status_code == 200  # was public


def test_history_never_names_a_resident(fund, coop_a):
    from community.models import MemberOrganisation

    first, second = resident_of(fund), resident_of(fund)
    bbbo = MemberOrganisation.objects.create(
        name="Bewonersvereniging", cooperative=coop_a, member_kind="voting"
    )
    bbbo.neighbourhoods.add(fund.neighbourhood)
    bbbo.representatives.add(first, second)
    application = make_application(fund, applicant=first, organisation=bbbo)
    client_for(first).post(f"/api/v1/applications/{application.pk}/submit/")
    client_for(second).post(f"/api/v1/applications/{application.pk}/withdraw/")  # co-representative
    history = APIClient().get(f"/api/v1/applications/{application.pk}/").json()["history"]
    assert [h["by"] for h in history] == ["applicant", "applicant"]
    assert second.username not in str(history) and first.username not in str(history)


def test_a_report_upload_is_refused_unread_for_a_stranger_or_when_too_large(fund, monkeypatch):
    from rest_framework.parsers import MultiPartParser

    from grants.services import REPORT_MAX_BYTES

    paid = advance(make_application(fund), "paid")

    def read_the_body(*args, **kwargs):
        raise AssertionError("the body was read")

    monkeypatch.setattr(MultiPartParser, "parse", read_the_body)
    url = f"/api/v1/applications/{paid.pk}/report/"
    upload = {
        "summary": "x",
        "spent_cents": 1,
        "receipts": [SimpleUploadedFile("a.pdf", b"%PDF-1")],
    }
    stranger = client_for(resident_of(fund)).post(url, upload, format="multipart")
    assert stranger.status_code == 403 and stranger.json()["code"] == "not_applicant"
    huge = client_for(paid.applicant).post(
        url, upload, format="multipart", CONTENT_LENGTH=str(REPORT_MAX_BYTES + 1)
    )
    assert huge.status_code == 413 and huge.json()["code"] == "upload_too_large"
    paid.refresh_from_db()
    assert paid.status == "paid"
