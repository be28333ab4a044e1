"""Abuse, as issue 14 lists it: oversized bodies refused early with a code, every list
capped at 100 a page, the admin closed without a staff login."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.conftest import client_for
from tests.grants.factories import advance, make_application, make_fund, resident_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def fund(coop_a, rivierenwijk):
    return make_fund(coop_a, rivierenwijk, max_open_per_applicant=200)


def test_an_oversized_json_body_is_a_400_with_a_code_and_changes_nothing(fund):
    resident = resident_of(fund)
    body = json.dumps({"fund": fund.pk, "title": "x", "summary": "y" * 3_000_000})
    answer = client_for(resident).post(
        "/api/v1/applications/", body, content_type="application/json"
    )
    assert answer.status_code in (400, 413)
    assert answer.json()["code"] and answer.json()["detail"]
    assert not fund.applications.exists()


def test_an_oversized_form_on_the_pages_is_refused(fund):
    client = Client()
    client.force_login(resident_of(fund))
    answer = client.post(
        f"/aanvragen/nieuw/?fonds={fund.pk}", {"title": "x", "summary": "y" * 3_000_000}
    )
    assert answer.status_code == 400
    assert not fund.applications.exists()


def test_a_list_gives_at_most_100_a_page_whatever_is_asked(fund):
    applicant = resident_of(fund)
    for n in range(105):
        make_application(fund, applicant=applicant, title=f"Plan {n}")
    client = client_for(applicant)
    for size in ("1000", "101", "-395", "abc", "0"):
        answer = client.get(f"/api/v1/applications/?mine=true&page_size={size}")
        # Refused, as the schema says (1 to 100), rather than quietly shortened.
        assert answer.status_code == 400, size
        assert list(answer.json()["fields"]) == ["page_size"]
    page = client.get("/api/v1/applications/?mine=true&page_size=100").json()
    assert page["count"] == 105 and len(page["results"]) == 100
    assert len(client.get("/api/v1/applications/?mine=true").json()["results"]) == 25
    assert len(client.get("/api/v1/applications/?mine=true&page_size=7").json()["results"]) == 7


def test_the_admin_needs_a_staff_login(fund):
    assert Client().get("/admin/")["Location"].startswith("/admin/login/")
    resident = Client()
    resident.force_login(resident_of(fund))
    answer = resident.get("/admin/grants/application/")
    assert answer.status_code == 302 and "/admin/login/" in answer["Location"]
    application = advance(make_application(fund), "voting")
    assert Client().get(f"/admin/grants/application/{application.pk}/change/").status_code == 302
