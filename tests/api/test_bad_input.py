"""Input that once crashed the service (500) answers 400 with a code, and changes nothing."""

import pytest

from community.models import Cooperative
from grants.models import Application
from ledger.models import ProjectAdministration
from tests.community.factories import CooperativeFactory
from tests.conftest import client_for
from tests.grants.factories import board_of, make_fund, resident_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def fund(coop_a, rivierenwijk):
    return make_fund(coop_a, rivierenwijk)


@pytest.mark.parametrize("amount", [0, 1, 99])
def test_an_amount_below_one_euro_is_a_400(fund, amount):
    response = client_for(resident_of(fund)).post(
        "/api/v1/applications/",
        {
            "fund": fund.pk,
            "title": "Te weinig",
            "summary": "x",
            "amount_requested_cents": amount,
            "total_budget_cents": 1000,
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "amount_out_of_range"
    assert "at least 1 euro" in response.json()["detail"]
    assert not Application.objects.exists()


@pytest.mark.parametrize(
    "query",
    [
        "page_size=-395&year=-1.84e-177&status=cancelled",
        "year=abc",
        "year=99999999999999999999",
        "priority=-1",
        "priority=1e400",
        "fund=x",
        "status=nonsense",
    ],
)
def test_bad_list_filters_are_a_400(fund, api, query):
    response = api.get(f"/api/v1/applications/?{query}")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"


def test_good_filters_still_filter(fund, api):
    assert api.get("/api/v1/applications/?year=2026&page_size=3").status_code == 200


def test_cooperatives_with_long_alike_slugs_get_their_own_books(rivierenwijk, lunetten):
    """Their codes were the slug cut to 20 letters: the second fund crashed on a duplicate."""
    zuid = CooperativeFactory(name="Buurtcoöperatie Overvecht-Zuid")
    noord = CooperativeFactory(name="Buurtcoöperatie Overvecht-Noord")
    zuid.neighbourhoods.add(rivierenwijk)
    noord.neighbourhoods.add(lunetten)
    assert zuid.slug.upper()[:20] == noord.slug.upper()[:20]
    for coop, buurt in ((zuid, rivierenwijk), (noord, lunetten)):
        response = client_for(board_of(coop)).post(
            "/api/v1/funds/",
            {
                "name": f"Fonds {coop.pk}",
                "kind": "buurtfonds",
                "cooperative": coop.pk,
                "neighbourhood": buurt.pk,
            },
            format="json",
        )
        assert response.status_code == 201, response.content
    codes = list(ProjectAdministration.objects.values_list("code", flat=True))
    assert len(codes) == len(set(codes)) == Cooperative.objects.filter(kind="neighbourhood").count()
