"""The information point: a coordinator registers a resident who is present (no e-mail, a
printed sheet with a one-time password), enters a paper application or a paper ballot."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from community.models import AuditEvent, Residency, User
from grants.models import Application
from tests.grants.factories import (
    advance,
    coordinator_of,
    make_application,
    make_fund,
    resident_of,
)
from tests.web.test_pages import logged_in, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def fund(coop_a, rivierenwijk):
    return make_fund(coop_a, rivierenwijk)


@pytest.fixture
def desk(fund):
    return logged_in(coordinator_of(fund.cooperative))


def register(desk, rivierenwijk, **fields):
    data = {"first_name": "Ans", "last_name": "de Vries", "neighbourhood": rivierenwijk.pk,
            "code": "", "seen_proof": "on", **fields}  # fmt: skip
    return desk.post("/infopunt/bewoner/", data)


def test_only_coordinators_reach_the_information_point(fund):
    assert logged_in(resident_of(fund)).get("/infopunt/").status_code == 403
    assert Client().get("/infopunt/").status_code == 302
    assert "Informatiepunt" in text(logged_in(coordinator_of(fund.cooperative)).get("/"))


def test_a_resident_without_an_account_gets_a_sheet_and_chooses_a_password(desk, rivierenwijk):
    sheet = register(desk, rivierenwijk)

    assert sheet.status_code == 201 and sheet["Cache-Control"] == "no-store"
    username = re.search(r"<code>([a-z0-9]+)</code>", sheet.content.decode()).group(1)
    password = re.search(r"<code>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</code>",
                         sheet.content.decode()).group(1)  # fmt: skip
    user = User.objects.get(username=username)
    assert (user.first_name, user.email, user.password_change_required) == ("Ans", "", True)
    assert Residency.objects.get(user=user, ended_at__isnull=True).neighbourhood == rivierenwijk
    event = AuditEvent.objects.get(action="resident_registered_at_desk")
    assert password not in str(event.data)

    client = Client()
    assert (
        client.post("/inloggen/", {"username": username, "password": password}).status_code == 302
    )
    assert client.get("/mijn-aanvragen/")["Location"] == "/wachtwoord-wijzigen/"
    assert client.get("/api/v1/auth/me/").json()["code"] == "password_change_required"
    token = client.post("/api/v1/auth/token/", {"username": username, "password": password})
    assert token.status_code == 403 and token.json()["code"] == "password_change_required"
    changed = client.post(
        "/wachtwoord-wijzigen/",
        {
            "old_password": password,
            "new_password1": "mijn-eigen-zin-77",
            "new_password2": "mijn-eigen-zin-77",
        },  # fmt: skip
    )
    assert changed.status_code == 302
    assert client.get("/mijn-aanvragen/").status_code == 200
    assert not User.objects.get(pk=user.pk).password_change_required
    again = Client().post("/inloggen/", {"username": username, "password": password})
    assert again.status_code == 200  # the sheet's password no longer opens anything


def test_without_a_code_the_coordinator_confirms_proof_of_address(desk, rivierenwijk, lunetten):
    refused = register(desk, rivierenwijk, seen_proof="")
    elsewhere = register(desk, rivierenwijk, neighbourhood=lunetten.pk)
    assert refused.status_code == 400 and 'aria-invalid="true"' in text(refused)
    assert elsewhere.status_code == 400  # not a buurt this coordinator serves
    assert not User.objects.filter(first_name="Ans").exists()


def test_a_coordinator_enters_a_paper_ballot_for_a_resident_found_by_name(desk, fund):
    application = advance(make_application(fund), "voting")
    voter = resident_of(fund)
    voter.first_name, voter.last_name = "Kees", "Bakker"
    voter.save()
    found = text(desk.get(f"/infopunt/stem/{application.pk}/?zoek=bakker"))
    assert "Kees Bakker" in found

    recorded = desk.post(
        f"/infopunt/stem/{application.pk}/",
        {"resident": voter.pk, "choice": "yes", "form_number": "P-0042"},
    )

    assert recorded.status_code == 302
    participation = application.participations.get(voter=voter)
    assert participation.assisted_by is not None


def test_a_coordinator_of_another_buurt_cannot_enter_ballots_here(fund, coop_b, lunetten):
    application = advance(make_application(fund), "voting")
    other = logged_in(coordinator_of(make_fund(coop_b, lunetten).cooperative))
    voter = resident_of(fund)
    answer = other.post(
        f"/infopunt/stem/{application.pk}/",
        {"resident": voter.pk, "choice": "yes", "form_number": "P-1"},
    )
    assert answer.status_code == 404
    assert application.participations.count() == 0


def test_a_coordinator_enters_a_paper_application_and_sends_it_in(desk, fund):
    saved = desk.post(
        f"/infopunt/aanvraag/?fonds={fund.pk}",
        {"paper_applicant_name": "mw. Bos", "title": "Kerstborrel", "summary": "Voor ouderen.",
         "amount_requested": "200", "total_budget": "300", "own_contribution": "15",
         "payee_name": "", "payee_iban": ""},
    )  # fmt: skip
    draft = Application.objects.get(title="Kerstborrel")
    assert saved["Location"] == f"/aanvraag/{draft.pk}/bewerken/"
    assert draft.paper_applicant_name == "mw. Bos" and draft.entered_by is not None
    desk.post(f"/aanvraag/{draft.pk}/insturen/")
    assert Application.objects.get(pk=draft.pk).status == "voting"
