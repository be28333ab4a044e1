"""Who may do what on every endpoint so far; B never sees or changes A's things."""

import pytest
from rest_framework.test import APIClient

from community.services import residence_codes_issue
from tests.community.factories import CityCooperativeFactory, MembershipFactory, UserFactory
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

ACTORS = [
    "anonymous",
    "user",
    "resident_a",
    "coordinator_a",
    "coordinator_b",
    "city_coordinator",
    "admin",
]


@pytest.fixture
def actors(user, resident_a, coordinator_a, coordinator_b, coop_a):
    city = CityCooperativeFactory()
    assert coop_a.parent == city
    return {
        "anonymous": APIClient(),
        "user": client_for(user),
        "resident_a": client_for(resident_a),
        "coordinator_a": client_for(coordinator_a),
        "coordinator_b": client_for(coordinator_b),
        "city_coordinator": client_for(
            MembershipFactory(cooperative=city, role="coordinator").user
        ),
        "admin": client_for(UserFactory(is_superuser=True, is_staff=True)),
    }


PUBLIC = [
    "/api/v1/neighbourhoods/",
    "/api/v1/wijken/",
    "/api/v1/health/",
    "/api/v1/schema/",
    "/api/v1/docs/",
]


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("path", PUBLIC)
def test_public_reads_are_open_to_everyone(actors, actor, path):
    assert actors[actor].get(path).status_code == 200


@pytest.mark.parametrize("actor", ACTORS)
def test_public_resources_are_read_only(actors, actor, rivierenwijk):
    client = actors[actor]
    assert client.post("/api/v1/neighbourhoods/", {"name": "x"}, format="json").status_code in (
        401,
        403,
        405,
    )
    assert client.delete(f"/api/v1/neighbourhoods/{rivierenwijk.pk}/").status_code in (
        401,
        403,
        405,
    )


ISSUE_CODES = {
    "anonymous": 401,
    "user": 403,
    "resident_a": 403,
    "coordinator_a": 201,
    "coordinator_b": 403,
    "city_coordinator": 201,
    "admin": 201,
}


@pytest.mark.parametrize("actor, expected", ISSUE_CODES.items())
def test_issuing_codes_for_a_buurt_is_for_its_coordinators(actors, actor, expected, rivierenwijk):
    path = f"/api/v1/neighbourhoods/{rivierenwijk.pk}/voting-codes/"
    assert actors[actor].post(path, {"count": 1}, format="json").status_code == expected
    listed = actors[actor].get(path).status_code
    assert listed == (200 if expected == 201 else expected)


@pytest.mark.parametrize("actor, expected", [("anonymous", 401), *[(a, 200) for a in ACTORS[1:]]])
def test_me_needs_a_login(actors, actor, expected):
    assert actors[actor].get("/api/v1/auth/me/").status_code == expected


def test_code_listing_shows_only_the_callers_buurten(
    actors, coordinator_a, coordinator_b, rivierenwijk, lunetten
):
    residence_codes_issue(neighbourhood=rivierenwijk, count=2, acting_user=coordinator_a)
    residence_codes_issue(neighbourhood=lunetten, count=3, acting_user=coordinator_b)

    def seen(actor):
        body = actors[actor].get("/api/v1/voting-codes/").json()
        return body["count"], {row["neighbourhood"] for row in body["results"]}

    # resident_a was verified with one more Rivierenwijk code.
    assert seen("coordinator_a") == (3, {rivierenwijk.pk})
    assert seen("coordinator_b") == (3, {lunetten.pk})
    assert seen("city_coordinator") == (6, {rivierenwijk.pk, lunetten.pk})  # covers its members
    assert seen("admin") == (6, {rivierenwijk.pk, lunetten.pk})
    assert seen("resident_a") == (0, set())
    assert actors["anonymous"].get("/api/v1/voting-codes/").status_code == 401


def test_verify_needs_a_login(actors):
    response = actors["anonymous"].post("/api/v1/residents/verify/", {"code": "X"}, format="json")
    assert response.status_code == 401


def test_me_shows_only_my_own_roles_and_residency(actors, coordinator_a, resident_a):
    me_a = actors["coordinator_a"].get("/api/v1/auth/me/").json()
    assert [r["role"] for r in me_a["roles"]] == ["coordinator"]
    assert me_a["residency"] is None
    me_r = actors["resident_a"].get("/api/v1/auth/me/").json()
    assert me_r["id"] == resident_a.pk and me_r["roles"] == []
    assert me_r["residency"]["neighbourhood"]["slug"] == "dichterswijk-en-rivierenwijk"
