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


@pytest.mark.parametrize("path", ["/api/v1/applications/", "/aanvragen/nieuw/", "/admin/login/"])
def test_a_body_larger_than_any_upload_is_refused_before_it_is_read(fund, path, settings):
    """The body is announced as 27 MB and never sent: the answer comes without reading it."""
    resident = resident_of(fund)
    client = client_for(resident) if path.startswith("/api/") else Client()
    answer = client.generic(
        "POST",
        path,
        b"",
        content_type="application/json",
        CONTENT_LENGTH=str(settings.REQUEST_BODY_MAX_BYTES + 1),
    )
    assert answer.status_code == 413
    assert answer["Connection"] == "close"
    if path.startswith("/api/"):
        assert answer.json()["code"] == "request_too_large"
        assert answer.json()["max_bytes"] == settings.REQUEST_BODY_MAX_BYTES
    else:
        assert "Het verzoek is te groot: hoogstens 26 MB" in answer.content.decode()
    assert not fund.applications.exists()


def test_a_body_at_the_limit_reaches_the_view(fund, settings):
    settings.REQUEST_BODY_MAX_BYTES = 200
    resident = resident_of(fund)
    body = json.dumps({"fund": fund.pk, "title": "Plantenbak"})
    assert len(body) <= 200
    answer = client_for(resident).post(
        "/api/v1/applications/", body, content_type="application/json"
    )
    assert answer.status_code == 400  # the view's own answer: required fields are missing
    assert answer.json()["code"] != "request_too_large"
