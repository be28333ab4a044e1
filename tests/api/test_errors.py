"""Every error has the same shape, in Dutch by default and in English on request."""

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

pytestmark = pytest.mark.django_db


def test_unauthenticated_error_is_dutch_by_default(api):
    response = api.get("/api/v1/auth/me/")
    assert response.status_code == 401
    assert response.json() == {"code": "not_authenticated", "detail": "Log eerst in."}


def test_unauthenticated_error_in_english_on_request(api):
    response = api.get("/api/v1/auth/me/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json() == {"code": "not_authenticated", "detail": "Log in first."}


def test_validation_errors_name_the_fields_in_the_request_language(api):
    nl = api.post("/api/v1/auth/register/", {}, format="json").json()
    en = api.post("/api/v1/auth/register/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en").json()
    assert nl["code"] == en["code"] == "invalid"
    assert nl["detail"] == "Sommige velden ontbreken of zijn ongeldig."
    assert en["detail"] == "Some fields are missing or invalid."
    assert set(nl["fields"]) == {"username", "email", "password"}
    assert nl["fields"]["username"] == ["Dit veld is vereist."]
    assert en["fields"]["username"] == ["This field is required."]


def test_malformed_json_is_a_400_not_a_500(api):
    response = api.generic(
        "POST", "/api/v1/auth/register/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"


@pytest.mark.parametrize(
    "payload, field",
    [
        (
            {"username": "x" * 151, "email": "a@example.org", "password": "a-long-password-1"},
            "username",
        ),
        ({"username": "ok", "email": "not-an-email", "password": "a-long-password-1"}, "email"),
        (
            {"username": ["a", "list"], "email": "a@example.org", "password": "a-long-password-1"},
            "username",
        ),
        ({"username": "ok", "email": "a@example.org", "password": "x" * 129}, "password"),
    ],
)
def test_wrong_types_and_overlong_strings_give_field_errors(api, payload, field):
    response = api.post("/api/v1/auth/register/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_unknown_id_is_404_json(api):
    response = api.get("/api/v1/neighbourhoods/999999/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_unknown_api_url_is_404_json(api):
    response = api.get("/api/v1/no-such-thing/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "That does not exist."}


def test_lists_are_paginated_with_a_maximum_page_size(api):
    body = api.get("/api/v1/neighbourhoods/?page_size=5").json()
    assert body["count"] == 22
    assert len(body["results"]) == 5
    assert body["next"].endswith("page=2&page_size=5")
    assert len(api.get("/api/v1/neighbourhoods/?page_size=100").json()["results"]) == 22
    too_many = api.get("/api/v1/neighbourhoods/?page_size=100000")
    assert too_many.status_code == 400  # at most 100, as the schema says
    assert list(too_many.json()["fields"]) == ["page_size"]


def test_page_out_of_range_is_404_json(api):
    response = api.get("/api/v1/neighbourhoods/?page=99")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_vote_while_the_database_is_unreachable_is_a_503_to_retry_not_a_500(
    monkeypatch, coop_a, rivierenwijk
):
    from django.db import OperationalError

    from tests.conftest import client_for
    from tests.grants.factories import advance, make_application, make_fund, resident_of
    from voting import services

    application = advance(make_application(make_fund(coop_a, rivierenwijk)), "voting")
    voter = resident_of(application.fund)

    def restarting(**kwargs):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(services, "ballot_cast", restarting)
    response = client_for(voter).post(
        f"/api/v1/applications/{application.pk}/vote/",
        {"choice": "yes"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response.json() == {
        "code": "database_unavailable",
        "detail": "The database cannot be reached just now. Please try again in a moment.",
        "retryable": True,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("failure", [OperationalError, InterfaceError])
def test_a_page_the_database_could_not_make_is_a_503_to_try_again(monkeypatch, failure):
    """The API's 503 (above) has its counterpart on the residents' pages: plain HTML in both
    languages, made without a template that would ask the database again."""
    from web import views

    def gone(*args, **kwargs):
        raise failure("server closed the connection unexpectedly")

    monkeypatch.setattr(views, "render", gone)
    answer = Client(raise_request_exception=False).get("/?kies=1")
    assert answer.status_code == 503
    assert answer["Retry-After"] == "5"
    page = answer.content.decode()
    assert "Even niet bereikbaar" in page and "Nothing was lost" in page
